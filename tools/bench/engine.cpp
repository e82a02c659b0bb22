#include "engine.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

namespace parley::bench {

namespace {

const auto kT0 = std::chrono::steady_clock::now();
constexpr std::size_t kReadBuf = 256 * 1024;
constexpr int kReadsPerWakeup = 8;  // then yield to other connections (posted continuation)
constexpr std::size_t kMaxMessage = 16 * 1024 * 1024;

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

void append_uint(std::string& s, std::uint64_t v) {
  char buf[24];
  char* e = buf + sizeof buf;
  char* p = e;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  s.append(p, static_cast<std::size_t>(e - p));
}

}  // namespace

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - kT0).count();
}

Engine::Engine(const Options& o, const ParleySetup* parley)
    : o_(o), parley_(parley), io_(1), work_(io_.get_executor()), sweep_timer_(io_) {
  server_ = asio::ip::tcp::endpoint(asio::ip::make_address(o.host), o.port);
  rbuf_.resize(kReadBuf);
  std::random_device rd;
  mask_ = rd() | 1u;
  room_size_.assign(static_cast<std::size_t>(o.rooms), 0);
  room_next.assign(static_cast<std::size_t>(o.rooms), 0);
  room_base.assign(static_cast<std::size_t>(o.rooms), 0);
  for (int i = 0; i < o.clients; ++i) room_size_[static_cast<std::size_t>(i % o.rooms)]++;
  for (int r = 0; r < o.rooms; ++r) {
    room_json_.push_back(parley ? std::to_string(parley->room_ids[static_cast<std::size_t>(r)])
                                : "\"r" + std::to_string(r) + "\"");
  }
  conns_.reserve(static_cast<std::size_t>(o.clients));
  for (int i = 0; i < o.clients; ++i) {
    auto c = std::make_unique<Conn>(io_);
    c->index = static_cast<std::uint32_t>(i);
    c->room = static_cast<std::uint32_t>(i % o.rooms);
    conns_.push_back(std::move(c));
  }
}

Engine::~Engine() {
  closing = true;
  for (auto& c : conns_) {
    boost::system::error_code ec;
    c->sock.close(ec);
  }
}

// ------------------------------------------------------------------ event loop

void Engine::run_for(double s) {
  io_.run_for(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(s)));
}

bool Engine::run_until(const std::function<bool()>& pred, double timeout_s) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    io_.run_for(std::chrono::milliseconds(5));
  }
  return true;
}

// ------------------------------------------------------------------ connecting

Engine::ConnectStats Engine::connect_all() {
  ConnectStats stats;
  cstats_ = &stats;
  next_to_connect_ = 0;
  in_flight_ = 0;
  connect_done_ = 0;
  const std::int64_t t0 = now_ns();
  const int n = static_cast<int>(conns_.size());
  while (in_flight_ < o_.connect_concurrency && next_to_connect_ < n) start_connect(conns_[next_to_connect_++].get());
  sweep();
  // Bounded: every connection is failed by the sweep after --ready-timeout at the latest.
  run_until([&] { return connect_done_ == n; }, o_.ready_timeout_s * (2.0 + n / 100.0) + 60);
  sweep_timer_.cancel();
  stats.wall_s = static_cast<double>(now_ns() - t0) / 1e9;
  cstats_ = nullptr;
  return stats;
}

void Engine::sweep() {
  const std::int64_t limit = static_cast<std::int64_t>(o_.ready_timeout_s * 1e9);
  const std::int64_t now = now_ns();
  for (auto& c : conns_) {
    if (c->state >= Conn::connecting && c->state <= Conn::opening && now - c->t_start_ns > limit) {
      fail(c.get(), "not ready " + std::to_string(o_.ready_timeout_s) + " s after connecting (state " +
                        std::to_string(static_cast<int>(c->state)) + ")");
    }
  }
  sweep_timer_.expires_after(std::chrono::milliseconds(250));
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec && cstats_) sweep();
  });
}

