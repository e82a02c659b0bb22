// Who is online. A user is online while any connection of theirs is open; after the last one
// closes they stay online for a grace period, so a reconnect does not flap to offline and
// back. Changes are announced with a `presence` frame to each of the user's rooms.
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
  Presence(Store& store, Bus& bus, boost::asio::io_context& timers, std::chrono::milliseconds grace);

  void connected(const User& user);
  void disconnected(const User& user);
  // The status a user chose (online or away); shown while they are connected.
  void set_status(const User& user, PresenceStatus status);

  PresenceStatus status_of(UserId user) const;
  int connections_of(UserId user) const;
  // When the user was last seen online: now for online users, else the stored time.
  TimeMs last_seen(const User& user) const;

 private:
  struct State {
    int connections = 0;
    PresenceStatus chosen = PresenceStatus::online;
    PresenceStatus shown = PresenceStatus::offline;
    std::unique_ptr<boost::asio::steady_timer> offline_timer;
  };

  void go_offline(UserId id);
  void announce(const User& user, PresenceStatus status, TimeMs last_seen);

  Store& store_;
  Bus& bus_;
  boost::asio::io_context& timers_;
  const std::chrono::milliseconds grace_;
  mutable std::mutex mutex_;
  std::unordered_map<UserId, State> users_;  // only users connected now or within the grace
  std::unordered_map<UserId, User> names_;
};

}  // namespace parley
