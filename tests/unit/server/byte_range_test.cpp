#include "http/byte_range.hpp"

#include <gtest/gtest.h>

namespace parley {
namespace {

using Kind = ByteRange::Kind;

TEST(ByteRange, ReadsTheThreeSingleRangeForms) {
  auto r = parse_byte_range("bytes=0-99", 1000);
  EXPECT_EQ(r.kind, Kind::partial);
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.last, 99u);
  r = parse_byte_range("bytes=900-", 1000);
  EXPECT_EQ(r.kind, Kind::partial);
  EXPECT_EQ(r.first, 900u);
  EXPECT_EQ(r.last, 999u);
  r = parse_byte_range("bytes=-100", 1000);
  EXPECT_EQ(r.kind, Kind::partial);
  EXPECT_EQ(r.first, 900u);
  EXPECT_EQ(r.last, 999u);
}

TEST(ByteRange, ClampsTheEndAndRefusesStartsPastTheEnd) {
  EXPECT_EQ(parse_byte_range("bytes=500-5000", 1000).last, 999u);
  EXPECT_EQ(parse_byte_range("bytes=-5000", 1000).first, 0u);
  EXPECT_EQ(parse_byte_range("bytes=1000-", 1000).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_byte_range("bytes=-0", 1000).kind, Kind::unsatisfiable);
}

TEST(ByteRange, ServesWholeForAnythingElse) {
  for (const char* h : {"", "items=0-1", "bytes=0-1,5-6", "bytes=5-1", "bytes=a-b", "bytes=-", "bytes=1"}) {
    EXPECT_EQ(parse_byte_range(h, 1000).kind, Kind::whole) << h;
  }
}

TEST(ETag, MatchesListsWeakTagsAndStar) {
  EXPECT_TRUE(etag_matches("\"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_matches("\"x\", W/\"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_matches("*", "\"abc\""));
  EXPECT_FALSE(etag_matches("\"abcd\"", "\"abc\""));
  EXPECT_FALSE(etag_matches("", "\"abc\""));
}

}  // namespace
}  // namespace parley
