// ContentSniffer and MediaPolicy against the real libmagic database, on bytes the tests build
// themselves: the allow-list must name the exact strings libmagic reports.
#include "media/sniff.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"

namespace parley {
namespace {

using parley::testing::TempDir;

// ---- byte builders ----

std::uint32_t crc32(std::string_view bytes) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void put_le(std::string& out, std::uint32_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFF);
}
void put_be(std::string& out, std::uint32_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((value >> (8 * i)) & 0xFF);
}

// A zip archive of uncompressed ("stored") entries, in order, as office suites write them.
std::string zip_of(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string archive;
  std::string directory;
  for (const auto& [name, data] : entries) {
    const auto offset = static_cast<std::uint32_t>(archive.size());
    const auto size = static_cast<std::uint32_t>(data.size());
    const auto name_size = static_cast<std::uint32_t>(name.size());
    put_le(archive, 0x04034b50, 4);  // local file header
    put_le(archive, 20, 2);          // version needed
    put_le(archive, 0, 2);           // flags
    put_le(archive, 0, 2);           // method: stored
    put_le(archive, 0, 2);           // time
    put_le(archive, 0x21, 2);        // date: 1980-01-01
    put_le(archive, crc32(data), 4);
    put_le(archive, size, 4);
    put_le(archive, size, 4);
    put_le(archive, name_size, 2);
    put_le(archive, 0, 2);  // extra length
    archive += name;
    archive += data;

    put_le(directory, 0x02014b50, 4);  // central directory header
    put_le(directory, 20, 2);          // version made by
    put_le(directory, 20, 2);          // version needed
    put_le(directory, 0, 2);
    put_le(directory, 0, 2);
    put_le(directory, 0, 2);
    put_le(directory, 0x21, 2);
    put_le(directory, crc32(data), 4);
    put_le(directory, size, 4);
    put_le(directory, size, 4);
    put_le(directory, name_size, 2);
    put_le(directory, 0, 2);  // extra
    put_le(directory, 0, 2);  // comment
    put_le(directory, 0, 2);  // disk
    put_le(directory, 0, 2);  // internal attributes
    put_le(directory, 0, 4);  // external attributes
    put_le(directory, offset, 4);
    directory += name;
  }
  const auto directory_offset = static_cast<std::uint32_t>(archive.size());
  archive += directory;
  put_le(archive, 0x06054b50, 4);  // end of central directory
  put_le(archive, 0, 2);
  put_le(archive, 0, 2);
  put_le(archive, static_cast<std::uint32_t>(entries.size()), 2);
  put_le(archive, static_cast<std::uint32_t>(entries.size()), 2);
  put_le(archive, static_cast<std::uint32_t>(directory.size()), 4);
  put_le(archive, directory_offset, 4);
  put_le(archive, 0, 2);
  return archive;
}

std::string docx_bytes() {
  return zip_of({
      {"[Content_Types].xml",
       R"(<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">)"
       R"(<Override PartName="/word/document.xml" ContentType="application/)"
       R"(vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>)"},
      {"_rels/.rels", R"(<?xml version="1.0"?><Relationships/>)"},
      {"word/document.xml", R"(<?xml version="1.0"?><w:document/>)"},
  });
}

std::string odt_bytes() {
  // ODF requires an uncompressed "mimetype" entry first; that is what libmagic reads.
  return zip_of({{"mimetype", "application/vnd.oasis.opendocument.text"}, {"content.xml", "<x/>"}});
}

std::string pdf_bytes() {
  return "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n";
}

std::string png_header_bytes() {
  std::string png = "\x89PNG\r\n\x1a\n";
  std::string ihdr = "IHDR";
  put_be(ihdr, 16, 4);
  put_be(ihdr, 16, 4);
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);
  put_be(png, 13, 4);
  png += ihdr;
  put_be(png, crc32(ihdr), 4);
  return png;
}

std::string random_bytes(std::size_t size) {
  std::mt19937 generator(20240601);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(byte(generator));
  return out;
}

