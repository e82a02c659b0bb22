// parley_store_bench: group commit of chat messages into SQLite (WAL, synchronous=FULL by default).
//
//   1. throughput: many producer threads submit as fast as they can; committed messages per second
//      from the first submit to the last completion.
//   2. latency: an open-loop pacer offers a fixed rate; latency is completion time minus the time the
//      message was *scheduled* to be sent, so a stalled commit counts against every message it
//      delayed (no coordinated omission).
//
// Each phase uses a fresh database file. Usage:
//   parley_store_bench [--dir DIR] [--sync full|normal] [--producers N] [--messages N] [--rooms N]
//                      [--rate MSGS_PER_S] [--seconds S] [--max-batch N] [--commit-spacing-us N]
//                      [--only throughput|latency]
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/commit_queue.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace parley::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string dir;  // empty: a fresh directory under the system temp dir
  SqliteSync sync = SqliteSync::full;
  int producers = 8;
  int messages = 200'000;
  int rooms = 100;
  int rate = 10'000;
  int seconds = 5;
  std::size_t max_batch = 1024;
  std::chrono::microseconds commit_spacing{0};
  bool run_throughput = true;
  bool run_latency = true;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "%s\nusage: parley_store_bench [--dir DIR] [--sync full|normal] [--producers N] [--messages N]\n"
               "                          [--rooms N] [--rate MSGS_PER_S] [--seconds S] [--max-batch N]\n"
               "                          [--commit-spacing-us N] [--only throughput|latency]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) usage(("missing value for " + flag).c_str());
    const std::string value = argv[++i];
    const auto number = [&] {
      const int n = std::atoi(value.c_str());
      if (n <= 0) usage(("bad value for " + flag).c_str());
      return n;
    };
    if (flag == "--dir")
      o.dir = value;
    else if (flag == "--sync" && (value == "full" || value == "normal"))
      o.sync = value == "full" ? SqliteSync::full : SqliteSync::normal;
    else if (flag == "--producers")
      o.producers = number();
    else if (flag == "--messages")
      o.messages = number();
    else if (flag == "--rooms")
      o.rooms = number();
    else if (flag == "--rate")
      o.rate = number();
    else if (flag == "--seconds")
      o.seconds = number();
    else if (flag == "--max-batch")
      o.max_batch = static_cast<std::size_t>(number());
    else if (flag == "--commit-spacing-us")
      o.commit_spacing = std::chrono::microseconds(number());
    else if (flag == "--only" && (value == "throughput" || value == "latency")) {
      o.run_throughput = value == "throughput";
      o.run_latency = value == "latency";
    } else
      usage(("unknown option " + flag).c_str());
  }
  return o;
}

