#include "core/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>

namespace parley {

namespace {

// Refill arithmetic is in doubles; without a little slack a take at exactly the instant
// retry_after promised could still see 0.9999999 tokens and be refused again.
constexpr double kSlack = 1e-9;

double seconds_between(SteadyTime from, SteadyTime to) {
  if (to <= from) return 0.0;  // an injected clock may step back: never refill negatively
  return std::chrono::duration<double>(to - from).count();
}

void require_valid(const RateLimit& limit) {
  // Written as negations so NaN is refused too.
  if (!(limit.burst >= 1.0) || !(limit.per_second > 0.0)) {
    throw std::invalid_argument("rate limit needs burst >= 1 and per_second > 0");
  }
}

}  // namespace

int RateDecision::retry_after_seconds() const {
  const auto ms = retry_after.count();
  const auto seconds = (ms + 999) / 1000;
  return seconds < 1 ? 1 : static_cast<int>(std::min<long long>(seconds, 1'000'000));
}

TokenBucket::TokenBucket(RateLimit limit, SteadyTime now) : limit_(limit), tokens_(limit.burst), updated_(now) {
  require_valid(limit);
}

double TokenBucket::available(SteadyTime now) const {
  return std::min(limit_.burst, tokens_ + seconds_between(updated_, now) * limit_.per_second);
}

bool TokenBucket::is_full(SteadyTime now) const {
  return available(now) >= limit_.burst - kSlack;
}

bool TokenBucket::take(SteadyTime now, double cost) {
  const double tokens = available(now);
  // Only move `updated_` forward, so a stale `now` from another thread cannot grant a refill twice.
  if (now > updated_) {
    tokens_ = tokens;
    updated_ = now;
  }
  if (cost > limit_.burst || tokens + kSlack < cost) return false;
  tokens_ = std::max(0.0, tokens - cost);
  return true;
}

std::chrono::milliseconds TokenBucket::retry_after(SteadyTime now, double cost) const {
  // A cost above the capacity can never be paid; report the time to a full bucket, the best there is.
  const double needed = std::min(cost, limit_.burst) - available(now);
  if (needed <= kSlack) return std::chrono::milliseconds(0);
  // Rounded up so the wait is never too short, but not by rounding noise (1.0000000000000009 ms is 1 ms).
  const double wait_ms = needed / limit_.per_second * 1000.0;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(wait_ms - 1e-9)));
}

RateDecision TokenBucket::try_take(SteadyTime now, double cost) {
  if (take(now, cost)) return {};
  auto wait = retry_after(now, cost);
  if (wait.count() == 0) wait = std::chrono::milliseconds(1);  // refused by rounding: still ask for a pause
  return {false, wait};
}

template <class Key>
KeyedRateLimiter<Key>::KeyedRateLimiter(RateLimit limit, std::chrono::steady_clock::duration prune_interval)
    : limit_(limit), prune_interval_(prune_interval) {
  require_valid(limit);  // fail at configuration time, not on the first request
}

template <class Key>
typename KeyedRateLimiter<Key>::Shard& KeyedRateLimiter<Key>::shard_for(const Key& key) {
  // Mix the hash: std::hash of an integer is the identity, and sequential user ids would
  // otherwise all fall in a few shards when taken modulo a power of two.
  const std::uint64_t h = static_cast<std::uint64_t>(std::hash<Key>{}(key)) * 0x9E3779B97F4A7C15ULL;
  return shards_[static_cast<std::size_t>(h >> 60) % kShards];
}

template <class Key>
void KeyedRateLimiter<Key>::prune_locked(Shard& shard, SteadyTime now) {
  std::erase_if(shard.buckets, [now](const auto& entry) { return entry.second.is_full(now); });
}

template <class Key>
RateDecision KeyedRateLimiter<Key>::take(const Key& key, SteadyTime now, double cost) {
  Shard& shard = shard_for(key);
  std::lock_guard lock(shard.mutex);
  if (!shard.next_prune) {
    shard.next_prune = now + prune_interval_;
  } else if (now >= *shard.next_prune) {
    prune_locked(shard, now);
    shard.next_prune = now + prune_interval_;
  }
  auto it = shard.buckets.find(key);
  if (it == shard.buckets.end()) it = shard.buckets.try_emplace(key, limit_, now).first;
  return it->second.try_take(now, cost);
}

template <class Key>
void KeyedRateLimiter<Key>::prune(SteadyTime now) {
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    prune_locked(shard, now);
    shard.next_prune = now + prune_interval_;
  }
}

template <class Key>
std::size_t KeyedRateLimiter<Key>::size() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.buckets.size();
  }
  return total;
}

template class KeyedRateLimiter<std::string>;
template class KeyedRateLimiter<std::int64_t>;

}  // namespace parley
