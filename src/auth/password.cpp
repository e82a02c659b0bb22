#include "auth/password.hpp"

#include <sodium.h>

#include <stdexcept>

#include "auth/sodium.hpp"

namespace parley {

PasswordHasher::PasswordHasher(HashCost cost) : cost_(cost) {
  ensure_sodium_initialized();
  if (cost == HashCost::interactive) {
    opslimit_ = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
    memlimit_ = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
  } else {
    opslimit_ = crypto_pwhash_argon2id_OPSLIMIT_MIN;
    memlimit_ = crypto_pwhash_argon2id_MEMLIMIT_MIN;
  }
}

std::string PasswordHasher::hash(std::string_view password) const {
  char out[crypto_pwhash_STRBYTES];
  // Argon2id named explicitly rather than crypto_pwhash_str's "current default", so a
  // libsodium upgrade cannot silently change what we store.
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), opslimit_, memlimit_,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("password hashing failed (out of memory)");
  }
  return std::string(out);
}

bool PasswordHasher::verify(std::string_view password, std::string_view stored_hash) const {
  // libsodium wants a NUL-terminated string that fits crypto_pwhash_STRBYTES.
  char encoded[crypto_pwhash_STRBYTES] = {};
  if (stored_hash.empty() || stored_hash.size() >= sizeof encoded) return false;
  stored_hash.copy(encoded, stored_hash.size());
  return crypto_pwhash_str_verify(encoded, password.data(), password.size()) == 0;
}

}  // namespace parley
