// parley-bench: a load generator for Parley and for the plain broadcast servers of
// shared/bench-peers, on one core (see bench/README.md).
//
//   parley-bench fanout --proto parley --url ws://127.0.0.1:8080 --server-pid PID
//                --clients 1000 --rooms 100 --rate 2,5 --warmup 3 --duration 8
//   parley-bench connections --proto ws --url ws://127.0.0.1:9101 --clients 10000 --rooms 1000 --src-ips 4
//   parley-bench ramp --proto socketio --url ws://127.0.0.1:9102 --clients 1000 --rooms 100 --rate 2
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <thread>

#include "engine.hpp"
#include "options.hpp"
#include "report.hpp"
#include "rest.hpp"
#include "scenarios.hpp"

using namespace parley::bench;

namespace {

// Whatever happens (a server that stops answering), the run ends.
void start_watchdog(const Options& o) {
  double s = o.watchdog_s;
  if (s <= 0) {
    const double step = o.warmup_s + o.duration_s + o.drain_s + 25;
    const int steps = o.scenario == Scenario::connections ? 0
                      : o.scenario == Scenario::ramp      ? o.ramp_max_steps + o.refine + 1
                                                          : static_cast<int>(o.rates.size()) + o.refine;
    s = (o.proto == Proto::parley ? o.setup_timeout_s : 0) + o.ready_timeout_s * 2 + o.clients / 200.0 + 60 +
        steps * (1 + o.retry_contaminated) * step + (o.scenario == Scenario::connections ? o.duration_s : 0);
  }
  std::thread([s] {
    std::this_thread::sleep_for(std::chrono::duration<double>(s));
    std::fprintf(stderr, "parley-bench: watchdog fired after %.0f s, exiting\n", s);
    std::fflush(stderr);
    std::_Exit(3);
  }).detach();
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_options(argc, argv);
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < static_cast<rlim_t>(o.clients) + 64) {
    std::fprintf(stderr, "parley-bench: the open-file limit %llu is too low for %d clients (raise ulimit -Hn)\n",
                 static_cast<unsigned long long>(lim.rlim_cur), o.clients);
    return 2;
  }
  start_watchdog(o);
  try {
    ParleySetup setup;
    if (o.proto == Proto::parley) {
      setup = parley_setup(o, std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                                     std::chrono::duration<double>(o.setup_timeout_s)));
      std::fprintf(stderr, "setup: %zu accounts (up to %d connections each), %d rooms, %d joins in %.1f s\n",
                   setup.accounts.size(), (o.clients + o.parley_users - 1) / o.parley_users, o.rooms, setup.joins,
                   setup.seconds);
    }
    Engine engine(o, o.proto == Proto::parley ? &setup : nullptr);
    return run_scenario(engine, o, setup.seconds);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parley-bench: %s\n", e.what());
    Record r;
    r.add("label", o.label).add("server", o.server_name).add("mode", "error").add("error", e.what());
    emit_json(o, r);
    return 1;
  }
}
