// ChatService message rules: validation, membership, live delivery after the durable commit,
// idempotent client ids, rate limiting, edit/delete by the sender only, read receipts.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "chat_fixture.hpp"

namespace parley::chat_test {
namespace {

std::string repeat(const std::string& unit, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += unit;
  return out;
}

EventPredicate message_frame_in(RoomId room) {
  return frame_in_room("message", room);
}

// A room alice created and bob joined.
struct TwoInARoom {
  explicit TwoInARoom(ChatWorld& w) : alice(w.user("alice")), bob(w.user("bob")), room(w.room(alice, "lobby")) {
    if (!w.chat().join_room(bob, room.id).ok()) throw std::runtime_error("join failed");
    w.events().clear();
  }
  User alice;
  User bob;
  Room room;
};

void expect_error(const Result<AppendResult>& r, int status, const char* code) {
  ASSERT_FALSE(r.ok()) << "expected " << status;
  EXPECT_EQ(r.error().status, status);
  EXPECT_EQ(r.error().code, code);
}

// ---------------------------------------------------------------- send: validation

TEST(ChatMessages, EmptyOrWhitespaceContentIsRefused) {
  ChatWorld w;
  TwoInARoom t(w);
  for (const std::string bad : {"", " ", "   \t\r\n  "}) {
    SCOPED_TRACE("'" + bad + "'");
    expect_error(w.send(t.alice, t.room.id, bad), 400, "bad_request");
  }
  EXPECT_EQ(w.store().find_room(t.room.id)->last_seq, 0) << "nothing stored";
  EXPECT_EQ(w.events().size(), 0u) << "nothing published";
}

TEST(ChatMessages, ContentIsTrimmedAndLimitedTo4000CodePoints) {
  ChatWorld w;
  TwoInARoom t(w);

  const Message trimmed = w.send_ok(t.alice, t.room.id, "  \t hello \n ");
  EXPECT_EQ(trimmed.content, "hello");

  // 4000 code points is fine, whatever their byte length (2-byte, 3-byte, 4-byte UTF-8)...
  for (const std::string unit : {"a", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"}) {
    auto ok = w.send(t.alice, t.room.id, repeat(unit, 4000));
    ASSERT_TRUE(ok.ok()) << unit.size() << "-byte units: " << ok.error().message;
    EXPECT_EQ(ok.value().message.content, repeat(unit, 4000));
    // ...and whitespace around it does not count.
    ASSERT_TRUE(w.send(t.alice, t.room.id, "  " + repeat(unit, 4000) + "  ").ok());
  }
  // ...4001 is not.
  for (const std::string unit : {"a", "\xC3\xA9", "\xF0\x9F\x98\x80"}) {
    SCOPED_TRACE(unit.size());
    expect_error(w.send(t.alice, t.room.id, repeat(unit, 4001)), 400, "bad_request");
  }
  EXPECT_EQ(w.store().find_room(t.room.id)->last_seq, 9);
}

TEST(ChatMessages, ClientIdMustBeOneTo128Bytes) {
  ChatWorld w;
  TwoInARoom t(w);
  expect_error(w.send(t.alice, t.room.id, "hi", std::string(129, 'c')), 400, "bad_request");
  expect_error(w.send(t.alice, t.room.id, "hi", std::string()), 400, "bad_request");
  auto ok = w.send(t.alice, t.room.id, "hi", std::string(128, 'c'));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.value().message.client_id, std::string(128, 'c'));
  EXPECT_EQ(w.store().find_room(t.room.id)->last_seq, 1);
}

TEST(ChatMessages, NonMemberOfPublicRoomIsForbiddenAndMissingRoomNotFound) {
  ChatWorld w;
  TwoInARoom t(w);
  const User carol = w.user("carol");
  expect_error(w.send(carol, t.room.id, "hi"), 403, "forbidden");
  expect_error(w.send(carol, t.room.id + 1000, "hi"), 404, "not_found");
  EXPECT_EQ(w.store().find_room(t.room.id)->last_seq, 0);
  EXPECT_EQ(w.events().size(), 0u);
}

// ---------------------------------------------------------------- send: delivery

TEST(ChatMessages, SendStoresAndPublishesTheMessageFrame) {
  ChatWorld w;
  TwoInARoom t(w);
  auto r = w.send(t.bob, t.room.id, "hello room", std::string("c-1"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r.value().duplicate);
  const Message& m = r.value().message;
  EXPECT_GT(m.id, 0);
  EXPECT_EQ(m.seq, 1);
  EXPECT_EQ(m.room_id, t.room.id);
  EXPECT_EQ(m.sender_id, t.bob.id);
  EXPECT_EQ(m.sender, "bob");
  EXPECT_EQ(m.content, "hello room");

  // Published right after the completion, from the writer thread.
  const auto published = w.events().wait_for_event(message_frame_in(t.room.id));
  ASSERT_TRUE(published);
  const BusEvent& e = published->event;
  EXPECT_EQ(e.kind, BusEvent::Kind::room_frame);
  EXPECT_EQ(e.room, t.room.id);
  EXPECT_GT(e.seq, 0) << "chat messages carry their seq for ordering";
  EXPECT_EQ(e.seq, m.seq);
  EXPECT_EQ(e.exclude_user, 0) << "the sender gets its own copy too";
  EXPECT_EQ(e.only_user, 0);
  ASSERT_TRUE(e.frame);
  EXPECT_EQ(*e.frame, message_frame("message", m));
  EXPECT_EQ(jstr(e, "/type"), "message");
  EXPECT_EQ(jint(e, "/id"), m.id);
  EXPECT_EQ(jint(e, "/seq"), 1);
  EXPECT_EQ(jint(e, "/room_id"), t.room.id);
  EXPECT_EQ(jint(e, "/sender_id"), t.bob.id);
  EXPECT_EQ(jstr(e, "/sender"), "bob");
  EXPECT_EQ(jstr(e, "/content"), "hello room");
  EXPECT_EQ(jstr(e, "/client_id"), "c-1");
  EXPECT_EQ(jbool(e, "/deleted"), false);
  EXPECT_TRUE(jnull(e, "/edited_at"));

  // Durable: it is in the history and the room's last_seq moved.
  HistoryQuery q;
  q.room_id = t.room.id;
  auto page = w.chat().history(t.alice, q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page.value().messages.size(), 1u);
  EXPECT_EQ(page.value().messages[0].id, m.id);
  EXPECT_EQ(w.store().find_room(t.room.id)->last_seq, 1);
}

TEST(ChatMessages, SeqsAreGaplessAndPublishedInOrder) {
  ChatWorld w;
  TwoInARoom t(w);
  for (int i = 1; i <= 5; ++i) {
    const Message m = w.send_ok(i % 2 != 0 ? t.alice : t.bob, t.room.id, "m" + std::to_string(i));
    EXPECT_EQ(m.seq, i);
  }
  const auto frames = w.events().matching(message_frame_in(t.room.id));
  ASSERT_EQ(frames.size(), 5u);
  for (std::size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(frames[i].seq, static_cast<Seq>(i + 1));
}

TEST(ChatMessages, ConcurrentSendersGetGaplessSeqsPublishedInOrder) {
  ChatWorld w;
  const User owner = w.user("owner");
  const Room room = w.room(owner, "busy");
  std::vector<User> senders;
  for (int i = 0; i < 4; ++i) {
    senders.push_back(w.user("sender" + std::to_string(i)));
    ASSERT_TRUE(w.chat().join_room(senders.back(), room.id).ok());
  }
  constexpr int kEach = 25;  // within the default burst of 50
  std::vector<std::thread> threads;
  std::atomic<int> refused{0};
  for (const User& sender : senders) {
    threads.emplace_back([&w, &refused, sender, room] {
      for (int i = 0; i < kEach; ++i) {
        ChatService::SendRequest request;
        request.room_id = room.id;
        request.content = sender.username + " #" + std::to_string(i);
        request.client_id = "c" + std::to_string(i);
        w.chat().send_message(sender, std::move(request), [&refused](Result<AppendResult> r) {
          if (!r.ok() || r.value().duplicate) ++refused;
        });
      }
    });
  }
  for (auto& t : threads) t.join();

  const std::size_t total = senders.size() * kEach;
  ASSERT_TRUE(w.events().wait_for_count(message_frame_in(room.id), total));
  EXPECT_EQ(refused.load(), 0);
  const auto frames = w.events().matching(message_frame_in(room.id));
  ASSERT_EQ(frames.size(), total);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].seq, static_cast<Seq>(i + 1)) << "published out of seq order at " << i;
    EXPECT_EQ(jint(frames[i], "/seq"), static_cast<Seq>(i + 1));
  }
  EXPECT_EQ(w.store().find_room(room.id)->last_seq, static_cast<Seq>(total));
}

TEST(ChatMessages, DuplicateClientIdReturnsTheOriginalAndIsNotPublishedAgain) {
  ChatWorld w;
  TwoInARoom t(w);
  const Message original = w.send_ok(t.alice, t.room.id, "once", std::string("retry-1"));

  auto again = w.send(t.alice, t.room.id, "once (resent)", std::string("retry-1"));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again.value().duplicate);
  EXPECT_EQ(again.value().message.id, original.id);
  EXPECT_EQ(again.value().message.seq, original.seq);
  EXPECT_EQ(again.value().message.content, "once");

