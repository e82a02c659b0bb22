#include "media/media_service.hpp"

#include <spdlog/spdlog.h>

#include "media/image.hpp"
#include "util/clock.hpp"
#include "util/text.hpp"

namespace parley {

MediaService::MediaService(Store& store, FileStore& files, MediaSettings settings)
    : store_(store), files_(files), settings_(std::move(settings)), upload_limiter_(settings_.uploads) {}

Result<std::int64_t> MediaService::admit(UserId uploader) {
  const auto decision = upload_limiter_.take(uploader, std::chrono::steady_clock::now());
  if (!decision.allowed) return ApiError::rate_limited(decision.retry_after_seconds());
  const std::int64_t left = settings_.upload_quota_bytes - store_.upload_usage(uploader, 0).bytes;
  if (left <= 0) return ApiError::too_large("upload quota used up");
  return std::min(left, settings_.max_upload_bytes);
}

Result<StoredFile> MediaService::accept(UploadSink& sink, const std::string& sha256, UserId uploader,
                                        std::string_view original_name) {
  if (sink.size() == 0) return ApiError::bad_request("the file is empty");
  const auto sniffed = sniffer_.sniff_file(sink.path());
  if (!sniffed.ok()) throw std::runtime_error("cannot sniff upload: " + sniffed.error);
  if (!settings_.policy.allowed(sniffed.mime_type)) {
    return ApiError::unsupported_media_type("files of type " + sniffed.mime_type + " are not accepted");
  }

  StoredFile file;
  file.name = FileStore::new_name(extension_for(sniffed.mime_type));
  file.uploader_id = uploader;
  file.size = sink.size();
  file.mime_type = sniffed.mime_type;
  file.kind = sniffed.kind;
  file.original_name = sanitize_filename(original_name);
  file.sha256 = sha256;
  file.created_at = now_ms();

  std::optional<std::filesystem::path> thumbnail_path;
  if (file.kind == "image") {
    if (!can_decode_image(file.mime_type)) {
      return ApiError::unsupported_media_type("images of type " + file.mime_type + " are not accepted");
    }
    const auto info = probe_image(sink.path(), settings_.max_image_pixels);
    if (!info.ok()) return ApiError::unsupported_media_type("not a usable image: " + info.error().message);
    file.width = info.value().width;
    file.height = info.value().height;
    // The thumbnail also proves the whole image decodes: a truncated one is refused here.
    const auto thumb = make_thumbnail(sink.path(), files_.dir() / FileStore::new_name(""), settings_.thumbnail_side,
                                      settings_.max_image_pixels);
    if (!thumb.ok()) return ApiError::unsupported_media_type("not a usable image: " + thumb.error().message);
    thumbnail_path = thumb.value().path;
    files_.sync_file(*thumbnail_path);  // the directory is synced with the file's rename below
    file.thumbnail_name = thumbnail_path->filename().string();
    file.thumbnail_width = thumb.value().width;
    file.thumbnail_height = thumb.value().height;
  }

  std::lock_guard quota_lock(quota_mutex_);
  if (store_.upload_usage(uploader, 0).bytes + file.size > settings_.upload_quota_bytes) {
    std::error_code ignored;
    if (thumbnail_path) std::filesystem::remove(*thumbnail_path, ignored);
    return ApiError::too_large("upload quota used up");
  }
  files_.commit(sink.path(), file.name);
  sink.keep();
  try {
    store_.insert_file(file);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(files_.dir() / file.name, ignored);
    if (thumbnail_path) std::filesystem::remove(*thumbnail_path, ignored);
    throw;
  }
  return file;
}

Result<StoredFile> MediaService::attachment(std::string_view reference) {
  constexpr std::string_view prefix = "/api/files/";
  if (const auto at = reference.rfind(prefix); at != std::string_view::npos) {
    reference.remove_prefix(at + prefix.size());
  }
  if (!FileStore::valid_name(reference)) return ApiError::bad_request("attachment does not name an uploaded file");
  auto file = store_.find_file(reference);
  if (!file) return ApiError::bad_request("attachment does not name an uploaded file");
  return std::move(*file);
}

std::string sanitize_filename(std::string_view name) {
  if (const auto slash = name.find_last_of("/\\"); slash != std::string_view::npos) name.remove_prefix(slash + 1);
  std::string out;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '"' || c == '\\') continue;
    out.push_back(c);
  }
  if (!is_valid_utf8(out)) return "file";
  // Cut at a code point boundary.
  std::size_t cut = std::min<std::size_t>(out.size(), 200);
  while (cut > 0 && cut < out.size() && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  const auto trimmed = trim(out);
  return trimmed.empty() ? std::string("file") : std::string(trimmed);
}

}  // namespace parley
