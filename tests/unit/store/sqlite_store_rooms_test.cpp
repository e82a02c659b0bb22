// SqliteStore: rooms, membership, visibility, invites, read receipts.
#include "store/sqlite/sqlite_store.hpp"
#include "store_test_support.hpp"

namespace parley {
namespace {

using test::RawDb;
using test::TempDir;

class SqliteRoomsTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::string path = dir.file("parley.db");
  SqliteStore store{path, SqliteSync::normal};
  UserId alice = store.create_user("alice", "h", 1)->id;
  UserId bob = store.create_user("bob", "h", 1)->id;
  UserId carol = store.create_user("carol", "h", 1)->id;

  std::vector<RoomId> ids(const std::vector<Room>& rooms) {
    std::vector<RoomId> out;
    for (const auto& r : rooms) out.push_back(r.id);
    return out;
  }
};

TEST_F(SqliteRoomsTest, CreateRoomMakesCreatorAMember) {
  const Room room = store.create_room("general", false, alice, "", 100);
  EXPECT_GT(room.id, 0);
  EXPECT_EQ(room.name, "general");
  EXPECT_FALSE(room.is_private);
  EXPECT_EQ(room.created_by, alice);
  EXPECT_EQ(room.created_at, 100);
  EXPECT_EQ(room.invite_code, "");
  EXPECT_EQ(room.last_seq, 0);
  EXPECT_EQ(room.member_count, 1);
  EXPECT_TRUE(store.is_member(room.id, alice));
  EXPECT_FALSE(store.is_member(room.id, bob));

  const auto found = store.find_room(room.id);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, "general");
  EXPECT_EQ(found->created_by, alice);
  EXPECT_EQ(found->created_at, 100);
  EXPECT_EQ(found->member_count, 1);
  EXPECT_FALSE(store.find_room(room.id + 1000).has_value());
}

TEST_F(SqliteRoomsTest, CreateRoomIsAtomic) {
  // The creator does not exist: the membership insert fails, and the room must not remain.
  EXPECT_THROW(store.create_room("ghost", false, 9999, "", 1), StoreError);
  RawDb raw(path);
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM rooms"), "0");
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM memberships"), "0");
}

TEST_F(SqliteRoomsTest, PrivateRoomsHaveInvites) {
  const Room secret = store.create_room("secret", true, alice, "invite-abc", 1);
  EXPECT_TRUE(secret.is_private);
  EXPECT_EQ(secret.invite_code, "invite-abc");
  const auto by_invite = store.find_room_by_invite("invite-abc");
  ASSERT_TRUE(by_invite.has_value());
  EXPECT_EQ(by_invite->id, secret.id);
  EXPECT_EQ(by_invite->invite_code, "invite-abc");
  EXPECT_EQ(by_invite->member_count, 1);
  EXPECT_FALSE(store.find_room_by_invite("invite-xyz").has_value());
  EXPECT_FALSE(store.find_room_by_invite("").has_value());
  // Invite codes are unique.
  EXPECT_THROW(store.create_room("secret2", true, bob, "invite-abc", 1), StoreError);
}

TEST_F(SqliteRoomsTest, PublicRoomsIgnoreInviteCodes) {
  const Room open = store.create_room("open", false, alice, "would-be-invite", 1);
  EXPECT_EQ(open.invite_code, "");
  EXPECT_EQ(store.find_room(open.id)->invite_code, "");
  EXPECT_FALSE(store.find_room_by_invite("would-be-invite").has_value());
  // NULL invites do not collide with each other.
  EXPECT_NO_THROW(store.create_room("open2", false, alice, "", 1));
  EXPECT_NO_THROW(store.create_room("open3", false, alice, "would-be-invite", 1));
  RawDb raw(path);
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM rooms WHERE invite_code IS NULL"), "3");
}

TEST_F(SqliteRoomsTest, MembershipAndMemberCount) {
  const Room room = store.create_room("general", false, alice, "", 1);
  EXPECT_TRUE(store.add_member(room.id, bob, 2));
  EXPECT_FALSE(store.add_member(room.id, bob, 3));  // joining twice is fine, and not "new"
  EXPECT_TRUE(store.add_member(room.id, carol, 4));
  EXPECT_EQ(store.find_room(room.id)->member_count, 3);

  const auto members = store.list_members(room.id);
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0].id, alice);
  EXPECT_EQ(members[0].username, "alice");
  EXPECT_EQ(members[1].id, bob);
  EXPECT_EQ(members[2].id, carol);

  EXPECT_TRUE(store.remove_member(room.id, bob));
  EXPECT_FALSE(store.remove_member(room.id, bob));
  EXPECT_FALSE(store.is_member(room.id, bob));
  EXPECT_EQ(store.find_room(room.id)->member_count, 2);
  EXPECT_EQ(store.list_members(room.id).size(), 2u);
}

