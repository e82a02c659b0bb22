// How parley-cli fails: one line on stderr and an exit code that says what kind of failure it was.
#pragma once

#include <stdexcept>
#include <string>

namespace parley::cli {

// The exit codes (documented in tools/cli/README.md).
enum Exit : int {
  kOk = 0,
  kUsage = 1,        // bad arguments, or a local problem (a file that cannot be read or written)
  kUnreachable = 2,  // no answer from the server (down, wrong address, timeout, TLS failure)
  kAuth = 3,         // not logged in, wrong password, login expired or revoked
  kNotFound = 4,     // no such room/message/invite, or not allowed there (not a member, forbidden)
  kRefused = 5,      // the server refused the request (invalid input, name taken, too large, rate limited)
  kServerError = 6,  // the server failed (5xx) or answered something the CLI does not understand
};

// Thrown by any command; main() prints `parley-cli: <what()>` and exits with `code`.
class Failure : public std::runtime_error {
 public:
  Failure(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

}  // namespace parley::cli
