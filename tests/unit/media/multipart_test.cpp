#include "media/multipart.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace parley {
namespace {

// Writes the events down as text; consecutive data pieces are joined, since where a part's
// body is cut depends on the chunks and must not matter.
class Recorder : public MultipartHandler {
 public:
  std::vector<std::string> events;

  void on_part_begin(const MultipartPart& part) override {
    events.push_back("begin name=" + part.name + " filename=" + (part.filename ? "[" + *part.filename + "]" : "none") +
                     " type=" + part.content_type);
  }
  void on_part_data(std::string_view data) override {
    EXPECT_FALSE(data.empty());
    if (events.empty() || !events.back().starts_with("data:")) events.emplace_back("data:");
    events.back() += data;
  }
  void on_part_end() override { events.emplace_back("end"); }
  void on_body_end() override { events.emplace_back("body end"); }
};

// Everything reported, then "ok" or "error: <message>".
std::vector<std::string> parse_chunks(const std::string& boundary, const std::vector<std::string_view>& chunks,
                                      MultipartLimits limits = {}) {
  Recorder recorder;
  MultipartParser parser(boundary, recorder, limits);
  bool ok = true;
  for (std::string_view chunk : chunks) {
    ok = parser.feed(chunk);
    if (!ok) break;
  }
  if (ok) ok = parser.finish();
  recorder.events.push_back(ok ? "ok" : "error: " + parser.error());
  return recorder.events;
}

std::vector<std::string> parse(const std::string& boundary, std::string_view body, MultipartLimits limits = {}) {
  return parse_chunks(boundary, {body}, limits);
}

using Events = std::vector<std::string>;

constexpr std::string_view kIosBoundary = "Boundary-6F2B1C9E-3A4D-4E5F-9A8B-1C2D3E4F5A6B";

// The body an iOS app builds by hand around URLSession.
std::string ios_body(std::string_view jpeg_bytes) {
  std::string body;
  body += "--" + std::string(kIosBoundary) + "\r\n";
  body += "Content-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\n";
  body += "Content-Type: image/jpeg\r\n\r\n";
  body += jpeg_bytes;
  body += "\r\n--" + std::string(kIosBoundary) + "--\r\n";
  return body;
}

const std::string kFormBoundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";

// A text field and a file, as a browser sends them, with the awkward bits a split could break:
// CRs and boundary look-alikes in the data, a preamble and an epilogue.
const std::string kTwoParts =
    "preamble to ignore\r\n"
    "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
    "Content-Disposition: form-data; name=\"caption\"\r\n"
    "\r\n"
    "hello\r\r\n--\r\n------WebKitFormBoundary7MA4YWxk\r\n"
    "------WebKitFormBoundary7MA4YWxkTrZu0gW \t\r\n"
    "content-disposition:form-data; name=\"file\"; filename=\"a \\\"b\\\".png\"\r\n"
    "CONTENT-TYPE:   image/png  \r\n"
    "X-Ignored: yes\r\n"
    "\r\n"
    "\x89PNG\r\n\x1a\n------WebKitFormBoundary7MA4YWxkTrZu0gWX\r\n"
    "------WebKitFormBoundary7MA4YWxkTrZu0gW--\r\n"
    "epilogue to ignore\r\n";

const Events kTwoPartsEvents = {
    "begin name=caption filename=none type=",
    "data:hello\r\r\n--\r\n------WebKitFormBoundary7MA4YWxk",
    "end",
    "begin name=file filename=[a \"b\".png] type=image/png",
    "data:\x89PNG\r\n\x1a\n------WebKitFormBoundary7MA4YWxkTrZu0gWX",
    "end",
    "body end",
    "ok",
};

TEST(MultipartParser, ParsesTextFieldAndFileWithPreambleAndEpilogue) {
  EXPECT_EQ(parse(kFormBoundary, kTwoParts), kTwoPartsEvents);
}

TEST(MultipartParser, ParsesHandBuiltIosBody) {
  const std::string jpeg = "\xff\xd8\xff\xe0\0\x10JFIF\r\n\xff\xd9";
  EXPECT_EQ(parse(std::string(kIosBoundary), ios_body(jpeg)),
            (Events{"begin name=file filename=[photo.jpg] type=image/jpeg", "data:" + jpeg, "end", "body end", "ok"}));
}

TEST(MultipartParser, ParsesCurlBody) {
  const std::string boundary = "------------------------d74496d66958873e";
  const std::string body = "--" + boundary +
                           "\r\n"
                           "Content-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\n"
                           "Content-Type: text/plain\r\n"
                           "\r\n"
                           "line 1\nline 2\n\r\n--" +
                           boundary + "--\r\n";
  EXPECT_EQ(parse(boundary, body), (Events{"begin name=file filename=[notes.txt] type=text/plain",
                                           "data:line 1\nline 2\n", "end", "body end", "ok"}));
}

// Shapes that must come out the same however the body is cut.
struct SplitCase {
  std::string name;
  std::string boundary;
  std::string body;
  MultipartLimits limits;
};

std::vector<SplitCase> split_cases() {
  MultipartLimits small_headers;
  small_headers.max_header_bytes = 60;
  MultipartLimits one_part;
  one_part.max_parts = 1;
  MultipartLimits small_preamble;
  small_preamble.max_preamble_bytes = 10;
  return {
      {"two parts", kFormBoundary, kTwoParts, {}},
      {"ios",
       std::string(kIosBoundary),
       ios_body("\xff\xd8\r\n--Boundary-\r\n--" + std::string(kIosBoundary) + "-x"),
       {}},
      {"empty part and folded header",
       "b",
       "--b\r\nContent-Disposition: form-data;\r\n name=\"e\"\r\n\r\n\r\n--b\r\n"
       "Content-Disposition: form-data; name=x\r\n\r\n\r\n\r\n--b--",
       {}},
      {"header without colon", "b", "--b\r\nContent-Disposition form-data\r\n\r\nx\r\n--b--", {}},
      {"headers too large", "b",
       "--b\r\nContent-Disposition: form-data; name=\"f\"\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n--b--",
       small_headers},
      {"too many parts", "b", "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--b\r\n--b--", one_part},
      {"long preamble", "b", "0123456789abcdef\r\n--b--", small_preamble},
      {"no closing boundary", "b", "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--b-", {}},
  };
}

TEST(MultipartParser, AnySplitGivesTheSameEvents) {
  for (const SplitCase& c : split_cases()) {
    SCOPED_TRACE(c.name);
    const std::string_view body = c.body;
    const Events whole = parse(c.boundary, body, c.limits);

    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < body.size(); ++i) bytes.push_back(body.substr(i, 1));
    ASSERT_EQ(parse_chunks(c.boundary, bytes, c.limits), whole) << "byte by byte";

    for (std::size_t first = 0; first <= body.size(); ++first) {
      for (std::size_t second = first; second <= body.size(); ++second) {
        const std::vector<std::string_view> chunks = {body.substr(0, first), body.substr(first, second - first),
                                                      body.substr(second)};
        ASSERT_EQ(parse_chunks(c.boundary, chunks, c.limits), whole) << "split at " << first << " and " << second;
      }
    }
  }
}

