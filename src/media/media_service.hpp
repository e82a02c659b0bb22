// What happens to an upload once its bytes are on disk: its type is decided from the bytes,
// checked against the allow-list, images are measured and thumbnailed, and the file is moved
// into the file store and recorded. Also the per-user upload limits and the lookup of a
// message's attachment. Runs on worker threads (sniffing and thumbnails take milliseconds).
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include "core/rate_limiter.hpp"
#include "core/result.hpp"
#include "media/file_store.hpp"
#include "media/image.hpp"
#include "media/sniff.hpp"
#include "media/upload_sink.hpp"
#include "store/store.hpp"

namespace parley {

struct MediaSettings {
  std::int64_t max_upload_bytes = 10 * 1024 * 1024;
  std::int64_t upload_quota_bytes = 1024LL * 1024 * 1024;  // all uploads of one user
  RateLimit uploads{10, 20.0 / 60};                        // per user: burst, then 20 a minute
  std::int64_t max_image_pixels = kDefaultMaxImagePixels;
  int thumbnail_side = 320;
  MediaPolicy policy;
};

class MediaService {
 public:
  MediaService(Store& store, FileStore& files, MediaSettings settings);

  // Before an upload's body is read: 429 over the upload rate, 413 when the user's quota is
  // used up. Otherwise the most bytes this upload may have: the file limit or what is left of
  // the quota, whichever is smaller.
  Result<std::int64_t> admit(UserId uploader);
  // A complete upload (sink finished, not yet kept): 415 for a refused or undecodable type.
  Result<StoredFile> accept(UploadSink& sink, const std::string& sha256, UserId uploader,
                            std::string_view original_name);
  // The file a message's attachment names: "/api/files/<name>", a full URL ending so, or the
  // bare name. 400 when there is no such stored file.
  Result<StoredFile> attachment(std::string_view reference);

  const MediaSettings& settings() const { return settings_; }
  FileStore& files() { return files_; }

 private:
  Store& store_;
  FileStore& files_;
  MediaSettings settings_;
  ContentSniffer sniffer_;
  RateLimiterById upload_limiter_;
  // Uploads of one user may finish concurrently: the quota check and the insert that uses
  // quota happen together under this lock, so together they cannot overshoot it.
  std::mutex quota_mutex_;
};

// The client's filename reduced to something safe to show and to put in a header: the last
// path component, control characters, quotes and backslashes removed, at most 200 bytes of
// valid UTF-8.
std::string sanitize_filename(std::string_view name);

}  // namespace parley
