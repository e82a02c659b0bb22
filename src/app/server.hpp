// The whole server, wired: the only place that knows every part. Construction opens the store
// and binds the listening socket; run() serves until SIGTERM/SIGINT, then shuts down gracefully.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>

#include "app/config.hpp"
#include "app/metrics.hpp"
#include "app/services.hpp"
#include "auth/auth_service.hpp"
#include "auth/jwt.hpp"
#include "auth/password.hpp"
#include "bus/bus.hpp"
#include "chat/chat_service.hpp"
#include "http/rest_api.hpp"
#include "media/file_store.hpp"
#include "media/media_service.hpp"
#include "store/commit_queue.hpp"
#include "ws/shards.hpp"

namespace parley {

class Server {
 public:
  explicit Server(Config config);
  ~Server();
  // Blocks until a shutdown signal; returns the process exit code.
  int run();
  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  void accept();
  void shutdown();
  void finish_when_closed(std::chrono::steady_clock::time_point deadline);

  Config config_;
  Metrics metrics_;
  LocalBus bus_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<CommitQueue> commits_;
  Shards shards_;
  boost::asio::io_context timers_{1};  // presence and typing timers, and signals
  boost::asio::steady_timer shutdown_timer_{timers_};
  std::unique_ptr<TokenIssuer> tokens_;
  std::unique_ptr<PasswordHasher> hasher_;
  std::unique_ptr<AuthService> auth_;
  std::unique_ptr<Presence> presence_;
  std::unique_ptr<Typing> typing_;
  std::unique_ptr<FileStore> files_;
  std::unique_ptr<MediaService> media_;
  std::unique_ptr<ChatService> chat_;
  RateLimiterById api_limiter_;
  RateLimiterByName auth_limiter_;
  boost::asio::thread_pool workers_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<RestApi> api_;
  std::unique_ptr<boost::asio::ssl::context> tls_;  // null: plain HTTP
  boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace parley
