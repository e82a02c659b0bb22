#include "scenarios.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "procfs.hpp"
#include "report.hpp"

namespace parley::bench {

namespace {

struct Percentiles {
  double p50 = NAN, p99 = NAN, p999 = NAN, max = NAN;  // milliseconds
};

// Nearest rank; sorts v.
Percentiles percentiles_ms(std::vector<std::int64_t>& v) {
  Percentiles p;
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  const auto at = [&](double q) {
    const auto n = static_cast<double>(v.size());
    const auto i = static_cast<std::size_t>(std::clamp(std::ceil(q * n) - 1, 0.0, n - 1));
    return static_cast<double>(v[i]) / 1e6;
  };
  p.p50 = at(0.5);
  p.p99 = at(0.99);
  p.p999 = at(0.999);
  p.max = static_cast<double>(v.back()) / 1e6;
  return p;
}

long self_rss_kib() {
  const auto s = sample_proc(static_cast<int>(::getpid()));
  return s ? s->rss_kib : 0;
}

Record base_record(const Options& o) {
  Record r;
  r.add("label", o.label)
      .add("server", o.server_name.empty() ? to_string(o.proto) : o.server_name)
      .add("proto", to_string(o.proto))
      .add("generator", "parley-bench")
      .add("scenario", to_string(o.scenario))
      .add("clients", o.clients)
      .add("rooms", o.rooms)
      .add("senders", o.senders);
  return r;
}

void add_connect(Record& r, const Engine::ConnectStats& cs, std::vector<std::int64_t> lat) {
  const Percentiles p = percentiles_ms(lat);
  r.add("connected", cs.connected)
      .add("connect_failures", cs.failures)
      .add("connect_wall_s", cs.wall_s)
      .add("connect_per_s", cs.connected / std::max(cs.wall_s, 1e-9))
      .add("connect_p50_ms", p.p50)
      .add("connect_p99_ms", p.p99)
      .add("connect_max_ms", p.max);
  if (!cs.first_error.empty()) r.add("first_error", cs.first_error);
}

// ---------------------------------------------------------------- connections

int run_connections(Engine& e, const Options& o, double setup_s) {
  const int pid = o.server_pid;
  const auto before = sample_proc(pid);
  const Engine::ConnectStats cs = e.connect_all();
  const auto connected = sample_proc(pid);
  std::fprintf(stderr, "connected %d/%d in %.2f s%s%s\n", cs.connected, o.clients, cs.wall_s,
               cs.first_error.empty() ? "" : "; first error: ", cs.first_error.c_str());
  const std::uint64_t disc0 = e.disconnects;
  const std::int64_t t_held0 = now_ns();
  e.run_for(o.duration_s);
  const auto held = sample_proc(pid);
  const double held_s = static_cast<double>(now_ns() - t_held0) / 1e9;
  Record r = base_record(o);
  r.add("mode", "idle").add("setup_s", setup_s);
  add_connect(r, cs, cs.latencies_ns);
  if (before && held) {
    const double per_conn = static_cast<double>(held->rss_kib - before->rss_kib) / std::max(1, cs.connected);
    r.add("server_rss_before_kib", static_cast<long long>(before->rss_kib))
        .add("server_rss_connected_kib", static_cast<long long>(connected ? connected->rss_kib : 0))
        .add("server_rss_held_kib", static_cast<long long>(held->rss_kib))
        .add("rss_kib_per_conn", per_conn);
    if (connected) {
      r.add("server_cpu_us_per_connect", cpu_between(*before, *connected).total_us() / std::max(1, cs.connected))
          .add("server_cpu_pct_while_idle", 100 * cpu_between(*connected, *held).total_us() / (held_s * 1e6));
    }
  }
  r.add("held_s", held_s)
      .add("disconnects", static_cast<unsigned long long>(e.disconnects - disc0))
      .add("gen_rss_kib", static_cast<long long>(self_rss_kib()));
  emit_json(o, r);
  if (before && held) {
    std::fprintf(stderr, "[%s] %s idle: %d conns in %.2f s (%.0f/s), server RSS %.1f -> %.1f MiB = %.2f KiB/conn\n",
                 o.label.c_str(), o.server_name.c_str(), cs.connected, cs.wall_s, cs.connected / cs.wall_s,
                 before->rss_kib / 1024.0, held->rss_kib / 1024.0,
                 static_cast<double>(held->rss_kib - before->rss_kib) / std::max(1, cs.connected));
  }
  e.close_all();
  return 0;
}

// ---------------------------------------------------------------- load steps

struct Ticker {
  bool sending = true;
  std::uint64_t sent = 0;
  std::size_t rr = 0;
  std::int64_t t_start = 0;
  double total_rate = 0;
  std::chrono::steady_clock::time_point next;
  std::vector<std::int64_t> lag_ns;  // how late each tick ran
};

class Loader {
 public:
  Loader(Engine& e, const Options& o) : e_(e), o_(o) {
    for (int k = 0; k < o.senders; ++k) {
      const int client = static_cast<int>(static_cast<std::int64_t>(k) * o.clients / o.senders);
      senders_.push_back(client);
      fan_sum_ += e.room_size()[static_cast<std::size_t>(client % o.rooms)];
    }
    srv_cpu_ = o.server_pid ? pinned_cpu(o.server_pid) : -1;
    gen_cpu_ = pinned_cpu(static_cast<int>(::getpid()));
    if (o.server_pid && srv_cpu_ < 0) std::fprintf(stderr, "parley-bench: the server is not pinned to one CPU\n");
    if (srv_cpu_ >= 0 && srv_cpu_ == gen_cpu_) std::fprintf(stderr, "parley-bench: server and generator share a CPU\n");
  }