TEST_F(SqliteRoomsTest, AddMemberToUnknownRoomThrows) {
  EXPECT_THROW(store.add_member(12345, bob, 1), StoreError);
}

TEST_F(SqliteRoomsTest, RoomsOfUser) {
  const Room a = store.create_room("a", false, alice, "", 1);
  const Room b = store.create_room("b", true, bob, "inv-b", 1);
  const Room c = store.create_room("c", false, carol, "", 1);
  store.add_member(c.id, alice, 2);
  store.add_member(b.id, alice, 2);
  EXPECT_EQ(store.rooms_of(alice), (std::vector<RoomId>{a.id, b.id, c.id}));
  EXPECT_EQ(store.rooms_of(bob), (std::vector<RoomId>{b.id}));
  EXPECT_TRUE(store.rooms_of(9999).empty());
}

TEST_F(SqliteRoomsTest, VisibleRoomsArePublicPlusOwnPrivateById) {
  const Room pub1 = store.create_room("pub1", false, alice, "", 1);
  const Room alices = store.create_room("alice-private", true, alice, "inv-a", 1);
  const Room bobs = store.create_room("bob-private", true, bob, "inv-b", 1);
  const Room pub2 = store.create_room("pub2", false, bob, "", 1);

  EXPECT_EQ(ids(store.list_visible_rooms(alice)), (std::vector<RoomId>{pub1.id, alices.id, pub2.id}));
  EXPECT_EQ(ids(store.list_visible_rooms(bob)), (std::vector<RoomId>{pub1.id, bobs.id, pub2.id}));
  EXPECT_EQ(ids(store.list_visible_rooms(carol)), (std::vector<RoomId>{pub1.id, pub2.id}));

  store.add_member(bobs.id, carol, 5);
  const auto carols = store.list_visible_rooms(carol);
  EXPECT_EQ(ids(carols), (std::vector<RoomId>{pub1.id, bobs.id, pub2.id}));
  EXPECT_EQ(carols[1].member_count, 2);
  EXPECT_EQ(carols[1].invite_code, "inv-b");
  EXPECT_EQ(carols[0].member_count, 1);
}

TEST_F(SqliteRoomsTest, EveryReturnedRoomCarriesLastSeq) {
  const Room room = store.create_room("secret", true, alice, "inv", 1);
  std::vector<MessageDraft> drafts;
  for (int i = 0; i < 3; ++i) drafts.push_back(test::draft(room.id, alice, test::numbered("m", i)));
  store.append_messages(drafts);
  EXPECT_EQ(store.find_room(room.id)->last_seq, 3);
  EXPECT_EQ(store.find_room_by_invite("inv")->last_seq, 3);
  EXPECT_EQ(store.list_visible_rooms(alice).at(0).last_seq, 3);
}

TEST_F(SqliteRoomsTest, ReadReceiptsOnlyMoveForward) {
  const Room room = store.create_room("general", false, alice, "", 1);
  EXPECT_EQ(store.read_seq(room.id, alice), 0);
  store.set_read({.room_id = room.id, .user_id = alice, .seq = 5});
  EXPECT_EQ(store.read_seq(room.id, alice), 5);
  store.set_read({.room_id = room.id, .user_id = alice, .seq = 3});
  EXPECT_EQ(store.read_seq(room.id, alice), 5);
  store.set_read({.room_id = room.id, .user_id = alice, .seq = 9});
  EXPECT_EQ(store.read_seq(room.id, alice), 9);
  EXPECT_EQ(store.read_seq(room.id, bob), 0);  // per user
}

TEST_F(SqliteRoomsTest, ReadReceiptsOfARoomByUserId) {
  const Room room = store.create_room("general", false, alice, "", 1);
  const Room other = store.create_room("other", false, alice, "", 1);
  EXPECT_TRUE(store.read_receipts(room.id).empty());
  store.set_read({.room_id = room.id, .user_id = bob, .seq = 4});
  store.set_read({.room_id = room.id, .user_id = alice, .seq = 7});
  store.set_read({.room_id = other.id, .user_id = alice, .seq = 1});
  const auto receipts = store.read_receipts(room.id);
  ASSERT_EQ(receipts.size(), 2u);
  EXPECT_EQ(receipts[0].user_id, std::min(alice, bob));
  EXPECT_EQ(receipts[1].user_id, std::max(alice, bob));
  for (const auto& r : receipts) {
    EXPECT_EQ(r.room_id, room.id);
    EXPECT_EQ(r.seq, r.user_id == alice ? 7 : 4);
  }
}

}  // namespace
}  // namespace parley
