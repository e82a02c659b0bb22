// The client's state machine. Everything below runs on one strand (Impl::ex_).
//
// Connection life cycle: start -> [authenticate over REST] -> TCP connect -> WebSocket upgrade
// (401: refresh the token once and retry) -> wait for `hello` -> open (re-join rooms, flush the
// send queue) -> ... -> lost (disconnected event, backoff, reconnect) or close() (1000).
// Each connection is a shared Conn; completion handlers hold it and ignore their result when it
// is no longer the current connection, so a late handler never touches a newer connection.
#include <simdjson.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>

#include "auth.hpp"
#include "connector.hpp"
#include "json_fields.hpp"
#include "parley/client.hpp"
#include "text.hpp"
#include "util/json_writer.hpp"

namespace parley::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

using detail::Auth;
using detail::bool_of;
using detail::int_of;
using detail::message_of;
using detail::str_of;
using detail::user_field;

// ---- The client -----------------------------------------------------------------------------

struct Client::Impl : std::enable_shared_from_this<Client::Impl> {
  // One WebSocket connection. Writes (text frames, pings, the close) go out one at a time.
  struct Conn {
    enum class Out { text, ping, close };
    explicit Conn(asio::any_io_executor ex) : ws(ex) {}
    websocket::stream<detail::Stream> ws;
    beast::flat_buffer in;
    websocket::response_type upgrade;
    std::deque<std::pair<Out, std::string>> out;
    bool writing = false;
    bool open = false;     // `hello` received
    bool done = false;     // torn down: ignore every further completion
    bool closing = false;  // close() sent or queued: the close completion reports the end
    Clock::time_point last_rx = Clock::now();
    bool ping_outstanding = false;
    std::chrono::milliseconds heartbeat{0};
  };

  struct RoomState {
    bool followed = false;
    std::optional<Seq> seen;  // highest seq delivered to the application (or the join baseline)
  };

  struct Pending {
    std::string client_id;
    RoomId room = 0;
    std::string text;
    bool retry = false;  // refused as rate_limited: to be sent again
  };

  enum class State { idle, authenticating, connecting, open, waiting, stopped };

  Impl(asio::io_context& io, ClientOptions o, Handlers h)
      : ex_(asio::make_strand(io)),
        options_(std::move(o)),
        handlers_(std::move(h)),
        connector_(ex_),
        reconnect_timer_(ex_),
        heartbeat_timer_(ex_),
        refresh_timer_(ex_),
        retry_timer_(ex_),
        rng_(std::random_device{}()),
        // `this` outlives every call of on_tokens: Auth calls it only while completing a request,
        // and each waiter of that request holds a shared_ptr to this Impl.
        auth_(std::make_shared<Auth>(ex_, options_, [this](const Tokens& tokens) { new_tokens(tokens); })) {}

  // ---- events (never after the Client is gone)

  template <class Fn, class Event>
  void emit(const Fn& fn, const Event& event) {
    if (!detached_ && fn) fn(event);
  }

  void emit_error(std::string code, std::string message, std::string ref = {}) {
    emit(handlers_.on_error, Error{std::move(code), std::move(message), std::move(ref)});
  }

  // ---- life cycle

  void start() {
    if (state_ != State::idle && state_ != State::stopped) return;
    attempt_ = 0;
    state_ = State::idle;
    schedule_refresh_before_expiry();  // tokens handed in by the application
    connect_now();
  }

  void stop_with_error(std::string code, std::string message) {
    state_ = State::stopped;
    cancel_timers();
    if (conn_ && conn_->open) {
      begin_close();  // a graceful 1000; on_disconnected follows
    } else {
      teardown();
    }
    emit_error(std::move(code), std::move(message));
  }

  void cancel_timers() {
    reconnect_timer_.cancel();
    heartbeat_timer_.cancel();
    refresh_timer_.cancel();
    retry_timer_.cancel();
    connector_.cancel();
  }

  void close() {
    if (state_ == State::stopped || state_ == State::idle) return;
    state_ = State::stopped;
    cancel_timers();
    if (conn_ && conn_->open) {
      begin_close();
    } else {
      teardown();
    }
  }

