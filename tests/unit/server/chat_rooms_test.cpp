// ChatService room rules: creation, visibility (private rooms are 404 to outsiders), joining
// by id and by invite, leaving, listing, and the events each change publishes.
#include <gtest/gtest.h>

#include <algorithm>

#include "chat_fixture.hpp"

namespace parley::chat_test {
namespace {

std::string repeat(const std::string& unit, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += unit;
  return out;
}

const RoomView* find_view(const std::vector<RoomView>& views, RoomId id) {
  auto it = std::find_if(views.begin(), views.end(), [id](const RoomView& v) { return v.room.id == id; });
  return it == views.end() ? nullptr : &*it;
}

EventPredicate member_event(const char* type, RoomId room, UserId user) {
  return [type, room, user](const BusEvent& e) {
    return e.kind == BusEvent::Kind::room_frame && e.room == room && type_of(e) == type && jint(e, "/user/id") == user;
  };
}

EventPredicate unsubscribe_of(RoomId room, UserId user) {
  return [room, user](const BusEvent& e) {
    return e.kind == BusEvent::Kind::unsubscribe_user && e.room == room && e.user == user;
  };
}

// ---------------------------------------------------------------- create

TEST(ChatRooms, CreateTrimsTheNameAndMakesTheCreatorAMember) {
  ChatWorld w;
  const User alice = w.user("alice");
  auto view = w.chat().create_room(alice, "  \t General chat \n ", false);
  ASSERT_TRUE(view.ok()) << view.error().message;
  EXPECT_EQ(view.value().room.name, "General chat");
  EXPECT_FALSE(view.value().room.is_private);
  EXPECT_TRUE(view.value().joined);
  EXPECT_EQ(view.value().room.created_by, alice.id);
  EXPECT_EQ(view.value().room.member_count, 1);
  EXPECT_TRUE(w.store().is_member(view.value().room.id, alice.id));
  EXPECT_EQ(view.value().room.invite_code, "") << "public rooms have no invite";
  auto stored = w.store().find_room(view.value().room.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->name, "General chat");
}

TEST(ChatRooms, PrivateRoomGetsAnInviteCode) {
  ChatWorld w;
  const User alice = w.user("alice");
  auto view = w.chat().create_room(alice, "secret", true);
  ASSERT_TRUE(view.ok());
  EXPECT_TRUE(view.value().room.is_private);
  // 128 random bits as hex: nothing a command line or a double click would split.
  const std::string& code = view.value().room.invite_code;
  EXPECT_EQ(code.size(), 32u);
  EXPECT_TRUE(std::all_of(code.begin(), code.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  })) << code;
}

TEST(ChatRooms, NameMustBeOneToHundredCharactersAfterTrimming) {
  ChatWorld w;
  const User alice = w.user("alice");
  for (const std::string bad : {"", "   ", " \t\r\n "}) {
    auto r = w.chat().create_room(alice, bad, false);
    ASSERT_FALSE(r.ok()) << "'" << bad << "'";
    EXPECT_EQ(r.error().status, 400);
    EXPECT_EQ(r.error().code, "bad_request");
  }
  EXPECT_TRUE(w.chat().create_room(alice, "x", false).ok());
  EXPECT_TRUE(w.chat().create_room(alice, repeat("a", 100), false).ok());
  // Counted in code points, not bytes: 100 two-byte and 100 four-byte characters are fine.
  auto accented = w.chat().create_room(alice, repeat("\xC3\xA9", 100), false);
  ASSERT_TRUE(accented.ok());
  EXPECT_EQ(accented.value().room.name, repeat("\xC3\xA9", 100));
  EXPECT_TRUE(w.chat().create_room(alice, repeat("\xF0\x9F\x98\x80", 100), false).ok());
  // Surrounding whitespace does not count.
  EXPECT_TRUE(w.chat().create_room(alice, "   " + repeat("a", 100) + "   ", false).ok());

  for (const std::string& bad : {repeat("a", 101), repeat("\xC3\xA9", 101)}) {
    auto r = w.chat().create_room(alice, bad, true);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().status, 400);
  }
  EXPECT_EQ(w.store().list_visible_rooms(alice.id).size(), 5u) << "refused rooms must not be stored";
}

TEST(ChatRooms, NameLimitIsASetting) {
  ChatOptions options;
  options.limits.max_room_name_chars = 5;
  ChatWorld w(options);
  const User alice = w.user("alice");
  EXPECT_TRUE(w.chat().create_room(alice, "abcde", false).ok());
  EXPECT_FALSE(w.chat().create_room(alice, "abcdef", false).ok());
}

