#include "app/metrics.hpp"

#include <fmt/format.h>

namespace parley {

void Metrics::observe_commit(std::size_t batch_size, std::chrono::microseconds took) {
  const auto us = took.count();
  std::size_t i = 0;
  while (i < kBucketsUs.size() && us > kBucketsUs[i]) ++i;
  commit_buckets_[i].fetch_add(1, std::memory_order_relaxed);
  commit_count_.fetch_add(1, std::memory_order_relaxed);
  commit_sum_us_.fetch_add(us, std::memory_order_relaxed);
  commit_batches_.fetch_add(1, std::memory_order_relaxed);
  messages_stored.fetch_add(static_cast<std::int64_t>(batch_size), std::memory_order_relaxed);
}

std::string Metrics::render() const {
  std::string out;
  auto counter = [&out](const char* name, const char* help, const char* type, std::int64_t v) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help, type, v);
  };
  auto get = [](const std::atomic<std::int64_t>& a) { return a.load(std::memory_order_relaxed); };
  counter("parley_ws_connections", "Open WebSocket connections", "gauge", get(ws_connections));
  counter("parley_ws_connections_total", "WebSocket connections accepted", "counter", get(ws_connections_total));
  counter("parley_ws_frames_in_total", "WebSocket frames received", "counter", get(ws_frames_in));
  counter("parley_ws_frames_out_total", "WebSocket frames sent", "counter", get(ws_frames_out));
  counter("parley_deliveries_total", "Chat messages delivered to connections", "counter", get(deliveries));
  counter("parley_slow_consumers_closed_total", "Connections closed with 1013", "counter", get(slow_consumers_closed));
  counter("parley_http_requests_total", "HTTP requests handled", "counter", get(http_requests));
  counter("parley_messages_stored_total", "Messages committed to the store", "counter", get(messages_stored));
  counter("parley_commit_batches_total", "Group commits", "counter", get(commit_batches_));

  out += "# HELP parley_store_commit_seconds Wall time of one group commit\n";
  out += "# TYPE parley_store_commit_seconds histogram\n";
  std::int64_t cumulative = 0;
  for (std::size_t i = 0; i < kBucketsUs.size(); ++i) {
    cumulative += get(commit_buckets_[i]);
    out += fmt::format("parley_store_commit_seconds_bucket{{le=\"{}\"}} {}\n", kBucketsUs[i] / 1e6, cumulative);
  }
  cumulative += get(commit_buckets_[kBucketsUs.size()]);
  out += fmt::format("parley_store_commit_seconds_bucket{{le=\"+Inf\"}} {}\n", cumulative);
  out += fmt::format("parley_store_commit_seconds_sum {}\n", get(commit_sum_us_) / 1e6);
  out += fmt::format("parley_store_commit_seconds_count {}\n", get(commit_count_));
  return out;
}

}  // namespace parley
