#include "store/sqlite/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <iterator>
#include <limits>
#include <map>

namespace parley {
namespace {

using sqlite::Connection;
using sqlite::Query;
using sqlite::Transaction;

constexpr int kBusyTimeoutMs = 5000;
constexpr std::size_t kMaxIdleReaders = 16;
constexpr std::int64_t kNoUpperBound = std::numeric_limits<std::int64_t>::max();

// The files table and its indexes, shared by the fresh schema and the v1 -> v2 migration.
// - WITHOUT ROWID: the name is the key every lookup uses (and a rowid table would let a TEXT
//   PRIMARY KEY be NULL).
// - files_by_uploader ends in `size` so upload_usage is answered from the index alone.
// - files_by_thumbnail: thumbnail names are unique too (insert_file also keeps them apart from
//   file names), so find_file_or_thumbnail is never ambiguous.
#define PARLEY_FILES_DDL                                                                    \
  "CREATE TABLE IF NOT EXISTS files(\n"                                                     \
  "  name             TEXT    PRIMARY KEY,\n"                                               \
  "  uploader_id      INTEGER NOT NULL REFERENCES users(id),\n"                             \
  "  size             INTEGER NOT NULL,\n"                                                  \
  "  mime_type        TEXT    NOT NULL,\n"                                                  \
  "  kind             TEXT    NOT NULL,\n"                                                  \
  "  original_name    TEXT    NOT NULL,\n"                                                  \
  "  sha256           TEXT    NOT NULL,\n"                                                  \
  "  width            INTEGER,\n"                                                           \
  "  height           INTEGER,\n"                                                           \
  "  thumbnail_name   TEXT,\n"                                                              \
  "  thumbnail_width  INTEGER,\n"                                                           \
  "  thumbnail_height INTEGER,\n"                                                           \
  "  duration_s       REAL,\n"                                                              \
  "  created_at       INTEGER NOT NULL,\n"                                                  \
  "  CHECK(length(name) > 0 AND length(thumbnail_name) > 0 AND thumbnail_name <> name),\n"  \
  "  CHECK(size >= 0),\n"                                                                   \
  "  CHECK(kind IN ('image', 'video', 'audio', 'document', 'file'))\n"                      \
  ") WITHOUT ROWID;\n"                                                                      \
  "CREATE INDEX IF NOT EXISTS files_by_uploader ON files(uploader_id, created_at, size);\n" \
  "CREATE UNIQUE INDEX IF NOT EXISTS files_by_thumbnail ON files(thumbnail_name)\n"         \
  "  WHERE thumbnail_name IS NOT NULL;\n"

// messages.attachment_name is only ever looked up from the file side by the foreign key (when a
// file row is deleted): the partial index keeps that from scanning every message.
#define PARLEY_MESSAGES_BY_ATTACHMENT_DDL                                            \
  "CREATE INDEX IF NOT EXISTS messages_by_attachment ON messages(attachment_name)\n" \
  "  WHERE attachment_name IS NOT NULL;\n"

// Version 2, what a new database is created with. Notes on the choices:
// - users.username is COLLATE NOCASE with a unique index: names are unique case-insensitively
//   (they are ASCII by the protocol, which is all NOCASE folds).
// - rooms.last_seq is advanced inside append_messages' transaction, so a Room read from any
//   connection carries the seq of the newest committed message. rooms.member_count is kept in
//   the same transaction as every membership change: listing rooms must not count big rooms.
// - rooms.invite_code is NULL for public rooms; NULLs do not collide in a unique index.
// - messages(room_id, seq) is unique: the database itself refuses a seq gap-fill or a double seq.
// - messages(sender_id, client_id) unique where client_id is set: the idempotency key, kept forever.
// - No index on messages.created_at: timestamps never decrease with seq inside a room, so
//   history's `since` is found by a binary search on seq (every index costs each insert a page).
// - messages.attachment_name is last so a fresh v2 table has the columns of a migrated v1 one
//   in the same order (ALTER TABLE ADD COLUMN appends).
constexpr const char* kSchema = R"sql(
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
  deleted_at   INTEGER,
  attachment_name TEXT REFERENCES files(name)
);
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_room_seq ON messages(room_id, seq);
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_client_id ON messages(sender_id, client_id)
  WHERE client_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS read_receipts(
  room_id INTEGER NOT NULL REFERENCES rooms(id),
  user_id INTEGER NOT NULL REFERENCES users(id),
  seq     INTEGER NOT NULL,
  PRIMARY KEY(room_id, user_id)
) WITHOUT ROWID;
)sql" PARLEY_FILES_DDL PARLEY_MESSAGES_BY_ATTACHMENT_DDL;