// ---------------------------------------------------------------- visibility

TEST(ChatRooms, PublicRoomIsVisibleToEveryone) {
  ChatWorld w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  const Room room = w.room(alice, "lobby");

  auto access = w.chat().visible_room(bob, room.id);
  ASSERT_TRUE(access.ok());
  EXPECT_FALSE(access.value().member);
  EXPECT_EQ(access.value().room.name, "lobby");

  auto view = w.chat().view_room(bob, room.id);
  ASSERT_TRUE(view.ok());
  EXPECT_FALSE(view.value().joined);
  EXPECT_EQ(view.value().room.member_count, 1);

  auto mine = w.chat().view_room(alice, room.id);
  ASSERT_TRUE(mine.ok());
  EXPECT_TRUE(mine.value().joined);
}

TEST(ChatRooms, PublicRoomMembersListAndHistoryNeedMembership) {
  ChatWorld w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  const Room room = w.room(alice, "lobby");

  auto members = w.chat().members(bob, room.id);
  ASSERT_FALSE(members.ok());
  EXPECT_EQ(members.error().status, 403);
  HistoryQuery q;
  q.room_id = room.id;
  auto history = w.chat().history(bob, q);
  ASSERT_FALSE(history.ok());
  EXPECT_EQ(history.error().status, 403);
  auto member = w.chat().member_room(bob, room.id);
  ASSERT_FALSE(member.ok());
  EXPECT_EQ(member.error().code, "forbidden");

  ASSERT_TRUE(w.chat().members(alice, room.id).ok());
  ASSERT_TRUE(w.chat().history(alice, q).ok());
}

TEST(ChatRooms, PrivateRoomIsNotFoundForNonMembersEverywhere) {
  ChatWorld w;
  const User alice = w.user("alice");
  const User mallory = w.user("mallory");
  const Room room = w.room(alice, "secret", true);
  w.events().clear();

  auto expect_404 = [](const auto& result, const char* what) {
    ASSERT_FALSE(result.ok()) << what;
    EXPECT_EQ(result.error().status, 404) << what;
    EXPECT_EQ(result.error().code, "not_found") << what;
  };
  expect_404(w.chat().visible_room(mallory, room.id), "visible_room");
  expect_404(w.chat().member_room(mallory, room.id), "member_room");
  expect_404(w.chat().view_room(mallory, room.id), "view_room");
  expect_404(w.chat().join_room(mallory, room.id), "join_room");
  expect_404(w.chat().members(mallory, room.id), "members");
  HistoryQuery q;
  q.room_id = room.id;
  expect_404(w.chat().history(mallory, q), "history");
  expect_404(w.chat().leave_room(mallory, room.id), "leave_room");
  expect_404(w.chat().mark_read(mallory, room.id, 1), "mark_read");
  expect_404(w.chat().typing(mallory, room.id, true), "typing");
  expect_404(w.send(mallory, room.id, "let me in"), "send_message");

  // The same answer as for a room that does not exist at all.
  expect_404(w.chat().view_room(mallory, room.id + 1000), "missing room");
  expect_404(w.chat().join_room(mallory, room.id + 1000), "join missing room");

  EXPECT_FALSE(w.store().is_member(room.id, mallory.id)) << "join_room must not let an outsider in";
  EXPECT_EQ(w.events().size(), 0u) << "refused requests publish nothing";
  // The member still sees it.
  auto mine = w.chat().view_room(alice, room.id);
  ASSERT_TRUE(mine.ok());
  EXPECT_TRUE(mine.value().joined);
}

// ---------------------------------------------------------------- join

TEST(ChatRooms, JoinPublicRoomPublishesMemberJoinedOnlyTheFirstTime) {
  ChatWorld w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  const Room room = w.room(alice, "lobby");
  w.events().clear();

  auto first = w.chat().join_room(bob, room.id);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first.value().joined);
  EXPECT_EQ(first.value().room.member_count, 2);
  EXPECT_TRUE(w.store().is_member(room.id, bob.id));
  ASSERT_EQ(w.events().count(member_event("member_joined", room.id, bob.id)), 1u);
  const auto e = w.events().matching(frame_type("member_joined")).front();
  EXPECT_EQ(jstr(e, "/user/username"), "bob");
  EXPECT_EQ(jint(e, "/room_id"), room.id);
  EXPECT_EQ(jstr(e, "/status"), "offline");  // joined over REST, with no connection

  auto again = w.chat().join_room(bob, room.id);  // joining twice is fine
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again.value().joined);
  EXPECT_EQ(again.value().room.member_count, 2);
  EXPECT_EQ(w.events().count(frame_type("member_joined")), 1u) << "no second member_joined";

  // The creator "joining" their own room changes nothing either.
  ASSERT_TRUE(w.chat().join_room(alice, room.id).ok());
  EXPECT_EQ(w.events().count(frame_type("member_joined")), 1u);
}

