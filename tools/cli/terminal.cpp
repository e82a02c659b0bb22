#include "terminal.hpp"

#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <iostream>

#include "failure.hpp"

namespace parley::cli {

namespace {

// What the signal handler restores: written before the handlers are installed, read only by them.
struct termios g_saved;
volatile sig_atomic_t g_active = 0;
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
struct sigaction g_previous[4];

extern "C" void restore_and_reraise(int sig) {
  if (g_active) ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved);  // async-signal-safe
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

}  // namespace

bool is_terminal(int fd) {
  return ::isatty(fd) == 1;
}

int terminal_columns() {
  struct winsize ws {};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

TerminalMode::TerminalMode(Kind kind) {
  if (::tcgetattr(STDIN_FILENO, &g_saved) != 0) throw Failure(kUsage, "stdin is not a terminal");
  struct sigaction sa {};
  sa.sa_handler = restore_and_reraise;
  sigemptyset(&sa.sa_mask);
  for (int i = 0; i < 4; ++i) ::sigaction(kSignals[i], &sa, &g_previous[i]);
  g_active = 1;
  struct termios changed = g_saved;
  changed.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  if (kind == Kind::raw) {
    changed.c_lflag &= ~static_cast<tcflag_t>(ICANON | ISIG | IEXTEN);
    changed.c_iflag &= ~static_cast<tcflag_t>(IXON | ICRNL);
    changed.c_cc[VMIN] = 1;
    changed.c_cc[VTIME] = 0;
  }
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &changed);
}

TerminalMode::~TerminalMode() {
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved);
  g_active = 0;
  for (int i = 0; i < 4; ++i) ::sigaction(kSignals[i], &g_previous[i], nullptr);
}

std::string read_password(const std::string& prompt) {
  std::cerr << prompt << std::flush;
  std::string line;
  {
    TerminalMode no_echo(TerminalMode::Kind::no_echo);
    if (!std::getline(std::cin, line)) line.clear();
  }
  std::cerr << "\n";
  return line;
}

std::string read_line_from_stdin() {
  std::string line;
  std::getline(std::cin, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace parley::cli
