// probe_image and make_thumbnail on images the tests make with libvips (or by hand, for the
// hostile ones), checked by loading the results back.
#include "media/image.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <vips/vips.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "media/sniff.hpp"

#include "support/temp_dir.hpp"

namespace parley {
namespace {

using parley::testing::TempDir;

// ---- libvips helpers for making and inspecting test images ----

struct UnrefImage {
  void operator()(VipsImage* image) const { g_object_unref(image); }
};
using ImagePtr = std::unique_ptr<VipsImage, UnrefImage>;

void start_vips() {
  static const bool started = VIPS_INIT("parley-media-test") == 0;
  if (!started) throw std::runtime_error("libvips failed to start");
}

std::string vips_text() {
  char* text = vips_error_buffer_copy();
  std::string out = text ? text : "";
  g_free(text);
  return out;
}

ImagePtr take(VipsImage* image) {
  if (image == nullptr) throw std::runtime_error("libvips: " + vips_text());
  return ImagePtr(image);
}

void check(int status) {
  if (status != 0) throw std::runtime_error("libvips: " + vips_text());
}

// A width x height gradient with `bands` bands (4 = RGBA), so encoders have real content.
ImagePtr gradient(int width, int height, int bands = 3) {
  start_vips();
  VipsImage* grey = nullptr;
  check(vips_grey(&grey, width, height, "uchar", TRUE, nullptr));
  ImagePtr base = take(grey);
  std::vector<VipsImage*> copies(static_cast<std::size_t>(bands), base.get());
  VipsImage* joined = nullptr;
  check(vips_bandjoin(copies.data(), &joined, bands, nullptr));
  ImagePtr image = take(joined);
  VipsImage* tagged = nullptr;
  check(vips_copy(image.get(), &tagged, "interpretation", VIPS_INTERPRETATION_sRGB, nullptr));
  return take(tagged);
}

// Saves with the format the suffix names (.png, .jpg, .gif, .webp, .tif).
void save(const ImagePtr& image, const std::filesystem::path& path) {
  check(vips_image_write_to_file(image.get(), path.c_str(), nullptr));
}

ImagePtr load(const std::filesystem::path& path) {
  start_vips();
  return take(vips_image_new_from_file(path.c_str(), nullptr));
}

std::string loader_of(const std::filesystem::path& path) {
  const char* type_name = vips_foreign_find_load(path.c_str());
  if (type_name == nullptr) return "";
  const char* nickname = vips_nickname_find(g_type_from_name(type_name));
  return nickname ? nickname : "";
}

double pixel(const ImagePtr& image, int x, int y) {
  double* values = nullptr;
  int count = 0;
  check(vips_getpoint(image.get(), &values, &count, x, y, nullptr));
  const double first = values[0];
  g_free(values);
  return first;
}

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// ---- a hand-built decompression bomb ----

std::uint32_t crc32(std::string_view bytes) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void put_be(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xFF);
}

void put_chunk(std::string& png, std::string_view type, std::string_view data) {
  put_be(png, static_cast<std::uint32_t>(data.size()));
  const std::string body = std::string(type) + std::string(data);
  png += body;
  put_be(png, crc32(body));
}

// A valid PNG header declaring width x height RGB pixels, followed by a token IDAT: decoding
// it would mean inflating width * height * 3 bytes, so only a header-only check is fast.
std::string png_declaring(std::uint32_t width, std::uint32_t height) {
  std::string png = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  put_be(ihdr, width);
  put_be(ihdr, height);
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, deflate, no interlace
  put_chunk(png, "IHDR", ihdr);
  // zlib stream with one stored block holding a single zero byte (adler32 = 0x00010001).
  put_chunk(png, "IDAT", std::string("\x78\x01\x01\x01\x00\xfe\xff\x00\x00\x01\x00\x01", 12));
  put_chunk(png, "IEND", "");
  return png;
}

// ---- probe ----

TEST(ProbeImage, ReadsDimensionsOfEachSupportedFormat) {
  TempDir dir;
  ContentSniffer sniffer;
  const struct {
    const char* name;
    const char* mime_type;
  } formats[] = {{"a.png", "image/png"}, {"a.jpg", "image/jpeg"}, {"a.gif", "image/gif"}, {"a.webp", "image/webp"}};
  for (const auto& format : formats) {
    const auto path = dir / format.name;
    save(gradient(123, 45), path);
    // The whole path an upload takes: sniffed by content, allowed, decodable, probed.
    const SniffResult sniffed = sniffer.sniff_file(path);
    EXPECT_EQ(sniffed.mime_type, format.mime_type);
    EXPECT_EQ(sniffed.kind, "image");
    EXPECT_TRUE(MediaPolicy().allowed(sniffed.mime_type));
    EXPECT_TRUE(can_decode_image(sniffed.mime_type));

    const auto info = probe_image(path);
    ASSERT_TRUE(info.ok()) << format.name << ": " << info.error().message;
    EXPECT_EQ(info.value().width, 123) << format.name;
    EXPECT_EQ(info.value().height, 45) << format.name;
  }
}

TEST(ProbeImage, RefusesDecompressionBombQuicklyFromTheHeader) {
  TempDir dir;
  const auto path = dir / "bomb.png";
  write_bytes(path, png_declaring(100000, 100000));

  const auto started = std::chrono::steady_clock::now();
  const auto info = probe_image(path);
  const auto elapsed = std::chrono::steady_clock::now() - started;

  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.error().message.find("too large"), std::string::npos) << info.error().message;
  // Decoding 10^10 pixels would take minutes; a header read takes milliseconds.
  EXPECT_LT(elapsed, std::chrono::seconds(1));

