// Presence: online while any connection is open, offline only after the grace period (so a
// reconnect does not flap), chosen statuses (away), REST-held statuses with a lease, and
// last_seen stored when a user goes offline.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <set>
#include <thread>

#include "chat_fixture.hpp"

namespace parley::chat_test {
namespace {

// bob is in two rooms (a public one of alice's and a private one of his own); carol is in neither.
struct People {
  explicit People(ChatWorld& w)
      : alice(w.user("alice")),
        bob(w.user("bob")),
        carol(w.user("carol")),
        lobby(w.room(alice, "lobby")),
        den(w.room(bob, "den", true)) {
    if (!w.chat().join_room(bob, lobby.id).ok()) throw std::runtime_error("join failed");
    w.events().clear();
  }
  User alice;
  User bob;
  User carol;
  Room lobby;
  Room den;
};

std::set<RoomId> rooms_of(const std::vector<BusEvent>& events) {
  std::set<RoomId> rooms;
  for (const auto& e : events) rooms.insert(e.room);
  return rooms;
}

TEST(ChatPresence, ConnectingAnnouncesOnlineToEachRoomOfTheUser) {
  ChatWorld w;
  People p(w);
  EXPECT_EQ(w.presence().status_of(p.bob.id), PresenceStatus::offline);

  w.presence().connected(p.bob);
  EXPECT_EQ(w.presence().status_of(p.bob.id), PresenceStatus::online);
  EXPECT_EQ(w.presence().connections_of(p.bob.id), 1);

  ASSERT_TRUE(w.events().wait_for_count(presence_of(p.bob.id, "online"), 2u));  // announced on the timer thread
  const auto online = w.events().matching(presence_of(p.bob.id, "online"));
  ASSERT_EQ(online.size(), 2u) << "one presence frame per room of bob";
  EXPECT_EQ(rooms_of(online), (std::set<RoomId>{p.lobby.id, p.den.id}));
  for (const auto& e : online) {
    EXPECT_EQ(e.kind, BusEvent::Kind::room_frame);
    EXPECT_EQ(jint(e, "/room_id"), e.room);
    EXPECT_EQ(jstr(e, "/username"), "bob");
    EXPECT_EQ(e.exclude_user, 0);
  }

  // A second connection changes nothing anyone can see.
  w.presence().connected(p.bob);
  EXPECT_EQ(w.presence().connections_of(p.bob.id), 2);
  ASSERT_TRUE(w.events().wait_for_count(frame_type("presence"), 2u));
  EXPECT_EQ(w.events().count(frame_type("presence")), 2u);

  // A user without rooms is online too, announced nowhere.
  w.presence().connected(p.carol);
  EXPECT_EQ(w.presence().status_of(p.carol.id), PresenceStatus::online);
  ASSERT_TRUE(w.events().wait_for_count(frame_type("presence"), 2u));
  EXPECT_EQ(w.events().count(frame_type("presence")), 2u);
}

TEST(ChatPresence, OneOfTwoConnectionsClosingKeepsTheUserOnline) {
  ChatOptions options;
  options.presence_grace = 100ms;
  ChatWorld w(options);
  People p(w);
  w.presence().connected(p.bob);
  w.presence().connected(p.bob);
  w.presence().disconnected(p.bob);

  EXPECT_EQ(w.presence().connections_of(p.bob.id), 1);
  EXPECT_EQ(w.presence().status_of(p.bob.id), PresenceStatus::online);
  // Well past the grace: still no offline.
  EXPECT_FALSE(w.events().wait_for_event(presence_of(p.bob.id, "offline"), options.presence_grace + 400ms));
  EXPECT_EQ(w.presence().status_of(p.bob.id), PresenceStatus::online);
  EXPECT_EQ(w.store().find_user(p.bob.id)->last_seen, 0);
}

TEST(ChatPresence, LastDisconnectGoesOfflineOnlyAfterTheGrace) {
  ChatOptions options;
  options.presence_grace = 100ms;
  ChatWorld w(options);
  People p(w);
  w.presence().connected(p.bob);
  ASSERT_EQ(w.store().find_user(p.bob.id)->last_seen, 0);

  const auto before = Clock::now();
  w.presence().disconnected(p.bob);
  const auto status_right_after = w.presence().status_of(p.bob.id);
  const auto offline_right_after = w.events().count(presence_of(p.bob.id, "offline"));
  const auto checked = Clock::now();
  EXPECT_EQ(w.presence().connections_of(p.bob.id), 0);
  // Nothing can turn bob offline before the grace has passed, so this holds whenever the two
  // reads above were done within it (always, unless the machine stalled for 100 ms).
  if (checked - before < options.presence_grace) {
    EXPECT_EQ(status_right_after, PresenceStatus::online) << "offline before the grace";
    EXPECT_EQ(offline_right_after, 0u) << "offline announced before the grace";
  }

  const auto offline = w.events().wait_for_event(presence_of(p.bob.id, "offline"));
  ASSERT_TRUE(offline) << "never went offline after the grace";
  EXPECT_GE(offline->at - before, options.presence_grace);
  EXPECT_FALSE(jnull(offline->event, "/last_seen")) << "offline carries last_seen";
  // Announced to each of bob's rooms.
  ASSERT_TRUE(w.events().wait_for_count(presence_of(p.bob.id, "offline"), 2));
  EXPECT_EQ(rooms_of(w.events().matching(presence_of(p.bob.id, "offline"))), (std::set<RoomId>{p.lobby.id, p.den.id}));

  EXPECT_EQ(w.presence().status_of(p.bob.id), PresenceStatus::offline);
  // last_seen is stored before the announcement.
  const auto stored = w.store().find_user(p.bob.id);
  ASSERT_TRUE(stored);
  EXPECT_GT(stored->last_seen, 0);
  EXPECT_EQ(w.presence().last_seen(p.bob), stored->last_seen);
}

TEST(ChatPresence, ReconnectWithinTheGraceDoesNotFlap) {
  ChatOptions options;
  options.presence_grace = 200ms;
  ChatWorld w(options);
  People p(w);
  w.presence().connected(p.bob);
  ASSERT_TRUE(w.events().wait_for_count(presence_of(p.bob.id, "online"), 2u));
  ASSERT_EQ(w.events().count(presence_of(p.bob.id, "online")), 2u);

  const auto before = Clock::now();
  w.presence().disconnected(p.bob);
  w.presence().connected(p.bob);
  if (Clock::now() - before >= options.presence_grace) {
    GTEST_SKIP() << "the machine stalled for the whole grace between disconnect and reconnect";
  }
  EXPECT_EQ(w.presence().connections_of(p.bob.id), 1);
  // Wait until well after the grace would have ended: no offline, and no second online either.
  EXPECT_FALSE(w.events().wait_for_event(presence_of(p.bob.id, "offline"), options.presence_grace + 300ms));
  EXPECT_EQ(w.presence().status_of(p.bob.id), PresenceStatus::online);
  EXPECT_EQ(w.events().count(frame_type("presence")), 2u) << "a reconnect must be invisible";
  EXPECT_EQ(w.store().find_user(p.bob.id)->last_seen, 0);

  // The replaced grace timer is gone for good: the final disconnect still goes offline once.
  w.presence().disconnected(p.bob);
  ASSERT_TRUE(w.events().wait_for_count(presence_of(p.bob.id, "offline"), 2));
  EXPECT_EQ(w.presence().status_of(p.bob.id), PresenceStatus::offline);
}

TEST(ChatPresence, AwayWhileConnectedIsAnnounced) {
  ChatWorld w;
  People p(w);
  w.presence().connected(p.bob);
  ASSERT_TRUE(w.events().wait_for_count(presence_of(p.bob.id, "online"), 2u));

  ASSERT_TRUE(w.chat().set_status(p.bob, PresenceStatus::away, false).ok());
  EXPECT_EQ(w.presence().status_of(p.bob.id), PresenceStatus::away);
  ASSERT_TRUE(w.events().wait_for_count(presence_of(p.bob.id, "away"), 2u));
  const auto away = w.events().matching(presence_of(p.bob.id, "away"));
  ASSERT_EQ(away.size(), 2u);
  EXPECT_EQ(rooms_of(away), (std::set<RoomId>{p.lobby.id, p.den.id}));

  // Same status again: nothing new.
  ASSERT_TRUE(w.chat().set_status(p.bob, PresenceStatus::away, false).ok());
  ASSERT_TRUE(w.events().wait_for_count(presence_of(p.bob.id, "away"), 2u));
  EXPECT_EQ(w.events().count(presence_of(p.bob.id, "away")), 2u);

  // A chosen status survives a second connection and shows in member lists.
  w.presence().connected(p.bob);
  EXPECT_EQ(w.presence().status_of(p.bob.id), PresenceStatus::away);
  auto members = w.chat().members(p.alice, p.lobby.id);
  ASSERT_TRUE(members.ok());
  for (const auto& m : members.value()) {
    if (m.user.id == p.bob.id) {
      EXPECT_EQ(m.status, PresenceStatus::away);
    }
  }

  ASSERT_TRUE(w.chat().set_status(p.bob, PresenceStatus::online, false).ok());
  EXPECT_EQ(w.presence().status_of(p.bob.id), PresenceStatus::online);
  ASSERT_TRUE(w.events().wait_for_count(presence_of(p.bob.id, "online"), 4u));
  EXPECT_EQ(w.events().count(presence_of(p.bob.id, "online")), 4u);  // 2 on connect + 2 now
}

TEST(ChatPresence, StatusFrameFromAnUnconnectedUserIsIgnored) {
  ChatWorld w;
  People p(w);
  ASSERT_TRUE(w.chat().set_status(p.bob, PresenceStatus::away, false).ok());
  EXPECT_EQ(w.presence().status_of(p.bob.id), PresenceStatus::offline);
  EXPECT_EQ(w.events().count(frame_type("presence")), 0u);
}

TEST(ChatPresence, ChoosingOfflineHidesAConnectedUser) {
  ChatWorld w;
  People p(w);
  w.presence().connected(p.bob);
  // Announcements show the state when they run: had bob hidden before the rooms heard him
  // come online, they would rightly hear nothing at all.
  ASSERT_TRUE(w.events().wait_for_count(presence_of(p.bob.id, "online"), 2u));
  ASSERT_TRUE(w.chat().set_status(p.bob, PresenceStatus::offline, false).ok());
  EXPECT_EQ(w.presence().status_of(p.bob.id), PresenceStatus::offline);
  ASSERT_TRUE(w.events().wait_for_count(presence_of(p.bob.id, "offline"), 2u));
  EXPECT_EQ(w.events().count(presence_of(p.bob.id, "offline")), 2u);
  EXPECT_GT(w.store().find_user(p.bob.id)->last_seen, 0);
  EXPECT_EQ(w.presence().connections_of(p.bob.id), 1);
}

TEST(ChatPresence, RestStatusHoldsForTheLeaseThenGoesOffline) {
  ChatOptions options;
  options.status_lease = 100ms;
  options.presence_grace = 100ms;
  ChatWorld w(options);
  People p(w);

  const auto before = Clock::now();
  ASSERT_TRUE(w.chat().set_status(p.bob, PresenceStatus::away, true).ok());  // no WebSocket at all
  const auto status_right_after = w.presence().status_of(p.bob.id);
  const auto checked = Clock::now();
  EXPECT_EQ(w.presence().connections_of(p.bob.id), 0);
  ASSERT_TRUE(w.events().wait_for_count(presence_of(p.bob.id, "away"), 2u));
  EXPECT_EQ(w.events().count(presence_of(p.bob.id, "away")), 2u);
  if (checked - before < options.status_lease) {
    EXPECT_EQ(status_right_after, PresenceStatus::away) << "a REST status must hold for the lease";
  }

  const auto offline = w.events().wait_for_event(presence_of(p.bob.id, "offline"));
  ASSERT_TRUE(offline) << "the lease never ended";
  EXPECT_GE(offline->at - before, options.status_lease);
  EXPECT_EQ(w.presence().status_of(p.bob.id), PresenceStatus::offline);
  EXPECT_GT(w.store().find_user(p.bob.id)->last_seen, 0);
}

TEST(ChatPresence, LeaseOutlastsTheGraceWhenTheSocketCloses) {
  ChatOptions options;
  options.presence_grace = 50ms;
  options.status_lease = 400ms;
  ChatWorld w(options);
  People p(w);
  w.presence().connected(p.bob);
  const auto leased = Clock::now();
  ASSERT_TRUE(w.chat().set_status(p.bob, PresenceStatus::away, true).ok());
  w.presence().disconnected(p.bob);

  const auto offline = w.events().wait_for_event(presence_of(p.bob.id, "offline"));
  ASSERT_TRUE(offline);
  EXPECT_GE(offline->at - leased, options.status_lease) << "offline at the end of the grace, not of the lease";
}

// Regression: a REST status update for a user whose grace is running used to replace the grace
// timer with one at the end of the (shorter) lease, showing them offline before the grace ended.
TEST(ChatPresence, RestStatusDuringTheGraceDoesNotCutTheGraceShort) {
  ChatOptions options;
  options.presence_grace = 400ms;
  options.status_lease = 50ms;
  ChatWorld w(options);
  People p(w);
  w.presence().connected(p.bob);
  const auto closed = Clock::now();
  w.presence().disconnected(p.bob);
  ASSERT_TRUE(w.chat().set_status(p.bob, PresenceStatus::away, true).ok());  // e.g. /updateStatus while reconnecting

  const auto offline = w.events().wait_for_event(presence_of(p.bob.id, "offline"));
  ASSERT_TRUE(offline);
  EXPECT_GE(offline->at - closed, options.presence_grace)
      << "shown offline before the grace after the last connection closed ended";
}

TEST(ChatPresence, StatusChangesAreRateLimitedPerUser) {
  ChatOptions options;
  options.limits.status_changes = RateLimit{2, 0.001};
  ChatWorld w(options);
  People p(w);
  w.presence().connected(p.bob);
  w.presence().connected(p.alice);
  ASSERT_TRUE(w.chat().set_status(p.bob, PresenceStatus::away, false).ok());
  ASSERT_TRUE(w.chat().set_status(p.bob, PresenceStatus::online, false).ok());
  w.settle_timers();
  const auto announced = w.events().count(frame_type("presence"));

  auto refused = w.chat().set_status(p.bob, PresenceStatus::away, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().status, 429);
  EXPECT_EQ(refused.error().code, "rate_limited");
  EXPECT_GE(refused.error().retry_after_s, 1);
  EXPECT_EQ(w.presence().status_of(p.bob.id), PresenceStatus::online) << "a refused change changes nothing";
  w.settle_timers();
  EXPECT_EQ(w.events().count(frame_type("presence")), announced);

  ASSERT_TRUE(w.chat().set_status(p.alice, PresenceStatus::away, false).ok()) << "the cap is per user";
  EXPECT_EQ(w.presence().status_of(p.alice.id), PresenceStatus::away);
}

// Holds the database's write lock from a second connection (so the store's next write waits in
// its busy timeout) until release() or destruction.
class WriteLockHolder {
 public:
  explicit WriteLockHolder(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      throw std::runtime_error("raw open failed");
    }
    if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("BEGIN IMMEDIATE: ") + sqlite3_errmsg(db_));
    }
  }
  ~WriteLockHolder() {
    release();
    sqlite3_close(db_);
  }
  WriteLockHolder(const WriteLockHolder&) = delete;
  WriteLockHolder& operator=(const WriteLockHolder&) = delete;
  void release() {
    if (held_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    held_ = false;
  }

 private:
  sqlite3* db_ = nullptr;
  bool held_ = true;
};

