// The operator dashboard: GET /api/stats (src/app/stats-routes.cpp, src/stats/dashboard.h), fed by
// the per-day figures each post view reports to its PostMetaDO (src/durable/views.h) and flushed
// to D1 post_day_stats; and the page /admin/stats that draws it.
#include <doctest/doctest.h>

#include "cache-fixture.h"
#include "stats/dashboard.h"

using namespace cachetest;
using lattice::jsonInt;
using lattice::jsonString;
using lattice::testing::bodyOf;

namespace {

constexpr long long kHourMs = 60LL * 60 * 1000;
constexpr long long kDayMs = 24 * kHourMs;

struct Dash : Blog {
  std::string otherToken;
  Dash() {
    const std::string other = w.addTenant("autumn", "Windfalls");
    otherToken = w.mintToken(other);
  }
  HttpResponse stats(const std::string& query = "", const std::string& bearer = "use-owner") {
    std::map<std::string, std::string> headers;
    const std::string t = bearer == "use-owner" ? token : bearer;
    if (!t.empty()) headers["authorization"] = "Bearer " + t;
    return w.request("GET", kDemo, "/api/stats" + query, headers);
  }
  HttpResponse view(const std::string& slug, const std::string& ip = "192.0.2.1",
                    std::map<std::string, std::string> headers = {}) {
    headers["cf-connecting-ip"] = ip;
    return w.request("GET", kDemo, "/blog/" + slug, headers);
  }
  std::string signUp(const std::string& name) {
    HttpResponse r = w.request("POST", kDemo, "/api/readers", {{"content-type", "application/json"}},
                               Json{{"name", name}}.dump());
    REQUIRE(r.status == 201);
    return jsonString(bodyOf(r), "token");
  }
  void react(const std::string& reader, const std::string& slug, const std::string& type) {
    HttpResponse r = w.request("POST", kDemo, "/api/posts/" + slug + "/reactions",
                               {{"authorization", "Bearer " + reader}, {"content-type", "application/json"}},
                               Json{{"type", type}}.dump());
    INFO(r.body);
    REQUIRE(r.status == 200);
  }
  // Past every flush deadline (views hourly, reactions in 5 minutes, events in 30 s).
  void flush() {
    w.now += kHourMs + 1000;
    w.runAlarms();
  }
  Json dayOf(const Json& body, long long unixMs) {
    const std::string date = lattice::stats::dayDate(unixMs / kDayMs);
    for (const auto& d : body["daily"])
      if (jsonString(d, "date") == date) return d;
    FAIL("no such day " << date);
    return Json();
  }
};

std::string codeOf(const HttpResponse& r) { return jsonString(errorOf(r), "code"); }

}  // namespace

TEST_CASE("stats api: the owner token of this blog, GET only, and days 1-90; exact codes") {
  Dash d;
  HttpResponse none = d.stats("", "");
  CHECK(none.status == 401);
  CHECK(codeOf(none) == "auth.missing_token");
  CHECK(none.header("www-authenticate").rfind("Bearer", 0) == 0);
  CHECK(none.header("cache-control") == "private, no-store");
  HttpResponse bad = d.stats("", "lat_" + std::string(64, '0'));
  CHECK(bad.status == 401);
  CHECK(codeOf(bad) == "auth.invalid_token");
  // Another blog's valid token: the same 404 as a blog that does not exist (no oracle).
  HttpResponse other = d.stats("", d.otherToken);
  CHECK(other.status == 404);
  CHECK(codeOf(other) == "tenant.not_found");
  // A reader token is not an owner token.
  const std::string reader = d.signUp("Ada");
  CHECK(d.stats("", reader).status == 401);

  for (const std::string q : {"?days=0", "?days=91", "?days=x", "?days=-1", "?days=", "?days=7.5", "?days=1000000"}) {
    INFO(q);
    HttpResponse r = d.stats(q);
    CHECK(r.status == 400);
    CHECK(codeOf(r) == "stats.days_invalid");
    CHECK(jsonString(errorOf(r), "field") == "days");
  }
  HttpResponse post = d.w.request("POST", kDemo, "/api/stats", {{"authorization", "Bearer " + d.token}});
  CHECK(post.status == 405);
  CHECK(post.header("allow") == "GET, HEAD");
  // The route is on the blog's host only.
  CHECK(d.w.request("GET", "localhost:8787", "/api/stats", {{"authorization", "Bearer " + d.token}}).status == 404);

  HttpResponse ok = d.stats("?days=90");
  REQUIRE(ok.status == 200);
  CHECK(ok.header("cache-control") == "private, no-store");
  CHECK(bodyOf(ok)["daily"].size() == 90);
  CHECK(bodyOf(d.stats())["days"] == 30);  // the default
  CHECK(bodyOf(d.stats("?days=1"))["daily"].size() == 1);
}

