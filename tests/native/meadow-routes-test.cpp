// Meadow through the Worker (src/app/meadow-routes.cpp) and the reader's FeedDO, on real SQLite:
// following prefetches a blog's posts, the feed answers on every host, publishing fans out to
// active followers, deletes and unpublishing remove, an inactive reader's feed is rebuilt from
// D1, and a warm read costs no D1 query.
#include <doctest/doctest.h>

#include <set>

#include "cache-fixture.h"

using namespace cachetest;
using lattice::jsonInt;
using lattice::jsonString;
using lattice::testing::bodyOf;

namespace {

const std::string kMain = "localhost:8787";
constexpr long long kDay = 24LL * 60 * 60 * 1000;

struct Meadow : Blog {
  std::string reader;  // a reader token
  Meadow() {
    for (int i = 1; i <= 5; ++i) add("a" + std::to_string(i), "published", "2026-0" + std::to_string(i) + "-01T00:00:00Z");
    add("hidden", "draft", "");
    reader = signUp("Rea");
  }
  std::string signUp(const std::string& name) {
    HttpResponse r = w.request("POST", kMain, "/api/readers", {{"content-type", "application/json"}},
                               Json{{"name", name}}.dump());
    INFO(r.body);
    REQUIRE(r.status == 201);
    return jsonString(bodyOf(r), "token");
  }
  HttpResponse meadow(const std::string& method, const std::string& path, const std::string& host = kMain,
                      const std::string& as = "") {
    std::map<std::string, std::string> h;
    const std::string token = as.empty() ? reader : as;
    if (token != "-") h["authorization"] = "Bearer " + token;
    return w.request(method, host, "/api/meadow" + path, h);
  }
  Json feed(const std::string& query = "", const std::string& host = kMain) {
    HttpResponse r = meadow("GET", "/feed" + query, host);
    INFO(r.body);
    REQUIRE(r.status == 200);
    return bodyOf(r);
  }
  std::vector<std::string> slugs(const Json& page) {
    std::vector<std::string> out;
    for (const Json& item : page["items"]) out.push_back(jsonString(item, "slug"));
    return out;
  }
  long long d1Effects() { return w.counters["d1.query"] + w.counters["d1.batch"]; }
};

std::string codeOf(const HttpResponse& r) { return jsonString(errorOf(r), "code"); }

}  // namespace

TEST_CASE("meadow: following prefetches the blog's public posts; the feed answers on every host") {
  Meadow m;
  HttpResponse followed = m.meadow("PUT", "/following/demo");
  INFO(followed.body);
  REQUIRE(followed.status == 200);
  CHECK(followed.header("cache-control") == "private, no-store");
  CHECK(bodyOf(followed)["following"] == true);
  CHECK(bodyOf(followed)["added"] == 5);
  CHECK(m.w.count("follows") == 1);
  // Following counts as reading: publishing fans out to this reader.
  CHECK(jsonInt(m.w.sql("SELECT feed_read_at FROM readers")[0], "feed_read_at") == m.w.now);

  for (const std::string host : {kMain, kDemo}) {
    Json page = m.feed("?sort=recent&limit=3", host);
    CHECK(m.slugs(page) == std::vector<std::string>{"a5", "a4", "a3"});
    CHECK(page["next_cursor"].is_string());
    const Json& first = page["items"][0];
    CHECK(first["title"] == "Title of a5");
    CHECK(first["author"] == "Demo Blog");
    CHECK(first["subdomain"] == "demo");
    CHECK(first["url"] == "http://demo.localhost:8787/blog/a5");
    Json rest = m.feed("?sort=recent&limit=3&cursor=" + jsonString(page, "next_cursor"), host);
    CHECK(m.slugs(rest) == std::vector<std::string>{"a2", "a1"});
    CHECK(rest["next_cursor"].is_null());
  }
  HttpResponse list = m.meadow("GET", "/following");
  REQUIRE(list.status == 200);
  REQUIRE(bodyOf(list)["following"].size() == 1);
  CHECK(bodyOf(list)["following"][0]["subdomain"] == "demo");

  // A repeat is harmless.
  CHECK(m.meadow("PUT", "/following/demo").status == 200);
  CHECK(m.w.count("follows") == 1);
  // Links keep the port the request came in on, whatever name it used for the host.
  REQUIRE(m.meadow("PUT", "/following/demo", "127.0.0.1:8787").status == 200);
  CHECK(m.feed("?limit=1")["items"][0]["url"] == "http://demo.localhost:8787/blog/a5");
}

