// parley::client::Rest against the real server: refresh-and-retry on 401 (one refresh for many
// waiting calls), refused credentials, and streamed uploads with progress.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <fstream>

#include "harness.hpp"
#include "parley/rest.hpp"

namespace parley::client::test {
namespace {

class RestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(dir_.path());
    alice_ = register_user(server_->port(), "alice");
  }

  // Options with a refused access token and alice's (valid) refresh token.
  ClientOptions stale_token_options() {
    ClientOptions o = options_for(server_->port(), alice_);
    o.username.clear();
    o.password.clear();
    o.access_token = "not-a-valid-token";
    o.refresh_token = alice_.refresh_token;
    return o;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  Account alice_;
};

TEST_F(RestTest, RefusedAccessTokenIsRefreshedOnceForAllWaitingCalls) {
  boost::asio::io_context io;
  std::vector<Tokens> tokens;
  Rest rest(io, stale_token_options(), [&](const Tokens& t) { tokens.push_back(t); });
  std::vector<RestResult> results;
  for (int i = 0; i < 5; ++i) rest.request("GET", "/api/me", "", [&](RestResult r) { results.push_back(r); });
  io.run();
  ASSERT_EQ(results.size(), 5u);
  for (const auto& r : results) {
    EXPECT_EQ(r.status, 200) << r.body << r.error;
    EXPECT_NE(r.body.find("\"username\":\"alice\""), std::string::npos) << r.body;
  }
  ASSERT_EQ(tokens.size(), 1u);  // a refresh token works once: one refresh for all five
  EXPECT_NE(tokens[0].refresh_token, alice_.refresh_token);
}

TEST_F(RestTest, RejectedRefreshTokenIsAnAuthFailure) {
  boost::asio::io_context io;
  ClientOptions o = stale_token_options();
  o.refresh_token = "not-a-refresh-token";
  Rest rest(io, o);
  RestResult result;
  rest.request("POST", "/api/rooms", R"({"name":"never"})", [&](RestResult r) { result = r; });
  io.run();
  EXPECT_TRUE(result.auth_failed);
  EXPECT_EQ(result.status, 401);
  EXPECT_NE(result.error.find("refresh token was rejected"), std::string::npos) << result.error;
}

TEST_F(RestTest, UnreachableServerIsStatusZeroWithAReason) {
  const auto port = server_->port();
  server_.reset();  // stopped: nothing listens on the port any more
  boost::asio::io_context io;
  Rest rest(io, options_for(port, alice_));
  RestResult result;
  rest.request("GET", "/api/rooms", "", [&](RestResult r) { result = r; });
  io.run();
  EXPECT_EQ(result.status, 0);
  EXPECT_FALSE(result.auth_failed);
  EXPECT_NE(result.error.find("could not connect"), std::string::npos) << result.error;
}

TEST_F(RestTest, UploadStreamsTheFileWithProgress) {
  const auto path = dir_.path() / "notes.txt";
  std::string text;
  for (int i = 0; text.size() < 300 * 1024; ++i) text += "line " + std::to_string(i) + "\n";
  std::ofstream(path) << text;

  boost::asio::io_context io;
  Rest rest(io, options_for(server_->port(), alice_));
  std::vector<std::pair<std::uint64_t, std::uint64_t>> progress;
  RestResult result;
  rest.upload_file(
      path.string(), [&](std::uint64_t sent, std::uint64_t total) { progress.emplace_back(sent, total); },
      [&](RestResult r) { result = r; });
  io.run();
  ASSERT_EQ(result.status, 200) << result.body << result.error;
  EXPECT_NE(result.body.find("\"original_filename\":\"notes.txt\""), std::string::npos) << result.body;
  EXPECT_NE(result.body.find("\"size\":" + std::to_string(text.size())), std::string::npos) << result.body;
  ASSERT_GE(progress.size(), 3u);  // 0, then per 64 KiB chunk
  EXPECT_EQ(progress.front(), std::make_pair(std::uint64_t{0}, std::uint64_t{text.size()}));
  EXPECT_EQ(progress.back(), std::make_pair(std::uint64_t{text.size()}, std::uint64_t{text.size()}));
  for (std::size_t i = 1; i < progress.size(); ++i) EXPECT_GT(progress[i].first, progress[i - 1].first);
}

TEST_F(RestTest, UploadRefusedForItsTokenIsSentAgainAfterARefresh) {
  const auto path = dir_.path() / "again.txt";
  std::ofstream(path) << std::string(100 * 1024, 'a') << "\n";
  boost::asio::io_context io;
  int refreshes = 0;
  Rest rest(io, stale_token_options(), [&](const Tokens&) { ++refreshes; });
  std::uint64_t zero_progress = 0;  // the file starts again from 0 on the retry
  RestResult result;
  rest.upload_file(
      path.string(), [&](std::uint64_t sent, std::uint64_t) { zero_progress += sent == 0; },
      [&](RestResult r) { result = r; });
  io.run();
  ASSERT_EQ(result.status, 200) << result.body << result.error;
  EXPECT_NE(result.body.find("\"size\":102401"), std::string::npos) << result.body;
  EXPECT_EQ(refreshes, 1);
  EXPECT_EQ(zero_progress, 2u);
}

TEST_F(RestTest, UploadOfAMissingFileFailsBeforeConnecting) {
  boost::asio::io_context io;
  Rest rest(io, options_for(server_->port(), alice_));
  RestResult result;
  rest.upload_file((dir_.path() / "missing").string(), nullptr, [&](RestResult r) { result = r; });
  io.run();
  EXPECT_EQ(result.status, 0);
  EXPECT_NE(result.error.find("cannot read"), std::string::npos) << result.error;
}

}  // namespace
}  // namespace parley::client::test
