// SqliteStore: uploaded files (metadata, thumbnail lookup, usage windows) and message attachments
// (filled on every read path, dropped by delete, kept by idempotent retries).
#include <string>
#include <type_traits>
#include <vector>

#include "store/sqlite/sqlite_store.hpp"
#include "store_test_support.hpp"

namespace parley {
namespace {

using test::draft;
using test::query;
using test::RawDb;
using test::TempDir;

// Every field, so a comparison failure shows which one differs.
std::string describe(const StoredFile& f) {
  auto opt = [](const auto& v) {
    if (!v) return std::string("-");
    if constexpr (std::is_same_v<std::decay_t<decltype(*v)>, std::string>) {
      return *v;
    } else {
      return std::to_string(*v);
    }
  };
  return f.name + " up=" + std::to_string(f.uploader_id) + " size=" + std::to_string(f.size) + " mime=" + f.mime_type +
         " kind=" + f.kind + " orig=" + f.original_name + " sha=" + f.sha256 + " w=" + opt(f.width) +
         " h=" + opt(f.height) + " thumb=" + opt(f.thumbnail_name) + " tw=" + opt(f.thumbnail_width) +
         " th=" + opt(f.thumbnail_height) + " dur=" + opt(f.duration_s) + " at=" + std::to_string(f.created_at);
}

// A file with every optional field set.
StoredFile image(std::string name, UserId uploader, TimeMs created_at = 5000, std::int64_t size = 123456) {
  StoredFile f;
  f.name = std::move(name);
  f.uploader_id = uploader;
  f.size = size;
  f.mime_type = "image/png";
  f.kind = "image";
  f.original_name = "holiday photo (1).png";
  f.sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  f.width = 4000;
  f.height = 3000;
  f.thumbnail_name = f.name + "-thumb.jpg";
  f.thumbnail_width = 320;
  f.thumbnail_height = 240;
  f.duration_s = 12.75;  // not meaningful for an image, but every column must round-trip
  f.created_at = created_at;
  return f;
}

// A file with every optional field empty.
StoredFile document(std::string name, UserId uploader, TimeMs created_at = 5000, std::int64_t size = 10) {
  StoredFile f;
  f.name = std::move(name);
  f.uploader_id = uploader;
  f.size = size;
  f.mime_type = "application/pdf";
  f.kind = "document";
  f.original_name = "report.pdf";
  f.sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  f.created_at = created_at;
  return f;
}

MessageDraft with_attachment(MessageDraft d, const StoredFile& file) {
  d.attachment_name = file.name;
  d.message_type = file.kind;
  return d;
}

class SqliteFilesTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::string path = dir.file("parley.db");
  SqliteStore store{path, SqliteSync::normal};
  UserId alice = store.create_user("alice", "h", 1)->id;
  UserId bob = store.create_user("bob", "h", 1)->id;
  RoomId general = store.create_room("general", false, alice, "", 1).id;

