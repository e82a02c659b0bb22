// Test harness for the client library: runs the real `parley` binary as a child process, a tiny
// synchronous REST helper, a client running on its own thread, and an event recorder whose waits
// have deadlines (condition variables, no sleeps).
#pragma once

#include <sys/types.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "parley/client.hpp"

namespace parley::client::test {

using namespace std::chrono_literals;

// A fresh directory under the system temp dir, removed with its contents at the end.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// `parley serve --listen 127.0.0.1:PORT --data-dir DIR ...` with test settings. The constructor
// returns once the server logged `listening on HOST:PORT` (deadline 20 s; throws otherwise).
class ServerProcess {
 public:
  ServerProcess(const std::filesystem::path& data_dir, std::uint16_t port = 0, std::vector<std::string> extra = {});
  ~ServerProcess();  // SIGKILL if still running
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  void signal(int sig);  // SIGSTOP, SIGCONT, ...
  void kill_now();       // SIGKILL and reap
  std::string output();  // everything it printed so far

 private:
  void read_output();

  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string output_;
  bool eof_ = false;
};

struct HttpReply {
  int status = 0;
  std::string body;
};
// One synchronous request to 127.0.0.1:port (Beast), JSON body, optional bearer token.
HttpReply http(std::uint16_t port, const std::string& method, const std::string& target, const std::string& body = {},
               const std::string& token = {});

struct Account {
  std::int64_t id = 0;
  std::string username;
  std::string password;
  std::string access_token;
  std::string refresh_token;
};
Account register_user(std::uint16_t port, const std::string& username);
std::int64_t create_room(std::uint16_t port, const Account& owner, const std::string& name);
// The number of messages in the room's history (up to 200), and their contents in seq order.
std::vector<std::string> history_contents(std::uint16_t port, const Account& reader, std::int64_t room);

// Every event a client delivered, in order.
class Recorder {
 public:
  std::vector<Connected> connected;
  std::vector<Disconnected> disconnected;
  std::vector<Reconnecting> reconnecting;
  std::vector<Tokens> tokens;
  std::vector<Joined> joined;
  std::vector<Message> messages;
  std::vector<Ack> acks;
  std::vector<Presence> presence;
  std::vector<ReadReceipt> reads;
  std::vector<Error> errors;

  Handlers handlers();

  // Waits until pred(*this) holds (evaluated under the lock), at most `timeout`.
  bool wait(const std::function<bool(const Recorder&)>& pred, std::chrono::milliseconds timeout = 15s);
  // Runs fn(*this) under the lock (a consistent snapshot for assertions).
  template <class Fn>
  auto locked(Fn fn) {
    std::lock_guard lock(mu_);
    return fn(static_cast<const Recorder&>(*this));
  }

 private:
  template <class T>
  std::function<void(const T&)> push(std::vector<T> Recorder::*list);

  std::mutex mu_;
  std::condition_variable cv_;
};

// A Client on its own io_context thread, with its events recorded.
class TestClient {
 public:
  explicit TestClient(ClientOptions options);
  ~TestClient();  // stops the io thread, then destroys the client
  Client& operator*() { return *client_; }
  Client* operator->() { return client_.get(); }
  Recorder events;

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<Client> client_;
  std::thread thread_;
};

ClientOptions options_for(std::uint16_t port, const Account& account);

}  // namespace parley::client::test