TEST_CASE("meadow: a warm feed read performs no D1 query") {
  Meadow m;
  REQUIRE(m.meadow("PUT", "/following/demo").status == 200);
  m.feed();  // warm: built by the follow
  const long long before = m.d1Effects();
  for (const char* q : {"", "?sort=relevance", "?sort=recent&limit=2"}) m.feed(q);
  CHECK(m.d1Effects() == before);
}

TEST_CASE("meadow: publishing reaches an active follower's feed; delete and unpublish remove") {
  Meadow m;
  REQUIRE(m.meadow("PUT", "/following/demo").status == 200);
  m.feed();
  m.add("fresh", "published", "2026-11-01T00:00:00Z");
  CHECK(m.slugs(m.feed("?limit=1")) == std::vector<std::string>{"fresh"});
  // An edit of a public post updates it in place.
  m.put("fresh", Json{{"title", "Fresh, retitled"}});
  CHECK(m.feed("?limit=1")["items"][0]["title"] == "Fresh, retitled");
  // Unpublished: gone; published again: back.
  m.put("fresh", Json{{"status", "draft"}});
  CHECK(m.slugs(m.feed("?limit=1")) == std::vector<std::string>{"a5"});
  m.put("fresh", Json{{"status", "published"}});
  CHECK(m.slugs(m.feed("?limit=1")) == std::vector<std::string>{"fresh"});
  m.remove("fresh");
  CHECK(m.slugs(m.feed("?limit=1")) == std::vector<std::string>{"a5"});
  // A draft never fans out.
  const long long before = m.w.counters["do.call"];
  m.add("draft-only", "draft", "");
  CHECK(m.w.counters["do.call"] - before <= 2);  // the TenantDO report and the version record only
}

TEST_CASE("meadow: unfollowing removes the blog's posts from the feed and D1") {
  Meadow m;
  REQUIRE(m.meadow("PUT", "/following/demo").status == 200);
  HttpResponse gone = m.meadow("DELETE", "/following/demo");
  INFO(gone.body);
  REQUIRE(gone.status == 200);
  CHECK(bodyOf(gone)["following"] == false);
  CHECK(bodyOf(gone)["removed"] == 5);
  CHECK(m.w.count("follows") == 0);
  CHECK(m.feed()["items"].empty());
  // Publishing no longer reaches it.
  m.add("later");
  CHECK(m.feed()["items"].empty());
}

TEST_CASE("meadow: a reader away longer than FEED_ACTIVE_DAYS is skipped by fan-out and rebuilt on return") {
  Meadow m;
  REQUIRE(m.meadow("PUT", "/following/demo").status == 200);
  m.feed();
  m.w.runAlarms();  // the object records the read in D1
  m.w.now += 20 * kDay;
  const long long calls = m.w.counters["do.call"];
  m.add("while-away", "published", "2026-11-10T00:00:00Z");
  CHECK(m.w.counters["do.call"] - calls <= 2);  // no fan-out call: the reader is inactive
  const long long rebuilds = m.w.counters["metric.meadow.rebuilt"];
  CHECK(m.slugs(m.feed("?limit=1")) == std::vector<std::string>{"while-away"});
  CHECK(m.w.counters["metric.meadow.rebuilt"] == rebuilds + 1);
  // Back to active: the next publish fans out again.
  m.w.runAlarms();
  CHECK(jsonInt(m.w.sql("SELECT feed_read_at FROM readers")[0], "feed_read_at") == m.w.now);
  m.add("welcome-back", "published", "2026-11-11T00:00:00Z");
  CHECK(m.slugs(m.feed("?limit=1")) == std::vector<std::string>{"welcome-back"});
  CHECK(m.w.counters["metric.meadow.rebuilt"] == rebuilds + 1);
}

