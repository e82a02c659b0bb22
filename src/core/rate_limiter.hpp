// Token-bucket rate limiting (messages per user, logins per address, ...).
//
// Time is always passed in (a steady_clock time point) rather than read inside, so the limits
// are testable without sleeping and one clock read can serve several checks.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace parley {

using SteadyTime = std::chrono::steady_clock::time_point;

struct RateLimit {
  double burst = 1;       // bucket capacity: how many may be taken at once after a quiet period
  double per_second = 1;  // refill rate, sustained throughput
};

struct RateDecision {
  bool allowed = true;
  std::chrono::milliseconds retry_after{0};  // when refused: wait this long and the same take succeeds

  // For the HTTP Retry-After header and ApiError::rate_limited: whole seconds, rounded up, >= 1.
  int retry_after_seconds() const;
};

// One bucket; not thread-safe by itself (KeyedRateLimiter locks around it; a connection that
// owns its bucket needs no lock). Starts full.
class TokenBucket {
 public:
  // Throws std::invalid_argument unless burst >= 1 and per_second > 0.
  TokenBucket(RateLimit limit, SteadyTime now);

  // Takes `cost` tokens if that many are available at `now`. A cost above burst never succeeds.
  bool take(SteadyTime now, double cost = 1.0);
  // Zero when a take of `cost` would succeed at `now`, else how long until it would.
  std::chrono::milliseconds retry_after(SteadyTime now, double cost = 1.0) const;
  // Refused takes cost nothing, so this is take() plus the wait to report.
  RateDecision try_take(SteadyTime now, double cost = 1.0);

  double available(SteadyTime now) const;
  // A full bucket is indistinguishable from a new one, which is why pruning it loses nothing.
  bool is_full(SteadyTime now) const;

 private:
  RateLimit limit_;
  double tokens_;
  SteadyTime updated_;
};

// Buckets by key (user id, client address, username), created on first use. Thread-safe: the
// keys are spread over shards, each with its own mutex, so concurrent users rarely contend.
// Memory is bounded by the keys active recently: every `prune_interval` a shard drops its full
// buckets during an ordinary take (no timer thread needed); prune() does it for all shards now.
template <class Key>
class KeyedRateLimiter {
 public:
  explicit KeyedRateLimiter(RateLimit limit,
                            std::chrono::steady_clock::duration prune_interval = std::chrono::seconds(60));

  RateDecision take(const Key& key, SteadyTime now, double cost = 1.0);
  void prune(SteadyTime now);
  std::size_t size() const;  // buckets held, for tests and metrics
  const RateLimit& limit() const { return limit_; }

 private:
  static constexpr std::size_t kShards = 16;
  struct alignas(64) Shard {  // own cache line each: shards are locked from different threads
    mutable std::mutex mutex;
    std::unordered_map<Key, TokenBucket> buckets;
    std::optional<SteadyTime> next_prune;
  };

  Shard& shard_for(const Key& key);
  static void prune_locked(Shard& shard, SteadyTime now);

  const RateLimit limit_;
  const std::chrono::steady_clock::duration prune_interval_;
  std::array<Shard, kShards> shards_;
};

// Defined in rate_limiter.cpp for these keys only.
extern template class KeyedRateLimiter<std::string>;
extern template class KeyedRateLimiter<std::int64_t>;

using RateLimiterByName = KeyedRateLimiter<std::string>;  // client address, username
using RateLimiterById = KeyedRateLimiter<std::int64_t>;   // user id

}  // namespace parley
