// Access tokens: HS256 JWTs signed with the server's secret (see secret.hpp).
//
// Claims: sub = user id (decimal string), name = username, sid = login session id (shared by
// every token rotated from one login, so a revoked login's connections can be found),
// iat / exp = seconds since the epoch, jti = random id.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/types.hpp"

namespace parley {

struct AccessClaims {
  UserId user_id = 0;
  std::string username;
  std::string session_id;
  TimeMs expires_at = 0;  // exp, in milliseconds

  // The acting user as far as the token says (no last_seen: that is the store's).
  User user() const { return User{user_id, username, 0, 0}; }
};

class TokenIssuer {
 public:
  // The secret must be at least 32 bytes (RFC 7518: an HS256 key no shorter than the hash),
  // else std::invalid_argument. access_ttl must be positive.
  TokenIssuer(std::string secret, std::chrono::seconds access_ttl);

  // A signed token valid from `now` for access_ttl(). Throws std::runtime_error if libjwt fails
  // (out of memory).
  std::string issue(const User& user, std::string_view session_id, TimeMs now) const;

  // The claims when the signature is valid for our secret, the header says exactly HS256
  // ("none", other HMAC sizes and public-key algorithms are refused), every claim is present
  // and well-formed, and now < exp. nullopt otherwise, whatever the reason: callers answer 401.
  // Safe to call concurrently from any number of threads (no shared mutable state).
  std::optional<AccessClaims> verify(std::string_view token, TimeMs now) const;

  std::chrono::seconds access_ttl() const { return access_ttl_; }

 private:
  std::string secret_;
  std::chrono::seconds access_ttl_;
};

}  // namespace parley