TEST_CASE("meadow: a follow whose object call failed is in D1, and the feed is rebuilt from it") {
  Meadow m;
  m.w.fault = [](const Json& e) -> std::optional<Json> {
    if (jsonString(e, "kind") == "do.call" && jsonString(e, "binding") == "FEED_DO")
      return Json{{"ok", false}, {"error", "object unreachable (injected)"}};
    return std::nullopt;
  };
  HttpResponse failed = m.meadow("PUT", "/following/demo");
  m.w.fault = nullptr;
  CHECK(failed.status == 503);
  CHECK(m.w.count("follows") == 1);
  CHECK(m.slugs(m.feed("?limit=2")) == std::vector<std::string>{"a5", "a4"});
}

TEST_CASE("meadow: errors have stable codes and change nothing") {
  Meadow m;
  CHECK(codeOf(m.meadow("GET", "/feed", kMain, "-")) == "reader.missing_token");
  CHECK(m.meadow("GET", "/feed", kMain, "-").status == 401);
  CHECK(codeOf(m.meadow("GET", "/feed", kMain, m.token)) == "reader.missing_token");  // an owner token is no reader
  CHECK(codeOf(m.meadow("GET", "/feed", kMain, "rdr_" + std::string(64, '0'))) == "reader.invalid_token");
  CHECK(codeOf(m.meadow("PUT", "/following/nobody")) == "tenant.not_found");
  CHECK(codeOf(m.meadow("PUT", "/following/Not_A_Host")) == "tenant.not_found");
  CHECK(m.meadow("POST", "/following/demo").status == 405);
  CHECK(m.meadow("POST", "/feed").status == 405);
  CHECK(codeOf(m.meadow("GET", "/nothing")) == "route.not_found");
  CHECK(m.w.count("follows") == 0);
  REQUIRE(m.meadow("PUT", "/following/demo").status == 200);
  for (const char* q : {"?limit=0", "?limit=51", "?limit=x", "?limit=2.5"})
    CHECK(codeOf(m.meadow("GET", std::string("/feed") + q)) == "feed.invalid_limit");
  CHECK(codeOf(m.meadow("GET", "/feed?sort=popular")) == "feed.invalid_sort");
  for (const char* c : {"?cursor=garbage", "?cursor=AAAA", "?cursor=%00"})
    CHECK(codeOf(m.meadow("GET", std::string("/feed") + c)) == "feed.invalid_cursor");
  const std::string recent = jsonString(m.feed("?limit=1"), "next_cursor");
  CHECK(codeOf(m.meadow("GET", "/feed?sort=relevance&cursor=" + recent)) == "feed.invalid_cursor");
  CHECK(codeOf(m.meadow("GET", "/live")) == "live.upgrade_required");
}

TEST_CASE("meadow: a browser's live channel carries the token as a subprotocol and is answered with lattice.meadow alone") {
  Meadow m;
  REQUIRE(m.meadow("PUT", "/following/demo").status == 200);
  const std::string origin = "http://" + kMain;
  const std::string id = m.w.connect(kMain, "/api/meadow/live", origin, nullptr,
                                     {{"sec-websocket-protocol", "lattice.meadow, " + m.reader}});
  REQUIRE_FALSE(id.empty());
  CHECK(m.w.lastConnect.header("sec-websocket-protocol") == "lattice.meadow");
  m.add("pushed", "published", "2026-11-01T00:00:00Z");
  bool pushed = false;
  for (const Json& msg : m.w.messagesOf(id))
    pushed = pushed || (msg["type"] == "item" && msg["item"]["slug"] == "pushed");
  CHECK(pushed);

  // The subprotocol alone is no reader; a token the server does not know is refused; an
  // Authorization header still works and names no subprotocol.
  HttpResponse refused;
  CHECK(m.w.connect(kMain, "/api/meadow/live", origin, &refused, {{"sec-websocket-protocol", "lattice.meadow"}}).empty());
  CHECK(refused.status == 401);
  CHECK(codeOf(refused) == "reader.missing_token");
  CHECK(m.w.connect(kMain, "/api/meadow/live", origin, &refused,
                    {{"sec-websocket-protocol", "lattice.meadow, rdr_" + std::string(64, '0')}})
            .empty());
  CHECK(codeOf(refused) == "reader.invalid_token");
  CHECK(m.w.connect(kMain, "/api/meadow/live", "https://evil.example", &refused,
                    {{"sec-websocket-protocol", "lattice.meadow, " + m.reader}})
            .empty());
  CHECK(codeOf(refused) == "live.origin_forbidden");
  REQUIRE_FALSE(m.w.connect(kMain, "/api/meadow/live", origin, nullptr, {{"authorization", "Bearer " + m.reader}}).empty());
  CHECK(m.w.lastConnect.header("sec-websocket-protocol").empty());
}

