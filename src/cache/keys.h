// Names of cached things. Edge (Cache API) keys are URLs on the tenant's canonical host, so they
// are per tenant and purgeable with the zone; KV keys are per tenant id. Page keys carry the
// epoch (the versions the page depends on), so a write makes new keys rather than relying on a
// delete reaching every location.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/time.h"

namespace lattice::cache {

// Bump when page markup changes, so a deploy does not serve pages rendered by the old code.
// g2: post pages carry the live section, its script and a CSP that allows it.
inline constexpr std::string_view kRenderGeneration = "g2";

// "https://demo.blog.example.com/__lattice-cache/stamp"
std::string stampUrl(std::string_view subdomain, std::string_view baseDomain);
// A rendered page: `route` is the canonical form of what was asked ("/blog?page=2",
// "/blog/hello", "/feed.xml"); `origin` the scheme and host the page's absolute links use.
std::string pageUrl(std::string_view subdomain, std::string_view baseDomain, std::string_view route,
                    std::string_view origin, std::string_view epoch);

// The tenant directory: subdomain -> tenant id (src/app/tenant-directory.h).
std::string kvDirectoryKey(std::string_view subdomain);
std::string kvPostKey(std::string_view tenantId, std::string_view slug);
std::string kvIndexKey(std::string_view tenantId);

// What a KV value holds: D1 rows, the version they were read at, and until when they are fresh
// (after that they are served stale while a refresh runs).
struct KvEntry {
  long long at = 0;
  UnixMillis freshUntil = 0;
  Json rows = Json::array();

  std::string encode() const;
  static std::optional<KvEntry> decode(std::string_view text);
};

}  // namespace lattice::cache
