// Public reads don't care where a post's content lives (issue 6): the post page, the feed and the
// API read D1 or R2 transparently. A missing or corrupt R2 object is logged and answered as a
// clear error (503 content.unavailable), never as a blank post, and never cached; the D1 copy
// serves while it is there. A WARM post's html travels in its KV entry, so once warm a view costs
// no D1 or R2 read.
#include <doctest/doctest.h>

#include "cache-fixture.h"
#include "cache/keys.h"
#include "post-content-fixture.h"

using cachetest::Cost;
using contenttest::Blog;
using contenttest::kDemo;
using lattice::HttpResponse;
using lattice::Json;
using lattice::jsonInt;
using lattice::jsonString;
using lattice::testing::bodyOf;
using lattice::testing::errorOf;
using lattice::testing::has;
using lattice::testing::TestWorld;

namespace {

const std::string kStampUrl = lattice::cache::stampUrl("demo", "localhost");

const std::string kMarkdown =
    "# A post that moves\n\nSome *emphasis*, a [link](https://example.com/a?b=1&c=2), `code` and\n\n"
    "- a list\n- of <escaped> things & more\n\n> a quote with “unicode” — dashes and 😀\n";

HttpResponse get(Blog& b, const std::string& path) { return b.w.request("GET", kDemo, path); }
HttpResponse apiGet(Blog& b, const std::string& slug) { return b.w.api("GET", kDemo, "/api/posts/" + slug, b.token); }
std::string cacheState(const HttpResponse& r) { return r.header("x-lattice-cache"); }

// Moves the post to R2 and drops the D1 copy: R2 alone holds the content.
void onlyInR2(Blog& b, const std::string& id) {
  HttpResponse moved = b.toR2(id);
  INFO(moved.body);
  REQUIRE(moved.status == 200);
  HttpResponse cleared = b.clear(id);
  INFO(cleared.body);
  REQUIRE(cleared.status == 200);
  REQUIRE(bodyOf(cleared)["d1_copy"] == "cleared");
  REQUIRE(b.row(id)["markdown"].is_null());
  REQUIRE(b.row(id)["html"].is_null());
}

// Empties the post and index entries in KV and every page in the location's cache, keeping the
// tenant's stamp (and directory entry): the next view renders from D1 (and R2) without any other
// lookups muddying the counts. (A move purges nothing by itself: the migrator does.)
void dropCaches(TestWorld& w) {
  std::erase_if(w.kv, [](const auto& kv) { return kv.first.rfind("post:", 0) == 0 || kv.first.rfind("index:", 0) == 0; });
  std::erase_if(w.cache, [](const auto& c) { return c.first != kStampUrl; });
}
void dropPages(TestWorld& w) {
  std::erase_if(w.cache, [](const auto& c) { return c.first != kStampUrl; });
}

bool logged(const TestWorld& w, const std::string& code) {
  for (const auto& e : w.logs)
    if (jsonString(e, "level") == "error" && jsonString(e["fields"], "code") == code) return true;
  return false;
}

// The rows of the post's KV entry (null when there is none).
Json kvRows(Blog& b, const std::string& slug) {
  auto it = b.w.kv.find(lattice::cache::kvPostKey(b.tenant, slug));
  if (it == b.w.kv.end()) return nullptr;
  return (*lattice::parseJson(it->second.value.get<std::string>()))["rows"];
}

// Edits the JSON of an R2 object in place.
void editObject(TestWorld& w, const std::string& key, const std::function<void(Json&)>& edit) {
  REQUIRE(w.r2.count(key) == 1);
  Json j = *lattice::parseJson(w.r2[key]);
  edit(j);
  w.r2[key] = j.dump();
}

// A view that must fail clearly: 503 content.unavailable, private, kept nowhere.
void expectUnavailable(Blog& b, const std::string& slug) {
  const size_t pagesBefore = b.w.cache.size();
  Cost cost(b.w);
  HttpResponse r = get(b, "/blog/" + slug);
  INFO(r.body);
  CHECK(r.status == 503);
  CHECK(errorOf(r)["code"] == "content.unavailable");
  CHECK(r.header("retry-after") == "60");
  CHECK(has(r.header("cache-control"), "no-store"));
  CHECK(r.header("etag").empty());
  CHECK(cost.of("cache.put") == 0);
  CHECK(cost.of("kv.put") == 0);
  CHECK(b.w.cache.size() == pagesBefore);
  CHECK(kvRows(b, slug).is_null());
}

}  // namespace

