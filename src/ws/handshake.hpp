// The server's half of the WebSocket opening handshake (RFC 6455 section 4.2): checking the
// client's upgrade request and the 101 response that accepts it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/http_types.hpp"

namespace parley::ws {

// nullopt when `request` is a valid WebSocket upgrade (GET, Upgrade: websocket, Connection:
// upgrade, version 13, a 16-byte base64 key); otherwise the reply refusing it: 426 with
// Sec-WebSocket-Version: 13 for another version, 400 for anything else.
std::optional<HttpReply> check_upgrade(const BeastRequest& request);

// base64(SHA-1(key + the RFC's GUID)): the Sec-WebSocket-Accept value for `key`.
std::string accept_key(std::string_view key);

// The complete 101 response for a checked request's key.
std::string switching_protocols_response(std::string_view key);

}  // namespace parley::ws
