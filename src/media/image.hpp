// Image dimensions and thumbnails for uploads, with libvips.
//
// Uploaded bytes are hostile until proven otherwise, so:
//   - only the JPEG, PNG, GIF and WebP decoders ever see them (libvips' other loaders, such as
//     ImageMagick, PDF or SVG, are refused even when the bytes would match one);
//   - dimensions come from the header alone, and an image declaring more than `max_pixels`
//     is refused before any pixel is decoded (decompression bombs);
//   - a corrupt or truncated image is an error value, never a crash and never a grey thumbnail.
//
// Errors are values: every outcome of bad input comes back as an ImageResult holding an
// ImageError, which the upload handler maps to 415. Nothing here throws for bad input.
//
// Thread-safe: libvips is started once (on first use, from any thread) with its operation
// cache off and one worker per operation, because the server brings its own threads and
// memory must not grow with the number of distinct files seen. libvips keeps one global
// error buffer, so when two threads fail at the same moment an error's text may carry the
// other's message too; whether a call failed is always reported correctly.
//
// Depends on the standard library, libvips and core/result.hpp, so it is usable from any layer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "core/result.hpp"

namespace parley {

// The size as displayed: upright after the EXIF orientation, like the thumbnail.
struct ImageInfo {
  int width = 0;
  int height = 0;  // of the first frame, for animated GIF and WebP
};

struct ThumbnailResult {
  std::string path;       // the file written: dst_path with its extension set to ".jpg" or ".png"
  std::string mime_type;  // "image/jpeg", or "image/png" when the source has an alpha channel
  int width = 0;
  int height = 0;
};

struct ImageError {
  std::string message;  // for logs; says what was wrong with the image (or the library)
};

template <class T>
using ImageResult = Result<T, ImageError>;

// 50 megapixels: above the photos of today's phone cameras, and small enough that decoding
// one takes well under a second; a progressive JPEG (decoded whole) at the limit needs about
// 165 MB, which bounds what a worker thread can be made to hold.
inline constexpr std::int64_t kDefaultMaxImagePixels = 50'000'000;
inline constexpr int kDefaultThumbnailSide = 320;

// True for the sniffed MIME types this module decodes: image/jpeg, image/png, image/gif,
// image/webp. An upload of another image type is refused (415) even if allow-listed.
bool can_decode_image(std::string_view mime_type);

// Width and height from the header only, refusing images whose declared width * height
// exceeds max_pixels, and anything not JPEG, PNG, GIF or WebP.
ImageResult<ImageInfo> probe_image(const std::filesystem::path& path, std::int64_t max_pixels = kDefaultMaxImagePixels);

// Probes `src_path` as above, then writes a thumbnail that fits in longest_side x longest_side
// (never enlarged), turned upright by the EXIF orientation and stripped of metadata (no GPS
// position leaks through a thumbnail). JPEG (quality 80) for opaque images; PNG when the
// source has alpha, which JPEG would flatten onto black. A truncated or corrupt source is an
// error, and then no file is left behind.
ImageResult<ThumbnailResult> make_thumbnail(const std::filesystem::path& src_path,
                                            const std::filesystem::path& dst_path,
                                            int longest_side = kDefaultThumbnailSide,
                                            std::int64_t max_pixels = kDefaultMaxImagePixels);

}  // namespace parley
