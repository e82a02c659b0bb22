// parley-bench command line: what to run (scenario), against what (protocol, URL, server PID),
// and the shape of the load (clients, rooms, senders, rates, windows).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace parley::bench {

enum class Scenario { connections, fanout, ramp };
enum class Proto { parley, ws, socketio };

struct Options {
  Scenario scenario = Scenario::fanout;
  Proto proto = Proto::parley;
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  int clients = 100;
  int rooms = 10;
  int senders = -1;              // -1: every client sends
  std::vector<double> rates{1};  // messages/s per sender, one per step (ramp: the first step)
  double warmup_s = 3;
  double duration_s = 8;  // measured window per step; connections: how long they are held
  double drain_s = 5;
  int size = 64;  // characters of message content
  int server_pid = 0;
  int connect_concurrency = 100;
  double stop_p99_ms = 100;
  double stop_shortfall = 0.05;
  int refine = 0;              // bisection steps between the last pass and the first failure
  int retry_contaminated = 2;  // runs again a failing step that shared its cores with another task
  double ramp_factor = 1.25;
  int ramp_max_steps = 40;
  int src_ips = 1;  // spread client sockets over 127.0.0.1 .. 127.0.0.N
  double tick_ms = 1;
  double setup_timeout_s = 300;
  double ready_timeout_s = 15;
  double watchdog_s = 0;  // 0: computed from the scenario
  std::string label;
  std::string server_name;
  std::string out;  // also append JSON lines here
  // Parley only
  int parley_users = 0;  // 0: one account per client, at most 1000
  int setup_concurrency = 16;
  std::string parley_join = "rest";  // rest: join over REST before connecting; ws: let /ws/chat/{id} join
};

const char* to_string(Scenario s);
const char* to_string(Proto p);

// Parses argv; prints help or an error and exits on bad input.
Options parse_options(int argc, char** argv);

}  // namespace parley::bench
