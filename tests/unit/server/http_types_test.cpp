#include "http/http_types.hpp"

#include <gtest/gtest.h>

namespace parley {
namespace {

TEST(HttpTarget, SplitsPathAndDecodesQuery) {
  std::string path;
  std::unordered_map<std::string, std::string> query;
  ASSERT_TRUE(parse_target("/api/messages?room_id=7&since=2026-11-23T13%3A25%3A01Z&q=a+b&room_id=9", path, query));
  EXPECT_EQ(path, "/api/messages");
  EXPECT_EQ(query.at("room_id"), "7");  // first occurrence wins
  EXPECT_EQ(query.at("since"), "2026-11-23T13:25:01Z");
  EXPECT_EQ(query.at("q"), "a b");
}

TEST(HttpTarget, RejectsBrokenEscapesAndInvalidUtf8) {
  std::string path;
  std::unordered_map<std::string, std::string> query;
  EXPECT_FALSE(parse_target("/a%2", path, query));
  EXPECT_FALSE(parse_target("/a%zz", path, query));
  EXPECT_FALSE(parse_target("/a?x=%ff", path, query));
}

TEST(HttpTarget, SegmentsIgnoreRepeatedSlashes) {
  const auto seg = path_segments("//api/rooms//7/join/");
  ASSERT_EQ(seg.size(), 4u);
  EXPECT_EQ(seg[0], "api");
  EXPECT_EQ(seg[2], "7");
  EXPECT_EQ(seg[3], "join");
}

TEST(HttpReplies, ErrorReplyCarriesRetryAfterForRateLimits) {
  const auto reply = error_reply(ApiError::rate_limited(3));
  EXPECT_EQ(reply.status, 429);
  EXPECT_EQ(reply.body, R"({"error":{"code":"rate_limited","message":"too many requests, slow down"}})");
  ASSERT_EQ(reply.headers.size(), 1u);
  EXPECT_EQ(reply.headers[0].second, "3");
}

}  // namespace
}  // namespace parley