// Regression: the grace-timer handler used to drop the user's state and then, outside the lock,
// write last_seen and announce `offline`; a reconnect in that window announced `online` first and
// the stale `offline` after it. Announcements now run in order on one thread and each announces
// the state current at that moment. The window is widened deterministically by holding the
// database's write lock, so the offline announcement's set_last_seen waits while bob reconnects.
TEST(ChatPresence, ReconnectWhileGoingOfflineEndsOnline) {
  ChatOptions options;
  options.presence_grace = 50ms;
  ChatWorld w(options);
  People p(w);
  w.presence().connected(p.bob);
  const auto lobby_presence = [&](const BusEvent& e) {
    return e.room == p.lobby.id && presence_of(p.bob.id, "online")(e);
  };
  ASSERT_TRUE(w.events().wait_for_count(lobby_presence, 1u));
  ASSERT_EQ(w.events().count(lobby_presence), 1u);

  auto lock = std::make_unique<WriteLockHolder>(w.store_path());
  w.presence().disconnected(p.bob);
  // The grace timer fires, drops bob's state and blocks in set_last_seen behind our lock.
  // (Polled with a deadline: nothing is published at that point to wait for.)
  const auto deadline = Clock::now() + 2s;
  while (w.presence().status_of(p.bob.id) != PresenceStatus::offline && Clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_EQ(w.presence().status_of(p.bob.id), PresenceStatus::offline);

  // Reconnect on another thread, so that a fixed Presence that holds its lock across the write
  // cannot deadlock the test; then let the write through.
  std::thread reconnect([&] { w.presence().connected(p.bob); });
  w.events().wait_for_count(lobby_presence, 2, 1s);
  lock->release();
  reconnect.join();
  // Let a pending offline announcement (if any) come out, and the online one that must follow it.
  w.events().wait_for_event(presence_of(p.bob.id, "offline"), 1s);
  w.events().wait_for_count(lobby_presence, 2, 2s);

  EXPECT_EQ(w.presence().status_of(p.bob.id), PresenceStatus::online);
  EXPECT_EQ(w.presence().connections_of(p.bob.id), 1);
  const auto heard = w.events().matching([&](const BusEvent& e) {
    return e.room == p.lobby.id && type_of(e) == "presence" && jint(e, "/user_id") == p.bob.id;
  });
  ASSERT_FALSE(heard.empty());
  EXPECT_EQ(jstr(heard.back(), "/status"), "online") << "the room was last told bob is offline while he is connected";
}

TEST(ChatPresence, LastSeenIsNowWhileOnline) {
  ChatWorld w;
  People p(w);
  w.presence().connected(p.bob);
  const auto stored_before = w.store().find_user(p.bob.id)->last_seen;
  EXPECT_EQ(stored_before, 0);
  EXPECT_GT(w.presence().last_seen(p.bob), 0) << "online users were seen just now";
  EXPECT_EQ(w.presence().last_seen(p.carol), 0) << "never seen";
}

}  // namespace
}  // namespace parley::chat_test
