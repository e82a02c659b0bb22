// Everything a connection needs from the rest of the server, wired once in Server.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include "app/config.hpp"
#include "app/metrics.hpp"
#include "auth/auth_service.hpp"
#include "auth/jwt.hpp"
#include "chat/chat_service.hpp"
#include "core/rate_limiter.hpp"
#include "media/media_service.hpp"

namespace parley {

class Shards;

struct Services {
  const Config& config;
  Store& store;
  ChatService& chat;
  MediaService& media;
  AuthService& auth;
  const TokenIssuer& tokens;
  Metrics& metrics;
  RateLimiterById& api_limiter;     // REST requests per user
  RateLimiterByName& auth_limiter;  // register/login/refresh per client address
  boost::asio::thread_pool& workers;
  Shards& shards;
};

}  // namespace parley
