#include "harness.hpp"

#include <signal.h>
#include <simdjson.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdlib>
#include <regex>
#include <stdexcept>

namespace parley::client::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

// ---- TempDir

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "parley-client-test-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

// ---- ServerProcess

namespace {
std::string parley_bin() {
  if (const char* env = std::getenv("PARLEY_BIN"); env && *env) return env;
#ifdef PARLEY_BIN_DEFAULT
  return PARLEY_BIN_DEFAULT;
#else
  throw std::runtime_error("set PARLEY_BIN to the parley binary");
#endif
}
}  // namespace

ServerProcess::ServerProcess(const std::filesystem::path& data_dir, std::uint16_t port,
                             std::vector<std::string> extra) {
  std::vector<std::string> args = {
      parley_bin(),           "serve",           "--listen",          "127.0.0.1:" + std::to_string(port),
      "--data-dir",           data_dir.string(), "--threads",         "1",
      "--password-hash-cost", "minimum",         "--auth-rate-burst", "100000",
      "--auth-rate-per-s",    "100000"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {  // child: only async-signal-safe calls until exec
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  out_fd_ = fds[0];
  reader_ = std::thread([this] { read_output(); });

  static const std::regex listening(R"(listening on [^ ]+:(\d+))");
  std::unique_lock lock(mu_);
  std::smatch match;
  const bool up = cv_.wait_for(lock, 20s, [&] { return eof_ || std::regex_search(output_, match, listening); });
  if (!up || eof_) {
    const std::string out = output_;
    lock.unlock();
    kill_now();
    throw std::runtime_error("parley did not start; output:\n" + out);
  }
  port_ = static_cast<std::uint16_t>(std::stoi(match[1].str()));
}

ServerProcess::~ServerProcess() {
  kill_now();
}

void ServerProcess::read_output() {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    std::lock_guard lock(mu_);
    if (n <= 0) {
      eof_ = true;
      cv_.notify_all();
      return;
    }
    output_.append(buf, static_cast<std::size_t>(n));
    cv_.notify_all();
  }
}

void ServerProcess::signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

void ServerProcess::kill_now() {
  if (pid_ > 0) {
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  if (reader_.joinable()) reader_.join();
  if (out_fd_ >= 0) {
    ::close(out_fd_);
    out_fd_ = -1;
  }
}

std::string ServerProcess::output() {
  std::lock_guard lock(mu_);
  return output_;
}

// ---- REST

HttpReply http(std::uint16_t port, const std::string& method, const std::string& target, const std::string& body,
               const std::string& token) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  asio::ip::tcp::resolver resolver(io);
  stream.expires_after(10s);
  stream.connect(resolver.resolve("127.0.0.1", std::to_string(port)));
  bhttp::request<bhttp::string_body> req(bhttp::string_to_verb(method), target, 11);
  req.set(bhttp::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(bhttp::field::content_type, "application/json");
  if (!token.empty()) req.set(bhttp::field::authorization, "Bearer " + token);
  req.body() = body;
  req.prepare_payload();
  bhttp::write(stream, req);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(stream, buffer, res);
  beast::error_code ec;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  return HttpReply{static_cast<int>(res.result_int()), res.body()};
}

namespace {
simdjson::dom::element parse(simdjson::dom::parser& parser, const std::string& body) {
  simdjson::dom::element doc;
  if (parser.parse(body).get(doc) != simdjson::SUCCESS) throw std::runtime_error("bad JSON: " + body);
  return doc;
}
}  // namespace

Account register_user(std::uint16_t port, const std::string& username) {
  Account a;
  a.username = username;
  a.password = "password-of-" + username;
  const auto reply = http(port, "POST", "/api/auth/register",
                          R"({"username":")" + username + R"(","password":")" + a.password + R"("})");
  if (reply.status != 201) throw std::runtime_error("register failed: " + reply.body);
  simdjson::dom::parser parser;
  auto doc = parse(parser, reply.body);
  a.access_token = std::string(std::string_view(doc["access_token"]));
  a.refresh_token = std::string(std::string_view(doc["refresh_token"]));
  a.id = std::int64_t(doc["user"]["id"]);
  return a;
}

std::int64_t create_room(std::uint16_t port, const Account& owner, const std::string& name) {
  const auto reply = http(port, "POST", "/api/rooms", R"({"name":")" + name + R"("})", owner.access_token);
  if (reply.status != 201) throw std::runtime_error("create room failed: " + reply.body);
  simdjson::dom::parser parser;
  return std::int64_t(parse(parser, reply.body)["id"]);
}

std::vector<std::string> history_contents(std::uint16_t port, const Account& reader, std::int64_t room) {
  const auto reply =
      http(port, "GET", "/api/messages?limit=200&since_seq=0&room_id=" + std::to_string(room), {}, reader.access_token);
  if (reply.status != 200) throw std::runtime_error("history failed: " + reply.body);
  simdjson::dom::parser parser;
  std::vector<std::string> out;
  for (auto m : simdjson::dom::array(parse(parser, reply.body)["messages"])) {
    out.emplace_back(std::string_view(m["content"]));
  }
  return out;
}

// ---- Recorder

template <class T>
std::function<void(const T&)> Recorder::push(std::vector<T> Recorder::*list) {
  return [this, list](const T& event) {
    std::lock_guard lock(mu_);
    (this->*list).push_back(event);
    cv_.notify_all();
  };
}

Handlers Recorder::handlers() {
  Handlers h;
  h.on_connected = push(&Recorder::connected);
  h.on_disconnected = push(&Recorder::disconnected);
  h.on_reconnecting = push(&Recorder::reconnecting);
  h.on_tokens = push(&Recorder::tokens);
  h.on_joined = push(&Recorder::joined);
  h.on_message = push(&Recorder::messages);
  h.on_ack = push(&Recorder::acks);
  h.on_presence = push(&Recorder::presence);
  h.on_read = push(&Recorder::reads);
  h.on_error = push(&Recorder::errors);
  return h;
}

bool Recorder::wait(const std::function<bool(const Recorder&)>& pred, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return pred(*this); });
}

// ---- TestClient

TestClient::TestClient(ClientOptions options) : work_(io_.get_executor()) {
  client_ = std::make_unique<Client>(io_, std::move(options), events.handlers());
  thread_ = std::thread([this] { io_.run(); });
}

TestClient::~TestClient() {
  work_.reset();
  io_.stop();
  thread_.join();
  client_.reset();
}

ClientOptions options_for(std::uint16_t port, const Account& account) {
  ClientOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.username = account.username;
  o.password = account.password;
  o.backoff = BackoffPolicy{200ms, 1000ms};  // short, so the tests stay fast
  o.request_timeout = 5000ms;
  return o;
}

}  // namespace parley::client::test