void Engine::start_connect(Conn* c) {
  ++in_flight_;
  c->state = Conn::connecting;
  c->t_start_ns = now_ns();
  boost::system::error_code ec;
  c->sock.open(asio::ip::tcp::v4(), ec);
  if (ec) return fail(c, "socket: " + ec.message());
  if (o_.src_ips > 1) {
    const int one = 1;
    ::setsockopt(c->sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    const auto addr = asio::ip::address_v4((127u << 24) | (1u + c->index % static_cast<unsigned>(o_.src_ips)));
    c->sock.bind(asio::ip::tcp::endpoint(addr, 0), ec);
    if (ec) return fail(c, "bind " + addr.to_string() + ": " + ec.message());
  }
  c->sock.async_connect(server_, [this, c](boost::system::error_code ec) {
    if (c->state != Conn::connecting) return;
    if (ec) return fail(c, "connect: " + ec.message());
    on_connected(c);
  });
}

void Engine::on_connected(Conn* c) {
  boost::system::error_code ec;
  c->sock.set_option(asio::ip::tcp::no_delay(true), ec);
  if (!ec) c->sock.non_blocking(true, ec);
  if (ec) return fail(c, "socket options: " + ec.message());
  std::string path;
  switch (o_.proto) {
    case Proto::parley:
      path = "/ws/chat/" + std::to_string(parley_->room_ids[c->room]) + "?token=" +
             parley_->accounts[static_cast<std::size_t>(parley_->account_of(static_cast<int>(c->index), o_.clients))]
                 .token;
      break;
    case Proto::ws:
      path = "/?room=r" + std::to_string(c->room);
      break;
    case Proto::socketio:
      path = "/socket.io/?EIO=4&transport=websocket&room=r" + std::to_string(c->room);
      break;
  }
  // The key is fixed: the generator does not check Sec-WebSocket-Accept, only the 101.
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + o_.host + ":" + std::to_string(o_.port) +
                          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  c->state = Conn::upgrading;
  send_raw(c, req);
  if (c->state == Conn::upgrading) arm_read(c);
}

void Engine::set_ready(Conn* c) {
  if (c->state != Conn::opening) return;
  c->state = Conn::ready;
  connect_done(c, true, {});
}

void Engine::connect_done(Conn* c, bool ok, const std::string& why) {
  ++connect_done_;
  --in_flight_;
  if (cstats_) {
    if (ok) {
      cstats_->connected++;
      cstats_->latencies_ns.push_back(now_ns() - c->t_start_ns);
    } else {
      if (cstats_->failures++ == 0) cstats_->first_error = why;
    }
  }
  if (next_to_connect_ < static_cast<int>(conns_.size())) {
    Conn* next = conns_[static_cast<std::size_t>(next_to_connect_++)].get();
    asio::post(io_, [this, next] { start_connect(next); });
  }
}

void Engine::fail(Conn* c, const std::string& why) {
  const Conn::State was = c->state;
  if (was == Conn::failed || was == Conn::closed || was == Conn::idle) return;
  boost::system::error_code ec;
  c->sock.close(ec);
  c->in.clear();
  c->in.shrink_to_fit();
  c->out.clear();
  c->out.shrink_to_fit();
  c->frag.reset();
  if (was == Conn::ready) {
    c->state = Conn::closed;
    if (!closing && disconnects++ < 3) {
      std::fprintf(stderr, "parley-bench: client %u lost its connection: %s\n", c->index, why.c_str());
    }
    return;
  }
  c->state = Conn::failed;
  connect_done(c, false, "client " + std::to_string(c->index) + ": " + why);
}

void Engine::close_all() {
  closing = true;
  for (auto& c : conns_) {
    if (c->state == Conn::ready) {
      boost::system::error_code ec;
      c->sock.close(ec);
      c->state = Conn::closed;
    }
  }
}

// ------------------------------------------------------------------ reading

void Engine::arm_read(Conn* c) {
  c->sock.async_wait(asio::ip::tcp::socket::wait_read, [this, c](boost::system::error_code ec) {
    if (ec || c->state == Conn::failed || c->state == Conn::closed) return;
    on_readable(c);
  });
}

// Asio's epoll reactor is edge-triggered: drain the socket before waiting again, or yield after a
// few full reads with a posted continuation so one busy connection cannot starve the others.
void Engine::on_readable(Conn* c) {
  const int fd = c->sock.native_handle();
  for (int i = 0; i < kReadsPerWakeup; ++i) {
    const ssize_t n = ::recv(fd, rbuf_.data(), rbuf_.size(), MSG_DONTWAIT);
    if (n > 0) {
      process(c, rbuf_.data(), static_cast<std::size_t>(n));
      if (c->state == Conn::failed || c->state == Conn::closed) return;
      // A short read emptied the socket: data arriving later raises a new edge, which the
      // reactor sees with our wait queued (this thread only polls after the handler returns).
      if (static_cast<std::size_t>(n) < rbuf_.size()) return arm_read(c);
      continue;
    }
    if (n == 0) return fail(c, "the server closed the connection");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return arm_read(c);
    return fail(c, std::string("recv: ") + std::strerror(errno));
  }
  asio::post(io_, [this, c] {
    if (c->state != Conn::failed && c->state != Conn::closed) on_readable(c);
  });
}

void Engine::process(Conn* c, const char* data, std::size_t n) {
  if (c->state == Conn::upgrading) {
    c->in.append(data, n);
    const std::size_t end = c->in.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (c->in.size() > 65536) fail(c, "handshake response too long");
      return;
    }
    if (!starts_with(c->in, "HTTP/1.1 101")) {
      const std::size_t eol = c->in.find("\r\n");
      const std::size_t body = end + 4;
      return fail(c, "upgrade refused: " + c->in.substr(0, eol) + " " + c->in.substr(body, 200));
    }
    c->in.erase(0, end + 4);
    c->state = Conn::opening;
    if (o_.proto == Proto::ws) set_ready(c);
    std::string rest;
    rest.swap(c->in);
    if (!rest.empty()) process(c, rest.data(), rest.size());
    return;
  }
  if (c->in.empty()) {
    const std::size_t used = parse_frames(c, data, n);
    if (c->state == Conn::failed || c->state == Conn::closed) return;
    if (used < n) c->in.assign(data + used, n - used);
    return;
  }
  c->in.append(data, n);
  const std::size_t used = parse_frames(c, c->in.data(), c->in.size());
  if (c->state == Conn::failed || c->state == Conn::closed) return;
  c->in.erase(0, used);
  if (c->in.empty() && c->in.capacity() > 4096) c->in.shrink_to_fit();
}

