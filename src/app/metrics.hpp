// Counters for /metrics (Prometheus text format). Plain relaxed atomics: the hot path pays
// one uncontended increment, and a scrape reads whatever is current.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace parley {

class Metrics {
 public:
  std::atomic<std::int64_t> ws_connections{0};  // open now
  std::atomic<std::int64_t> ws_connections_total{0};
  std::atomic<std::int64_t> ws_frames_in{0};
  std::atomic<std::int64_t> ws_frames_out{0};
  std::atomic<std::int64_t> deliveries{0};  // chat messages written to connections
  std::atomic<std::int64_t> slow_consumers_closed{0};
  std::atomic<std::int64_t> http_requests{0};
  std::atomic<std::int64_t> messages_stored{0};

  void observe_commit(std::size_t batch_size, std::chrono::microseconds took);
  std::string render() const;

 private:
  // Upper bounds in microseconds of the commit latency histogram.
  static constexpr std::array<std::int64_t, 12> kBucketsUs = {100,   250,   500,   1000,   2500,   5000,
                                                              10000, 25000, 50000, 100000, 250000, 1000000};
  std::array<std::atomic<std::int64_t>, kBucketsUs.size() + 1> commit_buckets_{};
  std::atomic<std::int64_t> commit_count_{0};
  std::atomic<std::int64_t> commit_sum_us_{0};
  std::atomic<std::int64_t> commit_batches_{0};
};

}  // namespace parley
