#include "ws/frame.hpp"

#include <simdjson.h>

namespace parley::ws {

namespace {

bool is_control(std::uint8_t opcode) {
  return opcode >= 8;
}

bool known_opcode(std::uint8_t opcode) {
  return opcode <= 2 || (opcode >= 8 && opcode <= 10);
}

// Codes a peer may send (RFC 6455 section 7.4): 1004-1006 and 1015 are reserved for
// reporting and never appear on the wire; 1012-2999 are unassigned or for extensions.
bool valid_close_code(std::uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
}

std::uint64_t big_endian(const char* bytes, std::size_t count) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < count; ++i) value = (value << 8) | static_cast<std::uint8_t>(bytes[i]);
  return value;
}

std::size_t fail(FrameEvent& event, CloseCode code, std::string_view why) {
  event.kind = FrameEvent::Kind::error;
  event.code = static_cast<std::uint16_t>(code);
  event.reason = why;
  return 0;
}

bool valid_utf8(std::string_view text) {
  return simdjson::validate_utf8(text.data(), text.size());
}

}  // namespace

std::size_t encode_header(Opcode opcode, std::uint64_t payload_size, std::uint8_t (&out)[kMaxHeaderBytes]) {
  out[0] = static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(opcode));  // FIN
  if (payload_size < 126) {
    out[1] = static_cast<std::uint8_t>(payload_size);
    return 2;
  }
  const std::size_t length_bytes = payload_size <= 0xFFFF ? 2 : 8;
  out[1] = length_bytes == 2 ? 126 : 127;
  for (std::size_t i = 0; i < length_bytes; ++i) {
    out[2 + i] = static_cast<std::uint8_t>(payload_size >> (8 * (length_bytes - 1 - i)));
  }
  return 2 + length_bytes;
}

std::string close_payload(CloseCode code, std::string_view reason) {
  std::size_t keep = std::min(reason.size(), kMaxControlPayload - 2);
  // Never cut a UTF-8 sequence in half: back up over continuation bytes (10xxxxxx).
  while (keep < reason.size() && keep > 0 && (static_cast<std::uint8_t>(reason[keep]) & 0xC0) == 0x80) --keep;
  const auto value = static_cast<std::uint16_t>(code);
  std::string payload;
  payload.reserve(2 + keep);
  payload.push_back(static_cast<char>(value >> 8));
  payload.push_back(static_cast<char>(value & 0xFF));
  payload.append(reason.substr(0, keep));
  return payload;
}

std::size_t FrameReader::read(std::span<char> data, FrameEvent& event) {
  event = FrameEvent{};
  needed_ = 0;
  // A message reassembled from fragments was handed out by the previous call: release it.
  if (!in_fragmented_message_ && !fragments_.empty()) std::string().swap(fragments_);
  if (data.size() < 2) return 0;

  const auto b0 = static_cast<std::uint8_t>(data[0]);
  const auto b1 = static_cast<std::uint8_t>(data[1]);
  const bool fin = (b0 & 0x80) != 0;
  const std::uint8_t opcode = b0 & 0x0F;
  std::size_t header = 2;
  std::uint64_t length = b1 & 0x7F;
  if (length == 126 || length == 127) {
    const std::size_t length_bytes = length == 126 ? 2 : 8;
    if (data.size() < 2 + length_bytes) return 0;
    length = big_endian(data.data() + 2, length_bytes);
    header += length_bytes;
    if (length >> 63) return fail(event, CloseCode::protocol_error, "invalid frame length");
  }
  if ((b0 & 0x70) != 0) return fail(event, CloseCode::protocol_error, "reserved bits set");
  if ((b1 & 0x80) == 0) return fail(event, CloseCode::protocol_error, "client frames must be masked");
  if (!known_opcode(opcode)) return fail(event, CloseCode::protocol_error, "unknown opcode");
  if (is_control(opcode)) {
    if (!fin) return fail(event, CloseCode::protocol_error, "fragmented control frame");
    if (length > kMaxControlPayload) return fail(event, CloseCode::protocol_error, "control frame too long");
  } else {
    const bool continuation = opcode == static_cast<std::uint8_t>(Opcode::continuation);
    if (continuation && !in_fragmented_message_) {
      return fail(event, CloseCode::protocol_error, "continuation frame without a message");
    }
    if (!continuation && in_fragmented_message_) {
      return fail(event, CloseCode::protocol_error, "new message inside a fragmented one");
    }
    const std::uint64_t so_far = in_fragmented_message_ ? fragments_.size() : 0;
    if (length > max_message_bytes_ || so_far + length > max_message_bytes_) {
      return fail(event, CloseCode::too_big, "message too big");
    }
  }
  const char* key = data.data() + header;
  header += 4;
  needed_ = header + static_cast<std::size_t>(length);
  if (data.size() < needed_) return 0;

  char* payload = data.data() + header;
  for (std::size_t i = 0; i < length; ++i) payload[i] = static_cast<char>(payload[i] ^ key[i & 3]);
  const std::string_view bytes(payload, static_cast<std::size_t>(length));
  const std::size_t consumed = needed_;
  needed_ = 0;

  switch (static_cast<Opcode>(opcode)) {
    case Opcode::ping:
      event.kind = FrameEvent::Kind::ping;
      event.payload = bytes;
      return consumed;
    case Opcode::pong:
      event.kind = FrameEvent::Kind::pong;
      event.payload = bytes;
      return consumed;
    case Opcode::close: {
      event.kind = FrameEvent::Kind::close;
      event.code = static_cast<std::uint16_t>(CloseCode::no_status);
      if (bytes.size() == 1) return fail(event, CloseCode::protocol_error, "close frame with a 1-byte payload");
      if (bytes.size() >= 2) {
        event.code = static_cast<std::uint16_t>(big_endian(bytes.data(), 2));
        event.reason = bytes.substr(2);
        if (!valid_close_code(event.code)) return fail(event, CloseCode::protocol_error, "invalid close code");
        if (!valid_utf8(event.reason)) return fail(event, CloseCode::invalid_payload, "close reason is not UTF-8");
      }
      return consumed;
    }
    case Opcode::text:
    case Opcode::binary:
      if (!fin) {
        in_fragmented_message_ = true;
        fragmented_binary_ = opcode == static_cast<std::uint8_t>(Opcode::binary);
        fragments_.assign(bytes);
        return consumed;
      }
      event.binary = opcode == static_cast<std::uint8_t>(Opcode::binary);
      event.payload = bytes;
      break;
    case Opcode::continuation:
      fragments_.append(bytes);
      if (!fin) return consumed;
      in_fragmented_message_ = false;
      event.binary = fragmented_binary_;
      event.payload = fragments_;
      break;
  }
  if (!event.binary && !valid_utf8(event.payload)) return fail(event, CloseCode::invalid_payload, "text is not UTF-8");
  event.kind = FrameEvent::Kind::message;
  return consumed;
}

}  // namespace parley::ws