TEST_CASE("meadow: the blog directory lists blogs with public posts, kept at the edge") {
  Meadow m;
  HttpResponse r = m.w.request("GET", kMain, "/api/meadow/blogs");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.header("cache-control") == "public, max-age=300");
  CHECK(r.header("x-lattice-cache") == "miss");
  const Json blogs = bodyOf(r)["blogs"];
  REQUIRE(blogs.size() == 1);
  CHECK(blogs[0]["subdomain"] == "demo");
  CHECK(blogs[0]["display_name"] == "Demo Blog");
  CHECK(blogs[0]["posts"] == 5);  // the draft is not counted
  CHECK(blogs[0]["url"] == "http://demo.localhost:8787/blog");
  CHECK(jsonInt(blogs[0], "last_published_at") > 0);
  const long long before = m.d1Effects();
  HttpResponse again = m.w.request("GET", kMain, "/api/meadow/blogs");
  CHECK(again.header("x-lattice-cache") == "hit");
  CHECK(bodyOf(again)["blogs"] == blogs);
  CHECK(m.d1Effects() == before);
  CHECK(m.w.request("POST", kMain, "/api/meadow/blogs").status == 405);
}

TEST_CASE("meadow: the page is served on the main host only") {
  Meadow m;
  HttpResponse page = m.w.request("GET", kMain, "/meadow");
  REQUIRE(page.status == 200);
  CHECK(page.header("content-type") == "text/html; charset=utf-8");
  CHECK(page.header("content-security-policy").find("script-src 'self'") != std::string::npos);
  CHECK(page.body.find("/meadow/meadow.js") != std::string::npos);
  CHECK(m.w.request("GET", kMain, "/meadow/meadow.js").status == 404);  // a static asset, not the core's
  CHECK(m.w.request("GET", kMain, "/meadow/index.html").status == 404);
  CHECK(m.w.request("GET", kMain, "/meadow/nothing.js").status == 404);
  CHECK(m.w.request("POST", kMain, "/meadow").status == 405);
  // On a blog's host, /meadow is one of the blog's paths: no such post.
  CHECK(m.w.request("GET", kDemo, "/meadow").status == 404);
}

TEST_CASE("meadow: a post scheduled for later is pushed to open pages when its time comes, once") {
  Meadow m;
  REQUIRE(m.meadow("PUT", "/following/demo").status == 200);
  const std::string id = m.w.connect(kMain, "/api/meadow/live", "http://" + kMain, nullptr,
                                     {{"authorization", "Bearer " + m.reader}});
  REQUIRE_FALSE(id.empty());
  auto pushes = [&](const std::string& slug) {
    int n = 0;
    for (const Json& msg : m.w.messagesOf(id)) n += msg["type"] == "item" && msg["item"]["slug"] == slug;
    return n;
  };
  const long long hour = 60LL * 60 * 1000;
  m.add("later", "published", lattice::formatIso8601(m.w.now + 2 * hour));
  CHECK(pushes("later") == 0);
  CHECK(m.slugs(m.feed("?limit=1")) == std::vector<std::string>{"a5"});
  const std::string object = "feed:" + jsonString(m.w.sql("SELECT id FROM readers")[0], "id");
  REQUIRE(m.w.alarms.count(object) == 1);
  CHECK(m.w.alarms[object] <= m.w.now + 2 * hour);

  m.w.now += hour;  // not yet
  m.w.runAlarms();
  CHECK(pushes("later") == 0);
  m.w.now += 2 * hour;
  m.w.runAlarms();
  CHECK(pushes("later") == 1);
  CHECK(m.slugs(m.feed("?limit=1")) == std::vector<std::string>{"later"});
  // Published meanwhile: pushed at once, and neither it nor "later" again afterwards.
  m.add("now", "published", lattice::formatIso8601(m.w.now));
  CHECK(pushes("now") == 1);
  m.w.now += 25 * hour;
  m.feed();
  m.w.runAlarms();
  CHECK(pushes("later") == 1);
  CHECK(pushes("now") == 1);
}