  void detach() {
    detached_ = true;
    state_ = State::stopped;
    cancel_timers();
    teardown();
  }

  // ---- authentication (the tokens and the login/refresh requests live in auth_)

  void connect_now() {
    if (state_ == State::stopped) return;
    if (auth_->access_token_usable()) {
      open_transport();
    } else {
      authenticate([self = shared_from_this()] { self->open_transport(); });
    }
  }

  // Gets a new access token, then runs `next`. A rejected credential stops the client; anything
  // else (server down, 5xx, 429) counts as a failed connection attempt.
  void authenticate(std::function<void()> next) {
    state_ = State::authenticating;
    auth_->obtain([self = shared_from_this(), next = std::move(next)](const Auth::Result& r) {
      if (self->state_ == State::stopped) return;
      if (r.outcome == Auth::Result::Outcome::ok) return next();
      if (r.outcome == Auth::Result::Outcome::rejected) return self->stop_with_error("auth_failed", r.error);
      self->connection_failed(1006, r.error);
    });
  }

  // Reported even when the client has stopped meanwhile: the server has rotated the refresh
  // token, so the application must keep the new one.
  void new_tokens(const Tokens& tokens) {
    if (state_ != State::stopped) schedule_refresh_before_expiry();
    emit(handlers_.on_tokens, tokens);
  }