  // A barrier: completions and their publishes run in commit order on the writer thread, so
  // once the next message's frame is seen, a publish of the duplicate would have been seen too.
  const Message next = w.send_ok(t.alice, t.room.id, "next", std::string("retry-2"));
  EXPECT_EQ(next.seq, original.seq + 1) << "the duplicate used no seq";
  const auto frames = w.events().matching(message_frame_in(t.room.id));
  ASSERT_EQ(frames.size(), 2u) << "the duplicate must not be delivered twice";
  EXPECT_EQ(frames[0].seq, original.seq);
  EXPECT_EQ(frames[1].seq, next.seq);

  // Client ids are per sender: bob may use the same one.
  const Message bobs = w.send_ok(t.bob, t.room.id, "mine", std::string("retry-1"));
  EXPECT_NE(bobs.id, original.id);
  EXPECT_EQ(w.store().find_room(t.room.id)->last_seq, 3);
}

TEST(ChatMessages, RateLimitRefusesBeyondTheBurst) {
  ChatOptions options;
  options.limits.messages = RateLimit{3, 0.001};
  ChatWorld w(options);
  TwoInARoom t(w);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(w.send(t.alice, t.room.id, "m" + std::to_string(i)).ok()) << i;

  auto limited = w.send(t.alice, t.room.id, "one too many");
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.error().status, 429);
  EXPECT_EQ(limited.error().code, "rate_limited");
  EXPECT_GE(limited.error().retry_after_s, 1);

  // Per user: bob still has his whole burst.
  EXPECT_TRUE(w.send(t.bob, t.room.id, "bob is fine").ok());

  // The refused message was neither stored nor published.
  ASSERT_TRUE(w.events().wait_for_count(message_frame_in(t.room.id), 4));
  EXPECT_EQ(w.store().find_room(t.room.id)->last_seq, 4);
  EXPECT_EQ(w.events().count(message_frame_in(t.room.id)), 4u);
}