// kMigrations[v - 1] takes a database from version v to v + 1, inside migrate()'s transaction.
// Statements run in order: CREATE the referenced table before a column REFERENCES it.
constexpr const char* kMigrations[] = {
    // 1 -> 2: uploaded files and message attachments. ADD COLUMN with a REFERENCES clause is
    // allowed with foreign keys on because its default is NULL; existing rows get NULL.
    PARLEY_FILES_DDL
    "ALTER TABLE messages ADD COLUMN attachment_name TEXT REFERENCES files(name);\n" PARLEY_MESSAGES_BY_ATTACHMENT_DDL,
    // 2 -> 3: history's `since` no longer needs an index on created_at (see kSchema).
    "DROP INDEX IF EXISTS messages_by_room_time;\n",
};
static_assert(std::size(kMigrations) == SqliteStore::kSchemaVersion - 1, "one migration per version step");

// Column lists shared by every query that builds a User / Room / Message (see read_* below).
// Macros because the SQL must be one literal per statement for the statement cache.
#define PARLEY_USER_COLUMNS "u.id, u.username, u.created_at, u.last_seen"
#define PARLEY_ROOM_SELECT                                                                     \
  "SELECT r.id, r.name, r.is_private, r.created_by, r.created_at, r.invite_code, r.last_seq, " \
  "r.member_count FROM rooms r "
#define PARLEY_FILE_COLUMNS                                                                            \
  "f.name, f.uploader_id, f.size, f.mime_type, f.kind, f.original_name, f.sha256, f.width, f.height, " \
  "f.thumbnail_name, f.thumbnail_width, f.thumbnail_height, f.duration_s, f.created_at"
#define PARLEY_MESSAGE_SELECT                                                                      \
  "SELECT m.id, m.seq, m.room_id, m.sender_id, u.username, m.content, m.created_at, m.edited_at, " \
  "m.deleted, m.message_type, m.client_id, " PARLEY_FILE_COLUMNS                                   \
  " FROM messages m JOIN users u ON u.id = m.sender_id LEFT JOIN files f ON f.name = m.attachment_name "
constexpr int kMessageFileColumn = 11;  // where PARLEY_FILE_COLUMNS start in PARLEY_MESSAGE_SELECT

User read_user(const Query& q, int first = 0) {
  return User{.id = q.int64(first),
              .username = q.text(first + 1),
              .created_at = q.int64(first + 2),
              .last_seen = q.int64(first + 3)};
}

Room read_room(const Query& q) {
  return Room{.id = q.int64(0),
              .name = q.text(1),
              .is_private = q.boolean(2),
              .created_by = q.int64(3),
              .created_at = q.int64(4),
              .invite_code = q.text(5),
              .last_seq = q.int64(6),
              .member_count = q.int64(7)};
}

std::optional<int> optional_int(const Query& q, int column) {
  const auto value = q.optional_int64(column);
  if (!value) return std::nullopt;
  return static_cast<int>(*value);  // written from an int by insert_file
}

StoredFile read_file(const Query& q, int first = 0) {
  return StoredFile{.name = q.text(first),
                    .uploader_id = q.int64(first + 1),
                    .size = q.int64(first + 2),
                    .mime_type = q.text(first + 3),
                    .kind = q.text(first + 4),
                    .original_name = q.text(first + 5),
                    .sha256 = q.text(first + 6),
                    .width = optional_int(q, first + 7),
                    .height = optional_int(q, first + 8),
                    .thumbnail_name = q.optional_text(first + 9),
                    .thumbnail_width = optional_int(q, first + 10),
                    .thumbnail_height = optional_int(q, first + 11),
                    .duration_s = q.optional_real(first + 12),
                    .created_at = q.int64(first + 13)};
}

std::optional<StoredFile> file_by_name(Connection& db, std::string_view name) {
  auto q = db.query("SELECT " PARLEY_FILE_COLUMNS " FROM files f WHERE f.name = ?1");
  q.bind(1, name);
  if (!q.step()) return std::nullopt;
  return read_file(q);
}

