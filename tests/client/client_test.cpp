// Integration tests of libparley-client against the real server binary (see harness.hpp).
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <set>

#include "harness.hpp"

namespace parley::client::test {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> contents(const std::vector<Message>& messages, RoomId room) {
  std::vector<std::string> out;
  for (const auto& m : messages) {
    if (m.room_id == room) out.push_back(m.content);
  }
  return out;
}

std::vector<Seq> seqs(const std::vector<Message>& messages, RoomId room) {
  std::vector<Seq> out;
  for (const auto& m : messages) {
    if (m.room_id == room) out.push_back(m.seq);
  }
  return out;
}

std::vector<Seq> one_to(Seq n) {
  std::vector<Seq> out;
  for (Seq s = 1; s <= n; ++s) out.push_back(s);
  return out;
}

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(dir_.path(), 0, extra_args());
    port_ = server_->port();
    alice_ = register_user(port_, "alice");
    bob_ = register_user(port_, "bob");
    room_ = create_room(port_, alice_, "general");
  }
  virtual std::vector<std::string> extra_args() { return {}; }

  void restart_on_same_port() {
    server_.reset();
    server_ = std::make_unique<ServerProcess>(dir_.path(), port_, extra_args());
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::uint16_t port_ = 0;
  Account alice_, bob_;
  RoomId room_ = 0;
};

TEST_F(ClientTest, TwoClientsChatInARoom) {
  TestClient a(options_for(port_, alice_));
  TestClient b(options_for(port_, bob_));
  a->join(room_);
  b->join(room_);
  a->start();
  b->start();
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return !r.joined.empty(); }));
  ASSERT_TRUE(b.events.wait([](const Recorder& r) { return !r.joined.empty(); }));
  a.events.locked([&](const Recorder& r) {
    ASSERT_EQ(r.connected.size(), 1u);
    EXPECT_EQ(r.connected[0].user.username, "alice");
    EXPECT_EQ(r.connected[0].heartbeat_s, 30);
    ASSERT_EQ(r.tokens.size(), 1u);  // logged in over REST
    EXPECT_FALSE(r.tokens[0].access_token.empty());
  });

  const std::string id = a->send(room_, "hello bob");
  EXPECT_EQ(id.size(), 34u);  // "c-" + 128 bits in hex
  EXPECT_NE(id, a->send(room_, "second"));

  ASSERT_TRUE(b.events.wait([](const Recorder& r) { return r.messages.size() == 2; }));
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return r.acks.size() == 2; }));
  b.events.locked([&](const Recorder& r) {
    EXPECT_EQ(r.messages[0].content, "hello bob");
    EXPECT_EQ(r.messages[0].sender, "alice");
    EXPECT_EQ(r.messages[0].client_id, id);
    EXPECT_EQ(r.messages[0].seq, 1);
    EXPECT_EQ(r.messages[1].content, "second");
  });
  a.events.locked([&](const Recorder& r) {
    EXPECT_EQ(r.acks[0].client_id, id);
    EXPECT_EQ(r.acks[0].seq, 1);
    EXPECT_EQ(r.acks[0].room_id, room_);
  });

  b->send(room_, "hi alice");
  ASSERT_TRUE(a.events.wait([&](const Recorder& r) { return contents(r.messages, room_).size() == 3; }));
  a.events.locked([&](const Recorder& r) { EXPECT_EQ(r.messages[2].content, "hi alice"); });

  // A later join learns every member's status and read receipt.
  b->mark_read(room_, 2);
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return !r.reads.empty(); }));
  TestClient late(options_for(port_, alice_));
  late->join(room_);
  late->start();
  ASSERT_TRUE(late.events.wait([](const Recorder& r) { return !r.joined.empty(); }));
  late.events.locked([&](const Recorder& r) {
    ASSERT_EQ(r.joined[0].members.size(), 2u);
    for (const auto& m : r.joined[0].members) {
      EXPECT_EQ(m.status, "online") << m.username;
      EXPECT_EQ(m.read_seq, m.username == "bob" ? 2 : 0) << m.username;
    }
  });
}

