// chat ROOM: an interactive session. Shows the room's messages, who is typing, presence and
// membership changes, while the user types a line; sends typing indicators while they type.
//
// Input is read from stdin byte by byte in raw mode (a small line editor: printable text,
// Backspace, Ctrl-U; Enter sends; Ctrl-D on an empty line, Ctrl-C or /quit leave). Without a
// terminal, each line of stdin is sent as a message and end of input leaves.
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <optional>
#include <set>

#include "chat_screen.hpp"
#include "commands.hpp"
#include "failure.hpp"
#include "format.hpp"
#include "live.hpp"
#include "terminal.hpp"

namespace parley::cli {

namespace {

using Clock = std::chrono::steady_clock;

// typing_start is repeated while the user keeps typing (the server forgets it after 6 s), and
// typing_stop is sent after this long without a keystroke.
constexpr auto kTypingRepeat = std::chrono::seconds(3);
constexpr auto kTypingIdle = std::chrono::seconds(4);

std::string trimmed(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

std::string typing_status(const std::map<std::int64_t, std::string>& typists) {
  std::vector<std::string> names;
  for (const auto& [id, name] : typists) names.push_back(name);
  std::sort(names.begin(), names.end());
  if (names.empty()) return {};
  if (names.size() == 1) return names[0] + " is typing…";
  if (names.size() == 2) return names[0] + " and " + names[1] + " are typing…";
  return std::to_string(names.size()) + " people are typing…";
}

class ChatSession {
 public:
  ChatSession(Api& api, client::RoomId room, const RoomInfo& info, bool interactive)
      : room_(room),
        info_(info),
        base_(api.absolute_url("")),
        live_(api, room),
        screen_(interactive),
        interactive_(interactive),
        input_(live_.io, ::dup(STDIN_FILENO)),
        typing_idle_(live_.io),
        leave_deadline_(live_.io) {
    install_handlers();
  }

  int run(int last) {
    read_input();
    const client::Seq since = std::max<client::Seq>(0, info_.last_seq - last);
    return live_.run(since);
  }

 private:
  void install_handlers() {
    auto& h = live_.handlers;
    h.on_connected = [this](const client::Connected& c) {
      self_id_ = c.user.id;
      screen_.print(connected_once_ ? "* reconnected" : "* connected as " + c.user.username);
      connected_once_ = true;
    };
    h.on_disconnected = [this](const client::Disconnected& d) {
      typists_.clear();
      screen_.set_status({});
      screen_.print("* connection lost (" + d.reason + "), reconnecting…");
    };
    h.on_joined = [this](const client::Joined& j) {
      if (j.room_id != room_ || joined_once_) return;
      joined_once_ = true;
      screen_.print("* " + info_.label + ": " + std::to_string(j.members.size()) +
                    " members. Enter sends; /quit or Ctrl-D leaves.");
    };
    h.on_message = [this](const client::Message& m) {
      if (m.room_id != room_) return;
      screen_.print(message_line(m, false, base_));
      if (typists_.erase(m.sender_id) > 0) screen_.set_status(typing_status(typists_));
      // Our own line is done when it comes back (after its ack): leaving earlier would hide it.
      if (m.client_id && unconfirmed_.erase(*m.client_id) > 0) quit_when_sent();
    };
    h.on_typing = [this](const client::Typing& t) {
      if (t.room_id != room_ || t.sender_id == self_id_) return;
      if (t.typing) {
        typists_[t.sender_id] = printable(t.sender);
      } else {
        typists_.erase(t.sender_id);
      }
      screen_.set_status(typing_status(typists_));
    };
    h.on_presence = [this](const client::Presence& p) {
      if ((p.room_id && *p.room_id != room_) || p.user_id == self_id_) return;
      screen_.print("* " + printable(p.username) + " is " + printable(p.status));
      if (p.status == "offline" && typists_.erase(p.user_id) > 0) screen_.set_status(typing_status(typists_));
    };
    h.on_member = [this](const client::MemberChange& c) {
      if (c.room_id != room_ || c.user.id == self_id_) return;
      screen_.print("* " + printable(c.user.username) + (c.joined ? " joined the room" : " left the room"));
    };
    h.on_error = [this](const client::Error& e) {
      if (live_.fail_on(e)) return;
      // An error frame's ref is the client_id of a refused line, or the type of another frame.
      const bool line_refused = unconfirmed_.erase(e.ref) > 0;
      screen_.print((line_refused ? "* not sent: " : "* error: ") + printable(e.message));
      quit_when_sent();
    };
  }

  // ---- input

  void read_input() {
    input_.async_read_some(boost::asio::buffer(buffer_), [this](boost::system::error_code ec, std::size_t n) {
      if (ec) return leave();  // end of input (or stdin gone)
      for (std::size_t i = 0; i < n && !leaving_; ++i) interactive_ ? key(buffer_[i]) : line_byte(buffer_[i]);
      if (!leaving_) read_input();
    });
  }

  void line_byte(char c) {
    if (c == '\n') return submit();
    if (c != '\r') line_ += c;
  }

  void key(char c) {
    const auto byte = static_cast<unsigned char>(c);
    if (escape_ > 0) {  // skip escape sequences (arrows, function keys): ESC [ ... final byte
      if (escape_ == 1 && (c == '[' || c == 'O')) {
        escape_ = 2;
      } else if (escape_ == 1 || (byte >= 0x40 && byte <= 0x7e)) {
        escape_ = 0;
      }
      return;
    }
    switch (byte) {
      case 0x03:  // Ctrl-C (raw mode: a key, not a signal)
        return leave();
      case 0x04:  // Ctrl-D: leaves on an empty line, like a shell
        if (line_.empty()) leave();
        return;
      case '\r':
      case '\n':
        return submit();
      case 0x7f:
      case 0x08:  // Backspace: one UTF-8 character
        while (!line_.empty() && (static_cast<unsigned char>(line_.back()) & 0xC0) == 0x80) line_.pop_back();
        if (!line_.empty()) line_.pop_back();
        break;
      case 0x15:  // Ctrl-U
        line_.clear();
        break;
      case 0x1b:
        escape_ = 1;
        return;
      default:
        if (byte < 0x20) return;
        line_ += c;
        typed();
    }
    screen_.set_input(line_);
    if (line_.empty()) stop_typing();
  }

  void submit() {
    std::string text = std::move(line_);
    line_.clear();
    screen_.set_input(line_);
    const std::string command = trimmed(text);
    if (command.empty()) return stop_typing();
    if (command == "/quit") return leave();
    if (command.starts_with('/') && !command.starts_with("//")) {
      screen_.print("* unknown command " + command + " (there is /quit)");
      return;
    }
    unconfirmed_.insert(live_.client().send(room_, command.starts_with("//") ? command.substr(1) : text));
    typing_ = false;  // the server ends our typing indicator when the message arrives
    typing_idle_.cancel();
  }

  // ---- typing indicators

  void typed() {
    const auto now = Clock::now();
    if (!typing_ || now - typing_sent_ >= kTypingRepeat) {
      live_.client().typing(room_, true);
      typing_ = true;
      typing_sent_ = now;
    }
    typing_idle_.expires_after(kTypingIdle);
    typing_idle_.async_wait([this](boost::system::error_code ec) {
      if (!ec) stop_typing();
    });
  }

  void stop_typing() {
    if (!typing_) return;
    typing_ = false;
    typing_idle_.cancel();
    live_.client().typing(room_, false);
  }

  // ---- leaving: once every sent line is stored and shown (or at the quit deadline)

  void leave() {
    if (leaving_) return;
    leaving_ = true;
    stop_typing();
    input_.cancel();
    // Lines sent while the connection was down wait in the client's queue; give them a moment.
    leave_deadline_.expires_after(std::chrono::seconds(5));
    leave_deadline_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      screen_.print("* " + std::to_string(unconfirmed_.size()) + " message(s) not confirmed by the server");
      live_.quit();
    });
    quit_when_sent();
  }