Message read_message(const Query& q) {
  Message m{.id = q.int64(0),
            .seq = q.int64(1),
            .room_id = q.int64(2),
            .sender_id = q.int64(3),
            .sender = q.text(4),
            .content = q.text(5),
            .created_at = q.int64(6),
            .edited_at = q.optional_int64(7),
            .deleted = q.boolean(8),
            .message_type = q.text(9),
            .client_id = q.optional_text(10)};
  if (m.deleted) {
    m.content.clear();  // the row holds "" already; never let a tombstone carry text
  } else if (!q.is_null(kMessageFileColumn)) {
    m.attachment = read_file(q, kMessageFileColumn);
  }
  return m;
}

std::optional<Message> message_by_id(Connection& db, MessageId id) {
  auto q = db.query(PARLEY_MESSAGE_SELECT "WHERE m.id = ?1");
  q.bind(1, id);
  if (!q.step()) return std::nullopt;
  return read_message(q);
}

std::optional<Message> message_by_client_id(Connection& db, UserId sender, const std::string& client_id) {
  auto q = db.query(PARLEY_MESSAGE_SELECT "WHERE m.sender_id = ?1 AND m.client_id = ?2");
  q.bind(1, sender).bind(2, client_id);
  if (!q.step()) return std::nullopt;
  return read_message(q);
}

// The first seq of `room` whose message is newer than `time` (0 if none): a binary search over
// 1..last_seq, whose timestamps never decrease (see history()).
Seq first_seq_after_time(Connection& db, RoomId room, TimeMs time) {
  const Seq none = [&] {  // one past the last seq
    auto last = db.query("SELECT last_seq FROM rooms WHERE id = ?1");
    last.bind(1, room);
    return last.step() ? last.int64(0) + 1 : 1;
  }();
  Seq low = 1;
  Seq high = none;
  while (low < high) {
    const Seq mid = low + (high - low) / 2;
    auto at = db.query("SELECT created_at FROM messages WHERE room_id = ?1 AND seq = ?2");
    at.bind(1, room).bind(2, mid);
    if (!at.step()) throw StoreError("history: room " + std::to_string(room) + " has no seq " + std::to_string(mid));
    if (at.int64(0) > time) {
      high = mid;
    } else {
      low = mid + 1;
    }
  }
  return high == none ? 0 : high;
}

std::vector<Message> collect_messages(Query& q) {
  std::vector<Message> out;
  while (q.step()) out.push_back(read_message(q));
  return out;
}

void configure_writer(Connection& db, SqliteSync sync) {
  {
    auto q = db.query("PRAGMA journal_mode=WAL");
    if (!q.step() || q.text(0) != "wal") throw StoreError("could not switch the database to WAL mode");
  }
  db.exec(sync == SqliteSync::full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  db.exec("PRAGMA foreign_keys=ON");
  // Freed bytes (a deleted message's old text) are zeroed instead of lingering in free space.
  db.exec("PRAGMA secure_delete=ON");
  // After a burst the WAL is cut back to this size once checkpointed, instead of keeping its peak.
  db.exec("PRAGMA journal_size_limit=67108864");
  db.exec(("PRAGMA busy_timeout=" + std::to_string(kBusyTimeoutMs)).c_str());
}

void configure_reader(Connection& db) {
  db.exec(("PRAGMA busy_timeout=" + std::to_string(kBusyTimeoutMs)).c_str());
  db.exec("PRAGMA query_only=ON");  // a reader that tried to write would be a bug: make it loud
}

void migrate(Connection& db) {
  const auto version = db.query_int64("PRAGMA user_version");
  if (version > SqliteStore::kSchemaVersion) {
    throw StoreError("database schema version " + std::to_string(version) + " is newer than this server's (" +
                     std::to_string(SqliteStore::kSchemaVersion) + ")");
  }
  if (version == SqliteStore::kSchemaVersion) return;
  // One transaction: a migration that fails half-way leaves the previous version intact.
  Transaction tx(db);
  if (version == 0) {
    db.exec(kSchema);  // a new database starts at the current version directly
  } else {
    for (auto from = version; from < SqliteStore::kSchemaVersion; ++from) {
      db.exec(kMigrations[static_cast<std::size_t>(from - 1)]);
    }
  }
  db.exec(("PRAGMA user_version=" + std::to_string(SqliteStore::kSchemaVersion)).c_str());
  tx.commit();
}

}  // namespace

