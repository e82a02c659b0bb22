// Who is online. A user is shown online (or away, if they chose so) while any connection of
// theirs is open; after the last one closes they stay shown for a grace period, so a reconnect
// does not flap to offline and back. Clients without a WebSocket (the compatibility API's
// /updateStatus) hold their chosen status for a lease instead. Changes are announced with a
// `presence` frame to each of the user's rooms.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "bus/bus.hpp"
#include "protocol/wire.hpp"
#include "store/store.hpp"

namespace parley {

class Presence {
 public:
  using Clock = std::chrono::steady_clock;

  Presence(Store& store, Bus& bus, boost::asio::io_context& timers, std::chrono::milliseconds grace,
           std::chrono::milliseconds status_lease);

  void connected(const User& user);
  void disconnected(const User& user);
  // The status a user chose. Shown while they are connected, or for the status lease after a
  // REST update; `offline` hides them even while connected (their own choice).
  void set_status(const User& user, PresenceStatus status, bool from_rest);
  // The compatibility API's `typing` status: shown by /getStatus until `until`.
  void mark_typing(const User& user, Clock::time_point until);

  PresenceStatus status_of(UserId user) const;
  bool is_typing(UserId user) const;
  int connections_of(UserId user) const;
  // When the user was last seen online: now for users shown online/away, else the stored time.
  TimeMs last_seen(const User& user) const;

 private:
  struct State {
    User user;
    int connections = 0;
    PresenceStatus chosen = PresenceStatus::online;
    PresenceStatus shown = PresenceStatus::offline;
    Clock::time_point lease_until{};   // REST-held status
    Clock::time_point grace_until{};   // after the last connection closed
    Clock::time_point typing_until{};  // compatibility `typing`
    std::unique_ptr<boost::asio::steady_timer> offline_timer;
    std::uint64_t offline_generation = 0;  // tells a stale timer that already fired from the current one
  };

  // Recomputes what is shown; a change is announced (asynchronously, see announce_current).
  void update(State& s);
  // Schedules the check that turns a user offline once no connection and no lease holds them.
  void schedule_offline_check(State& s, Clock::time_point when);
  void offline_check(UserId id, std::uint64_t generation);
  // Announcements run one at a time on the timer thread and each announces the user's state as
  // it is then, so whatever the interleaving of changes, the last announcement is the truth.
  void request_announce(UserId id);
  void announce_current(UserId id);
  void announce(const User& user, PresenceStatus status, TimeMs last_seen);

  Store& store_;
  Bus& bus_;
  boost::asio::io_context& timers_;
  const std::chrono::milliseconds grace_;
  const std::chrono::milliseconds status_lease_;
  mutable std::mutex mutex_;
  std::unordered_map<UserId, State> users_;  // users connected now, leased, or within the grace
  struct Announced {
    User user;
    PresenceStatus status = PresenceStatus::offline;
  };
  std::unordered_map<UserId, Announced> announced_;  // last announcement of users not shown offline
};

}  // namespace parley
