// The stored login: $XDG_CONFIG_HOME/parley/credentials.json (default ~/.config/parley/...).
//
// The file holds the server URL, the username and both tokens. It is created with mode 0600 in a
// directory created with mode 0700, and replaced atomically (a 0600 temp file renamed over it), so
// a refreshed token is never half-written and never readable by others, not even for a moment.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace parley::cli {

struct Credentials {
  std::string server;  // as given to `login --server`, e.g. http://127.0.0.1:8080
  std::string username;
  std::string access_token;
  std::string refresh_token;
};

std::filesystem::path credentials_path();

// nullopt when there is no file; throws Failure(kUsage) when it cannot be read or parsed.
std::optional<Credentials> load_credentials();
// Throws Failure(kUsage) when the file cannot be written.
void save_credentials(const Credentials& credentials);
// Returns false when there was nothing to remove.
bool remove_credentials();

}  // namespace parley::cli
