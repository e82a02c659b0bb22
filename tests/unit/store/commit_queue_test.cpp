// CommitQueue: ordering, batching, draining on stop, failures; over a real SQLite file and over a
// scripted store that lets a test hold the writer inside a commit.
#include <atomic>
#include <future>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>

#include "store/commit_queue.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store_test_support.hpp"

namespace parley {
namespace {

using namespace std::chrono_literals;
using test::draft;
using test::Latch;
using test::TempDir;

// A Store whose append_messages is scripted by the test; everything else is unused here.
class ScriptedStore final : public Store {
 public:
  std::function<std::vector<AppendResult>(std::span<const MessageDraft>)> on_append;

  std::vector<AppendResult> append_messages(std::span<const MessageDraft> drafts) override { return on_append(drafts); }

  // Echo: seq = position over all calls, so order is visible.
  static std::vector<AppendResult> echo(std::span<const MessageDraft> drafts, Seq& next_seq) {
    std::vector<AppendResult> out;
    for (const auto& d : drafts) {
      Message m;
      m.seq = ++next_seq;
      m.room_id = d.room_id;
      m.content = d.content;
      out.push_back({.message = m, .duplicate = false});
    }
    return out;
  }

  [[noreturn]] static void unused() { throw std::logic_error("not used by CommitQueue"); }
  std::optional<User> create_user(std::string_view, std::string_view, TimeMs) override { unused(); }
  std::optional<UserCredentials> find_credentials(std::string_view) override { unused(); }
  std::optional<User> find_user(UserId) override { unused(); }
  std::optional<User> find_user_by_name(std::string_view) override { unused(); }
  void set_last_seen(UserId, TimeMs) override { unused(); }
  void insert_refresh_token(const RefreshToken&) override { unused(); }
  std::optional<RefreshToken> find_refresh_token(std::string_view) override { unused(); }
  bool consume_refresh_token(std::string_view) override { unused(); }
  void revoke_session(std::string_view) override { unused(); }
  Room create_room(std::string_view, bool, UserId, std::string_view, TimeMs) override { unused(); }
  std::optional<Room> find_room(RoomId) override { unused(); }
  std::optional<Room> find_room_by_invite(std::string_view) override { unused(); }
  std::vector<Room> list_visible_rooms(UserId) override { unused(); }
  bool add_member(RoomId, UserId, TimeMs) override { unused(); }
  bool remove_member(RoomId, UserId) override { unused(); }
  bool is_member(RoomId, UserId) override { unused(); }
  std::vector<User> list_members(RoomId) override { unused(); }
  std::vector<RoomId> rooms_of(UserId) override { unused(); }
  void insert_file(const StoredFile&) override { unused(); }
  std::optional<StoredFile> find_file(std::string_view) override { unused(); }
  std::optional<FileLookup> find_file_or_thumbnail(std::string_view) override { unused(); }
  UploadUsage upload_usage(UserId, TimeMs) override { unused(); }
  HistoryPage history(const HistoryQuery&) override { unused(); }
  std::optional<Message> find_message(MessageId) override { unused(); }
  std::optional<Message> last_message(RoomId) override { unused(); }
  std::optional<Message> edit_message(MessageId, std::string_view, TimeMs) override { unused(); }
  std::optional<Message> delete_message(MessageId, TimeMs) override { unused(); }
  void set_read(const ReadReceipt&) override { unused(); }
  Seq read_seq(RoomId, UserId) override { unused(); }
  std::vector<ReadReceipt> read_receipts(RoomId) override { unused(); }
};

// Holds the writer inside its first commit until released, so tests can queue work behind it.
class Gate {
 public:
  void enter() {
    entered_.set_value();
    release_.get_future().wait();
  }
  bool wait_entered() { return entered_.get_future().wait_for(60s) == std::future_status::ready; }
  void open() { release_.set_value(); }

