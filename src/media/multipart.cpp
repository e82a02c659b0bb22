#include "media/multipart.hpp"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

namespace parley {
namespace {

// Spaces or tabs after a boundary are tolerated up to this many (RFC 2046 transport padding;
// nobody sends any). Bounding it bounds how much input can stay undecided.
constexpr std::size_t kMaxTransportPadding = 32;
// When bytes are held back from the previous chunk, the new chunk is appended to them this
// much at a time: enough to decide any pending delimiter, small enough that the parser soon
// goes back to scanning the caller's buffer in place instead of copying it.
constexpr std::size_t kJoinSlice = 512;
constexpr std::size_t kMaxBoundaryLength = 70;  // RFC 2046

bool is_lws(char c) {
  return c == ' ' || c == '\t';
}

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

std::string_view trim_lws(std::string_view s) {
  while (!s.empty() && is_lws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_lws(s.back())) s.remove_suffix(1);
  return s;
}

bool is_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// RFC 9110 tchar: what a header or parameter name may hold.
bool is_token_char(char c) {
  return is_alnum(c) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

// Control characters other than tab never belong in a header line (a stray CR or LF would let
// one line smuggle another).
bool is_forbidden_in_header(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return (byte < 0x20 && c != '\t') || byte == 0x7f;
}

// RFC 2046 bchars: DIGIT / ALPHA / "'()+_,-./:=?" and space, but not ending with a space.
bool is_valid_boundary(std::string_view boundary) {
  if (boundary.empty() || boundary.size() > kMaxBoundaryLength || boundary.back() == ' ') return false;
  return std::all_of(boundary.begin(), boundary.end(),
                     [](char c) { return is_alnum(c) || (c != '\0' && std::strchr("'()+_,-./:=? ", c) != nullptr); });
}

struct Parameter {
  std::string name;  // lower case
  std::string value;
};

// Parses the `; name=value` list that follows a header's main value. Values are quoted-strings
// or runs up to the next ';' (lenient: some clients do not quote filenames with spaces). In a
// quoted-string only \" and \\ are escapes; any other backslash is kept, because old browsers
// send Windows paths (filename="C:\dir\photo.jpg") unescaped. nullopt on malformed syntax or
// a repeated parameter (which two parsers might resolve differently).
std::optional<std::vector<Parameter>> parse_parameters(std::string_view text) {
  std::vector<Parameter> params;
  std::size_t i = 0;
  auto skip_lws = [&] {
    while (i < text.size() && is_lws(text[i])) ++i;
  };
  while (true) {
    skip_lws();
    if (i == text.size()) return params;
    if (text[i] != ';') return std::nullopt;
    ++i;
    skip_lws();
    if (i == text.size() || text[i] == ';') continue;  // an empty parameter ("a=b;") is harmless

    const std::size_t name_start = i;
    while (i < text.size() && is_token_char(text[i])) ++i;
    Parameter param;
    for (char c : text.substr(name_start, i - name_start)) param.name += ascii_lower(c);
    skip_lws();
    if (param.name.empty() || i == text.size() || text[i] != '=') return std::nullopt;
    ++i;
    skip_lws();

    if (i < text.size() && text[i] == '"') {
      ++i;
      while (i < text.size() && text[i] != '"') {
        if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\')) ++i;
        param.value += text[i++];
      }
      if (i == text.size()) return std::nullopt;  // unterminated
      ++i;
    } else {
      const std::size_t value_start = i;
      while (i < text.size() && text[i] != ';') ++i;
      param.value = std::string(trim_lws(text.substr(value_start, i - value_start)));
    }

    for (const Parameter& earlier : params) {
      if (earlier.name == param.name) return std::nullopt;
    }
    params.push_back(std::move(param));
  }
}

const std::string* find_parameter(const std::vector<Parameter>& params, std::string_view name) {
  for (const Parameter& p : params) {
    if (p.name == name) return &p.value;
  }
  return nullptr;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = ascii_lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// RFC 5987 ext-value (charset'language'percent-encoded) as UTF-8; nullopt when it is malformed
// or in a charset other than UTF-8 and ISO-8859-1, so the plain filename= is used instead.
std::optional<std::string> decode_ext_value(std::string_view value) {
  const std::size_t charset_end = value.find('\'');
  if (charset_end == std::string_view::npos) return std::nullopt;
  const std::size_t language_end = value.find('\'', charset_end + 1);
  if (language_end == std::string_view::npos) return std::nullopt;
  const std::string_view charset = value.substr(0, charset_end);
  const bool latin1 = iequals(charset, "iso-8859-1");
  if (!latin1 && !iequals(charset, "utf-8")) return std::nullopt;

  std::string out;
  const std::string_view encoded = value.substr(language_end + 1);
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    auto byte = static_cast<unsigned char>(encoded[i]);
    if (encoded[i] == '%') {
      if (i + 2 >= encoded.size()) return std::nullopt;
      const int high = hex_value(encoded[i + 1]);
      const int low = hex_value(encoded[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      byte = static_cast<unsigned char>(high * 16 + low);
      i += 2;
    }
    if (latin1 && byte >= 0x80) {  // each ISO-8859-1 byte is the code point of the same value
      out += static_cast<char>(0xc0 | (byte >> 6));
      out += static_cast<char>(0x80 | (byte & 0x3f));
    } else {
      out += static_cast<char>(byte);
    }
  }
  return out;
}

}  // namespace

MultipartParser::MultipartParser(std::string boundary, MultipartHandler& handler, Limits limits)
    : delimiter_("\r\n--" + boundary), handler_(handler), limits_(limits) {
  if (!is_valid_boundary(boundary)) fail("invalid multipart boundary");
  // The first boundary may open the body without a CRLF before it (RFC 2046: the preamble and
  // its CRLF are optional). Starting from a virtual CRLF lets one delimiter search serve both.
  pending_ = "\r\n";
}

bool MultipartParser::feed(std::string_view chunk) {
  // Bytes held back from the previous chunk come first: append the new chunk to them a slice
  // at a time until they are decided, then scan the rest of the chunk where it lies.
  while (!pending_.empty() && !chunk.empty() && !failed()) {
    const std::size_t take = std::min(chunk.size(), kJoinSlice);
    pending_.append(chunk.substr(0, take));
    chunk.remove_prefix(take);
    pending_.erase(0, consume(pending_));
  }
  if (pending_.empty() && !chunk.empty() && !failed()) {
    pending_.assign(chunk.substr(consume(chunk)));
  }
  if (failed() || done()) pending_.clear();
  return !failed();
}

bool MultipartParser::finish() {
  switch (state_) {
    case State::epilogue:
      return true;
    case State::failed:
      return false;
    case State::preamble:
      fail("multipart body does not contain the boundary (expected a \"--boundary\" line ended by CRLF)");
      return false;
    case State::headers:
    case State::data:
      break;
  }
  fail("multipart body ended before its closing boundary");
  return false;
}

// Consumes as much of `input` as can be decided: it stops early only where the rest might be
// a delimiter or is an unfinished header line, or when the parser fails.
std::size_t MultipartParser::consume(std::string_view input) {
  std::size_t used = 0;
  while (used < input.size()) {
    std::size_t step = 0;
    switch (state_) {
      case State::preamble:
        step = consume_preamble(input.substr(used));
        break;
      case State::headers:
        step = consume_header_line(input.substr(used));
        break;
      case State::data:
        step = consume_data(input.substr(used));
        break;
      case State::epilogue:  // ignored, RFC 2046
        return input.size();
      case State::failed:
        return used;
    }
    if (step == 0) break;  // the rest is undecided until more input arrives
    used += step;
  }
  return used;
}

std::size_t MultipartParser::consume_preamble(std::string_view input) {
  const DelimiterScan scan = scan_for_delimiter(input);
  preamble_bytes_ += scan.data_end;
  if (preamble_bytes_ > limits_.max_preamble_bytes) {
    fail("multipart body does not start with its boundary");
    return 0;
  }
  if (!scan.found) return scan.data_end;
  on_delimiter(scan.closing);
  return scan.end;
}

std::size_t MultipartParser::consume_data(std::string_view input) {
  const DelimiterScan scan = scan_for_delimiter(input);
  if (scan.data_end > 0) handler_.on_part_data(input.substr(0, scan.data_end));
  if (!scan.found) return scan.data_end;
  handler_.on_part_end();
  on_delimiter(scan.closing);
  return scan.end;
}

// Linear: candidates are found with memchr on '\r', and since a valid boundary holds no CR, a
// candidate that matches m bytes leaves no other candidate among them, so no byte is compared
// more than a couple of times however adversarial the input.
MultipartParser::DelimiterScan MultipartParser::scan_for_delimiter(std::string_view input) const {
  const std::string_view delimiter = delimiter_;
  std::size_t from = 0;
  while (from < input.size()) {
    const void* cr = std::memchr(input.data() + from, '\r', input.size() - from);
    if (cr == nullptr) break;
    const auto at = static_cast<std::size_t>(static_cast<const char*>(cr) - input.data());
    const std::string_view candidate = input.substr(at);
    const DelimiterScan undecided{.data_end = at};
    from = at + 1;

    if (candidate.size() < delimiter.size()) {
      if (delimiter.starts_with(candidate)) return undecided;
      continue;
    }
    if (!candidate.starts_with(delimiter)) continue;

    // "--boundary" must be followed by "--" (close) or by padding and CRLF; anything else means
    // these bytes were data after all (the sender's boundary choice was poor, not our problem).
    const std::string_view rest = candidate.substr(delimiter.size());
    if (rest.empty()) return undecided;
    if (rest[0] == '-') {
      if (rest.size() < 2) return undecided;
      if (rest[1] != '-') continue;
      return {.data_end = at, .found = true, .closing = true, .end = at + delimiter.size() + 2};
    }
    std::size_t padding = 0;
    while (padding < rest.size() && padding <= kMaxTransportPadding && is_lws(rest[padding])) ++padding;
    if (padding > kMaxTransportPadding) continue;
    const std::string_view line_end = rest.substr(padding);
    if (line_end.size() < 2) {
      if (std::string_view("\r\n").starts_with(line_end)) return undecided;
      continue;
    }
    if (!line_end.starts_with("\r\n")) continue;
    return {.data_end = at, .found = true, .closing = false, .end = at + delimiter.size() + padding + 2};
  }
  return {.data_end = input.size()};
}

void MultipartParser::on_delimiter(bool closing) {
  if (closing) {
    state_ = State::epilogue;
    handler_.on_body_end();
    return;
  }
  if (parts_ == limits_.max_parts) {
    fail("too many parts in multipart body");
    return;
  }
  ++parts_;
  state_ = State::headers;
  header_bytes_ = 0;
  line_scanned_ = 0;
  disposition_.reset();
  content_type_.reset();
  folding_into_ = nullptr;
  seen_header_ = false;
}

std::size_t MultipartParser::consume_header_line(std::string_view input) {
  // Resume where the last look stopped (one byte back, for a CR whose LF had not arrived), so
  // a header trickling in byte by byte is not rescanned from its start each time.
  const std::size_t line_end = input.find("\r\n", line_scanned_ > 0 ? line_scanned_ - 1 : 0);
  const std::size_t line_bytes = line_end == std::string_view::npos ? input.size() : line_end + 2;
  if (header_bytes_ + line_bytes > limits_.max_header_bytes) {
    fail("multipart part headers too large");
    return 0;
  }
  if (line_end == std::string_view::npos) {
    line_scanned_ = input.size();
    return 0;
  }
  header_bytes_ += line_bytes;
  line_scanned_ = 0;
  const std::string_view line = input.substr(0, line_end);
  if (line.empty()) {
    end_header_block();
  } else {
    add_header_line(line);
  }
  return line_bytes;
}

void MultipartParser::add_header_line(std::string_view line) {
  if (std::any_of(line.begin(), line.end(), is_forbidden_in_header)) {
    fail("invalid character in multipart part header");
    return;
  }
  if (is_lws(line.front())) {  // obsolete line folding (RFC 5322): continues the previous header
    if (!seen_header_) {
      fail("malformed multipart part header");
    } else if (folding_into_ != nullptr) {
      *folding_into_ += ' ';
      *folding_into_ += trim_lws(line);
    }
    return;
  }

  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    fail("malformed multipart part header (no ':')");
    return;
  }
  const std::string_view name = line.substr(0, colon);
  if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char)) {
    fail("malformed multipart part header name");
    return;
  }
  seen_header_ = true;
  folding_into_ = nullptr;
  // Only these two matter to form-data (RFC 7578 4.8: others are ignored).
  std::optional<std::string>* target = iequals(name, "Content-Disposition") ? &disposition_
                                       : iequals(name, "Content-Type")      ? &content_type_
                                                                            : nullptr;
  if (target == nullptr) return;
  if (target->has_value()) {
    fail("duplicate " + std::string(name) + " header in multipart part");
    return;
  }
  target->emplace(trim_lws(line.substr(colon + 1)));
  folding_into_ = &**target;
}

void MultipartParser::end_header_block() {
  if (!disposition_) {
    fail("multipart part has no Content-Disposition header");
    return;
  }
  const std::string_view disposition = *disposition_;
  const std::size_t type_end = std::min(disposition.find(';'), disposition.size());
  if (!iequals(trim_lws(disposition.substr(0, type_end)), "form-data")) {
    fail("multipart part is not form-data");
    return;
  }
  const auto params = parse_parameters(disposition.substr(type_end));
  if (!params) {
    fail("malformed Content-Disposition header in multipart part");
    return;
  }
  const std::string* name = find_parameter(*params, "name");
  if (name == nullptr) {
    fail("multipart part has no name");
    return;
  }

  MultipartPart part;
  part.name = *name;
  if (const std::string* extended = find_parameter(*params, "filename*")) part.filename = decode_ext_value(*extended);
  if (!part.filename) {
    if (const std::string* plain = find_parameter(*params, "filename")) part.filename = *plain;
  }
  part.content_type = content_type_.value_or("");
  state_ = State::data;
  handler_.on_part_begin(part);
}

void MultipartParser::fail(std::string message) {
  state_ = State::failed;
  error_ = std::move(message);
}

std::optional<std::string> boundary_from_content_type(std::string_view content_type) {
  const std::size_t type_end = std::min(content_type.find(';'), content_type.size());
  if (!iequals(trim_lws(content_type.substr(0, type_end)), "multipart/form-data")) return std::nullopt;
  const auto params = parse_parameters(content_type.substr(type_end));
  if (!params) return std::nullopt;
  const std::string* boundary = find_parameter(*params, "boundary");
  if (boundary == nullptr || !is_valid_boundary(*boundary)) return std::nullopt;
  return *boundary;
}

}  // namespace parley