TEST(MultipartParser, SplitCasesGiveTheExpectedOutcome) {
  std::vector<std::string> outcomes;
  for (const SplitCase& c : split_cases()) outcomes.push_back(parse(c.boundary, c.body, c.limits).back());
  EXPECT_EQ(outcomes, (std::vector<std::string>{
                          "ok",
                          "ok",
                          "ok",
                          "error: malformed multipart part header (no ':')",
                          "error: multipart part headers too large",
                          "error: too many parts in multipart body",
                          "error: multipart body does not start with its boundary",
                          "error: multipart body ended before its closing boundary",
                      }));
  EXPECT_EQ(parse(split_cases()[2].boundary, split_cases()[2].body),
            (Events{"begin name=e filename=none type=", "end", "begin name=x filename=none type=", "data:\r\n", "end",
                    "body end", "ok"}));
}

// A pseudo-random body that keeps nearly forming the delimiter.
std::string adversarial_data(std::size_t size, std::string_view boundary) {
  const std::string near_misses[] = {
      "\r\n--" + std::string(boundary.substr(0, boundary.size() - 1)),
      "\r\n--" + std::string(boundary) + "-x",
      "\r\n--" + std::string(boundary) + "X",
      "\r\n--" + std::string(boundary) + " \t x\r\n",
      "\n--" + std::string(boundary) + "\r\n",
      "\r\r\r\n\r\n-",
  };
  std::string data;
  std::uint32_t state = 12345;
  while (data.size() < size) {
    state = state * 1664525u + 1013904223u;
    if (state % 7 == 0) {
      // The '.' keeps a near miss from being completed by whatever follows it.
      data += near_misses[(state >> 8) % std::size(near_misses)] + ".";
    } else {
      // No CR outside the near misses, so no two of them can join into a real delimiter.
      const auto byte = static_cast<char>(state >> 24);
      data += byte == '\r' ? 'r' : byte;
    }
  }
  data.resize(size);
  // Cut inside a near miss, the data could end in "\r\n--boundary", which the closing delimiter
  // appended after it would complete: end on a byte no boundary here ends with.
  data.back() = '.';
  return data;
}