  const auto thumbnail = make_thumbnail(path, dir / "bomb_thumb");
  ASSERT_FALSE(thumbnail.ok());
  EXPECT_NE(thumbnail.error().message.find("too large"), std::string::npos) << thumbnail.error().message;
  EXPECT_FALSE(std::filesystem::exists(dir / "bomb_thumb.jpg"));
}

TEST(ProbeImage, PixelLimitIsInclusive) {
  TempDir dir;
  const auto path = dir / "a.png";
  save(gradient(40, 30), path);
  EXPECT_TRUE(probe_image(path, 40 * 30).ok());
  EXPECT_FALSE(probe_image(path, 40 * 30 - 1).ok());
}

TEST(ProbeImage, RefusesFormatsOutsideTheTrustedDecoders) {
  TempDir dir;
  const auto tiff = dir / "a.tif";
  save(gradient(20, 10), tiff);
  ASSERT_EQ(loader_of(tiff), "tiffload");  // libvips could read it, but we must not
  const auto info = probe_image(tiff);
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.error().message.find("unsupported"), std::string::npos) << info.error().message;

  const auto svg = dir / "a.svg";
  write_bytes(svg, R"(<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>)");
  EXPECT_FALSE(probe_image(svg).ok());
}

TEST(ProbeImage, HtmlNamedPngIsNotAnImage) {
  TempDir dir;
  const auto path = dir / "x.png";
  write_bytes(path, "<!DOCTYPE html><html><body><script>alert(1)</script></body></html>\n");
  EXPECT_FALSE(probe_image(path).ok());
  EXPECT_FALSE(make_thumbnail(path, dir / "t").ok());
}

TEST(ProbeImage, MissingFileIsAnError) {
  TempDir dir;
  EXPECT_FALSE(probe_image(dir / "missing.png").ok());
}

// ---- thumbnails ----

TEST(MakeThumbnail, FitsLongestSideAndWritesJpeg) {
  TempDir dir;
  const auto src = dir / "wide.png";
  save(gradient(1000, 500), src);

  const auto thumb = make_thumbnail(src, dir / "wide_thumb");
  ASSERT_TRUE(thumb.ok()) << thumb.error().message;
  EXPECT_EQ(thumb.value().width, 320);
  EXPECT_EQ(thumb.value().height, 160);
  EXPECT_EQ(thumb.value().mime_type, "image/jpeg");
  EXPECT_EQ(thumb.value().path, (dir / "wide_thumb.jpg").string());
  EXPECT_EQ(loader_of(thumb.value().path), "jpegload");
  const ImagePtr written = load(thumb.value().path);
  EXPECT_EQ(vips_image_get_width(written.get()), 320);
  EXPECT_EQ(vips_image_get_height(written.get()), 160);
}