TEST_CASE("stats api: an empty blog answers every day and every tier with zeros, and no ratio") {
  Dash d;
  const Json body = bodyOf(d.stats("?days=7"));
  REQUIRE(body["daily"].size() == 7);
  CHECK(body["to"] == lattice::stats::dayDate(d.w.now / kDayMs));
  CHECK(body["from"] == lattice::stats::dayDate(d.w.now / kDayMs - 6));
  CHECK(body["daily"][6]["date"] == body["to"]);
  for (const auto& day : body["daily"]) CHECK(day["views"] == 0);
  CHECK(body["totals"]["views"] == 0);
  CHECK(body["totals"]["hit_ratio"].is_null());
  CHECK(body["top_posts"] == Json::array());
  CHECK(body["reactions"] == Json{{"like", 0}, {"love", 0}, {"insightful", 0}, {"laugh", 0}});
  REQUIRE(body["tiers"].size() == 4);
  CHECK(body["tiers"][0] == Json{{"tier", "hot"}, {"posts", 0}, {"bytes", 0}});
  CHECK(body["tiers"][3]["tier"] == "popular");
  CHECK(body["flush_seconds"] == 3600);
}

TEST_CASE("stats api: views per day, top posts, cache outcomes and D1 queries match what readers did") {
  Dash d;
  d.add("alpha");
  d.add("beta");
  d.add("gamma");
  d.add("draft-one", "draft", "");
  const long long day1 = d.w.now;

  // Day 1: alpha 4 views (the first renders it: a miss; then edge hits and a 304), beta 1 (a
  // miss). KV is emptied first (the writes kept the posts there), so the misses read D1.
  d.w.kv.clear();
  Cost cost(d.w);
  CHECK(d.view("alpha").header("x-lattice-cache") == "miss");
  const long long missD1 = cost.d1();
  CHECK(missD1 > 0);
  HttpResponse hit = d.view("alpha", "192.0.2.2");
  CHECK(hit.header("x-lattice-cache") == "hit");
  CHECK(d.view("alpha", "192.0.2.3").header("x-lattice-cache") == "hit");
  CHECK(d.view("alpha", "192.0.2.4", {{"if-none-match", hit.header("etag")}}).header("x-lattice-cache") == "not-modified");
  CHECK(d.view("beta").header("x-lattice-cache") == "miss");
  // Not views: the owner's own look with a token (bypass), a list page, a HEAD, a missing post.
  CHECK(d.view("alpha", "192.0.2.5", {{"authorization", "Bearer " + d.token}}).header("x-lattice-cache") == "bypass");
  d.w.request("GET", kDemo, "/blog");
  d.w.request("HEAD", kDemo, "/blog/alpha");
  d.w.request("GET", kDemo, "/blog/nope");

  // Nothing reaches D1 before the views flush (no D1 write per view).
  CHECK(d.w.count("post_day_stats") == 0);
  Json before = bodyOf(d.stats("?days=7"));
  CHECK(before["totals"]["views"] == 0);

  d.flush();
  CHECK(d.w.count("post_day_stats") == 2);  // one row per post and day
  Json body = bodyOf(d.stats("?days=7"));
  Json first = d.dayOf(body, day1);
  CHECK(first["views"] == 5);
  CHECK(first["cache_hit"] == 2);
  CHECK(first["cache_not_modified"] == 1);
  CHECK(first["cache_miss"] == 2);
  CHECK(first["cache_uncached"] == 0);
  // The D1 queries the Worker made to serve those views: the misses' (hits and the 304 made none).
  const long long d1 = jsonInt(first, "d1_queries");
  CHECK(d1 > 0);
  CHECK(d1 <= 2 * missD1);
  Json rows = d.w.sql("SELECT sum(d1_queries) AS q FROM post_day_stats");
  CHECK(rows[0]["q"] == d1);
  CHECK(body["totals"]["views"] == 5);
  CHECK(body["totals"]["hit_ratio"].get<double>() == doctest::Approx(3.0 / 5.0));
  REQUIRE(body["top_posts"].size() == 2);
  CHECK(body["top_posts"][0] == Json{{"slug", "alpha"}, {"title", "Title of alpha"}, {"views", 4}});
  CHECK(body["top_posts"][1] == Json{{"slug", "beta"}, {"title", "Title of beta"}, {"views", 1}});

  // Day 2: gamma 3 times (a miss, then hits), alpha once.
  d.w.now = day1 + kDayMs;
  for (const char* ip : {"198.51.100.1", "198.51.100.2", "198.51.100.3"}) d.view("gamma", ip);
  CHECK(d.view("alpha", "198.51.100.9").status == 200);
  d.flush();
  // A second flush with nothing new, and an alarm run twice, change nothing.
  d.flush();
  d.w.runAlarms();
  body = bodyOf(d.stats("?days=7"));
  CHECK(d.dayOf(body, day1)["views"] == 5);
  Json second = d.dayOf(body, day1 + kDayMs);
  CHECK(second["views"] == 4);
  CHECK(second["cache_hit"] >= 2);  // gamma after its first view
  CHECK(body["totals"]["views"] == 9);
  CHECK(body["top_posts"][0]["slug"] == "alpha");
  CHECK(body["top_posts"][0]["views"] == 5);
  CHECK(body["top_posts"][1]["slug"] == "gamma");
  CHECK(body["top_posts"][2]["slug"] == "beta");
  long long sum = 0;
  for (const auto& day : body["daily"]) sum += jsonInt(day, "views");
  CHECK(sum == 9);
  // The window: days=1 is today alone.
  Json today = bodyOf(d.stats("?days=1"));
  CHECK(today["totals"]["views"] == 4);
  CHECK(today["top_posts"][0]["slug"] == "gamma");

  // A deleted post leaves the top list.
  d.remove("gamma");
  body = bodyOf(d.stats("?days=7"));
  for (const auto& p : body["top_posts"]) CHECK(p["slug"] != "gamma");
}

