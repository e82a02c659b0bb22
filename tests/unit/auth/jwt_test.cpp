#include "auth/jwt.hpp"

#include <gtest/gtest.h>
#include <jwt.h>
#include <sodium.h>

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace parley {
namespace {

using std::chrono::seconds;

const std::string kSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const TimeMs kNow = 1'800'000'000'000;  // a whole second, so exp = now + ttl exactly
const User kAlice{42, "alice", 0, 0};

std::string b64url(std::string_view data) {
  constexpr int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(data.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(data.data()), data.size(), variant);
  out.resize(out.size() - 1);
  return out;
}

// Signs arbitrary claims with libjwt directly, to build tokens TokenIssuer would never issue.
std::string sign_with_libjwt(jwt_alg_t alg, const std::string& key, const std::string& claims_json) {
  jwt_t* jwt = nullptr;
  if (jwt_new(&jwt) != 0) throw std::runtime_error("jwt_new");
  jwt_add_grants_json(jwt, claims_json.c_str());
  if (alg == JWT_ALG_NONE) {
    jwt_set_alg(jwt, alg, nullptr, 0);
  } else {
    jwt_set_alg(jwt, alg, reinterpret_cast<const unsigned char*>(key.data()), static_cast<int>(key.size()));
  }
  char* encoded = jwt_encode_str(jwt);
  std::string token = encoded ? encoded : "";
  std::free(encoded);
  jwt_free(jwt);
  return token;
}

std::string valid_claims_json() {
  return R"({"sub":"42","name":"alice","sid":"s1","iat":1800000000,"exp":1800000900})";
}

TEST(TokenIssuer, RoundTrip) {
  const TokenIssuer issuer(kSecret, seconds(900));
  const std::string token = issuer.issue(kAlice, "session-1", kNow);
  const auto claims = issuer.verify(token, kNow);
  ASSERT_TRUE(claims);
  EXPECT_EQ(claims->user_id, 42);
  EXPECT_EQ(claims->username, "alice");
  EXPECT_EQ(claims->session_id, "session-1");
  EXPECT_EQ(claims->expires_at, kNow + 900'000);
  EXPECT_EQ(issuer.access_ttl(), seconds(900));
}

TEST(TokenIssuer, EachTokenIsUnique) {
  const TokenIssuer issuer(kSecret, seconds(900));
  EXPECT_NE(issuer.issue(kAlice, "s", kNow), issuer.issue(kAlice, "s", kNow));  // random jti
}

TEST(TokenIssuer, ExpiresAtExp) {
  const TokenIssuer issuer(kSecret, seconds(900));
  const std::string token = issuer.issue(kAlice, "s", kNow);
  EXPECT_TRUE(issuer.verify(token, kNow + 899'999));
  EXPECT_FALSE(issuer.verify(token, kNow + 900'000));
  EXPECT_FALSE(issuer.verify(token, kNow + 86'400'000));
}

// exp is in whole seconds: issued late in a second, a token still lives its whole ttl (and at
// most a second more), never less.
TEST(TokenIssuer, NeverExpiresBeforeItsTtl) {
  const TokenIssuer issuer(kSecret, seconds(1));
  const TimeMs late_in_a_second = kNow + 999;
  const std::string token = issuer.issue(kAlice, "s", late_in_a_second);
  EXPECT_TRUE(issuer.verify(token, late_in_a_second + 999));
  EXPECT_FALSE(issuer.verify(token, late_in_a_second + 2'000));
}

TEST(TokenIssuer, RejectsATamperedSignature) {
  const TokenIssuer issuer(kSecret, seconds(900));
  std::string token = issuer.issue(kAlice, "s", kNow);
  const auto dot = token.rfind('.');
  ASSERT_NE(dot, std::string::npos);
  char& c = token[dot + 10];  // a middle character: every bit of it is significant
  c = c == 'A' ? 'B' : 'A';
  EXPECT_FALSE(issuer.verify(token, kNow));
}

TEST(TokenIssuer, RejectsATamperedPayload) {
  const TokenIssuer issuer(kSecret, seconds(900));
  const std::string token = issuer.issue(kAlice, "s", kNow);
  const auto first = token.find('.');
  const auto second = token.rfind('.');
  const std::string forged_payload =
      b64url(R"({"sub":"1","name":"admin","sid":"s","iat":1800000000,"exp":1800000900})");
  const std::string forged = token.substr(0, first + 1) + forged_payload + token.substr(second);
  EXPECT_FALSE(issuer.verify(forged, kNow));
}

TEST(TokenIssuer, RejectsAnotherSecret) {
  const TokenIssuer ours(kSecret, seconds(900));
  const TokenIssuer theirs("another-secret-that-is-at-least-32-bytes-long", seconds(900));
  EXPECT_FALSE(ours.verify(theirs.issue(kAlice, "s", kNow), kNow));
  EXPECT_FALSE(theirs.verify(ours.issue(kAlice, "s", kNow), kNow));
}

TEST(TokenIssuer, RejectsAlgNone) {
  const TokenIssuer issuer(kSecret, seconds(900));
  // Built by hand as an attacker would: valid claims, "alg":"none", empty signature.
  const std::string by_hand = b64url(R"({"alg":"none","typ":"JWT"})") + "." + b64url(valid_claims_json()) + ".";
  EXPECT_FALSE(issuer.verify(by_hand, kNow));
  const std::string by_hand_with_sig = by_hand + "c2lnbmF0dXJl";
  EXPECT_FALSE(issuer.verify(by_hand_with_sig, kNow));
  // And as libjwt itself writes them.
  EXPECT_FALSE(issuer.verify(sign_with_libjwt(JWT_ALG_NONE, "", valid_claims_json()), kNow));
}

TEST(TokenIssuer, RejectsOtherHmacAlgorithmsEvenWithOurSecret) {
  const TokenIssuer issuer(kSecret, seconds(900));
  const std::string hs256 = sign_with_libjwt(JWT_ALG_HS256, kSecret, valid_claims_json());
  ASSERT_TRUE(issuer.verify(hs256, kNow));  // the helper itself makes acceptable tokens
  EXPECT_FALSE(issuer.verify(sign_with_libjwt(JWT_ALG_HS384, kSecret, valid_claims_json()), kNow));
  EXPECT_FALSE(issuer.verify(sign_with_libjwt(JWT_ALG_HS512, kSecret, valid_claims_json()), kNow));
}

TEST(TokenIssuer, RejectsSignedTokensWithMissingOrMalformedClaims) {
  const TokenIssuer issuer(kSecret, seconds(900));
  const char* bad_claims[] = {
      R"({"name":"alice","sid":"s1","exp":1800000900})",                      // no sub
      R"({"sub":"42","sid":"s1","exp":1800000900})",                          // no name
      R"({"sub":"42","name":"alice","exp":1800000900})",                      // no sid
      R"({"sub":"42","name":"alice","sid":"s1"})",                            // no exp
      R"({"sub":42,"name":"alice","sid":"s1","exp":1800000900})",             // sub not a string
      R"({"sub":"42x","name":"alice","sid":"s1","exp":1800000900})",          // sub not a number
      R"({"sub":"-3","name":"alice","sid":"s1","exp":1800000900})",           // sub not positive
      R"({"sub":"42","name":"","sid":"s1","exp":1800000900})",                // empty name
      R"({"sub":"42","name":"alice","sid":"s1","exp":"1800000900"})",         // exp not a number
      R"({"sub":"42","name":"alice","sid":"s1","exp":9223372036854775807})",  // exp * 1000 overflows
  };
  for (const char* claims : bad_claims) {
    EXPECT_FALSE(issuer.verify(sign_with_libjwt(JWT_ALG_HS256, kSecret, claims), kNow)) << claims;
  }
}

TEST(TokenIssuer, RejectsGarbage) {
  const TokenIssuer issuer(kSecret, seconds(900));
  for (const std::string token : {"", "abc", "a.b.c", "..", "Bearer x.y.z", "\xff\xfe.\x01.\x02"}) {
    EXPECT_FALSE(issuer.verify(token, kNow)) << token;
  }
  EXPECT_FALSE(issuer.verify(std::string(100'000, 'a'), kNow));
  std::string with_nul = issuer.issue(kAlice, "s", kNow);
  with_nul.insert(5, 1, '\0');
  EXPECT_FALSE(issuer.verify(with_nul, kNow));
}

TEST(TokenIssuer, RefusesWeakConfiguration) {
  EXPECT_THROW(TokenIssuer("short", seconds(900)), std::invalid_argument);
  EXPECT_THROW(TokenIssuer(kSecret, seconds(0)), std::invalid_argument);
}

TEST(TokenIssuer, VerifiesConcurrently) {
  const TokenIssuer issuer(kSecret, seconds(900));
  const std::string token = issuer.issue(kAlice, "s", kNow);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 300; ++i) {
        const auto claims = issuer.verify(token, kNow);
        if (!claims || claims->user_id != 42) failures.fetch_add(1);
        if (issuer.verify(issuer.issue(kAlice, "t", kNow), kNow + 1) == std::nullopt) failures.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace parley
