#include "media/sniff.hpp"

#include <magic.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace parley {
namespace {

// Office formats as libmagic 5.44 names them. Legacy Compound Document files it cannot place
// come out as "application/cdfv2" and stay plain files (and outside the default allow-list).
constexpr std::array<std::string_view, 9> kOfficeTypes = {
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
};

// The exact strings libmagic reports, which are not always the registered names: WAV is
// "audio/x-wav", M4A is "audio/x-m4a", and WebM audio is reported as "video/webm" (libmagic
// cannot tell it from WebM video), so "audio/webm" would never match and is left out.
// text/html is accepted as a plain file (kind "file"): like every non-media type it is only
// ever served as a download (Content-Disposition: attachment, nosniff, a sandboxing CSP), so a
// page uploaded under an image's name is stored as what it is and never rendered by us.
constexpr std::array<std::string_view, 17> kDefaultAllowedMedia = {
    "image/jpeg",      "image/png",  "image/gif",       "image/webp", "video/mp4",   "video/webm",
    "video/quicktime", "audio/mpeg", "audio/ogg",       "audio/wav",  "audio/x-wav", "audio/mp4",
    "audio/x-m4a",     "audio/flac", "application/pdf", "text/plain", "text/html",
};
constexpr std::string_view kZip = "application/zip";

struct Extension {
  std::string_view mime_type;
  std::string_view extension;
};
constexpr std::array<Extension, 28> kExtensions = {{
    {"text/html", ".html"},
    {"image/jpeg", ".jpg"},
    {"image/png", ".png"},
    {"image/gif", ".gif"},
    {"image/webp", ".webp"},
    {"video/mp4", ".mp4"},
    {"video/webm", ".webm"},
    {"video/quicktime", ".mov"},
    {"audio/mpeg", ".mp3"},
    {"audio/ogg", ".ogg"},
    {"audio/wav", ".wav"},
    {"audio/x-wav", ".wav"},
    {"audio/mp4", ".m4a"},
    {"audio/x-m4a", ".m4a"},
    {"audio/flac", ".flac"},
    {"application/pdf", ".pdf"},
    {"text/plain", ".txt"},
    {"application/zip", ".zip"},
    {"application/msword", ".doc"},
    {"application/vnd.ms-excel", ".xls"},
    {"application/vnd.ms-powerpoint", ".ppt"},
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"},
    {"application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"},
    {"application/vnd.oasis.opendocument.text", ".odt"},
    {"application/vnd.oasis.opendocument.spreadsheet", ".ods"},
    {"application/vnd.oasis.opendocument.presentation", ".odp"},
    {"application/octet-stream", ".bin"},
}};

// MIME types are case-insensitive; we compare and store them in lower case.
std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
  return out;
}

std::string_view trim(std::string_view text) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

std::string kind_for(std::string_view mime_type) {
  const std::string mime = lower(mime_type);
  const std::string_view view = mime;
  if (view.starts_with("image/")) return "image";
  if (view.starts_with("video/")) return "video";
  if (view.starts_with("audio/")) return "audio";
  if (view == "application/pdf" || view == "text/plain" ||
      std::find(kOfficeTypes.begin(), kOfficeTypes.end(), view) != kOfficeTypes.end()) {
    return "document";
  }
  return "file";
}

std::string extension_for(std::string_view mime_type) {
  const std::string mime = lower(mime_type);
  for (const auto& entry : kExtensions) {
    if (entry.mime_type == mime) return std::string(entry.extension);
  }
  return ".bin";
}

// ---- ContentSniffer ----

ContentSniffer::ContentSniffer() {
  // MAGIC_ERROR: an unreadable file is an error, not a "cannot open" string posing as a type.
  // No MAGIC_COMPRESS: we report what the bytes are, never what they decompress to.
  magic_ = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
  if (magic_ == nullptr) throw std::runtime_error("libmagic: magic_open failed");
  if (magic_load(magic_, nullptr) != 0) {
    std::string why = magic_error(magic_) ? magic_error(magic_) : "unknown error";
    magic_close(magic_);
    throw std::runtime_error("libmagic: cannot load the default database: " + why);
  }
  std::size_t bytes_max = kMaxSniffBytes;
  magic_setparam(magic_, MAGIC_PARAM_BYTES_MAX, &bytes_max);
}

ContentSniffer::~ContentSniffer() {
  magic_close(magic_);
}

SniffResult ContentSniffer::sniff_file(const std::filesystem::path& path) {
  std::lock_guard lock(mutex_);
  return result_of(magic_file(magic_, path.c_str()));
}

SniffResult ContentSniffer::sniff_buffer(std::string_view bytes) {
  // magic_buffer does not apply MAGIC_PARAM_BYTES_MAX itself; cap it like a file read.
  bytes = bytes.substr(0, kMaxSniffBytes);
  std::lock_guard lock(mutex_);
  return result_of(magic_buffer(magic_, bytes.data(), bytes.size()));
}

// Called with mutex_ held: the returned string and magic_error() live in the handle.
SniffResult ContentSniffer::result_of(const char* mime_or_null) {
  SniffResult result;
  if (mime_or_null == nullptr) {
    const char* why = magic_error(magic_);
    result.error = why ? why : "libmagic failed";
    return result;
  }
  result.mime_type = lower(mime_or_null);
  result.kind = kind_for(result.mime_type);
  return result;
}

// ---- MediaPolicy ----

MediaPolicy::MediaPolicy() : MediaPolicy(from_list(default_list())) {}

MediaPolicy MediaPolicy::from_list(std::string_view comma_separated) {
  MediaPolicy policy{FromListTag{}};
  while (true) {
    const std::size_t comma = comma_separated.find(',');
    const std::string_view entry = trim(comma_separated.substr(0, comma));
    if (!entry.empty()) policy.allowed_.insert(lower(entry));
    if (comma == std::string_view::npos) break;
    comma_separated.remove_prefix(comma + 1);
  }
  return policy;
}

std::string MediaPolicy::default_list() {
  std::string list;
  const auto append = [&list](std::string_view mime) {
    if (!list.empty()) list += ',';
    list += mime;
  };
  for (std::string_view mime : kDefaultAllowedMedia) append(mime);
  for (std::string_view mime : kOfficeTypes) append(mime);
  append(kZip);
  return list;
}

bool MediaPolicy::allowed(std::string_view mime_type) const {
  return allowed_.contains(lower(mime_type));
}

}  // namespace parley
