// What the generator reads from /proc: the server's CPU time (user and kernel) and RSS, the
// per-core busy time (to tell when another task shared a pinned core), and its own CPU.
#pragma once

#include <optional>
#include <vector>

namespace parley::bench {

struct ProcSample {
  double user_us = 0;  // utime of all threads, from /proc/PID/stat (CLK_TCK resolution)
  double sys_us = 0;   // stime
  long rss_kib = 0;    // VmRSS from /proc/PID/status
};
std::optional<ProcSample> sample_proc(int pid);

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
