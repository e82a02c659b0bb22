// The screen of `chat`: event lines scroll up, and below them sit a status line (who is typing)
// and the input line. Every event erases that footer, prints its line and draws the footer again,
// so incoming messages never mix with what the user is typing.
#pragma once

#include <string>

namespace parley::cli {

class ChatScreen {
 public:
  // Not interactive (stdin or stdout is not a terminal): plain lines, statuses as lines too.
  explicit ChatScreen(bool interactive);
  ~ChatScreen();  // leaves the cursor on a fresh line

  void print(const std::string& line);
  void set_status(const std::string& status);  // empty: no status line
  void set_input(const std::string& input);

 private:
  void erase_footer();
  void draw_footer();

  bool interactive_;
  std::string status_;
  std::string input_;
  bool footer_drawn_ = false;
  bool status_drawn_ = false;
};

}  // namespace parley::cli