TEST(ChatRooms, JoinByInviteAddsToPrivateRoomAndIsIdempotent) {
  ChatWorld w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  const Room room = w.room(alice, "secret", true);
  ASSERT_FALSE(room.invite_code.empty());
  w.events().clear();

  auto joined = w.chat().join_by_invite(bob, room.invite_code);
  ASSERT_TRUE(joined.ok()) << joined.error().message;
  EXPECT_EQ(joined.value().room.id, room.id);
  EXPECT_TRUE(joined.value().joined);
  EXPECT_EQ(joined.value().room.member_count, 2);
  EXPECT_TRUE(w.store().is_member(room.id, bob.id));
  EXPECT_EQ(w.events().count(member_event("member_joined", room.id, bob.id)), 1u);

  // Now a member: the room is visible to bob.
  auto view = w.chat().view_room(bob, room.id);
  ASSERT_TRUE(view.ok());
  EXPECT_TRUE(view.value().joined);
  ASSERT_TRUE(w.chat().members(bob, room.id).ok());

  auto again = w.chat().join_by_invite(bob, room.invite_code);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value().room.id, room.id);
  EXPECT_EQ(again.value().room.member_count, 2);
  EXPECT_EQ(w.events().count(frame_type("member_joined")), 1u) << "joining again publishes nothing";
}

TEST(ChatRooms, WrongInviteIsNotFound) {
  ChatWorld w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  const Room secret = w.room(alice, "secret", true);
  const Room lobby = w.room(alice, "lobby", false);
  w.events().clear();

  for (const std::string& invite : {std::string(""), std::string("nope"), secret.invite_code + "x",
                                    secret.invite_code.substr(1), lobby.invite_code}) {
    auto r = w.chat().join_by_invite(bob, invite);
    ASSERT_FALSE(r.ok()) << "'" << invite << "'";
    EXPECT_EQ(r.error().status, 404);
  }
  EXPECT_FALSE(w.store().is_member(secret.id, bob.id));
  EXPECT_FALSE(w.store().is_member(lobby.id, bob.id));
  EXPECT_EQ(w.events().size(), 0u);
}

// ---------------------------------------------------------------- leave

TEST(ChatRooms, LeavePublishesMemberLeftAndUnsubscribes) {
  ChatWorld w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  const Room room = w.room(alice, "lobby");
  ASSERT_TRUE(w.chat().join_room(bob, room.id).ok());
  w.events().clear();

  ASSERT_TRUE(w.chat().leave_room(bob, room.id).ok());
  EXPECT_FALSE(w.store().is_member(room.id, bob.id));
  EXPECT_EQ(w.events().count(unsubscribe_of(room.id, bob.id)), 1u);
  ASSERT_EQ(w.events().count(member_event("member_left", room.id, bob.id)), 1u);
  const auto left = w.events().matching(frame_type("member_left")).front();
  EXPECT_EQ(jint(left, "/room_id"), room.id);
  EXPECT_EQ(jstr(left, "/user/username"), "bob");

  // After leaving: not a member any more, and leaving again is a quiet no-op.
  auto send = w.send(bob, room.id, "still here?");
  ASSERT_FALSE(send.ok());
  EXPECT_EQ(send.error().status, 403);
  const auto before = w.events().size();
  ASSERT_TRUE(w.chat().leave_room(bob, room.id).ok());
  EXPECT_EQ(w.events().size(), before) << "leaving a room one is not in publishes nothing";

  // Joining again is a fresh join: member_joined once more.
  ASSERT_TRUE(w.chat().join_room(bob, room.id).ok());
  EXPECT_EQ(w.events().count(member_event("member_joined", room.id, bob.id)), 1u);
}

