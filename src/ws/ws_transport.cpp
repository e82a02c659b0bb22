// WsSession's transport: the WebSocket protocol over one net::Stream (see ws_session.hpp for
// why it is not Beast's). Every function runs on the session's shard thread.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <span>

#include "ws/handshake.hpp"
#include "ws/ws_session.hpp"

namespace parley {

namespace {

// Idle connections keep this much read buffer; a larger message grows it for as long as it
// takes to arrive. Client frames are typically a few hundred bytes.
constexpr std::size_t kReadBufferBytes = 512;
// Outbound vectors that grew past this during a burst are released once the connection is idle.
constexpr std::size_t kKeptOutboundCapacity = 4;
// Once our close frame is queued, it has this long to leave and the client to answer it.
constexpr auto kCloseHandshakeTimeout = std::chrono::seconds(5);

const std::shared_ptr<const std::string>& empty_payload() {
  static const auto empty = std::make_shared<const std::string>();
  return empty;
}

template <class Vector>
void release_if_grown(Vector& v) {
  if (v.empty() && v.capacity() > kKeptOutboundCapacity) Vector().swap(v);
}

}  // namespace

WsSession::WsSession(net::Stream stream, Services& services, Shard& shard, WsLogin login,
                     std::optional<RoomId> bound_room, std::optional<Seq> since_seq, std::string early_bytes)
    : stream_(std::move(stream)),
      services_(services),
      shard_(shard),
      login_(std::move(login)),
      bound_room_(bound_room),
      since_seq_(since_seq),
      reader_(static_cast<std::size_t>(services.config.max_frame_bytes)),
      in_(std::max(kReadBufferBytes, early_bytes.size())),
      in_size_(early_bytes.size()),
      last_received_(Clock::now()) {
  std::memcpy(in_.data(), early_bytes.data(), early_bytes.size());
}

void WsSession::start(std::string_view key) {
  // The heartbeat sweep takes over from the HTTP timeouts.
  stream_.next_layer().expires_never();
  stream_.bypass_timeouts();
  boost::system::error_code ignored;
  stream_.socket().non_blocking(true, ignored);  // for write_without_blocking()
  Outgoing response;
  response.payload = share(ws::switching_protocols_response(key));
  outbox_.push_back(std::move(response));
  shard_.add(this);
  services_.metrics.ws_connections.fetch_add(1, std::memory_order_relaxed);
  services_.metrics.ws_connections_total.fetch_add(1, std::memory_order_relaxed);
  services_.chat.presence().connected(login_.user);
  send(hello_frame(login_.user, services_.config.heartbeat_s));
  if (bound_room_) join(*bound_room_, since_seq_);
  // Bytes that came with the upgrade request are parsed as if just read.
  on_read({}, 0);
}

// ---------------------------------------------------------------- inbound

void WsSession::read() {
  // Room for the rest of the current frame (the reader bounds it by max-frame-bytes), or at
  // least a small read.
  const std::size_t want = std::max(reader_.needed(), in_size_ + kReadBufferBytes / 2);
  if (in_.size() < want) in_.resize(std::max(want, kReadBufferBytes));
  stream_.async_read_some(
      boost::asio::buffer(in_.data() + in_size_, in_.size() - in_size_),
      [self = shared_from_this()](boost::system::error_code ec, std::size_t bytes) { self->on_read(ec, bytes); });
}

void WsSession::on_read(boost::system::error_code ec, std::size_t bytes) {
  if (torn_down_) return;
  if (ec) return finish();  // closed by the peer, reset, or our own close of the socket
  if (bytes > 0) {
    last_received_ = Clock::now();
    ping_outstanding_ = false;
  }
  in_size_ += bytes;
  std::size_t parsed = 0;
  bool keep_reading = true;
  while (keep_reading && !torn_down_) {
    ws::FrameEvent event;
    const std::size_t used = reader_.read(std::span<char>(in_.data() + parsed, in_size_ - parsed), event);
    parsed += used;
    if (event.kind != ws::FrameEvent::Kind::none) keep_reading = handle_frame(event);
    if (used == 0) break;
  }
  if (torn_down_) return;
  in_size_ -= parsed;
  std::memmove(in_.data(), in_.data() + parsed, in_size_);
  if (in_size_ == 0 && in_.size() > kReadBufferBytes) std::vector<char>(kReadBufferBytes).swap(in_);
  if (keep_reading) return read();
  reading_stopped_ = true;
  if (close_written_) finish();
}

bool WsSession::handle_frame(const ws::FrameEvent& event) {
  using Kind = ws::FrameEvent::Kind;
  switch (event.kind) {
    case Kind::message:
      services_.metrics.ws_frames_in.fetch_add(1, std::memory_order_relaxed);
      if (closing_) return true;  // what arrives after our close frame is read and ignored
      try {
        handle_text(event.payload);
      } catch (const std::exception& e) {
        // A store failure while handling one frame: that frame fails, the connection goes on.
        spdlog::error("ws frame failed: user={} error={}", login_.user.id, e.what());
        send(error_frame("internal", "internal server error"));
      }
      return true;
    case Kind::ping:
      if (!closing_) queue(ws::Opcode::pong, share(std::string(event.payload)));
      return true;
    case Kind::pong:
      return true;
    case Kind::close:
      on_peer_close(event);
      return false;
    case Kind::error:
      close(static_cast<ws::CloseCode>(event.code), event.reason);
      return false;
    case Kind::none:
      return true;
  }
  return true;
}

// The client started the closing handshake (or answered ours): answer with the same code
// unless we already sent a close frame, then end the connection once ours has left.
void WsSession::on_peer_close(const ws::FrameEvent& event) {
  peer_closed_ = true;
  if (!closing_) {
    closing_ = true;
    close_deadline_ = Clock::now() + kCloseHandshakeTimeout;
    outbox_.clear();  // nothing may follow a close frame
    const bool has_code = event.code != static_cast<std::uint16_t>(ws::CloseCode::no_status);
    queue(ws::Opcode::close,
          has_code ? share(ws::close_payload(static_cast<ws::CloseCode>(event.code), {})) : empty_payload());
  }
  if (close_written_) finish();
}

// ---------------------------------------------------------------- outbound

void WsSession::send(std::shared_ptr<const std::string> frame) {
  if (closing_ || torn_down_) return;
  if (outbox_.size() >= static_cast<std::size_t>(services_.config.outbound_queue_frames)) {
    // A consumer that cannot keep up is cut off instead of growing memory without bound; it
    // resumes with since_seq and loses nothing.
    services_.metrics.slow_consumers_closed.fetch_add(1, std::memory_order_relaxed);
    return close(ws::CloseCode::try_again_later, "too slow");
  }
  queue(ws::Opcode::text, std::move(frame));
}

void WsSession::queue(ws::Opcode opcode, std::shared_ptr<const std::string> payload) {
  Outgoing out;
  out.header_size = static_cast<std::uint8_t>(ws::encode_header(opcode, payload->size(), out.header));
  out.payload = std::move(payload);
  outbox_.push_back(std::move(out));
  if (!writing_ && !flush_scheduled_) {
    flush_scheduled_ = true;
    shard_.schedule_flush(shared_from_this());
  }
}

void WsSession::flush() {
  flush_scheduled_ = false;
  if (writing_ || outbox_.empty() || torn_down_) return;
  writing_ = true;
  in_flight_.swap(outbox_);
  gather_.clear();
  for (const auto& out : in_flight_) {
    if (out.header_size > 0) gather_.emplace_back(out.header, out.header_size);
    gather_.emplace_back(out.payload->data(), out.payload->size());
  }
  // Most flushes fit in the socket's send buffer: a non-blocking writev sends them at once, and
  // only what is left (a slow reader, a large burst) goes through an asynchronous write, which
  // costs an operation, a reactor registration and a handler on top of the system call.
  if (!stream_.is_tls()) {
    if (!write_without_blocking()) return on_written(boost::asio::error::broken_pipe);
    if (gather_.empty()) return on_written({});
  }
  boost::asio::async_write(
      stream_, std::span<const boost::asio::const_buffer>(gather_),
      [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->on_written(ec); });
}

bool WsSession::write_without_blocking() {
  auto& socket = stream_.socket();
  std::size_t done = 0;  // buffers of gather_ written completely
  while (done < gather_.size()) {
    boost::system::error_code ec;
    std::size_t bytes = socket.write_some(std::span<const boost::asio::const_buffer>(gather_).subspan(done), ec);
    if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) break;
    if (ec) return false;
    const bool progress = bytes > 0;
    for (; done < gather_.size() && bytes >= gather_[done].size(); ++done) bytes -= gather_[done].size();
    if (bytes > 0) gather_[done] += bytes;  // a buffer written in part
    if (!progress) break;
  }
  gather_.erase(gather_.begin(), gather_.begin() + static_cast<std::ptrdiff_t>(done));
  return true;
}

