#include "ws/frame.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ws/handshake.hpp"

namespace parley::ws {
namespace {

using Kind = FrameEvent::Kind;

// A client frame as a browser would send it: masked with a fixed key.
std::string client_frame(std::uint8_t opcode, std::string_view payload, bool fin = true, std::uint8_t extra_bits = 0) {
  const char key[4] = {'\x12', '\x34', '\x56', '\x78'};
  std::string frame;
  frame.push_back(static_cast<char>((fin ? 0x80 : 0) | extra_bits | opcode));
  if (payload.size() < 126) {
    frame.push_back(static_cast<char>(0x80 | payload.size()));
  } else if (payload.size() <= 0xFFFF) {
    frame.push_back(static_cast<char>(0x80 | 126));
    frame.push_back(static_cast<char>(payload.size() >> 8));
    frame.push_back(static_cast<char>(payload.size() & 0xFF));
  } else {
    frame.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) frame.push_back(static_cast<char>((payload.size() >> (8 * i)) & 0xFF));
  }
  frame.append(key, 4);
  for (std::size_t i = 0; i < payload.size(); ++i) frame.push_back(static_cast<char>(payload[i] ^ key[i & 3]));
  return frame;
}

struct Read {
  std::size_t used;
  FrameEvent event;
  std::string payload;  // copied: the event's view dies with the next read
};

Read read_one(FrameReader& reader, std::string& bytes) {
  Read r{};
  r.used = reader.read(std::span<char>(bytes.data(), bytes.size()), r.event);
  r.payload = std::string(r.event.payload);
  return r;
}

TEST(WsFrame, EncodesHeadersWithTheShortestLength) {
  std::uint8_t h[kMaxHeaderBytes];
  ASSERT_EQ(encode_header(Opcode::text, 125, h), 2u);
  EXPECT_EQ(h[0], 0x81);
  EXPECT_EQ(h[1], 125);
  ASSERT_EQ(encode_header(Opcode::text, 126, h), 4u);
  EXPECT_EQ(h[1], 126);
  EXPECT_EQ(h[2], 0);
  EXPECT_EQ(h[3], 126);
  ASSERT_EQ(encode_header(Opcode::ping, 65535, h), 4u);
  EXPECT_EQ(h[0], 0x89);
  ASSERT_EQ(encode_header(Opcode::text, 65536, h), 10u);
  EXPECT_EQ(h[1], 127);
  EXPECT_EQ(h[7], 1);  // 0x00 00 00 00 00 01 00 00
  EXPECT_EQ(h[9], 0);
}

TEST(WsFrame, ClosePayloadCarriesTheCodeAndCutsTheReasonAtACharacterBoundary) {
  const std::string payload = close_payload(CloseCode::try_again_later, "too slow");
  EXPECT_EQ(payload, std::string("\x03\xF5too slow", 10));
  std::string long_reason(122, 'a');
  long_reason += "\xC3\xA9";  // "é" straddles the 123-byte limit
  const std::string cut = close_payload(CloseCode::policy, long_reason);
  EXPECT_EQ(cut.size(), 2u + 122u);
  EXPECT_EQ(close_payload(CloseCode::normal, std::string(300, 'x')).size(), kMaxControlPayload);
}

TEST(WsFrame, ReadsAMaskedTextFrameAndUnmasksIt) {
  FrameReader reader(1024);
  std::string bytes = client_frame(1, R"({"type":"ping"})") + "next";
  const Read r = read_one(reader, bytes);
  EXPECT_EQ(r.used, bytes.size() - 4);
  EXPECT_EQ(r.event.kind, Kind::message);
  EXPECT_FALSE(r.event.binary);
  EXPECT_EQ(r.payload, R"({"type":"ping"})");
}

TEST(WsFrame, AnIncompleteFrameConsumesNothingAndSaysHowBigItIs) {
  FrameReader reader(100000);
  const std::string full = client_frame(1, std::string(300, 'x'));
  std::string part = full.substr(0, 1);
  EXPECT_EQ(read_one(reader, part).used, 0u);
  part = full.substr(0, 3);  // inside the 16-bit length
  EXPECT_EQ(read_one(reader, part).used, 0u);
  part = full.substr(0, 100);
  const Read r = read_one(reader, part);
  EXPECT_EQ(r.used, 0u);
  EXPECT_EQ(r.event.kind, Kind::none);
  EXPECT_EQ(reader.needed(), full.size());
  std::string whole = full;
  EXPECT_EQ(read_one(reader, whole).used, full.size());
}

TEST(WsFrame, ReassemblesFragmentsWithControlFramesBetweenThem) {
  FrameReader reader(1024);
  std::string bytes = client_frame(1, "{\"type\":", false);
  Read r = read_one(reader, bytes);
  EXPECT_GT(r.used, 0u);
  EXPECT_EQ(r.event.kind, Kind::none);
  bytes = client_frame(9, "are you there");
  r = read_one(reader, bytes);
  EXPECT_EQ(r.event.kind, Kind::ping);
  EXPECT_EQ(r.payload, "are you there");
  bytes = client_frame(0, "\"pi", false);
  EXPECT_EQ(read_one(reader, bytes).event.kind, Kind::none);
  bytes = client_frame(0, "ng\"}");
  r = read_one(reader, bytes);
  EXPECT_EQ(r.event.kind, Kind::message);
  EXPECT_EQ(r.payload, R"({"type":"ping"})");
  // And the next message starts clean.
  bytes = client_frame(2, "\xFF\xFE");
  r = read_one(reader, bytes);
  EXPECT_EQ(r.event.kind, Kind::message);
  EXPECT_TRUE(r.event.binary);  // binary messages are not UTF-8 checked
}

TEST(WsFrame, RefusesProtocolViolationsWith1002) {
  struct Case {
    std::string bytes;
    const char* why;
  };
  std::string unmasked = client_frame(1, "hi");
  unmasked[1] = static_cast<char>(unmasked[1] & 0x7F);
  const std::vector<Case> cases = {
      {unmasked, "client frames must be masked"},
      {client_frame(1, "hi", true, 0x40), "reserved bits set"},
      {client_frame(3, "hi"), "unknown opcode"},
      {client_frame(9, "hi", false), "fragmented control frame"},
      {client_frame(9, std::string(126, 'x')), "control frame too long"},
      {client_frame(0, "hi"), "continuation frame without a message"},
      {client_frame(8, "x"), "close frame with a 1-byte payload"},
      {client_frame(8, std::string("\x03\xED", 2)), "invalid close code"},  // 1005 is never sent
  };
  for (auto c : cases) {
    FrameReader reader(1024);
    const Read r = read_one(reader, c.bytes);
    EXPECT_EQ(r.event.kind, Kind::error) << c.why;
    EXPECT_EQ(r.event.code, 1002) << c.why;
    EXPECT_EQ(r.event.reason, c.why);
  }
  FrameReader reader(1024);
  std::string bytes = client_frame(1, "part", false) + client_frame(1, "new");
  const Read first = read_one(reader, bytes);
  std::string rest = bytes.substr(first.used);
  const Read second = read_one(reader, rest);
  EXPECT_EQ(second.event.kind, Kind::error);
  EXPECT_EQ(second.event.reason, "new message inside a fragmented one");
}

TEST(WsFrame, RefusesATooBigMessageFromItsHeaderAlone) {
  FrameReader reader(1000);
  std::string header_only = client_frame(1, std::string(1001, 'x')).substr(0, 8);
  const Read r = read_one(reader, header_only);
  EXPECT_EQ(r.event.kind, Kind::error);
  EXPECT_EQ(r.event.code, 1009);

  FrameReader fragments(1000);  // the limit is on the whole message, not each fragment
  std::string bytes = client_frame(1, std::string(600, 'x'), false);
  ASSERT_EQ(read_one(fragments, bytes).event.kind, Kind::none);
  bytes = client_frame(0, std::string(401, 'x'));
  EXPECT_EQ(read_one(fragments, bytes).event.code, 1009);

  FrameReader exact(1000);
  bytes = client_frame(1, std::string(1000, 'x'));
  EXPECT_EQ(read_one(exact, bytes).event.kind, Kind::message);
}

TEST(WsFrame, RefusesTextThatIsNotUtf8With1007) {
  FrameReader reader(1024);
  std::string bytes = client_frame(1, "caf\xC3");
  Read r = read_one(reader, bytes);
  EXPECT_EQ(r.event.kind, Kind::error);
  EXPECT_EQ(r.event.code, 1007);

  FrameReader split(1024);  // a character split across fragments is fine
  bytes = client_frame(1, "caf\xC3", false);
  ASSERT_EQ(read_one(split, bytes).event.kind, Kind::none);
  bytes = client_frame(0, "\xA9");
  r = read_one(split, bytes);
  EXPECT_EQ(r.event.kind, Kind::message);
  EXPECT_EQ(r.payload, "caf\xC3\xA9");
}

TEST(WsFrame, ReadsCloseFramesWithAndWithoutACode) {
  FrameReader reader(1024);
  std::string bytes = client_frame(8, std::string("\x0F\xA1", 2) + "bye");  // 4001
  Read r = read_one(reader, bytes);
  EXPECT_EQ(r.event.kind, Kind::close);
  EXPECT_EQ(r.event.code, 4001);
  EXPECT_EQ(r.event.reason, "bye");
  FrameReader empty(1024);
  bytes = client_frame(8, "");
  r = read_one(empty, bytes);
  EXPECT_EQ(r.event.kind, Kind::close);
  EXPECT_EQ(r.event.code, 1005);
}

TEST(WsHandshake, ComputesTheAcceptKeyOfRfc6455) {
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsHandshake, ChecksVersionAndKey) {
  BeastRequest request{boost::beast::http::verb::get, "/ws", 11};
  request.set(boost::beast::http::field::connection, "Upgrade");
  request.set(boost::beast::http::field::upgrade, "websocket");
  request.set(boost::beast::http::field::sec_websocket_version, "13");
  request.set(boost::beast::http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_FALSE(check_upgrade(request).has_value());

  auto bad_key = request;
  bad_key.set(boost::beast::http::field::sec_websocket_key, "short");
  ASSERT_TRUE(check_upgrade(bad_key).has_value());
  EXPECT_EQ(check_upgrade(bad_key)->status, 400);

  auto old_version = request;
  old_version.set(boost::beast::http::field::sec_websocket_version, "8");
  const auto refusal = check_upgrade(old_version);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->status, 426);
  ASSERT_EQ(refusal->headers.size(), 1u);
  EXPECT_EQ(refusal->headers[0].second, "13");
}

}  // namespace
}  // namespace parley::ws
