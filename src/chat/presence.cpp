#include "chat/presence.hpp"

#include "util/clock.hpp"

namespace parley {

Presence::Presence(Store& store, Bus& bus, boost::asio::io_context& timers, std::chrono::milliseconds grace)
    : store_(store), bus_(bus), timers_(timers), grace_(grace) {}

void Presence::connected(const User& user) {
  std::unique_lock lock(mutex_);
  auto& s = users_[user.id];
  names_[user.id] = user;
  ++s.connections;
  if (s.offline_timer) {
    s.offline_timer->cancel();  // came back within the grace: nobody saw them leave
    s.offline_timer.reset();
  }
  if (s.shown == s.chosen) return;
  s.shown = s.chosen;
  const auto shown = s.shown;
  lock.unlock();
  announce(user, shown, now_ms());
}

void Presence::disconnected(const User& user) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user.id);
  if (it == users_.end() || --it->second.connections > 0) return;
  auto& timer = it->second.offline_timer;
  timer = std::make_unique<boost::asio::steady_timer>(timers_, grace_);
  timer->async_wait([this, id = user.id](const boost::system::error_code& ec) {
    if (!ec) go_offline(id);
  });
}

void Presence::go_offline(UserId id) {
  std::unique_lock lock(mutex_);
  auto it = users_.find(id);
  if (it == users_.end() || it->second.connections > 0) return;
  users_.erase(it);
  const User user = names_[id];
  names_.erase(id);
  lock.unlock();
  const TimeMs now = now_ms();
  store_.set_last_seen(id, now);
  announce(user, PresenceStatus::offline, now);
}

void Presence::set_status(const User& user, PresenceStatus status) {
  std::unique_lock lock(mutex_);
  auto it = users_.find(user.id);
  if (it == users_.end() || it->second.connections == 0) return;  // not connected: nothing to show
  it->second.chosen = status;
  if (it->second.shown == status) return;
  it->second.shown = status;
  lock.unlock();
  announce(user, status, now_ms());
}

PresenceStatus Presence::status_of(UserId user) const {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user);
  return it == users_.end() ? PresenceStatus::offline : it->second.shown;
}

int Presence::connections_of(UserId user) const {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user);
  return it == users_.end() ? 0 : it->second.connections;
}

TimeMs Presence::last_seen(const User& user) const {
  return status_of(user.id) == PresenceStatus::offline ? user.last_seen : now_ms();
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
