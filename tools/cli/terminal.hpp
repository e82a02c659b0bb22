// The terminal: is it one, reading a password without echo, and raw input for `chat`.
#pragma once

#include <string>

namespace parley::cli {

bool is_terminal(int fd);
int terminal_columns();  // of stdout, 80 when unknown

// Changes the settings of the terminal on stdin and restores them when destroyed, and also when
// the process is killed by SIGINT, SIGTERM, SIGHUP or SIGQUIT meanwhile (a signal handler restores
// them and re-raises), so the user's shell never inherits a terminal without echo.
class TerminalMode {
 public:
  enum class Kind {
    no_echo,  // line input without echo (passwords)
    raw,      // byte-at-a-time input without echo and without signal keys (chat); output unchanged
  };
  explicit TerminalMode(Kind kind);
  ~TerminalMode();
  TerminalMode(const TerminalMode&) = delete;
  TerminalMode& operator=(const TerminalMode&) = delete;
};

// Asks on stderr and reads one line from the terminal on stdin without echo.
std::string read_password(const std::string& prompt);

// One line from stdin (for --password-stdin), without the line end.
std::string read_line_from_stdin();

}  // namespace parley::cli