TEST(ChatRooms, LeavingAPrivateRoomHidesItAgain) {
  ChatWorld w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  const Room room = w.room(alice, "secret", true);
  ASSERT_TRUE(w.chat().join_by_invite(bob, room.invite_code).ok());
  w.events().clear();

  ASSERT_TRUE(w.chat().leave_room(bob, room.id).ok());
  EXPECT_EQ(w.events().count(unsubscribe_of(room.id, bob.id)), 1u);
  EXPECT_EQ(w.events().count(member_event("member_left", room.id, bob.id)), 1u);
  auto view = w.chat().view_room(bob, room.id);
  ASSERT_FALSE(view.ok());
  EXPECT_EQ(view.error().status, 404);
}

// ---------------------------------------------------------------- list

TEST(ChatRooms, ListShowsPublicRoomsAndOwnPrivateRoomsWithJoined) {
  ChatWorld w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  const Room alice_public = w.room(alice, "alice public");
  const Room alice_private = w.room(alice, "alice private", true);
  const Room bob_public = w.room(bob, "bob public");
  const Room bob_private = w.room(bob, "bob private", true);
  const Room shared_private = w.room(bob, "shared", true);
  ASSERT_TRUE(w.chat().join_by_invite(alice, shared_private.invite_code).ok());

  const auto rooms = w.chat().list_rooms(alice);
  EXPECT_EQ(rooms.size(), 4u);
  const RoomView* v = nullptr;
  ASSERT_NE(v = find_view(rooms, alice_public.id), nullptr);
  EXPECT_TRUE(v->joined);
  ASSERT_NE(v = find_view(rooms, alice_private.id), nullptr);
  EXPECT_TRUE(v->joined);
  ASSERT_NE(v = find_view(rooms, bob_public.id), nullptr);
  EXPECT_FALSE(v->joined) << "a public room alice is not in is listed, not joined";
  ASSERT_NE(v = find_view(rooms, shared_private.id), nullptr);
  EXPECT_TRUE(v->joined);
  EXPECT_EQ(find_view(rooms, bob_private.id), nullptr) << "someone else's private room must not be listed";

  const auto bobs = w.chat().list_rooms(bob);
  EXPECT_EQ(bobs.size(), 4u);
  ASSERT_NE(v = find_view(bobs, alice_public.id), nullptr);
  EXPECT_FALSE(v->joined);
  EXPECT_EQ(find_view(bobs, alice_private.id), nullptr);
  ASSERT_NE(v = find_view(bobs, bob_private.id), nullptr);
  EXPECT_TRUE(v->joined);

  // A newcomer sees the public rooms only, none joined.
  const User carol = w.user("carol");
  const auto carols = w.chat().list_rooms(carol);
  ASSERT_EQ(carols.size(), 2u);
  for (const auto& view : carols) {
    EXPECT_FALSE(view.room.is_private);
    EXPECT_FALSE(view.joined);
  }
}

TEST(ChatRooms, ViewCarriesLastMessageAndOnlineCount) {
  ChatWorld w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  const Room room = w.room(alice, "lobby");
  ASSERT_TRUE(w.chat().join_room(bob, room.id).ok());

  auto empty = w.chat().view_room(alice, room.id);
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty.value().last_message);
  EXPECT_EQ(empty.value().online_count, 0);

  w.send_ok(alice, room.id, "first");
  const Message second = w.send_ok(bob, room.id, "second");
  w.presence().connected(bob);

  auto view = w.chat().view_room(alice, room.id);
  ASSERT_TRUE(view.ok());
  ASSERT_TRUE(view.value().last_message);
  EXPECT_EQ(view.value().last_message->id, second.id);
  EXPECT_EQ(view.value().last_message->content, "second");
  EXPECT_EQ(view.value().room.last_seq, 2);
  EXPECT_EQ(view.value().online_count, 1);
}

TEST(ChatRooms, MembersShowPresenceStatus) {
  ChatWorld w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  const Room room = w.room(alice, "lobby");
  ASSERT_TRUE(w.chat().join_room(bob, room.id).ok());
  w.presence().connected(alice);

  auto members = w.chat().members(bob, room.id);
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members.value().size(), 2u);
  for (const auto& m : members.value()) {
    if (m.user.id == alice.id) {
      EXPECT_EQ(m.status, PresenceStatus::online);
    } else {
      EXPECT_EQ(m.user.id, bob.id);
      EXPECT_EQ(m.status, PresenceStatus::offline);
    }
  }
}

}  // namespace
}  // namespace parley::chat_test
