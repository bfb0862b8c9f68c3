// Cache policy as pure functions: storage tier of a post, the lifetimes per tier and for lists,
// the KV expiration floor, Cache-Control strings, the cache vars of Config::fromVars (CACHE_MODE,
// STAMP_TTL_SECONDS, TTL_*), which requests count as carrying credentials, ETags and
// If-None-Match matching.
#include <doctest/doctest.h>

#include <string>

#include "app/config.h"
#include "cache/policy.h"

using lattice::Config;
using lattice::HttpRequest;
using lattice::Json;
using namespace lattice::cache;

namespace {

bool sameTtl(const Ttl& a, const Ttl& b) {
  return a.browser == b.browser && a.edge == b.edge && a.staleWhileRevalidate == b.staleWhileRevalidate;
}

Config withVar(const char* key, Json value) { return Config::fromVars(Json{{key, std::move(value)}}); }

}  // namespace

TEST_CASE("cache-policy: tierOf maps storage_location to HOT, WARM and COLD") {
  CHECK(tierOf("d1") == Tier::Hot);
  CHECK(tierOf("r2") == Tier::Warm);
  CHECK(tierOf("r2_archived") == Tier::Cold);
  // Anything unknown is treated as the shortest-lived tier.
  CHECK(tierOf("") == Tier::Hot);
  CHECK(tierOf("R2") == Tier::Hot);
  CHECK(tierOf("r2_archive") == Tier::Hot);
}

TEST_CASE("cache-policy: defaults per tier and for lists, and forTier") {
  const CachePolicy p;
  CHECK(p.enabled);
  CHECK(p.stampTtl == 30);
  CHECK(sameTtl(p.hot, Ttl{300, 3600, 86400}));
  CHECK(sameTtl(p.warm, Ttl{300, 86400, 86400}));
  CHECK(sameTtl(p.cold, Ttl{300, 604800, 86400}));
  CHECK(sameTtl(p.popular, Ttl{300, 604800, 604800}));
  CHECK(sameTtl(p.list, Ttl{60, 600, 3600}));
  CHECK(p.notFoundEdge == 60);
  CHECK(p.kvMinTtl == 60);
  CHECK(&p.forTier(Tier::Hot) == &p.hot);
  CHECK(&p.forTier(Tier::Warm) == &p.warm);
  CHECK(&p.forTier(Tier::Cold) == &p.cold);
  CHECK(&p.forTier(Tier::Popular) == &p.popular);
  CHECK(p.forTier(tierOf("r2_archived")).edge == 604800);
  // POPULAR is what the migrator recorded for content in R2; content back in D1 is HOT whatever
  // posts.tier still says, and an archived post is COLD.
  CHECK(tierOf("r2", "popular") == Tier::Popular);
  CHECK(tierOf("r2", "warm") == Tier::Warm);
  CHECK(tierOf("r2", "") == Tier::Warm);
  CHECK(tierOf("d1", "popular") == Tier::Hot);
  CHECK(tierOf("r2_archived", "popular") == Tier::Cold);
  // Older content may be kept longer at the edge, never shorter.
  CHECK(p.hot.edge < p.warm.edge);
  CHECK(p.warm.edge < p.cold.edge);
  CHECK(p.popular.edge >= p.cold.edge);
  CHECK(p.popular.staleWhileRevalidate > p.cold.staleWhileRevalidate);
}

TEST_CASE("cache-policy: kvExpiration is edge + SWR, never below KV's 60 s minimum") {
  const CachePolicy p;
  CHECK(p.kvExpiration(p.hot) == 3600 + 86400);
  CHECK(p.kvExpiration(p.warm) == 86400 + 86400);
  CHECK(p.kvExpiration(p.list) == 600 + 3600);
  CHECK(p.kvExpiration(Ttl{0, 0, 0}) == 60);
  CHECK(p.kvExpiration(Ttl{300, 1, 2}) == 60);
  CHECK(p.kvExpiration(Ttl{300, 30, 29}) == 60);
  CHECK(p.kvExpiration(Ttl{300, 30, 31}) == 61);
  // Also for lifetimes configured through vars.
  Config c = withVar("TTL_HOT", "0/1/1");
  CHECK(c.cache.kvExpiration(c.cache.hot) == 60);
}

