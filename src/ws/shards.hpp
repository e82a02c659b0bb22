// One io_context per I/O thread ("shard"). A connection lives on one shard for its whole life,
// so its state needs no locks; each shard keeps its own room -> connections index, and a bus
// event is posted once to each shard, which then fans it out locally.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bus/bus.hpp"

namespace parley {

class WsSession;

class Shard {
 public:
  boost::asio::io_context& context() { return context_; }

  // The following run on this shard's thread only.
  void add(WsSession* session) { sessions_.insert(session); }
  void remove(WsSession* session) { sessions_.erase(session); }
  void subscribe(RoomId room, WsSession* session);
  void unsubscribe(RoomId room, WsSession* session);
  void deliver(const BusEvent& event);
  void close_all_for_shutdown();
  std::size_t session_count() const { return sessions_.size(); }

  // Writes are deferred to the end of the current pass of the event loop: a connection that
  // receives several frames in the meantime sends them in one write.
  void schedule_flush(std::shared_ptr<WsSession> session);
  // Starts the heartbeat sweep over this shard's connections (from any thread, before run).
  void start_heartbeat(std::chrono::seconds heartbeat);

 private:
  void run_flushes();
  void sweep();

  boost::asio::io_context context_{1};
  std::vector<std::shared_ptr<WsSession>> to_flush_;
  std::vector<std::shared_ptr<WsSession>> flushing_;
  bool flush_posted_ = false;
  boost::asio::steady_timer sweep_timer_{context_};
  std::chrono::milliseconds sweep_interval_{1000};
  std::unordered_map<RoomId, std::vector<WsSession*>> rooms_;
  std::unordered_set<WsSession*> sessions_;
};

class Shards {
 public:
  Shards(std::size_t count, Bus& bus);
  ~Shards();

  void start();   // one thread per shard
  void stop();    // stops the contexts and joins the threads
  Shard& next();  // round-robin, for new connections
  Shard& at(std::size_t i) { return *shards_[i]; }
  std::size_t size() const { return shards_.size(); }

 private:
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace parley
