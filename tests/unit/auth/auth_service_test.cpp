// AuthService against a real SqliteStore in a temporary file.
#include "auth/auth_service.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace parley {
namespace {

using std::chrono::seconds;

const std::string kSecret = "test-secret-test-secret-test-secret-0123456789";
const TimeMs kNow = 1'800'000'000'000;
constexpr TimeMs kDayMs = 86'400'000;

class AuthServiceTest : public ::testing::Test {
 protected:
  AuthServiceTest()
      : store_((dir_.path() / "parley.db").string(), SqliteSync::normal),
        issuer_(kSecret, seconds(900)),
        hasher_(HashCost::minimum) {
    AuthSettings settings;
    settings.refresh_ttl = seconds(30 * 86'400);
    settings.on_session_revoked = [this](const std::string& session_id) {
      std::lock_guard lock(revoked_mutex_);
      revoked_.push_back(session_id);
    };
    auth_ = std::make_unique<AuthService>(store_, issuer_, hasher_, std::move(settings));
  }

  AuthGrant must_register(const std::string& name, const std::string& password = "password123") {
    auto result = auth_->register_user(name, password, kNow);
    if (!result.ok()) ADD_FAILURE() << "register " << name << ": " << result.error().message;
    return std::move(result).value();
  }

  std::vector<std::string> revoked() {
    std::lock_guard lock(revoked_mutex_);
    return revoked_;
  }

  testing::TempDir dir_;
  SqliteStore store_;
  TokenIssuer issuer_;
  PasswordHasher hasher_;
  std::unique_ptr<AuthService> auth_;
  std::mutex revoked_mutex_;
  std::vector<std::string> revoked_;
};

bool is_base64url(const std::string& s) {
  return s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos;
}

void expect_unauthorized(const Result<AuthGrant>& result) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().status, 401);
  EXPECT_EQ(result.error().code, "unauthorized");
}

// ---- register

TEST_F(AuthServiceTest, RegisterReturnsAWorkingGrant) {
  const AuthGrant grant = must_register("alice");
  EXPECT_GT(grant.user.id, 0);
  EXPECT_EQ(grant.user.username, "alice");
  EXPECT_EQ(grant.expires_in_s, 900);
  EXPECT_FALSE(grant.session_id.empty());
  EXPECT_EQ(grant.refresh_token.size(), 43u);  // 32 bytes, base64url, no padding
  EXPECT_TRUE(is_base64url(grant.refresh_token)) << grant.refresh_token;

  const auto claims = auth_->authenticate(grant.access_token, kNow);
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims.value().user_id, grant.user.id);
  EXPECT_EQ(claims.value().username, "alice");
  EXPECT_EQ(claims.value().session_id, grant.session_id);

  // Stored hashed, never as given: neither the password nor the refresh token.
  const auto credentials = store_.find_credentials("alice");
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->password_hash.rfind("$argon2id$", 0), 0u);
  EXPECT_FALSE(store_.find_refresh_token(grant.refresh_token));
}

struct RegisterCase {
  std::string username;
  std::string password;
  std::string problem;  // empty: accepted; else a fragment of the 400 message
};

TEST_F(AuthServiceTest, RegisterValidationMatrix) {
  const std::string ok_password = "password123";
  const std::vector<RegisterCase> cases = {
      {"ab", ok_password, "3-32 characters"},
      {"", ok_password, "3-32 characters"},
      {std::string(33, 'a'), ok_password, "3-32 characters"},
      {"al ice", ok_password, "only letters"},
      {"alice!", ok_password, "only letters"},
      {"al/ce", ok_password, "only letters"},
      {"\xc3\xa5lice", ok_password, "only letters"},  // å: letters means ASCII letters
      {"12345", ok_password, "all digits"},
      {"007", ok_password, "all digits"},
      {"valid_name", "1234567", "at least 8 bytes"},
      {"valid_name", "", "at least 8 bytes"},
      {"valid_name", std::string(1025, 'p'), "at most 1024 bytes"},
      // accepted edges
      {"abc", ok_password, ""},
      {std::string(32, 'z'), ok_password, ""},
      {"a.b-c_d", ok_password, ""},
      {"._-", ok_password, ""},
      {"123a", ok_password, ""},
      {"eight_bytes", "12345678", ""},
      {"long_password", std::string(1024, 'p'), ""},
      {"unicode_pw", "p\xc3\xa4ssw\xc3\xb6rd", ""},  // 10 bytes, 8 characters
  };
  for (const auto& c : cases) {
    const auto result = auth_->register_user(c.username, c.password, kNow);
    if (c.problem.empty()) {
      EXPECT_TRUE(result.ok()) << c.username << ": " << (result.ok() ? "" : result.error().message);
      continue;
    }
    ASSERT_FALSE(result.ok()) << "accepted " << c.username;
    EXPECT_EQ(result.error().status, 400) << c.username;
    EXPECT_EQ(result.error().code, "bad_request");
    EXPECT_NE(result.error().message.find(c.problem), std::string::npos)
        << c.username << " -> " << result.error().message;
  }
}