TEST(MakeThumbnail, TallImagesFitByHeightAndSizeIsConfigurable) {
  TempDir dir;
  const auto src = dir / "tall.jpg";
  save(gradient(300, 1200), src);
  const auto thumb = make_thumbnail(src, dir / "tall_thumb.whatever", 100);
  ASSERT_TRUE(thumb.ok()) << thumb.error().message;
  EXPECT_EQ(thumb.value().width, 25);
  EXPECT_EQ(thumb.value().height, 100);
  EXPECT_EQ(thumb.value().path, (dir / "tall_thumb.jpg").string());
}

TEST(MakeThumbnail, SmallImagesAreNotEnlarged) {
  TempDir dir;
  const auto src = dir / "small.gif";
  save(gradient(100, 50), src);
  const auto thumb = make_thumbnail(src, dir / "small_thumb");
  ASSERT_TRUE(thumb.ok()) << thumb.error().message;
  EXPECT_EQ(thumb.value().width, 100);
  EXPECT_EQ(thumb.value().height, 50);
}

TEST(MakeThumbnail, AlphaKeepsTransparencyAsPng) {
  TempDir dir;
  const auto src = dir / "alpha.webp";
  save(gradient(640, 480, 4), src);
  const auto thumb = make_thumbnail(src, dir / "alpha_thumb");
  ASSERT_TRUE(thumb.ok()) << thumb.error().message;
  EXPECT_EQ(thumb.value().mime_type, "image/png");
  EXPECT_EQ(thumb.value().path, (dir / "alpha_thumb.png").string());
  EXPECT_EQ(thumb.value().width, 320);
  EXPECT_EQ(thumb.value().height, 240);
  const ImagePtr written = load(thumb.value().path);
  EXPECT_TRUE(vips_image_hasalpha(written.get()));
}

TEST(MakeThumbnail, SixteenBitPngBecomesEightBitJpeg) {
  TempDir dir;
  VipsImage* wide = nullptr;
  check(vips_cast_ushort(gradient(640, 480).get(), &wide, nullptr));
  ImagePtr deep = take(wide);
  VipsImage* tagged = nullptr;
  check(vips_copy(deep.get(), &tagged, "interpretation", VIPS_INTERPRETATION_RGB16, nullptr));
  const auto src = dir / "deep.png";
  save(take(tagged), src);

  const auto thumb = make_thumbnail(src, dir / "deep_thumb");
  ASSERT_TRUE(thumb.ok()) << thumb.error().message;
  EXPECT_EQ(thumb.value().mime_type, "image/jpeg");
  EXPECT_EQ(thumb.value().width, 320);
  EXPECT_EQ(thumb.value().height, 240);
  EXPECT_EQ(loader_of(thumb.value().path), "jpegload");
}

