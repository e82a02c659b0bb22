// parley_make_test_image OUT.{png,jpg,jpeg,gif,webp} WIDTH HEIGHT [--orientation N]
//
// Writes a test image for the integration suite: a red-to-blue horizontal gradient with a green
// vertical ramp (non-uniform, and left/right differ so a rotation is detectable). With
// --orientation N (1-8, JPEG only) the EXIF orientation tag is set: the stored pixels stay
// WIDTH x HEIGHT, and a viewer (or a thumbnailer) that honours EXIF shows them rotated.
#include <vips/vips.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

int usage() {
  std::fprintf(stderr, "usage: parley_make_test_image OUT.{png,jpg,gif,webp} WIDTH HEIGHT [--orientation N]\n");
  return 2;
}

bool parse_int(const char* text, int min, int max, int& out) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v < min || v > max) return false;
  out = static_cast<int>(v);
  return true;
}

int fail(const char* what) {
  std::fprintf(stderr, "parley_make_test_image: %s: %s\n", what, vips_error_buffer());
  return 1;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 && argc != 6) return usage();
  const std::string out = argv[1];
  int width = 0;
  int height = 0;
  int orientation = 0;
  if (!parse_int(argv[2], 1, 100000, width) || !parse_int(argv[3], 1, 100000, height)) return usage();
  if (argc == 6) {
    if (std::strcmp(argv[4], "--orientation") != 0 || !parse_int(argv[5], 1, 8, orientation)) return usage();
  }
  const bool png = ends_with(out, ".png");
  const bool jpeg = ends_with(out, ".jpg") || ends_with(out, ".jpeg");
  const bool gif = ends_with(out, ".gif");
  const bool webp = ends_with(out, ".webp");
  if (!png && !jpeg && !gif && !webp) return usage();
  if (orientation != 0 && !jpeg) {
    std::fprintf(stderr, "parley_make_test_image: --orientation needs a JPEG output\n");
    return 2;
  }

  if (VIPS_INIT(argv[0]) != 0) return fail("vips_init");

  // Three 8-bit bands: R falls and B rises left to right, G rises top to bottom; the left
  // quarter is also brightened so that left and right differ in more than hue.
  const std::size_t bytes = static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3;
  auto* pixels = static_cast<unsigned char*>(g_malloc(bytes));
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      unsigned char* p = pixels + (static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + x) * 3;
      const int h = width > 1 ? x * 255 / (width - 1) : 0;
      const int v = height > 1 ? y * 255 / (height - 1) : 0;
      const bool left = x < width / 4;
      p[0] = static_cast<unsigned char>(left ? 255 : 255 - h);
      p[1] = static_cast<unsigned char>(left ? 255 : v);
      p[2] = static_cast<unsigned char>(h);
    }
  }
  VipsImage* image = vips_image_new_from_memory_copy(pixels, bytes, width, height, 3, VIPS_FORMAT_UCHAR);
  g_free(pixels);
  if (image == nullptr) return fail("cannot build the image");
  image->Type = VIPS_INTERPRETATION_sRGB;

  int rc = 0;
  if (png) {
    rc = vips_pngsave(image, out.c_str(), nullptr);
  } else if (jpeg) {
    if (orientation != 0) vips_image_set_int(image, VIPS_META_ORIENTATION, orientation);
    rc = vips_jpegsave(image, out.c_str(), "Q", 90, nullptr);
  } else if (gif) {
    rc = vips_gifsave(image, out.c_str(), nullptr);
  } else {
    rc = vips_webpsave(image, out.c_str(), nullptr);
  }
  g_object_unref(image);
  if (rc != 0) return fail("cannot save the image");
  vips_shutdown();
  return 0;
}