 private:
  std::promise<void> entered_;
  std::promise<void> release_;
};

TEST(CommitQueueScripted, CompletionsRunInSubmissionOrder) {
  ScriptedStore store;
  Seq next = 0;
  store.on_append = [&](std::span<const MessageDraft> d) { return ScriptedStore::echo(d, next); };
  std::vector<Seq> seen;  // only touched on the writer thread, read after the latch
  Latch done;
  {
    CommitQueue queue(store, 16);
    for (int i = 0; i < 500; ++i) {
      queue.submit(draft(1, 1, std::to_string(i)), [&, i](const std::optional<AppendResult>& r) {
        ASSERT_TRUE(r.has_value());
        EXPECT_EQ(r->message.content, std::to_string(i));
        seen.push_back(r->message.seq);
        done.add();
      });
    }
    ASSERT_TRUE(done.wait_for(500));
  }
  ASSERT_EQ(seen.size(), 500u);
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], static_cast<Seq>(i + 1));
}

TEST(CommitQueueScripted, BatchesWhatQueuedDuringACommitUpToMaxBatch) {
  ScriptedStore store;
  Gate gate;
  Seq next = 0;
  std::vector<std::size_t> batch_sizes;
  bool first = true;
  store.on_append = [&](std::span<const MessageDraft> d) {
    batch_sizes.push_back(d.size());
    if (std::exchange(first, false)) gate.enter();
    return ScriptedStore::echo(d, next);
  };
  std::vector<std::pair<std::size_t, std::chrono::microseconds>> observed;
  Latch done;
  CommitQueue queue(store, 4, {},
                    [&](std::size_t n, std::chrono::microseconds took) { observed.emplace_back(n, took); });
  const auto count = [&](const std::optional<AppendResult>& r) {
    EXPECT_TRUE(r.has_value());
    done.add();
  };

  queue.submit(draft(1, 1, "alone"), count);  // with nothing else queued: a batch of one, at once
  ASSERT_TRUE(gate.wait_entered());
  for (int i = 0; i < 10; ++i) queue.submit(draft(1, 1, "queued"), count);
  EXPECT_EQ(queue.pending(), 10u);
  gate.open();
  ASSERT_TRUE(done.wait_for(11));
  queue.stop();

  EXPECT_EQ(batch_sizes, (std::vector<std::size_t>{1, 4, 4, 2}));
  ASSERT_EQ(observed.size(), 4u);
  EXPECT_EQ(observed[1].first, 4u);
  EXPECT_EQ(queue.pending(), 0u);
}

TEST(CommitQueueScripted, AFailedBatchCompletesEveryItemWithNullopt) {
  ScriptedStore store;
  Gate gate;
  bool first = true;
  Seq next = 0;
  int calls = 0;
  store.on_append = [&](std::span<const MessageDraft> d) -> std::vector<AppendResult> {
    ++calls;
    if (std::exchange(first, false)) {
      gate.enter();
      return ScriptedStore::echo(d, next);
    }
    if (calls == 2) throw StoreError("disk I/O error");
    return ScriptedStore::echo(d, next);
  };
  int observed = 0;
  std::vector<bool> outcomes;  // writer thread only; read after the latch
  Latch done;
  CommitQueue queue(store, 100, {}, [&](std::size_t, std::chrono::microseconds) { ++observed; });
  const auto record = [&](const std::optional<AppendResult>& r) {
    outcomes.push_back(r.has_value());
    done.add();
  };
  queue.submit(draft(1, 1, "ok"), record);
  ASSERT_TRUE(gate.wait_entered());
  for (int i = 0; i < 3; ++i) queue.submit(draft(1, 1, "doomed"), record);  // one batch, which fails
  gate.open();
  ASSERT_TRUE(done.wait_for(4));
  queue.submit(draft(1, 1, "after"), record);  // the writer survived the failure
  ASSERT_TRUE(done.wait_for(5));
  queue.stop();
  EXPECT_EQ(outcomes, (std::vector<bool>{true, false, false, false, true}));
  EXPECT_EQ(observed, 2);  // only committed batches are observed
}

