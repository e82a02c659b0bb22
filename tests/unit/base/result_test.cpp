#include "core/result.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>

namespace parley {
namespace {

Result<std::string> greet(bool fail) {
  if (fail) return ApiError::not_found("nobody here");
  return std::string("hello");
}

TEST(Result, HoldsValue) {
  const auto r = greet(false);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(r.value(), "hello");
  EXPECT_THROW((void)r.error(), std::bad_variant_access);
}

TEST(Result, HoldsError) {
  const auto r = greet(true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status, 404);
  EXPECT_EQ(r.error().code, "not_found");
  EXPECT_EQ(r.error().message, "nobody here");
  EXPECT_THROW((void)r.value(), std::bad_variant_access);
}

TEST(Result, MovesValueOut) {
  std::string s = greet(false).value();
  EXPECT_EQ(s, "hello");
}

TEST(Result, VoidResult) {
  const Result<void> fine = ok_result();
  EXPECT_TRUE(fine.ok());
  EXPECT_THROW((void)fine.error(), std::bad_variant_access);
  const Result<void> failed = ApiError::forbidden("not yours");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().status, 403);
}

}  // namespace
}  // namespace parley