// Minimal but genuine headers of audio/video containers.
std::string wav_bytes() {
  std::string wav = "RIFF";
  put_le(wav, 36, 4);
  wav += "WAVEfmt ";
  put_le(wav, 16, 4);
  put_le(wav, 1, 2);      // PCM
  put_le(wav, 1, 2);      // mono
  put_le(wav, 8000, 4);   // sample rate
  put_le(wav, 16000, 4);  // byte rate
  put_le(wav, 2, 2);      // block align
  put_le(wav, 16, 2);     // bits per sample
  wav += "data";
  put_le(wav, 0, 4);
  return wav;
}
std::string mp3_bytes() {
  return std::string("ID3\x03\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x00", 14) + std::string(400, '\0');
}
std::string ogg_vorbis_bytes() {
  std::string ogg("OggS\x00\x02", 6);
  ogg += std::string(20, '\0');
  ogg += "\x01\x1e\x01vorbis";
  ogg += std::string(23, '\0');
  return ogg;
}
std::string flac_bytes() {
  return std::string("fLaC\x00\x00\x00\x22", 8) + std::string(34, '\0');
}
std::string iso_media_bytes(std::string_view brand) {  // MP4 / M4A / QuickTime: an ftyp box
  std::string box;
  put_be(box, 24, 4);
  box += "ftyp";
  box += brand;
  put_be(box, 512, 4);
  box += brand;
  box += "isom";
  return box + std::string(64, '\0');
}
std::string webm_bytes() {
  // EBML header whose DocType is "webm".
  const unsigned char header[] = {0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0xf7, 0x81,
                                  0x01, 0x42, 0xf2, 0x81, 0x04, 0x42, 0xf3, 0x81, 0x08, 0x42, 0x82, 0x84,
                                  'w',  'e',  'b',  'm',  0x42, 0x87, 0x81, 0x02, 0x42, 0x85, 0x81, 0x02};
  return std::string(reinterpret_cast<const char*>(header), sizeof header) + std::string(32, '\0');
}

constexpr std::string_view kHtml =
    "<!DOCTYPE html>\n<html><head><title>x</title></head><body><script>alert(1)</script></body></html>\n";

// ---- sniffing decides by content ----

TEST(ContentSniffer, HtmlNamedPngIsHtmlAndAPlainFile) {
  TempDir dir;
  ContentSniffer sniffer;
  const SniffResult result = sniffer.sniff_file(dir.write("x.png", kHtml));
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.mime_type, "text/html");
  EXPECT_EQ(result.kind, "file");                        // never an image, whatever its name says
  EXPECT_TRUE(MediaPolicy().allowed(result.mime_type));  // stored as a download
}

TEST(ContentSniffer, FilenameNeverDecidesTheType) {
  TempDir dir;
  ContentSniffer sniffer;
  for (const char* name : {"a.png", "a.txt", "a.exe", "noextension"}) {
    EXPECT_EQ(sniffer.sniff_file(dir.write(name, png_header_bytes())).mime_type, "image/png") << name;
    EXPECT_EQ(sniffer.sniff_file(dir.write(name, pdf_bytes())).mime_type, "application/pdf") << name;
  }
}

TEST(ContentSniffer, BufferAndFileAgree) {
  TempDir dir;
  ContentSniffer sniffer;
  for (const std::string& bytes : {png_header_bytes(), pdf_bytes(), docx_bytes(), std::string(kHtml)}) {
    const SniffResult from_file = sniffer.sniff_file(dir.write("f", bytes));
    const SniffResult from_buffer = sniffer.sniff_buffer(bytes);
    ASSERT_TRUE(from_buffer.ok()) << from_buffer.error;
    EXPECT_EQ(from_file.mime_type, from_buffer.mime_type);
    EXPECT_EQ(from_file.kind, from_buffer.kind);
  }
}

