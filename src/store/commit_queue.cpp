#include "store/commit_queue.hpp"

#include <algorithm>
#include <exception>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

namespace parley {
namespace {

// The queue whose writer runs on this thread (set in run()): lets stop() recognise a call from
// one of its own completions without touching the std::thread another caller may be joining.
thread_local const CommitQueue* writer_of_this_thread = nullptr;

// A completion that throws must not kill the writer thread (that would stop every later ack).
void complete(const CommitQueue::Completion& done, const std::optional<AppendResult>& result) {
  if (!done) return;
  try {
    done(result);
  } catch (const std::exception& e) {
    spdlog::error("commit queue: completion threw: {}", e.what());
  } catch (...) {
    spdlog::error("commit queue: completion threw a non-standard exception");
  }
}

}  // namespace

CommitQueue::CommitQueue(Store& store, std::size_t max_batch, std::chrono::microseconds commit_spacing,
                         BatchObserver observer)
    : store_(store),
      max_batch_(max_batch > 0 ? max_batch : 1),
      commit_spacing_(std::max(commit_spacing, std::chrono::microseconds::zero())),
      observer_(std::move(observer)) {
  // Started last: run() uses every other member.
  writer_ = std::thread([this] { run(); });
}

CommitQueue::~CommitQueue() {
  stop();
}

void CommitQueue::submit(MessageDraft draft, Completion done) {
  bool accepted = false;
  bool wake_writer = false;
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      queue_.push_back(Item{std::move(draft), std::move(done)});
      accepted = true;
      // The writer waits for the first draft, or for a full batch while it spaces commits: any
      // other draft would only wake it to go back to sleep.
      wake_writer = queue_.size() == 1 || queue_.size() == max_batch_;
    }
  }
  if (wake_writer) {
    wake_.notify_one();  // outside the lock, so the writer does not wake into a held mutex
  } else if (!accepted) {
    complete(done, std::nullopt);  // refused after stop(): nothing was stored
  }
}

void CommitQueue::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  // A completion calling stop() runs on the writer itself, which cannot join itself: the writer
  // then drains and exits on its own, and a later stop() or the destructor joins it.
  if (writer_of_this_thread == this) return;
  std::lock_guard serialise(stop_mutex_);
  if (writer_.joinable()) writer_.join();
}

std::size_t CommitQueue::pending() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void CommitQueue::run() {
  writer_of_this_thread = this;
  std::vector<MessageDraft> drafts;
  std::vector<Completion> completions;
  auto previous_start = std::chrono::steady_clock::time_point::min();
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and everything submitted before has been drained
      // Spacing commits (see the constructor): the wait only happens while commits follow each
      // other closely, i.e. under load; a stop or a full batch ends it.
      if (previous_start != std::chrono::steady_clock::time_point::min()) {
        wake_.wait_until(lock, previous_start + commit_spacing_,
                         [this] { return stopping_ || queue_.size() >= max_batch_; });
      }
      previous_start = std::chrono::steady_clock::now();
      const std::size_t take = std::min(queue_.size(), max_batch_);
      drafts.clear();
      completions.clear();
      for (std::size_t i = 0; i < take; ++i) {
        drafts.push_back(std::move(queue_.front().draft));
        completions.push_back(std::move(queue_.front().done));
        queue_.pop_front();
      }
    }

    std::vector<AppendResult> results;
    bool stored = false;
    const auto started = std::chrono::steady_clock::now();
    try {
      results = store_.append_messages(drafts);
      stored = results.size() == drafts.size();
      if (!stored)
        spdlog::error("commit queue: store returned {} results for {} drafts", results.size(), drafts.size());
    } catch (const std::exception& e) {
      spdlog::error("commit queue: batch of {} failed, nothing stored: {}", drafts.size(), e.what());
    } catch (...) {
      spdlog::error("commit queue: batch of {} failed with a non-standard exception", drafts.size());
    }
    const auto took = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);

    if (stored && observer_) {
      try {
        observer_(drafts.size(), took);
      } catch (const std::exception& e) {
        spdlog::error("commit queue: batch observer threw: {}", e.what());
      }
    }
    for (std::size_t i = 0; i < completions.size(); ++i) {
      complete(completions[i], stored ? std::optional<AppendResult>(std::move(results[i])) : std::nullopt);
    }
  }
}

}  // namespace parley