TEST_CASE("stats api: reactions, reader events and bytes per tier; another blog's figures never show") {
  Dash d;
  d.add("alpha", "published", "2026-01-01T00:00:00Z", Json::array(), std::string(1000, 'a'));
  d.add("beta", "published", "2026-01-01T00:00:00Z", Json::array(), std::string(3000, 'b'));
  d.add("cold-one");
  d.add("pop");
  const std::string ada = d.signUp("Ada"), bob = d.signUp("Bob");
  d.react(ada, "alpha", "like");
  d.react(bob, "alpha", "like");
  d.react(bob, "alpha", "insightful");
  d.react(ada, "beta", "love");
  d.react(ada, "beta", "laugh");
  d.react(ada, "beta", "laugh");  // toggled off again

  // Reader events through the public API, then flushed by the TenantDO.
  Json events = Json::array();
  for (int i = 0; i < 5; ++i) events.push_back({{"kind", "view"}, {"slug", "alpha"}, {"id", "evt-view-" + std::to_string(i)}});
  events.push_back({{"kind", "read_end"}, {"slug", "beta"}, {"id", "evt-read-0001"}});
  REQUIRE(d.w.request("POST", kDemo, "/api/events", {{"content-type", "application/json"}}, Json{{"events", events}}.dump()).status == 202);

  // Where the content lives, as the migrator would have left it.
  d.w.sql("UPDATE posts SET storage_location = 'r2_archived', tier = 'cold' WHERE slug = 'cold-one'");
  d.w.sql("UPDATE posts SET storage_location = 'r2', tier = 'popular' WHERE slug = 'pop'");

  // The other blog has its own post, views and reactions.
  HttpResponse created = d.w.api("POST", "autumn.localhost:8787", "/api/posts", d.otherToken,
                                 Json{{"slug", "leaves"}, {"title", "Leaves"}, {"markdown", "x"}, {"status", "published"}});
  REQUIRE(created.status == 201);
  d.w.request("GET", "autumn.localhost:8787", "/blog/leaves");
  REQUIRE(d.w.request("POST", "autumn.localhost:8787", "/api/posts/leaves/reactions",
                      {{"authorization", "Bearer " + ada}, {"content-type", "application/json"}},
                      Json{{"type", "love"}}.dump()).status == 200);
  d.flush();

  Json body = bodyOf(d.stats());
  CHECK(body["reactions"] == Json{{"like", 2}, {"love", 1}, {"insightful", 1}, {"laugh", 0}});
  CHECK(body["totals"]["events"] == 6);
  CHECK(d.dayOf(body, d.w.now - kHourMs)["events"] == 6);
  CHECK(body["totals"]["views"] == 0);  // autumn's view is autumn's
  CHECK(body["top_posts"] == Json::array());

  auto bytesOf = [&](const std::string& slug) {
    return jsonInt(d.w.sql("SELECT content_bytes FROM posts WHERE slug = ?1", Json::array({slug}))[0], "content_bytes");
  };
  REQUIRE(body["tiers"].size() == 4);
  CHECK(body["tiers"][0] == Json{{"tier", "hot"}, {"posts", 2}, {"bytes", bytesOf("alpha") + bytesOf("beta")}});
  CHECK(bytesOf("beta") > 3000);
  CHECK(body["tiers"][1] == Json{{"tier", "warm"}, {"posts", 0}, {"bytes", 0}});
  CHECK(body["tiers"][2] == Json{{"tier", "cold"}, {"posts", 1}, {"bytes", bytesOf("cold-one")}});
  CHECK(body["tiers"][3] == Json{{"tier", "popular"}, {"posts", 1}, {"bytes", bytesOf("pop")}});

  Json autumn = bodyOf(d.w.request("GET", "autumn.localhost:8787", "/api/stats", {{"authorization", "Bearer " + d.otherToken}}));
  CHECK(autumn["totals"]["views"] == 1);
  CHECK(autumn["reactions"]["love"] == 1);
  CHECK(autumn["reactions"]["like"] == 0);
  CHECK(autumn["totals"]["events"] == 0);
}