SqliteStore::SqliteStore(const std::string& path, SqliteSync sync)
    : writer_(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE),
      readers_(path, SQLITE_OPEN_READWRITE, configure_reader, kMaxIdleReaders) {
  // Connections are used from many threads (one at a time each): a single-threaded build of
  // SQLite would corrupt its shared state.
  if (sqlite3_threadsafe() == 0) throw StoreError("SQLite was built without thread support");
  configure_writer(writer_, sync);
  migrate(writer_);
}

SqliteStore::~SqliteStore() = default;

// ---- users

std::optional<User> SqliteStore::create_user(std::string_view username, std::string_view password_hash, TimeMs now) {
  std::lock_guard lock(write_mutex_);
  auto q = writer_.query("INSERT INTO users(username, password_hash, created_at) VALUES(?1, ?2, ?3)");
  q.bind(1, username).bind(2, password_hash).bind(3, now);
  try {
    q.run();
  } catch (const StoreError& e) {
    if (e.code() == SQLITE_CONSTRAINT_UNIQUE) return std::nullopt;  // the name is taken
    throw;
  }
  return User{.id = writer_.last_insert_rowid(), .username = std::string(username), .created_at = now};
}

std::optional<UserCredentials> SqliteStore::find_credentials(std::string_view username) {
  auto db = readers_.acquire();
  auto q = db->query("SELECT " PARLEY_USER_COLUMNS ", u.password_hash FROM users u WHERE u.username = ?1");
  q.bind(1, username);
  if (!q.step()) return std::nullopt;
  return UserCredentials{.user = read_user(q), .password_hash = q.text(4)};
}

std::optional<User> SqliteStore::find_user(UserId id) {
  auto db = readers_.acquire();
  auto q = db->query("SELECT " PARLEY_USER_COLUMNS " FROM users u WHERE u.id = ?1");
  q.bind(1, id);
  if (!q.step()) return std::nullopt;
  return read_user(q);
}

std::optional<User> SqliteStore::find_user_by_name(std::string_view username) {
  auto db = readers_.acquire();
  auto q = db->query("SELECT " PARLEY_USER_COLUMNS " FROM users u WHERE u.username = ?1");
  q.bind(1, username);
  if (!q.step()) return std::nullopt;
  return read_user(q);
}

void SqliteStore::set_last_seen(UserId id, TimeMs when) {
  std::lock_guard lock(write_mutex_);
  writer_.query("UPDATE users SET last_seen = ?2 WHERE id = ?1").bind(1, id).bind(2, when).run();
}

// ---- refresh tokens

void SqliteStore::insert_refresh_token(const RefreshToken& token) {
  std::lock_guard lock(write_mutex_);
  Transaction tx(writer_);
  // The first token of a login creates its session; rotated tokens join it (and stay revoked
  // if it was revoked meanwhile).
  writer_.query("INSERT OR IGNORE INTO sessions(session_id, user_id) VALUES(?1, ?2)")
      .bind(1, token.session_id)
      .bind(2, token.user_id)
      .run();
  writer_
      .query(
          "INSERT INTO refresh_tokens(token_hash, session_id, user_id, expires_at, used) "
          "VALUES(?1, ?2, ?3, ?4, ?5)")
      .bind(1, token.token_hash)
      .bind(2, token.session_id)
      .bind(3, token.user_id)
      .bind(4, token.expires_at)
      .bind(5, std::int64_t{token.used ? 1 : 0})
      .run();
  tx.commit();
}

std::optional<RefreshToken> SqliteStore::find_refresh_token(std::string_view token_hash) {
  auto db = readers_.acquire();
  auto q = db->query(
      "SELECT t.token_hash, t.session_id, t.user_id, t.expires_at, t.used, COALESCE(s.revoked, 1) "
      "FROM refresh_tokens t LEFT JOIN sessions s ON s.session_id = t.session_id WHERE t.token_hash = ?1");
  q.bind(1, token_hash);
  if (!q.step()) return std::nullopt;
  return RefreshToken{.token_hash = q.text(0),
                      .session_id = q.text(1),
                      .user_id = q.int64(2),
                      .expires_at = q.int64(3),
                      .used = q.boolean(4),
                      .session_revoked = q.boolean(5)};
}

bool SqliteStore::consume_refresh_token(std::string_view token_hash) {
  std::lock_guard lock(write_mutex_);
  // The WHERE used = 0 makes this a compare-and-set: of two racing refreshes only one changes a row.
  writer_.query("UPDATE refresh_tokens SET used = 1 WHERE token_hash = ?1 AND used = 0").bind(1, token_hash).run();
  return writer_.changes() == 1;
}