  Engine::ConnectStats connect;
  bool first = true;
  bool last_contaminated = false;

  // A step that failed while another task shared a pinned core is run again (at most
  // --retry-contaminated times): on a shared machine a compiler, not the server, may have failed it.
  bool step_retrying(int& n, double rate, bool refine) {
    bool ok = step(n++, rate, refine);
    for (int i = 0; !ok && last_contaminated && i < o_.retry_contaminated; ++i) {
      std::fprintf(stderr, "step failed while its cores were shared: running it again\n");
      wait_quiet(20);
      ok = step(n++, rate, refine);
    }
    return ok;
  }

  void header() const {
    std::fprintf(stderr, "%-5s %9s %9s %6s %4s %8s %8s %8s %8s %5s %7s %6s %6s %5s %7s %s\n", "step", "offered/s",
                 "deliv/s", "lost", "dup", "p50 ms", "p99 ms", "p99.9", "max ms", "srv%", "us/dlv", "user", "kern",
                 "gen%", "gen us", "result");
  }

  // Warmup, measured window, bounded drain; emits the step's JSON line and table row.
  bool step(int n, double rate, bool refine, bool half = false) {
    Engine& e = e_;
    const double offered = fan_sum_ * rate;
    e.begin_step();
    e.lat_ns.clear();
    e.first_measured = UINT64_MAX;
    e.window_arrivals = 0;
    e.measured_recv = 0;
    e.dup = 0;
    e.late = 0;
    const std::uint64_t stray0 = e.stray_frames;
    const std::uint64_t disc0 = e.disconnects;
    const std::uint64_t misrouted0 = e.misrouted;

    auto t = std::make_shared<Ticker>();
    t->total_rate = rate * static_cast<double>(senders_.size());
    t->t_start = now_ns();
    t->next = std::chrono::steady_clock::now();
    auto timer = std::make_shared<asio::steady_timer>(e.io());
    const auto period =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(o_.tick_ms / 1e3));
    auto send_due = [this, t, &e](std::int64_t now) {
      const auto due = static_cast<std::uint64_t>(static_cast<double>(now - t->t_start) * 1e-9 * t->total_rate);
      while (t->sent < due) {
        const int client = senders_[t->rr];
        t->rr = t->rr + 1 == senders_.size() ? 0 : t->rr + 1;
        const std::uint64_t id = e.new_message(static_cast<std::uint32_t>(client % o_.rooms));
        e.send_chat(client, id, now_ns());
        ++t->sent;
      }
    };
    std::function<void()> arm;
    arm = [t, timer, period, send_due, &arm, &e] {
      const auto now = std::chrono::steady_clock::now();
      t->next = std::max(t->next + period, now);
      timer->expires_at(t->next);
      timer->async_wait([t, send_due, &arm, &e](boost::system::error_code ec) {
        if (ec || !t->sending) return;
        const auto late = std::chrono::steady_clock::now() - t->next;
        if (e.in_window) t->lag_ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(late).count());
        send_due(now_ns());
        arm();
      });
    };
    arm();