TEST(MultipartParser, StreamsALargePartWithBoundedBuffering) {
  const std::string boundary(kIosBoundary);
  const std::string data = adversarial_data(5 * 1024 * 1024, boundary);
  const std::string body = ios_body(data);

  struct Counter : MultipartHandler {
    std::string received;
    int parts = 0;
    bool ended = false;
    void on_part_begin(const MultipartPart&) override { ++parts; }
    void on_part_data(std::string_view piece) override { received += piece; }
    void on_part_end() override {}
    void on_body_end() override { ended = true; }
  } counter;
  counter.received.reserve(data.size());

  MultipartParser parser(boundary, counter);
  std::size_t most_buffered = 0;
  for (std::size_t at = 0; at < body.size(); at += 4096) {
    ASSERT_TRUE(parser.feed(std::string_view(body).substr(at, 4096)));
    most_buffered = std::max(most_buffered, parser.buffered_bytes());
  }
  ASSERT_TRUE(parser.finish());
  EXPECT_EQ(counter.parts, 1);
  EXPECT_TRUE(counter.ended);
  EXPECT_TRUE(counter.received == data);
  // At most a delimiter candidate: CRLF "--" boundary, transport padding, CRLF.
  EXPECT_LE(most_buffered, 4 + boundary.size() + 32 + 2);
  EXPECT_EQ(parser.buffered_bytes(), 0u);
}

TEST(MultipartParser, RandomChunkingOfAnAdversarialBodyGivesTheSameEvents) {
  const std::string boundary = "Boundary-xyz";
  const std::string body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n" +
                           adversarial_data(64 * 1024, boundary) + "\r\n--" + boundary +
                           "\r\nContent-Disposition: form-data; name=\"b\"; filename=\"b.bin\"\r\n\r\n" +
                           adversarial_data(32 * 1024, boundary) + "\r\n--" + boundary + "--";
  const Events whole = parse(boundary, body);
  ASSERT_EQ(whole.size(), 8u);
  std::uint32_t state = 777;
  for (int round = 0; round < 20; ++round) {
    std::vector<std::string_view> chunks;
    for (std::size_t at = 0; at < body.size();) {
      state = state * 1664525u + 1013904223u;
      const std::size_t size = 1 + (state >> 8) % (round < 10 ? 40 : 3000);  // small and larger than a slice
      chunks.push_back(std::string_view(body).substr(at, size));
      at += size;
    }
    ASSERT_TRUE(parse_chunks(boundary, chunks) == whole) << "round " << round;
  }
}

