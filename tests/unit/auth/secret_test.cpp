#include "auth/secret.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <stdexcept>

#include "support/temp_dir.hpp"

namespace parley {
namespace {

namespace fs = std::filesystem;

bool is_lower_hex(const std::string& s) {
  return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(JwtSecret, CreatedOnFirstUseWithMode0600) {
  testing::TempDir dir;
  const std::string secret = load_or_create_jwt_secret(dir.path());
  EXPECT_EQ(secret.size(), 64u);
  EXPECT_TRUE(is_lower_hex(secret)) << secret;

  struct stat st {};
  ASSERT_EQ(::stat((dir.path() / "jwt_secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // No temporary file left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(JwtSecret, ReloadedIdenticallyAfterARestart) {
  testing::TempDir dir;
  const std::string first = load_or_create_jwt_secret(dir.path());
  const std::string second = load_or_create_jwt_secret(dir.path());
  EXPECT_EQ(first, second);
}

TEST(JwtSecret, DifferentDataDirsGetDifferentSecrets) {
  testing::TempDir a;
  testing::TempDir b;
  EXPECT_NE(load_or_create_jwt_secret(a.path()), load_or_create_jwt_secret(b.path()));
}

TEST(JwtSecret, UsesAnOperatorProvidedFileTrimmed) {
  testing::TempDir dir;
  const std::string mine = "an-operator-chosen-secret-of-more-than-32-bytes";
  std::ofstream(dir.path() / "jwt_secret") << "  " << mine << "\n\n";
  EXPECT_EQ(load_or_create_jwt_secret(dir.path()), mine);
}

TEST(JwtSecret, RefusesAShortSecret) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "jwt_secret") << "short\n";
  EXPECT_THROW(load_or_create_jwt_secret(dir.path()), std::runtime_error);
}

TEST(JwtSecret, CreatesAMissingDataDir) {
  testing::TempDir dir;
  const fs::path nested = dir.path() / "data" / "parley";
  const std::string secret = load_or_create_jwt_secret(nested);
  EXPECT_TRUE(fs::exists(nested / "jwt_secret"));
  EXPECT_EQ(load_or_create_jwt_secret(nested), secret);
}

}  // namespace
}  // namespace parley