    e.run_for(o_.warmup_s);
    e.first_measured = e.msgs.size();
    const auto s0 = sample_proc(o_.server_pid);
    const SelfCpu g0 = self_cpu();
    const auto ct0 = read_core_ticks();
    const std::int64_t tm0 = now_ns();
    e.in_window = true;
    e.run_for(o_.duration_s);
    send_due(now_ns());
    t->sending = false;
    timer->cancel();
    e.in_window = false;
    const std::int64_t tm1 = now_ns();
    const auto s1 = sample_proc(o_.server_pid);
    const SelfCpu g1 = self_cpu();
    const auto ct1 = read_core_ticks();
    const std::uint64_t last = e.msgs.size();
    std::uint64_t expected = 0;
    for (std::uint64_t id = e.first_measured; id < last; ++id) expected += e.msgs[id].want;
    const std::uint64_t arrivals = e.window_arrivals;
    e.run_until([&] { return e.measured_recv >= expected; }, o_.drain_s);
    const double drain_s = static_cast<double>(now_ns() - tm1) / 1e9;
    std::uint64_t lost = 0;
    for (std::uint64_t id = e.first_measured; id < last; ++id) lost += e.msgs[id].want - e.msgs[id].got;

    const double window_s = static_cast<double>(tm1 - tm0) / 1e9;
    const Percentiles p = percentiles_ms(e.lat_ns);
    const Percentiles lag = percentiles_ms(t->lag_ns);
    const double dps = static_cast<double>(arrivals) / window_s;
    const double ad = std::max<double>(1, static_cast<double>(arrivals));
    const CpuUse srv = s0 && s1 ? cpu_between(*s0, *s1) : CpuUse{.user_us = NAN, .sys_us = NAN};
    const double srv_user = srv.user_us;
    const double srv_sys = srv.sys_us;
    const double gen_us = g1.user_us + g1.sys_us - g0.user_us - g0.sys_us;
    const auto pct = [&](double us) { return 100 * us / (window_s * 1e6); };
    const double srv_pct = pct(srv_user + srv_sys);
    const double gen_pct = pct(gen_us);
    const auto core = [&](int cpu, double own_pct, double& busy, double& other) {
      busy = other = NAN;
      const auto i = static_cast<std::size_t>(cpu + 1);
      if (cpu < 0 || i >= ct0.size() || i >= ct1.size()) return;
      const double total = static_cast<double>(std::max<long long>(1, ct1[i].total - ct0[i].total));
      busy = 100 * static_cast<double>(ct1[i].busy - ct0[i].busy) / total;
      other = std::max(0.0, busy - own_pct);
    };
    double srv_busy, srv_other, gen_busy, gen_other;
    core(srv_cpu_, srv_pct, srv_busy, srv_other);
    core(gen_cpu_, gen_pct, gen_busy, gen_other);
    const double steal = ct0.empty() || ct1.empty()
                             ? NAN
                             : 100.0 * static_cast<double>(ct1[0].steal - ct0[0].steal) /
                                   static_cast<double>(std::max<long long>(1, ct1[0].total - ct0[0].total));
    const std::uint64_t disconnects = e.disconnects - disc0;
    const double shortfall =
        std::max(1 - dps / offered, expected ? static_cast<double>(lost) / static_cast<double>(expected) : 0.0);
    const bool pass = p.p99 <= o_.stop_p99_ms && shortfall <= o_.stop_shortfall && disconnects == 0;
    const bool contaminated = (srv_other > 5) || (gen_other > 5);
    last_contaminated = contaminated;
    const bool gen_bound = gen_pct >= 90 || lag.p99 > 25;
    const bool srv_bound = srv_pct >= 90;