std::size_t Engine::parse_frames(Conn* c, const char* p, std::size_t n) {
  std::size_t off = 0;
  while (n - off >= 2) {
    const auto b0 = static_cast<unsigned char>(p[off]);
    const auto b1 = static_cast<unsigned char>(p[off + 1]);
    std::uint64_t len = b1 & 0x7f;
    std::size_t head = 2;
    if (len == 126) {
      if (n - off < 4) break;
      len = (static_cast<std::uint64_t>(static_cast<unsigned char>(p[off + 2])) << 8) |
            static_cast<unsigned char>(p[off + 3]);
      head = 4;
    } else if (len == 127) {
      if (n - off < 10) break;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<unsigned char>(p[off + 2 + i]);
      head = 10;
    }
    if (b1 & 0x80) {
      fail(c, "masked frame from the server");
      return off;
    }
    if (len > kMaxMessage) {
      fail(c, "frame too large");
      return off;
    }
    if (n - off < head + len) break;
    const std::string_view payload(p + off + head, static_cast<std::size_t>(len));
    off += head + static_cast<std::size_t>(len);
    const bool fin = b0 & 0x80;
    const int op = b0 & 0x0f;
    if (op >= 8) {
      on_message(c, op, payload);
    } else if (op != 0 && fin) {
      on_message(c, op, payload);
    } else {
      // A fragment: reassemble (servers do not fragment small messages; this is the slow path).
      if (op != 0) c->frag = std::make_unique<std::string>(1, static_cast<char>(op));
      if (!c->frag) {
        fail(c, "continuation frame without a start");
        return off;
      }
      c->frag->append(payload);
      if (fin) {
        const std::unique_ptr<std::string> whole = std::move(c->frag);
        on_message(c, (*whole)[0], std::string_view(*whole).substr(1));
      }
    }
    if (c->state == Conn::failed || c->state == Conn::closed) return off;
  }
  return off;
}

