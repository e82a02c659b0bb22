#include "auth/password.hpp"

#include <gtest/gtest.h>

#include <string>

namespace parley {
namespace {

TEST(PasswordHasher, VerifiesTheRightPasswordOnly) {
  const PasswordHasher hasher(HashCost::minimum);
  const std::string hash = hasher.hash("correct horse battery staple");
  EXPECT_TRUE(hasher.verify("correct horse battery staple", hash));
  EXPECT_FALSE(hasher.verify("correct horse battery stapler", hash));
  EXPECT_FALSE(hasher.verify("", hash));
}

TEST(PasswordHasher, StoresArgon2idWithARandomSalt) {
  const PasswordHasher hasher(HashCost::minimum);
  const std::string first = hasher.hash("hunter2hunter2");
  const std::string second = hasher.hash("hunter2hunter2");
  EXPECT_EQ(first.rfind("$argon2id$", 0), 0u) << first;
  EXPECT_EQ(first.find("hunter2"), std::string::npos);
  EXPECT_NE(first, second);
  EXPECT_TRUE(hasher.verify("hunter2hunter2", second));
}

TEST(PasswordHasher, PasswordsAreBytesNotCStrings) {
  const PasswordHasher hasher(HashCost::minimum);
  const std::string with_nul("abcd\0efgh", 9);
  const std::string hash = hasher.hash(with_nul);
  EXPECT_TRUE(hasher.verify(with_nul, hash));
  EXPECT_FALSE(hasher.verify("abcd", hash));  // what a C string would have cut it to
}

TEST(PasswordHasher, MalformedHashIsJustWrong) {
  const PasswordHasher hasher(HashCost::minimum);
  EXPECT_FALSE(hasher.verify("password", ""));
  EXPECT_FALSE(hasher.verify("password", "not a hash"));
  EXPECT_FALSE(hasher.verify("password", "$argon2id$v=19$m=8,t=1,p=1$garbage"));
  EXPECT_FALSE(hasher.verify("password", std::string(500, 'x')));
}

TEST(PasswordHasher, HashesOfOtherCostsStillVerify) {
  const PasswordHasher cheap(HashCost::minimum);
  const PasswordHasher production;  // interactive by default
  EXPECT_EQ(production.cost(), HashCost::interactive);
  const std::string hash = production.hash("a long enough password");
  EXPECT_NE(hash.find("m=65536,t=2"), std::string::npos) << hash;  // 64 MiB, 2 passes
  EXPECT_TRUE(cheap.verify("a long enough password", hash));
  EXPECT_TRUE(production.verify("another one!", cheap.hash("another one!")));
}

}  // namespace
}  // namespace parley