    Record r = base_record(o_);
    r.add("mode", "load")
        .add("step", n)
        .add("refine", refine)
        .add("half_of_max", half)
        .add("rate_per_sender", rate)
        .add("offered_msgs_per_s", t->total_rate)
        .add("offered_deliveries_per_s", offered)
        .add("sent", static_cast<unsigned long long>(last - e.first_measured))
        .add("expected_deliveries", static_cast<unsigned long long>(expected))
        .add("received_deliveries", static_cast<unsigned long long>(e.measured_recv))
        .add("lost", static_cast<unsigned long long>(lost))
        .add("dup", static_cast<unsigned long long>(e.dup))
        .add("deliveries_per_s", dps)
        .add("window_s", window_s)
        .add("drain_s", drain_s)
        .add("lat_p50_ms", p.p50)
        .add("lat_p99_ms", p.p99)
        .add("lat_p999_ms", p.p999)
        .add("lat_max_ms", p.max)
        .add("server_cpu_pct", srv_pct)
        .add("server_sys_pct", pct(srv_sys))
        .add("server_cpu_us_per_delivery", (srv_user + srv_sys) / ad)
        .add("server_user_us_per_delivery", srv_user / ad)
        .add("server_sys_us_per_delivery", srv_sys / ad)
        .add("server_core", srv_cpu_)
        .add("server_core_busy_pct", srv_busy)
        .add("server_core_other_pct", srv_other)
        .add("server_rss_start_kib", static_cast<long long>(s0 ? s0->rss_kib : 0))
        .add("server_rss_end_kib", static_cast<long long>(s1 ? s1->rss_kib : 0))
        .add("gen_cpu_pct", gen_pct)
        .add("gen_sys_pct", pct(g1.sys_us - g0.sys_us))
        .add("gen_cpu_us_per_delivery", gen_us / ad)
        .add("gen_core", gen_cpu_)
        .add("gen_core_busy_pct", gen_busy)
        .add("gen_core_other_pct", gen_other)
        .add("gen_tick_lag_p99_ms", lag.p99)
        .add("gen_tick_lag_max_ms", lag.max)
        .add("steal_pct", steal)
        .add("contaminated", contaminated)
        .add("stray_frames", static_cast<unsigned long long>(e.stray_frames - stray0))
        .add("late_deliveries", static_cast<unsigned long long>(e.late))
        .add("misrouted", static_cast<unsigned long long>(e.misrouted - misrouted0))
        .add("disconnects", static_cast<unsigned long long>(disconnects))
        .add("bottleneck", srv_bound && gen_bound ? "server+generator"
                           : srv_bound            ? "server"
                           : gen_bound            ? "generator"
                                                  : "none")
        .add("pass", pass);
    if (first) add_connect(r, connect, connect.latencies_ns);
    first = false;
    emit_json(o_, r);
    std::fprintf(
        stderr, "%-5s %8.1fk %8.1fk %6llu %4llu %8.2f %8.2f %8.2f %8.2f %5.1f %7.2f %6.2f %6.2f %5.1f %7.2f %s%s\n",
        (std::to_string(n) + (refine ? "r"
                              : half ? "h"
                                     : ""))
            .c_str(),
        offered / 1e3, dps / 1e3, static_cast<unsigned long long>(lost), static_cast<unsigned long long>(e.dup), p.p50,
        p.p99, p.p999, p.max, srv_pct, (srv_user + srv_sys) / ad, srv_user / ad, srv_sys / ad, gen_pct, gen_us / ad,
        pass ? "PASS" : "FAIL", contaminated ? " CONTAMINATED" : "");
    return pass;
  }