void SqliteStore::revoke_session(std::string_view session_id) {
  std::lock_guard lock(write_mutex_);
  writer_.query("UPDATE sessions SET revoked = 1 WHERE session_id = ?1").bind(1, session_id).run();
}

// ---- rooms and membership

Room SqliteStore::create_room(std::string_view name, bool is_private, UserId creator, std::string_view invite_code,
                              TimeMs now) {
  // Public rooms have no invite: NULL keeps them out of the unique index and of find_room_by_invite.
  std::optional<std::string> invite;
  if (is_private && !invite_code.empty()) invite = std::string(invite_code);

  std::lock_guard lock(write_mutex_);
  Transaction tx(writer_);
  writer_
      .query(
          "INSERT INTO rooms(name, is_private, created_by, created_at, invite_code, member_count) "
          "VALUES(?1, ?2, ?3, ?4, ?5, 1)")
      .bind(1, name)
      .bind(2, std::int64_t{is_private ? 1 : 0})
      .bind(3, creator)
      .bind(4, now)
      .bind(5, invite)
      .run();
  const RoomId id = writer_.last_insert_rowid();
  writer_.query("INSERT INTO memberships(room_id, user_id, joined_at) VALUES(?1, ?2, ?3)")
      .bind(1, id)
      .bind(2, creator)
      .bind(3, now)
      .run();
  tx.commit();
  return Room{.id = id,
              .name = std::string(name),
              .is_private = is_private,
              .created_by = creator,
              .created_at = now,
              .invite_code = invite.value_or(""),
              .last_seq = 0,
              .member_count = 1};
}

std::optional<Room> SqliteStore::find_room(RoomId id) {
  auto db = readers_.acquire();
  auto q = db->query(PARLEY_ROOM_SELECT "WHERE r.id = ?1");
  q.bind(1, id);
  if (!q.step()) return std::nullopt;
  return read_room(q);
}

std::optional<Room> SqliteStore::find_room_by_invite(std::string_view invite_code) {
  if (invite_code.empty()) return std::nullopt;
  auto db = readers_.acquire();
  auto q = db->query(PARLEY_ROOM_SELECT "WHERE r.invite_code = ?1");
  q.bind(1, invite_code);
  if (!q.step()) return std::nullopt;
  return read_room(q);
}

std::vector<Room> SqliteStore::list_visible_rooms(UserId viewer) {
  auto db = readers_.acquire();
  auto q = db->query(PARLEY_ROOM_SELECT
                     "WHERE r.is_private = 0 "
                     "OR EXISTS(SELECT 1 FROM memberships v WHERE v.room_id = r.id AND v.user_id = ?1) "
                     "ORDER BY r.id");
  q.bind(1, viewer);
  std::vector<Room> rooms;
  while (q.step()) rooms.push_back(read_room(q));
  return rooms;
}

bool SqliteStore::add_member(RoomId room, UserId user, TimeMs now) {
  std::lock_guard lock(write_mutex_);
  Transaction tx(writer_);
  writer_.query("INSERT OR IGNORE INTO memberships(room_id, user_id, joined_at) VALUES(?1, ?2, ?3)")
      .bind(1, room)
      .bind(2, user)
      .bind(3, now)
      .run();
  const bool added = writer_.changes() == 1;
  if (added) writer_.query("UPDATE rooms SET member_count = member_count + 1 WHERE id = ?1").bind(1, room).run();
  tx.commit();
  return added;
}

bool SqliteStore::remove_member(RoomId room, UserId user) {
  std::lock_guard lock(write_mutex_);
  Transaction tx(writer_);
  writer_.query("DELETE FROM memberships WHERE room_id = ?1 AND user_id = ?2").bind(1, room).bind(2, user).run();
  const bool removed = writer_.changes() == 1;
  if (removed) writer_.query("UPDATE rooms SET member_count = member_count - 1 WHERE id = ?1").bind(1, room).run();
  tx.commit();
  return removed;
}

bool SqliteStore::is_member(RoomId room, UserId user) {
  auto db = readers_.acquire();
  auto q = db->query("SELECT 1 FROM memberships WHERE room_id = ?1 AND user_id = ?2");
  q.bind(1, room).bind(2, user);
  return q.step();
}

