// Parley's setup over REST, before any WebSocket opens (not measured): accounts, rooms and
// memberships. Blocking HTTP/1.1 keep-alive requests from a few threads; registration hashes a
// password per account (Argon2id), so it is the slow part and runs concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "options.hpp"

namespace parley::bench {

struct ParleyAccount {
  std::string username;
  std::string token;
};

struct ParleySetup {
  std::string tag;  // random per run: usernames and client_ids never clash with an earlier run
  std::vector<ParleyAccount> accounts;
  std::vector<std::int64_t> room_ids;  // by core room index
  int joins = 0;
  double seconds = 0;
  int account_of(int client, int clients) const {
    return static_cast<int>(static_cast<std::int64_t>(client) * static_cast<std::int64_t>(accounts.size()) / clients);
  }
};

// Throws std::runtime_error with the phase, progress and the server's answer on failure.
ParleySetup parley_setup(const Options& o, std::chrono::steady_clock::time_point deadline);

}  // namespace parley::bench
