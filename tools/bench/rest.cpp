#include "rest.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

namespace parley::bench {

namespace {

using Clock = std::chrono::steady_clock;

struct HttpResult {
  int status = 0;
  double retry_after_s = -1;
  std::string body;
};

// One keep-alive HTTP/1.1 connection; reconnects when the server closed it.
class HttpConn {
 public:
  HttpConn(std::string host, std::uint16_t port) : host_(std::move(host)), port_(port) {}
  ~HttpConn() { drop(); }
  HttpConn(const HttpConn&) = delete;
  HttpConn& operator=(const HttpConn&) = delete;

  HttpResult request(const char* method, const std::string& path, const std::string& body, const std::string& token,
                     Clock::time_point deadline) {
    for (int attempt = 1;; ++attempt) {
      try {
        return once(method, path, body, token, deadline);
      } catch (const std::runtime_error& e) {
        drop();
        if (attempt >= 3 || Clock::now() >= deadline) throw;
      }
    }
  }

 private:
  void drop() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buf_.clear();
  }

  void open(Clock::time_point deadline) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now()).count();
    timeval tv{static_cast<time_t>(std::max<long long>(left, 1000) / 1000000),
               static_cast<suseconds_t>(std::max<long long>(left, 1000) % 1000000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    if (::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1) throw std::runtime_error("bad host " + host_);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      const int err = errno;
      drop();
      throw std::runtime_error("connect to " + host_ + ":" + std::to_string(port_) + ": " + std::strerror(err));
    }
  }

  HttpResult once(const char* method, const std::string& path, const std::string& body, const std::string& token,
                  Clock::time_point deadline) {
    if (fd_ < 0) open(deadline);
    std::string req = std::string(method) + " " + path + " HTTP/1.1\r\nHost: " + host_ + ":" + std::to_string(port_) +
                      "\r\nAccept: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    if (!body.empty()) req += "Content-Type: application/json\r\n";
    if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
    req += "\r\n";
    req += body;
    for (std::size_t off = 0; off < req.size();) {
      const ssize_t n = ::send(fd_, req.data() + off, req.size() - off, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error(std::string("send: ") + std::strerror(errno));
      off += static_cast<std::size_t>(n);
    }
    std::size_t head_end;
    while ((head_end = buf_.find("\r\n\r\n")) == std::string::npos) fill();
    const std::string head = buf_.substr(0, head_end + 2);
    buf_.erase(0, head_end + 4);
    HttpResult r;
    if (head.size() < 12 || head.compare(0, 5, "HTTP/") != 0) throw std::runtime_error("bad HTTP response");
    r.status = std::atoi(head.c_str() + 9);
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    long length = -1;
    if (auto at = lower.find("\r\ncontent-length:"); at != std::string::npos) length = std::atol(&lower[at + 17]);
    if (auto at = lower.find("\r\nretry-after:"); at != std::string::npos) r.retry_after_s = std::atof(&lower[at + 14]);
    const bool close_after = lower.find("\r\nconnection: close") != std::string::npos;
    if (lower.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
      throw std::runtime_error("chunked HTTP responses are not supported");
    }
    if (length < 0) length = 0;
    while (buf_.size() < static_cast<std::size_t>(length)) fill();
    r.body = buf_.substr(0, static_cast<std::size_t>(length));
    buf_.erase(0, static_cast<std::size_t>(length));
    if (close_after) drop();
    return r;
  }

  void fill() {
    char tmp[16384];
    const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n == 0) throw std::runtime_error("connection closed by the server");
    if (n < 0) throw std::runtime_error(std::string("recv: ") + std::strerror(errno));
    buf_.append(tmp, static_cast<std::size_t>(n));
  }

  std::string host_;
  std::uint16_t port_;
  int fd_ = -1;
  std::string buf_;
};

std::string describe(const HttpResult& r) {
  return "HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 200);
}

// A request retried after Retry-After on 429/503, until the deadline.
HttpResult call(HttpConn& c, const char* method, const std::string& path, const std::string& body,
                const std::string& token, Clock::time_point deadline) {
  for (;;) {
    HttpResult r = c.request(method, path, body, token, deadline);
    if (r.status != 429 && r.status != 503) return r;
    const double wait_s = r.retry_after_s >= 0 ? std::max(0.1, r.retry_after_s) : 1.0;
    if (Clock::now() + std::chrono::duration<double>(wait_s) >= deadline) {
      throw std::runtime_error(std::string(method) + " " + path + " -> " + describe(r) + " (no time left to retry)");
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(wait_s));
  }
}

