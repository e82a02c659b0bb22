// SqliteStore: appending (seqs, idempotency, atomicity), history paging, edits, tombstones,
// and readers running beside the writer.
#include <atomic>
#include <fstream>
#include <iterator>
#include <thread>

#include "store/sqlite/sqlite_store.hpp"
#include "store_test_support.hpp"

namespace parley {
namespace {

using test::draft;
using test::query;
using test::RawDb;
using test::TempDir;

class SqliteMessagesTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::string path = dir.file("parley.db");
  SqliteStore store{path, SqliteSync::normal};
  UserId alice = store.create_user("alice", "h", 1)->id;
  UserId bob = store.create_user("bob", "h", 1)->id;
  RoomId general = store.create_room("general", false, alice, "", 1).id;
  RoomId random = store.create_room("random", false, bob, "", 1).id;

  std::vector<AppendResult> append(std::vector<MessageDraft> drafts) { return store.append_messages(drafts); }

  // Room `general` with seq 1..n, created_at = 1000 + 10 * seq.
  void fill_general(int n) {
    std::vector<MessageDraft> drafts;
    for (int i = 1; i <= n; ++i)
      drafts.push_back(draft(general, alice, test::numbered("m", i), std::nullopt, 1000 + 10 * i));
    append(drafts);
  }

  static std::vector<Seq> seqs(const HistoryPage& page) {
    std::vector<Seq> out;
    for (const auto& m : page.messages) out.push_back(m.seq);
    return out;
  }
};

TEST_F(SqliteMessagesTest, AppendAssignsIdsSeqsAndFillsTheMessage) {
  MessageDraft d = draft(general, alice, "hello", "client-1", 4242);
  d.message_type = "image";
  const auto results = append({d});
  ASSERT_EQ(results.size(), 1u);
  const Message& m = results[0].message;
  EXPECT_FALSE(results[0].duplicate);
  EXPECT_GT(m.id, 0);
  EXPECT_EQ(m.seq, 1);
  EXPECT_EQ(m.room_id, general);
  EXPECT_EQ(m.sender_id, alice);
  EXPECT_EQ(m.sender, "alice");
  EXPECT_EQ(m.content, "hello");
  EXPECT_EQ(m.created_at, 4242);
  EXPECT_FALSE(m.edited_at.has_value());
  EXPECT_FALSE(m.deleted);
  EXPECT_EQ(m.message_type, "image");
  EXPECT_EQ(m.client_id, "client-1");

  const auto found = store.find_message(m.id);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->seq, 1);
  EXPECT_EQ(found->sender, "alice");
  EXPECT_EQ(found->content, "hello");
  EXPECT_EQ(found->message_type, "image");
  EXPECT_EQ(found->client_id, "client-1");
  EXPECT_EQ(found->created_at, 4242);
  EXPECT_FALSE(store.find_message(m.id + 1000).has_value());
  EXPECT_TRUE(append({}).empty());
}

TEST_F(SqliteMessagesTest, SeqsAreGaplessPerRoomAcrossBatches) {
  const auto first = append({draft(general, alice, "g1"), draft(random, bob, "r1"), draft(general, bob, "g2")});
  const auto second = append({draft(random, alice, "r2"), draft(general, alice, "g3"), draft(random, bob, "r3")});
  EXPECT_EQ(first[0].message.seq, 1);
  EXPECT_EQ(first[1].message.seq, 1);
  EXPECT_EQ(first[2].message.seq, 2);
  EXPECT_EQ(second[0].message.seq, 2);
  EXPECT_EQ(second[1].message.seq, 3);
  EXPECT_EQ(second[2].message.seq, 3);
  EXPECT_EQ(store.find_room(general)->last_seq, 3);
  EXPECT_EQ(store.find_room(random)->last_seq, 3);
  // Ids are global and increase in batch order.
  EXPECT_LT(first[0].message.id, first[1].message.id);
  EXPECT_LT(first[2].message.id, second[0].message.id);
}