TEST(CommitQueueScripted, AThrowingCompletionDoesNotStopTheWriter) {
  ScriptedStore store;
  Seq next = 0;
  store.on_append = [&](std::span<const MessageDraft> d) { return ScriptedStore::echo(d, next); };
  Latch done;
  CommitQueue queue(store, 8);
  queue.submit(draft(1, 1, "a"), [](const std::optional<AppendResult>&) { throw std::runtime_error("boom"); });
  queue.submit(draft(1, 1, "b"), [&](const std::optional<AppendResult>& r) {
    EXPECT_TRUE(r.has_value());
    done.add();
  });
  EXPECT_TRUE(done.wait_for(1));
}

// With commits spaced an hour apart, only the first draft after idleness, a full batch or stop()
// can start a commit: the test would hang (and time out) if any of them waited out the spacing.
TEST(CommitQueueScripted, SpacedCommitsStartForTheFirstDraftAFullBatchOrStop) {
  ScriptedStore store;
  Seq next = 0;
  std::vector<std::size_t> batch_sizes;  // writer thread only; read after the latch or stop()
  store.on_append = [&](std::span<const MessageDraft> d) {
    batch_sizes.push_back(d.size());
    return ScriptedStore::echo(d, next);
  };
  Latch done;
  const auto count = [&](const std::optional<AppendResult>& r) {
    EXPECT_TRUE(r.has_value());
    done.add();
  };
  CommitQueue queue(store, 3, std::chrono::hours(1));
  queue.submit(draft(1, 1, "after idleness"), count);
  ASSERT_TRUE(done.wait_for(1));
  queue.submit(draft(1, 1, "waits"), count);
  EXPECT_FALSE(done.wait_for(2, 300ms)) << "a draft right after a commit started a commit of its own";
  for (int i = 0; i < 2; ++i) queue.submit(draft(1, 1, "fills the batch"), count);
  ASSERT_TRUE(done.wait_for(4));
  queue.submit(draft(1, 1, "held until stop"), count);
  queue.stop();
  EXPECT_EQ(done.count(), 5u);
  EXPECT_EQ(batch_sizes, (std::vector<std::size_t>{1, 3, 1}));
}

TEST(CommitQueueScripted, StopDrainsEverythingQueuedBehindACommit) {
  ScriptedStore store;
  Gate gate;
  bool first = true;
  Seq next = 0;
  store.on_append = [&](std::span<const MessageDraft> d) {
    if (std::exchange(first, false)) gate.enter();
    return ScriptedStore::echo(d, next);
  };
  std::atomic<int> stored{0};
  CommitQueue queue(store, 64);
  const auto count = [&](const std::optional<AppendResult>& r) {
    if (r) ++stored;
  };
  queue.submit(draft(1, 1, "first"), count);
  ASSERT_TRUE(gate.wait_entered());
  for (int i = 0; i < 1000; ++i) queue.submit(draft(1, 1, "queued"), count);
  // stop() must wait for the held commit and everything behind it.
  auto stopping = std::async(std::launch::async, [&] { queue.stop(); });
  EXPECT_EQ(stopping.wait_for(50ms), std::future_status::timeout);  // still held by the gate
  gate.open();
  ASSERT_EQ(stopping.wait_for(60s), std::future_status::ready);
  EXPECT_EQ(stored.load(), 1001);
  EXPECT_EQ(queue.pending(), 0u);
}

TEST(CommitQueueScripted, ConcurrentStopsBothWaitForTheDrain) {
  ScriptedStore store;
  Gate gate;
  bool first = true;
  Seq next = 0;
  store.on_append = [&](std::span<const MessageDraft> d) {
    if (std::exchange(first, false)) gate.enter();
    return ScriptedStore::echo(d, next);
  };
  std::atomic<int> stored{0};
  CommitQueue queue(store, 8);
  const auto count = [&](const std::optional<AppendResult>& r) {
    if (r) ++stored;
  };
  queue.submit(draft(1, 1, "first"), count);
  ASSERT_TRUE(gate.wait_entered());
  for (int i = 0; i < 100; ++i) queue.submit(draft(1, 1, "queued"), count);
  auto a = std::async(std::launch::async, [&] {
    queue.stop();
    return stored.load();
  });
  auto b = std::async(std::launch::async, [&] {
    queue.stop();
    return stored.load();
  });
  EXPECT_EQ(a.wait_for(50ms), std::future_status::timeout);
  gate.open();
  EXPECT_EQ(a.get(), 101);  // neither returns before everything was committed and completed
  EXPECT_EQ(b.get(), 101);
}