TEST(MultipartParser, TricklingAdversarialInputStaysCheap) {
  // Byte-by-byte feeding of near-boundary data and of a large header full of CRs: a parser
  // that rescanned what it holds on every byte would take seconds here instead of milliseconds.
  const std::string boundary = "Boundary-xyz";
  const std::string data = adversarial_data(256 * 1024, boundary);
  const std::string body =
      "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n" + data + "\r\n--" + boundary + "--";
  Recorder recorder;
  MultipartParser parser(boundary, recorder);
  for (char c : body) ASSERT_TRUE(parser.feed(std::string_view(&c, 1)));
  ASSERT_TRUE(parser.finish());
  ASSERT_EQ(recorder.events.size(), 4u);
  EXPECT_TRUE(recorder.events[1] == "data:" + data);

  const std::string header = "--b\r\nX-Pad: " + std::string(16000, '\r') + "\r\n\r\n";
  MultipartParser header_parser("b", recorder);
  bool ok = true;
  for (char c : header) ok = ok && header_parser.feed(std::string_view(&c, 1));
  EXPECT_FALSE(ok);
  EXPECT_EQ(header_parser.error(), "invalid character in multipart part header");
}

TEST(MultipartParser, NearBoundaryDataIsData) {
  const std::string boundary = "Boundary-xyz";
  for (const std::string lookalike : {"\r\n--Boundary-xy", "\r\n--Boundary-xyzz", "\r\n--Boundary-xyz-a",
                                      "\r\n--Boundary-xyz x\r\n", "\n--Boundary-xyz\r\n", "--Boundary-xyz\r\n",
                                      "\r\n-Boundary-xyz\r\n", "\r\n--boundary-xyz\r\n", "\r\n--Boundary-xyz\n"}) {
    SCOPED_TRACE(lookalike);
    const std::string data = "a" + lookalike + "b";
    const std::string body =
        "--Boundary-xyz\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n" + data + "\r\n--Boundary-xyz--\r\n";
    EXPECT_EQ(parse(boundary, body),
              (Events{"begin name=f filename=none type=", "data:" + data, "end", "body end", "ok"}));
  }
}

TEST(MultipartParser, ReadsFilenameForms) {
  auto filename_of = [](std::string_view disposition_params) {
    const std::string body =
        "--b\r\nContent-Disposition: form-data; name=\"f\"; " + std::string(disposition_params) + "\r\n\r\nx\r\n--b--";
    return parse("b", body).front();
  };
  EXPECT_EQ(filename_of("filename=\"my \\\"best\\\" photo.jpg\""),
            "begin name=f filename=[my \"best\" photo.jpg] type=");
  EXPECT_EQ(filename_of("filename=\"back\\\\slash;semi.txt\""), "begin name=f filename=[back\\slash;semi.txt] type=");
  EXPECT_EQ(filename_of("filename=\"C:\\Users\\me\\photo.jpg\""),
            "begin name=f filename=[C:\\Users\\me\\photo.jpg] type=");
  EXPECT_EQ(filename_of("filename=\"\""), "begin name=f filename=[] type=");
  EXPECT_EQ(filename_of("filename=plain name.txt ; x=1"), "begin name=f filename=[plain name.txt] type=");
  EXPECT_EQ(filename_of("filename=\"euro.txt\"; filename*=UTF-8''%e2%82%AC%20rates.txt"),
            "begin name=f filename=[\xe2\x82\xac rates.txt] type=");
  EXPECT_EQ(filename_of("FILENAME*=iso-8859-1'en'caf%E9.txt"), "begin name=f filename=[caf\xc3\xa9.txt] type=");
  // An undecodable filename* falls back to filename.
  EXPECT_EQ(filename_of("filename*=UTF-8''bad%zz; filename=\"ok.txt\""), "begin name=f filename=[ok.txt] type=");
  EXPECT_EQ(filename_of("filename*=koi8-r''x; filename=\"ok.txt\""), "begin name=f filename=[ok.txt] type=");
}

TEST(MultipartParser, AcceptsHeaderNamesInAnyCaseAndLwsAfterColon) {
  const std::string body =
      "--b\r\ncOnTeNt-DiSpOsItIoN:\t FORM-DATA ;NAME=\"f\" ;  "
      "Filename=\"x.bin\"\r\ncontent-type:application/zip\r\n\r\n"
      "z\r\n--b--";
  EXPECT_EQ(parse("b", body),
            (Events{"begin name=f filename=[x.bin] type=application/zip", "data:z", "end", "body end", "ok"}));
}

