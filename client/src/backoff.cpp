// Reconnect backoff: exponential with full jitter (delay uniform in [0, min(cap, initial * 2^n)]).
#include <algorithm>
#include <cmath>

#include "parley/client.hpp"

namespace parley::client {

std::chrono::milliseconds backoff_ceiling(const BackoffPolicy& policy, unsigned attempt) {
  const std::int64_t initial = std::max<std::int64_t>(0, policy.initial.count());
  const std::int64_t cap = std::max<std::int64_t>(0, policy.cap.count());
  const unsigned doublings = attempt == 0 ? 0 : attempt - 1;
  std::int64_t ceiling = initial;
  for (unsigned i = 0; i < doublings && ceiling < cap; ++i) ceiling *= 2;  // stops before overflow
  return std::chrono::milliseconds(std::min(ceiling, cap));
}

std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, unsigned attempt, double unit) {
  if (!(unit >= 0.0)) unit = 0.0;  // NaN too
  unit = std::min(unit, 1.0);
  const auto ceiling = backoff_ceiling(policy, attempt).count();
  return std::chrono::milliseconds(std::llround(unit * static_cast<double>(ceiling)));
}

std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, unsigned attempt, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  return backoff_delay(policy, attempt, unit(rng));
}

}  // namespace parley::client