// ---------------------------------------------------------------- edit

TEST(ChatMessages, SenderEditsAndTheRoomGetsMessageUpdated) {
  ChatWorld w;
  TwoInARoom t(w);
  const Message m = w.send_ok(t.alice, t.room.id, "helo");

  auto edited = w.chat().edit_message(t.alice, m.id, "  hello  ");
  ASSERT_TRUE(edited.ok()) << edited.error().message;
  EXPECT_EQ(edited.value().id, m.id);
  EXPECT_EQ(edited.value().seq, m.seq);
  EXPECT_EQ(edited.value().content, "hello");
  EXPECT_TRUE(edited.value().edited_at);

  const auto updates = w.events().matching(frame_in_room("message_updated", t.room.id));
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(jint(updates[0], "/id"), m.id);
  EXPECT_EQ(jstr(updates[0], "/content"), "hello");
  EXPECT_FALSE(jnull(updates[0], "/edited_at"));
  EXPECT_EQ(updates[0].seq, 0) << "an edit is not a new message in the seq stream";
  EXPECT_EQ(w.store().find_message(m.id)->content, "hello");
}

TEST(ChatMessages, EditByAnotherUserIsForbiddenAndInvalidContentRefused) {
  ChatWorld w;
  TwoInARoom t(w);
  const Message m = w.send_ok(t.alice, t.room.id, "mine");
  const User carol = w.user("carol");

  auto by_bob = w.chat().edit_message(t.bob, m.id, "hijacked");
  ASSERT_FALSE(by_bob.ok());
  EXPECT_EQ(by_bob.error().status, 403);
  auto by_outsider = w.chat().edit_message(carol, m.id, "hijacked");
  ASSERT_FALSE(by_outsider.ok());
  EXPECT_EQ(by_outsider.error().status, 404) << "outsiders do not learn the message exists";
  auto empty = w.chat().edit_message(t.alice, m.id, "   ");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().status, 400);
  auto missing = w.chat().edit_message(t.alice, m.id + 1000, "x");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().status, 404);

  EXPECT_EQ(w.store().find_message(m.id)->content, "mine");
  EXPECT_EQ(w.events().count(frame_type("message_updated")), 0u);
}