TEST(MultipartParser, AcceptsAnEmptyForm) {
  EXPECT_EQ(parse("b", "--b--\r\n"), (Events{"body end", "ok"}));
}

TEST(MultipartParser, IgnoresInputAfterTheClosingBoundary) {
  Recorder recorder;
  MultipartParser parser("b", recorder);
  ASSERT_TRUE(parser.feed("--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--b--"));
  EXPECT_TRUE(parser.done());
  EXPECT_TRUE(parser.feed("\r\n--b\r\nContent-Disposition: form-data; name=late\r\n\r\n2\r\n--b--"));
  EXPECT_EQ(parser.buffered_bytes(), 0u);
  EXPECT_TRUE(parser.finish());
  EXPECT_TRUE(parser.finish());
  EXPECT_EQ(recorder.events, (Events{"begin name=a filename=none type=", "data:1", "end", "body end"}));
}

TEST(MultipartParser, RejectsMalformedBodiesWithClearErrors) {
  const std::string part = "Content-Disposition: form-data; name=a\r\n\r\n1\r\n";
  struct Case {
    std::string body;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"--b\r\n" + part, "multipart body ended before its closing boundary"},
      {"", "multipart body does not contain the boundary (expected a \"--boundary\" line ended by CRLF)"},
      {"--other\r\n" + part + "--other--",
       "multipart body does not contain the boundary (expected a \"--boundary\" line ended by CRLF)"},
      {std::string(20000, 'g'), "multipart body does not start with its boundary"},
      // Bare LF line endings are not accepted.
      {"--b\nContent-Disposition: form-data; name=a\n\n1\n--b--\n",
       "multipart body does not contain the boundary (expected a \"--boundary\" line ended by CRLF)"},
      {"--b\r\nContent-Disposition: form-data; name=a\n\r\n1\r\n--b--", "invalid character in multipart part header"},
      {"--b\r\nContent-Disposition form-data; name=a\r\n\r\n1\r\n--b--", "malformed multipart part header (no ':')"},
      {"--b\r\nContent-Disposition : form-data; name=a\r\n\r\n1\r\n--b--", "malformed multipart part header name"},
      {"--b\r\n folded: first\r\n\r\n1\r\n--b--", "malformed multipart part header"},
      {"--b\r\nContent-Type: text/plain\r\n\r\n1\r\n--b--", "multipart part has no Content-Disposition header"},
      {"--b\r\n\r\n1\r\n--b--", "multipart part has no Content-Disposition header"},
      {"--b\r\nContent-Disposition: attachment; name=a\r\n\r\n1\r\n--b--", "multipart part is not form-data"},
      {"--b\r\nContent-Disposition: form-data; filename=\"x\"\r\n\r\n1\r\n--b--", "multipart part has no name"},
      {"--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\n1\r\n--b--",
       "malformed Content-Disposition header in multipart part"},
      {"--b\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\n1\r\n--b--",
       "malformed Content-Disposition header in multipart part"},
      {"--b\r\nContent-Disposition: form-data; name=\"a\" x\r\n\r\n1\r\n--b--",
       "malformed Content-Disposition header in multipart part"},
      {"--b\r\n" + part +
           "--b\r\nContent-Disposition: form-data; name=a\r\ncontent-disposition: form-data; name=b\r\n\r\n",
       "duplicate content-disposition header in multipart part"},
      {"--b\r\nContent-Disposition: form-data; name=\"f\"\r\n" + std::string(16 * 1024, 'X') + ": y\r\n\r\n1\r\n--b--",
       "multipart part headers too large"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body.substr(0, 80));
    EXPECT_EQ(parse("b", c.body).back(), "error: " + c.error);
  }
}