// The server dies (SIGKILL) and comes back on the same port and data: both clients reconnect
// with backoff, resume with since_seq, and the messages alice sent while it was down are
// delivered in order, exactly once.
TEST_F(ClientTest, ResumesAfterServerKillWithOfflineQueueInOrderExactlyOnce) {
  TestClient a(options_for(port_, alice_));
  TestClient b(options_for(port_, bob_));
  a->join(room_);
  b->join(room_);
  a->start();
  b->start();
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return !r.joined.empty(); }));
  ASSERT_TRUE(b.events.wait([](const Recorder& r) { return !r.joined.empty(); }));

  std::vector<std::string> sent = {"m1", "m2", "m3"};
  for (const auto& text : sent) a->send(room_, text);
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return r.acks.size() == 3; }));
  ASSERT_TRUE(b.events.wait([](const Recorder& r) { return r.messages.size() == 3; }));

  server_->kill_now();
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return r.disconnected.size() == 1; }));
  ASSERT_TRUE(b.events.wait([](const Recorder& r) { return r.disconnected.size() == 1; }));
  a.events.locked([](const Recorder& r) { EXPECT_EQ(r.disconnected[0].code, 1006); });

  std::vector<std::string> offline_ids;
  for (int i = 1; i <= 5; ++i) {
    sent.push_back("q" + std::to_string(i));
    offline_ids.push_back(a->send(room_, sent.back()));
  }
  // While the server is down the client keeps trying, with growing, jittered delays.
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return r.reconnecting.size() >= 3; }));
  a.events.locked([](const Recorder& r) {
    for (std::size_t i = 0; i < r.reconnecting.size(); ++i) {
      EXPECT_EQ(r.reconnecting[i].attempt, i + 1);
      EXPECT_LE(r.reconnecting[i].delay, backoff_ceiling(BackoffPolicy{200ms, 1000ms}, r.reconnecting[i].attempt));
    }
    EXPECT_EQ(r.connected.size(), 1u);
  });

  restart_on_same_port();
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return r.connected.size() == 2; }));
  ASSERT_TRUE(b.events.wait([](const Recorder& r) { return r.connected.size() == 2; }));
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return r.acks.size() == 8; }));
  // The ack comes before the sender's own copy of the message.
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return r.messages.size() >= 8; }));
  ASSERT_TRUE(b.events.wait([](const Recorder& r) { return r.messages.size() >= 8; }));

  a.events.locked([&](const Recorder& r) {
    std::vector<std::string> acked;
    for (std::size_t i = 3; i < r.acks.size(); ++i) acked.push_back(r.acks[i].client_id);
    EXPECT_EQ(acked, offline_ids);  // flushed in order, each acked once
    EXPECT_EQ(contents(r.messages, room_), sent);
    EXPECT_EQ(seqs(r.messages, room_), one_to(8));
  });
  b.events.locked([&](const Recorder& r) {
    EXPECT_EQ(contents(r.messages, room_), sent);  // nothing lost, nothing twice, in order
    EXPECT_EQ(seqs(r.messages, room_), one_to(8));
  });
  EXPECT_EQ(history_contents(port_, alice_, room_), sent);  // stored exactly once
}

// A message written to a server that never acked it (stopped, then killed) is sent again after
// the reconnect, with the same client_id, and delivered once.
TEST_F(ClientTest, ResendsAMessageTheServerNeverAcked) {
  TestClient a(options_for(port_, alice_));
  TestClient b(options_for(port_, bob_));
  a->join(room_);
  b->join(room_);
  a->start();
  b->start();
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return !r.joined.empty(); }));
  ASSERT_TRUE(b.events.wait([](const Recorder& r) { return !r.joined.empty(); }));

  server_->signal(SIGSTOP);
  const std::string id = a->send(room_, "unacked");  // written while connected, never read
  server_->signal(SIGKILL);                          // the stopped process dies without reading it
  server_->kill_now();
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return r.disconnected.size() == 1; }));
  a.events.locked([](const Recorder& r) { EXPECT_TRUE(r.acks.empty()); });

  restart_on_same_port();
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return r.acks.size() == 1; }));
  ASSERT_TRUE(b.events.wait([](const Recorder& r) { return r.messages.size() == 1; }));
  a.events.locked([&](const Recorder& r) { EXPECT_EQ(r.acks[0].client_id, id); });
  b.events.locked([&](const Recorder& r) {
    EXPECT_EQ(r.messages[0].content, "unacked");
    EXPECT_EQ(r.messages[0].client_id, id);
  });
  EXPECT_EQ(history_contents(port_, alice_, room_), std::vector<std::string>{"unacked"});
}

// A client that was away resumes with since_seq and gets exactly what it missed.
TEST_F(ClientTest, RejoinAfterCloseResumesFromTheHighestSeqSeen) {
  TestClient a(options_for(port_, alice_));
  TestClient b(options_for(port_, bob_));
  a->join(room_);
  b->join(room_);
  a->start();
  b->start();
  ASSERT_TRUE(b.events.wait([](const Recorder& r) { return !r.joined.empty(); }));
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return !r.joined.empty(); }));
  a->send(room_, "one");
  ASSERT_TRUE(b.events.wait([](const Recorder& r) { return r.messages.size() == 1; }));

  b->close();
  ASSERT_TRUE(b.events.wait([](const Recorder& r) { return r.disconnected.size() == 1; }));
  b.events.locked([](const Recorder& r) { EXPECT_EQ(r.disconnected[0].code, 1000); });
  a->send(room_, "two");
  a->send(room_, "three");
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return r.acks.size() == 3; }));

  b->start();
  ASSERT_TRUE(b.events.wait([](const Recorder& r) { return r.messages.size() >= 3; }));
  a->send(room_, "four");
  ASSERT_TRUE(b.events.wait([](const Recorder& r) { return r.messages.size() >= 4; }));
  b.events.locked([&](const Recorder& r) {
    EXPECT_EQ(contents(r.messages, room_), (std::vector<std::string>{"one", "two", "three", "four"}));
    EXPECT_EQ(seqs(r.messages, room_), one_to(4));
    EXPECT_EQ(r.connected.size(), 2u);
  });
}

