// SqliteStore schema migrations: a database written by an older server opens, keeps its data,
// and ends up with the same schema as a new database.
#include <string>

#include "store/sqlite/sqlite_store.hpp"
#include "store_test_support.hpp"

namespace parley {
namespace {

using test::RawDb;
using test::TempDir;

// Version 1 exactly as the server of commit 35e7ebd created it (user_version 1). Frozen here on
// purpose: the migration must keep working on files made by that code, whatever kSchema becomes.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE IF NOT EXISTS users(
  id            INTEGER PRIMARY KEY,
  username      TEXT    NOT NULL COLLATE NOCASE,
  password_hash TEXT    NOT NULL,
  created_at    INTEGER NOT NULL,
  last_seen     INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS users_by_name ON users(username);

CREATE TABLE IF NOT EXISTS sessions(
  session_id TEXT    PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users(id),
  revoked    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS refresh_tokens(
  token_hash TEXT    PRIMARY KEY,
  session_id TEXT    NOT NULL REFERENCES sessions(session_id),
  user_id    INTEGER NOT NULL REFERENCES users(id),
  expires_at INTEGER NOT NULL,
  used       INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS refresh_tokens_by_session ON refresh_tokens(session_id);

CREATE TABLE IF NOT EXISTS rooms(
  id          INTEGER PRIMARY KEY,
  name        TEXT    NOT NULL,
  is_private  INTEGER NOT NULL,
  created_by  INTEGER NOT NULL REFERENCES users(id),
  created_at  INTEGER NOT NULL,
  invite_code TEXT,
  last_seq     INTEGER NOT NULL DEFAULT 0,
  member_count INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS rooms_by_invite ON rooms(invite_code) WHERE invite_code IS NOT NULL;

CREATE TABLE IF NOT EXISTS memberships(
  room_id   INTEGER NOT NULL REFERENCES rooms(id),
  user_id   INTEGER NOT NULL REFERENCES users(id),
  joined_at INTEGER NOT NULL,
  PRIMARY KEY(room_id, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS memberships_by_user ON memberships(user_id, room_id);

CREATE TABLE IF NOT EXISTS messages(
  id           INTEGER PRIMARY KEY,
  room_id      INTEGER NOT NULL REFERENCES rooms(id),
  seq          INTEGER NOT NULL,
  sender_id    INTEGER NOT NULL REFERENCES users(id),
  content      TEXT    NOT NULL,
  message_type TEXT    NOT NULL,
  client_id    TEXT,
  created_at   INTEGER NOT NULL,
  edited_at    INTEGER,
  deleted      INTEGER NOT NULL DEFAULT 0,
  deleted_at   INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_room_seq ON messages(room_id, seq);
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_client_id ON messages(sender_id, client_id)
  WHERE client_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_by_room_time ON messages(room_id, created_at);

CREATE TABLE IF NOT EXISTS read_receipts(
  room_id INTEGER NOT NULL REFERENCES rooms(id),
  user_id INTEGER NOT NULL REFERENCES users(id),
  seq     INTEGER NOT NULL,
  PRIMARY KEY(room_id, user_id)
) WITHOUT ROWID;
)sql";

// A version-1 file with two users, a room and two messages (one with a client id, one deleted),
// written with plain SQL, as the old server would have left it.
void make_v1_database(const std::string& path) {
  RawDb raw(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  raw.exec("PRAGMA journal_mode=WAL");
  raw.exec("BEGIN");
  raw.exec(kSchemaV1);
  raw.exec("PRAGMA user_version=1");
  raw.exec(
      "INSERT INTO users(id, username, password_hash, created_at) VALUES(1, 'alice', 'h', 10), (2, 'bob', 'h', 10);"
      "INSERT INTO rooms(id, name, is_private, created_by, created_at, last_seq, member_count) "
      "  VALUES(1, 'general', 0, 1, 20, 2, 2);"
      "INSERT INTO memberships(room_id, user_id, joined_at) VALUES(1, 1, 20), (1, 2, 21);"
      "INSERT INTO messages(id, room_id, seq, sender_id, content, message_type, client_id, created_at) "
      "  VALUES(1, 1, 1, 1, 'hello from v1', 'text', 'c1', 30);"
      "INSERT INTO messages(id, room_id, seq, sender_id, content, message_type, client_id, created_at, deleted, "
      "  deleted_at) VALUES(2, 1, 2, 2, '', 'text', NULL, 40, 1, 41);"
      "INSERT INTO read_receipts(room_id, user_id, seq) VALUES(1, 2, 1);");
  raw.exec("COMMIT");
}

// The shape of a schema, independent of how its CREATE text was written: every table's columns
// (name, type, not null, default, pk), foreign keys and indexes (with their columns and partial
// WHERE), and the files table's whole CREATE (its CHECKs live only there).
std::string schema_shape(const std::string& path) {
  RawDb raw(path);
  return raw.table(
             "SELECT t.name, c.cid, c.name, c.type, c.\"notnull\", c.dflt_value, c.pk "
             "FROM sqlite_schema t JOIN pragma_table_info(t.name) c WHERE t.type = 'table' ORDER BY t.name, c.cid") +
         raw.table(
             "SELECT t.name, k.id, k.seq, k.\"table\", k.\"from\", k.\"to\", k.on_update, k.on_delete "
             "FROM sqlite_schema t JOIN pragma_foreign_key_list(t.name) k WHERE t.type = 'table' "
             "ORDER BY t.name, k.id, k.seq") +
         raw.table(
             "SELECT t.name, i.name, i.\"unique\", i.origin, i.partial, x.seqno, x.name, x.\"desc\", x.coll, x.key "
             "FROM sqlite_schema t JOIN pragma_index_list(t.name) i JOIN pragma_index_xinfo(i.name) x "
             "WHERE t.type = 'table' ORDER BY t.name, i.name, x.seqno") +
         raw.table("SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name") +
         raw.table("SELECT sql FROM sqlite_schema WHERE name = 'files'");
}

TEST(SqliteStoreMigration, Version1DatabaseKeepsItsDataAndGainsFiles) {
  TempDir dir;
  const auto path = dir.file("v1.db");
  make_v1_database(path);

  SqliteStore store(path, SqliteSync::full);
  {
    RawDb raw(path);
    EXPECT_EQ(raw.scalar("PRAGMA user_version"), std::to_string(SqliteStore::kSchemaVersion));
    EXPECT_EQ(raw.scalar("PRAGMA foreign_key_check"), "<none>");
    EXPECT_EQ(raw.scalar("PRAGMA integrity_check"), "ok");
  }

  // The old messages are all there, without attachments.
  const auto old = store.find_message(1);
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->content, "hello from v1");
  EXPECT_EQ(old->sender, "alice");
  EXPECT_EQ(old->client_id, "c1");
  EXPECT_EQ(old->created_at, 30);
  EXPECT_FALSE(old->attachment.has_value());
  const auto tombstone = store.find_message(2);
  ASSERT_TRUE(tombstone.has_value());
  EXPECT_TRUE(tombstone->deleted);
  EXPECT_FALSE(tombstone->attachment.has_value());
  const auto page = store.history(test::query(1, 10));
  ASSERT_EQ(page.messages.size(), 2u);
  EXPECT_EQ(page.messages[0].content, "hello from v1");
  EXPECT_FALSE(page.messages[0].attachment.has_value());
  EXPECT_EQ(store.find_room(1)->last_seq, 2);
  EXPECT_EQ(store.read_seq(1, 2), 1);
  EXPECT_TRUE(store.find_credentials("ALICE").has_value());

  // Old idempotency keys still hold.
  const MessageDraft retry[] = {test::draft(1, 1, "hello again", "c1")};
  const auto again = store.append_messages(retry);
  EXPECT_TRUE(again[0].duplicate);
  EXPECT_EQ(again[0].message.id, 1);

  // Files work, and so do messages with attachments.
  StoredFile f;
  f.name = "AAAAAAAAAAAAAAAAAAAAAA.png";
  f.uploader_id = 2;
  f.size = 1234;
  f.mime_type = "image/png";
  f.kind = "image";
  f.original_name = "cat.png";
  f.sha256 = "00";
  f.width = 64;
  f.height = 48;
  f.thumbnail_name = "BBBBBBBBBBBBBBBBBBBBBB.jpg";
  f.thumbnail_width = 64;
  f.thumbnail_height = 48;
  f.created_at = 50;
  store.insert_file(f);
  ASSERT_TRUE(store.find_file(f.name).has_value());
  EXPECT_TRUE(store.find_file_or_thumbnail(*f.thumbnail_name)->is_thumbnail);
  EXPECT_EQ(store.upload_usage(2, 0).bytes, 1234);

  MessageDraft with_file = test::draft(1, 2, "", "c2", 60);
  with_file.message_type = "image";
  with_file.attachment_name = f.name;
  const MessageDraft drafts[] = {with_file};
  const auto appended = store.append_messages(drafts);
  EXPECT_EQ(appended[0].message.seq, 3);
  ASSERT_TRUE(appended[0].message.attachment.has_value());
  EXPECT_EQ(appended[0].message.attachment->width, 64);
  ASSERT_TRUE(store.last_message(1)->attachment.has_value());
  EXPECT_FALSE(store.delete_message(appended[0].message.id, 70)->attachment.has_value());
}

TEST(SqliteStoreMigration, MigratedSchemaIsTheFreshSchema) {
  TempDir dir;
  const auto migrated = dir.file("v1.db");
  const auto fresh = dir.file("fresh.db");
  make_v1_database(migrated);
  { SqliteStore store(migrated, SqliteSync::normal); }
  { SqliteStore store(fresh, SqliteSync::normal); }
  const auto migrated_shape = schema_shape(migrated);
  EXPECT_EQ(migrated_shape, schema_shape(fresh));
  // Sanity: the comparison does look at the new parts.
  EXPECT_NE(migrated_shape.find("messages|11|attachment_name|TEXT|0|<null>|0"), std::string::npos) << migrated_shape;
  EXPECT_NE(migrated_shape.find("files_by_thumbnail"), std::string::npos) << migrated_shape;
  EXPECT_NE(migrated_shape.find("messages|0|0|files|attachment_name|name"), std::string::npos) << migrated_shape;
}

TEST(SqliteStoreMigration, MigratingTwiceIsANoOp) {
  TempDir dir;
  const auto path = dir.file("v1.db");
  make_v1_database(path);
  { SqliteStore store(path, SqliteSync::normal); }
  const auto shape = schema_shape(path);
  SqliteStore reopened(path, SqliteSync::normal);
  EXPECT_EQ(schema_shape(path), shape);
  EXPECT_EQ(reopened.find_message(1)->content, "hello from v1");
}

TEST(SqliteStoreMigration, AFailedMigrationLeavesVersion1Intact) {
  TempDir dir;
  const auto path = dir.file("v1.db");
  make_v1_database(path);
  {
    // Sabotage: a column the migration is about to add already exists, so its ALTER fails.
    RawDb raw(path);
    raw.exec("ALTER TABLE messages ADD COLUMN attachment_name TEXT");
  }
  EXPECT_THROW(SqliteStore(path, SqliteSync::normal), StoreError);
  RawDb raw(path);
  EXPECT_EQ(raw.scalar("PRAGMA user_version"), "1");
  // The statements before the failing one were rolled back with it.
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM sqlite_schema WHERE name = 'files'"), "0");
  EXPECT_EQ(raw.scalar("SELECT content FROM messages WHERE id = 1"), "hello from v1");
}

}  // namespace
}  // namespace parley