TEST_F(AuthServiceTest, DuplicateUsernameIsAConflictCaseInsensitively) {
  must_register("Alice");
  for (const char* name : {"Alice", "alice", "ALICE", "aLiCe"}) {
    const auto result = auth_->register_user(name, "password456", kNow);
    ASSERT_FALSE(result.ok()) << name;
    EXPECT_EQ(result.error().status, 409);
    EXPECT_EQ(result.error().code, "conflict");
  }
  // The original password still stands.
  EXPECT_TRUE(auth_->login("alice", "password123", kNow).ok());
  EXPECT_FALSE(auth_->login("alice", "password456", kNow).ok());
}

// ---- login

TEST_F(AuthServiceTest, LoginStartsANewSession) {
  const AuthGrant registered = must_register("bob");
  const auto login = auth_->login("bob", "password123", kNow);
  ASSERT_TRUE(login.ok());
  EXPECT_EQ(login.value().user.id, registered.user.id);
  EXPECT_NE(login.value().session_id, registered.session_id);
  EXPECT_TRUE(auth_->authenticate(login.value().access_token, kNow).ok());
}

TEST_F(AuthServiceTest, LoginIgnoresCaseAndReturnsTheStoredName) {
  must_register("Carol");
  const auto login = auth_->login("cAROL", "password123", kNow);
  ASSERT_TRUE(login.ok());
  EXPECT_EQ(login.value().user.username, "Carol");
}

TEST_F(AuthServiceTest, UnknownUserAndWrongPasswordAreTheSame401) {
  must_register("dave");
  const auto wrong_password = auth_->login("dave", "not-the-password", kNow);
  const auto unknown_user = auth_->login("nobody", "password123", kNow);
  expect_unauthorized(wrong_password);
  expect_unauthorized(unknown_user);
  EXPECT_EQ(wrong_password.error().message, unknown_user.error().message);
  // Inputs registration would refuse are the same 401 as well.
  for (const auto& [user, pw] : std::vector<std::pair<std::string, std::string>>{
           {"dave", "short"}, {"dave", std::string(2000, 'x')}, {"x", "password123"}, {"12345", "password123"}}) {
    const auto result = auth_->login(user, pw, kNow);
    expect_unauthorized(result);
    EXPECT_EQ(result.error().message, unknown_user.error().message);
  }
}

// ---- refresh

TEST_F(AuthServiceTest, RefreshRotatesWithinTheSameSession) {
  const AuthGrant first = must_register("erin");
  const auto second = auth_->refresh(first.refresh_token, kNow + 1000);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second.value().session_id, first.session_id);
  EXPECT_EQ(second.value().user.id, first.user.id);
  EXPECT_EQ(second.value().user.username, "erin");
  EXPECT_NE(second.value().refresh_token, first.refresh_token);
  EXPECT_NE(second.value().access_token, first.access_token);
  const auto claims = auth_->authenticate(second.value().access_token, kNow + 1000);
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims.value().session_id, first.session_id);

  const auto third = auth_->refresh(second.value().refresh_token, kNow + 2000);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third.value().session_id, first.session_id);
  EXPECT_TRUE(revoked().empty());
}

TEST_F(AuthServiceTest, ReusingARefreshTokenRevokesTheWholeSession) {
  const AuthGrant first = must_register("frank");
  const AuthGrant other_login = auth_->login("frank", "password123", kNow).value();
  const auto second = auth_->refresh(first.refresh_token, kNow + 1000);
  ASSERT_TRUE(second.ok());
  const auto third = auth_->refresh(second.value().refresh_token, kNow + 2000);
  ASSERT_TRUE(third.ok());

  // The first token again: someone copied it.
  expect_unauthorized(auth_->refresh(first.refresh_token, kNow + 3000));
  EXPECT_EQ(revoked(), std::vector<std::string>{first.session_id});

  // Every token of that login is dead now, the newest included ...
  expect_unauthorized(auth_->refresh(third.value().refresh_token, kNow + 4000));
  expect_unauthorized(auth_->refresh(second.value().refresh_token, kNow + 4000));
  EXPECT_EQ(revoked(), std::vector<std::string>{first.session_id});  // reported once, not per attempt

  // ... access tokens already issued run until they expire (PROTOCOL.md) ...
  EXPECT_TRUE(auth_->authenticate(third.value().access_token, kNow + 5000).ok());
  // ... and the user's other login is untouched.
  EXPECT_TRUE(auth_->refresh(other_login.refresh_token, kNow + 5000).ok());
}