TEST_CASE("reads: a post moved to R2 and cleared in D1 renders identically (page, feed, API)") {
  Blog b;
  b.add("first", "An older post in D1.");
  b.w.now += 1000;
  const std::string id = b.add("moves", kMarkdown, "It moves");

  const HttpResponse pageBefore = get(b, "/blog/moves");
  const HttpResponse feedBefore = get(b, "/feed.xml");
  const HttpResponse apiBefore = apiGet(b, "moves");
  REQUIRE(pageBefore.status == 200);
  REQUIRE(feedBefore.status == 200);
  REQUIRE(apiBefore.status == 200);
  REQUIRE(has(pageBefore.body, "<em>emphasis</em>"));
  REQUIRE(has(feedBefore.body, "&lt;em&gt;emphasis&lt;/em&gt;"));

  onlyInR2(b, id);
  dropCaches(b.w);
  Cost cost(b.w);
  const HttpResponse pageAfter = get(b, "/blog/moves");
  CHECK(pageAfter.status == 200);
  CHECK(cacheState(pageAfter) == "miss");
  CHECK(pageAfter.body == pageBefore.body);
  CHECK(cost.of("r2.get") == 1);
  CHECK(cost.of("metric.content.read_r2") == 1);
  // WARM now: kept longer at the edge than the HOT copy was.
  CHECK(pageBefore.header("cdn-cache-control") == "public, max-age=3600, stale-while-revalidate=86400");
  CHECK(pageAfter.header("cdn-cache-control") == "public, max-age=86400, stale-while-revalidate=86400");

  const HttpResponse feedAfter = get(b, "/feed.xml");
  CHECK(feedAfter.status == 200);
  CHECK(feedAfter.body == feedBefore.body);
  CHECK(feedAfter.header("etag") == feedBefore.header("etag"));
  CHECK(feedAfter.header("x-lattice-degraded").empty());

  const HttpResponse apiAfter = apiGet(b, "moves");
  REQUIRE(apiAfter.status == 200);
  Json before = bodyOf(apiBefore)["post"], after = bodyOf(apiAfter)["post"];
  CHECK(after["markdown"] == before["markdown"]);
  CHECK(after["html"] == before["html"]);
  CHECK(after["content_hash"] == before["content_hash"]);
  CHECK(after["version"] == before["version"]);
  CHECK(after["storage_location"] == "r2");

  // COLD (r2_archived) reads the same way.
  const std::string key = jsonString(b.row(id), "r2_key");
  b.w.sql("UPDATE posts SET storage_location = 'r2_archived' WHERE id = ?1", {id});
  dropCaches(b.w);
  const HttpResponse cold = get(b, "/blog/moves");
  CHECK(cold.status == 200);
  CHECK(cold.body == pageBefore.body);
  CHECK(cold.header("cdn-cache-control") == "public, max-age=604800, stale-while-revalidate=86400");
  CHECK(b.w.r2.count(key) == 1);
}

