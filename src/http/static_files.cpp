#include "http/static_files.hpp"

#include "http/byte_range.hpp"

namespace parley {

const StaticAsset* find_static_asset(std::span<const StaticAsset> assets, std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/") path = "/index.html";
  for (const auto& asset : assets) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

StaticResponse static_response(const StaticAsset& asset, std::string_view if_none_match, bool head) {
  StaticResponse res;
  res.headers = {
      {"Content-Type", std::string(asset.content_type)},
      {"ETag", std::string(asset.etag)},
      // Asset names carry no content hash (plain ES modules import each other by name): every use
      // revalidates, which costs a 304 per file and never serves a stale mix of modules.
      {"Cache-Control", "no-cache"},
      {"Content-Security-Policy", std::string(kAppContentSecurityPolicy)},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
  };
  if (etag_matches(if_none_match, asset.etag)) {
    res.status = 304;
    return res;
  }
  res.content_length = asset.body.size();
  if (!head) res.body = asset.body;
  return res;
}

}  // namespace parley