TEST(CommitQueueScripted, StopAfterStopFromACompletionStillWaitsForTheDrain) {
  ScriptedStore store;
  Gate gate;
  int call = 0;
  Seq next = 0;
  store.on_append = [&](std::span<const MessageDraft> d) {
    if (++call == 2) gate.enter();  // hold the second batch
    return ScriptedStore::echo(d, next);
  };
  std::atomic<int> stored{0};
  CommitQueue queue(store, 1);
  queue.submit(draft(1, 1, "stops"), [&](const std::optional<AppendResult>& r) {
    // Queue more before stopping from inside: the stop must still let them through.
    queue.submit(draft(1, 1, "after-1"), [&](const std::optional<AppendResult>& x) { stored += x ? 1 : 0; });
    queue.submit(draft(1, 1, "after-2"), [&](const std::optional<AppendResult>& x) { stored += x ? 1 : 0; });
    queue.stop();
    stored += r ? 1 : 0;
  });
  ASSERT_TRUE(gate.wait_entered());
  auto stopping = std::async(std::launch::async, [&] {
    queue.stop();
    return stored.load();
  });
  EXPECT_EQ(stopping.wait_for(50ms), std::future_status::timeout);
  gate.open();
  EXPECT_EQ(stopping.get(), 3);
}

TEST(CommitQueueScripted, SubmitAfterStopCompletesAtOnceWithNullopt) {
  ScriptedStore store;
  int appends = 0;
  store.on_append = [&](std::span<const MessageDraft>) -> std::vector<AppendResult> {
    ++appends;
    return {};
  };
  CommitQueue queue(store, 8);
  queue.stop();
  queue.stop();  // idempotent
  bool called = false;
  queue.submit(draft(1, 1, "late"), [&](const std::optional<AppendResult>& r) {
    called = true;
    EXPECT_FALSE(r.has_value());
  });
  EXPECT_TRUE(called);  // synchronously, on the submitting thread
  EXPECT_EQ(appends, 0);
}

TEST(CommitQueueScripted, StopFromACompletionDoesNotDeadlock) {
  ScriptedStore store;
  Seq next = 0;
  store.on_append = [&](std::span<const MessageDraft> d) { return ScriptedStore::echo(d, next); };
  Latch done;
  auto queue = std::make_unique<CommitQueue>(store, 8);
  queue->submit(draft(1, 1, "a"), [&](const std::optional<AppendResult>&) {
    queue->stop();
    done.add();
  });
  ASSERT_TRUE(done.wait_for(1));
  queue.reset();  // the destructor joins the writer
}

// ---- over SQLite

class CommitQueueSqliteTest : public ::testing::Test {
 protected:
  TempDir dir;
  SqliteStore store{dir.file("parley.db"), SqliteSync::full};
  UserId alice = store.create_user("alice", "h", 1)->id;
};

