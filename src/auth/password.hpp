// Password hashing: Argon2id through libsodium. Only the encoded hash string (algorithm,
// parameters, salt and digest together) is ever stored, never the password.
//
// Hashing is deliberately slow and memory-hungry (interactive cost: ~64 MiB and tens of
// milliseconds per call): run it off the network threads and bound how many run at once.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace parley {

enum class HashCost {
  interactive,  // libsodium's OPSLIMIT/MEMLIMIT_INTERACTIVE: the production default
  minimum,      // libsodium's MIN limits: only for test suites that register many users
};

class PasswordHasher {
 public:
  explicit PasswordHasher(HashCost cost = HashCost::interactive);

  // Argon2id hash string with a fresh random salt. Throws std::runtime_error when libsodium
  // cannot allocate the memory the cost asks for.
  std::string hash(std::string_view password) const;

  // True when `password` matches `stored_hash`. The cost is read from the hash itself, so
  // hashes made at another cost still verify. A malformed hash is simply false.
  bool verify(std::string_view password, std::string_view stored_hash) const;

  HashCost cost() const { return cost_; }

 private:
  HashCost cost_;
  unsigned long long opslimit_;
  std::size_t memlimit_;
};

}  // namespace parley