TEST_CASE("cache-policy: Cache-Control strings for browsers and for the edge") {
  const CachePolicy p;
  CHECK(browserCacheControl(p.hot) == "public, max-age=300, stale-while-revalidate=86400");
  CHECK(edgeCacheControl(p.hot) == "public, max-age=3600, stale-while-revalidate=86400");
  CHECK(browserCacheControl(p.list) == "public, max-age=60, stale-while-revalidate=3600");
  CHECK(edgeCacheControl(p.list) == "public, max-age=600, stale-while-revalidate=3600");
  CHECK(edgeCacheControl(p.cold) == "public, max-age=604800, stale-while-revalidate=86400");
  // No stale-while-revalidate directive when the window is zero.
  CHECK(browserCacheControl(Ttl{5, 7, 0}) == "public, max-age=5");
  CHECK(edgeCacheControl(Ttl{5, 7, 0}) == "public, max-age=7");
  CHECK(browserCacheControl(Ttl{0, 0, 0}) == "public, max-age=0");
  CHECK(std::string(kPrivateNoStore) == "private, no-store");
  // What Lattice keeps in the Cache API itself: a lifetime and no stale window.
  CHECK(keepFor(3600) == "public, max-age=3600");
  CHECK(keepFor(604800) == "public, max-age=604800");
}

TEST_CASE("cache-policy: CACHE_MODE turns caching off only when it says off") {
  CHECK(Config::fromVars(Json::object()).cache.enabled);
  CHECK(Config::fromVars(Json(nullptr)).cache.enabled);
  for (const char* off : {"off", "OFF", "Off", "oFf"}) {
    INFO(off);
    CHECK_FALSE(withVar("CACHE_MODE", off).cache.enabled);
  }
  for (const char* on : {"on", "", "0", "false", "no", "disabled", " off", "off ", "of", "offf"}) {
    INFO("'" << on << "'");
    CHECK(withVar("CACHE_MODE", on).cache.enabled);
  }
  CHECK(withVar("CACHE_MODE", false).cache.enabled);  // not a string: the default
  CHECK(withVar("CACHE_MODE", 0).cache.enabled);
}

TEST_CASE("cache-policy: STAMP_TTL_SECONDS accepts 1..3600 and keeps 30 otherwise") {
  CHECK(Config::fromVars(Json::object()).cache.stampTtl == 30);
  CHECK(withVar("STAMP_TTL_SECONDS", "1").cache.stampTtl == 1);
  CHECK(withVar("STAMP_TTL_SECONDS", "2").cache.stampTtl == 2);
  CHECK(withVar("STAMP_TTL_SECONDS", "600").cache.stampTtl == 600);
  CHECK(withVar("STAMP_TTL_SECONDS", "3600").cache.stampTtl == 3600);
  CHECK(withVar("STAMP_TTL_SECONDS", 45).cache.stampTtl == 45);
  for (Json bad : {Json("0"), Json("3601"), Json("-5"), Json("abc"), Json(""), Json("30s"), Json(" 30"), Json("1e3"),
                   Json("99999999999999"), Json(0), Json(-5), Json(3601), Json(true), Json(nullptr)}) {
    INFO(bad.dump());
    CHECK(withVar("STAMP_TTL_SECONDS", bad).cache.stampTtl == 30);
  }
}

TEST_CASE("cache-policy: TTL_HOT/TTL_WARM/TTL_COLD/TTL_POPULAR/TTL_LIST are browser/edge/swr seconds") {
  Config c = Config::fromVars(Json{{"TTL_HOT", "1/2/3"},
                                   {"TTL_WARM", "10/20/30"},
                                   {"TTL_COLD", "100/200/300"},
                                   {"TTL_LIST", "0/0/0"},
                                   {"TTL_POPULAR", "5/6/7"}});
  CHECK(sameTtl(c.cache.hot, Ttl{1, 2, 3}));
  CHECK(sameTtl(c.cache.warm, Ttl{10, 20, 30}));
  CHECK(sameTtl(c.cache.cold, Ttl{100, 200, 300}));
  CHECK(sameTtl(c.cache.list, Ttl{0, 0, 0}));
  CHECK(sameTtl(c.cache.popular, Ttl{5, 6, 7}));
  // Each var sets only its own lifetimes.
  Config only = withVar("TTL_WARM", "7/8/9");
  CHECK(sameTtl(only.cache.warm, Ttl{7, 8, 9}));
  CHECK(sameTtl(only.cache.hot, CachePolicy{}.hot));
  CHECK(sameTtl(only.cache.cold, CachePolicy{}.cold));
  CHECK(sameTtl(only.cache.list, CachePolicy{}.list));
  CHECK(sameTtl(withVar("TTL_LIST", "300/3600/86400").cache.list, Ttl{300, 3600, 86400}));
  CHECK(sameTtl(withVar("TTL_HOT", "99999999/0/1").cache.hot, Ttl{99999999, 0, 1}));  // 8 digits at most
}

TEST_CASE("cache-policy: malformed TTL values keep the defaults") {
  const Ttl hot = CachePolicy{}.hot;
  for (const char* bad : {"1/2", "a/b/c", "", "1//3", "-1/2/3", "1/2/x", "/1/2", "1/2/3 ", " 1/2/3", "1,2,3", "1.5/2/3",
                          "123456789/1/1", "1/2/3/4/5", "//", "1/2/"}) {
    INFO("'" << bad << "'");
    CHECK(sameTtl(withVar("TTL_HOT", bad).cache.hot, hot));
  }
  CHECK(sameTtl(withVar("TTL_HOT", 300).cache.hot, hot));  // not a string
  CHECK(sameTtl(withVar("TTL_HOT", Json::array({1, 2, 3})).cache.hot, hot));
}

