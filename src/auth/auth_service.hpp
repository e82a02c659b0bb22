// Registration, login and the refresh-token rotation of PROTOCOL.md (Auth).
//
// A login is a session: one random session_id shared by the access tokens (claim `sid`) and
// every refresh token rotated from that login. Refresh tokens are 32 random bytes, base64url
// without padding, and only their SHA-256 (hex) is stored. Each works once; presenting a used
// one means it was copied, so the whole session is revoked (RFC 6819 / OAuth 2.0 Security
// BCP "refresh token rotation"). Access tokens already issued stay valid until they expire.
//
// Thread-safe: no mutable state of its own; Store, TokenIssuer and PasswordHasher are.
// Password hashing makes register_user and login slow on purpose (see password.hpp): call them
// off the network threads. Every operation takes `now` so tests control time; store failures
// propagate as exceptions (the transport answers 500).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "auth/jwt.hpp"
#include "auth/password.hpp"
#include "core/result.hpp"
#include "core/types.hpp"
#include "store/store.hpp"

namespace parley {

struct AuthSettings {
  // Lifetime of each refresh token from the moment it is issued; every rotation starts a new
  // period, so a login lasts as long as it is used at least this often.
  std::chrono::seconds refresh_ttl = std::chrono::hours(24 * 30);

  // Called after a login session was revoked (logout, or a refresh token used twice), on the
  // thread that revoked it. The server closes that session's WebSocket connections with 1008
  // (their access tokens carry the id as `sid`). Two racing replays of one token may both
  // report the same session, so closing must be idempotent. Must not throw.
  std::function<void(const std::string& session_id)> on_session_revoked;
};

// What register, login and refresh hand out; the REST layer turns it into
// {"access_token","refresh_token","token_type":"Bearer","expires_in","user"}.
struct AuthGrant {
  User user;
  std::string access_token;
  std::string refresh_token;
  std::int64_t expires_in_s = 0;  // access token lifetime
  std::string session_id;
};

class AuthService {
 public:
  // Keeps references: store, issuer and hasher must outlive the service. Computes one dummy
  // password hash up front (see login).
  AuthService(Store& store, const TokenIssuer& issuer, const PasswordHasher& hasher, AuthSettings settings = {});

  // 400 bad_request naming the broken rule (credential_rules.hpp); 409 conflict when the name
  // is taken, compared case-insensitively. Success starts a new session.
  Result<AuthGrant> register_user(std::string_view username, std::string_view password, TimeMs now);

  // 401 for an unknown user and for a wrong password alike, in about the same time: an unknown
  // user's password is checked against a dummy hash so timing does not reveal which names exist.
  // Inputs no registration could have produced (bad username, password outside 8-1024 bytes) are
  // refused with the same 401 at once: that reveals nothing about which users exist.
  // Success starts a new session.
  Result<AuthGrant> login(std::string_view username, std::string_view password, TimeMs now);

  // Rotation: a valid token is consumed and a new access + refresh token pair is issued in the
  // same session. 401 for an unknown, expired or revoked token. A token that was already used
  // (or is consumed by a concurrent call in the same instant) revokes the whole session,
  // fires on_session_revoked and answers 401.
  Result<AuthGrant> refresh(std::string_view refresh_token, TimeMs now);

  // Revokes the session the refresh token belongs to and fires on_session_revoked.
  // Always succeeds (the REST layer answers 204): an unknown, expired or already revoked token
  // leaves nothing to log out of, and an error would only tell a client that its token was
  // stale, which helps nobody. Logout is idempotent.
  void logout(std::string_view refresh_token);

  // Verifies the access token only (signature, HS256, expiry): a revoked session does not
  // invalidate access tokens already issued, per PROTOCOL.md; they are short-lived.
  // 401 unauthorized otherwise.
  Result<AccessClaims> authenticate(std::string_view access_token, TimeMs now) const;

 private:
  AuthGrant start_session(const User& user, TimeMs now);
  AuthGrant issue_grant(const User& user, const std::string& session_id, TimeMs now);
  void revoke(const std::string& session_id);

  Store& store_;
  const TokenIssuer& issuer_;
  const PasswordHasher& hasher_;
  const AuthSettings settings_;
  const std::string dummy_hash_;
};

}  // namespace parley