TEST_F(AuthServiceTest, ExpiredRefreshTokenIsRefusedWithoutRevoking) {
  const AuthGrant grant = must_register("grace");
  const TimeMs expiry = kNow + 30 * kDayMs;
  expect_unauthorized(auth_->refresh(grant.refresh_token, expiry));
  EXPECT_TRUE(revoked().empty());

  const AuthGrant fresh = auth_->login("grace", "password123", kNow).value();
  EXPECT_TRUE(auth_->refresh(fresh.refresh_token, expiry - 1).ok());  // valid up to the last millisecond
}

TEST_F(AuthServiceTest, RotationExtendsTheLogin) {
  const AuthGrant grant = must_register("heidi");
  const auto rotated = auth_->refresh(grant.refresh_token, kNow + 29 * kDayMs);
  ASSERT_TRUE(rotated.ok());
  EXPECT_TRUE(auth_->refresh(rotated.value().refresh_token, kNow + 58 * kDayMs).ok());
}

TEST_F(AuthServiceTest, UnknownRefreshTokensAreRefused) {
  must_register("ivan");
  for (const std::string token : {"", "garbage", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}) {
    expect_unauthorized(auth_->refresh(token, kNow));
  }
  expect_unauthorized(auth_->refresh(std::string(10'000, 'A'), kNow));
  EXPECT_TRUE(revoked().empty());
}

TEST_F(AuthServiceTest, ConcurrentUseOfOneTokenLetsAtMostOneThroughAndRevokes) {
  const AuthGrant grant = must_register("judy");
  constexpr int kThreads = 4;
  std::vector<Result<AuthGrant>> results(kThreads, ApiError::internal());
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { results[i] = auth_->refresh(grant.refresh_token, kNow + 1000); });
  }
  for (auto& thread : threads) thread.join();

  int successes = 0;
  for (const auto& result : results) {
    if (result.ok()) {
      ++successes;
      // Whoever won holds a token of a session that the losers revoked.
      expect_unauthorized(auth_->refresh(result.value().refresh_token, kNow + 2000));
    } else {
      EXPECT_EQ(result.error().status, 401);
    }
  }
  EXPECT_LE(successes, 1);
  ASSERT_FALSE(revoked().empty());
  for (const auto& session : revoked()) EXPECT_EQ(session, grant.session_id);
}

// ---- logout

TEST_F(AuthServiceTest, LogoutRevokesTheSession) {
  const AuthGrant grant = must_register("ken");
  const AuthGrant rotated = auth_->refresh(grant.refresh_token, kNow + 1000).value();
  auth_->logout(rotated.refresh_token);
  EXPECT_EQ(revoked(), std::vector<std::string>{grant.session_id});
  expect_unauthorized(auth_->refresh(rotated.refresh_token, kNow + 2000));

  auth_->logout(rotated.refresh_token);  // idempotent: nothing more to revoke, nothing reported
  EXPECT_EQ(revoked().size(), 1u);
}

TEST_F(AuthServiceTest, LogoutWithAnUnknownTokenIsASilentSuccess) {
  must_register("lena");
  auth_->logout("");
  auth_->logout("not-a-token");
  auth_->logout(std::string(10'000, 'x'));
  EXPECT_TRUE(revoked().empty());
}

// ---- authenticate

TEST_F(AuthServiceTest, AuthenticateRefusesBadAndExpiredAccessTokens) {
  const AuthGrant grant = must_register("mallory");
  EXPECT_TRUE(auth_->authenticate(grant.access_token, kNow + 899'999).ok());
  const auto expired = auth_->authenticate(grant.access_token, kNow + 900'000);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().status, 401);
  EXPECT_EQ(expired.error().code, "unauthorized");
  EXPECT_FALSE(auth_->authenticate("", kNow).ok());
  EXPECT_FALSE(auth_->authenticate(grant.refresh_token, kNow).ok());
}

}  // namespace
}  // namespace parley
