// GET /api/files/<name>: stored files and thumbnails. The name is the capability (no token):
// it is checked for shape before it names a path, and the content type is the one sniffed at
// upload. Supports If-None-Match and one byte range (video seeking).
#include <fcntl.h>
#include <unistd.h>

#include <cctype>

#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/write.hpp>

#include "http/byte_range.hpp"
#include "http/http_session.hpp"

namespace parley {

namespace http = boost::beast::http;

namespace {

// A 206 reads its range into memory: cap it, so a request for everything cannot make a copy
// of a large file. Players ask for the next range when they need it.
constexpr std::uint64_t kMaxRangeBytes = 4 * 1024 * 1024;

bool is_inline_kind(std::string_view kind) {
  return kind == "image" || kind == "video" || kind == "audio";
}

std::string thumbnail_mime(std::string_view name) {
  return name.ends_with(".png") ? "image/png" : "image/jpeg";
}

// RFC 6266: an ASCII fallback for old clients plus the exact UTF-8 name in filename*.
std::string attachment_disposition(const std::string& name) {
  std::string ascii;
  std::string encoded;
  static constexpr char hex[] = "0123456789ABCDEF";
  for (unsigned char c : name) {
    ascii.push_back(c < 0x80 ? static_cast<char>(c) : '_');
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == '~') {
      encoded.push_back(static_cast<char>(c));
    } else {
      encoded += {'%', hex[c >> 4], hex[c & 0xF]};
    }
  }
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

template <class Response>
void set_file_headers(Response& res, const std::string& mime, const std::string& etag, const StoredFile& file,
                      bool thumbnail) {
  res.set(http::field::server, "parley");
  res.set(http::field::content_type, mime);
  res.set(http::field::etag, etag);
  // The name never changes meaning, so caches may keep it; private: it is a capability.
  res.set(http::field::cache_control, "private, max-age=31536000, immutable");
  res.set(http::field::accept_ranges, "bytes");
  res.set("X-Content-Type-Options", "nosniff");
  // Even if a browser renders it, an uploaded file can run nothing on our origin.
  res.set("Content-Security-Policy", "default-src 'none'; img-src 'self'; media-src 'self'; sandbox");
  if (!thumbnail && !is_inline_kind(file.kind))
    res.set(http::field::content_disposition, attachment_disposition(file.original_name));
}

}  // namespace

// A 200 with the file streamed from disk; the serializer lives as long as the writes.
struct HttpSession::FileReply {
  explicit FileReply(std::unique_ptr<http::response<http::file_body>> r)
      : response(std::move(r)), serializer(*response) {}
  std::unique_ptr<http::response<http::file_body>> response;
  http::response_serializer<http::file_body> serializer;
};

void HttpSession::serve_file(BeastRequest request) {
  const bool keep_alive = request.keep_alive();
  std::string_view target = request.target();
  target = target.substr(0, target.find('?'));  // cache-busting parameters do not change the file
  const std::string_view name = target.substr(std::string_view("/api/files/").size());
  auto not_found = [&] { write(error_reply(ApiError::not_found("no such file")), keep_alive); };
  if (!FileStore::valid_name(name)) return not_found();
  const auto lookup = services_.store.find_file_or_thumbnail(name);
  if (!lookup) return not_found();
  const auto path = services_.media.files().path_of(name);
  if (!path) return not_found();

  const StoredFile& file = lookup->file;
  const bool thumbnail = lookup->is_thumbnail;
  const std::string mime = thumbnail ? thumbnail_mime(name) : file.mime_type;
  const std::string etag = "\"" + (thumbnail ? std::string(name) : file.sha256) + "\"";
  const bool head = request.method() == http::verb::head;

  if (etag_matches(request[http::field::if_none_match], etag)) {
    auto res = std::make_shared<http::response<http::empty_body>>(http::status::not_modified, 11);
    set_file_headers(*res, mime, etag, file, thumbnail);
    res->keep_alive(keep_alive);
    return send_response(std::move(res));
  }

  boost::beast::error_code ec;
  http::file_body::value_type body;
  body.open(path->c_str(), boost::beast::file_mode::scan, ec);
  if (ec) return not_found();
  const std::uint64_t size = body.size();

  // If-Range: a range only applies to the representation the client has.
  const auto if_range = request[http::field::if_range];
  const ByteRange range =
      (if_range.empty() || if_range == etag) ? parse_byte_range(request[http::field::range], size) : ByteRange{};
  if (range.kind == ByteRange::Kind::unsatisfiable) {
    HttpReply reply = error_reply({416, "bad_request", "range not satisfiable"});
    reply.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
    return write(std::move(reply), keep_alive);
  }
  if (range.kind == ByteRange::Kind::partial) {
    const std::uint64_t last = std::min(range.last, range.first + kMaxRangeBytes - 1);
    std::string part(last - range.first + 1, '\0');
    const int fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC);
    const auto n = fd < 0 ? -1 : ::pread(fd, part.data(), part.size(), static_cast<off_t>(range.first));
    if (fd >= 0) ::close(fd);
    if (n != static_cast<ssize_t>(part.size())) return write(error_reply(ApiError::internal()), false);
    auto res = std::make_shared<http::response<http::string_body>>(http::status::partial_content, 11);
    set_file_headers(*res, mime, etag, file, thumbnail);
    res->set(http::field::content_range,
             "bytes " + std::to_string(range.first) + "-" + std::to_string(last) + "/" + std::to_string(size));
    res->body() = head ? std::string() : std::move(part);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    if (head) res->content_length(last - range.first + 1);
    return send_response(std::move(res));
  }

  if (head) {
    auto res = std::make_shared<http::response<http::empty_body>>(http::status::ok, 11);
    set_file_headers(*res, mime, etag, file, thumbnail);
    res->keep_alive(keep_alive);
    res->content_length(size);  // what a GET would send; no body follows a HEAD reply
    return send_response(std::move(res));
  }
  auto res = std::make_unique<http::response<http::file_body>>(http::status::ok, 11);
  set_file_headers(*res, mime, etag, file, thumbnail);
  res->keep_alive(keep_alive);
  res->body() = std::move(body);
  res->prepare_payload();
  write_file_reply(std::make_shared<FileReply>(std::move(res)), keep_alive);
}

// A large file may take a while on a slow link: the idle timeout applies to each write step
// (a client that stops reading is dropped), not to the whole transfer.
void HttpSession::write_file_reply(std::shared_ptr<FileReply> reply, bool keep_alive) {
  stream_.next_layer().expires_after(std::chrono::seconds(services_.config.http_idle_timeout_s));
  http::async_write_some(stream_, reply->serializer,
                         [self = shared_from_this(), reply, keep_alive](boost::beast::error_code ec, std::size_t) {
                           if (ec) return;
                           if (!reply->serializer.is_done()) return self->write_file_reply(reply, keep_alive);
                           if (keep_alive) self->read();
                         });
}

}  // namespace parley
