// Group commit: messages from every connection are queued here and a single writer thread
// stores them in batches (one transaction, one fsync per batch). A message's completion runs
// only after its batch committed, so an `ack` built in it is never ahead of the disk.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "core/types.hpp"
#include "store/store.hpp"

namespace parley {

class CommitQueue {
 public:
  // Runs on the writer thread, in commit order (so per room in seq order). nullopt: the batch
  // failed and nothing of it was stored.
  using Completion = std::function<void(const std::optional<AppendResult>&)>;
  // Observes every committed batch (size, wall time of the store call); for metrics.
  using BatchObserver = std::function<void(std::size_t batch_size, std::chrono::microseconds took)>;

  // `commit_spacing`: a batch starts at least this long after the previous one started, unless
  // max_batch drafts are waiting. Zero commits whatever is queued at once. A message that finds
  // the writer idle for longer than that is never held back; under sustained load, batches grow
  // to rate x spacing, and each commit's fixed cost (transaction, WAL pages, fsync) is shared.
  CommitQueue(Store& store, std::size_t max_batch, std::chrono::microseconds commit_spacing = {},
              BatchObserver observer = {});
  ~CommitQueue();  // stops and drains: everything submitted before is committed and completed
  CommitQueue(const CommitQueue&) = delete;
  CommitQueue& operator=(const CommitQueue&) = delete;

  void submit(MessageDraft draft, Completion done);
  // Stops accepting, commits what is queued, joins the writer. Idempotent.
  void stop();
  std::size_t pending() const;

 private:
  struct Item {
    MessageDraft draft;
    Completion done;
  };
  void run();

  Store& store_;
  const std::size_t max_batch_;
  const std::chrono::microseconds commit_spacing_;
  BatchObserver observer_;
  std::mutex stop_mutex_;  // serialises stop(): concurrent callers must not join the writer twice
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace parley