TEST_CASE("stats api: a D1 failure is a 503 storage.unavailable") {
  Dash d;
  d.w.fault = [](const Json& e) -> std::optional<Json> {
    if (jsonString(e, "kind") == "d1.batch") return Json{{"ok", false}, {"error", "D1 is down"}};
    return std::nullopt;
  };
  HttpResponse r = d.stats();
  CHECK(r.status == 503);
  CHECK(codeOf(r) == "storage.unavailable");
}

TEST_CASE("views: a failed flush keeps the day's figures for the next one, written once") {
  Dash d;
  d.add("alpha");
  d.view("alpha");
  d.view("alpha", "192.0.2.9");
  int failing = 1;
  d.w.fault = [&](const Json& e) -> std::optional<Json> {
    if (jsonString(e, "kind") == "d1.batch" && failing > 0 && e.dump().find("post_day_stats") != std::string::npos) {
      --failing;
      return Json{{"ok", false}, {"error", "D1 is down"}};
    }
    return std::nullopt;
  };
  d.flush();
  CHECK(d.w.count("post_day_stats") == 0);
  CHECK(d.w.sql("SELECT view_count FROM posts WHERE slug = 'alpha'")[0]["view_count"] == 0);  // both or neither
  d.flush();
  CHECK(d.w.sql("SELECT views, cache_miss, cache_hit FROM post_day_stats")[0] == Json{{"views", 2}, {"cache_miss", 1}, {"cache_hit", 1}});
  CHECK(d.w.sql("SELECT view_count FROM posts WHERE slug = 'alpha'")[0]["view_count"] == 2);
}

TEST_CASE("admin: /admin/stats is the dashboard's shell with the app CSP; its file has no second URL") {
  Dash d;
  HttpResponse page = d.get("/admin/stats");
  REQUIRE(page.status == 200);
  CHECK(page.header("content-type").rfind("text/html", 0) == 0);
  CHECK(has(page.body, "<script type=\"module\" src=\"/admin/stats.js\"></script>"));
  CHECK(page.header("content-security-policy").find("script-src 'self'") != std::string::npos);
  CHECK(page.header("cache-control") == "no-cache");
  CHECK(d.w.request("GET", kDemo, "/admin/stats", {{"if-none-match", page.header("etag")}}).status == 304);
  CHECK(d.get("/admin/stats.js").status == 404);  // a static asset: answered before the Worker runs
  CHECK(d.get("/admin/stats.html").status == 404);
  CHECK(d.get("/admin/index.html").status == 404);
  CHECK(d.get("/admin/stats/more").status == 404);
  CHECK(d.w.request("POST", kDemo, "/admin/stats").status == 405);
  // The editor is unchanged.
  CHECK(has(d.get("/admin").body, "/admin/app.js"));
}