TEST_F(SqliteMessagesTest, DuplicateClientIdWithinOneBatch) {
  const auto results = append({draft(general, alice, "first", "dup"), draft(general, alice, "second", "dup"),
                               draft(general, alice, "third", "other")});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_FALSE(results[0].duplicate);
  EXPECT_TRUE(results[1].duplicate);
  EXPECT_EQ(results[1].message.id, results[0].message.id);
  EXPECT_EQ(results[1].message.content, "first");
  EXPECT_EQ(results[1].message.seq, 1);
  EXPECT_EQ(results[1].message.sender, "alice");
  EXPECT_EQ(results[2].message.seq, 2);  // the duplicate consumed no seq
  EXPECT_EQ(store.find_room(general)->last_seq, 2);
  RawDb raw(path);
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM messages"), "2");
}

TEST_F(SqliteMessagesTest, DuplicateClientIdAcrossBatches) {
  const auto original = append({draft(general, alice, "first", "dup")})[0].message;
  append({draft(general, bob, "bob's")});
  const auto again = append({draft(general, alice, "retry", "dup")});
  EXPECT_TRUE(again[0].duplicate);
  EXPECT_EQ(again[0].message.id, original.id);
  EXPECT_EQ(again[0].message.seq, 1);
  EXPECT_EQ(again[0].message.content, "first");
  EXPECT_EQ(store.find_room(general)->last_seq, 2);
}

TEST_F(SqliteMessagesTest, ClientIdsArePerSender) {
  const auto results = append({draft(general, alice, "a", "same"), draft(general, bob, "b", "same")});
  EXPECT_FALSE(results[0].duplicate);
  EXPECT_FALSE(results[1].duplicate);
  EXPECT_EQ(results[1].message.seq, 2);
}

TEST_F(SqliteMessagesTest, MessagesWithoutClientIdAreNeverDuplicates) {
  const auto results = append({draft(general, alice, "same"), draft(general, alice, "same")});
  EXPECT_FALSE(results[1].duplicate);
  EXPECT_EQ(results[1].message.seq, 2);
}

TEST_F(SqliteMessagesTest, FailedBatchStoresNothingAndLeavesNoGap) {
  append({draft(general, alice, "before")});
  EXPECT_THROW(append({draft(general, alice, "lost-1", "c-lost"), draft(9999, alice, "no such room"),
                       draft(random, bob, "lost-2")}),
               StoreError);
  EXPECT_THROW(append({draft(general, 9999, "no such sender")}), StoreError);
  EXPECT_EQ(store.find_room(general)->last_seq, 1);
  EXPECT_EQ(store.find_room(random)->last_seq, 0);
  // Nothing in memory ran ahead: the next message takes the next seq, and the client id of the
  // rolled-back draft is free again.
  const auto next = append({draft(general, alice, "after", "c-lost")});
  EXPECT_FALSE(next[0].duplicate);
  EXPECT_EQ(next[0].message.seq, 2);
  RawDb raw(path);
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM messages"), "2");
}

TEST_F(SqliteMessagesTest, TimestampsNeverGoBackwardsWithinARoom) {
  const auto results =
      append({draft(general, alice, "a", std::nullopt, 5000), draft(general, alice, "b", std::nullopt, 4000),
              draft(random, alice, "c", std::nullopt, 3000)});
  EXPECT_EQ(results[1].message.created_at, 5000);  // clock stepped back: clamped to the previous one
  EXPECT_EQ(results[2].message.created_at, 3000);  // other rooms are independent
  const auto later = append({draft(general, alice, "d", std::nullopt, 4500)});
  EXPECT_EQ(later[0].message.created_at, 5000);
  // So paging by time finds everything after a timestamp a client has seen.
  const auto page = store.history(query(general, 10).since(4999));
  EXPECT_EQ(seqs(page), (std::vector<Seq>{1, 2, 3}));
}

TEST_F(SqliteMessagesTest, HistoryNewestWithoutBounds) {
  fill_general(10);
  auto page = store.history(query(general, 3));
  EXPECT_EQ(seqs(page), (std::vector<Seq>{8, 9, 10}));
  EXPECT_TRUE(page.has_more);
  page = store.history(query(general, 10));
  EXPECT_EQ(seqs(page).size(), 10u);
  EXPECT_EQ(seqs(page).front(), 1);
  EXPECT_FALSE(page.has_more);  // exactly everything: nothing older
  page = store.history(query(general, 9));
  EXPECT_EQ(seqs(page).front(), 2);
  EXPECT_TRUE(page.has_more);
  page = store.history(query(general, 200));
  EXPECT_EQ(seqs(page).size(), 10u);
  EXPECT_FALSE(page.has_more);
  EXPECT_EQ(page.messages[0].content, "m1");
}

