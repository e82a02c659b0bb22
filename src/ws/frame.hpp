// The WebSocket wire format (RFC 6455 section 5) as the server speaks it: reading the masked
// frames clients send, writing unmasked frames. No extensions are negotiated, so RSV bits are
// always an error. Pure code: no I/O, unit-tested on its own.
//
// Why not Beast's websocket::stream: it writes one message per system call and keeps a
// 1.5 KiB read buffer and a timer per connection. Owning the framing lets a connection send all
// its queued frames in one gathered write and hold almost nothing while idle (see
// docs/ARCHITECTURE.md, "WebSocket transport").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace parley::ws {

enum class Opcode : std::uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

// Close codes the server sends (RFC 6455 section 7.4.1).
enum class CloseCode : std::uint16_t {
  normal = 1000,
  going_away = 1001,
  protocol_error = 1002,
  no_status = 1005,  // a close frame without a code: never sent on the wire
  invalid_payload = 1007,
  policy = 1008,
  too_big = 1009,
  try_again_later = 1013,
};

constexpr std::size_t kMaxHeaderBytes = 10;      // an unmasked frame header, at most
constexpr std::size_t kMaxControlPayload = 125;  // ping, pong and close payloads

// Writes the header of an unmasked, final frame carrying `payload_size` bytes; returns its size.
std::size_t encode_header(Opcode opcode, std::uint64_t payload_size, std::uint8_t (&out)[kMaxHeaderBytes]);

// The payload of a close frame: the code, then the reason cut to fit a control frame (at a
// UTF-8 character boundary).
std::string close_payload(CloseCode code, std::string_view reason);

// What one call to FrameReader::read() found.
struct FrameEvent {
  // none: the frame is incomplete (read() returned 0) or was a fragment, taken in.
  enum class Kind { none, message, ping, pong, close, error };
  Kind kind = Kind::none;
  std::string_view payload;  // message or control payload; valid until the next read()
  bool binary = false;       // message: it came as a binary message
  std::uint16_t code = 0;    // close: the peer's code (1005 when it sent none); error: the code to close with
  std::string_view reason;   // close: the peer's reason; error: what was wrong
};

// Reads client frames from the start of a byte buffer. Masked payloads are unmasked in place,
// fragmented messages are reassembled, text messages are checked for UTF-8, and a message over
// the size limit is refused from its header alone, before its bytes arrive.
class FrameReader {
 public:
  explicit FrameReader(std::size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

  // Looks at one frame at the start of `data`. Returns the bytes consumed (0 while the frame is
  // incomplete: then needed() says how many bytes the whole frame takes, when its header is
  // complete). After an error the reader must not be used again.
  std::size_t read(std::span<char> data, FrameEvent& event);
  std::size_t needed() const { return needed_; }

 private:
  std::size_t max_message_bytes_;
  std::size_t needed_ = 0;
  bool in_fragmented_message_ = false;
  bool fragmented_binary_ = false;
  std::string fragments_;  // the fragmented message so far
};

}  // namespace parley::ws