void Engine::on_message(Conn* c, int opcode, std::string_view payload) {
  switch (opcode) {
    case 1:
    case 2:
      return on_text(c, payload);
    case 8: {
      std::string why = "close frame";
      if (payload.size() >= 2) {
        why += " " +
               std::to_string((static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]));
        why += " " + std::string(payload.substr(2));
      }
      return fail(c, why);
    }
    case 9:
      return send_frame(c, 10, payload);  // pong
    default:
      return;
  }
}

// ------------------------------------------------------------------ the protocols

void Engine::on_text(Conn* c, std::string_view p) {
  switch (o_.proto) {
    case Proto::ws:
      return on_delivery(c, p);
    case Proto::socketio:
      if (starts_with(p, "42")) return on_delivery(c, p);
      if (starts_with(p, "40")) return set_ready(c);
      if (starts_with(p, "44")) return fail(c, "socket.io connect refused: " + std::string(p.substr(0, 200)));
      if (starts_with(p, "2")) return send_frame(c, 1, "3");   // ping -> pong
      if (starts_with(p, "0")) return send_frame(c, 1, "40");  // open -> connect to namespace "/"
      ++stray_frames;
      return;
    case Proto::parley:
      if (starts_with(p, R"({"type":"message",)")) return on_delivery(c, p);
      ++stray_frames;
      if (c->state == Conn::opening) {
        if (starts_with(p, R"({"type":"hello")")) c->hello = true;
        if (starts_with(p, R"({"type":"joined")")) c->joined = true;
        if (starts_with(p, R"({"type":"error")")) return fail(c, "error frame before joined: " + std::string(p));
        if (c->hello && c->joined) set_ready(c);
      } else if (starts_with(p, R"({"type":"error")") && error_frames++ < 3) {
        std::fprintf(stderr, "parley-bench: error frame from the server: %.*s\n", static_cast<int>(p.size()), p.data());
      }
      return;
  }
}

// The content starts "#L<id>:<send time ns>#".
void Engine::on_delivery(Conn* c, std::string_view p) {
  const std::size_t at = p.find("#L");
  if (at == std::string_view::npos) {
    ++stray_frames;
    return;
  }
  std::size_t i = at + 2;
  std::uint64_t id = 0;
  std::int64_t ts = 0;
  while (i < p.size() && p[i] >= '0' && p[i] <= '9') id = id * 10 + static_cast<std::uint64_t>(p[i++] - '0');
  if (i >= p.size() || p[i] != ':') {
    ++stray_frames;
    return;
  }
  for (++i; i < p.size() && p[i] >= '0' && p[i] <= '9'; ++i) ts = ts * 10 + (p[i] - '0');
  if (id >= msgs.size()) {
    ++stray_frames;
    return;
  }
  MsgInfo& m = msgs[id];
  if (m.room != c->room) {
    ++misrouted;
    return;
  }
  ++all_arrivals;
  if (in_window) ++window_arrivals;
  const std::uint32_t base = room_base[m.room];
  if (m.ridx < base) {
    ++late;
    return;
  }
  const std::uint32_t bit = m.ridx - base;
  const std::size_t word = bit >> 6;
  if (word >= c->seen.size()) c->seen.resize(std::max<std::size_t>(word + 1, c->seen.size() * 2), 0);
  const std::uint64_t mask = std::uint64_t{1} << (bit & 63);
  if (c->seen[word] & mask) {
    if (id >= first_measured) ++dup;
    return;
  }
  c->seen[word] |= mask;
  ++m.got;
  if (id >= first_measured) {
    ++measured_recv;
    lat_ns.push_back(now_ns() - ts);
  }
}

std::uint64_t Engine::new_message(std::uint32_t room) {
  msgs.push_back(MsgInfo{room, room_next[room]++, static_cast<std::uint32_t>(room_size_[room]), 0});
  return msgs.size() - 1;
}

