#include "auth/jwt.hpp"

#include <jwt.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>

#include "auth/sodium.hpp"

namespace parley {

namespace {

struct JwtDeleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

// libjwt 1.10 returns encoded tokens from plain malloc (it has no jwt_free_str yet).
struct MallocDeleter {
  void operator()(char* text) const { std::free(text); }
};
using MallocString = std::unique_ptr<char, MallocDeleter>;

// Ours are ~300 bytes; refusing big inputs early keeps garbage from costing base64 + JSON work.
constexpr std::size_t kMaxTokenBytes = 4096;
constexpr std::size_t kMinSecretBytes = 32;

std::optional<UserId> parse_user_id(const char* text) {
  if (text == nullptr) return std::nullopt;
  const char* end = text + std::strlen(text);
  UserId id = 0;
  const auto [ptr, ec] = std::from_chars(text, end, id);
  if (ec != std::errc() || ptr != end || id <= 0) return std::nullopt;
  return id;
}

std::optional<std::string> non_empty_claim(jwt_t* jwt, const char* name) {
  const char* value = jwt_get_grant(jwt, name);  // NULL unless it is a JSON string
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

void check(int rc, const char* what) {
  if (rc != 0) throw std::runtime_error(std::string("libjwt: ") + what + " failed");
}

}  // namespace

TokenIssuer::TokenIssuer(std::string secret, std::chrono::seconds access_ttl)
    : secret_(std::move(secret)), access_ttl_(access_ttl) {
  if (secret_.size() < kMinSecretBytes) throw std::invalid_argument("JWT secret must be at least 32 bytes");
  if (access_ttl_.count() <= 0) throw std::invalid_argument("access token TTL must be positive");
  ensure_sodium_initialized();
  // One round trip on this thread before the issuer is shared: it proves the secret works and
  // runs the lazy one-time set-up inside libjwt's dependencies (jansson's hash seed, OpenSSL's
  // HMAC provider) before verify() is called from many threads at once.
  const User probe{1, "startup-probe", 0, 0};
  if (!verify(issue(probe, "startup-probe", 0), 0)) throw std::runtime_error("libjwt: self-test failed");
}

std::string TokenIssuer::issue(const User& user, std::string_view session_id, TimeMs now) const {
  jwt_t* raw = nullptr;
  check(jwt_new(&raw), "jwt_new");
  JwtPtr jwt(raw);

  const long issued_at = static_cast<long>(now / 1000);
  const std::string user_id = std::to_string(user.id);
  const std::string sid(session_id);
  const std::string jti = random_hex(16);
  check(jwt_add_grant(jwt.get(), "sub", user_id.c_str()), "add sub");
  check(jwt_add_grant(jwt.get(), "name", user.username.c_str()), "add name");
  check(jwt_add_grant(jwt.get(), "sid", sid.c_str()), "add sid");
  check(jwt_add_grant(jwt.get(), "jti", jti.c_str()), "add jti");
  check(jwt_add_grant_int(jwt.get(), "iat", issued_at), "add iat");
  // Rounded up: `exp` is in whole seconds, and a token must never expire before the
  // `expires_in` its issuer announced (rounded down, a 1 s token could die at once).
  const TimeMs expires_ms = now + static_cast<TimeMs>(access_ttl_.count()) * 1000;
  check(jwt_add_grant_int(jwt.get(), "exp", static_cast<long>((expires_ms + 999) / 1000)), "add exp");
  check(jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret_.data()),
                    static_cast<int>(secret_.size())),
        "set alg");

  MallocString encoded(jwt_encode_str(jwt.get()));
  if (!encoded) throw std::runtime_error("libjwt: encode failed");
  return std::string(encoded.get());
}

std::optional<AccessClaims> TokenIssuer::verify(std::string_view token, TimeMs now) const {
  if (token.empty() || token.size() > kMaxTokenBytes) return std::nullopt;
  const std::string terminated(token);  // libjwt reads a C string
  if (terminated.find('\0') != std::string::npos) return std::nullopt;

  // With a key, jwt_decode fails unless the signature verifies for the algorithm the header
  // names. libjwt 1.10 refuses "none" when given a key, but it accepts HS384/HS512 (and would
  // try a PEM algorithm): the attacker picks the header. Hence the explicit check below: we
  // only ever sign HS256, so we only ever accept HS256, whatever a libjwt upgrade does.
  jwt_t* raw = nullptr;
  const int rc = jwt_decode(&raw, terminated.c_str(), reinterpret_cast<const unsigned char*>(secret_.data()),
                            static_cast<int>(secret_.size()));
  JwtPtr jwt(raw);
  if (rc != 0 || !jwt) return std::nullopt;
  if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) return std::nullopt;

  AccessClaims claims;
  const auto user_id = parse_user_id(jwt_get_grant(jwt.get(), "sub"));
  auto username = non_empty_claim(jwt.get(), "name");
  auto session_id = non_empty_claim(jwt.get(), "sid");
  if (!user_id || !username || !session_id) return std::nullopt;

  errno = 0;
  const long expires_s = jwt_get_grant_int(jwt.get(), "exp");             // 0 when absent or not an integer
  constexpr long kLatestExp = std::numeric_limits<TimeMs>::max() / 1000;  // keeps * 1000 from overflowing
  if (errno != 0 || expires_s <= 0 || expires_s > kLatestExp) return std::nullopt;

  claims.user_id = *user_id;
  claims.username = std::move(*username);
  claims.session_id = std::move(*session_id);
  claims.expires_at = static_cast<TimeMs>(expires_s) * 1000;
  if (now >= claims.expires_at) return std::nullopt;
  return claims;
}

}  // namespace parley
