// SqliteStore: opening and schema, users, refresh tokens and sessions.
#include <atomic>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite_store.hpp"
#include "store_test_support.hpp"

namespace parley {
namespace {

using test::RawDb;
using test::TempDir;

class SqliteUsersTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::string path = dir.file("parley.db");
  SqliteStore store{path, SqliteSync::normal};
};

TEST_F(SqliteUsersTest, OpensInWalModeWithSchemaVersion) {
  RawDb raw(path);
  EXPECT_EQ(raw.scalar("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.scalar("PRAGMA user_version"), std::to_string(SqliteStore::kSchemaVersion));
}

TEST(SqliteStoreOpen, RefusesASchemaNewerThanItKnows) {
  TempDir dir;
  const auto path = dir.file("parley.db");
  { SqliteStore store(path, SqliteSync::full); }
  {
    RawDb raw(path);
    raw.exec(test::numbered("PRAGMA user_version = ", SqliteStore::kSchemaVersion + 1));
  }
  EXPECT_THROW(SqliteStore(path, SqliteSync::full), StoreError);
}

TEST(SqliteStoreOpen, UnopenablePathThrowsStoreError) {
  TempDir dir;
  EXPECT_THROW(SqliteStore(dir.file("missing-dir/parley.db"), SqliteSync::full), StoreError);
}

TEST(SqliteStoreOpen, DataSurvivesReopen) {
  TempDir dir;
  const auto path = dir.file("parley.db");
  UserId alice = 0;
  RoomId room = 0;
  {
    SqliteStore store(path, SqliteSync::full);
    alice = store.create_user("alice", "hash", 10)->id;
    room = store.create_room("general", false, alice, "", 20).id;
    const MessageDraft drafts[] = {test::draft(room, alice, "one", "c1"), test::draft(room, alice, "two")};
    store.append_messages(drafts);
    store.set_read({.room_id = room, .user_id = alice, .seq = 2});
  }
  SqliteStore reopened(path, SqliteSync::full);
  ASSERT_TRUE(reopened.find_user_by_name("ALICE").has_value());
  const auto found = reopened.find_room(room);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->last_seq, 2);
  EXPECT_EQ(found->member_count, 1);
  const auto page = reopened.history(test::query(room, 10));
  ASSERT_EQ(page.messages.size(), 2u);
  EXPECT_EQ(page.messages[0].content, "one");
  EXPECT_EQ(reopened.read_seq(room, alice), 2);
  // Idempotency keys survive too.
  const MessageDraft again[] = {test::draft(room, alice, "one again", "c1")};
  const auto results = reopened.append_messages(again);
  EXPECT_TRUE(results[0].duplicate);
  EXPECT_EQ(results[0].message.seq, 1);
}

TEST_F(SqliteUsersTest, CreateAndFindUser) {
  const auto alice = store.create_user("Alice", "argon-hash", 1234);
  ASSERT_TRUE(alice.has_value());
  EXPECT_GT(alice->id, 0);
  EXPECT_EQ(alice->username, "Alice");
  EXPECT_EQ(alice->created_at, 1234);
  EXPECT_EQ(alice->last_seen, 0);

  const auto by_id = store.find_user(alice->id);
  ASSERT_TRUE(by_id.has_value());
  EXPECT_EQ(by_id->username, "Alice");
  EXPECT_EQ(by_id->created_at, 1234);
  EXPECT_FALSE(store.find_user(alice->id + 100).has_value());
}

TEST_F(SqliteUsersTest, UsernamesAreUniqueCaseInsensitively) {
  ASSERT_TRUE(store.create_user("Alice", "h1", 1).has_value());
  EXPECT_FALSE(store.create_user("alice", "h2", 2).has_value());
  EXPECT_FALSE(store.create_user("ALICE", "h3", 3).has_value());
  EXPECT_FALSE(store.create_user("Alice", "h4", 4).has_value());
  EXPECT_TRUE(store.create_user("alice2", "h5", 5).has_value());
  // The first registration keeps its spelling and its hash.
  const auto creds = store.find_credentials("aLiCe");
  ASSERT_TRUE(creds.has_value());
  EXPECT_EQ(creds->user.username, "Alice");
  EXPECT_EQ(creds->password_hash, "h1");
}

TEST_F(SqliteUsersTest, FindByNameIsCaseInsensitive) {
  const auto bob = store.create_user("Bob_1", "h", 1);
  ASSERT_TRUE(bob.has_value());
  for (const char* name : {"Bob_1", "bob_1", "BOB_1"}) {
    const auto found = store.find_user_by_name(name);
    ASSERT_TRUE(found.has_value()) << name;
    EXPECT_EQ(found->id, bob->id);
    EXPECT_EQ(found->username, "Bob_1");
  }
  EXPECT_FALSE(store.find_user_by_name("bob").has_value());
  EXPECT_FALSE(store.find_credentials("nobody").has_value());
}

TEST_F(SqliteUsersTest, SetLastSeenPersists) {
  const auto alice = store.create_user("alice", "h", 1);
  store.set_last_seen(alice->id, 987654321);
  EXPECT_EQ(store.find_user(alice->id)->last_seen, 987654321);
  EXPECT_EQ(store.find_credentials("alice")->user.last_seen, 987654321);
  store.set_last_seen(alice->id + 99, 5);  // unknown user: a no-op, not an error
}

TEST_F(SqliteUsersTest, UsernameTakenUnderConcurrency) {
  // Many threads register the same name in different cases: exactly one wins.
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      const std::string name = (i % 2 == 0) ? "carol" : "CAROL";
      if (store.create_user(name, "h", i).has_value()) ++winners;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(winners.load(), 1);
}

class SqliteTokensTest : public SqliteUsersTest {
 protected:
  UserId alice = store.create_user("alice", "h", 1)->id;

  RefreshToken token(std::string hash, std::string session) {
    return RefreshToken{.token_hash = std::move(hash),
                        .session_id = std::move(session),
                        .user_id = alice,
                        .expires_at = 5000,
                        .used = false,
                        .session_revoked = false};
  }
};

TEST_F(SqliteTokensTest, InsertAndFind) {
  store.insert_refresh_token(token("hash-1", "session-a"));
  const auto found = store.find_refresh_token("hash-1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->token_hash, "hash-1");
  EXPECT_EQ(found->session_id, "session-a");
  EXPECT_EQ(found->user_id, alice);
  EXPECT_EQ(found->expires_at, 5000);
  EXPECT_FALSE(found->used);
  EXPECT_FALSE(found->session_revoked);
  EXPECT_FALSE(store.find_refresh_token("hash-unknown").has_value());
}

TEST_F(SqliteTokensTest, ConsumeWorksOnce) {
  store.insert_refresh_token(token("hash-1", "session-a"));
  EXPECT_TRUE(store.consume_refresh_token("hash-1"));
  EXPECT_FALSE(store.consume_refresh_token("hash-1"));
  EXPECT_TRUE(store.find_refresh_token("hash-1")->used);
  EXPECT_FALSE(store.consume_refresh_token("hash-unknown"));
}

TEST_F(SqliteTokensTest, ConsumeOnlyOnceFromTwoThreads) {
  constexpr int kTokens = 200;
  for (int i = 0; i < kTokens; ++i) store.insert_refresh_token(token(test::numbered("hash-", i), "session-a"));

  std::atomic<bool> go{false};
  std::atomic<int> consumed[2] = {0, 0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < kTokens; ++i) {
        if (store.consume_refresh_token(test::numbered("hash-", i))) ++consumed[t];
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(consumed[0].load() + consumed[1].load(), kTokens);
}

TEST_F(SqliteTokensTest, RevokeSessionMarksEveryTokenOfIt) {
  store.insert_refresh_token(token("hash-1", "session-a"));
  store.insert_refresh_token(token("hash-2", "session-a"));  // rotated from hash-1
  store.insert_refresh_token(token("hash-3", "session-b"));  // another login
  store.revoke_session("session-a");
  EXPECT_TRUE(store.find_refresh_token("hash-1")->session_revoked);
  EXPECT_TRUE(store.find_refresh_token("hash-2")->session_revoked);
  EXPECT_FALSE(store.find_refresh_token("hash-3")->session_revoked);
  // A token rotated into a revoked session stays revoked.
  store.insert_refresh_token(token("hash-4", "session-a"));
  EXPECT_TRUE(store.find_refresh_token("hash-4")->session_revoked);
  store.revoke_session("session-unknown");  // a no-op
}

}  // namespace
}  // namespace parley
