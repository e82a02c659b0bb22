#include "app/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <thread>

#include "auth/secret.hpp"
#include "http/http_session.hpp"
#include "net/tls.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace parley {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

std::size_t io_threads(const Config& c) {
  if (c.threads > 0) return static_cast<std::size_t>(c.threads);
  return std::max(1u, std::thread::hardware_concurrency());
}

tcp::endpoint parse_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("--listen must be HOST:PORT, got " + listen);
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const int port = std::stoi(listen.substr(colon + 1));
  if (port < 0 || port > 65535) throw std::runtime_error("port out of range in --listen " + listen);
  return {asio::ip::make_address(host), static_cast<unsigned short>(port)};
}

}  // namespace

Server::Server(Config config)
    : config_(std::move(config)),
      shards_(io_threads(config_), bus_),
      api_limiter_(RateLimit{static_cast<double>(config_.api_rate_burst), config_.api_rate_per_s}),
      auth_limiter_(RateLimit{static_cast<double>(config_.auth_rate_burst), config_.auth_rate_per_s}),
      workers_(static_cast<std::size_t>(config_.worker_threads)),
      acceptor_(shards_.at(0).context()) {
  std::filesystem::create_directories(config_.data_dir);
  const auto sync = config_.sqlite_sync == "normal" ? SqliteSync::normal : SqliteSync::full;
  store_ = std::make_unique<SqliteStore>((std::filesystem::path(config_.data_dir) / "parley.db").string(), sync);
  commits_ = std::make_unique<CommitQueue>(
      *store_, static_cast<std::size_t>(config_.max_commit_batch), std::chrono::microseconds(config_.commit_spacing_us),
      [this](std::size_t n, std::chrono::microseconds took) { metrics_.observe_commit(n, took); });

  const std::string secret =
      config_.jwt_secret.empty() ? load_or_create_jwt_secret(config_.data_dir) : config_.jwt_secret;
  tokens_ = std::make_unique<TokenIssuer>(secret, std::chrono::seconds(config_.access_token_ttl_s));
  hasher_ = std::make_unique<PasswordHasher>(config_.password_hash_cost == "minimum" ? HashCost::minimum
                                                                                     : HashCost::interactive);
  AuthSettings auth_settings;
  auth_settings.refresh_ttl = std::chrono::seconds(config_.refresh_token_ttl_s);
  auth_settings.on_session_revoked = [this](const std::string& session_id) {
    BusEvent e;
    e.kind = BusEvent::Kind::close_login;
    e.login_session = session_id;
    bus_.publish(std::move(e));
  };
  auth_ = std::make_unique<AuthService>(*store_, *tokens_, *hasher_, auth_settings);

  presence_ = std::make_unique<Presence>(*store_, bus_, timers_, std::chrono::milliseconds(config_.presence_grace_ms),
                                         std::chrono::seconds(config_.status_lease_s));
  typing_ =
      std::make_unique<Typing>(bus_, timers_, std::chrono::milliseconds(config_.typing_ttl_ms),
                               std::chrono::milliseconds(config_.typing_relay_interval_ms),
                               RateLimit{static_cast<double>(config_.signal_rate_burst), config_.signal_rate_per_s});
  files_ = std::make_unique<FileStore>(std::filesystem::path(config_.data_dir) / "files");
  MediaSettings media;
  media.max_upload_bytes = config_.max_upload_bytes;
  media.upload_quota_bytes = config_.upload_quota_bytes;
  media.uploads = RateLimit{static_cast<double>(config_.upload_burst), config_.uploads_per_minute / 60.0};
  media.max_image_pixels = config_.max_image_pixels;
  media.thumbnail_side = config_.thumbnail_side;
  if (!config_.allowed_media_types.empty()) media.policy = MediaPolicy::from_list(config_.allowed_media_types);
  media_ = std::make_unique<MediaService>(*store_, *files_, std::move(media));

  ChatLimits limits;
  limits.max_content_chars = config_.max_content_chars;
  limits.messages = RateLimit{static_cast<double>(config_.msg_rate_burst), config_.msg_rate_per_s};
  limits.status_changes = RateLimit{static_cast<double>(config_.signal_rate_burst), config_.signal_rate_per_s};
  limits.call_signals = RateLimit{static_cast<double>(config_.call_rate_burst), config_.call_rate_per_s};
  chat_ = std::make_unique<ChatService>(*store_, *commits_, bus_, *presence_, *typing_, *media_, limits);

  services_ = std::make_unique<Services>(Services{config_, *store_, *chat_, *media_, *auth_, *tokens_, metrics_,
                                                  api_limiter_, auth_limiter_, workers_, shards_});
  api_ = std::make_unique<RestApi>(*services_);
  if (!config_.tls_cert.empty()) {
    tls_ = std::make_unique<asio::ssl::context>(net::server_tls_context(config_.tls_cert, config_.tls_key));
  }

  const auto endpoint = parse_listen(config_.listen);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

Server::~Server() {
  shards_.stop();
  workers_.join();
}

void Server::accept() {
  Shard& shard = shards_.next();
  acceptor_.async_accept(shard.context(), [this, &shard](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<HttpSession>(std::move(socket), *services_, *api_, shard, tls_.get())->run();
    }
    accept();
  });
}

int Server::run() {
  const auto bound = acceptor_.local_endpoint();
  asio::post(acceptor_.get_executor(), [this] { accept(); });
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    shards_.at(i).start_heartbeat(std::chrono::seconds(config_.heartbeat_s));
  }
  shards_.start();
  spdlog::info("listening on {}:{} (threads={}, data_dir={}, {})", bound.address().to_string(), bound.port(),
               shards_.size(), config_.data_dir, tls_ ? "https" : "http");

  asio::signal_set signals(timers_, SIGTERM, SIGINT);
  signals.async_wait([this](boost::system::error_code ec, int signal) {
    if (ec) return;
    spdlog::info("signal {} received: shutting down", signal);
    shutdown();
  });
  timers_.run();
  spdlog::info("stopped");
  return 0;
}

// Stop accepting, close every WebSocket with 1001, wait (bounded) for them to go, flush the
// commit queue, then let run() return.
void Server::shutdown() {
  asio::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    Shard& shard = shards_.at(i);
    asio::post(shard.context(), [&shard] { shard.close_all_for_shutdown(); });
  }
  finish_when_closed(std::chrono::steady_clock::now() + std::chrono::seconds(5));
}

// Checks every 20 ms whether the connections are gone (or the deadline passed), then flushes
// the commit queue and stops the main loop.
void Server::finish_when_closed(std::chrono::steady_clock::time_point deadline) {
  if (metrics_.ws_connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    shutdown_timer_.expires_after(std::chrono::milliseconds(20));
    shutdown_timer_.async_wait([this, deadline](boost::system::error_code) { finish_when_closed(deadline); });
    return;
  }
  commits_->stop();
  timers_.stop();
}

}  // namespace parley
