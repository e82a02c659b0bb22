// The one list of error codes PROTOCOL.md defines, used by REST replies and `error` frames.
#pragma once

#include <string>

namespace parley {

struct ApiError {
  int status = 400;       // HTTP status for REST replies
  std::string code;       // snake_case code from PROTOCOL.md
  std::string message;    // human text; never internals
  int retry_after_s = 0;  // for rate_limited: seconds until a retry can succeed

  static ApiError bad_request(std::string msg) { return {400, "bad_request", std::move(msg)}; }
  static ApiError unauthorized(std::string msg = "missing, invalid or expired token") {
    return {401, "unauthorized", std::move(msg)};
  }
  static ApiError forbidden(std::string msg) { return {403, "forbidden", std::move(msg)}; }
  static ApiError not_found(std::string msg = "not found") { return {404, "not_found", std::move(msg)}; }
  static ApiError conflict(std::string msg) { return {409, "conflict", std::move(msg)}; }
  static ApiError too_large(std::string msg) { return {413, "too_large", std::move(msg)}; }
  static ApiError unsupported_media_type(std::string msg) { return {415, "unsupported_media_type", std::move(msg)}; }
  static ApiError rate_limited(int retry_after_s) {
    return {429, "rate_limited", "too many requests, slow down", retry_after_s < 1 ? 1 : retry_after_s};
  }
  static ApiError internal() { return {500, "internal", "internal server error"}; }
};

}  // namespace parley