  // refresh_lead before the access token expires, but at most a quarter of its remaining time
  // before: a token with a short life is not refreshed at once. Nothing when its expiry is unknown.
  void schedule_refresh_before_expiry() {
    const auto expiry = auth_->expiry();
    if (!expiry) return;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*expiry - Clock::now());
    const auto lead = std::min<std::chrono::milliseconds>(options_.refresh_lead, left / 4);
    schedule_refresh(std::max(left - lead, std::chrono::milliseconds(0)));
  }

  // Proactive refresh while running. The open connection does not need it (it outlives its
  // token), but the next connect and the application's REST calls do.
  void schedule_refresh(std::chrono::milliseconds after) {
    refresh_timer_.expires_after(after);
    refresh_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->state_ == State::stopped || self->auth_->refresh_token().empty()) return;
      self->auth_->obtain([self](const Auth::Result& r) {
        if (self->state_ == State::stopped) return;
        if (r.outcome == Auth::Result::Outcome::rejected) return self->stop_with_error("auth_failed", r.error);
        if (r.outcome == Auth::Result::Outcome::failed) self->schedule_refresh(std::chrono::seconds(5));  // again
      });
    });
  }

  // ---- connecting

  // The TCP (and TLS) connection comes from the Connector, the library's one transport seam;
  // the WebSocket upgrade follows.
  void open_transport() {
    if (state_ == State::stopped) return;
    state_ = State::connecting;
    teardown();
    auto conn = std::make_shared<Conn>(ex_);
    conn_ = conn;
    connector_.async_connect(options_, conn->ws.next_layer(), options_.request_timeout,
                             [self = shared_from_this(), conn](beast::error_code ec, std::string what) {
                               if (conn->done) return;
                               if (ec) return self->connection_failed(1006, std::move(what));
                               self->upgrade(conn);
                             });
  }

  void upgrade(const std::shared_ptr<Conn>& conn) {
    conn->ws.set_option(websocket::stream_base::decorator(
        [](websocket::request_type& req) { req.set(http::field::user_agent, "libparley-client"); }));
    const std::string target = "/ws?token=" + detail::url_encode(auth_->access_token());
    const std::string host = detail::authority_of(options_);
    conn->ws.async_handshake(conn->upgrade, host, target, [self = shared_from_this(), conn](beast::error_code ec) {
      if (conn->done) return;
      if (ec) {
        if (ec == websocket::error::upgrade_declined && conn->upgrade.result() == http::status::unauthorized) {
          return self->unauthorized_at_upgrade();
        }
        return self->connection_failed(1006, "upgrade failed: " + ec.message());
      }
      self->upgraded(conn);
    });
  }

  // The server refused the access token: refresh it (or log in again) once, then reconnect now.
  void unauthorized_at_upgrade() {
    teardown();
    auth_->forget_access_token();  // refused: the next attempt gets another one
    if (refused_at_upgrade_) {
      connection_failed(1006, "the server refused a fresh access token (HTTP 401)");
      return;
    }
    refused_at_upgrade_ = true;
    authenticate([self = shared_from_this()] { self->open_transport(); });
  }

  void upgraded(const std::shared_ptr<Conn>& conn) {
    refused_at_upgrade_ = false;
    // Our own heartbeat replaces Beast's idle timer; `hello` must come within the request timeout.
    beast::get_lowest_layer(conn->ws).expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = options_.request_timeout;
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    conn->ws.set_option(timeouts);
    conn->ws.control_callback([c = conn.get()](websocket::frame_type, beast::string_view) {
      c->last_rx = Clock::now();  // a raw pointer: the stream holding this callback is c's member
      c->ping_outstanding = false;
    });
    conn->last_rx = Clock::now();
    conn->heartbeat = options_.request_timeout / 2;  // until `hello` says otherwise
    arm_heartbeat(conn);
    read(conn);
  }

  // ---- heartbeat: nothing for 2 x heartbeat_s = dead; a ping after heartbeat_s of silence

  // The timer wakes exactly when something is due: the ping at last_rx + heartbeat, the verdict
  // at last_rx + 2 x heartbeat (before `hello`: the request timeout). Frames arriving in between
  // move last_rx, and the timer is re-armed from it.
  void arm_heartbeat(const std::shared_ptr<Conn>& conn) {
    const bool ping_due_next = conn->open && !conn->ping_outstanding;
    heartbeat_timer_.expires_at(conn->last_rx + (ping_due_next ? conn->heartbeat : 2 * conn->heartbeat));
    heartbeat_timer_.async_wait([self = shared_from_this(), conn](beast::error_code ec) {
      if (ec || conn->done) return;
      const auto idle = Clock::now() - conn->last_rx;
      if (idle >= 2 * conn->heartbeat) {
        return self->connection_failed(1006, conn->open ? "heartbeat timeout" : "no hello from the server");
      }
      if (conn->open && idle >= conn->heartbeat && !conn->ping_outstanding) {
        conn->ping_outstanding = true;
        self->write(conn, Conn::Out::ping, {});
      }
      self->arm_heartbeat(conn);
    });
  }

  // ---- reading

  void read(const std::shared_ptr<Conn>& conn) {
    conn->ws.async_read(conn->in, [self = shared_from_this(), conn](beast::error_code ec, std::size_t) {
      if (conn->done) return;
      if (ec) {
        if (conn->closing) return;  // the close completion reports it
        if (ec == websocket::error::closed) {
          const auto& reason = conn->ws.reason();
          return self->connection_failed(static_cast<int>(reason.code),
                                         std::string(reason.reason.data(), reason.reason.size()));
        }
        return self->connection_failed(1006, ec.message());
      }
      conn->last_rx = Clock::now();
      conn->ping_outstanding = false;
      const std::string frame = beast::buffers_to_string(conn->in.data());
      conn->in.consume(conn->in.size());
      self->dispatch(conn, frame);
      if (!conn->done) self->read(conn);
    });
  }

  void dispatch(const std::shared_ptr<Conn>& conn, const std::string& frame) {
    simdjson::dom::object obj;
    if (parser_.parse(frame).get_object().get(obj) != simdjson::SUCCESS) return;  // not ours to judge
    const std::string type = str_of(obj, "type");
    if (type == "hello") {
      on_hello(conn, obj);
    } else if (type == "message") {
      Message m = message_of(obj);
      if (accept_seq(m.room_id, m.seq)) emit(handlers_.on_message, m);
    } else if (type == "ack") {
      on_ack(obj);
    } else if (type == "joined") {
      on_joined(obj);
    } else if (type == "typing_start" || type == "typing_stop") {
      emit(handlers_.on_typing,
           Typing{int_of(obj, "room_id"), str_of(obj, "sender"), int_of(obj, "sender_id"), type == "typing_start"});
    } else if (type == "presence") {
      Presence p{int_of(obj, "user_id"), str_of(obj, "username"), str_of(obj, "status"), str_of(obj, "last_seen"), {}};
      if (const auto room = int_of(obj, "room_id"); room > 0) p.room_id = room;
      emit(handlers_.on_presence, p);
    } else if (type == "member_joined" || type == "member_left") {
      emit(handlers_.on_member, MemberChange{int_of(obj, "room_id"), user_field(obj, "user"), type == "member_joined"});
    } else if (type == "read") {
      emit(handlers_.on_read,
           ReadReceipt{int_of(obj, "room_id"), int_of(obj, "user_id"), str_of(obj, "username"), int_of(obj, "seq")});
    } else if (type == "message_updated") {
      emit(handlers_.on_message_updated, message_of(obj));
    } else if (type == "message_deleted") {
      emit(handlers_.on_message_deleted, MessageDeleted{int_of(obj, "room_id"), int_of(obj, "id"), int_of(obj, "seq")});
    } else if (type == "error") {
      on_error_frame(obj);
    }
    // pong and unknown types: nothing to do (any frame already counted as a sign of life).
  }

  // Per-room duplicate filter: a seq at or below the highest one delivered is dropped.
  bool accept_seq(RoomId room, Seq seq) {
    auto& state = rooms_[room];
    if (state.seen && seq <= *state.seen) return false;
    state.seen = seq;
    return true;
  }

  void on_hello(const std::shared_ptr<Conn>& conn, simdjson::dom::object obj) {
    Connected c{user_field(obj, "user"), static_cast<int>(int_of(obj, "heartbeat_s", 30))};
    conn->open = true;
    conn->heartbeat = std::chrono::seconds(std::max(1, c.heartbeat_s));
    arm_heartbeat(conn);  // from the request timeout to the server's period
    state_ = State::open;
    attempt_ = 0;
    emit(handlers_.on_connected, c);
    if (conn->done) return;  // closed from the handler
    for (const auto& [room, state] : rooms_) {
      if (state.followed) write(conn, Conn::Out::text, join_frame(room, state.seen));
    }
    for (const auto& p : pending_) write(conn, Conn::Out::text, message_frame(p));
  }

  void on_joined(simdjson::dom::object obj) {
    Joined j{int_of(obj, "room_id"), int_of(obj, "last_seq"), bool_of(obj, "truncated"), {}};
    simdjson::dom::array members;
    if (obj["members"].get_array().get(members) == simdjson::SUCCESS) {
      for (auto member : members) {
        simdjson::dom::object m;
        if (member.get_object().get(m) != simdjson::SUCCESS) continue;
        j.members.push_back(Member{int_of(m, "id"), str_of(m, "username"), str_of(m, "status"), int_of(m, "read_seq")});
      }
    }
    // A first join without since_seq starts at the room's present: that is the baseline a
    // later resume continues from.
    auto& state = rooms_[j.room_id];
    if (!state.seen) state.seen = j.last_seq;
    emit(handlers_.on_joined, j);
  }

  void on_ack(simdjson::dom::object obj) {
    Ack a{str_of(obj, "client_id"), int_of(obj, "id"), int_of(obj, "seq"), int_of(obj, "room_id"),
          str_of(obj, "timestamp")};
    const auto it =
        std::find_if(pending_.begin(), pending_.end(), [&](const Pending& p) { return p.client_id == a.client_id; });
    if (it == pending_.end()) return;  // a second ack for a resend already acked
    pending_.erase(it);
    emit(handlers_.on_ack, a);
  }

  void on_error_frame(simdjson::dom::object obj) {
    Error e{str_of(obj, "code"), str_of(obj, "message"), str_of(obj, "ref")};
    const auto it =
        std::find_if(pending_.begin(), pending_.end(), [&](const Pending& p) { return p.client_id == e.ref; });
    if (it != pending_.end()) {
      if (e.code == "rate_limited") {
        schedule_resend(*it);  // stays queued; sent again in a moment
      } else {
        pending_.erase(it);  // refused for good (not a member, bad content, ...)
      }
    }
    emit(handlers_.on_error, e);
  }

  // Rate-limited sends stay queued and go out again a second later, in queue order.
  void schedule_resend(Pending& p) {
    p.retry = true;
    if (retry_armed_) return;
    retry_armed_ = true;
    retry_timer_.expires_after(std::chrono::seconds(1));
    retry_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      self->retry_armed_ = false;
      if (ec || !self->conn_ || !self->conn_->open) return;
      for (auto& p : self->pending_) {
        if (p.retry) self->write(self->conn_, Conn::Out::text, self->message_frame(p));
        p.retry = false;
      }
    });
  }

  // ---- frames out

  static std::string join_frame(RoomId room, std::optional<Seq> since) {
    JsonWriter w;
    w.begin_object().field("type", "join").field("room_id", room);
    if (since) w.field("since_seq", *since);
    return w.end_object().take();
  }

  static std::string message_frame(const Pending& p) {
    JsonWriter w;
    w.begin_object().field("type", "message").field("room_id", p.room).field("content", p.text);
    return w.field("client_id", p.client_id).end_object().take();
  }

  void send_if_open(std::string frame) {
    if (conn_ && conn_->open && !conn_->done) write(conn_, Conn::Out::text, std::move(frame));
  }

  void write(const std::shared_ptr<Conn>& conn, Conn::Out kind, std::string data) {
    conn->out.emplace_back(kind, std::move(data));
    if (!conn->writing) write_next(conn);
  }

  void write_next(const std::shared_ptr<Conn>& conn) {
    if (conn->done || conn->out.empty()) {
      conn->writing = false;
      return;
    }
    conn->writing = true;
    auto& [kind, data] = conn->out.front();
    auto self = shared_from_this();
    switch (kind) {
      case Conn::Out::text:
        conn->ws.text(true);
        conn->ws.async_write(asio::buffer(data),
                             [self, conn](beast::error_code ec, std::size_t) { self->wrote(conn, ec); });
        break;
      case Conn::Out::ping:
        conn->ws.async_ping({}, [self, conn](beast::error_code ec) { self->wrote(conn, ec); });
        break;
      case Conn::Out::close:
        conn->ws.async_close(websocket::close_code::normal, [self, conn](beast::error_code ec) {
          if (conn->done) return;
          self->teardown();
          std::string reason = "closed by the client";
          if (ec) reason += " (close handshake: " + ec.message() + ")";
          self->emit(self->handlers_.on_disconnected, Disconnected{1000, std::move(reason)});
        });
        break;
    }
  }

  void wrote(const std::shared_ptr<Conn>& conn, beast::error_code ec) {
    if (conn->done) return;
    conn->out.pop_front();
    if (ec) return connection_failed(1006, "write failed: " + ec.message());
    write_next(conn);
  }

  void begin_close() {
    auto conn = conn_;
    conn->closing = true;
    // Unwritten frames are dropped (messages stay in pending_); a frame being written stays at
    // the front until its completion pops it.
    conn->out.erase(conn->writing ? conn->out.begin() + 1 : conn->out.begin(), conn->out.end());
    conn->out.emplace_back(Conn::Out::close, std::string());
    if (!conn->writing) write_next(conn);
  }

  // ---- losing a connection

  void teardown() {
    if (!conn_) return;
    auto conn = std::move(conn_);
    conn_.reset();
    conn->done = true;
    heartbeat_timer_.cancel();
    beast::get_lowest_layer(conn->ws).close();
  }

  void connection_failed(int code, std::string reason) {
    const bool was_open = conn_ && conn_->open;
    teardown();
    if (was_open) emit(handlers_.on_disconnected, Disconnected{code, reason});
    if (state_ == State::stopped) return;
    schedule_reconnect(std::move(reason));
  }

  void schedule_reconnect(std::string reason) {
    if (state_ == State::stopped) return;
    ++attempt_;
    if (options_.max_reconnect_attempts != 0 && attempt_ > options_.max_reconnect_attempts) {
      stop_with_error("reconnect_failed", "gave up after " + std::to_string(options_.max_reconnect_attempts) +
                                              " reconnect attempts; the last failed: " + reason);
      return;
    }
    state_ = State::waiting;
    const auto delay = backoff_delay(options_.backoff, attempt_, rng_);
    emit(handlers_.on_reconnecting, Reconnecting{attempt_, delay, std::move(reason)});
    reconnect_timer_.expires_after(delay);
    reconnect_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->state_ != State::waiting) return;
      self->connect_now();
    });
  }

  // ---- application calls (on the strand)

  void join(RoomId room, std::optional<Seq> since) {
    auto& state = rooms_[room];
    state.followed = true;
    if (since && (!state.seen || *since > *state.seen)) state.seen = since;
    send_if_open(join_frame(room, state.seen));
  }

  void leave(RoomId room) {
    rooms_[room].followed = false;
    JsonWriter w;
    send_if_open(w.begin_object().field("type", "leave").field("room_id", room).end_object().take());
  }

  void send(Pending p) {
    pending_.push_back(std::move(p));
    send_if_open(message_frame(pending_.back()));
  }

  asio::strand<asio::io_context::executor_type> ex_;
  ClientOptions options_;
  Handlers handlers_;
  detail::Connector connector_;
  asio::steady_timer reconnect_timer_, heartbeat_timer_, refresh_timer_, retry_timer_;
  std::mt19937_64 rng_;
  simdjson::dom::parser parser_;

  State state_ = State::idle;
  std::atomic<bool> detached_{false};
  std::shared_ptr<Conn> conn_;
  unsigned attempt_ = 0;
  bool refused_at_upgrade_ = false;
  bool retry_armed_ = false;
  std::shared_ptr<Auth> auth_;

  std::map<RoomId, RoomState> rooms_;
  std::deque<Pending> pending_;
};

