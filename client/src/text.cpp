#include "text.hpp"

#include <cctype>
#include <cstdint>
#include <random>

namespace parley::client::detail {

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string random_hex(int bits) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int word = 0; word < bits / 64; ++word) {
    std::uint64_t value = rng();
    for (int i = 0; i < 16; ++i, value >>= 4) out += kHex[value & 15];
  }
  return out;
}

}  // namespace parley::client::detail
