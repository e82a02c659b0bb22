// The generator's core: one single-threaded io_context holding every client connection, a
// hand-rolled WebSocket client (no per-connection read buffer: a readable socket is drained into
// one shared buffer, only a partial frame is kept per connection), the three wire protocols
// (Parley, the ws peer, Socket.IO's Engine.IO framing) and the delivery ledger (per message and
// per receiver: latency, lost and duplicated copies).
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "options.hpp"
#include "rest.hpp"

namespace parley::bench {

namespace asio = boost::asio;

// Nanoseconds on the steady clock since the program started: the send time in each message.
std::int64_t now_ns();

struct Conn {
  explicit Conn(asio::io_context& io) : sock(io) {}
  asio::ip::tcp::socket sock;
  std::string in;                     // handshake bytes, then the unparsed tail of a frame
  std::string out;                    // bytes the kernel did not take yet
  std::unique_ptr<std::string> frag;  // a fragmented message being reassembled (rare)
  std::vector<std::uint64_t> seen;    // per room-local message index of this step: received
  std::int64_t t_start_ns = 0;        // when the connect began
  std::uint32_t index = 0;            // client number
  std::uint32_t room = 0;             // core room index
  std::uint32_t sent = 0;             // messages sent (Parley client_id)
  enum State : std::uint8_t { idle, connecting, upgrading, opening, ready, failed, closed } state = idle;
  bool hello = false;   // Parley: hello seen
  bool joined = false;  // Parley: joined seen
  bool write_armed = false;
};

struct MsgInfo {
  std::uint32_t room;
  std::uint32_t ridx;  // room-local index: bit position in each receiver's `seen`
  std::uint32_t want;  // members of the room when it was sent
  std::uint32_t got;   // distinct receivers that got it
};

class Engine {
 public:
  Engine(const Options& o, const ParleySetup* parley);
  ~Engine();

  struct ConnectStats {
    int connected = 0;
    int failures = 0;
    double wall_s = 0;
    std::vector<std::int64_t> latencies_ns;
    std::string first_error;
  };
  // Opens every client, --connect-concurrency at a time; each must be ready (protocol handshake
  // done) within --ready-timeout.
  ConnectStats connect_all();

  // Runs the event loop for `s` seconds, or until pred() holds (checked every few ms).
  void run_for(double s);
  bool run_until(const std::function<bool()>& pred, double timeout_s);

  // Sends one chat message from `client` whose content carries the marker of message `id`.
  void send_chat(int client, std::uint64_t id, std::int64_t ts_ns);
  void close_all();

  asio::io_context& io() { return io_; }
  const Options& opts() const { return o_; }
  std::vector<std::unique_ptr<Conn>>& conns() { return conns_; }
  std::vector<int>& room_size() { return room_size_; }

  // ---- the ledger
  std::vector<MsgInfo> msgs;
  std::vector<std::uint32_t> room_next;  // next room-local index
  std::vector<std::uint32_t> room_base;  // room-local index of the step's first message
  std::uint64_t first_measured = UINT64_MAX;
  bool in_window = false;
  std::uint64_t window_arrivals = 0;  // deliveries that arrived during the measured window
  std::uint64_t all_arrivals = 0;
  std::uint64_t measured_recv = 0;  // distinct deliveries of messages sent in the window
  std::uint64_t dup = 0;            // repeated (receiver, message) deliveries, window messages
  std::uint64_t late = 0;           // deliveries of an earlier step's messages
  std::vector<std::int64_t> lat_ns;
  // ---- other counters
  std::uint64_t stray_frames = 0;  // frames that are not deliveries (acks, presence...)
  std::uint64_t misrouted = 0;     // a delivery for another room
  std::uint64_t error_frames = 0;  // Parley error frames after ready
  std::uint64_t disconnects = 0;   // closes after ready
  bool closing = false;

  std::uint64_t new_message(std::uint32_t room);
  void begin_step();  // clears receivers' bitmaps, moves the room bases

 private:
  void start_connect(Conn* c);
  void on_connected(Conn* c);
  void arm_read(Conn* c);
  void on_readable(Conn* c);
  void process(Conn* c, const char* data, std::size_t n);
  std::size_t parse_frames(Conn* c, const char* p, std::size_t n);
  void on_message(Conn* c, int opcode, std::string_view payload);
  void on_text(Conn* c, std::string_view p);
  void on_delivery(Conn* c, std::string_view p);
  void send_frame(Conn* c, int opcode, std::string_view payload);
  void send_raw(Conn* c, std::string_view bytes);
  void arm_write(Conn* c);
  void set_ready(Conn* c);
  void fail(Conn* c, const std::string& why);
  void connect_done(Conn* c, bool ok, const std::string& why);
  void sweep();

  const Options& o_;
  const ParleySetup* parley_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::ip::tcp::endpoint server_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<int> room_size_;
  std::vector<std::string> room_json_;  // room_id as it goes in a sent frame
  std::string rbuf_;                    // the shared read buffer
  std::string scratch_;
  std::string frame_;
  std::uint32_t mask_ = 0;
  // connect bookkeeping
  ConnectStats* cstats_ = nullptr;
  int next_to_connect_ = 0;
  int in_flight_ = 0;
  int connect_done_ = 0;
  asio::steady_timer sweep_timer_;
};

}  // namespace parley::bench