TEST_F(SqliteMessagesTest, HistoryBeforeSeq) {
  fill_general(10);
  auto page = store.history(query(general, 3).before_seq(4));
  EXPECT_EQ(seqs(page), (std::vector<Seq>{1, 2, 3}));
  EXPECT_FALSE(page.has_more);
  page = store.history(query(general, 3).before_seq(5));
  EXPECT_EQ(seqs(page), (std::vector<Seq>{2, 3, 4}));
  EXPECT_TRUE(page.has_more);
  page = store.history(query(general, 3).before_seq(1));
  EXPECT_TRUE(page.messages.empty());
  EXPECT_FALSE(page.has_more);
  page = store.history(query(general, 5).before_seq(100));
  EXPECT_EQ(seqs(page), (std::vector<Seq>{6, 7, 8, 9, 10}));
  EXPECT_TRUE(page.has_more);
}

TEST_F(SqliteMessagesTest, HistorySinceSeq) {
  fill_general(10);
  auto page = store.history(query(general, 3).since_seq(7));
  EXPECT_EQ(seqs(page), (std::vector<Seq>{8, 9, 10}));
  EXPECT_FALSE(page.has_more);
  page = store.history(query(general, 3).since_seq(6));
  EXPECT_EQ(seqs(page), (std::vector<Seq>{7, 8, 9}));
  EXPECT_TRUE(page.has_more);
  page = store.history(query(general, 3).since_seq(0));
  EXPECT_EQ(seqs(page), (std::vector<Seq>{1, 2, 3}));
  EXPECT_TRUE(page.has_more);
  page = store.history(query(general, 3).since_seq(10));
  EXPECT_TRUE(page.messages.empty());
  EXPECT_FALSE(page.has_more);
}

TEST_F(SqliteMessagesTest, HistorySinceSeqAndBeforeSeq) {
  fill_general(10);
  auto page = store.history(query(general, 3).before_seq(6).since_seq(2));
  EXPECT_EQ(seqs(page), (std::vector<Seq>{3, 4, 5}));
  EXPECT_FALSE(page.has_more);  // 6 is excluded by before_seq
  page = store.history(query(general, 2).before_seq(6).since_seq(2));
  EXPECT_EQ(seqs(page), (std::vector<Seq>{3, 4}));
  EXPECT_TRUE(page.has_more);
  page = store.history(query(general, 5).before_seq(3).since_seq(2));
  EXPECT_TRUE(page.messages.empty());
  EXPECT_FALSE(page.has_more);
}

TEST_F(SqliteMessagesTest, HistorySinceTimestamp) {
  fill_general(10);  // created_at 1010, 1020, ..., 1100
  auto page = store.history(query(general, 3).since(1050));
  EXPECT_EQ(seqs(page), (std::vector<Seq>{6, 7, 8}));  // strictly after: seq 5 is excluded
  EXPECT_TRUE(page.has_more);
  page = store.history(query(general, 3).since(1055));
  EXPECT_EQ(seqs(page), (std::vector<Seq>{6, 7, 8}));
  page = store.history(query(general, 5).since(1050));
  EXPECT_EQ(seqs(page), (std::vector<Seq>{6, 7, 8, 9, 10}));
  EXPECT_FALSE(page.has_more);
  page = store.history(query(general, 3).since(0));
  EXPECT_EQ(seqs(page), (std::vector<Seq>{1, 2, 3}));
  page = store.history(query(general, 3).since(1100));
  EXPECT_TRUE(page.messages.empty());
  EXPECT_FALSE(page.has_more);
  // Both lower bounds: the later one wins.
  page = store.history(query(general, 5).since_seq(8).since(1050));
  EXPECT_EQ(seqs(page), (std::vector<Seq>{9, 10}));
  page = store.history(query(general, 5).since_seq(2).since(1070));
  EXPECT_EQ(seqs(page), (std::vector<Seq>{8, 9, 10}));
  // And an upper bound.
  page = store.history(query(general, 5).before_seq(9).since(1050));
  EXPECT_EQ(seqs(page), (std::vector<Seq>{6, 7, 8}));
  EXPECT_FALSE(page.has_more);
}

