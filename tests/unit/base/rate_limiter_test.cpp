#include "core/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace parley {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// An arbitrary fixed instant: the limiter only ever looks at differences.
const SteadyTime t0 = SteadyTime{} + std::chrono::hours(1000);

TEST(TokenBucket, AllowsBurstThenRefusesWithRetryAfter) {
  TokenBucket bucket({.burst = 5, .per_second = 1}, t0);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(bucket.take(t0)) << i;
  EXPECT_FALSE(bucket.take(t0));
  EXPECT_EQ(bucket.retry_after(t0), milliseconds(1000));

  const RateDecision refused = bucket.try_take(t0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, milliseconds(1000));
  EXPECT_EQ(refused.retry_after_seconds(), 1);
}

TEST(TokenBucket, RefillsAtTheConfiguredRate) {
  TokenBucket bucket({.burst = 2, .per_second = 2}, t0);
  ASSERT_TRUE(bucket.take(t0));
  ASSERT_TRUE(bucket.take(t0));
  EXPECT_FALSE(bucket.take(t0 + milliseconds(499)));
  EXPECT_EQ(bucket.retry_after(t0 + milliseconds(499)), milliseconds(1));
  EXPECT_TRUE(bucket.take(t0 + milliseconds(500)));  // exactly when retry_after said
  EXPECT_FALSE(bucket.take(t0 + milliseconds(500)));
  EXPECT_EQ(bucket.retry_after(t0 + milliseconds(500)), milliseconds(500));
}

TEST(TokenBucket, WaitingRetryAfterAlwaysSucceeds) {
  TokenBucket bucket({.burst = 3, .per_second = 7}, t0);  // awkward rate: 142.857 ms per token
  SteadyTime now = t0;
  for (int i = 0; i < 100; ++i) {
    const RateDecision d = bucket.try_take(now);
    if (!d.allowed) {
      now += d.retry_after;
      ASSERT_TRUE(bucket.take(now)) << "attempt " << i;
    }
  }
}

TEST(TokenBucket, NeverHoldsMoreThanBurst) {
  TokenBucket bucket({.burst = 3, .per_second = 10}, t0);
  const SteadyTime later = t0 + std::chrono::hours(5);
  EXPECT_DOUBLE_EQ(bucket.available(later), 3.0);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(bucket.take(later));
  EXPECT_FALSE(bucket.take(later));
}

TEST(TokenBucket, SustainedRateMatchesPerSecond) {
  // 50 burst then 20/s: in 10 s of constant demand at most 50 + 200 get through.
  TokenBucket bucket({.burst = 50, .per_second = 20}, t0);
  int allowed = 0;
  for (int ms = 0; ms <= 10'000; ms += 5) {
    if (bucket.take(t0 + milliseconds(ms))) ++allowed;
  }
  EXPECT_EQ(allowed, 250);
}

TEST(TokenBucket, CostTakesSeveralTokens) {
  TokenBucket bucket({.burst = 10, .per_second = 1}, t0);
  EXPECT_TRUE(bucket.take(t0, 8));
  EXPECT_FALSE(bucket.take(t0, 3));
  EXPECT_EQ(bucket.retry_after(t0, 3), milliseconds(1000));
  EXPECT_TRUE(bucket.take(t0, 2));
  EXPECT_FALSE(bucket.take(t0 + std::chrono::hours(1), 11));  // above burst: never
}

TEST(TokenBucket, ClockSteppingBackDoesNotRefill) {
  TokenBucket bucket({.burst = 1, .per_second = 1}, t0);
  ASSERT_TRUE(bucket.take(t0 + seconds(10)));
  EXPECT_FALSE(bucket.take(t0));
  EXPECT_FALSE(bucket.take(t0 + seconds(10)));
  EXPECT_TRUE(bucket.take(t0 + seconds(11)));
}

