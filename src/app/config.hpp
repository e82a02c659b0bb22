// Every setting of the server, with its default. Each one can be given as a flag
// (--max-frame-bytes 65536), an environment variable (PARLEY_MAX_FRAME_BYTES=65536) or a
// key in the TOML file named by --config (max-frame-bytes = 65536). Flags win over the file,
// the file over the environment (CLI11's order: a file given explicitly is the more specific).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace parley {

struct Config {
  // ---- network
  std::string listen = "0.0.0.0:8080";
  int threads = 0;                           // I/O threads, one io_context each; 0: one per core
  int worker_threads = 4;                    // blocking work: REST handlers, password hashing, store reads
  std::vector<std::string> allowed_origins;  // browser origins allowed to open WebSockets (own origin always)
  std::string tls_cert;  // PEM certificate chain: with tls_key, the server speaks only HTTPS and WSS
  std::string tls_key;   // PEM private key of tls_cert

  // ---- storage
  std::string data_dir = "./data";
  std::string sqlite_sync = "full";  // full: fsync per group commit; normal: survives process crashes only
  int max_commit_batch = 1024;
  // Under load, commits are spaced so each one carries more messages (see CommitQueue): 2 ms cut
  // the server's CPU per delivery by ~5% at 2,000 msgs/s and 10-15% at 4,000 (bench/RESULTS.md).
  int commit_spacing_us = 2000;

  // ---- auth
  std::string jwt_secret;  // empty: generated once and kept in data_dir/jwt_secret (mode 0600)
  int access_token_ttl_s = 900;
  int refresh_token_ttl_s = 30 * 24 * 3600;
  std::string password_hash_cost = "interactive";  // interactive | minimum (minimum: test suites only)

  // ---- limits
  std::int64_t max_body_bytes = 1 << 20;
  std::int64_t max_frame_bytes = 64 * 1024;
  int max_content_chars = 4000;
  int outbound_queue_frames = 4096;  // per connection; beyond it the consumer is closed with 1013
  int max_connections_per_user = 64;
  int replay_limit = 1000;
  int handshake_timeout_s = 10;
  int http_idle_timeout_s = 60;
  int msg_rate_burst = 50;
  double msg_rate_per_s = 20;
  int api_rate_burst = 200;
  double api_rate_per_s = 100;
  int auth_rate_burst = 50;  // register/login/refresh per client address
  double auth_rate_per_s = 20;
  int abuse_close_after = 50;  // refused frames in a row before a connection is closed with 1008

  // ---- uploads
  std::int64_t max_upload_bytes = 10 * 1024 * 1024;
  std::int64_t upload_quota_bytes = 1024LL * 1024 * 1024;  // all of one user's uploads together
  int upload_burst = 10;                                   // uploads a user may start in a burst...
  double uploads_per_minute = 20;                          // ...and sustained
  std::int64_t max_image_pixels =
      50'000'000;                   // larger images are refused (decompression bombs); = kDefaultMaxImagePixels
  int thumbnail_side = 320;         // longest side of thumbnails, in pixels
  std::string allowed_media_types;  // comma list of MIME types; empty: the built-in allow-list

  // ---- real time
  int heartbeat_s = 30;
  int presence_grace_ms = 5000;
  int status_lease_s = 300;  // a status set over REST (/updateStatus) holds this long without a WebSocket
  int typing_ttl_ms = 6000;
  int typing_relay_interval_ms = 2000;  // repeated typing_start within this are coalesced
  int signal_rate_burst = 20;           // relayed typing starts and status changes per user: burst...
  double signal_rate_per_s = 2;         // ...and sustained rate (typing/presence must never cost more than messages)
  int call_rate_burst = 100;            // call_* signalling frames per user: burst (a call setup takes a few dozen)...
  double call_rate_per_s = 20;          // ...and sustained rate

  std::string metrics_token;  // bearer token for /metrics from non-loopback addresses; empty: loopback only

  // ---- logging
  std::string log_level = "info";
};

// Parses `parley serve ...` (argv without the program name and the subcommand). Throws
// std::runtime_error with a readable message for bad values; prints help and exits for --help.
Config parse_serve_args(int argc, char** argv);

}  // namespace parley