TEST_F(CommitQueueSqliteTest, GaplessSeqsUnderEightProducers) {
  constexpr int kProducers = 8;
  constexpr int kPerProducer = 2000;
  constexpr int kRooms = 4;
  std::vector<RoomId> rooms;
  std::vector<UserId> senders;
  for (int r = 0; r < kRooms; ++r)
    rooms.push_back(store.create_room(test::numbered("room", r), false, alice, "", 1).id);
  for (int p = 0; p < kProducers; ++p) senders.push_back(store.create_user(test::numbered("user", p), "h", 1)->id);

  // Completions run on the one writer thread; these are read only after the latch.
  std::map<RoomId, std::vector<Seq>> seqs_in_completion_order;
  std::map<std::pair<int, RoomId>, Seq> last_seq_of_producer;  // FIFO per producer and room
  int out_of_order_for_producer = 0;
  int failed = 0;
  std::vector<std::size_t> batch_sizes;
  Latch done;
  {
    CommitQueue queue(store, 256, {}, [&](std::size_t n, std::chrono::microseconds) { batch_sizes.push_back(n); });
    std::vector<std::thread> producers;
    for (int p = 0; p < kProducers; ++p) {
      producers.emplace_back([&, p] {
        for (int i = 0; i < kPerProducer; ++i) {
          const RoomId room = rooms[static_cast<std::size_t>((p + i) % kRooms)];
          const std::string client_id = test::numbered(test::numbered("p", p) + "-", i);
          queue.submit(draft(room, senders[static_cast<std::size_t>(p)], "hi", client_id),
                       [&, p, room](const std::optional<AppendResult>& r) {
                         if (!r) {
                           ++failed;
                         } else {
                           seqs_in_completion_order[room].push_back(r->message.seq);
                           auto& last = last_seq_of_producer[{p, room}];
                           if (r->message.seq <= last) ++out_of_order_for_producer;
                           last = r->message.seq;
                         }
                         done.add();
                       });
        }
      });
    }
    for (auto& t : producers) t.join();
    ASSERT_TRUE(done.wait_for(kProducers * kPerProducer, 120s));
  }
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(out_of_order_for_producer, 0);
  std::size_t total = 0;
  for (const RoomId room : rooms) {
    const auto& seqs = seqs_in_completion_order[room];
    total += seqs.size();
    // Completions per room come in seq order, 1..n, no gap, no repeat.
    for (std::size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], static_cast<Seq>(i + 1)) << "room " << room;
    EXPECT_EQ(store.find_room(room)->last_seq, static_cast<Seq>(seqs.size()));
  }
  EXPECT_EQ(total, static_cast<std::size_t>(kProducers * kPerProducer));
  std::size_t batched = 0;
  for (auto n : batch_sizes) batched += n;
  EXPECT_EQ(batched, total);
  EXPECT_LT(batch_sizes.size(), total);  // group commit actually grouped
}

TEST_F(CommitQueueSqliteTest, StopDrainsEverythingSubmitted) {
  const RoomId room = store.create_room("general", false, alice, "", 1).id;
  constexpr int kMessages = 3000;
  std::atomic<int> stored{0};
  {
    CommitQueue queue(store, 128);
    for (int i = 0; i < kMessages; ++i) {
      queue.submit(draft(room, alice, "m"), [&](const std::optional<AppendResult>& r) {
        if (r) ++stored;
      });
    }
    queue.stop();
    EXPECT_EQ(stored.load(), kMessages);  // completed before stop() returned
  }
  EXPECT_EQ(store.find_room(room)->last_seq, kMessages);
}

TEST_F(CommitQueueSqliteTest, DuplicatesThroughTheQueue) {
  const RoomId room = store.create_room("general", false, alice, "", 1).id;
  std::vector<AppendResult> results;
  Latch done;
  CommitQueue queue(store, 64);
  for (int i = 0; i < 3; ++i) {
    queue.submit(draft(room, alice, "same", "client-key"), [&](const std::optional<AppendResult>& r) {
      ASSERT_TRUE(r.has_value());
      results.push_back(*r);
      done.add();
    });
  }
  ASSERT_TRUE(done.wait_for(3));
  queue.stop();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_FALSE(results[0].duplicate);
  EXPECT_TRUE(results[1].duplicate);
  EXPECT_TRUE(results[2].duplicate);
  EXPECT_EQ(results[2].message.id, results[0].message.id);
  EXPECT_EQ(store.find_room(room)->last_seq, 1);
}

}  // namespace
}  // namespace parley
