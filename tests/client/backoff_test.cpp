#include <gtest/gtest.h>

#include <set>

#include "parley/client.hpp"

namespace parley::client {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, CeilingDoublesFromInitialToTheCap) {
  const BackoffPolicy policy;  // 1 s doubling to 60 s
  EXPECT_EQ(backoff_ceiling(policy, 1), milliseconds(1000));
  EXPECT_EQ(backoff_ceiling(policy, 2), milliseconds(2000));
  EXPECT_EQ(backoff_ceiling(policy, 3), milliseconds(4000));
  EXPECT_EQ(backoff_ceiling(policy, 6), milliseconds(32000));
  EXPECT_EQ(backoff_ceiling(policy, 7), milliseconds(60000));  // 64 s capped
  EXPECT_EQ(backoff_ceiling(policy, 50), milliseconds(60000));
  EXPECT_EQ(backoff_ceiling(policy, 4000000000u), milliseconds(60000));  // no overflow
  EXPECT_EQ(backoff_ceiling(policy, 0), milliseconds(1000));
}

TEST(Backoff, DelayIsTheUnitTimesTheCeiling) {
  const BackoffPolicy policy;
  EXPECT_EQ(backoff_delay(policy, 3, 0.0), milliseconds(0));
  EXPECT_EQ(backoff_delay(policy, 3, 1.0), milliseconds(4000));
  EXPECT_EQ(backoff_delay(policy, 3, 0.5), milliseconds(2000));
  EXPECT_EQ(backoff_delay(policy, 30, 0.25), milliseconds(15000));
  EXPECT_EQ(backoff_delay(policy, 3, 0.5), backoff_delay(policy, 3, 0.5));  // pure
  EXPECT_EQ(backoff_delay(policy, 3, -1.0), milliseconds(0));               // clamped
  EXPECT_EQ(backoff_delay(policy, 3, 7.0), milliseconds(4000));
}

TEST(Backoff, RandomDelaysAreJitteredWithinZeroAndTheCeiling) {
  const BackoffPolicy policy;
  std::mt19937_64 rng(42);
  for (unsigned attempt = 1; attempt <= 12; ++attempt) {
    const auto ceiling = backoff_ceiling(policy, attempt);
    std::set<std::int64_t> distinct;
    std::int64_t sum = 0;
    const int samples = 2000;
    for (int i = 0; i < samples; ++i) {
      const auto d = backoff_delay(policy, attempt, rng);
      ASSERT_GE(d.count(), 0);
      ASSERT_LE(d, ceiling);
      ASSERT_LE(d, policy.cap);
      distinct.insert(d.count());
      sum += d.count();
    }
    EXPECT_GT(distinct.size(), 100u) << "attempt " << attempt << ": not jittered";
    const double mean = static_cast<double>(sum) / samples;  // full jitter: about ceiling / 2
    EXPECT_NEAR(mean, ceiling.count() / 2.0, ceiling.count() * 0.1) << "attempt " << attempt;
  }
}

TEST(Backoff, CustomPolicy) {
  const BackoffPolicy policy{milliseconds(200), milliseconds(1000)};
  EXPECT_EQ(backoff_ceiling(policy, 1), milliseconds(200));
  EXPECT_EQ(backoff_ceiling(policy, 3), milliseconds(800));
  EXPECT_EQ(backoff_ceiling(policy, 4), milliseconds(1000));
}

}  // namespace
}  // namespace parley::client

namespace parley::client {
namespace {

TEST(ClientOptionsUrl, AcceptsWsAndHttpBaseUrls) {
  ClientOptions o;
  ASSERT_TRUE(o.set_url("ws://127.0.0.1:9000"));
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 9000);
  EXPECT_FALSE(o.tls);
  ASSERT_TRUE(o.set_url("https://chat.example.org/"));
  EXPECT_EQ(o.host, "chat.example.org");
  EXPECT_EQ(o.port, 443);
  EXPECT_TRUE(o.tls);
  ASSERT_TRUE(o.set_url("http://[::1]:8080"));
  EXPECT_EQ(o.host, "::1");
  EXPECT_EQ(o.port, 8080);
  ASSERT_TRUE(o.set_url("ws://localhost"));
  EXPECT_EQ(o.port, 80);
  EXPECT_FALSE(o.tls);
}

TEST(ClientOptionsUrl, RejectsMalformedUrlsWithoutChangingAnything) {
  ClientOptions o;
  ASSERT_TRUE(o.set_url("ws://example.org:1234"));
  for (const char* bad : {"example.org", "ftp://x", "ws://", "ws://host:", "ws://host:0", "ws://host:65536",
                          "ws://host:12ab", "ws://[::1", "ws://host/path", "ws://user@host"}) {
    EXPECT_FALSE(o.set_url(bad)) << bad;
  }
  EXPECT_EQ(o.host, "example.org");
  EXPECT_EQ(o.port, 1234);
}

}  // namespace
}  // namespace parley::client
