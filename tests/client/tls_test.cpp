// wss:// and https:// in the client library against the real server started with --tls-cert and
// --tls-key, with a CA and certificates made fresh by tests/tools/make_test_certs.sh: the test CA
// is trusted, an unrelated CA is refused for REST and WebSocket alike, uploads stream over TLS.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <fstream>

#include "harness.hpp"
#include "parley/rest.hpp"

namespace parley::client::test {
namespace {

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string make_certs = std::string("bash ") + PARLEY_MAKE_TEST_CERTS + " " + (dir_.path() / "pki").string();
    ASSERT_EQ(std::system(make_certs.c_str()), 0);
    server_ = std::make_unique<ServerProcess>(
        dir_.path() / "data", 0,
        std::vector<std::string>{"--tls-cert", pki("server.pem"), "--tls-key", pki("server.key")});
  }

  std::string pki(const std::string& name) const { return (dir_.path() / "pki" / name).string(); }

  // A new user registered over https with `ca` trusted.
  ClientOptions options(const std::string& username, const std::string& ca) const {
    ClientOptions o;
    o.host = "127.0.0.1";
    o.port = server_->port();
    o.tls = true;
    o.ca_file = ca;
    o.username = username;
    o.password = "tls-password-" + username;
    o.register_user = true;
    o.max_reconnect_attempts = 1;
    o.backoff.initial = std::chrono::milliseconds(10);
    return o;
  }

  // One REST call over https, run to completion.
  RestResult call(Rest& rest, const std::string& method, const std::string& target, const std::string& body = {}) {
    RestResult result;
    rest.request(method, target, body, [&](RestResult r) { result = std::move(r); });
    io_.run();
    io_.restart();
    return result;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  boost::asio::io_context io_;
};

TEST_F(TlsTest, RestAndWebSocketWorkWithTheTrustedCa) {
  Rest rest(io_, options("alice", pki("ca.pem")));
  const RestResult room = call(rest, "POST", "/api/rooms", R"({"name":"over tls"})");
  ASSERT_EQ(room.status, 201) << room.body << room.error;
  const RoomId room_id = std::stoll(room.body.substr(room.body.find("\"id\":") + 5));

  ClientOptions o = options("alice", pki("ca.pem"));
  o.register_user = false;  // registered by the Rest call above
  TestClient client(o);
  client->join(room_id);
  client->start();
  ASSERT_TRUE(client.events.wait([](const Recorder& r) { return !r.joined.empty(); }));
  client->send(room_id, "hello over wss");
  ASSERT_TRUE(client.events.wait([](const Recorder& r) { return !r.acks.empty() && !r.messages.empty(); }));
  client.events.locked([](const Recorder& r) { EXPECT_EQ(r.messages[0].content, "hello over wss"); });
}

TEST_F(TlsTest, AnUnrelatedCaIsRefusedForRestAndWebSocket) {
  Rest rest(io_, options("bob", pki("other-ca.pem")));
  const RestResult refused = call(rest, "GET", "/api/me");
  EXPECT_EQ(refused.status, 0);
  EXPECT_NE(refused.error.find("certificate verify failed"), std::string::npos) << refused.error;

  ClientOptions o = options("bob", pki("other-ca.pem"));
  o.access_token = "unused";  // straight to the WebSocket, so the failure is the handshake's
  TestClient client(o);
  client->start();
  ASSERT_TRUE(client.events.wait([](const Recorder& r) { return !r.errors.empty(); }));
  client.events.locked([](const Recorder& r) {
    EXPECT_TRUE(r.connected.empty());
    EXPECT_EQ(r.errors[0].code, "reconnect_failed");
    EXPECT_NE(r.errors[0].message.find("certificate verify failed"), std::string::npos) << r.errors[0].message;
    ASSERT_FALSE(r.reconnecting.empty());
    EXPECT_NE(r.reconnecting[0].reason.find("certificate verify failed"), std::string::npos);
  });
}

TEST_F(TlsTest, UploadsStreamOverTls) {
  const auto path = dir_.path() / "big.txt";
  std::string text;
  while (text.size() < 300 * 1024) text += "a line of a text file sent over TLS\n";
  std::ofstream(path) << text;
  Rest rest(io_, options("carol", pki("ca.pem")));
  RestResult result;
  rest.upload_file(path.string(), {}, [&](RestResult r) { result = std::move(r); });
  io_.run();
  ASSERT_EQ(result.status, 200) << result.body << result.error;
  EXPECT_NE(result.body.find("\"size\":" + std::to_string(text.size())), std::string::npos) << result.body;
}

}  // namespace
}  // namespace parley::client::test
