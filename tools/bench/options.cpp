#include "options.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <regex>

namespace parley::bench {

const char* to_string(Scenario s) {
  switch (s) {
    case Scenario::connections:
      return "connections";
    case Scenario::fanout:
      return "fanout";
    case Scenario::ramp:
      return "ramp";
  }
  return "?";
}

const char* to_string(Proto p) {
  switch (p) {
    case Proto::parley:
      return "parley";
    case Proto::ws:
      return "ws";
    case Proto::socketio:
      return "socketio";
  }
  return "?";
}

Options parse_options(int argc, char** argv) {
  Options o;
  CLI::App app{
      "parley-bench: load generator for Parley and the plain broadcast servers of shared/bench-peers.\n"
      "Scenarios: connections (idle connections: connect rate, server RSS per connection),\n"
      "fanout (the --rate steps: deliveries/s, latency, lost/dup, server CPU per delivery),\n"
      "ramp (from the first --rate, times --ramp-factor per step until a step fails).",
      "parley-bench"};
  // A later occurrence of an option wins (scripts pass defaults first, then a scenario's own).
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  std::string scenario = "fanout";
  std::string proto = "parley";
  std::string url = "ws://127.0.0.1:8080";
  std::string rates = "1";
  app.add_option("scenario", scenario, "connections | fanout | ramp")
      ->check(CLI::IsMember({"connections", "fanout", "ramp"}))
      ->capture_default_str();
  app.add_option("--proto", proto, "parley | ws (peer_ws.js) | socketio (peer_socketio.js, raw Engine.IO)")
      ->check(CLI::IsMember({"parley", "ws", "socketio"}))
      ->capture_default_str();
  app.add_option("--url", url, "ws://HOST:PORT of the server")->capture_default_str();
  app.add_option("--clients", o.clients, "connections")->check(CLI::Range(1, 10'000'000))->capture_default_str();
  app.add_option("--rooms", o.rooms, "rooms; client i is in room i % rooms")->capture_default_str();
  app.add_option("--senders", o.senders, "sending clients, spread evenly (-1: all)")->capture_default_str();
  app.add_option("--rate", rates, "messages/s per sender; a comma list is one step each")->capture_default_str();
  app.add_option("--warmup", o.warmup_s, "seconds sent but not measured before each step")->capture_default_str();
  app.add_option("--duration", o.duration_s, "measured seconds per step (connections: seconds held)")
      ->capture_default_str();
  app.add_option("--drain", o.drain_s, "max seconds to wait for the window's messages")->capture_default_str();
  app.add_option("--size", o.size, "characters of message content")->check(CLI::Range(24, 4000))->capture_default_str();
  app.add_option("--server-pid", o.server_pid, "server PID: CPU and RSS from /proc")->capture_default_str();
  app.add_option("--connect-concurrency", o.connect_concurrency, "connection attempts in flight")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--stop-p99-ms", o.stop_p99_ms, "a step fails above this p99")->capture_default_str();
  app.add_option("--stop-shortfall", o.stop_shortfall, "a step fails when this fraction short of offered")
      ->capture_default_str();
  app.add_option("--refine", o.refine, "bisection steps after the first failure")->capture_default_str();
  app.add_option("--retry-contaminated", o.retry_contaminated,
                 "run a failing step again (at most N times) when another task shared a pinned core")
      ->capture_default_str();
  app.add_option("--ramp-factor", o.ramp_factor, "ramp: rate multiplier per step")
      ->check(CLI::Range(1.01, 10.0))
      ->capture_default_str();
  app.add_option("--ramp-max-steps", o.ramp_max_steps, "ramp: at most this many steps")->capture_default_str();
  app.add_option("--src-ips", o.src_ips, "spread client sockets over 127.0.0.1..127.0.0.N")
      ->check(CLI::Range(1, 254))
      ->capture_default_str();
  app.add_option("--tick-ms", o.tick_ms, "send scheduler period")->check(CLI::Range(0.1, 100.0))->capture_default_str();
  app.add_option("--setup-timeout", o.setup_timeout_s, "max seconds for accounts/rooms setup")->capture_default_str();
  app.add_option("--ready-timeout", o.ready_timeout_s, "max seconds from connect to ready, per connection")
      ->capture_default_str();
  app.add_option("--watchdog", o.watchdog_s, "exit after this many seconds whatever happens (0: computed)")
      ->capture_default_str();
  app.add_option("--label", o.label, "label in the output");
  app.add_option("--server", o.server_name, "server name in the output");
  app.add_option("--out", o.out, "also append the JSON lines to this file");
  app.add_option("--parley-users", o.parley_users, "Parley accounts (0: one per client, at most 1000)")
      ->capture_default_str();
  app.add_option("--setup-concurrency", o.setup_concurrency, "REST requests in flight during setup")
      ->check(CLI::Range(1, 512))
      ->capture_default_str();
  app.add_option("--parley-join", o.parley_join, "rest: join rooms over REST first; ws: /ws/chat/{id} joins")
      ->check(CLI::IsMember({"rest", "ws"}))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  auto bad = [](const std::string& why) {
    std::fprintf(stderr, "parley-bench: %s\n", why.c_str());
    std::exit(2);
  };
  o.scenario = scenario == "connections" ? Scenario::connections
               : scenario == "ramp"      ? Scenario::ramp
                                         : Scenario::fanout;
  o.proto = proto == "ws" ? Proto::ws : proto == "socketio" ? Proto::socketio : Proto::parley;
  std::smatch m;
  static const std::regex url_re(R"(^(?:ws|http)://([^:/]+):(\d+)/?$)");
  if (!std::regex_match(url, m, url_re)) bad("--url must look like ws://HOST:PORT");
  o.host = m[1];
  o.port = static_cast<std::uint16_t>(std::stoi(m[2]));
  o.rates.clear();
  for (std::size_t pos = 0; pos <= rates.size();) {
    const std::size_t comma = std::min(rates.find(',', pos), rates.size());
    const double r = std::atof(rates.substr(pos, comma - pos).c_str());
    if (!(r > 0)) bad("--rate must be positive numbers");
    o.rates.push_back(r);
    pos = comma + 1;
  }
  if (o.senders < 0 || o.scenario == Scenario::connections) {
    o.senders = o.scenario == Scenario::connections ? 0 : o.clients;
  }
  if (o.senders > o.clients) bad("--senders > --clients");
  if (o.rooms < 1 || o.rooms > o.clients) bad("--rooms must be 1..clients");
  if (o.scenario != Scenario::connections && o.senders == 0) bad("fanout and ramp need --senders > 0");
  if (o.parley_users < 0 || o.parley_users > o.clients) bad("--parley-users must be 0..clients");
  if (o.parley_users == 0) o.parley_users = std::min(o.clients, 1000);
  return o;
}

}  // namespace parley::bench