  void quit_when_sent() {
    if (leaving_ && unconfirmed_.empty()) live_.quit();
  }

  client::RoomId room_;
  RoomInfo info_;
  std::string base_;
  LiveSession live_;
  ChatScreen screen_;
  bool interactive_;
  boost::asio::posix::stream_descriptor input_;
  boost::asio::steady_timer typing_idle_;
  boost::asio::steady_timer leave_deadline_;
  std::array<char, 512> buffer_{};

  std::string line_;
  int escape_ = 0;
  bool typing_ = false;
  Clock::time_point typing_sent_;
  std::int64_t self_id_ = 0;
  bool connected_once_ = false;
  bool joined_once_ = false;
  bool leaving_ = false;
  std::map<std::int64_t, std::string> typists_;
  std::set<std::string> unconfirmed_;  // client_ids of lines sent and not yet echoed or refused
};

}  // namespace

int run_chat(const Args& args) {
  Api api(args.global);
  const auto room = api.room_id(args.room);
  const RoomInfo info = require_membership(api, room);
  const bool interactive = is_terminal(STDIN_FILENO) && is_terminal(STDOUT_FILENO);
  std::optional<TerminalMode> raw;  // restored on every way out, exceptions included
  if (interactive) raw.emplace(TerminalMode::Kind::raw);
  ChatSession session(api, room, info, interactive);
  return session.run(args.last);
}

}  // namespace parley::cli