class HeartbeatTest : public ClientTest {
 protected:
  std::vector<std::string> extra_args() override { return {"--heartbeat-s", "1"}; }
};

// A server that stops answering (SIGSTOP keeps the TCP connection open) is detected as dead
// within two heartbeat periods, and the client reconnects once it is back.
TEST_F(HeartbeatTest, StoppedServerIsDetectedByHeartbeat) {
  TestClient a(options_for(port_, alice_));
  a->start();
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return !r.connected.empty(); }));
  a.events.locked([](const Recorder& r) { EXPECT_EQ(r.connected[0].heartbeat_s, 1); });

  server_->signal(SIGSTOP);
  const auto stopped_at = Clock::now();
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return !r.disconnected.empty(); }, 10s));
  const auto detected_after = Clock::now() - stopped_at;
  a.events.locked([](const Recorder& r) {
    EXPECT_EQ(r.disconnected[0].code, 1006);
    EXPECT_EQ(r.disconnected[0].reason, "heartbeat timeout");
  });
  EXPECT_LE(detected_after, 2s + 500ms);  // 2 x heartbeat_s after the last sign of life, plus slack

  server_->signal(SIGCONT);
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return r.connected.size() == 2; }));
}

// An idle but live connection is not mistaken for a dead one: the client's pings get pongs.
TEST_F(HeartbeatTest, IdleLiveConnectionStaysUp) {
  TestClient a(options_for(port_, alice_));
  a->start();
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return !r.connected.empty(); }));
  // Wait for something unrelated that takes more than 2 x heartbeat_s: nothing must happen.
  EXPECT_FALSE(a.events.wait([](const Recorder& r) { return !r.disconnected.empty(); }, 4s));
}

class ShortTokenTest : public ClientTest {
 protected:
  std::vector<std::string> extra_args() override { return {"--access-token-ttl-s", "2"}; }
};

TEST_F(ShortTokenTest, AccessTokenIsRefreshedBeforeExpiry) {
  TestClient a(options_for(port_, alice_));
  a->start();
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return r.tokens.size() >= 3; }, 10s));
  a.events.locked([](const Recorder& r) {
    EXPECT_EQ(r.tokens[0].expires_in_s, 2);
    EXPECT_NE(r.tokens[1].refresh_token, r.tokens[0].refresh_token);  // rotated
    EXPECT_NE(r.tokens[2].refresh_token, r.tokens[1].refresh_token);
    EXPECT_TRUE(r.errors.empty());
    EXPECT_EQ(r.connected.size(), 1u);
  });
}

// Tokens handed in by the application: the expiry comes from the JWT's `exp`, so they are
// refreshed ahead of time too, on an open connection that never sees a 401.
TEST_F(ShortTokenTest, AppSuppliedTokenIsRefreshedBeforeItsJwtExpiry) {
  ClientOptions o = options_for(port_, alice_);
  o.username.clear();
  o.password.clear();
  o.access_token = alice_.access_token;
  o.refresh_token = alice_.refresh_token;
  TestClient a(o);
  a->start();
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return r.tokens.size() >= 2; }, 10s));
  a.events.locked([](const Recorder& r) {
    EXPECT_EQ(r.connected.size(), 1u);
    EXPECT_TRUE(r.reconnecting.empty());
    EXPECT_TRUE(r.errors.empty());
  });
}

TEST_F(ClientTest, RefusedAccessTokenIsRefreshedAtConnect) {
  ClientOptions o = options_for(port_, alice_);
  o.username.clear();
  o.password.clear();
  o.access_token = "not-a-valid-token";
  o.refresh_token = alice_.refresh_token;
  TestClient a(o);
  a->start();
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return !r.connected.empty() || !r.errors.empty(); }));
  a.events.locked([](const Recorder& r) {
    ASSERT_EQ(r.connected.size(), 1u);
    ASSERT_EQ(r.tokens.size(), 1u);  // refreshed once, after the 401
    EXPECT_TRUE(r.reconnecting.empty());
    EXPECT_TRUE(r.errors.empty());
  });
}