  // After an overloaded step the server may still flush a backlog: wait (bounded) until nothing
  // has arrived for 500 ms.
  void wait_quiet(double max_s) {
    const std::int64_t until = now_ns() + static_cast<std::int64_t>(max_s * 1e9);
    std::uint64_t seen = e_.all_arrivals + e_.late;
    std::int64_t quiet_since = now_ns();
    while (now_ns() < until && now_ns() - quiet_since < 500'000'000) {
      e_.run_for(0.1);
      if (e_.all_arrivals + e_.late != seen) {
        seen = e_.all_arrivals + e_.late;
        quiet_since = now_ns();
      }
    }
  }

 private:
  Engine& e_;
  const Options& o_;
  std::vector<int> senders_;
  double fan_sum_ = 0;
  int srv_cpu_ = -1;
  int gen_cpu_ = -1;
};

int run_load(Engine& e, const Options& o, double setup_s) {
  Loader l(e, o);
  l.connect = e.connect_all();
  std::fprintf(stderr, "setup %.1f s; connected %d/%d in %.2f s%s%s\n", setup_s, l.connect.connected, o.clients,
               l.connect.wall_s, l.connect.first_error.empty() ? "" : "; first error: ", l.connect.first_error.c_str());
  if (l.connect.failures) {
    Record r = base_record(o);
    r.add("mode", "error");
    add_connect(r, l.connect, l.connect.latencies_ns);
    emit_json(o, r);
    std::fprintf(stderr, "parley-bench: some clients failed to connect; not measuring a partial room set\n");
    return 2;
  }
  std::fprintf(stderr, "[%s] %s %s: %d clients, %d rooms, %d senders\n", o.label.c_str(),
               o.server_name.empty() ? to_string(o.proto) : o.server_name.c_str(), to_string(o.scenario), o.clients,
               o.rooms, o.senders);
  l.header();
  int n = 0;
  double pass_rate = -1;
  double fail_rate = -1;
  if (o.scenario == Scenario::fanout) {
    for (double rate : o.rates) {
      if (!l.step_retrying(n, rate, false)) {
        fail_rate = rate;
        break;
      }
      pass_rate = rate;
      e.run_for(0.3);
    }
  } else {
    double rate = o.rates.front();
    for (int i = 0; i < o.ramp_max_steps; ++i, rate *= o.ramp_factor) {
      if (!l.step_retrying(n, rate, false)) {
        fail_rate = rate;
        break;
      }
      pass_rate = rate;
      e.run_for(0.3);
    }
  }
  for (int i = 0; i < o.refine && pass_rate > 0 && fail_rate > 0; ++i) {
    l.wait_quiet(20);
    const double rate = (pass_rate + fail_rate) / 2;
    if (l.step_retrying(n, rate, true)) {
      pass_rate = rate;
    } else {
      fail_rate = rate;
    }
  }
  // Ramp: one more step at half the best passing rate (latency well below saturation).
  if (o.scenario == Scenario::ramp && pass_rate > 0) {
    l.wait_quiet(20);
    l.step(n++, pass_rate / 2, false, true);
  }
  e.close_all();
  return 0;
}

}  // namespace

int run_scenario(Engine& e, const Options& o, double setup_s) {
  return o.scenario == Scenario::connections ? run_connections(e, o, setup_s) : run_load(e, o, setup_s);
}

}  // namespace parley::bench
