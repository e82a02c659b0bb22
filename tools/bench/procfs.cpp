#include "procfs.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace parley::bench {

namespace {

const double kTickUs = 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

}  // namespace

double ticks_to_us(long long ticks) {
  return static_cast<double>(ticks) * kTickUs;
}

std::optional<ProcSample> sample_proc(int pid) {
  if (pid <= 0) return std::nullopt;
  std::string stat;
  std::string status;
  if (!read_file("/proc/" + std::to_string(pid) + "/stat", stat)) return std::nullopt;
  if (!read_file("/proc/" + std::to_string(pid) + "/status", status)) return std::nullopt;
  const std::size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  // After "pid (comm) ": field 3 is state; utime and stime are fields 14 and 15.
  std::istringstream fields(stat.substr(paren + 2));
  std::string f;
  ProcSample s;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) s.user_us = ticks_to_us(std::atoll(f.c_str()));
    if (i == 15) s.sys_us = ticks_to_us(std::atoll(f.c_str()));
  }
  const std::size_t rss = status.find("VmRSS:");
  if (rss != std::string::npos) s.rss_kib = std::atol(status.c_str() + rss + 6);
  // A thread that exits takes its share with it; the server's threads live as long as it does.
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::string schedstat;
    if (read_file(task.path().string() + "/schedstat", schedstat)) s.on_cpu_us += std::atof(schedstat.c_str()) / 1e3;
  }
  return s;
}

CpuUse cpu_between(const ProcSample& before, const ProcSample& after) {
  const CpuUse ticks{.user_us = after.user_us - before.user_us, .sys_us = after.sys_us - before.sys_us};
  const double exact = after.on_cpu_us - before.on_cpu_us;
  if (exact <= 0 || before.on_cpu_us <= 0) return ticks;  // no schedstat here
  const double user_share = ticks.total_us() > 0 ? ticks.user_us / ticks.total_us() : 0.5;
  return CpuUse{.user_us = exact * user_share, .sys_us = exact * (1 - user_share)};
}

std::vector<CoreTicks> read_core_ticks() {
  std::vector<CoreTicks> out;
  std::ifstream in("/proc/stat");
  std::string line;
  while (std::getline(in, line) && line.rfind("cpu", 0) == 0) {
    std::istringstream ss(line);
    std::string name;
    long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    ss >> name >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
    CoreTicks t;
    t.busy = user + nice + system + irq + softirq;
    t.steal = steal;
    t.total = t.busy + idle + iowait + steal;
    if (name == "cpu") {
      out.insert(out.begin(), t);
    } else {
      const std::size_t cpu = std::strtoul(name.c_str() + 3, nullptr, 10);
      if (out.size() < cpu + 2) out.resize(cpu + 2);
      out[cpu + 1] = t;
    }
  }
  return out;
}

int pinned_cpu(int pid) {
  std::string status;
  if (!read_file("/proc/" + std::to_string(pid) + "/status", status)) return -1;
  const std::size_t at = status.find("Cpus_allowed_list:");
  if (at == std::string::npos) return -1;
  const char* p = status.c_str() + at + std::strlen("Cpus_allowed_list:");
  while (*p == ' ' || *p == '\t') ++p;
  char* end = nullptr;
  const long cpu = std::strtol(p, &end, 10);
  if (end == p || (*end != '\n' && *end != '\0')) return -1;  // a list or a range: not one CPU
  return static_cast<int>(cpu);
}

SelfCpu self_cpu() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return {ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec, ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec};
}

}  // namespace parley::bench
