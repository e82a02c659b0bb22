// Typing indicators. A typing_start is relayed to the room's other connections and expires by
// itself after the TTL (the server then sends typing_stop); it is cleared early when the typist
// sends a message, stops, or disconnects. Repeated starts within the relay interval are
// coalesced, so a fast typist costs one frame per interval, not one per keystroke, and relayed
// starts are capped per user (a client toggling start/stop cannot make a typing storm).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>

#include "bus/bus.hpp"
#include "core/rate_limiter.hpp"
#include "core/types.hpp"

namespace parley {

class Typing {
 public:
  Typing(Bus& bus, boost::asio::io_context& timers, std::chrono::milliseconds ttl,
         std::chrono::milliseconds relay_interval, RateLimit relayed_starts_per_user);

  void start(RoomId room, const User& typist);
  void stop(RoomId room, const User& typist);  // no-op unless typing
  bool is_typing(RoomId room, UserId typist) const;
  std::chrono::milliseconds ttl() const { return ttl_; }

 private:
  struct Entry {
    std::unique_ptr<boost::asio::steady_timer> expiry;
    std::chrono::steady_clock::time_point last_relayed;
    std::uint64_t generation = 0;
    bool shown = false;  // a typing_start was relayed, so the others need the typing_stop
  };
  using Key = std::pair<RoomId, UserId>;

  void relay(bool start, RoomId room, const User& typist);
  void expire(Key key, std::uint64_t generation, const User& typist);

  Bus& bus_;
  boost::asio::io_context& timers_;
  const std::chrono::milliseconds ttl_;
  const std::chrono::milliseconds relay_interval_;
  mutable std::mutex mutex_;
  std::map<Key, Entry> active_;
  RateLimiterById relay_limiter_;
  std::uint64_t next_generation_ = 1;
};

}  // namespace parley