TEST(MultipartParser, HeaderLimitCountsTheWholeBlock) {
  // Many small headers add up: 16 KiB of them fails even though no single line is long.
  std::string headers = "Content-Disposition: form-data; name=\"f\"\r\n";
  while (headers.size() < 16 * 1024) headers += "X-Pad: 0123456789\r\n";
  EXPECT_EQ(parse("b", "--b\r\n" + headers + "\r\n1\r\n--b--").back(), "error: multipart part headers too large");
  // Exactly at the limit is fine.
  MultipartLimits limits;
  const std::string block = "Content-Disposition: form-data; name=\"f\"\r\n\r\n";
  limits.max_header_bytes = block.size();
  EXPECT_EQ(parse("b", "--b\r\n" + block + "1\r\n--b--", limits).back(), "ok");
  limits.max_header_bytes = block.size() - 1;
  EXPECT_EQ(parse("b", "--b\r\n" + block + "1\r\n--b--", limits).back(), "error: multipart part headers too large");
}

TEST(MultipartParser, StopsAtTheFirstErrorAndStaysStopped) {
  Recorder recorder;
  MultipartParser parser("b", recorder);
  EXPECT_FALSE(parser.feed("--b\r\nno colon here\r\n\r\n"));
  EXPECT_TRUE(parser.failed());
  EXPECT_EQ(parser.error(), "malformed multipart part header (no ':')");
  EXPECT_FALSE(parser.feed("--b--"));
  EXPECT_FALSE(parser.finish());
  EXPECT_EQ(parser.error(), "malformed multipart part header (no ':')");
  EXPECT_TRUE(recorder.events.empty());
  EXPECT_EQ(parser.buffered_bytes(), 0u);
}

TEST(MultipartParser, RejectsAnInvalidBoundary) {
  for (const std::string& boundary :
       {std::string(), std::string(71, 'a'), std::string("a\r\nb"), std::string("ends ")}) {
    Recorder recorder;
    MultipartParser parser(boundary, recorder);
    EXPECT_TRUE(parser.failed());
    EXPECT_FALSE(parser.feed("--" + boundary + "--"));
    EXPECT_EQ(parser.error(), "invalid multipart boundary");
  }
}

TEST(BoundaryFromContentType, ReadsTheBoundaryParameter) {
  EXPECT_EQ(boundary_from_content_type("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW"),
            "----WebKitFormBoundary7MA4YWxkTrZu0gW");
  EXPECT_EQ(boundary_from_content_type("multipart/form-data; boundary=------------------------d74496d66958873e"),
            "------------------------d74496d66958873e");
  EXPECT_EQ(boundary_from_content_type("multipart/form-data; boundary=Boundary-6F2B1C9E-3A4D-4E5F-9A8B-1C2D3E4F5A6B"),
            "Boundary-6F2B1C9E-3A4D-4E5F-9A8B-1C2D3E4F5A6B");
  EXPECT_EQ(boundary_from_content_type("multipart/form-data; boundary=\"quoted:=?/ ok\""), "quoted:=?/ ok");
  EXPECT_EQ(boundary_from_content_type("Multipart/Form-Data;BOUNDARY=abc"), "abc");
  EXPECT_EQ(boundary_from_content_type("  multipart/form-data ;\tcharset=utf-8 ;  Boundary = abc ; x=\"y;z\" ;"),
            "abc");
  EXPECT_EQ(boundary_from_content_type("multipart/form-data; boundary=" + std::string(70, 'b')), std::string(70, 'b'));
}

TEST(BoundaryFromContentType, RejectsWhatIsNotAValidFormDataBoundary) {
  const std::vector<std::string> invalid = {
      "multipart/form-data",
      "multipart/form-data;",
      "multipart/form-data; boundary=",
      "multipart/form-data; boundary=\"\"",
      "multipart/form-data; boundary=" + std::string(71, 'b'),
      "multipart/form-data; boundary=\"trailing space \"",
      "multipart/form-data; boundary=\"semi;colon\"",
      "multipart/form-data; boundary=bad!char",
      "multipart/form-data; boundary=\"unterminated",
      "multipart/form-data; boundary=a; boundary=b",
      "multipart/form-data boundary=abc",
      "multipart/form-data; =abc",
      "multipart/mixed; boundary=abc",
      "application/json",
      "",
  };
  for (const std::string& content_type : invalid) {
    EXPECT_EQ(boundary_from_content_type(content_type), std::nullopt) << content_type;
  }
}

}  // namespace
}  // namespace parley
