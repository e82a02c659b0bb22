// Typing indicators through ChatService and Typing: relayed to the others (never echoed to the
// typist), coalesced within the relay interval, expiring by themselves after the TTL, cleared by
// stop, by sending a message and by leaving the room.
#include <gtest/gtest.h>

#include <thread>

#include "chat_fixture.hpp"

namespace parley::chat_test {
namespace {

struct TwoInARoom {
  explicit TwoInARoom(ChatWorld& w) : alice(w.user("alice")), bob(w.user("bob")), room(w.room(alice, "lobby")) {
    if (!w.chat().join_room(bob, room.id).ok()) throw std::runtime_error("join failed");
    w.events().clear();
  }
  User alice;
  User bob;
  Room room;
};

EventPredicate any_typing() {
  return [](const BusEvent& e) {
    const auto type = type_of(e);
    return type == "typing_start" || type == "typing_stop";
  };
}

TEST(ChatTyping, StartIsRelayedToOthersButNotTheTypist) {
  ChatWorld w;
  TwoInARoom t(w);
  ASSERT_TRUE(w.chat().typing(t.bob, t.room.id, true).ok());
  EXPECT_TRUE(w.typing().is_typing(t.room.id, t.bob.id));

  const auto starts = w.events().matching(typing_event(true, t.room.id, t.bob.id));
  ASSERT_EQ(starts.size(), 1u);
  const BusEvent& e = starts[0];
  EXPECT_EQ(e.kind, BusEvent::Kind::room_frame);
  EXPECT_EQ(e.room, t.room.id);
  EXPECT_EQ(e.exclude_user, t.bob.id) << "the typist must not hear their own typing";
  EXPECT_EQ(e.seq, 0);
  EXPECT_EQ(jint(e, "/room_id"), t.room.id);
  EXPECT_EQ(jstr(e, "/sender"), "bob");
  EXPECT_EQ(jint(e, "/sender_id"), t.bob.id);
  EXPECT_EQ(w.events().count(any_typing()), 1u);
}

TEST(ChatTyping, NonMembersCannotType) {
  ChatWorld w;
  TwoInARoom t(w);
  const User carol = w.user("carol");
  auto r = w.chat().typing(carol, t.room.id, true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status, 403);
  auto missing = w.chat().typing(t.bob, t.room.id + 1000, true);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().status, 404);
  EXPECT_FALSE(w.typing().is_typing(t.room.id, carol.id));
  EXPECT_EQ(w.events().size(), 0u);
}

TEST(ChatTyping, RepeatedStartsWithinTheRelayIntervalPublishOnce) {
  ChatWorld w;  // relay interval 10 s
  TwoInARoom t(w);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(w.chat().typing(t.bob, t.room.id, true).ok());
  EXPECT_EQ(w.events().count(typing_event(true, t.room.id, t.bob.id)), 1u) << "keystrokes are coalesced";

  // Coalescing is per (room, typist): alice typing, or bob in another room, is relayed.
  ASSERT_TRUE(w.chat().typing(t.alice, t.room.id, true).ok());
  const Room other = w.room(t.bob, "other");
  ASSERT_TRUE(w.chat().typing(t.bob, other.id, true).ok());
  EXPECT_EQ(w.events().count(typing_event(true, t.room.id, t.alice.id)), 1u);
  EXPECT_EQ(w.events().count(typing_event(true, other.id, t.bob.id)), 1u);
  EXPECT_EQ(w.events().count(frame_type("typing_start")), 3u);
}

TEST(ChatTyping, StartIsRelayedAgainOnceTheRelayIntervalHasPassed) {
  ChatOptions options;
  options.typing_relay = 50ms;  // TTL stays 10 s: the indicator is still on the whole time
  ChatWorld w(options);
  TwoInARoom t(w);
  const auto first = Clock::now();
  ASSERT_TRUE(w.chat().typing(t.bob, t.room.id, true).ok());
  ASSERT_EQ(w.events().count(frame_type("typing_start")), 1u);
  // Time has to pass for this rule (the relay interval is measured on the steady clock); this
  // sleep lets it pass, it does not wait for any other thread.
  std::this_thread::sleep_until(first + options.typing_relay + 20ms);
  ASSERT_TRUE(w.chat().typing(t.bob, t.room.id, true).ok());
  EXPECT_EQ(w.events().count(typing_event(true, t.room.id, t.bob.id)), 2u);
  EXPECT_EQ(w.events().count(frame_type("typing_stop")), 0u);
}

TEST(ChatTyping, StartExpiresByItselfAfterTheTtl) {
  ChatOptions options;
  options.typing_ttl = 50ms;
  ChatWorld w(options);
  TwoInARoom t(w);

  const auto started = Clock::now();
  ASSERT_TRUE(w.chat().typing(t.bob, t.room.id, true).ok());
  const auto stop = w.events().wait_for_event(typing_event(false, t.room.id, t.bob.id));
  ASSERT_TRUE(stop) << "typing_stop never published after the TTL";
  EXPECT_GE(stop->at - started, options.typing_ttl) << "stopped before the TTL";
  EXPECT_EQ(stop->event.exclude_user, t.bob.id);
  EXPECT_EQ(jstr(stop->event, "/sender"), "bob");
  EXPECT_FALSE(w.typing().is_typing(t.room.id, t.bob.id));
  EXPECT_EQ(w.events().count(frame_type("typing_stop")), 1u);

  // Expired means gone: an explicit stop now publishes nothing, a new start is relayed at once.
  ASSERT_TRUE(w.chat().typing(t.bob, t.room.id, false).ok());
  EXPECT_EQ(w.events().count(frame_type("typing_stop")), 1u);
  ASSERT_TRUE(w.chat().typing(t.bob, t.room.id, true).ok());
  EXPECT_EQ(w.events().count(typing_event(true, t.room.id, t.bob.id)), 2u);
  // ...and expires again on its own.
  EXPECT_TRUE(w.events().wait_for_count(typing_event(false, t.room.id, t.bob.id), 2));
}

TEST(ChatTyping, EachStartPushesTheExpiryOut) {
  ChatOptions options;
  options.typing_ttl = 300ms;
  ChatWorld w(options);
  TwoInARoom t(w);

  ASSERT_TRUE(w.chat().typing(t.bob, t.room.id, true).ok());
  // Let part of the TTL pass (time passing, not synchronisation), then type again.
  std::this_thread::sleep_for(150ms);
  const auto again = Clock::now();
  ASSERT_TRUE(w.chat().typing(t.bob, t.room.id, true).ok());
  // Had the first start already expired, the second would have been relayed as a fresh one.
  if (w.events().count(frame_type("typing_start")) > 1) {
    GTEST_SKIP() << "the machine stalled past the whole TTL before the second start";
  }
  const auto stop = w.events().wait_for_event(typing_event(false, t.room.id, t.bob.id));
  ASSERT_TRUE(stop);
  EXPECT_GE(stop->at - again, options.typing_ttl) << "the second start must restart the TTL";
  EXPECT_EQ(w.events().count(frame_type("typing_stop")), 1u);
}

TEST(ChatTyping, StopPublishesOnlyWhenTyping) {
  ChatWorld w;
  TwoInARoom t(w);
  ASSERT_TRUE(w.chat().typing(t.bob, t.room.id, false).ok());
  EXPECT_EQ(w.events().size(), 0u) << "stop without start is a no-op";

  ASSERT_TRUE(w.chat().typing(t.bob, t.room.id, true).ok());
  ASSERT_TRUE(w.chat().typing(t.bob, t.room.id, false).ok());
  const auto stops = w.events().matching(typing_event(false, t.room.id, t.bob.id));
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_EQ(stops[0].exclude_user, t.bob.id);
  EXPECT_FALSE(w.typing().is_typing(t.room.id, t.bob.id));

  ASSERT_TRUE(w.chat().typing(t.bob, t.room.id, false).ok());
  EXPECT_EQ(w.events().count(frame_type("typing_stop")), 1u) << "a second stop publishes nothing";

  // Stopping one typist leaves another alone.
  ASSERT_TRUE(w.chat().typing(t.alice, t.room.id, true).ok());
  ASSERT_TRUE(w.chat().typing(t.bob, t.room.id, false).ok());
  EXPECT_TRUE(w.typing().is_typing(t.room.id, t.alice.id));
  EXPECT_EQ(w.events().count(frame_type("typing_stop")), 1u);
}

TEST(ChatTyping, SendingAMessageClearsTyping) {
  ChatWorld w;
  TwoInARoom t(w);
  ASSERT_TRUE(w.chat().typing(t.bob, t.room.id, true).ok());
  ASSERT_TRUE(w.chat().typing(t.alice, t.room.id, true).ok());

  const Message m = w.send_ok(t.bob, t.room.id, "done typing");
  const auto stop = w.events().wait_for_event(typing_event(false, t.room.id, t.bob.id));
  ASSERT_TRUE(stop) << "sending must clear the sender's typing indicator";
  EXPECT_EQ(stop->event.exclude_user, t.bob.id);
  EXPECT_FALSE(w.typing().is_typing(t.room.id, t.bob.id));
  EXPECT_TRUE(w.typing().is_typing(t.room.id, t.alice.id)) << "only the sender's indicator is cleared";

  // The message is delivered before the typing_stop.
  const auto message = w.events().wait_for_event(frame_in_room("message", t.room.id));
  ASSERT_TRUE(message);
  EXPECT_EQ(message->event.seq, m.seq);
  EXPECT_LE(message->at, stop->at);
}

TEST(ChatTyping, LeavingTheRoomClearsTyping) {
  ChatWorld w;
  TwoInARoom t(w);
  ASSERT_TRUE(w.chat().typing(t.bob, t.room.id, true).ok());
  ASSERT_TRUE(w.chat().leave_room(t.bob, t.room.id).ok());
  EXPECT_EQ(w.events().count(typing_event(false, t.room.id, t.bob.id)), 1u);
  EXPECT_FALSE(w.typing().is_typing(t.room.id, t.bob.id));
}

TEST(ChatTyping, RelayedStartsAreCappedPerUser) {
  ChatOptions options;
  options.typing_relays_per_user = RateLimit{2, 0.001};
  ChatWorld w(options);
  TwoInARoom t(w);
  const Room second = w.room(t.alice, "second");
  const Room third = w.room(t.alice, "third");
  ASSERT_TRUE(w.chat().join_room(t.bob, second.id).ok());
  ASSERT_TRUE(w.chat().join_room(t.bob, third.id).ok());
  w.events().clear();

  ASSERT_TRUE(w.chat().typing(t.bob, t.room.id, true).ok());
  ASSERT_TRUE(w.chat().typing(t.bob, second.id, true).ok());
  ASSERT_TRUE(w.chat().typing(t.bob, third.id, true).ok());  // over bob's cap
  EXPECT_EQ(w.events().count(frame_type("typing_start")), 2u);
  EXPECT_EQ(w.events().count(typing_event(true, t.room.id, t.bob.id)), 1u);
  EXPECT_EQ(w.events().count(typing_event(true, second.id, t.bob.id)), 1u);
  EXPECT_EQ(w.events().count(typing_event(true, third.id, t.bob.id)), 0u) << "over the cap: not relayed";
  EXPECT_TRUE(w.typing().is_typing(third.id, t.bob.id)) << "...but still tracked";

  // The cap is per user: alice is relayed.
  ASSERT_TRUE(w.chat().typing(t.alice, third.id, true).ok());
  EXPECT_EQ(w.events().count(typing_event(true, third.id, t.alice.id)), 1u);
}

TEST(ChatTyping, ExpiryOfAnUnrelayedStartPublishesNothing) {
  ChatOptions options;
  options.typing_ttl = 100ms;
  options.typing_relays_per_user = RateLimit{1, 0.001};
  ChatWorld w(options);
  TwoInARoom t(w);
  const Room second = w.room(t.alice, "second");
  ASSERT_TRUE(w.chat().join_room(t.bob, second.id).ok());
  w.events().clear();

  ASSERT_TRUE(w.chat().typing(t.bob, t.room.id, true).ok());
  ASSERT_TRUE(w.chat().typing(t.bob, second.id, true).ok());  // over bob's cap: not relayed
  ASSERT_EQ(w.events().count(typing_event(true, second.id, t.bob.id)), 0u);
  // alice starts after bob, so her indicator expires after his: the single timer thread runs
  // expiries in deadline order, which makes her typing_stop a barrier for his.
  ASSERT_TRUE(w.chat().typing(t.alice, second.id, true).ok());

  ASSERT_TRUE(w.events().wait_for_event(typing_event(false, second.id, t.alice.id)));
  ASSERT_TRUE(w.events().wait_for_event(typing_event(false, t.room.id, t.bob.id)))
      << "the relayed start expires with a typing_stop";
  EXPECT_FALSE(w.typing().is_typing(second.id, t.bob.id)) << "the unrelayed start expired too";
  EXPECT_EQ(w.events().count(typing_event(false, second.id, t.bob.id)), 0u)
      << "no typing_stop for a start nobody was shown";
}

TEST(ChatTyping, StopOfAnUnrelayedStartPublishesNothing) {
  ChatOptions options;
  options.typing_relays_per_user = RateLimit{1, 0.001};
  ChatWorld w(options);
  TwoInARoom t(w);
  const Room second = w.room(t.alice, "second");
  ASSERT_TRUE(w.chat().join_room(t.bob, second.id).ok());
  w.events().clear();

  ASSERT_TRUE(w.chat().typing(t.bob, t.room.id, true).ok());
  ASSERT_TRUE(w.chat().typing(t.bob, second.id, true).ok());  // capped
  ASSERT_TRUE(w.chat().typing(t.bob, second.id, false).ok());
  EXPECT_EQ(w.events().count(frame_type("typing_stop")), 0u);
  EXPECT_FALSE(w.typing().is_typing(second.id, t.bob.id));
  ASSERT_TRUE(w.chat().typing(t.bob, t.room.id, false).ok());
  EXPECT_EQ(w.events().count(typing_event(false, t.room.id, t.bob.id)), 1u);
}

TEST(ChatTyping, TypingEverywhereStartsInEveryRoomOfTheUser) {
  ChatWorld w;
  TwoInARoom t(w);
  const Room second = w.room(t.bob, "second", true);
  const Room not_bobs = w.room(t.alice, "alice only");
  w.events().clear();

  w.chat().typing_everywhere(t.bob);
  EXPECT_EQ(w.events().count(typing_event(true, t.room.id, t.bob.id)), 1u);
  EXPECT_EQ(w.events().count(typing_event(true, second.id, t.bob.id)), 1u);
  EXPECT_EQ(w.events().count(frame_in_room("typing_start", not_bobs.id)), 0u);
  EXPECT_TRUE(w.presence().is_typing(t.bob.id)) << "the compatibility status shows typing";
  EXPECT_FALSE(w.presence().is_typing(t.alice.id));
}

}  // namespace
}  // namespace parley::chat_test
