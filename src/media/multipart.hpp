// Streaming multipart/form-data parser (RFC 7578 over RFC 2046). The body arrives in chunks
// split anywhere; parts are reported to a MultipartHandler as soon as they are recognised and
// part bodies are handed on in pieces, so memory stays bounded by the boundary length and the
// header limit whatever the size of a part.
//
//   auto boundary = boundary_from_content_type(request_content_type);  // nullopt -> 400
//   UploadHandler handler;                                             // a MultipartHandler
//   MultipartParser parser(*boundary, handler);
//   for each body chunk: if (!parser.feed(chunk)) -> 400 with parser.error()
//   at the end of the body: if (!parser.finish()) -> 400 with parser.error()
//
// Errors are values: the first problem stops the parser and error() holds a message that is
// safe to show the client. The handler is never told about errors; the caller sees them.
//
// Line endings must be CRLF. Bare LF is not accepted anywhere (a "--boundary" line ended by LF
// is not a delimiter, an LF inside a header line is an invalid character): the delimiter is
// defined as CRLF "--" boundary, every real client sends CRLF, and a parser that guesses would
// split bodies differently from proxies and other parsers (a request-smuggling shape).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace parley {

struct MultipartLimits {
  std::size_t max_header_bytes = 16 * 1024;    // one part's header block, CRLFs included
  std::size_t max_parts = 16;                  // parts in the body
  std::size_t max_preamble_bytes = 16 * 1024;  // junk before the first boundary (RFC 2046 preamble)
};

// A part's headers, as far as form-data needs them.
struct MultipartPart {
  std::string name;  // the form field
  // Client-supplied and untrusted (may hold '/', '..', any bytes): a hint, never a path.
  // From filename*= (RFC 5987, UTF-8 or ISO-8859-1) when present and decodable, else filename=.
  // Empty-but-present (filename="") is what browsers send for an empty file input.
  std::optional<std::string> filename;
  std::string content_type;  // the part's Content-Type as sent, trimmed; empty when absent
};

// Receives the parser's events, in body order. Must not call back into the parser.
class MultipartHandler {
 public:
  virtual ~MultipartHandler() = default;

  virtual void on_part_begin(const MultipartPart& part) = 0;
  // The next piece of the current part's body (never empty). The view is only valid during the
  // call, and pieces are cut wherever the input was, so a part may arrive in many of them.
  virtual void on_part_data(std::string_view data) = 0;
  virtual void on_part_end() = 0;
  // The closing boundary: nothing more will be reported (the epilogue is ignored).
  virtual void on_body_end() {}
};

class MultipartParser {
 public:
  using Limits = MultipartLimits;

  // `boundary` without the leading "--", as boundary_from_content_type returns it. An invalid
  // boundary (RFC 2046: 1-70 characters from a restricted set) leaves the parser failed.
  MultipartParser(std::string boundary, MultipartHandler& handler, Limits limits = {});
  MultipartParser(const MultipartParser&) = delete;
  MultipartParser& operator=(const MultipartParser&) = delete;

  // Parses the next piece of the body; false once the parser has failed (then see error()).
  // Input after the closing boundary is ignored.
  [[nodiscard]] bool feed(std::string_view chunk);
  // The body is complete: false (and an error) unless the closing boundary was seen.
  [[nodiscard]] bool finish();

  bool failed() const noexcept { return state_ == State::failed; }
  // The closing boundary was seen.
  bool done() const noexcept { return state_ == State::epilogue; }
  // Why the parser failed, for the client; empty while it has not.
  const std::string& error() const noexcept { return error_; }
  // Input held back because it cannot be classified yet (a possible delimiter, an unfinished
  // header line). Bounded by the boundary length plus a few bytes in part bodies, and by
  // max_header_bytes inside a header block.
  std::size_t buffered_bytes() const noexcept { return pending_.size(); }

 private:
  enum class State { preamble, headers, data, epilogue, failed };

  // Where the next delimiter is in some input: [0, data_end) is certainly not part of it.
  struct DelimiterScan {
    std::size_t data_end = 0;
    bool found = false;    // false: input from data_end on is undecided (or data_end is the end)
    bool closing = false;  // the close delimiter "--boundary--"
    std::size_t end = 0;   // just past the delimiter line, when found
  };

  std::size_t consume(std::string_view input);
  std::size_t consume_preamble(std::string_view input);
  std::size_t consume_data(std::string_view input);
  std::size_t consume_header_line(std::string_view input);
  DelimiterScan scan_for_delimiter(std::string_view input) const;
  void on_delimiter(bool closing);
  void add_header_line(std::string_view line);
  void end_header_block();
  void fail(std::string message);

  std::string delimiter_;  // CRLF "--" boundary
  MultipartHandler& handler_;
  Limits limits_;
  State state_ = State::preamble;
  std::string error_;
  std::string pending_;  // undecided input carried over to the next feed()

  std::size_t preamble_bytes_ = 0;
  std::size_t parts_ = 0;
  // The header block of the part being read.
  std::size_t header_bytes_ = 0;
  std::size_t line_scanned_ = 0;  // bytes of the unfinished header line known to hold no CRLF
  std::optional<std::string> disposition_;
  std::optional<std::string> content_type_;
  std::string* folding_into_ = nullptr;  // where a continuation line goes (null: ignored header)
  bool seen_header_ = false;
};

// The boundary of a `multipart/form-data; boundary=...` Content-Type (media type and parameter
// names case-insensitive, value quoted or not, other parameters allowed); nullopt when the type
// is something else or the boundary is missing, duplicated or invalid per RFC 2046.
std::optional<std::string> boundary_from_content_type(std::string_view content_type);

}  // namespace parley