// The binary search behind `since` against the definition, on runs of equal timestamps,
// for every timestamp around them, and in a room without messages.
TEST_F(SqliteMessagesTest, HistorySinceMatchesALinearScanWithEqualTimestamps) {
  EXPECT_TRUE(store.history(query(random, 5).since(0)).messages.empty());
  const std::vector<TimeMs> times = {10, 10, 10, 20, 30, 30, 40, 40, 40, 40, 50};
  std::vector<MessageDraft> drafts;
  for (std::size_t i = 0; i < times.size(); ++i) {
    drafts.push_back(draft(general, alice, test::numbered("t", static_cast<int>(i)), std::nullopt, times[i]));
  }
  append(drafts);
  for (TimeMs since = 0; since <= 60; ++since) {
    std::vector<Seq> expected;
    for (std::size_t i = 0; i < times.size(); ++i) {
      if (times[i] > since) expected.push_back(static_cast<Seq>(i + 1));
    }
    EXPECT_EQ(seqs(store.history(query(general, 50).since(since))), expected) << "since " << since;
  }
}

TEST_F(SqliteMessagesTest, HistoryIsPerRoom) {
  fill_general(3);
  append({draft(random, bob, "r1")});
  const auto page = store.history(query(random, 50));
  EXPECT_EQ(seqs(page), (std::vector<Seq>{1}));
  EXPECT_EQ(page.messages[0].content, "r1");
  EXPECT_EQ(page.messages[0].sender, "bob");
  EXPECT_TRUE(store.history(query(9999, 50)).messages.empty());
}

TEST_F(SqliteMessagesTest, LastMessage) {
  EXPECT_FALSE(store.last_message(general).has_value());
  fill_general(4);
  const auto last = store.last_message(general);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->seq, 4);
  EXPECT_EQ(last->content, "m4");
}

TEST_F(SqliteMessagesTest, EditMessage) {
  const auto original = append({draft(general, alice, "typo")})[0].message;
  const auto edited = store.edit_message(original.id, "fixed", 7777);
  ASSERT_TRUE(edited.has_value());
  EXPECT_EQ(edited->content, "fixed");
  EXPECT_EQ(edited->edited_at, 7777);
  EXPECT_EQ(edited->seq, original.seq);
  EXPECT_EQ(edited->sender, "alice");
  EXPECT_EQ(store.find_message(original.id)->content, "fixed");
  EXPECT_EQ(store.history(query(general, 1)).messages[0].edited_at, 7777);
  EXPECT_FALSE(store.edit_message(original.id + 100, "x", 1).has_value());
}

TEST_F(SqliteMessagesTest, DeleteLeavesATombstoneWithoutText) {
  const std::string secret = "my password is hunter2-tombstone";
  const auto results = append({draft(general, alice, secret, "c1"), draft(general, alice, "stays")});
  const MessageId id = results[0].message.id;

  const auto tombstone = store.delete_message(id, 9000);
  ASSERT_TRUE(tombstone.has_value());
  EXPECT_TRUE(tombstone->deleted);
  EXPECT_EQ(tombstone->content, "");
  EXPECT_EQ(tombstone->seq, 1);

  const auto page = store.history(query(general, 10));
  ASSERT_EQ(page.messages.size(), 2u);
  EXPECT_TRUE(page.messages[0].deleted);
  EXPECT_EQ(page.messages[0].content, "");
  EXPECT_EQ(page.messages[1].content, "stays");
  EXPECT_TRUE(store.find_message(id)->deleted);

  // Deleting again returns the same tombstone; editing a tombstone is refused.
  EXPECT_TRUE(store.delete_message(id, 9001)->deleted);
  EXPECT_FALSE(store.edit_message(id, "resurrected", 9002).has_value());
  EXPECT_EQ(store.find_message(id)->content, "");
  EXPECT_FALSE(store.delete_message(id + 100, 1).has_value());

  // The text is gone from the row itself, not just hidden by the store.
  RawDb raw(path);
  EXPECT_EQ(raw.scalar(test::numbered("SELECT content FROM messages WHERE id = ", id)), "");
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM messages WHERE content LIKE '%hunter2%'"), "0");

  // And from the file: after a checkpoint has folded the WAL in, no byte of it remains
  // (secure_delete zeroes the space the old text occupied).
  raw.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  std::ifstream file(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.find("hunter2-tombstone"), std::string::npos);
}