TEST_CASE("reads: a WARM post costs one D1 and one R2 read when cold, none once warm") {
  Blog b;
  const std::string id = b.add("warm", kMarkdown);
  onlyInR2(b, id);
  dropCaches(b.w);

  // Cold: the stamp from the location's cache, the page and KV miss, one D1 read, one R2 read;
  // the KV entry and the page are stored after the response.
  {
    Cost cost(b.w);
    const HttpResponse r = get(b, "/blog/warm");
    REQUIRE(r.status == 200);
    CHECK(cacheState(r) == "miss");
    CHECK(cost.d1() == 1);
    CHECK(cost.of("r2.get") == 1);
    CHECK(cost.of("kv.get") == 1);
    CHECK(cost.of("kv.put") == 1);
    CHECK(cost.of("cache.put") == 1);
    MESSAGE("WARM post, cold: d1=" << cost.d1() << " r2=" << cost.of("r2.get") << " kv.get=" << cost.of("kv.get"));
  }
  // The KV entry carries the html read from R2 (not the markdown: pages show html only).
  Json rows = kvRows(b, "warm");
  REQUIRE(rows.is_array());
  REQUIRE(rows.size() == 1);
  CHECK(has(jsonString(rows[0], "html"), "<em>emphasis</em>"));
  CHECK(rows[0]["markdown"].is_null());
  CHECK(rows[0]["storage_location"] == "r2");

  // Hit at the edge: nothing but the stamp and the page from the location's cache.
  {
    Cost cost(b.w);
    const HttpResponse r = get(b, "/blog/warm");
    CHECK(cacheState(r) == "hit");
    CHECK(cost.d1() == 0);
    CHECK(cost.r2() == 0);
    CHECK(cost.of("kv.get") == 0);
    MESSAGE("WARM post, page hit: d1=" << cost.d1() << " r2=" << cost.r2() << " kv.get=" << cost.of("kv.get"));
  }
  // The page gone from this location (another location, or evicted): one KV read, no D1, no R2.
  dropPages(b.w);
  {
    Cost cost(b.w);
    const HttpResponse r = get(b, "/blog/warm");
    REQUIRE(r.status == 200);
    CHECK(cacheState(r) == "miss");
    CHECK(has(r.body, "<em>emphasis</em>"));
    CHECK(cost.d1() == 0);
    CHECK(cost.r2() == 0);
    CHECK(cost.of("kv.get") == 1);
    CHECK(cost.of("metric.cache.kv_hit") == 1);
    MESSAGE("WARM post, page miss + KV hit: d1=" << cost.d1() << " r2=" << cost.r2() << " kv.get=" << cost.of("kv.get"));
  }
}

TEST_CASE("reads: the feed takes WARM posts' html from their KV entries, shared with their pages") {
  Blog b;
  const std::string older = b.add("older", "Older words.");
  b.w.now += 1000;
  b.add("newer", "Newer words.");
  onlyInR2(b, older);
  dropCaches(b.w);

  Cost cold(b.w);
  const HttpResponse feed = get(b, "/feed.xml");
  REQUIRE(feed.status == 200);
  CHECK(has(feed.body, "Older words."));
  CHECK(has(feed.body, "Newer words."));
  CHECK(cold.d1() == 2);  // the index, then the WARM post
  CHECK(cold.of("r2.get") == 1);

  // The post's page now renders from the entry the feed stored.
  Cost page(b.w);
  REQUIRE(get(b, "/blog/older").status == 200);
  CHECK(page.d1() + page.r2() == 0);

  // The feed evicted from this location: the index and the post from KV, no D1, no R2.
  dropPages(b.w);
  Cost warm(b.w);
  const HttpResponse again = get(b, "/feed.xml");
  CHECK(again.body == feed.body);
  CHECK(warm.d1() + warm.r2() == 0);
  CHECK(warm.of("kv.get") == 2);
}

