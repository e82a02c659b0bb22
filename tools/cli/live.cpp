#include "live.hpp"

#include <csignal>
#include <iostream>

#include "format.hpp"

namespace parley::cli {

RoomInfo require_membership(Api& api, client::RoomId room) {
  const auto info = api.call("GET", "/api/rooms/" + std::to_string(room));
  if (!bool_of(info, "joined")) {
    throw Failure(kNotFound,
                  "not a member of " + room_label(info) + ": `parley-cli join " + std::to_string(room) + "` first");
  }
  return RoomInfo{room_label(info), int_of(info, "last_seq")};
}

LiveSession::LiveSession(Api& api, client::RoomId room)
    : api_(api), room_(room), signals_(io, SIGINT, SIGTERM, SIGHUP), quit_deadline_(io) {}

LiveSession::~LiveSession() = default;

int LiveSession::run(std::optional<client::Seq> since_seq) {
  client::Handlers h = handlers;
  h.on_tokens = [this](const client::Tokens& tokens) {
    try {
      api_.store_tokens(tokens);
    } catch (const Failure& f) {
      fail(kUsage, std::string("cannot keep the refreshed login: ") + f.what());
    }
  };
  h.on_connected = [this, user = handlers.on_connected](const client::Connected& c) {
    connected_ = true;
    if (user) user(c);
  };
  h.on_disconnected = [this, user = handlers.on_disconnected](const client::Disconnected& d) {
    connected_ = false;
    if (quitting_) return io.stop();
    if (user) user(d);
  };
  client::ClientOptions options = api_.client_options();
  options.max_reconnect_attempts = 8;  // about two minutes of backoff, then exit 2
  client_ = std::make_unique<client::Client>(io, options, h);
  client_->join(room_, since_seq);
  client_->start();
  signals_.async_wait([this](boost::system::error_code ec, int) {
    if (!ec) quit();
  });
  io.run();
  if (failure_) throw *failure_;
  return kOk;
}

void LiveSession::quit() {
  if (quitting_) return;
  quitting_ = true;
  signals_.cancel();
  if (!connected_) return io.stop();
  client_->close();  // on_disconnected{1000} stops the loop once the close handshake is done
  quit_deadline_.expires_after(std::chrono::seconds(3));
  quit_deadline_.async_wait([this](boost::system::error_code ec) {
    if (!ec) io.stop();
  });
}

void LiveSession::fail(int code, std::string message) {
  if (!failure_) failure_.emplace(code, std::move(message));
  io.stop();
}

bool LiveSession::fail_on(const client::Error& e) {
  if (e.code == "auth_failed") {
    fail(kAuth, "the stored login was rejected (" + e.message + "): run `parley-cli login` again");
  } else if (e.code == "reconnect_failed") {
    fail(kUnreachable, "lost the server at " + api_.credentials().server + ": " + e.message);
  } else if (e.ref == "join" && (e.code == "not_found" || e.code == "forbidden")) {
    fail(kNotFound, e.message);
  } else {
    return false;
  }
  return true;
}

}  // namespace parley::cli