TEST(ContentSniffer, DocumentsAreDocuments) {
  ContentSniffer sniffer;
  MediaPolicy policy;
  const struct {
    std::string bytes;
    std::string mime_type;
  } cases[] = {
      {pdf_bytes(), "application/pdf"},
      {"Hello,\nthis is a plain text note.\n", "text/plain"},
      {docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
      {odt_bytes(), "application/vnd.oasis.opendocument.text"},
  };
  for (const auto& c : cases) {
    const SniffResult result = sniffer.sniff_buffer(c.bytes);
    EXPECT_EQ(result.mime_type, c.mime_type);
    EXPECT_EQ(result.kind, "document") << c.mime_type;
    EXPECT_TRUE(policy.allowed(result.mime_type)) << c.mime_type;
  }
}

TEST(ContentSniffer, ZipIsAllowedAsAPlainFile) {
  ContentSniffer sniffer;
  const SniffResult result = sniffer.sniff_buffer(zip_of({{"notes/hello.txt", "hello"}}));
  EXPECT_EQ(result.mime_type, "application/zip");
  EXPECT_EQ(result.kind, "file");
  EXPECT_TRUE(MediaPolicy().allowed(result.mime_type));
}

TEST(ContentSniffer, RandomBytesAreOctetStreamAndRefused) {
  ContentSniffer sniffer;
  const SniffResult result = sniffer.sniff_buffer(random_bytes(4096));
  EXPECT_EQ(result.mime_type, "application/octet-stream");
  EXPECT_EQ(result.kind, "file");
  EXPECT_FALSE(MediaPolicy().allowed(result.mime_type));
}

TEST(ContentSniffer, EmptyInputIsRefused) {
  TempDir dir;
  ContentSniffer sniffer;
  const SniffResult from_file = sniffer.sniff_file(dir.write("empty", ""));
  ASSERT_TRUE(from_file.ok()) << from_file.error;
  EXPECT_FALSE(MediaPolicy().allowed(from_file.mime_type)) << from_file.mime_type;
  EXPECT_FALSE(MediaPolicy().allowed(sniffer.sniff_buffer("").mime_type));
}

TEST(ContentSniffer, AudioAndVideoAsLibmagicNamesThem) {
  ContentSniffer sniffer;
  MediaPolicy policy;
  const struct {
    std::string bytes;
    std::string mime_type;
    std::string kind;
  } cases[] = {
      {wav_bytes(), "audio/x-wav", "audio"},
      {mp3_bytes(), "audio/mpeg", "audio"},
      {ogg_vorbis_bytes(), "audio/ogg", "audio"},
      {flac_bytes(), "audio/flac", "audio"},
      {iso_media_bytes("M4A "), "audio/x-m4a", "audio"},
      {iso_media_bytes("isom"), "video/mp4", "video"},
      {iso_media_bytes("qt  "), "video/quicktime", "video"},
      {webm_bytes(), "video/webm", "video"},
  };
  for (const auto& c : cases) {
    const SniffResult result = sniffer.sniff_buffer(c.bytes);
    EXPECT_EQ(result.mime_type, c.mime_type);
    EXPECT_EQ(result.kind, c.kind) << c.mime_type;
    EXPECT_TRUE(policy.allowed(result.mime_type)) << c.mime_type;
  }
}

TEST(ContentSniffer, UnreadableFileIsAnErrorNotAType) {
  TempDir dir;
  ContentSniffer sniffer;
  const SniffResult result = sniffer.sniff_file(dir.write("present", "x").parent_path() / "missing");
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(result.mime_type.empty());
}

TEST(ContentSniffer, OneSnifferServesManyThreads) {
  ContentSniffer sniffer;
  const std::string pdf = pdf_bytes();
  const std::string png = png_header_bytes();
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const bool even = (i + t) % 2 == 0;
        const SniffResult result = sniffer.sniff_buffer(even ? pdf : png);
        if (result.mime_type != (even ? "application/pdf" : "image/png")) ++wrong[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
}

// ---- kind, extension, policy ----

TEST(KindFor, FollowsProtocolTypes) {
  EXPECT_EQ(kind_for("image/png"), "image");
  EXPECT_EQ(kind_for("IMAGE/JPEG"), "image");
  EXPECT_EQ(kind_for("video/mp4"), "video");
  EXPECT_EQ(kind_for("audio/x-wav"), "audio");
  EXPECT_EQ(kind_for("application/pdf"), "document");
  EXPECT_EQ(kind_for("text/plain"), "document");
  EXPECT_EQ(kind_for("application/msword"), "document");
  EXPECT_EQ(kind_for("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), "document");
  EXPECT_EQ(kind_for("application/vnd.oasis.opendocument.presentation"), "document");
  EXPECT_EQ(kind_for("application/zip"), "file");
  EXPECT_EQ(kind_for("text/html"), "file");
  EXPECT_EQ(kind_for("application/octet-stream"), "file");
}

TEST(ExtensionFor, NamesStoredFiles) {
  EXPECT_EQ(extension_for("image/jpeg"), ".jpg");
  EXPECT_EQ(extension_for("image/png"), ".png");
  EXPECT_EQ(extension_for("image/gif"), ".gif");
  EXPECT_EQ(extension_for("image/webp"), ".webp");
  EXPECT_EQ(extension_for("video/quicktime"), ".mov");
  EXPECT_EQ(extension_for("audio/x-wav"), ".wav");
  EXPECT_EQ(extension_for("application/pdf"), ".pdf");
  EXPECT_EQ(extension_for("application/vnd.openxmlformats-officedocument.wordprocessingml.document"), ".docx");
  EXPECT_EQ(extension_for("text/plain"), ".txt");
  // Types we do not list never get an extension that a browser or OS would act on.
  EXPECT_EQ(extension_for("text/html"), ".html");
  EXPECT_EQ(extension_for("application/x-executable"), ".bin");
  EXPECT_EQ(extension_for("image/svg+xml"), ".bin");
}

TEST(MediaPolicy, DefaultAllowListCoversTheIssue) {
  MediaPolicy policy;
  for (const char* mime : {"image/jpeg",
                           "image/png",
                           "image/gif",
                           "image/webp",
                           "video/mp4",
                           "video/webm",
                           "video/quicktime",
                           "audio/mpeg",
                           "audio/ogg",
                           "audio/wav",
                           "audio/x-wav",
                           "audio/mp4",
                           "application/pdf",
                           "text/plain",
                           "application/zip",
                           "application/msword",
                           "application/vnd.ms-excel",
                           "application/vnd.ms-powerpoint",
                           "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                           "application/vnd.oasis.opendocument.spreadsheet"}) {
    EXPECT_TRUE(policy.allowed(mime)) << mime;
  }
  for (const char* mime : {"image/svg+xml", "application/octet-stream", "application/x-executable",
                           "application/javascript", "text/xml", "application/x-empty", ""}) {
    EXPECT_FALSE(policy.allowed(mime)) << mime;
  }
}

TEST(MediaPolicy, FromListTrimsIgnoresCaseAndSkipsEmptyEntries) {
  const MediaPolicy policy = MediaPolicy::from_list(" image/PNG ,, application/pdf,\ttext/plain , ");
  EXPECT_TRUE(policy.allowed("image/png"));
  EXPECT_TRUE(policy.allowed("Image/Png"));
  EXPECT_TRUE(policy.allowed("application/pdf"));
  EXPECT_TRUE(policy.allowed("text/plain"));
  EXPECT_FALSE(policy.allowed("image/jpeg"));
  EXPECT_FALSE(policy.allowed(""));
}

TEST(MediaPolicy, EmptyListRefusesEverything) {
  const MediaPolicy policy = MediaPolicy::from_list("");
  EXPECT_FALSE(policy.allowed("image/png"));
  EXPECT_FALSE(policy.allowed("text/plain"));
}

TEST(MediaPolicy, DefaultListRoundTrips) {
  const MediaPolicy parsed = MediaPolicy::from_list(MediaPolicy::default_list());
  const MediaPolicy built_in;
  for (const char* mime : {"image/webp", "audio/x-m4a", "application/zip", "text/plain", "text/html"}) {
    EXPECT_EQ(parsed.allowed(mime), built_in.allowed(mime)) << mime;
  }
}

}  // namespace
}  // namespace parley