TEST(ChatMessages, EditOfDeletedMessageIsNotFound) {
  ChatWorld w;
  TwoInARoom t(w);
  const Message m = w.send_ok(t.alice, t.room.id, "soon gone");
  ASSERT_TRUE(w.chat().delete_message(t.alice, m.id).ok());

  auto edited = w.chat().edit_message(t.alice, m.id, "back from the dead");
  ASSERT_FALSE(edited.ok());
  EXPECT_EQ(edited.error().status, 404);
  EXPECT_EQ(w.events().count(frame_type("message_updated")), 0u);
  const auto stored = w.store().find_message(m.id);
  ASSERT_TRUE(stored);
  EXPECT_TRUE(stored->deleted);
  EXPECT_EQ(stored->content, "");
}

// ---------------------------------------------------------------- delete

TEST(ChatMessages, DeletePublishesMessageDeletedAndLeavesATombstone) {
  ChatWorld w;
  TwoInARoom t(w);
  const Message first = w.send_ok(t.alice, t.room.id, "secret text");
  const Message second = w.send_ok(t.bob, t.room.id, "reply");

  ASSERT_TRUE(w.chat().delete_message(t.alice, first.id).ok());
  const auto deleted = w.events().matching(frame_in_room("message_deleted", t.room.id));
  ASSERT_EQ(deleted.size(), 1u);
  EXPECT_EQ(jint(deleted[0], "/id"), first.id);
  EXPECT_EQ(jint(deleted[0], "/seq"), first.seq);
  EXPECT_EQ(jint(deleted[0], "/room_id"), t.room.id);
  EXPECT_EQ(deleted[0].frame->find("secret text"), std::string::npos);

  HistoryQuery q;
  q.room_id = t.room.id;
  auto page = w.chat().history(t.bob, q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page.value().messages.size(), 2u) << "the tombstone keeps its place";
  const Message& tomb = page.value().messages[0];
  EXPECT_EQ(tomb.id, first.id);
  EXPECT_EQ(tomb.seq, first.seq);
  EXPECT_TRUE(tomb.deleted);
  EXPECT_EQ(tomb.content, "");
  EXPECT_EQ(page.value().messages[1].id, second.id);
  EXPECT_FALSE(page.value().messages[1].deleted);

  // Deleting again is fine and publishes nothing new.
  ASSERT_TRUE(w.chat().delete_message(t.alice, first.id).ok());
  EXPECT_EQ(w.events().count(frame_type("message_deleted")), 1u);
}