TEST_CASE("reads: a corrupt R2 object (hash mismatch) is a logged 503 content.unavailable, never cached") {
  Blog b;
  const std::string id = b.add("tampered", kMarkdown);
  onlyInR2(b, id);
  const std::string key = jsonString(b.row(id), "r2_key");
  const std::string good = b.w.r2[key];
  editObject(b.w, key, [](Json& j) { j["markdown"] = "not what was hashed"; });
  dropCaches(b.w);

  expectUnavailable(b, "tampered");
  CHECK(logged(b.w, "content.corrupt"));
  CHECK(b.w.counters["metric.content.r2_corrupt"] == 1);
  // Every view tries again (nothing was stored), and each failure is logged.
  expectUnavailable(b, "tampered");
  CHECK(b.w.counters["metric.content.r2_corrupt"] == 2);

  // An object whose html was swapped for nothing but whose markdown still matches its hash.
  b.w.r2[key] = good;
  editObject(b.w, key, [](Json& j) { j["html"] = ""; });
  expectUnavailable(b, "tampered");
  CHECK(logged(b.w, "content.missing"));

  // An object of another version is corrupt too.
  b.w.r2[key] = good;
  editObject(b.w, key, [](Json& j) { j["version"] = 7; });
  expectUnavailable(b, "tampered");

  // Repaired: served, and now cached.
  b.w.r2[key] = good;
  const HttpResponse ok = get(b, "/blog/tampered");
  CHECK(ok.status == 200);
  CHECK(has(ok.body, "<em>emphasis</em>"));
  CHECK(cacheState(get(b, "/blog/tampered")) == "hit");
}

TEST_CASE("reads: a missing R2 object is a logged 503 content.unavailable; R2 down is 503 storage.unavailable") {
  Blog b;
  const std::string id = b.add("lost", kMarkdown);
  onlyInR2(b, id);
  const std::string key = jsonString(b.row(id), "r2_key");
  const std::string good = b.w.r2[key];
  b.w.r2.erase(key);
  dropCaches(b.w);

  expectUnavailable(b, "lost");
  CHECK(logged(b.w, "content.missing"));
  CHECK(b.w.counters["metric.content.r2_missing"] == 1);

  // R2 unreachable: the usual storage failure, not cached either.
  b.w.r2[key] = good;
  b.w.fault = [](const Json& e) -> std::optional<Json> {
    if (jsonString(e, "kind") == "r2.get") return Json{{"ok", false}, {"error", "R2 is down"}};
    return std::nullopt;
  };
  const HttpResponse down = get(b, "/blog/lost");
  CHECK(down.status == 503);
  CHECK(errorOf(down)["code"] == "storage.unavailable");
  CHECK(kvRows(b, "lost").is_null());
  b.w.fault = nullptr;
  CHECK(get(b, "/blog/lost").status == 200);

  // A draft or a post scheduled for later stays a 404 whatever its storage holds.
  b.w.r2.erase(key);
  b.w.sql("UPDATE posts SET published_at = ?1 WHERE id = ?2", {b.w.now + 3600000, id});
  dropCaches(b.w);
  CHECK(get(b, "/blog/lost").status == 404);
  b.w.sql("UPDATE posts SET status = 'draft' WHERE id = ?1", {id});
  dropCaches(b.w);
  CHECK(get(b, "/blog/lost").status == 404);
}

TEST_CASE("reads: the D1 copy serves while it is there, with no R2 read") {
  Blog b;
  const std::string id = b.add("grace", kMarkdown);
  const HttpResponse before = get(b, "/blog/grace");
  REQUIRE(b.toR2(id).status == 200);  // moved, D1 copy kept (the grace period)
  const std::string key = jsonString(b.row(id), "r2_key");
  b.w.r2.erase(key);
  dropCaches(b.w);

  Cost cost(b.w);
  const HttpResponse r = get(b, "/blog/grace");
  CHECK(r.status == 200);
  CHECK(r.body == before.body);
  CHECK(cost.r2() == 0);
  CHECK(cost.d1() == 1);

  // The feed too.
  const HttpResponse feed = get(b, "/feed.xml");
  CHECK(has(feed.body, "&lt;em&gt;emphasis&lt;/em&gt;"));
  CHECK(cost.r2() == 0);
}

