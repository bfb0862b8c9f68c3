// Cache policy: how long each kind of page may be kept, by whom, and under which validators.
// Pure functions of configuration and request; no effects. The numbers live in CachePolicy
// (part of Config, overridable by Worker vars), never as literals at the call sites.
#pragma once

#include <string>
#include <string_view>

#include "http/http.h"

namespace lattice::cache {

// Storage tiers of a post (the tier migrator moves posts between them): HOT lives in D1, WARM in
// R2 with metadata in D1, COLD archived in R2, POPULAR in R2 and read so much that the edge
// keeps it longest. Older content changes less, so it may be kept longer at the edge.
enum class Tier { Hot, Warm, Cold, Popular };
// "d1" -> Hot, "r2" -> Warm (Popular when the migrator recorded posts.tier 'popular'),
// "r2_archived" -> Cold.
Tier tierOf(std::string_view storageLocation, std::string_view recordedTier = {});

// Seconds a response may be reused by browsers and by shared caches (the edge), and how long
// past that a stale copy may be served while it is refreshed.
struct Ttl {
  int browser = 0;
  int edge = 0;
  int staleWhileRevalidate = 0;
};

struct CachePolicy {
  bool enabled = true;  // CACHE_MODE=off turns every cache off (the benchmark's naive mode)
  // STAMP_TTL_SECONDS: how long a location trusts its copy of a tenant's versions; the bound on
  // how long a write made elsewhere may go unseen here.
  int stampTtl = 30;
  Ttl hot{300, 3600, 86400};     // TTL_HOT   "browser/edge/swr"
  Ttl warm{300, 86400, 86400};   // TTL_WARM
  Ttl cold{300, 604800, 86400};  // TTL_COLD
  Ttl popular{300, 604800, 604800};  // TTL_POPULAR
  Ttl list{60, 600, 3600};       // TTL_LIST: blog index, tag pages, feed, sitemap
  int notFoundEdge = 60;         // a 404 is kept at the edge (never in browsers) this long
  int kvMinTtl = 60;             // Workers KV refuses shorter expirations

  const Ttl& forTier(Tier tier) const;
  // KV: an entry is fresh for the edge TTL, then served stale (and refreshed) for the SWR window.
  int kvExpiration(const Ttl& ttl) const;
};

inline constexpr const char* kPrivateNoStore = "private, no-store";

// "public, max-age=300, stale-while-revalidate=86400" (browsers) and the edge's counterpart.
std::string browserCacheControl(const Ttl& ttl);
std::string edgeCacheControl(const Ttl& ttl);
// "public, max-age=N": how long the Cache API keeps what Lattice stores there itself (copies
// under versioned keys, stamps), with no stale window.
std::string keepFor(long long seconds);

// A request that carries credentials is answered privately and never stored in a shared cache.
// Lattice authenticates with bearer tokens only and sets no cookies, so a Cookie header (from
// other software on the domain) varies nothing and does not count.
bool hasCredentials(const HttpRequest& request);

// Strong ETag from the version parts that determine a page's bytes.
std::string etag(std::string_view epoch);
// If-None-Match (RFC 9110 §13.1.2, weak comparison): does the list contain `etag`, or "*" when
// `starMatches` (the caller knows a current representation exists)?
bool ifNoneMatchHits(std::string_view ifNoneMatch, std::string_view etag, bool starMatches = true);

}  // namespace lattice::cache