void WsSession::on_written(boost::system::error_code ec) {
  writing_ = false;
  if (torn_down_) return;
  if (ec) return finish();
  services_.metrics.ws_frames_out.fetch_add(in_flight_.size(), std::memory_order_relaxed);
  in_flight_.clear();
  gather_.clear();
  if (!outbox_.empty()) return flush();
  release_if_grown(in_flight_);
  release_if_grown(outbox_);
  release_if_grown(gather_);
  if (closing_ && !close_written_) {
    // The close frame is always the last one queued: it has left now.
    close_written_ = true;
    if (peer_closed_ || reading_stopped_) finish();
  }
}

void WsSession::close(ws::CloseCode code, std::string_view reason) {
  if (closing_ || torn_down_) return;
  closing_ = true;
  close_deadline_ = Clock::now() + kCloseHandshakeTimeout;
  // Whatever is still queued is dropped (the client resumes with since_seq); a write already
  // in flight finishes first, then the close frame follows it.
  outbox_.clear();
  queue(ws::Opcode::close, share(ws::close_payload(code, reason)));
}

void WsSession::check_liveness(Clock::time_point now) {
  if (torn_down_) return;
  const auto heartbeat = std::chrono::seconds(services_.config.heartbeat_s);
  const bool dead = now - last_received_ >= 2 * heartbeat;
  const bool close_overdue = closing_ && now >= close_deadline_;
  if (dead || close_overdue) {
    // Not from here: the shard is iterating its sessions, which finish() changes.
    boost::asio::post(stream_.get_executor(), [self = shared_from_this()] { self->finish(); });
    return;
  }
  if (!closing_ && !ping_outstanding_ && now - last_received_ >= heartbeat) {
    ping_outstanding_ = true;
    queue(ws::Opcode::ping, empty_payload());
  }
}

void WsSession::finish() {
  if (torn_down_) return;
  teardown();
  boost::system::error_code ignored;
  stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
}

void WsSession::teardown() {
  torn_down_ = true;
  for (const auto& [room, seq] : rooms_) {
    shard_.unsubscribe(room, this);
    (void)services_.chat.typing(login_.user, room, false, true);
  }
  rooms_.clear();
  outbox_.clear();
  shard_.remove(this);
  services_.metrics.ws_connections.fetch_sub(1, std::memory_order_relaxed);
  services_.chat.presence().disconnected(login_.user);
}

}  // namespace parley