TEST_CASE("reads: the feed leaves out an entry whose content cannot be read, and is then kept nowhere") {
  Blog b;
  const std::string broken = b.add("broken", "Broken words.");
  b.w.now += 1000;
  const std::string fine = b.add("fine", "Fine words.");
  b.w.now += 1000;
  b.add("hot", "Hot words.");
  onlyInR2(b, broken);
  onlyInR2(b, fine);
  const std::string key = jsonString(b.row(broken), "r2_key");
  const std::string good = b.w.r2[key];
  editObject(b.w, key, [](Json& j) { j["markdown"] = "tampered"; });
  dropCaches(b.w);

  const HttpResponse feed = get(b, "/feed.xml");
  INFO(feed.body);
  REQUIRE(feed.status == 200);
  CHECK(has(feed.body, "Hot words."));
  CHECK(has(feed.body, "Fine words."));
  CHECK_FALSE(has(feed.body, "/blog/broken"));  // no entry at all, rather than an empty one
  CHECK(feed.header("x-lattice-degraded") == "content.unavailable");
  CHECK(feed.header("cache-control") == "no-store");
  CHECK(feed.header("etag").empty());
  CHECK(logged(b.w, "content.corrupt"));
  CHECK(b.w.counters["metric.feed.entry_left_out"] == 1);
  for (const auto& [url, stored] : b.w.cache) CHECK_FALSE(has(url, "feed.xml"));
  // The lists and the sitemap do not need content: they still show the post, and are cached.
  CHECK(has(get(b, "/blog").body, "/blog/broken"));
  CHECK(has(get(b, "/sitemap.xml").body, "/blog/broken"));
  // The page itself is a clear error.
  CHECK(get(b, "/blog/broken").status == 503);

  // Repaired: the whole feed, with an ETag, kept at the edge.
  b.w.r2[key] = good;
  const HttpResponse whole = get(b, "/feed.xml");
  CHECK(has(whole.body, "Broken words."));
  CHECK(whole.header("x-lattice-degraded").empty());
  CHECK_FALSE(whole.header("etag").empty());
  CHECK(cacheState(get(b, "/feed.xml")) == "hit");

  // R2 unreachable fails the feed as any storage failure does.
  dropCaches(b.w);
  b.w.fault = [](const Json& e) -> std::optional<Json> {
    if (jsonString(e, "kind") == "r2.get") return Json{{"ok", false}, {"error", "R2 is down"}};
    return std::nullopt;
  };
  const HttpResponse down = get(b, "/feed.xml");
  CHECK(down.status == 503);
  CHECK(errorOf(down)["code"] == "storage.unavailable");
  b.w.fault = nullptr;
}

TEST_CASE("reads: a KV entry without the html a WARM post needs is a miss, filled from R2") {
  Blog b;
  const std::string id = b.add("old-entry", kMarkdown);
  onlyInR2(b, id);
  dropCaches(b.w);
  REQUIRE(get(b, "/blog/old-entry").status == 200);
  // As an entry stored before reads filled content from R2 would be.
  auto& stored = b.w.kv[lattice::cache::kvPostKey(b.tenant, "old-entry")];
  Json entry = *lattice::parseJson(stored.value.get<std::string>());
  entry["rows"][0]["html"] = nullptr;
  stored.value = entry.dump();
  dropPages(b.w);

  Cost cost(b.w);
  const HttpResponse r = get(b, "/blog/old-entry");
  CHECK(r.status == 200);
  CHECK(has(r.body, "<em>emphasis</em>"));
  CHECK(cost.of("metric.cache.kv_incomplete") == 1);
  CHECK(cost.d1() == 1);
  CHECK(cost.of("r2.get") == 1);
  CHECK(has(jsonString(kvRows(b, "old-entry")[0], "html"), "<em>emphasis</em>"));
}

