#include "media/image.hpp"

#include <vips/vips.h>

#include <array>
#include <memory>
#include <system_error>

namespace parley {
namespace {

// Loaders (by libvips nickname) allowed to parse uploaded bytes: the formats the product
// promises, each backed by a widely fuzzed library (libjpeg-turbo, libspng/libpng, libnsgif,
// libwebp).
constexpr std::array<std::string_view, 4> kTrustedLoaders = {"jpegload_source", "pngload_source", "gifload_source",
                                                             "webpload_source"};
constexpr std::array<std::string_view, 4> kDecodableTypes = {"image/jpeg", "image/png", "image/gif", "image/webp"};

// fail_on=error: a truncated or corrupt file fails the operation instead of being padded
// out with grey, which libvips does by default.
constexpr const char* kLoadOptions = "fail_on=error";

struct Unref {
  void operator()(gpointer object) const { g_object_unref(object); }
};
using ImagePtr = std::unique_ptr<VipsImage, Unref>;
using SourcePtr = std::unique_ptr<VipsSource, Unref>;

// Takes (and clears) libvips' error buffer, so one failure's text does not leak into the next.
ImageError vips_failure(std::string_view what) {
  std::string message(what);
  if (char* details = vips_error_buffer_copy()) {
    std::string text = details;
    g_free(details);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    if (!text.empty()) message += ": " + text;
  }
  return ImageError{std::move(message)};
}

// libvips is started once per process. Function-local static initialisation is thread-safe,
// so the first callers, on whatever threads, wait for a single start.
const std::string& vips_start_error() {
  static const std::string error = [] {
    if (VIPS_INIT("parley") != 0) return vips_failure("libvips failed to start").message;
    // No operation cache: the server sees each upload once, so caching only holds memory
    // and open files.
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    vips_cache_set_max_files(0);
    // One worker per operation: the server's own threads provide the parallelism.
    vips_concurrency_set(1);
    // Defence in depth behind kTrustedLoaders: loaders libvips itself flags as unsafe for
    // untrusted input (ImageMagick, PDF, ...) cannot run at all.
    vips_block_untrusted_set(TRUE);
    return std::string();
  }();
  return error;
}

bool contains(const auto& list, std::string_view item) {
  for (std::string_view entry : list) {
    if (entry == item) return true;
  }
  return false;
}

// Files are read through VipsSource rather than by file name, because libvips' file-name
// APIs parse "name[options]" out of the name.
ImageResult<SourcePtr> open_source(const std::filesystem::path& path) {
  if (const std::string& error = vips_start_error(); !error.empty()) return ImageError{error};
  SourcePtr source(vips_source_new_from_file(path.c_str()));
  if (!source) return vips_failure("cannot open image");
  return source;
}

// Which decoder libvips would use for these bytes; refuses any not in kTrustedLoaders.
ImageResult<std::string> trusted_loader(VipsSource* source) {
  const char* type_name = vips_foreign_find_load_source(source);
  if (type_name == nullptr) return vips_failure("not a readable image");
  const char* nickname = vips_nickname_find(g_type_from_name(type_name));
  if (nickname == nullptr || !contains(kTrustedLoaders, nickname)) {
    return ImageError{std::string("unsupported image format (") + (nickname ? nickname : type_name) + ")"};
  }
  return std::string(nickname);
}

}  // namespace

bool can_decode_image(std::string_view mime_type) {
  return contains(kDecodableTypes, mime_type);
}

// Opening an image in libvips reads its header only; pixels are decoded later, when something
// pulls them. So the declared size is checked here before any decoding can start.
ImageResult<ImageInfo> probe_image(const std::filesystem::path& path, std::int64_t max_pixels) {
  auto source = open_source(path);
  if (!source) return source.error();
  if (auto loader = trusted_loader(source.value().get()); !loader) return loader.error();

  ImagePtr image(
      vips_image_new_from_source(source.value().get(), kLoadOptions, "access", VIPS_ACCESS_SEQUENTIAL, nullptr));
  if (!image) return vips_failure("cannot read image header");

  const ImageInfo info{vips_image_get_width(image.get()), vips_image_get_height(image.get())};
  if (info.width <= 0 || info.height <= 0) return ImageError{"image has no pixels"};
  if (std::int64_t{info.width} * info.height > max_pixels) {
    return ImageError{"image too large: " + std::to_string(info.width) + "x" + std::to_string(info.height) +
                      " exceeds " + std::to_string(max_pixels) + " pixels"};
  }
  // Report the size as shown: EXIF orientations 5-8 (most portrait phone photos) turn the
  // stored pixels a quarter, as the thumbnail does, so a client laying out by width and height
  // gets the same shape as the thumbnail.
  int orientation = 1;
  if (vips_image_get_typeof(image.get(), VIPS_META_ORIENTATION) != 0 &&
      vips_image_get_int(image.get(), VIPS_META_ORIENTATION, &orientation) == 0 && orientation >= 5 &&
      orientation <= 8) {
    return ImageInfo{info.height, info.width};
  }
  return info;
}

ImageResult<ThumbnailResult> make_thumbnail(const std::filesystem::path& src_path,
                                            const std::filesystem::path& dst_path, int longest_side,
                                            std::int64_t max_pixels) {
  if (longest_side <= 0) return ImageError{"thumbnail size must be positive"};
  // Refuse bombs and untrusted formats before vips_thumbnail decodes anything.
  if (auto header = probe_image(src_path, max_pixels); !header) return header.error();

  // vips_thumbnail shrinks on load where the format allows (JPEG decodes at 1/2, 1/4 or 1/8
  // scale; WebP at any scale), rotates upright by EXIF orientation, and converts to sRGB.
  // size=down: an image already smaller than the box keeps its size.
  auto source = open_source(src_path);
  if (!source) return source.error();
  VipsImage* raw = nullptr;
  if (vips_thumbnail_source(source.value().get(), &raw, longest_side, "height", longest_side, "size", VIPS_SIZE_DOWN,
                            "option_string", kLoadOptions, nullptr) != 0) {
    return vips_failure("cannot make thumbnail");
  }
  ImagePtr thumb(raw);

  ThumbnailResult result;
  const bool has_alpha = vips_image_hasalpha(thumb.get());
  std::filesystem::path out_path = dst_path;
  out_path.replace_extension(has_alpha ? ".png" : ".jpg");
  result.path = out_path.string();
  result.mime_type = has_alpha ? "image/png" : "image/jpeg";

  // Decoding happens here, as the save pulls pixels through the pipeline: this is where a
  // truncated or corrupt source fails. strip: no EXIF (GPS position, and an orientation tag
  // that would make viewers rotate the already upright pixels a second time).
  const int saved = has_alpha ? vips_pngsave(thumb.get(), result.path.c_str(), "strip", TRUE, nullptr)
                              : vips_jpegsave(thumb.get(), result.path.c_str(), "Q", 80, "strip", TRUE, nullptr);
  if (saved != 0) {
    ImageError error = vips_failure("cannot make thumbnail");
    std::error_code ignored;
    std::filesystem::remove(out_path, ignored);
    return error;
  }
  result.width = vips_image_get_width(thumb.get());
  result.height = vips_image_get_height(thumb.get());
  return result;
}

}  // namespace parley
