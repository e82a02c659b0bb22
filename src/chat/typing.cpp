#include "chat/typing.hpp"

#include "protocol/wire.hpp"

namespace parley {

Typing::Typing(Bus& bus, boost::asio::io_context& timers, std::chrono::milliseconds ttl,
               std::chrono::milliseconds relay_interval, RateLimit relayed_starts_per_user)
    : bus_(bus), timers_(timers), ttl_(ttl), relay_interval_(relay_interval), relay_limiter_(relayed_starts_per_user) {}

void Typing::start(RoomId room, const User& typist) {
  const auto now = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  auto [it, fresh] = active_.try_emplace(Key{room, typist.id});
  Entry& e = it->second;
  // Over the per-user cap a start is still tracked (so a later stop is relayed) but not relayed.
  const bool relay_now =
      (fresh || now - e.last_relayed >= relay_interval_) && relay_limiter_.take(typist.id, now).allowed;
  if (relay_now) {
    e.last_relayed = now;
    e.shown = true;
  }
  // Each start pushes the expiry out; the generation tells a stale timer from the current one.
  e.generation = next_generation_++;
  if (!e.expiry) e.expiry = std::make_unique<boost::asio::steady_timer>(timers_);
  e.expiry->expires_after(ttl_);
  e.expiry->async_wait([this, key = it->first, gen = e.generation, typist](const boost::system::error_code& ec) {
    if (!ec) expire(key, gen, typist);
  });
  lock.unlock();
  if (relay_now) relay(true, room, typist);
}

void Typing::stop(RoomId room, const User& typist) {
  std::unique_lock lock(mutex_);
  auto it = active_.find(Key{room, typist.id});
  if (it == active_.end()) return;
  const bool shown = it->second.shown;
  active_.erase(it);  // destroying the timer cancels its wait
  lock.unlock();
  if (shown) relay(false, room, typist);
}

bool Typing::is_typing(RoomId room, UserId typist) const {
  std::lock_guard lock(mutex_);
  return active_.count(Key{room, typist}) > 0;
}

void Typing::expire(Key key, std::uint64_t generation, const User& typist) {
  std::unique_lock lock(mutex_);
  auto it = active_.find(key);
  if (it == active_.end() || it->second.generation != generation) return;
  const bool shown = it->second.shown;
  active_.erase(it);
  lock.unlock();
  if (shown) relay(false, key.first, typist);
}

void Typing::relay(bool start, RoomId room, const User& typist) {
  BusEvent e;
  e.room = room;
  e.exclude_user = typist.id;
  e.frame = share(typing_frame(start, room, typist));
  bus_.publish(std::move(e));
}

}  // namespace parley