std::vector<User> SqliteStore::list_members(RoomId room) {
  auto db = readers_.acquire();
  auto q = db->query("SELECT " PARLEY_USER_COLUMNS
                     " FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.room_id = ?1 ORDER BY u.id");
  q.bind(1, room);
  std::vector<User> users;
  while (q.step()) users.push_back(read_user(q));
  return users;
}

std::vector<RoomId> SqliteStore::rooms_of(UserId user) {
  auto db = readers_.acquire();
  auto q = db->query("SELECT room_id FROM memberships WHERE user_id = ?1 ORDER BY room_id");
  q.bind(1, user);
  std::vector<RoomId> rooms;
  while (q.step()) rooms.push_back(q.int64(0));
  return rooms;
}

// ---- uploaded files

void SqliteStore::insert_file(const StoredFile& file) {
  std::lock_guard lock(write_mutex_);
  Transaction tx(writer_);
  {
    // One namespace for file and thumbnail names (see files_by_thumbnail). A NULL ?2 matches nothing.
    auto q = writer_.query(
        "SELECT EXISTS(SELECT 1 FROM files WHERE name = ?1) OR EXISTS(SELECT 1 FROM files WHERE thumbnail_name = ?1) "
        "OR EXISTS(SELECT 1 FROM files WHERE name = ?2) OR EXISTS(SELECT 1 FROM files WHERE thumbnail_name = ?2)");
    q.bind(1, file.name).bind(2, file.thumbnail_name);
    if (q.step() && q.boolean(0)) {
      throw StoreError("insert_file: name already in use: " + file.name, SQLITE_CONSTRAINT_UNIQUE);
    }
  }
  writer_
      .query(
          "INSERT INTO files(name, uploader_id, size, mime_type, kind, original_name, sha256, width, height, "
          "thumbnail_name, thumbnail_width, thumbnail_height, duration_s, created_at) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)")
      .bind(1, file.name)
      .bind(2, file.uploader_id)
      .bind(3, file.size)
      .bind(4, file.mime_type)
      .bind(5, file.kind)
      .bind(6, file.original_name)
      .bind(7, file.sha256)
      .bind(8, file.width)
      .bind(9, file.height)
      .bind(10, file.thumbnail_name)
      .bind(11, file.thumbnail_width)
      .bind(12, file.thumbnail_height)
      .bind(13, file.duration_s)
      .bind(14, file.created_at)
      .run();
  tx.commit();
}

std::optional<StoredFile> SqliteStore::find_file(std::string_view name) {
  auto db = readers_.acquire();
  return file_by_name(*db, name);
}

std::optional<FileLookup> SqliteStore::find_file_or_thumbnail(std::string_view name) {
  auto db = readers_.acquire();
  auto q = db->query("SELECT " PARLEY_FILE_COLUMNS
                     ", 0 FROM files f WHERE f.name = ?1 "
                     "UNION ALL "
                     "SELECT " PARLEY_FILE_COLUMNS
                     ", 1 FROM files f WHERE f.thumbnail_name = ?1 "
                     "LIMIT 1");
  q.bind(1, name);
  if (!q.step()) return std::nullopt;
  return FileLookup{.file = read_file(q), .is_thumbnail = q.boolean(14)};
}

UploadUsage SqliteStore::upload_usage(UserId user, TimeMs since) {
  auto db = readers_.acquire();
  auto q = db->query("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM files WHERE uploader_id = ?1 AND created_at >= ?2");
  q.bind(1, user).bind(2, since);
  if (!q.step()) return {};
  return UploadUsage{.files = q.int64(0), .bytes = q.int64(1)};
}

// ---- messages