TEST(MakeThumbnail, ExifOrientationIsAppliedAndStripped) {
  TempDir dir;
  // Stored 640x320, left half white. Orientation 6 means "rotate 90 degrees clockwise to
  // view": upright it is 320x640 with the white half on top.
  start_vips();
  VipsImage* xy = nullptr;
  check(vips_xyz(&xy, 640, 320, nullptr));
  ImagePtr coordinates = take(xy);
  VipsImage* x = nullptr;
  check(vips_extract_band(coordinates.get(), &x, 0, nullptr));
  ImagePtr x_band = take(x);
  VipsImage* left = nullptr;
  check(vips_less_const1(x_band.get(), &left, 320, nullptr));  // 255 where x < 320, else 0
  ImagePtr stored = take(left);
  vips_image_set_int(stored.get(), "orientation", 6);
  const auto src = dir / "rotated.jpg";
  save(stored, src);
  ASSERT_EQ(vips_image_get_width(load(src).get()), 640);
  int orientation = 0;
  ASSERT_EQ(vips_image_get_int(load(src).get(), "orientation", &orientation), 0);
  ASSERT_EQ(orientation, 6);

  // The reported size is the displayed one, like the thumbnail's shape.
  const auto info = probe_image(src);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info.value().width, 320);
  EXPECT_EQ(info.value().height, 640);

  const auto thumb = make_thumbnail(src, dir / "rotated_thumb");
  ASSERT_TRUE(thumb.ok()) << thumb.error().message;
  EXPECT_EQ(thumb.value().width, 160);
  EXPECT_EQ(thumb.value().height, 320);

  const ImagePtr written = load(thumb.value().path);
  EXPECT_EQ(vips_image_get_width(written.get()), 160);
  EXPECT_EQ(vips_image_get_height(written.get()), 320);
  EXPECT_GT(pixel(written, 80, 40), 200.0);  // top is white
  EXPECT_LT(pixel(written, 80, 280), 50.0);  // bottom is black
  // No orientation tag survives, or viewers would turn the upright pixels again.
  orientation = 1;
  if (vips_image_get_typeof(written.get(), "orientation") != 0) {
    vips_image_get_int(written.get(), "orientation", &orientation);
  }
  EXPECT_EQ(orientation, 1);
  EXPECT_EQ(vips_image_get_typeof(written.get(), "exif-data"), 0u);
}

TEST(MakeThumbnail, TruncatedJpegIsAnErrorAndLeavesNoFile) {
  TempDir dir;
  const auto whole = dir / "whole.jpg";
  start_vips();
  VipsImage* noise = nullptr;  // noise, so the entropy-coded data fills the file
  check(vips_gaussnoise(&noise, 1200, 900, "mean", 128.0, "sigma", 40.0, nullptr));
  ImagePtr noisy = take(noise);
  save(noisy, whole);
  const std::string bytes = read_bytes(whole);
  const auto truncated = dir / "truncated.jpg";
  write_bytes(truncated, std::string_view(bytes).substr(0, bytes.size() / 2));

  ASSERT_TRUE(make_thumbnail(whole, dir / "whole_thumb").ok());
  // The header is intact, so probing succeeds; the damage shows when pixels are decoded.
  EXPECT_TRUE(probe_image(truncated).ok());
  const auto thumb = make_thumbnail(truncated, dir / "truncated_thumb");
  ASSERT_FALSE(thumb.ok());
  EXPECT_FALSE(thumb.error().message.empty());
  EXPECT_FALSE(std::filesystem::exists(dir / "truncated_thumb.jpg"));
}

TEST(MakeThumbnail, CorruptBytesAreAnError) {
  TempDir dir;
  const auto src = dir / "a.png";
  save(gradient(300, 200), src);
  std::string bytes = read_bytes(src);
  for (std::size_t i = 60; i < bytes.size(); i += 7) bytes[i] = static_cast<char>(bytes[i] ^ 0x5a);
  const auto corrupt = dir / "corrupt.png";
  write_bytes(corrupt, bytes);
  EXPECT_FALSE(make_thumbnail(corrupt, dir / "corrupt_thumb").ok());

  const auto header_only = dir / "header_only.png";
  write_bytes(header_only, std::string_view(bytes).substr(0, 33));  // signature + IHDR, no data
  EXPECT_FALSE(make_thumbnail(header_only, dir / "header_only_thumb").ok());
}

TEST(MakeThumbnail, RefusesNonPositiveSize) {
  TempDir dir;
  const auto src = dir / "a.png";
  save(gradient(30, 20), src);
  EXPECT_FALSE(make_thumbnail(src, dir / "t", 0).ok());
}

TEST(MakeThumbnail, WorksFromManyThreads) {
  TempDir dir;
  const auto src = dir / "shared.jpg";
  save(gradient(800, 600), src);
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        const auto thumb = make_thumbnail(src, dir / std::to_string(t * 100 + i));
        if (!thumb.ok() || thumb.value().width != 320 || thumb.value().height != 240) ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace parley