// A fresh database with `users` senders and `rooms` rooms, removed when done.
class Fixture {
 public:
  Fixture(const Options& o, const std::string& name, int users) {
    std::string base = o.dir.empty() ? (std::filesystem::temp_directory_path() / "parley-bench-XXXXXX").string()
                                     : (std::filesystem::path(o.dir) / "parley-bench-XXXXXX").string();
    if (mkdtemp(base.data()) == nullptr) usage("cannot create a temporary directory");
    dir_ = base;
    store_ = std::make_unique<SqliteStore>((dir_ / (name + ".db")).string(), o.sync);
    for (int u = 0; u < users; ++u) senders_.push_back(store_->create_user("user" + std::to_string(u), "x", 1)->id);
    for (int r = 0; r < o.rooms; ++r)
      rooms_.push_back(store_->create_room("room" + std::to_string(r), false, senders_[0], "", 1).id);
  }
  ~Fixture() {
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;

  SqliteStore& store() { return *store_; }
  UserId sender(std::size_t i) const { return senders_[i % senders_.size()]; }
  RoomId room(std::size_t i) const { return rooms_[i % rooms_.size()]; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<SqliteStore> store_;
  std::vector<UserId> senders_;
  std::vector<RoomId> rooms_;
};

// A typical short chat line with an idempotency key, as a client sends it.
MessageDraft make_draft(const Fixture& f, std::size_t producer, std::size_t i) {
  MessageDraft d;
  d.sender_id = f.sender(producer);
  d.room_id = f.room(i * 7 + producer);
  d.content = "message " + std::to_string(i) + " from producer " + std::to_string(producer) +
              ": the quick brown fox jumps over the lazy dog";
  d.client_id = "c-" + std::to_string(producer) + "-" + std::to_string(i) + "-0123456789abcdef";
  d.created_at =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  return d;
}

// Counts completions; the main thread waits for all of them.
class Countdown {
 public:
  explicit Countdown(std::size_t n) : left_(n) {}
  void done() {
    std::lock_guard lock(mutex_);
    if (--left_ == 0) zero_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    zero_.wait(lock, [&] { return left_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable zero_;
  std::size_t left_;
};

struct BatchStats {
  std::size_t batches = 0;
  std::size_t messages = 0;
  std::size_t largest = 0;
  std::chrono::microseconds commit_time{0};
  std::chrono::microseconds slowest_commit{0};
  CommitQueue::BatchObserver observer() {
    return [this](std::size_t n, std::chrono::microseconds took) {  // writer thread only
      ++batches;
      messages += n;
      largest = std::max(largest, n);
      commit_time += took;
      slowest_commit = std::max(slowest_commit, took);
    };
  }
  void print() const {
    if (batches == 0) return;
    std::printf("  batches: %zu, mean size %.1f, largest %zu, mean commit %.2f ms, slowest commit %.2f ms\n", batches,
                static_cast<double>(messages) / static_cast<double>(batches), largest,
                static_cast<double>(commit_time.count()) / 1000.0 / static_cast<double>(batches),
                static_cast<double>(slowest_commit.count()) / 1000.0);
  }
};

double throughput(const Options& o) {
  Fixture f(o, "throughput", o.producers);
  const std::size_t per_producer = static_cast<std::size_t>(o.messages / o.producers);
  const std::size_t total = per_producer * static_cast<std::size_t>(o.producers);
  Countdown all(total);
  std::atomic<std::size_t> failed{0};
  BatchStats stats;
  CommitQueue queue(f.store(), o.max_batch, o.commit_spacing, stats.observer());

  // Drafts are built before the clock starts: the benchmark measures the store, not string formatting.
  std::vector<std::vector<MessageDraft>> drafts(static_cast<std::size_t>(o.producers));
  for (std::size_t p = 0; p < drafts.size(); ++p) {
    for (std::size_t i = 0; i < per_producer; ++i) drafts[p].push_back(make_draft(f, p, i));
  }

  const auto start = Clock::now();
  std::vector<std::thread> producers;
  for (std::size_t p = 0; p < drafts.size(); ++p) {
    producers.emplace_back([&, p] {
      for (auto& d : drafts[p]) {
        queue.submit(std::move(d), [&](const std::optional<AppendResult>& r) {
          if (!r) ++failed;
          all.done();
        });
      }
    });
  }
  for (auto& t : producers) t.join();
  all.wait();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  queue.stop();

  const double rate = static_cast<double>(total) / seconds;
  std::printf("\n(1) throughput: %d producers, %zu messages, %d rooms, max batch %zu\n", o.producers, total, o.rooms,
              o.max_batch);
  std::printf("  committed: %.0f msgs/s (%.2f s)%s\n", rate, seconds, failed ? "  FAILURES!" : "");
  stats.print();
  return rate;
}

struct LatencyResult {
  double p50_ms, p99_ms, p999_ms, max_ms;
};

LatencyResult latency(const Options& o) {
  Fixture f(o, "latency", 64);
  const std::size_t total = static_cast<std::size_t>(o.rate) * static_cast<std::size_t>(o.seconds);
  const auto period = std::chrono::nanoseconds(1'000'000'000LL / o.rate);
  std::vector<std::int64_t> latency_us(total, -1);  // slot i written once, by the writer thread
  Countdown all(total);
  BatchStats stats;
  CommitQueue queue(f.store(), o.max_batch, o.commit_spacing, stats.observer());

  std::vector<MessageDraft> drafts;
  drafts.reserve(total);
  for (std::size_t i = 0; i < total; ++i) drafts.push_back(make_draft(f, i % 64, i));

  const auto start = Clock::now() + std::chrono::milliseconds(10);
  for (std::size_t i = 0; i < total; ++i) {
    const auto scheduled = start + period * static_cast<std::int64_t>(i);
    std::this_thread::sleep_until(scheduled);
    queue.submit(std::move(drafts[i]), [&, i, scheduled](const std::optional<AppendResult>& r) {
      if (r) latency_us[i] = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - scheduled).count();
      all.done();
    });
  }
  all.wait();
  queue.stop();

  std::size_t failed = static_cast<std::size_t>(std::count(latency_us.begin(), latency_us.end(), -1));
  std::sort(latency_us.begin(), latency_us.end());
  const auto at = [&](double q) {
    const auto index =
        std::min(latency_us.size() - 1, static_cast<std::size_t>(q * static_cast<double>(latency_us.size())));
    return static_cast<double>(latency_us[index]) / 1000.0;
  };
  LatencyResult r{at(0.50), at(0.99), at(0.999), static_cast<double>(latency_us.back()) / 1000.0};
  std::printf("\n(2) ack latency, open loop: %d msgs/s offered for %d s (%zu messages)%s\n", o.rate, o.seconds, total,
              failed ? "  FAILURES!" : "");
  std::printf("  submit -> completion: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms\n", r.p50_ms, r.p99_ms,
              r.p999_ms, r.max_ms);
  stats.print();
  return r;
}

int run(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::printf("parley_store_bench: SQLite %s, WAL, synchronous=%s, %u hardware threads, db dir %s\n",
              sqlite3_libversion(), o.sync == SqliteSync::full ? "FULL" : "NORMAL", std::thread::hardware_concurrency(),
              o.dir.empty() ? std::filesystem::temp_directory_path().c_str() : o.dir.c_str());

  std::string table = "| measure | result | target |\n|---|---|---|\n";
  char row[160];
  if (o.run_throughput) {
    const double rate = throughput(o);
    std::snprintf(row, sizeof row, "| committed msgs/s, %d producers | %.0f | >= 50000 |\n", o.producers, rate);
    table += row;
  }
  if (o.run_latency) {
    const LatencyResult lat = latency(o);
    const std::pair<const char*, double> rows[] = {
        {"p50", lat.p50_ms}, {"p99", lat.p99_ms}, {"p99.9", lat.p999_ms}, {"max", lat.max_ms}};
    for (const auto& [name, ms] : rows) {
      std::snprintf(row, sizeof row, "| ack latency %s @ %d msgs/s | %.2f ms | %s |\n", name, o.rate, ms,
                    std::string_view(name) == "p99" ? "< 10 ms" : "");
      table += row;
    }
  }
  std::printf("\n%s", table.c_str());
  return 0;
}

}  // namespace
}  // namespace parley::bench

int main(int argc, char** argv) {
  try {
    return parley::bench::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parley_store_bench: %s\n", e.what());
    return 1;
  }
}