TEST_CASE("reads: stale-while-revalidate refills a WARM post's KV entry from R2, and keeps it if R2 fails") {
  Blog b;
  const std::string id = b.add("stale", kMarkdown);
  onlyInR2(b, id);
  dropCaches(b.w);
  REQUIRE(get(b, "/blog/stale").status == 200);
  const std::string kvKey = lattice::cache::kvPostKey(b.tenant, "stale");
  const long long freshUntil = jsonInt(*lattice::parseJson(b.w.kv[kvKey].value.get<std::string>()), "fresh_until");

  // Past the entry's freshness (WARM: a day at the edge), within its stale window; R2 fails.
  b.w.now = freshUntil + 1000;
  b.w.fault = [](const Json& e) -> std::optional<Json> {
    if (jsonString(e, "kind") == "r2.get") return Json{{"ok", false}, {"error", "R2 is down"}};
    return std::nullopt;
  };
  dropPages(b.w);
  HttpResponse r = get(b, "/blog/stale");
  CHECK(r.status == 200);
  CHECK(has(r.body, "<em>emphasis</em>"));
  CHECK(b.w.counters["metric.cache.kv_stale"] >= 1);
  CHECK(b.w.counters["metric.cache.kv_refresh"] == 0);
  CHECK(jsonInt(*lattice::parseJson(b.w.kv[kvKey].value.get<std::string>()), "fresh_until") == freshUntil);

  // R2 back: the refresh after the response re-reads D1 and R2 and stores the html again.
  b.w.fault = nullptr;
  dropPages(b.w);
  Cost cost(b.w);
  r = get(b, "/blog/stale");
  CHECK(r.status == 200);
  CHECK(cost.of("metric.cache.kv_refresh") == 1);
  CHECK(cost.of("r2.get") == 1);
  Json entry = *lattice::parseJson(b.w.kv[kvKey].value.get<std::string>());
  CHECK(jsonInt(entry, "fresh_until") > freshUntil);
  CHECK(has(jsonString(entry["rows"][0], "html"), "<em>emphasis</em>"));
}

TEST_CASE("reads: a post whose content cannot be read still takes reactions") {
  Blog b;
  const std::string id = b.add("reacted", kMarkdown);
  onlyInR2(b, id);
  b.w.r2.erase(jsonString(b.row(id), "r2_key"));
  dropCaches(b.w);
  HttpResponse r = b.w.request("GET", kDemo, "/api/posts/reacted/reactions");
  INFO(r.body);
  CHECK(r.status == 200);
}

TEST_CASE("reads: with CACHE_MODE=off a WARM post reads D1 and R2 on every view, and a short feed is no-store") {
  Blog b(Json{{"BASE_DOMAIN", "localhost"}, {"CACHE_MODE", "off"}});
  const std::string id = b.add("uncached", kMarkdown);
  b.w.now += 1000;
  const std::string other = b.add("other", "Other words.");
  onlyInR2(b, id);
  onlyInR2(b, other);
  for (int i = 0; i < 2; ++i) {
    Cost cost(b.w);
    const HttpResponse r = get(b, "/blog/uncached");
    CHECK(r.status == 200);
    CHECK(cacheState(r) == "off");
    CHECK(has(r.body, "<em>emphasis</em>"));
    CHECK(cost.of("r2.get") == 1);
    CHECK(cost.of("kv.get") + cost.of("kv.put") + cost.of("cache.put") == 0);
  }
  b.w.r2.erase(jsonString(b.row(other), "r2_key"));
  const HttpResponse feed = get(b, "/feed.xml");
  CHECK(feed.status == 200);
  CHECK(cacheState(feed) == "off");
  CHECK(has(feed.body, "<title>Title of uncached</title>"));
  CHECK_FALSE(has(feed.body, "/blog/other"));
  CHECK(feed.header("cache-control") == "no-store");
  CHECK(feed.header("x-lattice-degraded") == "content.unavailable");
  CHECK(get(b, "/blog/other").status == 503);
}
