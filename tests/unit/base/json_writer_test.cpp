#include "util/json_writer.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

namespace parley {
namespace {

TEST(JsonWriter, BuildsNestedObjectsWithCommas) {
  JsonWriter w;
  w.begin_object().field("a", 1).key("b").begin_array().value(true).null().value("x").end_array();
  w.field("c", std::optional<std::string>()).end_object();
  EXPECT_EQ(w.str(), R"({"a":1,"b":[true,null,"x"],"c":null})");
}

TEST(JsonWriter, EscapesQuotesBackslashesAndControlCharacters) {
  constexpr std::string_view input = "q\"b\\n\n\t\x01 é😀";
  JsonWriter w;
  w.value(input);
  EXPECT_EQ(w.str(), "\"q\\\"b\\\\n\\n\\t\\u0001 é😀\"");
  // Whatever goes in comes back out of a real parser unchanged.
  simdjson::dom::parser parser;
  std::string_view back;
  ASSERT_EQ(parser.parse(w.str()).get_string().get(back), simdjson::SUCCESS);
  EXPECT_EQ(back, input);
}

TEST(JsonWriter, WritesExtremeIntegers) {
  JsonWriter w;
  w.begin_array().value(std::int64_t{INT64_MIN}).value(std::int64_t{INT64_MAX}).end_array();
  EXPECT_EQ(w.str(), "[-9223372036854775808,9223372036854775807]");
}

}  // namespace
}  // namespace parley