std::vector<AppendResult> SqliteStore::append_messages(std::span<const MessageDraft> drafts) {
  if (drafts.empty()) return {};

  // Where each touched room stands inside this transaction. Local on purpose: if anything
  // throws, the transaction rolls back and this state vanishes with it, so nothing in memory
  // can run ahead of the database.
  struct RoomCursor {
    Seq last_seq = 0;
    TimeMs last_created_at = 0;
  };
  std::map<RoomId, RoomCursor> rooms;
  std::map<UserId, std::string> sender_names;

  std::vector<AppendResult> results;
  results.reserve(drafts.size());

  std::lock_guard lock(write_mutex_);
  Transaction tx(writer_);
  for (const MessageDraft& draft : drafts) {
    auto room = rooms.find(draft.room_id);
    if (room == rooms.end()) {
      auto q = writer_.query(
          "SELECT r.last_seq, COALESCE((SELECT m.created_at FROM messages m "
          "WHERE m.room_id = r.id AND m.seq = r.last_seq), 0) FROM rooms r WHERE r.id = ?1");
      q.bind(1, draft.room_id);
      if (!q.step()) throw StoreError("append_messages: no room " + std::to_string(draft.room_id));
      room = rooms.emplace(draft.room_id, RoomCursor{.last_seq = q.int64(0), .last_created_at = q.int64(1)}).first;
    }
    auto sender = sender_names.find(draft.sender_id);
    if (sender == sender_names.end()) {
      auto q = writer_.query("SELECT username FROM users WHERE id = ?1");
      q.bind(1, draft.sender_id);
      if (!q.step()) throw StoreError("append_messages: no user " + std::to_string(draft.sender_id));
      sender = sender_names.emplace(draft.sender_id, q.text(0)).first;
    }

    RoomCursor& cursor = room->second;
    Message message{.seq = cursor.last_seq + 1,
                    .room_id = draft.room_id,
                    .sender_id = draft.sender_id,
                    .sender = sender->second,
                    .content = draft.content,
                    // Never earlier than the room's previous message, even if the clock stepped
                    // back: timestamps then grow with seq, and paging by `since` misses nothing.
                    .created_at = std::max(draft.created_at, cursor.last_created_at),
                    .edited_at = std::nullopt,
                    .deleted = false,
                    .message_type = draft.message_type,
                    .client_id = draft.client_id,
                    .attachment = std::nullopt};
    // A client_id already used by this sender (in an earlier batch, or earlier in this one) is
    // found by the unique index the insert consults anyway: no row, no seq, and the original
    // is the answer, whatever the retry names. Any other constraint still throws, the foreign
    // key on attachment_name included (a file that does not exist fails the batch).
    writer_
        .query(
            "INSERT INTO messages(room_id, seq, sender_id, content, message_type, client_id, created_at, "
            "attachment_name) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
            "ON CONFLICT(sender_id, client_id) WHERE client_id IS NOT NULL DO NOTHING")
        .bind(1, message.room_id)
        .bind(2, message.seq)
        .bind(3, message.sender_id)
        .bind(4, message.content)
        .bind(5, message.message_type)
        .bind(6, message.client_id)
        .bind(7, message.created_at)
        .bind(8, draft.attachment_name)
        .run();
    if (writer_.changes() == 0) {
      auto original = message_by_client_id(writer_, draft.sender_id, *draft.client_id);
      if (!original) throw StoreError("append_messages: a client_id conflict without its message");
      results.push_back(AppendResult{.message = std::move(*original), .duplicate = true});
      continue;
    }
    message.id = writer_.last_insert_rowid();
    if (draft.attachment_name) message.attachment = file_by_name(writer_, *draft.attachment_name);
    cursor.last_seq = message.seq;
    cursor.last_created_at = message.created_at;
    results.push_back(AppendResult{.message = std::move(message), .duplicate = false});
  }
  for (const auto& [room_id, cursor] : rooms) {
    writer_.query("UPDATE rooms SET last_seq = ?2 WHERE id = ?1").bind(1, room_id).bind(2, cursor.last_seq).run();
  }
  tx.commit();
  return results;
}

HistoryPage SqliteStore::history(const HistoryQuery& query) {
  // One row more than asked tells whether there is more in the paging direction.
  // (limit is validated by the caller; the floor only keeps a bad value from becoming a negative
  // LIMIT, which SQLite reads as "no limit".)
  const std::int64_t fetch = std::int64_t{std::max(query.limit, 1)} + 1;
  const std::int64_t before = query.before_seq.value_or(kNoUpperBound);
  auto db = readers_.acquire();

  HistoryPage page;
  if (!query.since_seq && !query.since) {
    // Newest first from the top, then flipped to ascending.
    auto q = db->query(PARLEY_MESSAGE_SELECT "WHERE m.room_id = ?1 AND m.seq < ?2 ORDER BY m.seq DESC LIMIT ?3");
    q.bind(1, query.room_id).bind(2, before).bind(3, fetch);
    page.messages = collect_messages(q);
    page.has_more = static_cast<std::int64_t>(page.messages.size()) == fetch;
    if (page.has_more) page.messages.pop_back();
    std::reverse(page.messages.begin(), page.messages.end());
    return page;
  }

  // Oldest first after a point. A `since` timestamp becomes a seq bound: timestamps never
  // decrease with seq inside a room (append_messages guarantees it) and seqs run 1..last_seq
  // without gaps (rows are never deleted), so "created_at > since" is exactly "seq >= the first
  // seq with created_at > since", found by a binary search of point lookups on (room_id, seq).
  Seq after = query.since_seq.value_or(0);
  if (query.since) {
    const Seq first_newer = first_seq_after_time(*db, query.room_id, *query.since);
    if (first_newer == 0) return page;  // nothing newer than `since`
    after = std::max(after, first_newer - 1);
  }
  auto q =
      db->query(PARLEY_MESSAGE_SELECT "WHERE m.room_id = ?1 AND m.seq > ?2 AND m.seq < ?3 ORDER BY m.seq ASC LIMIT ?4");
  q.bind(1, query.room_id).bind(2, after).bind(3, before).bind(4, fetch);
  page.messages = collect_messages(q);
  page.has_more = static_cast<std::int64_t>(page.messages.size()) == fetch;
  if (page.has_more) page.messages.pop_back();
  return page;
}

