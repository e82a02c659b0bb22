// One WebSocket connection: its read loop, its bounded outbound queue and the frames of
// PROTOCOL.md's WebSocket section. Lives on one shard; every member runs on that thread.
#pragma once

#include <simdjson.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "app/services.hpp"
#include "bus/bus.hpp"
#include "net/stream.hpp"
#include "ws/shards.hpp"

namespace parley {

struct WsLogin {
  User user;
  std::string session_id;  // the login (JWT `sid`) this connection belongs to
};

class WsSession : public std::enable_shared_from_this<WsSession> {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  // bound_room: /ws/chat/{id} (visibility already checked); nullopt for /ws.
  WsSession(net::Stream stream, Services& services, Shard& shard, WsLogin login, std::optional<RoomId> bound_room,
            std::optional<Seq> since_seq);

  void start(Request request);

  // Shard thread only.
  void deliver(const BusEvent& event);
  void close(boost::beast::websocket::close_code code, std::string_view reason = {});
  void drop_room(RoomId room);
  UserId user_id() const { return login_.user.id; }
  const std::string& login_session() const { return login_.session_id; }

 private:
  using Object = simdjson::dom::object;

  void on_accept(boost::system::error_code ec);
  void read();
  void on_read(boost::system::error_code ec, std::size_t bytes);
  void handle_text(std::string_view text);
  void teardown();

  // Frame handlers; each answers problems with an error frame.
  void on_join(Object frame);
  void on_leave(Object frame);
  void on_message(Object frame);
  void on_typing(Object frame, bool start);
  void on_read_receipt(Object frame);
  void on_edit(Object frame);
  void on_delete(Object frame);
  void on_status(Object frame);

  void join(RoomId room, std::optional<Seq> since_seq);
  // The room id of a frame, or nullopt after sending the error frame.
  std::optional<RoomId> room_of(Object frame, std::string_view type);
  void refuse(const ApiError& error, std::string_view ref);
  void note_success() { refused_in_row_ = 0; }

  void send(std::shared_ptr<const std::string> frame);
  void send(std::string frame) { send(share(std::move(frame))); }
  void write_next();

  boost::beast::websocket::stream<net::Stream> ws_;
  boost::beast::flat_buffer buffer_;
  Services& services_;
  Shard& shard_;
  const WsLogin login_;
  std::optional<RoomId> bound_room_;
  std::optional<Seq> since_seq_;

  std::unordered_map<RoomId, Seq> rooms_;  // subscribed rooms -> highest seq delivered
  std::deque<std::shared_ptr<const std::string>> outbox_;
  bool writing_ = false;
  bool closing_ = false;
  bool torn_down_ = false;
  bool accepted_ = false;
  boost::beast::websocket::close_reason close_reason_;
  int refused_in_row_ = 0;
};

}  // namespace parley
