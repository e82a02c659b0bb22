// POST /api/upload-file: the multipart body is parsed as it arrives and the `file` part goes
// straight to a temporary file, so memory stays flat whatever the upload's size. Crossing the
// size limit answers 413 at once and the partial file is removed. The finished file is typed,
// measured and thumbnailed on a worker thread (MediaService::accept).
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "http/http_session.hpp"
#include "http/upload_state.hpp"
#include "protocol/wire.hpp"
#include "util/clock.hpp"

namespace parley {

namespace http = boost::beast::http;

namespace {
constexpr std::size_t kChunkBytes = 64 * 1024;
// Form fields and multipart framing around the file are small; anything beyond this on top of
// the file limit is not an upload we want.
constexpr std::int64_t kMultipartOverheadBytes = 64 * 1024;
}  // namespace

HttpSession::~HttpSession() = default;

void HttpSession::start_upload() {
  const auto& header = header_parser_->get();
  const auto& media = services_.media;
  const std::int64_t max_bytes = media.settings().max_upload_bytes;

  auto claims = services_.auth.authenticate(bearer_token(header[http::field::authorization]), now_ms());
  if (!claims.ok()) return write(error_reply(claims.error()), false);
  const User user = claims.value().user();
  const auto boundary = boundary_from_content_type(header[http::field::content_type]);
  if (!boundary)
    return write(error_reply(ApiError::bad_request("expected multipart/form-data with a boundary")), false);
  // A declared length already over the limit is refused before a byte of the body is read.
  if (header_parser_->content_length() &&
      *header_parser_->content_length() > static_cast<std::uint64_t>(max_bytes + kMultipartOverheadBytes)) {
    return write(error_reply(ApiError::too_large("the file exceeds " + std::to_string(max_bytes) + " bytes")), false);
  }
  auto allowance = services_.media.admit(user.id);
  if (!allowance.ok()) return write(error_reply(allowance.error()), false);

  upload_ = std::make_unique<UploadState>(user, services_.media.files(), allowance.value());
  upload_->parser = std::make_unique<MultipartParser>(*boundary, *upload_);
  const bool expects_continue = boost::beast::iequals(header[http::field::expect], "100-continue");
  upload_parser_.emplace(std::move(*header_parser_));
  upload_parser_->body_limit(boost::none);  // the file limit is enforced on the file part itself
  chunk_.resize(kChunkBytes);
  if (!expects_continue) return read_upload_chunk();
  // curl and others wait for this before sending a large body.
  auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
  http::async_write(stream_, *cont, [self = shared_from_this(), cont](boost::system::error_code ec, std::size_t) {
    if (!ec) self->read_upload_chunk();
  });
}

void HttpSession::read_upload_chunk() {
  auto& body = upload_parser_->get().body();
  body.data = chunk_.data();
  body.size = chunk_.size();
  // Each chunk must arrive within the idle timeout: a stalled upload does not hold a file open.
  stream_.next_layer().expires_after(std::chrono::seconds(services_.config.http_idle_timeout_s));
  http::async_read(
      stream_, buffer_, *upload_parser_,
      [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->on_upload_chunk(ec); });
}

void HttpSession::on_upload_chunk(boost::system::error_code ec) {
  if (ec == http::error::need_buffer) ec = {};  // the chunk buffer is full: an ordinary step
  if (ec) {
    upload_.reset();  // removes the partial file
    read_failed(ec);
    return;
  }
  const std::size_t received = chunk_.size() - upload_parser_->get().body().size;
  bool fed = false;
  try {
    fed = upload_->parser->feed(std::string_view(chunk_.data(), received));
  } catch (const std::exception& e) {
    // The temporary file could not be created or written (disk full, permissions).
    spdlog::error("upload failed: user={} error={}", upload_->user.id, e.what());
    upload_.reset();
    return write(error_reply(ApiError::internal()), false);
  }
  if (upload_->too_large) {
    const auto limit = upload_->max_bytes();
    upload_.reset();
    return write(error_reply(ApiError::too_large(limit < services_.media.settings().max_upload_bytes
                                                     ? "the file exceeds what is left of the upload quota"
                                                     : "the file exceeds " + std::to_string(limit) + " bytes")),
                 false);
  }
  if (!fed) {
    const std::string why = upload_->parser->error();
    upload_.reset();
    return write(error_reply(ApiError::bad_request("malformed multipart body: " + why)), false);
  }
  if (!upload_parser_->is_done()) return read_upload_chunk();
  finish_upload();
}

void HttpSession::finish_upload() {
  if (!upload_->parser->finish()) {
    const std::string why = upload_->parser->error();
    upload_.reset();
    return write(error_reply(ApiError::bad_request("malformed multipart body: " + why)), false);
  }
  const bool keep_alive = upload_parser_->keep_alive();
  if (!upload_->sink) {
    upload_.reset();
    return write(error_reply(ApiError::bad_request("the form has no \"file\" field")), keep_alive);
  }
  // Hashing, fsync, sniffing and thumbnails take milliseconds: off the I/O thread.
  boost::asio::post(services_.workers, [self = shared_from_this(), state = std::move(upload_), keep_alive]() mutable {
    HttpReply reply;
    try {
      const std::string sha256 = state->sink->finish();
      auto stored = self->services_.media.accept(*state->sink, sha256, state->user.id, state->original_name);
      reply = stored.ok() ? json_reply(200, upload_json(stored.value())) : error_reply(stored.error());
    } catch (const std::exception& e) {
      spdlog::error("upload failed: user={} error={}", state->user.id, e.what());
      reply = error_reply(ApiError::internal());
    }
    state.reset();  // the temporary file is gone before the reply
    boost::asio::post(self->stream_.get_executor(), [self, reply = std::move(reply), keep_alive]() mutable {
      self->write(std::move(reply), keep_alive);
    });
  });
}

}  // namespace parley