// fn(thread's connection, parser, i) for i in 0..n-1 on `threads` threads; the first failure stops
// the others and is rethrown with how far the phase got.
template <class Fn>
void phase(const Options& o, const char* name, int n, Fn fn) {
  if (n == 0) return;
  const auto t0 = Clock::now();
  std::atomic<int> next{0};
  std::atomic<int> done{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::string error;
  auto last_log = std::make_shared<std::atomic<long long>>(0);
  auto worker = [&] {
    HttpConn conn(o.host, o.port);
    simdjson::dom::parser parser;
    for (int i; !failed && (i = next++) < n;) {
      try {
        fn(conn, parser, i);
      } catch (const std::exception& e) {
        std::lock_guard lock(mu);
        if (!failed.exchange(true)) error = e.what();
        return;
      }
      const int d = ++done;
      const long long s = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - t0).count();
      long long prev = last_log->load();
      if (s >= prev + 5 && last_log->compare_exchange_strong(prev, s)) {
        std::fprintf(stderr, "setup: %s %d/%d\n", name, d, n);
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < std::min(o.setup_concurrency, n); ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (failed) {
    throw std::runtime_error("setup: " + std::string(name) + " failed after " + std::to_string(done.load()) + "/" +
                             std::to_string(n) + " in " + std::to_string(s) + " s: " + error);
  }
  std::fprintf(stderr, "setup: %s %d in %.1f s (%.0f/s)\n", name, n, s, n / std::max(s, 1e-3));
}

std::string json_string_field(simdjson::dom::parser& p, const std::string& body, const char* key) {
  std::string_view v;
  if (p.parse(body).get_object()[key].get_string().get(v) != simdjson::SUCCESS) return {};
  return std::string(v);
}

}  // namespace

ParleySetup parley_setup(const Options& o, Clock::time_point deadline) {
  const auto t0 = Clock::now();
  ParleySetup s;
  std::random_device rd;
  char tag[9];
  std::snprintf(tag, sizeof tag, "%08x", static_cast<unsigned>(rd()));
  s.tag = tag;
  const std::string password = "pb-" + s.tag + "-secret";
  {
    HttpConn c(o.host, o.port);
    const HttpResult r = call(c, "GET", "/healthz", "", "", deadline);
    if (r.status != 200) throw std::runtime_error("GET /healthz -> " + describe(r));
  }
  s.accounts.resize(static_cast<std::size_t>(o.parley_users));
  phase(o, "registering accounts", o.parley_users, [&](HttpConn& c, simdjson::dom::parser& p, int a) {
    const std::string username = "pb" + s.tag + "_" + std::to_string(a);
    const std::string body = R"({"username":")" + username + R"(","password":")" + password + R"("})";
    HttpResult r = call(c, "POST", "/api/auth/register", body, "", deadline);
    if (r.status == 409) r = call(c, "POST", "/api/auth/login", body, "", deadline);  // a retry that went through
    if (r.status < 200 || r.status > 299) throw std::runtime_error("POST /api/auth/register -> " + describe(r));
    std::string token = json_string_field(p, r.body, "access_token");
    if (token.empty()) throw std::runtime_error("register: no access_token in " + r.body.substr(0, 200));
    s.accounts[static_cast<std::size_t>(a)] = {username, std::move(token)};
  });
  s.room_ids.resize(static_cast<std::size_t>(o.rooms));
  // Room r is created by the account of client r, its first member.
  phase(o, "creating rooms", o.rooms, [&](HttpConn& c, simdjson::dom::parser& p, int r) {
    const std::string body = R"({"name":"bench )" + s.tag + " r" + std::to_string(r) + R"(","private":false})";
    const auto& acct = s.accounts[static_cast<std::size_t>(s.account_of(r, o.clients))];
    const HttpResult res = call(c, "POST", "/api/rooms", body, acct.token, deadline);
    std::int64_t id = 0;
    if (res.status != 201 || p.parse(res.body).get_object()["id"].get_int64().get(id) != simdjson::SUCCESS) {
      throw std::runtime_error("POST /api/rooms -> " + describe(res));
    }
    s.room_ids[static_cast<std::size_t>(r)] = id;
  });
  if (o.parley_join == "rest") {
    std::vector<std::pair<int, int>> joins;  // (account, room) pairs some client needs, creators left out
    std::set<std::pair<int, int>> seen;
    for (int i = 0; i < o.clients; ++i) {
      const int a = s.account_of(i, o.clients);
      const int r = i % o.rooms;
      if (a == s.account_of(r, o.clients) || !seen.emplace(a, r).second) continue;
      joins.emplace_back(a, r);
    }
    s.joins = static_cast<int>(joins.size());
    phase(o, "joining rooms", s.joins, [&](HttpConn& c, simdjson::dom::parser&, int j) {
      const auto [a, r] = joins[static_cast<std::size_t>(j)];
      const std::string path = "/api/rooms/" + std::to_string(s.room_ids[static_cast<std::size_t>(r)]) + "/join";
      const HttpResult res = call(c, "POST", path, "", s.accounts[static_cast<std::size_t>(a)].token, deadline);
      if (res.status != 200) throw std::runtime_error("POST " + path + " -> " + describe(res));
    });
  }
  s.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return s;
}

}  // namespace parley::bench
