#include "upload.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/write.hpp>

#include <cerrno>
#include <cstring>

#include "text.hpp"

namespace parley::client::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kChunkBytes = 64 * 1024;

std::string base_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return name.empty() ? "file" : name;
}

// The plain `filename` parameter: ASCII only, without quotes, backslashes and control characters.
// The exact (UTF-8) name goes into `filename*` (RFC 5987), which the server prefers.
std::string ascii_fallback(const std::string& name) {
  std::string out;
  for (unsigned char c : name) out += (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') ? '_' : static_cast<char>(c);
  return out;
}

}  // namespace

Upload::Upload(asio::any_io_executor ex, const ClientOptions& options, std::string path, const std::string& bearer,
               Progress progress, HttpCall::Callback done)
    : options_(options),
      path_(std::move(path)),
      bearer_(bearer),
      progress_(std::move(progress)),
      done_(std::move(done)),
      connector_(ex),
      stream_(ex),
      deadline_(ex) {}

Upload::~Upload() {
  if (fd_ >= 0) ::close(fd_);
}

void Upload::run() {
  if (!open_file()) return;
  prepare(bearer_);
  connector_.async_connect(
      options_, stream_, options_.request_timeout, [self = shared_from_this()](beast::error_code ec, std::string what) {
        if (ec) return self->finish(ec, std::move(what));
        beast::get_lowest_layer(self->stream_).expires_never();  // our own deadline_ from here on
        http::async_read(self->stream_, self->buffer_, self->res_, [self](beast::error_code ec, std::size_t) {
          if (!ec) return self->finish({}, {});
          std::string what = self->write_error_.empty() ? "no reply to the upload: " + ec.message()
                                                        : "the upload was cut off: " + self->write_error_;
          self->finish(ec, std::move(what));
        });
        self->write_next();
      });
}

bool Upload::open_file() {
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd_ < 0 || ::fstat(fd_, &st) != 0) {
    const int err = errno;
    finish(beast::error_code(err, beast::system_category()), "cannot read " + path_ + ": " + std::strerror(err));
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    finish(beast::error_code(EINVAL, beast::system_category()), path_ + " is not a regular file");
    return false;
  }
  size_ = static_cast<std::uint64_t>(st.st_size);
  return true;
}

void Upload::prepare(const std::string& bearer) {
  const std::string boundary = "parley-" + random_hex(128);
  const std::string name = base_name(path_);
  const std::string part_head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
                                ascii_fallback(name) + "\"; filename*=UTF-8''" + url_encode(name) +
                                "\r\nContent-Type: application/octet-stream\r\n\r\n";
  tail_ = "\r\n--" + boundary + "--\r\n";
  const std::uint64_t length = part_head.size() + size_ + tail_.size();
  head_ = "POST /api/upload-file HTTP/1.1\r\nHost: " + authority_of(options_) +
          "\r\nUser-Agent: libparley-client\r\nAuthorization: Bearer " + bearer +
          "\r\nContent-Type: multipart/form-data; boundary=" + boundary +
          "\r\nContent-Length: " + std::to_string(length) + "\r\n\r\n" + part_head;
}

void Upload::write_next() {
  if (!done_) return;
  auto self = shared_from_this();
  auto on_written = [self](beast::error_code ec, std::size_t) { self->wrote(ec); };
  arm_deadline();
  switch (stage_) {
    case Stage::head:
      if (progress_) progress_(0, size_);
      asio::async_write(stream_, asio::buffer(head_), on_written);
      break;
    case Stage::file: {
      chunk_.resize(kChunkBytes);
      // A blocking read of a local file: short, and simpler than an asynchronous file API.
      const ssize_t n = ::read(fd_, chunk_.data(), chunk_.size());
      if (n < 0) {
        const int err = errno;
        return finish(beast::error_code(err, beast::system_category()),
                      "reading " + path_ + " failed: " + std::strerror(err));
      }
      if (n == 0) {  // the file shrank while being sent: the Content-Length can no longer be met
        return finish(beast::error_code(EIO, beast::system_category()), path_ + " changed while it was uploaded");
      }
      chunk_.resize(static_cast<std::size_t>(std::min<std::uint64_t>(static_cast<std::uint64_t>(n), size_ - sent_)));
      asio::async_write(stream_, asio::buffer(chunk_), on_written);
      break;
    }
    case Stage::tail:
      asio::async_write(stream_, asio::buffer(tail_), on_written);
      break;
    case Stage::done:
      break;  // deadline_ now bounds the wait for the reply
  }
}

void Upload::wrote(beast::error_code ec) {
  if (!done_) return;
  if (ec) {
    // The server may have refused and closed: the pending read reports its answer, or the
    // deadline ends the wait.
    write_error_ = timed_out_ ? "the server stopped reading within the request timeout" : ec.message();
    return;
  }
  switch (stage_) {
    case Stage::head:
      stage_ = size_ > 0 ? Stage::file : Stage::tail;
      break;
    case Stage::file:
      sent_ += chunk_.size();
      if (progress_) progress_(sent_, size_);
      if (sent_ >= size_) stage_ = Stage::tail;
      break;
    case Stage::tail:
      stage_ = Stage::done;
      break;
    case Stage::done:
      break;
  }
  write_next();
}

void Upload::arm_deadline() {
  deadline_.expires_after(options_.request_timeout);
  deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || !self->done_) return;
    self->timed_out_ = true;
    beast::get_lowest_layer(self->stream_).socket().close(ec);  // pending operations end with operation_aborted
  });
}

void Upload::finish(beast::error_code ec, std::string what) {
  if (!done_) return;
  deadline_.cancel();
  beast::error_code ignored;
  auto& socket = beast::get_lowest_layer(stream_).socket();
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  if (ec && timed_out_) what = "the upload timed out (" + what + ")";
  HttpResult result{ec, std::move(what), ec ? 0 : static_cast<int>(res_.result_int()),
                    ec ? std::string() : std::move(res_.body())};
  std::exchange(done_, nullptr)(std::move(result));
}

}  // namespace parley::client::detail