  std::vector<AppendResult> append(std::vector<MessageDraft> drafts) { return store.append_messages(drafts); }
};

// ---- files

TEST_F(SqliteFilesTest, InsertAndFindRoundTripEveryField) {
  const StoredFile full = image("AAAAAAAAAAAAAAAAAAAAAA.png", alice);
  const StoredFile bare = document("BBBBBBBBBBBBBBBBBBBBBB.pdf", bob);
  store.insert_file(full);
  store.insert_file(bare);

  const auto found_full = store.find_file(full.name);
  ASSERT_TRUE(found_full.has_value());
  EXPECT_EQ(describe(*found_full), describe(full));
  EXPECT_EQ(found_full->duration_s, 12.75);  // exactly, not just as printed

  const auto found_bare = store.find_file(bare.name);
  ASSERT_TRUE(found_bare.has_value());
  EXPECT_EQ(describe(*found_bare), describe(bare));
  EXPECT_FALSE(found_bare->width.has_value());
  EXPECT_FALSE(found_bare->height.has_value());
  EXPECT_FALSE(found_bare->thumbnail_name.has_value());
  EXPECT_FALSE(found_bare->thumbnail_width.has_value());
  EXPECT_FALSE(found_bare->thumbnail_height.has_value());
  EXPECT_FALSE(found_bare->duration_s.has_value());

  EXPECT_FALSE(store.find_file("CCCCCCCCCCCCCCCCCCCCCC.png").has_value());
  EXPECT_FALSE(store.find_file("").has_value());
  // find_file is by stored name only: a thumbnail's name is not a file.
  EXPECT_FALSE(store.find_file(*full.thumbnail_name).has_value());
  // Names are compared exactly (they are case-sensitive capabilities).
  EXPECT_FALSE(store.find_file("aaaaaaaaaaaaaaaaaaaaaa.png").has_value());
}

TEST_F(SqliteFilesTest, FileNamesSurviveReopen) {
  const StoredFile f = image("AAAAAAAAAAAAAAAAAAAAAA.png", alice);
  store.insert_file(f);
  SqliteStore reopened(path, SqliteSync::normal);
  ASSERT_TRUE(reopened.find_file(f.name).has_value());
  EXPECT_EQ(describe(*reopened.find_file(f.name)), describe(f));
}

TEST_F(SqliteFilesTest, FindFileOrThumbnail) {
  const StoredFile f = image("AAAAAAAAAAAAAAAAAAAAAA.png", alice);
  store.insert_file(f);
  store.insert_file(document("BBBBBBBBBBBBBBBBBBBBBB.pdf", alice));

  const auto as_file = store.find_file_or_thumbnail(f.name);
  ASSERT_TRUE(as_file.has_value());
  EXPECT_FALSE(as_file->is_thumbnail);
  EXPECT_EQ(describe(as_file->file), describe(f));

  const auto as_thumbnail = store.find_file_or_thumbnail(*f.thumbnail_name);
  ASSERT_TRUE(as_thumbnail.has_value());
  EXPECT_TRUE(as_thumbnail->is_thumbnail);
  EXPECT_EQ(describe(as_thumbnail->file), describe(f));  // the file the thumbnail belongs to

  const auto doc = store.find_file_or_thumbnail("BBBBBBBBBBBBBBBBBBBBBB.pdf");
  ASSERT_TRUE(doc.has_value());
  EXPECT_FALSE(doc->is_thumbnail);
  EXPECT_EQ(doc->file.kind, "document");

  EXPECT_FALSE(store.find_file_or_thumbnail("nope").has_value());
  EXPECT_FALSE(store.find_file_or_thumbnail("").has_value());
}

TEST_F(SqliteFilesTest, FileAndThumbnailNamesShareOneNamespace) {
  const StoredFile first = image("AAAAAAAAAAAAAAAAAAAAAA.png", alice);  // thumbnail "...-thumb.jpg"
  store.insert_file(first);

  // The same name again.
  EXPECT_THROW(store.insert_file(document(first.name, bob)), StoreError);
  // A file named like an existing thumbnail.
  EXPECT_THROW(store.insert_file(document(*first.thumbnail_name, bob)), StoreError);
  // A thumbnail named like an existing file.
  StoredFile thumb_is_file = image("CCCCCCCCCCCCCCCCCCCCCC.png", bob);
  thumb_is_file.thumbnail_name = first.name;
  EXPECT_THROW(store.insert_file(thumb_is_file), StoreError);
  // A thumbnail named like an existing thumbnail.
  StoredFile thumb_is_thumb = image("DDDDDDDDDDDDDDDDDDDDDD.png", bob);
  thumb_is_thumb.thumbnail_name = first.thumbnail_name;
  EXPECT_THROW(store.insert_file(thumb_is_thumb), StoreError);
  // A file that is its own thumbnail.
  StoredFile own = image("EEEEEEEEEEEEEEEEEEEEEE.png", bob);
  own.thumbnail_name = own.name;
  EXPECT_THROW(store.insert_file(own), StoreError);

  RawDb raw(path);
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM files"), "1");
  EXPECT_EQ(describe(*store.find_file(first.name)), describe(first));  // the original is untouched
  // And the failed inserts left the writer usable.
  store.insert_file(image("FFFFFFFFFFFFFFFFFFFFFF.png", bob));
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM files"), "2");
}

TEST_F(SqliteFilesTest, InsertRefusesRowsThatCannotBeRight) {
  EXPECT_THROW(store.insert_file(document("AAAAAAAAAAAAAAAAAAAAAA.pdf", 9999)), StoreError);  // no such uploader
  StoredFile bad_kind = document("BBBBBBBBBBBBBBBBBBBBBB.pdf", alice);
  bad_kind.kind = "pdf";
  EXPECT_THROW(store.insert_file(bad_kind), StoreError);
  EXPECT_THROW(store.insert_file(document("CCCCCCCCCCCCCCCCCCCCCC.pdf", alice, 1, -1)), StoreError);  // size < 0
  EXPECT_THROW(store.insert_file(document("", alice)), StoreError);
  StoredFile empty_thumb = image("DDDDDDDDDDDDDDDDDDDDDD.png", alice);
  empty_thumb.thumbnail_name = "";
  EXPECT_THROW(store.insert_file(empty_thumb), StoreError);
  RawDb raw(path);
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM files"), "0");

  // Every kind the protocol names is accepted; an empty file is a file.
  int n = 0;
  for (const char* kind : {"image", "video", "audio", "document", "file"}) {
    StoredFile f = document(test::numbered("kind-", ++n), alice, 1, 0);
    f.kind = kind;
    EXPECT_NO_THROW(store.insert_file(f)) << kind;
  }
}

TEST_F(SqliteFilesTest, UploadUsageWindows) {
  store.insert_file(document("a1", alice, 1000, 100));
  store.insert_file(image("a2", alice, 2000, 200));
  store.insert_file(document("a3", alice, 3000, 300));
  store.insert_file(document("b1", bob, 2500, 1000));

  auto usage = store.upload_usage(alice, 0);  // all time
  EXPECT_EQ(usage.files, 3);
  EXPECT_EQ(usage.bytes, 600);              // file sizes only: thumbnails are not counted
  usage = store.upload_usage(alice, 2000);  // inclusive lower bound
  EXPECT_EQ(usage.files, 2);
  EXPECT_EQ(usage.bytes, 500);
  usage = store.upload_usage(alice, 2001);
  EXPECT_EQ(usage.files, 1);
  EXPECT_EQ(usage.bytes, 300);
  usage = store.upload_usage(alice, 3001);
  EXPECT_EQ(usage.files, 0);
  EXPECT_EQ(usage.bytes, 0);

  usage = store.upload_usage(bob, 0);
  EXPECT_EQ(usage.files, 1);
  EXPECT_EQ(usage.bytes, 1000);
  usage = store.upload_usage(9999, 0);
  EXPECT_EQ(usage.files, 0);
  EXPECT_EQ(usage.bytes, 0);

  // Large sizes add up without overflow trouble in the 64-bit range used here.
  store.insert_file(document("b2", bob, 2600, std::int64_t{5} << 32));
  EXPECT_EQ(store.upload_usage(bob, 0).bytes, (std::int64_t{5} << 32) + 1000);
}

// ---- attachments

TEST_F(SqliteFilesTest, AttachmentRoundTripsThroughEveryReadPath) {
  const StoredFile f = image("AAAAAAAAAAAAAAAAAAAAAA.png", alice);
  store.insert_file(f);
  const auto results = append(
      {draft(general, alice, "before"), with_attachment(draft(general, alice, ""), f), draft(general, bob, "after")});
  ASSERT_EQ(results.size(), 3u);

  const Message& appended = results[1].message;
  EXPECT_EQ(appended.message_type, "image");
  EXPECT_EQ(appended.content, "");
  ASSERT_TRUE(appended.attachment.has_value());
  EXPECT_EQ(describe(*appended.attachment), describe(f));
  EXPECT_FALSE(results[0].message.attachment.has_value());
  EXPECT_FALSE(results[2].message.attachment.has_value());

  const auto found = store.find_message(appended.id);
  ASSERT_TRUE(found.has_value());
  ASSERT_TRUE(found->attachment.has_value());
  EXPECT_EQ(describe(*found->attachment), describe(f));
  EXPECT_EQ(found->message_type, "image");

  const auto page = store.history(query(general, 10));
  ASSERT_EQ(page.messages.size(), 3u);
  EXPECT_FALSE(page.messages[0].attachment.has_value());
  ASSERT_TRUE(page.messages[1].attachment.has_value());
  EXPECT_EQ(describe(*page.messages[1].attachment), describe(f));
  EXPECT_FALSE(page.messages[2].attachment.has_value());
  // The other history path (oldest first after a point) too.
  const auto after = store.history(query(general, 10).since_seq(1));
  ASSERT_EQ(after.messages.size(), 2u);
  ASSERT_TRUE(after.messages[0].attachment.has_value());
  EXPECT_EQ(after.messages[0].attachment->name, f.name);
}

TEST_F(SqliteFilesTest, LastMessageAndEditKeepTheAttachment) {
  const StoredFile f = document("AAAAAAAAAAAAAAAAAAAAAA.pdf", bob);
  store.insert_file(f);
  const auto id = append({with_attachment(draft(general, bob, "the report"), f)})[0].message.id;

  const auto last = store.last_message(general);
  ASSERT_TRUE(last.has_value());
  ASSERT_TRUE(last->attachment.has_value());
  EXPECT_EQ(describe(*last->attachment), describe(f));
  EXPECT_EQ(last->message_type, "document");

  const auto edited = store.edit_message(id, "the final report", 9000);
  ASSERT_TRUE(edited.has_value());
  EXPECT_EQ(edited->content, "the final report");
  ASSERT_TRUE(edited->attachment.has_value());
  EXPECT_EQ(edited->attachment->name, f.name);
}

TEST_F(SqliteFilesTest, OneFileMayBeAttachedToSeveralMessages) {
  const StoredFile f = image("AAAAAAAAAAAAAAAAAAAAAA.png", alice);
  store.insert_file(f);
  const RoomId other = store.create_room("other", false, alice, "", 1).id;
  const auto results =
      append({with_attachment(draft(general, alice, "one"), f), with_attachment(draft(other, alice, "two"), f)});
  ASSERT_TRUE(results[0].message.attachment.has_value());
  ASSERT_TRUE(results[1].message.attachment.has_value());
  EXPECT_EQ(results[1].message.attachment->name, f.name);
  // Deleting one reference leaves the other.
  store.delete_message(results[0].message.id, 10);
  ASSERT_TRUE(store.find_message(results[1].message.id)->attachment.has_value());
}

TEST_F(SqliteFilesTest, UnknownAttachmentFailsTheWholeBatch) {
  append({draft(general, alice, "first")});
  const StoredFile missing = image("AAAAAAAAAAAAAAAAAAAAAA.png", alice);  // never inserted
  EXPECT_THROW(append({draft(general, alice, "lost", "c-lost"), with_attachment(draft(general, alice, ""), missing)}),
               StoreError);
  EXPECT_EQ(store.find_room(general)->last_seq, 1);
  RawDb raw(path);
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM messages"), "1");
  // A thumbnail name is not a file either.
  const StoredFile f = image("BBBBBBBBBBBBBBBBBBBBBB.png", alice);
  store.insert_file(f);
  MessageDraft by_thumbnail = draft(general, alice, "");
  by_thumbnail.attachment_name = f.thumbnail_name;
  EXPECT_THROW(append({by_thumbnail}), StoreError);
  // Nothing ran ahead: the next message is seq 2 and the client id is free.
  const auto next = append({with_attachment(draft(general, alice, "", "c-lost"), f)});
  EXPECT_FALSE(next[0].duplicate);
  EXPECT_EQ(next[0].message.seq, 2);
  ASSERT_TRUE(next[0].message.attachment.has_value());
}

TEST_F(SqliteFilesTest, TheDatabaseItselfRefusesADanglingAttachment) {
  // The foreign key backs up the store's own check: a raw write cannot reference a missing file.
  RawDb raw(path);
  raw.exec("PRAGMA foreign_keys=ON");
  EXPECT_THROW(
      raw.exec(test::numbered("INSERT INTO messages(room_id, seq, sender_id, content, message_type, created_at, "
                              "attachment_name) VALUES(",
                              general) +
               ", 99, 1, '', 'image', 1, 'no-such-file')"),
      std::runtime_error);
}

TEST_F(SqliteFilesTest, DeleteDropsTheAttachmentButKeepsTheFile) {
  const StoredFile f = image("AAAAAAAAAAAAAAAAAAAAAA.png", alice);
  store.insert_file(f);
  const auto id = append({with_attachment(draft(general, alice, "look", "c1"), f)})[0].message.id;

  const auto tombstone = store.delete_message(id, 9000);
  ASSERT_TRUE(tombstone.has_value());
  EXPECT_TRUE(tombstone->deleted);
  EXPECT_EQ(tombstone->content, "");
  EXPECT_FALSE(tombstone->attachment.has_value());
  EXPECT_EQ(tombstone->message_type, "image");  // kept: the tombstone says what was deleted

  EXPECT_FALSE(store.find_message(id)->attachment.has_value());
  EXPECT_FALSE(store.last_message(general)->attachment.has_value());
  EXPECT_FALSE(store.history(query(general, 10)).messages.at(0).attachment.has_value());
  EXPECT_FALSE(store.delete_message(id, 9001)->attachment.has_value());  // deleting again
  EXPECT_FALSE(store.edit_message(id, "back", 9002).has_value());

  // The reference is gone from the row, not hidden; the file's metadata stays.
  RawDb raw(path);
  EXPECT_EQ(raw.scalar(test::numbered("SELECT attachment_name FROM messages WHERE id = ", id)), "<null>");
  EXPECT_TRUE(store.find_file(f.name).has_value());

  // A retry of the deleted message's client id gets the tombstone, without the attachment.
  const auto again = append({with_attachment(draft(general, alice, "look", "c1"), f)});
  EXPECT_TRUE(again[0].duplicate);
  EXPECT_TRUE(again[0].message.deleted);
  EXPECT_FALSE(again[0].message.attachment.has_value());
}

TEST_F(SqliteFilesTest, DuplicateClientIdReturnsTheOriginalWithItsAttachment) {
  const StoredFile f = image("AAAAAAAAAAAAAAAAAAAAAA.png", alice);
  const StoredFile other = document("BBBBBBBBBBBBBBBBBBBBBB.pdf", alice);
  store.insert_file(f);
  store.insert_file(other);

  // Within one batch: the second draft (naming another file) is the first one again.
  const auto batch = append({with_attachment(draft(general, alice, "pic", "c1"), f),
                             with_attachment(draft(general, alice, "doc", "c1"), other)});
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_TRUE(batch[1].duplicate);
  ASSERT_TRUE(batch[1].message.attachment.has_value());
  EXPECT_EQ(describe(*batch[1].message.attachment), describe(f));
  EXPECT_EQ(batch[1].message.message_type, "image");

  // Across batches, and even when the retry has no attachment (or a missing one: the original
  // is returned before the attachment is looked at).
  const auto retry = append({draft(general, alice, "pic", "c1")});
  EXPECT_TRUE(retry[0].duplicate);
  EXPECT_EQ(retry[0].message.id, batch[0].message.id);
  ASSERT_TRUE(retry[0].message.attachment.has_value());
  EXPECT_EQ(describe(*retry[0].message.attachment), describe(f));
  MessageDraft ghost = draft(general, alice, "pic", "c1");
  ghost.attachment_name = "no-such-file";
  const auto ghost_retry = append({ghost});
  EXPECT_TRUE(ghost_retry[0].duplicate);
  ASSERT_TRUE(ghost_retry[0].message.attachment.has_value());
  EXPECT_EQ(ghost_retry[0].message.attachment->name, f.name);
  EXPECT_EQ(store.find_room(general)->last_seq, 1);
}

TEST_F(SqliteFilesTest, FileQueriesUseTheirIndexes) {
  store.insert_file(image("AAAAAAAAAAAAAAAAAAAAAA.png", alice));
  RawDb raw(path);
  const auto thumb = raw.rows("EXPLAIN QUERY PLAN SELECT name FROM files WHERE thumbnail_name = 'x'");
  EXPECT_NE(thumb.find("files_by_thumbnail"), std::string::npos) << thumb;
  const auto usage = raw.rows(
      "EXPLAIN QUERY PLAN SELECT COUNT(*), COALESCE(SUM(size), 0) FROM files WHERE uploader_id = 1 AND created_at >= "
      "5");
  EXPECT_NE(usage.find("COVERING INDEX files_by_uploader"), std::string::npos) << usage;
  // History joins each message to its file by primary key, and still pages on its own index.
  const auto page = raw.rows(
      "EXPLAIN QUERY PLAN SELECT m.id, f.size FROM messages m JOIN users u ON u.id = m.sender_id "
      "LEFT JOIN files f ON f.name = m.attachment_name WHERE m.room_id = 1 AND m.seq < 9 ORDER BY m.seq DESC LIMIT 5");
  EXPECT_NE(page.find("messages_by_room_seq"), std::string::npos) << page;
  EXPECT_NE(page.find("SEARCH f USING PRIMARY KEY"), std::string::npos) << page;
  EXPECT_EQ(page.find("TEMP B-TREE"), std::string::npos) << page;
  EXPECT_EQ(page.find("SCAN f"), std::string::npos) << page;
}

}  // namespace
}  // namespace parley
