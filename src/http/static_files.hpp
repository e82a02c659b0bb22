// The web client's files (web/), embedded in the binary at build time (cmake/embed_web.cmake
// generates the table), and the HTTP answers for them: ETag revalidation, no-cache, and a strict
// Content-Security-Policy, so the single binary serves the whole client with nothing from outside.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley {

struct StaticAsset {
  std::string_view path;          // "/index.html", "/js/main.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view etag;          // quoted strong tag from the content's SHA-256
  std::string_view body;
};

// The files of web/, generated at build time (web_assets.cpp in the build directory).
std::span<const StaticAsset> embedded_assets();

// The policy of the client's pages: everything from this server only, no inline script or style,
// blob:/data: images for upload previews.
inline constexpr std::string_view kAppContentSecurityPolicy =
    "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// The asset a GET/HEAD request target names, or null. "/" is index.html; a query string is ignored.
// Only exact asset paths match, so no API path can be shadowed.
const StaticAsset* find_static_asset(std::span<const StaticAsset> assets, std::string_view target);

struct StaticResponse {
  int status = 200;  // 200 or 304
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;  // empty for 304 and HEAD
  std::size_t content_length = 0;
};

// The reply to GET or HEAD (head) of an asset, honouring If-None-Match.
StaticResponse static_response(const StaticAsset& asset, std::string_view if_none_match, bool head);

}  // namespace parley
