#include <gtest/gtest.h>

#include "util/clock.hpp"
#include "util/text.hpp"

namespace parley {
namespace {

TEST(Text, CountsCodePointsNotBytes) {
  EXPECT_EQ(count_code_points("abc"), 3u);
  EXPECT_EQ(count_code_points("é😀"), 2u);
  EXPECT_EQ(count_code_points(""), 0u);
}

TEST(Text, TrimsAsciiWhitespaceOnly) {
  EXPECT_EQ(trim("  hi there \n\t"), "hi there");
  EXPECT_EQ(trim(" \r\n "), "");
  EXPECT_EQ(trim("x"), "x");
}

TEST(Text, ValidatesUtf8) {
  EXPECT_TRUE(is_valid_utf8("héllo 😀"));
  EXPECT_FALSE(is_valid_utf8(std::string_view("\xff\xfe", 2)));
  EXPECT_FALSE(is_valid_utf8(std::string_view("\xc3", 1)));  // truncated sequence
}

TEST(Clock, FormatsRfc3339WithMillisecondsUtc) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(1795440301123), "2026-11-23T13:25:01.123Z");
}

TEST(Clock, ParsesWhatItFormatsAndOffsets) {
  EXPECT_EQ(parse_rfc3339("2026-11-23T13:25:01.123Z"), 1795440301123);
  EXPECT_EQ(parse_rfc3339("2026-11-23T13:25:01Z"), 1795440301000);
  EXPECT_EQ(parse_rfc3339("2026-11-23T14:25:01.5+01:00"), 1795440301500);
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00.000Z"), 0);
}

TEST(Clock, RejectsMalformedTimestamps) {
  for (const char* bad : {"", "2026-11-23", "2026-11-23T13:25:01", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                          "2026-11-23T25:00:00Z", "2026-11-23T13:25:01.Z", "2026-11-23T13:25:01Zjunk", "yesterday"}) {
    EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace parley
