// One WebSocket connection: its read loop, its bounded outbound queue and the frames of
// PROTOCOL.md's WebSocket section. Lives on one shard; every member runs on that thread.
//
// The WebSocket protocol itself (ws/frame.hpp) is handled here rather than by Beast, so that
//   - frames queued while a write is in flight, or during one pass of the shard's event loop,
//     leave in one gathered write (Shard::schedule_flush), not one system call each;
//   - an idle connection holds only a small read buffer and no timer: the shard's heartbeat
//     sweep (check_liveness) pings the quiet ones and drops the dead ones.
#pragma once

#include <simdjson.h>

#include <boost/asio/buffer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/services.hpp"
#include "bus/bus.hpp"
#include "net/stream.hpp"
#include "ws/followed_rooms.hpp"
#include "ws/frame.hpp"
#include "ws/shards.hpp"

namespace parley {

struct WsLogin {
  User user;
  std::string session_id;  // the login (JWT `sid`) this connection belongs to
};

class WsSession : public std::enable_shared_from_this<WsSession> {
 public:
  using Clock = std::chrono::steady_clock;

  // The upgrade request was checked (ws::check_upgrade) and the user authenticated.
  // bound_room: /ws/chat/{id} (visibility already checked); nullopt for /ws. early_bytes: what
  // the client sent after its upgrade request, already read by the HTTP session.
  WsSession(net::Stream stream, Services& services, Shard& shard, WsLogin login, std::optional<RoomId> bound_room,
            std::optional<Seq> since_seq, std::string early_bytes);

  // Sends the 101 response for `key` (the request's Sec-WebSocket-Key), then `hello`.
  void start(std::string_view key);

  // Shard thread only.
  void deliver(const BusEvent& event);
  void close(ws::CloseCode code, std::string_view reason = {});
  void drop_room(RoomId room);
  void flush();  // writes everything queued (called by the shard, see Shard::schedule_flush)
  // Heartbeat: pings a connection quiet for heartbeat_s, drops one quiet for twice that, and
  // one whose closing handshake is overdue.
  void check_liveness(Clock::time_point now);
  UserId user_id() const { return login_.user.id; }
  const std::string& login_session() const { return login_.session_id; }

 private:
  using Object = simdjson::dom::object;

  // ---- transport (ws_transport.cpp)
  struct Outgoing {
    std::shared_ptr<const std::string> payload;
    std::uint8_t header[ws::kMaxHeaderBytes] = {};
    std::uint8_t header_size = 0;  // 0: raw bytes (the 101 response)
  };
  void read();
  void on_read(boost::system::error_code ec, std::size_t bytes);
  bool handle_frame(const ws::FrameEvent& event);  // false: stop reading
  void on_peer_close(const ws::FrameEvent& event);
  void queue(ws::Opcode opcode, std::shared_ptr<const std::string> payload);
  // Sends what it can of gather_ now, dropping it from gather_; false after a socket error.
  bool write_without_blocking();
  void on_written(boost::system::error_code ec);
  void finish();    // the connection is over: teardown and close the socket
  void teardown();  // leaves rooms and the shard, reports presence; once

  // ---- frames (ws_session.cpp)
  void handle_text(std::string_view text);
  void on_join(Object frame);
  void on_leave(Object frame);
  void on_message(Object frame);
  void on_typing(Object frame, bool start);
  void on_read_receipt(Object frame);
  void on_edit(Object frame);
  void on_delete(Object frame);
  void on_status(Object frame);
  static bool is_call_frame(std::string_view type);
  void on_call(Object frame, std::string_view type);  // ws_calls.cpp

  void join(RoomId room, std::optional<Seq> since_seq);
  // The room id of a frame, or nullopt after sending the error frame.
  std::optional<RoomId> room_of(Object frame, std::string_view type);
  void refuse(const ApiError& error, std::string_view ref);
  void note_success() { refused_in_row_ = 0; }

  void send(std::shared_ptr<const std::string> frame);
  void send(std::string frame) { send(share(std::move(frame))); }

  net::Stream stream_;
  Services& services_;
  Shard& shard_;
  const WsLogin login_;
  std::optional<RoomId> bound_room_;
  std::optional<Seq> since_seq_;
  FollowedRooms rooms_;

  // Inbound: in_[0, in_size_) holds received bytes not yet parsed.
  ws::FrameReader reader_;
  std::vector<char> in_;
  std::size_t in_size_ = 0;
  Clock::time_point last_received_;
  bool ping_outstanding_ = false;  // a heartbeat ping went out since the last received bytes

  // Outbound: outbox_ waits for the next write; in_flight_ is being written through gather_.
  std::vector<Outgoing> outbox_;
  std::vector<Outgoing> in_flight_;
  std::vector<boost::asio::const_buffer> gather_;
  bool writing_ = false;
  bool flush_scheduled_ = false;

  // Closing handshake: closing_ once our close frame is queued (nothing else is sent after
  // it); close_written_ once it left; peer_closed_ once the client's close frame arrived.
  bool closing_ = false;
  bool close_written_ = false;
  bool peer_closed_ = false;
  bool reading_stopped_ = false;  // after a protocol error: nothing more is read
  Clock::time_point close_deadline_;
  bool torn_down_ = false;
  int refused_in_row_ = 0;
};

}  // namespace parley