TEST(TokenBucket, RejectsNonsenseLimits) {
  EXPECT_THROW(TokenBucket({.burst = 0, .per_second = 1}, t0), std::invalid_argument);
  EXPECT_THROW(TokenBucket({.burst = 5, .per_second = 0}, t0), std::invalid_argument);
  EXPECT_THROW(TokenBucket({.burst = 5, .per_second = -1}, t0), std::invalid_argument);
  EXPECT_THROW(RateLimiterById({.burst = 0.5, .per_second = 1}), std::invalid_argument);
}

TEST(RateDecision, RetryAfterSecondsRoundsUpToAtLeastOne) {
  EXPECT_EQ((RateDecision{false, milliseconds(0)}).retry_after_seconds(), 1);
  EXPECT_EQ((RateDecision{false, milliseconds(1)}).retry_after_seconds(), 1);
  EXPECT_EQ((RateDecision{false, milliseconds(1000)}).retry_after_seconds(), 1);
  EXPECT_EQ((RateDecision{false, milliseconds(1001)}).retry_after_seconds(), 2);
}

TEST(KeyedRateLimiter, KeysHaveIndependentBuckets) {
  RateLimiterByName limiter({.burst = 2, .per_second = 1});
  EXPECT_TRUE(limiter.take("10.0.0.1", t0).allowed);
  EXPECT_TRUE(limiter.take("10.0.0.1", t0).allowed);
  const RateDecision refused = limiter.take("10.0.0.1", t0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, milliseconds(1000));
  EXPECT_TRUE(limiter.take("10.0.0.2", t0).allowed);
  EXPECT_TRUE(limiter.take("10.0.0.1", t0 + seconds(1)).allowed);
}

TEST(KeyedRateLimiter, PruneDropsOnlyFullBuckets) {
  RateLimiterById limiter({.burst = 4, .per_second = 2});
  for (std::int64_t user = 1; user <= 1000; ++user) ASSERT_TRUE(limiter.take(user, t0).allowed);
  EXPECT_EQ(limiter.size(), 1000u);

  limiter.prune(t0 + milliseconds(400));  // 3.8 tokens each: not yet full, nothing forgotten
  EXPECT_EQ(limiter.size(), 1000u);

  ASSERT_TRUE(limiter.take(7, t0 + milliseconds(500)).allowed);
  limiter.prune(t0 + milliseconds(500));  // everyone refilled except user 7, who just took one
  EXPECT_EQ(limiter.size(), 1u);
}

TEST(KeyedRateLimiter, PrunesByItselfAfterTheInterval) {
  RateLimiterById limiter({.burst = 1, .per_second = 10}, seconds(30));
  for (std::int64_t user = 1; user <= 500; ++user) ASSERT_TRUE(limiter.take(user, t0).allowed);
  EXPECT_EQ(limiter.size(), 500u);
  // Takes before the interval leave the idle buckets alone ...
  for (std::int64_t user = 1001; user <= 1100; ++user) ASSERT_TRUE(limiter.take(user, t0 + seconds(29)).allowed);
  EXPECT_EQ(limiter.size(), 600u);
  // ... after it, every shard touched drops its full buckets. Enough distinct keys touch every shard.
  for (std::int64_t user = 2001; user <= 2200; ++user) ASSERT_TRUE(limiter.take(user, t0 + seconds(31)).allowed);
  EXPECT_EQ(limiter.size(), 200u);
}

TEST(KeyedRateLimiter, ForgottenBucketBehavesLikeTheFullOneItReplaced) {
  RateLimiterById limiter({.burst = 3, .per_second = 1});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(limiter.take(42, t0).allowed);
  ASSERT_FALSE(limiter.take(42, t0).allowed);
  limiter.prune(t0 + seconds(3));
  ASSERT_EQ(limiter.size(), 0u);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.take(42, t0 + seconds(3)).allowed);
  EXPECT_FALSE(limiter.take(42, t0 + seconds(3)).allowed);
}

TEST(KeyedRateLimiter, ConcurrentTakesNeverExceedTheBurst) {
  RateLimiterById limiter({.burst = 100, .per_second = 1});
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if (limiter.take(1, t0).allowed) allowed.fetch_add(1);
        (void)limiter.take(1000 + i, t0);  // plenty of other keys in other shards meanwhile
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 100);
}

}  // namespace
}  // namespace parley
