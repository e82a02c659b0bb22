// What the generator reads from /proc: the server's CPU time (user and kernel) and RSS, the
// per-core busy time (to tell when another task shared a pinned core), and its own CPU.
#pragma once

#include <optional>
#include <vector>

namespace parley::bench {

struct ProcSample {
  double user_us = 0;    // utime of all threads, from /proc/PID/stat (CLK_TCK resolution)
  double sys_us = 0;     // stime
  double on_cpu_us = 0;  // time on a CPU, summed over /proc/PID/task/*/schedstat (ns resolution)
  long rss_kib = 0;      // VmRSS from /proc/PID/status
};
std::optional<ProcSample> sample_proc(int pid);

// CPU time between two samples. The total is the scheduler's exact figure where the kernel keeps
// it; utime/stime only count clock ticks (a few hundred per second at most), so they only split
// that total into user and kernel shares.
struct CpuUse {
  double user_us = 0;
  double sys_us = 0;
  double total_us() const { return user_us + sys_us; }
};
CpuUse cpu_between(const ProcSample& before, const ProcSample& after);

struct CoreTicks {
  long long busy = 0;  // user + nice + system + irq + softirq
  long long steal = 0;
  long long total = 0;
};
// Index 0: the whole machine; i + 1: CPU i.
std::vector<CoreTicks> read_core_ticks();
double ticks_to_us(long long ticks);

// The CPU a process is pinned to (taskset -c N), or -1 when it may run on several.
int pinned_cpu(int pid);

struct SelfCpu {
  double user_us = 0;
  double sys_us = 0;
};
SelfCpu self_cpu();

}  // namespace parley::bench
