// What `tail` and `chat` share: a Client (WebSocket) following one room, with the stored login,
// refreshed tokens written back, a clean close (code 1000) on quit, Ctrl-C or SIGTERM, and fatal
// client errors turned into Failures.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>
#include <string>

#include "api.hpp"
#include "failure.hpp"
#include "parley/client.hpp"

namespace parley::cli {

struct RoomInfo {
  std::string label;  // "#3 general"
  client::Seq last_seq = 0;
};

// The room, when the user is a member of it; else throws Failure(kNotFound). (Following a public
// room over the WebSocket would silently make the user a member.)
RoomInfo require_membership(Api& api, client::RoomId room);

class LiveSession {
 public:
  LiveSession(Api& api, client::RoomId room);
  ~LiveSession();

  // The command's handlers; run() adds token persistence and the close logic around them.
  client::Handlers handlers;
  boost::asio::io_context io;

  // Connects, follows the room (replaying after `since_seq` if given) and runs until quit() or a
  // failure. Returns kOk after quit(); throws the Failure otherwise.
  int run(std::optional<client::Seq> since_seq);

  void quit();  // close with 1000, then return from run()
  void fail(int code, std::string message);
  // fail()s for the client errors that end the session (rejected login, server gone for good, room
  // refused); false for the others, which the command reports as it likes.
  bool fail_on(const client::Error& error);

  client::Client& client() { return *client_; }

 private:
  Api& api_;
  client::RoomId room_;
  std::unique_ptr<client::Client> client_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer quit_deadline_;
  bool connected_ = false;
  bool quitting_ = false;
  std::optional<Failure> failure_;
};

}  // namespace parley::cli
