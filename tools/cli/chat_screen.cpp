#include "chat_screen.hpp"

#include <iostream>

#include "terminal.hpp"

namespace parley::cli {

namespace {

constexpr const char* kPrompt = "> ";

std::size_t code_points(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// The end of `s` that fits in `columns` code points (a long input scrolls left, and never wraps:
// a wrapped line could not be erased with one line's escape codes).
std::string tail_fitting(const std::string& s, std::size_t columns) {
  std::size_t excess = code_points(s) > columns ? code_points(s) - columns : 0;
  std::size_t i = 0;
  while (i < s.size() && excess > 0) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
    --excess;
  }
  return s.substr(i);
}

}  // namespace

ChatScreen::ChatScreen(bool interactive) : interactive_(interactive) {
  draw_footer();
}

ChatScreen::~ChatScreen() {
  if (!interactive_) return;
  erase_footer();
  std::cout << std::flush;
}

void ChatScreen::print(const std::string& line) {
  erase_footer();
  std::cout << line << "\n";
  draw_footer();
}

void ChatScreen::set_status(const std::string& status) {
  if (status == status_) return;
  if (!interactive_) {
    if (!status.empty()) std::cout << "* " << status << "\n" << std::flush;
    status_ = status;
    return;
  }
  erase_footer();
  status_ = status;
  draw_footer();
}

void ChatScreen::set_input(const std::string& input) {
  if (!interactive_ || input == input_) return;
  erase_footer();
  input_ = input;
  draw_footer();
}

void ChatScreen::erase_footer() {
  if (!interactive_ || !footer_drawn_) return;
  std::cout << "\r" << (status_drawn_ ? "\033[1A" : "") << "\033[J";  // to the footer's start, clear below
  footer_drawn_ = status_drawn_ = false;
}

void ChatScreen::draw_footer() {
  if (!interactive_) {
    std::cout << std::flush;
    return;
  }
  const int columns = terminal_columns();
  if (!status_.empty()) {
    std::cout << "\033[2m" << tail_fitting(status_, static_cast<std::size_t>(columns - 1)) << "\033[0m\n";
    status_drawn_ = true;
  }
  const std::size_t room = columns > 4 ? static_cast<std::size_t>(columns) - 3 : 1;
  std::cout << kPrompt << tail_fitting(input_, room) << std::flush;
  footer_drawn_ = true;
}

}  // namespace parley::cli