void Engine::begin_step() {
  room_base = room_next;
  for (auto& c : conns_) std::fill(c->seen.begin(), c->seen.end(), 0);
}

void Engine::send_chat(int client, std::uint64_t id, std::int64_t ts_ns) {
  Conn* c = conns_[static_cast<std::size_t>(client)].get();
  if (c->state != Conn::ready) return;
  // Content: "#L<id>:<ts>#" padded with 'x' to --size characters.
  std::string& s = scratch_;
  s.clear();
  const std::string& room = room_json_[c->room];
  switch (o_.proto) {
    case Proto::parley:
      s += R"({"type":"message","room_id":)";
      break;
    case Proto::ws:
      s += R"({"type":"message","room_id":)";
      break;
    case Proto::socketio:
      s += R"(42["message",{"type":"message","room_id":)";
      break;
  }
  s += room;
  s += R"(,"content":"#L)";
  const std::size_t content_start = s.size() - 2;
  append_uint(s, id);
  s += ':';
  append_uint(s, static_cast<std::uint64_t>(ts_ns));
  s += '#';
  const std::size_t content_len = s.size() - content_start;
  if (content_len < static_cast<std::size_t>(o_.size)) s.append(static_cast<std::size_t>(o_.size) - content_len, 'x');
  s += '"';
  switch (o_.proto) {
    case Proto::parley:
      s += R"(,"client_id":")";
      s += parley_->tag;
      s += '-';
      append_uint(s, c->index);
      s += '-';
      append_uint(s, ++c->sent);
      s += R"("})";
      break;
    case Proto::ws:
      s += R"(,"ts":)";
      append_uint(s, static_cast<std::uint64_t>(ts_ns / 1000));
      s += '}';
      break;
    case Proto::socketio:
      s += R"(,"ts":)";
      append_uint(s, static_cast<std::uint64_t>(ts_ns / 1000));
      s += "}]";
      break;
  }
  send_frame(c, 1, s);
}

// ------------------------------------------------------------------ writing

void Engine::send_frame(Conn* c, int opcode, std::string_view payload) {
  std::string& f = frame_;
  f.clear();
  f += static_cast<char>(0x80 | opcode);
  const std::size_t n = payload.size();
  if (n < 126) {
    f += static_cast<char>(0x80 | n);
  } else if (n < 65536) {
    f += static_cast<char>(0x80 | 126);
    f += static_cast<char>(n >> 8);
    f += static_cast<char>(n & 0xff);
  } else {
    f += static_cast<char>(0x80 | 127);
    for (int i = 7; i >= 0; --i) f += static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xff);
  }
  char key[4];
  std::memcpy(key, &mask_, 4);
  f.append(key, 4);
  const std::size_t start = f.size();
  f.append(payload);
  for (std::size_t i = 0; i < n; ++i) f[start + i] = static_cast<char>(f[start + i] ^ key[i & 3]);
  send_raw(c, f);
}

void Engine::send_raw(Conn* c, std::string_view bytes) {
  if (!c->out.empty()) {
    c->out.append(bytes);
    return;
  }
  const ssize_t n = ::send(c->sock.native_handle(), bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n == static_cast<ssize_t>(bytes.size())) return;
  std::size_t sent = 0;
  if (n > 0) {
    sent = static_cast<std::size_t>(n);
  } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    return fail(c, std::string("send: ") + std::strerror(errno));
  }
  c->out.assign(bytes.substr(sent));
  arm_write(c);
}

void Engine::arm_write(Conn* c) {
  if (c->write_armed) return;
  c->write_armed = true;
  c->sock.async_wait(asio::ip::tcp::socket::wait_write, [this, c](boost::system::error_code ec) {
    c->write_armed = false;
    if (ec || c->state == Conn::failed || c->state == Conn::closed) return;
    const ssize_t n = ::send(c->sock.native_handle(), c->out.data(), c->out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) c->out.erase(0, static_cast<std::size_t>(n));
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return fail(c, std::string("send: ") + std::strerror(errno));
    }
    if (!c->out.empty()) return arm_write(c);
    if (c->out.capacity() > 4096) c->out.shrink_to_fit();
  });
}

}  // namespace parley::bench