TEST_F(SqliteMessagesTest, DuplicateOfADeletedMessageIsItsTombstone) {
  const auto original = append({draft(general, alice, "oops", "c1")})[0].message;
  store.delete_message(original.id, 5);
  const auto again = append({draft(general, alice, "oops", "c1")});
  EXPECT_TRUE(again[0].duplicate);
  EXPECT_TRUE(again[0].message.deleted);
  EXPECT_EQ(again[0].message.content, "");
}

TEST_F(SqliteMessagesTest, HotQueriesUseTheirIndexes) {
  fill_general(3);
  RawDb raw(path);
  const auto dedupe = raw.rows("EXPLAIN QUERY PLAN SELECT id FROM messages WHERE sender_id = 1 AND client_id = 'x'");
  EXPECT_NE(dedupe.find("messages_by_client_id"), std::string::npos) << dedupe;
  // history's `since` is a binary search of these point lookups.
  const auto since = raw.rows("EXPLAIN QUERY PLAN SELECT created_at FROM messages WHERE room_id = 1 AND seq = 2");
  EXPECT_NE(since.find("messages_by_room_seq"), std::string::npos) << since;
  const auto page =
      raw.rows("EXPLAIN QUERY PLAN SELECT id FROM messages WHERE room_id = 1 AND seq < 9 ORDER BY seq DESC LIMIT 5");
  EXPECT_NE(page.find("messages_by_room_seq"), std::string::npos) << page;
  EXPECT_EQ(page.find("TEMP B-TREE"), std::string::npos) << page;
}

TEST_F(SqliteMessagesTest, ReadersSeeOnlyCommittedDataAndDoNotWaitForAWriter) {
  fill_general(2);
  RawDb other_writer(path);
  other_writer.exec("BEGIN IMMEDIATE");
  other_writer.exec(test::numbered("UPDATE rooms SET last_seq = 999 WHERE id = ", general));
  // A write transaction holds the write lock; WAL readers proceed on the committed snapshot.
  EXPECT_EQ(store.find_room(general)->last_seq, 2);
  EXPECT_EQ(store.history(query(general, 10)).messages.size(), 2u);
  other_writer.exec("ROLLBACK");
}

TEST_F(SqliteMessagesTest, ConcurrentReadersWhileWriting) {
  constexpr int kBatches = 300;
  constexpr int kBatchSize = 5;
  std::atomic<bool> writing{true};
  std::atomic<int> failures{0};
  std::atomic<long> reads{0};

  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      Seq last_seen = 0;
      // At least a few reads even if the writer is done before this thread starts.
      for (int round = 0; writing.load() || round < 5; ++round) {
        const auto room = store.find_room(general);
        const auto page = store.history(query(general, 20));
        ++reads;
        if (!room || room->last_seq < last_seen) ++failures;  // never goes backwards
        if (room) last_seen = room->last_seq;
        // Every page is a gapless run ending at a committed seq.
        for (std::size_t i = 1; i < page.messages.size(); ++i) {
          if (page.messages[i].seq != page.messages[i - 1].seq + 1) ++failures;
        }
        if (!page.messages.empty() && page.messages.back().seq > store.find_room(general)->last_seq) ++failures;
      }
    });
  }
  for (int b = 0; b < kBatches; ++b) {
    std::vector<MessageDraft> drafts;
    for (int i = 0; i < kBatchSize; ++i) drafts.push_back(draft(general, alice, "x"));
    store.append_messages(drafts);
  }
  writing = false;
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(store.find_room(general)->last_seq, kBatches * kBatchSize);
}

}  // namespace
}  // namespace parley
