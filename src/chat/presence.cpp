#include "chat/presence.hpp"

#include <boost/asio/post.hpp>

#include "util/clock.hpp"

namespace parley {

Presence::Presence(Store& store, Bus& bus, boost::asio::io_context& timers, std::chrono::milliseconds grace,
                   std::chrono::milliseconds status_lease)
    : store_(store), bus_(bus), timers_(timers), grace_(grace), status_lease_(status_lease) {}

void Presence::connected(const User& user) {
  std::lock_guard lock(mutex_);
  auto& s = users_[user.id];
  s.user = user;
  ++s.connections;
  s.offline_timer.reset();  // came back within the grace: nobody saw them leave
  ++s.offline_generation;
  update(s);
}

void Presence::disconnected(const User& user) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user.id);
  if (it == users_.end() || --it->second.connections > 0) return;
  State& s = it->second;
  s.grace_until = Clock::now() + grace_;
  schedule_offline_check(s, std::max(s.grace_until, s.lease_until));
}

void Presence::set_status(const User& user, PresenceStatus status, bool from_rest) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user.id);
  if (it == users_.end()) {
    if (!from_rest) return;  // a frame always comes from a connected user
    it = users_.emplace(user.id, State{}).first;
    it->second.user = user;
  }
  State& s = it->second;
  s.chosen = status;
  s.typing_until = {};  // a new status replaces a `typing` one at once
  if (from_rest) {
    s.lease_until = Clock::now() + status_lease_;
    // Whichever holds longer, the lease or a grace already running, decides.
    if (s.connections == 0) schedule_offline_check(s, std::max(s.lease_until, s.grace_until));
  }
  update(s);
}

void Presence::mark_typing(const User& user, Clock::time_point until) {
  std::lock_guard lock(mutex_);
  auto [it, fresh] = users_.try_emplace(user.id);
  State& s = it->second;
  s.typing_until = until;
  if (fresh) {
    s.user = user;
    schedule_offline_check(s, until);  // the entry goes away again when nothing holds it
  }
}

void Presence::update(State& s) {
  const auto now = Clock::now();
  const bool held = s.connections > 0 || s.lease_until > now || s.grace_until > now;
  const PresenceStatus now_shown = held ? s.chosen : PresenceStatus::offline;
  if (now_shown == s.shown) return;
  s.shown = now_shown;
  request_announce(s.user.id);
}

void Presence::schedule_offline_check(State& s, Clock::time_point when) {
  s.offline_timer = std::make_unique<boost::asio::steady_timer>(timers_, when);
  // A replaced timer is cancelled, but one that already fired may still be queued: the
  // generation makes such a handler a no-op.
  s.offline_timer->async_wait(
      [this, id = s.user.id, gen = ++s.offline_generation](const boost::system::error_code& ec) {
        if (!ec) offline_check(id, gen);
      });
}

void Presence::offline_check(UserId id, std::uint64_t generation) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(id);
  if (it == users_.end() || it->second.connections > 0 || it->second.offline_generation != generation) return;
  State& s = it->second;
  const auto now = Clock::now();
  if (s.lease_until > now || s.grace_until > now)
    return schedule_offline_check(s, std::max(s.lease_until, s.grace_until));
  const bool was_shown = s.shown != PresenceStatus::offline;
  users_.erase(it);
  if (was_shown) request_announce(id);
}

void Presence::request_announce(UserId id) {
  boost::asio::post(timers_, [this, id] { announce_current(id); });
}

void Presence::announce_current(UserId id) {
  std::unique_lock lock(mutex_);
  const auto it = users_.find(id);
  const PresenceStatus current = it == users_.end() ? PresenceStatus::offline : it->second.shown;
  auto last = announced_.find(id);
  const PresenceStatus previous = last == announced_.end() ? PresenceStatus::offline : last->second.status;
  if (current == previous) return;
  User user;
  if (current == PresenceStatus::offline) {
    user = last->second.user;
    announced_.erase(last);
  } else {
    user = it->second.user;
    announced_[id] = Announced{user, current};
  }
  lock.unlock();
  const TimeMs now = now_ms();
  if (current == PresenceStatus::offline) store_.set_last_seen(id, now);
  announce(user, current, now);
}

PresenceStatus Presence::status_of(UserId user) const {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user);
  return it == users_.end() ? PresenceStatus::offline : it->second.shown;
}

bool Presence::is_typing(UserId user) const {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user);
  return it != users_.end() && it->second.typing_until > Clock::now();
}

int Presence::connections_of(UserId user) const {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user);
  return it == users_.end() ? 0 : it->second.connections;
}

TimeMs Presence::last_seen(const User& user) const {
  if (status_of(user.id) != PresenceStatus::offline) return now_ms();
  if (auto stored = store_.find_user(user.id)) return stored->last_seen;
  return user.last_seen;
}

void Presence::announce(const User& user, PresenceStatus status, TimeMs last_seen) {
  for (RoomId room : store_.rooms_of(user.id)) {
    BusEvent e;
    e.room = room;
    e.frame = share(presence_frame(user, status, last_seen, room));
    bus_.publish(std::move(e));
  }
}

}  // namespace parley
