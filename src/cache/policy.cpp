#include "cache/policy.h"

#include <algorithm>

namespace lattice::cache {

Tier tierOf(std::string_view storageLocation, std::string_view recordedTier) {
  if (storageLocation == "r2") return recordedTier == "popular" ? Tier::Popular : Tier::Warm;
  if (storageLocation == "r2_archived") return Tier::Cold;
  return Tier::Hot;
}

const Ttl& CachePolicy::forTier(Tier tier) const {
  switch (tier) {
    case Tier::Warm: return warm;
    case Tier::Cold: return cold;
    case Tier::Popular: return popular;
    case Tier::Hot: break;
  }
  return hot;
}

int CachePolicy::kvExpiration(const Ttl& ttl) const {
  return std::max(kvMinTtl, ttl.edge + ttl.staleWhileRevalidate);
}

namespace {
std::string cacheControl(long long maxAge, int swr) {
  std::string s = "public, max-age=" + std::to_string(maxAge);
  if (swr > 0) s += ", stale-while-revalidate=" + std::to_string(swr);
  return s;
}
}  // namespace

std::string browserCacheControl(const Ttl& ttl) { return cacheControl(ttl.browser, ttl.staleWhileRevalidate); }
std::string edgeCacheControl(const Ttl& ttl) { return cacheControl(ttl.edge, ttl.staleWhileRevalidate); }
std::string keepFor(long long seconds) { return cacheControl(seconds, 0); }

bool hasCredentials(const HttpRequest& request) { return !request.header("authorization").empty(); }

std::string etag(std::string_view epoch) { return "\"" + std::string(epoch) + "\""; }

bool ifNoneMatchHits(std::string_view list, std::string_view tag, bool starMatches) {
  size_t i = 0;
  while (i < list.size()) {
    while (i < list.size() && (list[i] == ' ' || list[i] == '\t' || list[i] == ',')) ++i;
    if (i >= list.size()) break;
    if (list[i] == '*') return starMatches;
    if (list.substr(i, 2) == "W/") i += 2;  // weak comparison: W/"x" matches "x"
    if (i >= list.size() || list[i] != '"') return false;  // malformed: match nothing
    size_t end = list.find('"', i + 1);
    if (end == std::string_view::npos) return false;
    if (list.substr(i, end + 1 - i) == tag) return true;
    i = end + 1;
  }
  return false;
}

}  // namespace lattice::cache
