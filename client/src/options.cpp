// ClientOptions::set_url: the base URL of a server.
#include <charconv>

#include "parley/client.hpp"

namespace parley::client {

bool ClientOptions::set_url(std::string_view url) {
  bool secure = false;
  std::uint16_t default_port = 80;
  for (const auto& [scheme, is_tls, port] : {std::tuple{"ws://", false, 80}, std::tuple{"http://", false, 80},
                                             std::tuple{"wss://", true, 443}, std::tuple{"https://", true, 443}}) {
    if (url.starts_with(scheme)) {
      url.remove_prefix(std::string_view(scheme).size());
      secure = is_tls;
      default_port = static_cast<std::uint16_t>(port);
      break;
    }
    if (std::string_view(scheme) == "https://") return false;  // no known scheme
  }
  if (url.ends_with('/')) url.remove_suffix(1);
  std::string_view host = url;
  std::string_view port_text;
  if (url.starts_with('[')) {  // [v6]:port
    const auto close = url.find(']');
    if (close == std::string_view::npos) return false;
    host = url.substr(1, close - 1);
    const auto rest = url.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return false;
      port_text = rest.substr(1);
      if (port_text.empty()) return false;
    }
  } else if (const auto colon = url.rfind(':'); colon != std::string_view::npos) {
    host = url.substr(0, colon);
    port_text = url.substr(colon + 1);
    if (port_text.empty()) return false;
  }
  if (host.empty() || host.find_first_of("/?#@[] ") != std::string_view::npos) return false;
  std::uint16_t parsed_port = default_port;
  if (!port_text.empty()) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 || value > 65535) return false;
    parsed_port = static_cast<std::uint16_t>(value);
  }
  this->host = std::string(host);
  this->port = parsed_port;
  this->tls = secure;
  return true;
}

}  // namespace parley::client