TEST(ChatMessages, DeleteByAnotherUserIsForbidden) {
  ChatWorld w;
  TwoInARoom t(w);
  const Message m = w.send_ok(t.alice, t.room.id, "mine");
  auto r = w.chat().delete_message(t.bob, m.id);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status, 403);
  auto missing = w.chat().delete_message(t.alice, m.id + 1000);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().status, 404);
  EXPECT_FALSE(w.store().find_message(m.id)->deleted);
  EXPECT_EQ(w.events().count(frame_type("message_deleted")), 0u);
}

// ---------------------------------------------------------------- read receipts

TEST(ChatMessages, MarkReadOnlyMovesForward) {
  ChatWorld w;
  TwoInARoom t(w);
  w.send_ok(t.alice, t.room.id, "one");
  w.send_ok(t.alice, t.room.id, "two");
  w.send_ok(t.alice, t.room.id, "three");
  const auto reads = frame_in_room("read", t.room.id);

  ASSERT_TRUE(w.chat().mark_read(t.bob, t.room.id, 2).ok());
  ASSERT_EQ(w.events().count(reads), 1u);
  const auto e = w.events().matching(reads).front();
  EXPECT_EQ(jint(e, "/seq"), 2);
  EXPECT_EQ(jint(e, "/user_id"), t.bob.id);
  EXPECT_EQ(jstr(e, "/username"), "bob");
  EXPECT_EQ(w.store().read_seq(t.room.id, t.bob.id), 2);

  // Lower or equal: accepted, but nothing changes and nothing is published.
  ASSERT_TRUE(w.chat().mark_read(t.bob, t.room.id, 1).ok());
  ASSERT_TRUE(w.chat().mark_read(t.bob, t.room.id, 2).ok());
  EXPECT_EQ(w.events().count(reads), 1u);
  EXPECT_EQ(w.store().read_seq(t.room.id, t.bob.id), 2);

  ASSERT_TRUE(w.chat().mark_read(t.bob, t.room.id, 3).ok());
  EXPECT_EQ(w.events().count(reads), 2u);
  EXPECT_EQ(w.store().read_seq(t.room.id, t.bob.id), 3);

  // The member list (for `joined` and GET .../members) carries each member's receipt.
  for (const auto& m : w.chat().member_views(t.room.id)) EXPECT_EQ(m.read_seq, m.user.id == t.bob.id ? 3 : 0);
}

TEST(ChatMessages, MarkReadBeyondLastSeqOrBelowOneIsBadRequest) {
  ChatWorld w;
  TwoInARoom t(w);
  w.send_ok(t.alice, t.room.id, "one");
  for (const Seq bad : {Seq{2}, Seq{100}, Seq{0}, Seq{-1}}) {
    auto r = w.chat().mark_read(t.bob, t.room.id, bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().status, 400) << bad;
  }
  const User carol = w.user("carol");
  auto outsider = w.chat().mark_read(carol, t.room.id, 1);
  ASSERT_FALSE(outsider.ok());
  EXPECT_EQ(outsider.error().status, 403);
  EXPECT_EQ(w.store().read_seq(t.room.id, t.bob.id), 0);
  EXPECT_EQ(w.events().count(frame_type("read")), 0u);
}

}  // namespace
}  // namespace parley::chat_test
