// parley_thumbnail_bench: time make_thumbnail (src/media/image.cpp) on a 12-megapixel photo.
//
// Generates a 4000x3000 JPEG once (photo-like: blurred noise over gradients, quality 90, a few
// MB like a phone camera's), then reports each of N runs and their median. Each run is what an
// upload pays: header probe and pixel-limit check, shrink-on-load decode, resize to 320 px,
// JPEG encode, write. libvips runs as the server configures it (no cache, one worker).
//
// Usage: parley_thumbnail_bench [--dir DIR] [--runs N] [--png]
//   --png  also time a 12-megapixel PNG, which has no shrink-on-load (for comparison).
#include <stdlib.h>
#include <vips/vips.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "media/image.hpp"

namespace {

constexpr int kWidth = 4000;
constexpr int kHeight = 3000;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "thumbnail_bench: %s: %s\n", what, vips_error_buffer());
  std::exit(1);
}

// Three bands of blurred noise, each over a different gradient, so the JPEG has the
// entropy of a photograph rather than of a flat test card.
void generate_photo(const std::filesystem::path& path) {
  std::vector<VipsImage*> bands;
  for (int band = 0; band < 3; ++band) {
    VipsImage *noise = nullptr, *blurred = nullptr, *ramp = nullptr, *sum = nullptr;
    if (vips_gaussnoise(&noise, kWidth, kHeight, "mean", 0.0, "sigma", 60.0, "seed", 7 + band, nullptr) ||
        vips_gaussblur(noise, &blurred, 1.5, nullptr) ||
        vips_grey(&ramp, kWidth, kHeight, nullptr) ||  // 0..1 left to right
        vips_linear1(ramp, &sum, 160.0 - 40.0 * band, 40.0 + 30.0 * band, nullptr)) {
      die("generating noise");
    }
    VipsImage* combined = nullptr;
    if (vips_add(blurred, sum, &combined, nullptr)) die("combining");
    g_object_unref(noise);
    g_object_unref(blurred);
    g_object_unref(ramp);
    g_object_unref(sum);
    bands.push_back(combined);
  }
  VipsImage *joined = nullptr, *bytes = nullptr, *srgb = nullptr;
  if (vips_bandjoin(bands.data(), &joined, 3, nullptr) || vips_cast_uchar(joined, &bytes, nullptr) ||
      vips_copy(bytes, &srgb, "interpretation", VIPS_INTERPRETATION_sRGB, nullptr)) {
    die("joining bands");
  }
  const std::string extension = path.extension().string();
  const int saved = extension == ".png" ? vips_pngsave(srgb, path.c_str(), "compression", 3, nullptr)
                                        : vips_jpegsave(srgb, path.c_str(), "Q", 90, nullptr);
  if (saved != 0) die("saving");
  for (VipsImage* image : bands) g_object_unref(image);
  g_object_unref(joined);
  g_object_unref(bytes);
  g_object_unref(srgb);
}

double milliseconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

void run(const std::filesystem::path& dir, const char* name, int runs) {
  const auto source = dir / name;
  if (!std::filesystem::exists(source)) generate_photo(source);
  std::printf("%s: %dx%d, %.2f MB\n", name, kWidth, kHeight,
              static_cast<double>(std::filesystem::file_size(source)) / 1e6);

  const auto thumb = dir / "thumb";
  if (auto warm = parley::make_thumbnail(source, thumb); !warm) {  // page cache and library warm-up
    std::fprintf(stderr, "thumbnail failed: %s\n", warm.error().message.c_str());
    std::exit(1);
  }
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const auto result = parley::make_thumbnail(source, thumb);
    times.push_back(milliseconds_since(start));
    if (!result) {
      std::fprintf(stderr, "thumbnail failed: %s\n", result.error().message.c_str());
      std::exit(1);
    }
    std::printf("  run %2d: %7.1f ms -> %dx%d %s\n", i + 1, times.back(), result.value().width, result.value().height,
                result.value().mime_type.c_str());
  }
  std::sort(times.begin(), times.end());
  const std::size_t n = times.size();
  const double median = n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
  std::printf("%s thumbnail: median %.1f ms, min %.1f ms, max %.1f ms over %zu runs\n", name, median, times.front(),
              times.back(), n);
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "parley-thumbnail-bench";
  int runs = 10;
  bool png = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--dir") && i + 1 < argc) {
      dir = argv[++i];
    } else if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (!std::strcmp(argv[i], "--png")) {
      png = true;
    } else {
      std::fprintf(stderr, "usage: %s [--dir DIR] [--runs N] [--png]\n", argv[0]);
      return 2;
    }
  }
  std::filesystem::create_directories(dir);
  // Generation uses libvips directly; make_thumbnail then sets it up as the server runs it
  // (no cache, one worker) on its first call, before anything is timed.
  if (VIPS_INIT(argv[0]) != 0) die("starting libvips");

  run(dir, "photo-12mp.jpg", runs);
  if (png) run(dir, "photo-12mp.png", runs);
  return 0;
}
