#include "auth/auth_service.hpp"

#include "auth/credential_rules.hpp"
#include "auth/sodium.hpp"

namespace parley {

namespace {

constexpr std::size_t kRefreshTokenBytes = 32;  // 256 bits: unguessable, stored only hashed
constexpr std::size_t kSessionIdBytes = 16;     // 128 bits
// Ours are 43 characters; anything much longer is not one of ours and is not worth hashing.
constexpr std::size_t kMaxRefreshTokenChars = 256;

constexpr std::int64_t to_ms(std::chrono::seconds s) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(s).count();
}

bool plausible_refresh_token(std::string_view token) {
  return !token.empty() && token.size() <= kMaxRefreshTokenChars;
}

ApiError bad_credentials() {
  return ApiError::unauthorized("invalid username or password");
}
ApiError bad_refresh_token() {
  return ApiError::unauthorized("invalid or expired refresh token");
}

}  // namespace

AuthService::AuthService(Store& store, const TokenIssuer& issuer, const PasswordHasher& hasher, AuthSettings settings)
    : store_(store),
      issuer_(issuer),
      hasher_(hasher),
      settings_(std::move(settings)),
      // Same cost as real hashes, so verifying against it takes as long as a real check.
      dummy_hash_(hasher.hash(random_hex(16))) {}

Result<AuthGrant> AuthService::register_user(std::string_view username, std::string_view password, TimeMs now) {
  if (auto problem = username_problem(username)) return ApiError::bad_request(*problem);
  if (auto problem = password_problem(password)) return ApiError::bad_request(*problem);

  // Cheap early answer that spares the expensive hash; create_user below still decides races.
  // (It reveals nothing that the 409 would not reveal anyway.)
  if (store_.find_user_by_name(username)) return ApiError::conflict("username is already taken");

  const std::string password_hash = hasher_.hash(password);
  const auto user = store_.create_user(username, password_hash, now);
  if (!user) return ApiError::conflict("username is already taken");
  return start_session(*user, now);
}

Result<AuthGrant> AuthService::login(std::string_view username, std::string_view password, TimeMs now) {
  if (username_problem(username) || password_problem(password)) return bad_credentials();

  const auto credentials = store_.find_credentials(username);
  if (!credentials) {
    (void)hasher_.verify(password, dummy_hash_);  // spend the time a real check would take
    return bad_credentials();
  }
  if (!hasher_.verify(password, credentials->password_hash)) return bad_credentials();
  return start_session(credentials->user, now);
}

Result<AuthGrant> AuthService::refresh(std::string_view refresh_token, TimeMs now) {
  if (!plausible_refresh_token(refresh_token)) return bad_refresh_token();
  const std::string token_hash = sha256_hex(refresh_token);

  const auto record = store_.find_refresh_token(token_hash);
  if (!record || record->session_revoked) return bad_refresh_token();
  // Reuse is checked before expiry: a replayed token is evidence of theft however old it is.
  if (record->used) {
    revoke(record->session_id);
    return bad_refresh_token();
  }
  if (now >= record->expires_at) return bad_refresh_token();
  if (!store_.consume_refresh_token(token_hash)) {
    // Someone consumed it between our read and now: two parties hold this token.
    revoke(record->session_id);
    return bad_refresh_token();
  }

  const auto user = store_.find_user(record->user_id);
  if (!user) return bad_refresh_token();
  AuthGrant grant = issue_grant(*user, record->session_id, now);

  // A concurrent replay may have revoked the session after our consume but before our insert.
  // The Store contract does not promise that revoking covers rows inserted later, so look again
  // and make sure the new token dies with its session (the replaying call already notified).
  const auto after = store_.find_refresh_token(token_hash);
  if (!after || after->session_revoked) {
    store_.revoke_session(record->session_id);
    return bad_refresh_token();
  }
  return grant;
}

void AuthService::logout(std::string_view refresh_token) {
  if (!plausible_refresh_token(refresh_token)) return;
  const auto record = store_.find_refresh_token(sha256_hex(refresh_token));
  if (!record || record->session_revoked) return;
  revoke(record->session_id);
}

Result<AccessClaims> AuthService::authenticate(std::string_view access_token, TimeMs now) const {
  auto claims = issuer_.verify(access_token, now);
  if (!claims) return ApiError::unauthorized();
  return *std::move(claims);
}

AuthGrant AuthService::start_session(const User& user, TimeMs now) {
  return issue_grant(user, random_hex(kSessionIdBytes), now);
}

AuthGrant AuthService::issue_grant(const User& user, const std::string& session_id, TimeMs now) {
  AuthGrant grant;
  grant.user = user;
  grant.session_id = session_id;
  grant.refresh_token = random_base64url(kRefreshTokenBytes);
  grant.access_token = issuer_.issue(user, session_id, now);
  grant.expires_in_s = issuer_.access_ttl().count();

  RefreshToken record;
  record.token_hash = sha256_hex(grant.refresh_token);
  record.session_id = session_id;
  record.user_id = user.id;
  record.expires_at = now + to_ms(settings_.refresh_ttl);
  store_.insert_refresh_token(record);
  return grant;
}

void AuthService::revoke(const std::string& session_id) {
  store_.revoke_session(session_id);
  if (settings_.on_session_revoked) settings_.on_session_revoked(session_id);
}

}  // namespace parley
