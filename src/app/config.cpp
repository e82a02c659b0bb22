#include "app/config.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace parley {

namespace {

// "max-frame-bytes" -> "PARLEY_MAX_FRAME_BYTES"
std::string env_name(const std::string& flag) {
  std::string env = "PARLEY_";
  for (char c : flag) env.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return env;
}

template <class T>
CLI::Option* setting(CLI::App& app, const std::string& name, T& target, const std::string& help) {
  return app.add_option("--" + name, target, help)->envname(env_name(name))->capture_default_str();
}

}  // namespace

Config parse_serve_args(int argc, char** argv) {
  Config c;
  CLI::App app{"parley serve: run the chat server", "parley serve"};
  app.set_config("--config", "", "TOML file with settings (keys are the flag names)");

  setting(app, "listen", c.listen, "HOST:PORT to listen on (port 0: any free port)");
  setting(app, "threads", c.threads, "I/O threads (0: one per core)")->check(CLI::Range(0, 256));
  setting(app, "worker-threads", c.worker_threads, "threads for blocking work")->check(CLI::Range(1, 256));
  setting(app, "allowed-origins", c.allowed_origins, "extra browser origins allowed to open WebSockets")
      ->delimiter(',');
  setting(app, "tls-cert", c.tls_cert, "PEM certificate chain (leaf first): serve HTTPS/WSS only (TLS 1.2+)");
  setting(app, "tls-key", c.tls_key, "PEM private key of --tls-cert");
  setting(app, "data-dir", c.data_dir, "directory for the database and secrets");
  setting(app, "sqlite-sync", c.sqlite_sync, "full or normal")->check(CLI::IsMember({"full", "normal"}));
  setting(app, "max-commit-batch", c.max_commit_batch, "messages per group commit")->check(CLI::Range(1, 100000));
  setting(app, "commit-spacing-us", c.commit_spacing_us, "least microseconds between group commits' starts")
      ->check(CLI::Range(0, 100000));
  setting(app, "jwt-secret", c.jwt_secret, "HS256 secret (default: generated into the data dir)");
  setting(app, "access-token-ttl-s", c.access_token_ttl_s, "access token lifetime")->check(CLI::Range(1, 86400));
  setting(app, "refresh-token-ttl-s", c.refresh_token_ttl_s, "refresh token lifetime")
      ->check(CLI::Range(60, 365 * 86400));
  setting(app, "password-hash-cost", c.password_hash_cost, "interactive, or minimum for test suites")
      ->check(CLI::IsMember({"interactive", "minimum"}));
  setting(app, "max-body-bytes", c.max_body_bytes, "largest JSON request body")->check(CLI::Range(1024, 1 << 30));
  setting(app, "max-frame-bytes", c.max_frame_bytes, "largest WebSocket message")->check(CLI::Range(1024, 1 << 30));
  setting(app, "max-content-chars", c.max_content_chars, "longest message in code points")
      ->check(CLI::Range(1, 1 << 20));
  setting(app, "outbound-queue-frames", c.outbound_queue_frames, "frames queued per connection before 1013")
      ->check(CLI::Range(8, 1 << 20));
  setting(app, "max-connections-per-user", c.max_connections_per_user, "open WebSockets per user")
      ->check(CLI::Range(1, 1 << 20));
  setting(app, "replay-limit", c.replay_limit, "most messages replayed on join with since_seq")
      ->check(CLI::Range(1, 1 << 20));
  setting(app, "handshake-timeout-s", c.handshake_timeout_s, "time to send a complete request or upgrade")
      ->check(CLI::Range(1, 3600));
  setting(app, "http-idle-timeout-s", c.http_idle_timeout_s, "idle keep-alive HTTP connections are closed")
      ->check(CLI::Range(1, 3600));
  setting(app, "msg-rate-burst", c.msg_rate_burst, "messages a user may send in a burst")
      ->check(CLI::Range(1, 1 << 24));
  setting(app, "msg-rate-per-s", c.msg_rate_per_s, "sustained messages per second per user")
      ->check(CLI::Range(0.01, 1e9));
  setting(app, "api-rate-burst", c.api_rate_burst, "REST requests a user may send in a burst")
      ->check(CLI::Range(1, 1 << 24));
  setting(app, "api-rate-per-s", c.api_rate_per_s, "sustained REST requests per second per user")
      ->check(CLI::Range(0.01, 1e9));
  setting(app, "auth-rate-burst", c.auth_rate_burst, "register/login/refresh burst per client address")
      ->check(CLI::Range(1, 1 << 24));
  setting(app, "auth-rate-per-s", c.auth_rate_per_s, "register/login/refresh per second per client address")
      ->check(CLI::Range(0.01, 1e9));
  setting(app, "abuse-close-after", c.abuse_close_after, "refused frames in a row before closing with 1008")
      ->check(CLI::Range(1, 1 << 24));
  setting(app, "max-upload-bytes", c.max_upload_bytes, "largest upload; beyond it 413")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 40));
  setting(app, "upload-quota-bytes", c.upload_quota_bytes, "total bytes one user may upload")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 50));
  setting(app, "upload-burst", c.upload_burst, "uploads a user may start in a burst")->check(CLI::Range(1, 1 << 20));
  setting(app, "uploads-per-minute", c.uploads_per_minute, "sustained uploads per minute per user")
      ->check(CLI::Range(0.01, 1e9));
  setting(app, "max-image-pixels", c.max_image_pixels, "images with more pixels are refused")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 40));
  setting(app, "thumbnail-side", c.thumbnail_side, "longest side of thumbnails in pixels")->check(CLI::Range(16, 4096));
  setting(app, "allowed-media-types", c.allowed_media_types,
          "comma-separated MIME types accepted for upload (empty: built-in list of images, video, audio, PDF, "
          "office documents, plain text and zip)");
  setting(app, "heartbeat-s", c.heartbeat_s, "WebSocket ping interval; two missed: dropped")
      ->check(CLI::Range(1, 3600));
  setting(app, "presence-grace-ms", c.presence_grace_ms, "delay before a disconnected user shows offline")
      ->check(CLI::Range(0, 3600000));
  setting(app, "status-lease-s", c.status_lease_s, "how long a status set with /updateStatus holds without a WebSocket")
      ->check(CLI::Range(1, 86400));
  setting(app, "typing-ttl-ms", c.typing_ttl_ms, "a typing indicator expires after this")
      ->check(CLI::Range(100, 3600000));
  setting(app, "typing-relay-interval-ms", c.typing_relay_interval_ms, "repeated typing_start coalescing window")
      ->check(CLI::Range(0, 3600000));
  setting(app, "metrics-token", c.metrics_token, "bearer token for /metrics from other hosts (empty: loopback only)");
  setting(app, "signal-rate-burst", c.signal_rate_burst, "typing/status changes a user may cause in a burst")
      ->check(CLI::Range(1, 1 << 24));
  setting(app, "signal-rate-per-s", c.signal_rate_per_s, "sustained typing/status changes per second per user")
      ->check(CLI::Range(0.01, 1e9));
  setting(app, "call-rate-burst", c.call_rate_burst, "call_* signalling frames a user may send in a burst")
      ->check(CLI::Range(1, 1 << 24));
  setting(app, "call-rate-per-s", c.call_rate_per_s, "sustained call_* signalling frames per second per user")
      ->check(CLI::Range(0.01, 1e9));
  setting(app, "log-level", c.log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    std::exit(app.exit(e));
  } catch (const CLI::ParseError& e) {
    throw std::runtime_error(e.what());
  }
  // A replay goes through the same bounded queue as live frames: it must fit with room to spare.
  if (c.replay_limit >= c.outbound_queue_frames) {
    throw std::runtime_error("--replay-limit must be smaller than --outbound-queue-frames");
  }
  if (c.tls_cert.empty() != c.tls_key.empty()) throw std::runtime_error("--tls-cert and --tls-key go together");
  return c;
}

}  // namespace parley
