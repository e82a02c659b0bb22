#include "http/static_files.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>

namespace parley {
namespace {

constexpr std::array<StaticAsset, 2> kAssets{{
    {"/index.html", "text/html; charset=utf-8", "\"abc\"", "<!doctype html>"},
    {"/js/main.js", "text/javascript; charset=utf-8", "\"def\"", "export {};"},
}};

std::string header(const StaticResponse& res, std::string_view name) {
  for (const auto& [k, v] : res.headers) {
    if (k == name) return v;
  }
  return {};
}

TEST(StaticFiles, RootIsIndexAndOnlyExactPathsMatch) {
  EXPECT_EQ(find_static_asset(kAssets, "/"), &kAssets[0]);
  EXPECT_EQ(find_static_asset(kAssets, "/index.html"), &kAssets[0]);
  EXPECT_EQ(find_static_asset(kAssets, "/?v=2"), &kAssets[0]);
  EXPECT_EQ(find_static_asset(kAssets, "/js/main.js?x"), &kAssets[1]);
  for (const char* miss : {"/js", "/js/", "/js/main.js/", "/JS/main.js", "/api/rooms", "/ws", "/healthz", "/metrics",
                           "/getMessages", "/js/../index.html", "/index.html%20", ""}) {
    EXPECT_EQ(find_static_asset(kAssets, miss), nullptr) << miss;
  }
}

TEST(StaticFiles, ServesWithCachingAndSecurityHeaders) {
  const auto res = static_response(kAssets[1], "", false);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "export {};");
  EXPECT_EQ(res.content_length, 10u);
  EXPECT_EQ(header(res, "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(header(res, "ETag"), "\"def\"");
  EXPECT_EQ(header(res, "Cache-Control"), "no-cache");
  EXPECT_EQ(header(res, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header(res, "Referrer-Policy"), "no-referrer");
  const auto csp = header(res, "Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos);
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe"), std::string::npos);
}

TEST(StaticFiles, HeadHasLengthButNoBody) {
  const auto res = static_response(kAssets[0], "", true);
  EXPECT_EQ(res.status, 200);
  EXPECT_TRUE(res.body.empty());
  EXPECT_EQ(res.content_length, 15u);
}

TEST(StaticFiles, MatchingETagIsNotModified) {
  EXPECT_EQ(static_response(kAssets[0], "\"abc\"", false).status, 304);
  EXPECT_EQ(static_response(kAssets[0], "W/\"abc\", \"x\"", false).status, 304);
  EXPECT_EQ(static_response(kAssets[0], "*", false).status, 304);
  const auto stale = static_response(kAssets[0], "\"old\"", false);
  EXPECT_EQ(stale.status, 200);
  EXPECT_EQ(stale.body, "<!doctype html>");
  EXPECT_TRUE(static_response(kAssets[0], "\"abc\"", false).body.empty());
}

TEST(StaticFiles, TheEmbeddedClientIsComplete) {
  const auto assets = embedded_assets();
  const auto* index = find_static_asset(assets, "/");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_NE(index->body.find("/js/main.js"), std::string_view::npos);
  for (const char* path : {"/app.css", "/js/main.js", "/js/api.js", "/js/conn.js", "/js/chat.js", "/js/call.js"}) {
    const auto* asset = find_static_asset(assets, path);
    ASSERT_NE(asset, nullptr) << path;
    EXPECT_FALSE(asset->body.empty()) << path;
    EXPECT_EQ(asset->etag.size(), 34u) << path;  // quoted 128-bit hex prefix of the SHA-256
  }
  // Every path is unique and none is under an API prefix.
  for (const auto& a : assets) {
    EXPECT_EQ(std::count_if(assets.begin(), assets.end(), [&](const StaticAsset& b) { return b.path == a.path; }), 1);
    EXPECT_FALSE(a.path.starts_with("/api/") || a.path.starts_with("/ws")) << a.path;
  }
}

}  // namespace
}  // namespace parley
