#include "ws/handshake.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

namespace parley::ws {

namespace http = boost::beast::http;

namespace {

std::string base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

// A key is 16 random bytes in base64: 22 characters and "==".
bool valid_key(std::string_view key) {
  if (key.size() != 24 || key.substr(22) != "==") return false;
  for (char c : key.substr(0, 22)) {
    const bool base64_char =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!base64_char) return false;
  }
  return true;
}

}  // namespace

std::optional<HttpReply> check_upgrade(const BeastRequest& request) {
  if (!boost::beast::websocket::is_upgrade(request)) {
    return error_reply(ApiError::bad_request("not a WebSocket upgrade request"));
  }
  if (request[http::field::sec_websocket_version] != "13") {
    HttpReply reply = error_reply({426, "bad_request", "WebSocket version 13 is required"});
    reply.headers.emplace_back("Sec-WebSocket-Version", "13");
    return reply;
  }
  if (!valid_key(request[http::field::sec_websocket_key])) {
    return error_reply(ApiError::bad_request("invalid Sec-WebSocket-Key"));
  }
  return std::nullopt;
}

std::string accept_key(std::string_view key) {
  static constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string input(key);
  input.append(kGuid);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return base64(digest, sizeof digest);
}

std::string switching_protocols_response(std::string_view key) {
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nServer: parley\r\n"
         "Sec-WebSocket-Accept: " +
         accept_key(key) + "\r\n\r\n";
}

}  // namespace parley::ws