TEST_F(ClientTest, RejectedRefreshTokenStopsWithAClearError) {
  ClientOptions o = options_for(port_, alice_);
  o.username.clear();
  o.password.clear();
  o.access_token = "not-a-valid-token";
  o.refresh_token = "not-a-valid-refresh-token";
  TestClient a(o);
  a->start();
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return !r.errors.empty(); }));
  a.events.locked([](const Recorder& r) {
    EXPECT_EQ(r.errors[0].code, "auth_failed");
    EXPECT_NE(r.errors[0].message.find("refresh token was rejected"), std::string::npos);
    EXPECT_TRUE(r.connected.empty());
    EXPECT_TRUE(r.reconnecting.empty());  // stopped, not retrying
  });
}

TEST_F(ClientTest, WrongPasswordStopsWithAuthFailed) {
  ClientOptions o = options_for(port_, alice_);
  o.password = "wrong password";
  TestClient a(o);
  a->start();
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return !r.errors.empty(); }));
  a.events.locked([](const Recorder& r) {
    EXPECT_EQ(r.errors[0].code, "auth_failed");
    EXPECT_TRUE(r.reconnecting.empty());
  });
}

TEST_F(ClientTest, GivesUpAfterMaxReconnectAttempts) {
  ClientOptions o = options_for(port_, alice_);
  o.max_reconnect_attempts = 2;
  o.backoff = BackoffPolicy{10ms, 20ms};
  TestClient a(o);
  a->start();
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return !r.connected.empty(); }));
  server_->kill_now();
  ASSERT_TRUE(a.events.wait([](const Recorder& r) { return !r.errors.empty(); }));
  a.events.locked([](const Recorder& r) {
    EXPECT_EQ(r.errors[0].code, "reconnect_failed");
    EXPECT_EQ(r.reconnecting.size(), 2u);
  });
}

// Against a minimal WebSocket server: messages repeated by seq are delivered once, and close()
// sends close code 1000 (observed at the server end).
TEST(ClientFakeServer, DropsDuplicateSeqsAndClosesWithCode1000) {
  namespace asio = boost::asio;
  namespace websocket = boost::beast::websocket;
  asio::io_context server_io;
  asio::ip::tcp::acceptor acceptor(server_io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = acceptor.local_endpoint().port();
  std::promise<int> close_code;
  std::thread peer([&] {
    try {
      websocket::stream<asio::ip::tcp::socket> ws(server_io);
      acceptor.accept(ws.next_layer());
      ws.accept();
      ws.text(true);
      ws.write(asio::buffer(std::string(R"({"type":"hello","user":{"id":1,"username":"alice"},"heartbeat_s":30})")));
      // Duplicates by seq (as a buggy or clustered server might send) must reach the app once.
      for (int seq : {1, 1, 2, 1, 2, 3}) {
        ws.write(asio::buffer(R"({"type":"message","id":)" + std::to_string(seq) + R"(,"seq":)" + std::to_string(seq) +
                              R"(,"room_id":7,"sender":"bob","sender_id":2,"content":"m)" + std::to_string(seq) +
                              R"(","deleted":false,"client_id":null})"));
      }
      boost::beast::flat_buffer buffer;
      boost::beast::error_code ec;
      while (!ec) ws.read(buffer, ec);
      close_code.set_value(ec == websocket::error::closed ? static_cast<int>(ws.reason().code) : -1);
    } catch (...) {
      close_code.set_value(-2);
    }
  });

  ClientOptions o;
  o.port = port;
  o.access_token = "token-the-fake-server-does-not-check";
  auto close_future = close_code.get_future();
  {
    TestClient a(o);
    a->start();
    ASSERT_TRUE(a.events.wait([](const Recorder& r) { return !r.connected.empty(); }));
    ASSERT_TRUE(a.events.wait([](const Recorder& r) { return !r.messages.empty() && r.messages.back().seq == 3; }));
    a.events.locked([](const Recorder& r) {
      EXPECT_EQ(seqs(r.messages, 7), (std::vector<Seq>{1, 2, 3}));
      EXPECT_EQ(contents(r.messages, 7), (std::vector<std::string>{"m1", "m2", "m3"}));
      EXPECT_FALSE(r.messages[0].client_id.has_value());
    });
    a->close();
    ASSERT_TRUE(a.events.wait([](const Recorder& r) { return !r.disconnected.empty(); }));
    a.events.locked([](const Recorder& r) { EXPECT_EQ(r.disconnected[0].code, 1000); });
    ASSERT_EQ(close_future.wait_for(10s), std::future_status::ready);
    EXPECT_EQ(close_future.get(), 1000);
    EXPECT_FALSE(a.events.wait([](const Recorder& r) { return !r.reconnecting.empty(); }, 300ms));
  }
  peer.join();
}

}  // namespace
}  // namespace parley::client::test