std::optional<Message> SqliteStore::find_message(MessageId id) {
  auto db = readers_.acquire();
  return message_by_id(*db, id);
}

std::optional<Message> SqliteStore::last_message(RoomId room) {
  auto db = readers_.acquire();
  auto q = db->query(PARLEY_MESSAGE_SELECT "WHERE m.room_id = ?1 ORDER BY m.seq DESC LIMIT 1");
  q.bind(1, room);
  if (!q.step()) return std::nullopt;
  return read_message(q);
}

std::optional<Message> SqliteStore::edit_message(MessageId id, std::string_view content, TimeMs when) {
  std::lock_guard lock(write_mutex_);
  // deleted = 0: a tombstone stays a tombstone (nullopt, as documented in the header).
  writer_.query("UPDATE messages SET content = ?2, edited_at = ?3 WHERE id = ?1 AND deleted = 0")
      .bind(1, id)
      .bind(2, content)
      .bind(3, when)
      .run();
  if (writer_.changes() == 0) return std::nullopt;
  return message_by_id(writer_, id);
}

std::optional<Message> SqliteStore::delete_message(MessageId id, TimeMs when) {
  std::lock_guard lock(write_mutex_);
  // The text and the attachment reference are overwritten in the row (and, with secure_delete,
  // zeroed in freed space), not hidden. The file row stays (see the header).
  writer_
      .query(
          "UPDATE messages SET content = '', attachment_name = NULL, deleted = 1, deleted_at = ?2 "
          "WHERE id = ?1 AND deleted = 0")
      .bind(1, id)
      .bind(2, when)
      .run();
  return message_by_id(writer_, id);
}

// ---- read receipts

void SqliteStore::set_read(const ReadReceipt& receipt) {
  std::lock_guard lock(write_mutex_);
  writer_
      .query(
          "INSERT INTO read_receipts(room_id, user_id, seq) VALUES(?1, ?2, ?3) "
          "ON CONFLICT(room_id, user_id) DO UPDATE SET seq = MAX(seq, excluded.seq)")
      .bind(1, receipt.room_id)
      .bind(2, receipt.user_id)
      .bind(3, receipt.seq)
      .run();
}

Seq SqliteStore::read_seq(RoomId room, UserId user) {
  auto db = readers_.acquire();
  auto q = db->query("SELECT seq FROM read_receipts WHERE room_id = ?1 AND user_id = ?2");
  q.bind(1, room).bind(2, user);
  return q.step() ? q.int64(0) : 0;
}

std::vector<ReadReceipt> SqliteStore::read_receipts(RoomId room) {
  auto db = readers_.acquire();
  auto q = db->query("SELECT user_id, seq FROM read_receipts WHERE room_id = ?1 ORDER BY user_id");
  q.bind(1, room);
  std::vector<ReadReceipt> receipts;
  while (q.step()) receipts.push_back(ReadReceipt{.room_id = room, .user_id = q.int64(0), .seq = q.int64(1)});
  return receipts;
}

#undef PARLEY_USER_COLUMNS
#undef PARLEY_ROOM_SELECT
#undef PARLEY_MESSAGE_SELECT
#undef PARLEY_FILE_COLUMNS
#undef PARLEY_FILES_DDL
#undef PARLEY_MESSAGES_BY_ATTACHMENT_DDL

}  // namespace parley
