// What an upload really is, decided from its bytes by libmagic. The client's filename and
// Content-Type never reach this code, so a page of HTML named x.png is reported as text/html
// (and refused by the default MediaPolicy) rather than stored as an image.
//
// Depends only on the standard library and libmagic, so it is usable from any layer.
#pragma once

#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

// libmagic's handle type, declared here so users of this header need not include <magic.h>.
struct magic_set;

namespace parley {

struct SniffResult {
  std::string mime_type;  // as libmagic reports it, e.g. "image/png", "audio/x-wav"
  std::string kind;       // PROTOCOL's `type`: "image", "video", "audio", "document" or "file"
  std::string error;      // empty on success; set when the file could not be read (a server fault)

  bool ok() const noexcept { return error.empty(); }
};

// PROTOCOL's `type` for a MIME type: image/*, video/*, audio/* by prefix; PDF, plain text and
// office documents (OOXML, ODF, legacy Microsoft) are "document"; everything else "file".
std::string kind_for(std::string_view mime_type);

// Extension for stored names (".jpg", ".png", ".pdf", ...); ".bin" for types not listed, so
// a stored name never suggests a type the server did not sniff.
std::string extension_for(std::string_view mime_type);

// One libmagic handle shared by all threads. libmagic handles are not thread-safe, so every
// call takes a mutex. Sniffing reads at most kMaxSniffBytes, which bounds the time spent
// under the lock to well under a millisecond; one handle also means the magic database is
// loaded once rather than per thread.
class ContentSniffer {
 public:
  // How much of a file libmagic may look at (its default is 7 MiB). Every format we care
  // about is recognised from its first few KiB; the cap bounds time under the lock.
  static constexpr std::size_t kMaxSniffBytes = 1 << 20;

  // Opens libmagic with the system's default database. Throws std::runtime_error when the
  // database cannot be loaded: that is a broken installation, found at startup, not bad input.
  ContentSniffer();
  ~ContentSniffer();
  ContentSniffer(const ContentSniffer&) = delete;
  ContentSniffer& operator=(const ContentSniffer&) = delete;

  // Type of a file on disk (symlinks are not followed). `error` is set when it cannot be read.
  SniffResult sniff_file(const std::filesystem::path& path);
  // Type of bytes in memory, e.g. the first chunk of an upload.
  SniffResult sniff_buffer(std::string_view bytes);

 private:
  SniffResult result_of(const char* mime_or_null);

  std::mutex mutex_;
  magic_set* magic_ = nullptr;
};

// Which sniffed MIME types the server accepts (everything else is 415). Entries are exact
// MIME types; there are deliberately no wildcards, since "image/*" would admit image/svg+xml,
// which is script-bearing XML.
class MediaPolicy {
 public:
  // The default allow-list: common images, video, audio, PDF, office documents, plain text, zip.
  MediaPolicy();
  // From a setting such as "image/png, image/jpeg,application/pdf": comma-separated,
  // whitespace around entries ignored, case-insensitive, empty entries skipped.
  static MediaPolicy from_list(std::string_view comma_separated);

  // The default allow-list as a comma-separated string (for a setting's default and help text).
  static std::string default_list();

  bool allowed(std::string_view mime_type) const;

 private:
  struct FromListTag {};
  explicit MediaPolicy(FromListTag) {}

  std::unordered_set<std::string> allowed_;
};

}  // namespace parley
