#include "ws/shards.hpp"

#include <spdlog/spdlog.h>
#include <algorithm>

#include <boost/asio/post.hpp>

#include "ws/ws_session.hpp"

namespace parley {

void Shard::subscribe(RoomId room, WsSession* session) {
  rooms_[room].push_back(session);
}

void Shard::unsubscribe(RoomId room, WsSession* session) {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return;
  auto& list = it->second;
  if (auto pos = std::find(list.begin(), list.end(), session); pos != list.end()) {
    *pos = list.back();  // order among a room's connections does not matter
    list.pop_back();
  }
  if (list.empty()) rooms_.erase(it);
}

void Shard::deliver(const BusEvent& event) {
  if (event.kind == BusEvent::Kind::close_login) {
    for (auto* session : sessions_) session->deliver(event);
    return;
  }
  auto it = rooms_.find(event.room);
  if (it == rooms_.end()) return;
  for (auto* session : it->second) session->deliver(event);
}

void Shard::close_all_for_shutdown() {
  for (auto* session : sessions_) session->close(ws::CloseCode::going_away, "server shutting down");
}

void Shard::schedule_flush(std::shared_ptr<WsSession> session) {
  to_flush_.push_back(std::move(session));
  if (flush_posted_) return;
  flush_posted_ = true;
  boost::asio::post(context_, [this] { run_flushes(); });
}

void Shard::run_flushes() {
  flush_posted_ = false;
  flushing_.swap(to_flush_);  // sessions scheduled while flushing wait for the next pass
  for (auto& session : flushing_) session->flush();
  flushing_.clear();
}

void Shard::start_heartbeat(std::chrono::seconds heartbeat) {
  // A few sweeps per heartbeat keep pings and drops within a quarter period of their due time.
  sweep_interval_ = std::clamp<std::chrono::milliseconds>(heartbeat / 4, std::chrono::milliseconds(100),
                                                          std::chrono::milliseconds(1000));
  boost::asio::post(context_, [this] { sweep(); });
}

void Shard::sweep() {
  const auto now = std::chrono::steady_clock::now();
  for (auto* session : sessions_) session->check_liveness(now);
  sweep_timer_.expires_after(sweep_interval_);
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) sweep();
  });
}

Shards::Shards(std::size_t count, Bus& bus) {
  for (std::size_t i = 0; i < count; ++i) shards_.push_back(std::make_unique<Shard>());
  for (auto& shard : shards_) {
    Shard* s = shard.get();
    bus.subscribe([s](const BusEvent& event) { boost::asio::post(s->context(), [s, event] { s->deliver(event); }); });
  }
}

Shards::~Shards() {
  stop();
}

void Shards::start() {
  for (auto& shard : shards_) {
    guards_.emplace_back(shard->context().get_executor());
    threads_.emplace_back([s = shard.get()] {
      // A handler that throws (a store or disk error nobody caught) must not take every
      // connection of this thread down with it: log it and keep serving.
      for (;;) {
        try {
          s->context().run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("uncaught error on an I/O thread: {}", e.what());
        }
      }
    });
  }
}

void Shards::stop() {
  guards_.clear();
  for (auto& shard : shards_) shard->context().stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

Shard& Shards::next() {
  return *shards_[next_.fetch_add(1, std::memory_order_relaxed) % shards_.size()];
}

}  // namespace parley