Client::Client(boost::asio::io_context& io, ClientOptions options, Handlers handlers)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(handlers))) {}

Client::~Client() {
  impl_->detached_ = true;
  asio::post(impl_->ex_, [impl = impl_] { impl->detach(); });
}

void Client::start() {
  asio::post(impl_->ex_, [impl = impl_] { impl->start(); });
}

void Client::join(RoomId room, std::optional<Seq> since_seq) {
  asio::post(impl_->ex_, [impl = impl_, room, since_seq] { impl->join(room, since_seq); });
}

void Client::leave(RoomId room) {
  asio::post(impl_->ex_, [impl = impl_, room] { impl->leave(room); });
}

std::string Client::send(RoomId room, std::string text) {
  std::string client_id = "c-" + detail::random_hex(128);
  asio::post(impl_->ex_, [impl = impl_, p = Impl::Pending{client_id, room, std::move(text), false}]() mutable {
    impl->send(std::move(p));
  });
  return client_id;
}

void Client::typing(RoomId room, bool started) {
  asio::post(impl_->ex_, [impl = impl_, room, started] {
    JsonWriter w;
    impl->send_if_open(w.begin_object()
                           .field("type", started ? "typing_start" : "typing_stop")
                           .field("room_id", room)
                           .end_object()
                           .take());
  });
}

void Client::mark_read(RoomId room, Seq seq) {
  asio::post(impl_->ex_, [impl = impl_, room, seq] {
    JsonWriter w;
    impl->send_if_open(
        w.begin_object().field("type", "read").field("room_id", room).field("seq", seq).end_object().take());
  });
}

void Client::set_status(const std::string& status) {
  asio::post(impl_->ex_, [impl = impl_, status] {
    JsonWriter w;
    impl->send_if_open(w.begin_object().field("type", "status").field("status", status).end_object().take());
  });
}

void Client::close() {
  asio::post(impl_->ex_, [impl = impl_] { impl->close(); });
}

}  // namespace parley::client