// (parseTtl used to accept "1/2/3/4" and "1/2/3/" as 1/2/3.)
TEST_CASE("cache-policy: a fourth TTL part or a trailing slash is rejected, not ignored") {
  const Ttl hot = CachePolicy{}.hot;
  for (const char* bad : {"1/2/3/4", "1/2/3/"}) {
    const Ttl got = withVar("TTL_HOT", bad).cache.hot;
    INFO("'" << bad << "' parsed as " << got.browser << "/" << got.edge << "/" << got.staleWhileRevalidate);
    CHECK(sameTtl(got, hot));
  }
}

TEST_CASE("cache-policy: only an Authorization header counts as credentials") {
  HttpRequest r;
  r.method = "GET";
  CHECK_FALSE(hasCredentials(r));
  r.headers["cookie"] = "session=abc";  // Lattice sets no cookies: another app's cookie varies nothing
  CHECK_FALSE(hasCredentials(r));
  r.headers["authorization"] = "";
  CHECK_FALSE(hasCredentials(r));
  r.headers["authorization"] = "Bearer lat_x";
  CHECK(hasCredentials(r));
  r.headers["authorization"] = "Basic dXNlcjpwYXNz";  // any scheme: answered privately
  CHECK(hasCredentials(r));
}

TEST_CASE("cache-policy: etag() is a strong, quoted validator") {
  CHECK(etag("g1-p5-k1-t0") == "\"g1-p5-k1-t0\"");
  CHECK(etag("") == "\"\"");
  CHECK(etag("a") != etag("b"));
}

TEST_CASE("cache-policy: If-None-Match matching") {
  const std::string tag = etag("g1-p5-k1-t0");
  SUBCASE("exact and weak forms") {
    CHECK(ifNoneMatchHits(tag, tag));
    CHECK(ifNoneMatchHits("W/" + tag, tag));
    CHECK_FALSE(ifNoneMatchHits("w/" + tag, tag));  // the weak prefix is case-sensitive
    CHECK_FALSE(ifNoneMatchHits("\"g1-p5-k1-t\"", tag));
    CHECK_FALSE(ifNoneMatchHits("\"g1-p5-k1-t00\"", tag));
    CHECK_FALSE(ifNoneMatchHits("g1-p5-k1-t0", tag));  // unquoted
  }
  SUBCASE("lists, with and without spaces") {
    CHECK(ifNoneMatchHits("\"nope\", " + tag, tag));
    CHECK(ifNoneMatchHits("\"nope\"," + tag, tag));
    CHECK(ifNoneMatchHits("  \"a\" ,\t W/\"b\" ,  " + tag + "  ", tag));
    CHECK(ifNoneMatchHits(tag + ", \"nope\"", tag));
    CHECK(ifNoneMatchHits("W/\"x\", W/" + tag, tag));
    CHECK_FALSE(ifNoneMatchHits("\"a\", \"b\", W/\"c\"", tag));
    CHECK_FALSE(ifNoneMatchHits(", ,", tag));
  }
  SUBCASE("the wildcard, only when the caller knows a current representation exists") {
    CHECK(ifNoneMatchHits("*", tag));
    CHECK(ifNoneMatchHits(" *", tag));
    CHECK(ifNoneMatchHits("\"nope\", *", tag));
    CHECK(ifNoneMatchHits("*", tag, true));
    CHECK_FALSE(ifNoneMatchHits("*", tag, false));
    CHECK_FALSE(ifNoneMatchHits("\"nope\", *", tag, false));
    CHECK(ifNoneMatchHits(tag, tag, false));  // a matching tag still matches
    CHECK(ifNoneMatchHits("W/" + tag + ", *", tag, false));
  }
  SUBCASE("empty and malformed headers match nothing") {
    CHECK_FALSE(ifNoneMatchHits("", tag));
    CHECK_FALSE(ifNoneMatchHits("   ", tag));
    CHECK_FALSE(ifNoneMatchHits("\"g1-p5-k1-t0", tag));  // unterminated
    CHECK_FALSE(ifNoneMatchHits("\"", tag));
    CHECK_FALSE(ifNoneMatchHits("W/", tag));
    CHECK_FALSE(ifNoneMatchHits("W/g1-p5-k1-t0", tag));
    CHECK_FALSE(ifNoneMatchHits("garbage, " + tag, tag));  // malformed before the match
    CHECK_FALSE(ifNoneMatchHits("\"nope\" junk " + tag, tag));
  }
}
