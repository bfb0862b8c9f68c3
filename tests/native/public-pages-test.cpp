// Public pages of a tenant's blog end to end: what is listed and when, pagination, the post
// page's head, escaping, tag pages, redirects, 404s, HEAD, 405, dev metrics and storage failure.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "test-driver.h"

using lattice::HttpResponse;
using lattice::Json;
using lattice::testing::TestWorld;
using lattice::testing::errorOf;
using lattice::testing::has;

namespace {

const std::string kDemo = "demo.localhost:8787";


// Position of the link to a post in a listing, npos when absent.
size_t linkAt(const std::string& html, const std::string& slug) { return html.find("href=\"/blog/" + slug + "\""); }


struct Blog {
  TestWorld w;
  std::string tenant, token;

  explicit Blog(Json vars = {{"BASE_DOMAIN", "localhost"}, {"LATTICE_DEV", "1"}}) : w(std::move(vars)) {
    tenant = w.addTenant("demo", "Demo Blog");
    token = w.mintToken(tenant);
  }

  // Creates a post through the API; `when` is an ISO time or empty for none.
  void add(const std::string& slug, const std::string& status, const std::string& when,
           Json tags = Json::array(), const std::string& title = "") {
    Json body = {{"slug", slug},
                 {"title", title.empty() ? "Title of " + slug : title},
                 {"markdown", "Body of " + slug},
                 {"status", status},
                 {"tags", tags}};
    if (!when.empty()) body["published_at"] = when;
    auto r = w.api("POST", kDemo, "/api/posts", token, body);
    INFO(r.body);
    REQUIRE(r.status == 201);
  }
  HttpResponse get(const std::string& path, const std::string& host = kDemo) { return w.request("GET", host, path); }
};

void checkHtml404(const HttpResponse& r) {
  CHECK(r.status == 404);
  CHECK(r.header("content-type") == "text/html; charset=utf-8");
  CHECK(has(r.body, "<!doctype html>"));
}

}  // namespace

TEST_CASE("public-pages: /blog lists only published posts already public, newest first") {
  Blog b;
  b.add("older", "published", "2026-01-05T10:00:00Z");
  b.add("newer", "published", "2026-06-01T08:30:00Z");
  b.add("middle", "published", "2026-03-01T00:00:00+02:00");
  b.add("a-draft", "draft", "");
  b.add("dated-draft", "draft", "2026-02-01T00:00:00Z");
  b.add("archived", "archived", "2026-02-01T00:00:00Z");
  b.add("future", "published", "2027-01-01T00:00:00Z");
  auto r = b.get("/blog");
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type") == "text/html; charset=utf-8");
  CHECK(has(r.body, "<title>Demo Blog</title>"));
  for (const char* hidden : {"a-draft", "dated-draft", "archived", "future"}) {
    INFO(hidden);
    CHECK(linkAt(r.body, hidden) == std::string::npos);
  }
  REQUIRE(linkAt(r.body, "newer") != std::string::npos);
  REQUIRE(linkAt(r.body, "middle") != std::string::npos);
  REQUIRE(linkAt(r.body, "older") != std::string::npos);
  CHECK(linkAt(r.body, "newer") < linkAt(r.body, "middle"));
  CHECK(linkAt(r.body, "middle") < linkAt(r.body, "older"));
  CHECK(has(r.body, "<time datetime=\"2026-06-01T08:30:00Z\">1 June 2026</time>"));
  CHECK(has(r.body, "<time datetime=\"2026-02-28T22:00:00Z\">28 February 2026</time>"));
  CHECK_FALSE(has(r.body, "rel=\"next\""));
  CHECK_FALSE(has(r.body, "rel=\"prev\""));

  // Time passes: the future post appears, on top, when its moment comes (and not a ms before).
  b.w.now = 1798761600000 - 1;  // 2027-01-01T00:00:00Z - 1 ms
  CHECK(linkAt(b.get("/blog").body, "future") == std::string::npos);
  CHECK(b.get("/blog/future").status == 404);
  b.w.now += 1;
  auto later = b.get("/blog");
  REQUIRE(linkAt(later.body, "future") != std::string::npos);
  CHECK(linkAt(later.body, "future") < linkAt(later.body, "newer"));
  CHECK(b.get("/blog/future").status == 200);
}

TEST_CASE("public-pages: an empty blog is a page, not an error") {
  Blog b;
  b.add("secret", "draft", "");
  auto r = b.get("/blog");
  CHECK(r.status == 200);
  CHECK(has(r.body, "Nothing has been published here yet."));
  checkHtml404(b.get("/blog?page=2"));
}

TEST_CASE("public-pages: pagination follows POSTS_PER_PAGE") {
  Blog b(Json{{"BASE_DOMAIN", "localhost"}, {"POSTS_PER_PAGE", "2"}});
  for (int i = 1; i <= 5; ++i)
    b.add("p" + std::to_string(i), "published", "2026-0" + std::to_string(i) + "-10T12:00:00Z");
  b.add("hidden", "draft", "");

  auto one = b.get("/blog");
  REQUIRE(one.status == 200);
  CHECK(linkAt(one.body, "p5") < linkAt(one.body, "p4"));
  CHECK(linkAt(one.body, "p4") != std::string::npos);
  for (const char* s : {"p3", "p2", "p1"}) CHECK(linkAt(one.body, s) == std::string::npos);
  CHECK(has(one.body, "<a rel=\"next\" href=\"/blog?page=2\">"));
  CHECK_FALSE(has(one.body, "rel=\"prev\""));
  CHECK(has(one.body, "<link rel=\"canonical\" href=\"http://demo.localhost:8787/blog\">"));
  CHECK(b.get("/blog?page=1").body == one.body);

  auto two = b.get("/blog?page=2");
  REQUIRE(two.status == 200);
  CHECK(linkAt(two.body, "p3") < linkAt(two.body, "p2"));
  CHECK(linkAt(two.body, "p2") != std::string::npos);
  for (const char* s : {"p5", "p4", "p1"}) CHECK(linkAt(two.body, s) == std::string::npos);
  CHECK(has(two.body, "<a rel=\"prev\" href=\"/blog\">"));
  CHECK(has(two.body, "<a rel=\"next\" href=\"/blog?page=3\">"));
  CHECK(has(two.body, "<title>Demo Blog (page 2)</title>"));
  CHECK(has(two.body, "<link rel=\"canonical\" href=\"http://demo.localhost:8787/blog?page=2\">"));

  auto three = b.get("/blog?page=3");
  REQUIRE(three.status == 200);
  CHECK(linkAt(three.body, "p1") != std::string::npos);
  CHECK(linkAt(three.body, "hidden") == std::string::npos);
  CHECK(has(three.body, "<a rel=\"prev\" href=\"/blog?page=2\">"));
  CHECK_FALSE(has(three.body, "rel=\"next\""));

  for (std::string q : {"?page=4", "?page=99999", "?page=abc", "?page=0", "?page=-1", "?page=", "?page=1.5",
                        "?page=9999999"}) {
    INFO(q);
    auto r = b.get("/blog" + q);
    checkHtml404(r);
    CHECK(has(r.body, "Demo Blog"));
  }

  // With exactly two full pages there is no third and no "next" on the second.
  REQUIRE(b.w.api("DELETE", kDemo, "/api/posts/p1", b.token).status == 204);
  CHECK_FALSE(has(b.get("/blog?page=2").body, "rel=\"next\""));
  checkHtml404(b.get("/blog?page=3"));
}

TEST_CASE("public-pages: drafts, archived, future and unknown posts are styled 404 pages") {
  Blog b;
  b.add("draft-post", "draft", "");
  b.add("archived-post", "archived", "2026-01-01T00:00:00Z");
  b.add("future-post", "published", "2030-01-01T00:00:00Z");
  for (std::string path : {"/blog/draft-post", "/blog/archived-post", "/blog/future-post", "/blog/no-such-post",
                           "/blog/UPPER", "/blog/a/b", "/nothing", "/tags/Not-Valid"}) {
    INFO(path);
    auto r = b.get(path);
    checkHtml404(r);
    CHECK(has(r.body, "Demo Blog"));
    CHECK_FALSE(has(r.body, "Body of"));
  }
  CHECK(has(b.get("/blog/draft-post").body, "Post not found"));
  // A malformed escape in the path is a bad request, not a page.
  CHECK(b.get("/blog/%ZZ").status == 400);
  CHECK(errorOf(b.get("/blog/%ZZ")).value("code", "") == "request.bad_path");
  // The owner still sees every one of them through the API.
  CHECK(b.w.api("GET", kDemo, "/api/posts/draft-post", b.token).status == 200);
}

TEST_CASE("public-pages: the post page's head carries title, description, Open Graph and canonical") {
  Blog b;
  Json body = {{"slug", "hello-world"},
               {"title", "Hello, world"},
               {"description", "A first post."},
               {"markdown", "# Hi\n\nSome *text*."},
               {"tags", {"intro", "meta"}},
               {"status", "published"},
               {"published_at", "2026-03-14T09:30:00Z"}};
  REQUIRE(b.w.api("POST", kDemo, "/api/posts", b.token, body).status == 201);
  auto r = b.get("/blog/hello-world");
  REQUIRE(r.status == 200);
  const std::string& h = r.body;
  CHECK(r.header("content-type") == "text/html; charset=utf-8");
  CHECK(has(h, "<title>Hello, world · Demo Blog</title>"));
  CHECK(has(h, "<meta name=\"description\" content=\"A first post.\">"));
  CHECK(has(h, "<meta property=\"og:title\" content=\"Hello, world · Demo Blog\">"));
  CHECK(has(h, "<meta property=\"og:type\" content=\"article\">"));
  CHECK(has(h, "<meta property=\"og:description\" content=\"A first post.\">"));
  CHECK(has(h, "<meta property=\"og:site_name\" content=\"Demo Blog\">"));
  CHECK(has(h, "<link rel=\"canonical\" href=\"http://demo.localhost:8787/blog/hello-world\">"));
  CHECK(has(h, "<meta property=\"og:url\" content=\"http://demo.localhost:8787/blog/hello-world\">"));
  CHECK(has(h, "<meta property=\"article:published_time\" content=\"2026-03-14T09:30:00Z\">"));
  CHECK(has(h, "<meta property=\"article:tag\" content=\"intro\">"));
  CHECK(has(h, "<a href=\"/tags/intro\">#intro</a>"));
  CHECK(has(h, "<a href=\"/tags/meta\">#meta</a>"));
  CHECK(has(h, "<time datetime=\"2026-03-14T09:30:00Z\">14 March 2026</time>"));
  CHECK(has(h, "<em>text</em>"));
  // Security headers on every page.
  CHECK(has(r.header("content-security-policy"), "default-src 'none'"));
  CHECK(r.header("x-content-type-options") == "nosniff");
  // The list page is a website, not an article.
  CHECK(has(b.get("/blog").body, "<meta property=\"og:type\" content=\"website\">"));
}

TEST_CASE("public-pages: a title with markup and quotes is escaped in <title>, og tags and the page") {
  Blog b;
  const std::string title = "<script>alert(\"x\")</script> & 'q'";
  const std::string escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;";
  Json body = {{"slug", "xss"},
               {"title", title},
               {"description", "\"><img src=x onerror=alert(1)>"},
               {"markdown", "plain"},
               {"status", "published"}};
  REQUIRE(b.w.api("POST", kDemo, "/api/posts", b.token, body).status == 201);
  for (std::string path : {"/blog/xss", "/blog"}) {
    INFO(path);
    auto r = b.get(path);
    REQUIRE(r.status == 200);
    CHECK_FALSE(has(lattice::testing::withoutLiveScript(r.body), "<script"));
    CHECK_FALSE(has(r.body, "<img"));
    CHECK(has(r.body, escaped));
  }
  const std::string page = b.get("/blog/xss").body;
  CHECK(has(page, "<title>" + escaped + " · Demo Blog</title>"));
  CHECK(has(page, "<meta property=\"og:title\" content=\"" + escaped + " · Demo Blog\">"));
  CHECK(has(page, "<h1>" + escaped + "</h1>"));
  CHECK(has(page, "<meta name=\"description\" content=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\">"));

  // A tenant's own name is escaped too.
  auto evil = b.w.addTenant("evil", "<b>Evil</b> \"Co\"");
  (void)evil;
  auto r = b.get("/blog", "evil.localhost:8787");
  REQUIRE(r.status == 200);
  CHECK_FALSE(has(r.body, "<b>Evil"));
  CHECK(has(r.body, "<title>&lt;b&gt;Evil&lt;/b&gt; &quot;Co&quot;</title>"));
  CHECK(has(r.body, "<meta property=\"og:site_name\" content=\"&lt;b&gt;Evil&lt;/b&gt; &quot;Co&quot;\">"));
}

TEST_CASE("public-pages: /tags/{tag} lists only that tag's public posts and follows tag changes") {
  Blog b;
  b.add("rusty", "published", "2026-01-01T00:00:00Z", {"rust", "systems"});
  b.add("go-post", "published", "2026-02-01T00:00:00Z", {"go"});
  b.add("rust-draft", "draft", "", {"rust"});
  b.add("both", "published", "2026-03-01T00:00:00Z", {"rust", "go"});

  auto rust = b.get("/tags/rust");
  REQUIRE(rust.status == 200);
  CHECK(linkAt(rust.body, "both") < linkAt(rust.body, "rusty"));
  CHECK(linkAt(rust.body, "rusty") != std::string::npos);
  CHECK(linkAt(rust.body, "go-post") == std::string::npos);
  CHECK(linkAt(rust.body, "rust-draft") == std::string::npos);
  CHECK(has(rust.body, "<h1>Posts tagged <em>#rust</em></h1>"));
  CHECK(has(rust.body, "<title>#rust · Demo Blog</title>"));
  CHECK(has(rust.body, "<link rel=\"canonical\" href=\"http://demo.localhost:8787/tags/rust\">"));

  // Retag "rusty" from [rust, systems] to [go]: post_tags follows (triggers), and so do the pages.
  auto put = b.w.api("PUT", kDemo, "/api/posts/rusty", b.token, Json{{"tags", {"go"}}});
  REQUIRE(put.status == 200);
  CHECK(b.w.sql("SELECT tag FROM post_tags WHERE post_id = (SELECT id FROM posts WHERE slug = 'rusty')") ==
        Json::array({Json{{"tag", "go"}}}));
  CHECK(linkAt(b.get("/tags/rust").body, "rusty") == std::string::npos);
  CHECK(linkAt(b.get("/tags/rust").body, "both") != std::string::npos);
  auto go = b.get("/tags/go");
  CHECK(linkAt(go.body, "rusty") != std::string::npos);
  CHECK(linkAt(go.body, "go-post") != std::string::npos);
  // No public post carries "systems" any more: the tag page is a 404.
  checkHtml404(b.get("/tags/systems"));

  // Publishing the draft adds it to its tag page; deleting removes it.
  REQUIRE(b.w.api("PUT", kDemo, "/api/posts/rust-draft", b.token, Json{{"status", "published"}}).status == 200);
  CHECK(linkAt(b.get("/tags/rust").body, "rust-draft") != std::string::npos);
  REQUIRE(b.w.api("DELETE", kDemo, "/api/posts/both", b.token).status == 204);
  CHECK(linkAt(b.get("/tags/rust").body, "both") == std::string::npos);
  CHECK(b.w.sql("SELECT count(*) AS n FROM post_tags WHERE tag = 'rust'")[0]["n"] == 1);

  const std::vector<std::string> missing = {"/tags/nope", "/tags/Rust", "/tags/a%20b", "/tags/" + std::string(41, 't')};
  for (const std::string& path : missing) {
    INFO(path);
    checkHtml404(b.get(path));
  }
}

TEST_CASE("public-pages: / redirects to /blog and a trailing slash is removed with a 301") {
  Blog b;
  auto root = b.get("/");
  CHECK(root.status == 302);
  CHECK(root.header("location") == "/blog");
  CHECK(root.body.empty());
  struct Case {
    std::string path, location;
  };
  for (const Case& c : {Case{"/blog/", "/blog"}, Case{"/blog//", "/blog"}, Case{"/blog/?page=2", "/blog?page=2"},
                        Case{"/blog/some-post/", "/blog/some-post"}, Case{"/tags/go/", "/tags/go"}}) {
    INFO(c.path);
    auto r = b.get(c.path);
    CHECK(r.status == 301);
    CHECK(r.header("location") == c.location);
  }
}

TEST_CASE("public-pages: the trailing-slash redirect never points off the site") {
  Blog b;
  // "//evil.com" in a Location header is protocol-relative: another site.
  for (std::string path : {"//evil.com/", "///evil.com//", "//evil.com/x/", "/\\evil.com/", "/\\/evil.com/"}) {
    INFO(path);
    auto r = b.get(path);
    CHECK(r.status == 301);
    const std::string location = r.header("location");
    CHECK(location.size() >= 1);
    CHECK(location[0] == '/');
    CHECK((location.size() < 2 || (location[1] != '/' && location[1] != '\\')));
  }
  CHECK(b.get("//evil.com/").header("location") == "/evil.com");
  CHECK(b.get("//").header("location") == "/");
}

TEST_CASE("public-pages: unknown tenants and hosts are 404 pages; the main host has a landing page") {
  Blog b;
  auto ghost = b.get("/blog", "ghost.localhost:8787");
  checkHtml404(ghost);
  CHECK(has(ghost.body, "Blog not found"));
  CHECK(has(ghost.body, "ghost"));
  checkHtml404(b.get("/", "ghost.localhost:8787"));

  for (std::string host : {"evil.com", "evil.com:8787", "a.demo.localhost:8787", "demo.localhost.evil.com",
                           "-x.localhost", "demo.localhost:8787.evil.com"}) {
    INFO(host);
    auto r = b.get("/blog", host);
    checkHtml404(r);
    CHECK(has(r.body, "There is no blog at this address."));
    CHECK_FALSE(has(r.body, "Demo Blog"));
  }

  auto landing = b.get("/", "localhost:8787");
  CHECK(landing.status == 200);
  CHECK(landing.header("content-type") == "text/html; charset=utf-8");
  CHECK(has(landing.body, "<title>Lattice</title>"));
  CHECK(has(landing.body, "<a href=\"/meadow\">Meadow</a>"));
  CHECK(has(landing.body, "<code>{name}.localhost</code>"));
  checkHtml404(b.get("/blog", "localhost:8787"));
  checkHtml404(b.get("/", "evil.com"));
}

TEST_CASE("public-pages: HEAD answers like GET without a body") {
  Blog b;
  b.add("post", "published", "2026-01-01T00:00:00Z");
  struct Case {
    std::string host, path;
    int status;
  };
  for (const Case& c : {Case{kDemo, "/blog", 200}, Case{kDemo, "/blog/post", 200}, Case{kDemo, "/blog/nope", 404},
                        Case{kDemo, "/", 302}, Case{kDemo, "/blog/", 301}, Case{"localhost:8787", "/", 200},
                        Case{"evil.com", "/", 404}, Case{"ghost.localhost:8787", "/blog", 404}}) {
    INFO(c.host << c.path);
    auto get = b.w.request("GET", c.host, c.path);
    auto head = b.w.request("HEAD", c.host, c.path);
    CHECK(get.status == c.status);
    CHECK(head.status == c.status);
    CHECK(head.body.empty());
    // The same headers, but for whether the cache answered (the GET filled it for the HEAD).
    get.remove("x-lattice-cache");
    head.remove("x-lattice-cache");
    CHECK(head.headers == get.headers);
  }
}

TEST_CASE("public-pages: other methods are 405 with Allow: GET, HEAD") {
  Blog b;
  b.add("post", "published", "2026-01-01T00:00:00Z");
  const long long before = b.w.count("posts");
  for (std::string method : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    for (std::string path : {"/blog", "/blog/post", "/", "/tags/x"}) {
      INFO(method << " " << path);
      auto r = b.w.request(method, kDemo, path, {{"content-type", "application/json"}}, "{}");
      CHECK(r.status == 405);
      CHECK(r.header("allow") == "GET, HEAD");
      CHECK(errorOf(r).value("code", "") == "request.method_not_allowed");
    }
  }
  CHECK(b.w.count("posts") == before);
}

TEST_CASE("public-pages: /__lattice/metrics reports effect counters only in dev") {
  SUBCASE("LATTICE_DEV=1") {
    Blog b;
    REQUIRE(b.get("/blog").status == 200);
    auto r = b.get("/__lattice/metrics");
    REQUIRE(r.status == 200);
    CHECK(r.header("content-type") == "application/json; charset=utf-8");
    CHECK(r.header("cache-control") == "private, no-store");
    auto j = lattice::parseJson(r.body);
    REQUIRE(j);
    REQUIRE((*j)["counters"].is_object());
    CHECK((*j)["counters"].value("d1.query", 0) > 0);
    CHECK((*j)["counters"].value("d1.query", 0) == b.w.counters["d1.query"]);
  }
  SUBCASE("LATTICE_DEV absent") {
    Blog b(Json{{"BASE_DOMAIN", "localhost"}});
    REQUIRE(b.get("/blog").status == 200);
    for (std::string host : {kDemo, std::string("localhost:8787")}) {
      auto r = b.get("/__lattice/metrics", host);
      CHECK(r.status == 404);
      CHECK(errorOf(r).value("code", "") == "route.not_found");
      CHECK(b.w.counters.count("metrics.read") == 0);
    }
  }
  SUBCASE("LATTICE_DEV=0") {
    Blog b(Json{{"BASE_DOMAIN", "localhost"}, {"LATTICE_DEV", "0"}});
    CHECK(b.get("/__lattice/metrics").status == 404);
  }
}

TEST_CASE("public-pages: a D1 failure is a 503 storage.unavailable with an error log line") {
  // Caches off, so every page reads D1 in a fixed order (cache-flow-test.cpp covers failures
  // behind the caches).
  Blog b(Json{{"BASE_DOMAIN", "localhost"}, {"CACHE_MODE", "off"}});
  b.add("post", "published", "2026-01-01T00:00:00Z");
  // Fail the Nth D1 effect of each request (1 = tenant lookup, 2 = the page's own query).
  int failAt = 1, seen = 0;
  b.w.fault = [&](const Json& effect) -> std::optional<Json> {
    const std::string kind = lattice::jsonString(effect, "kind");
    if (kind != "d1.query" && kind != "d1.batch") return std::nullopt;
    if (++seen != failAt) return std::nullopt;
    Json failure = {{"ok", false}, {"error", "boom"}};
    return failure;
  };
  struct Case {
    std::string path;
    int failAt;
    std::string what;
  };
  for (const Case& c : {Case{"/blog", 1, "tenant lookup"}, Case{"/blog", 2, "post list"},
                        Case{"/blog/post", 2, "post"}, Case{"/tags/x", 2, "post list"}}) {
    INFO(c.path << " failing query " << c.failAt);
    failAt = c.failAt;
    seen = 0;
    const size_t logsBefore = b.w.logs.size();
    auto r = b.get(c.path);
    CHECK(r.status == 503);
    CHECK(errorOf(r).value("code", "") == "storage.unavailable");
    CHECK(r.header("cache-control") == "private, no-store");
    REQUIRE(b.w.logs.size() == logsBefore + 1);
    const Json& log = b.w.logs.back();
    CHECK(log["level"] == "error");
    CHECK(log["message"] == "storage failure");
    CHECK(log["fields"]["error"] == "boom");
    CHECK(log["fields"]["what"] == c.what);
  }
  // The owner API fails the same way, and changes nothing.
  failAt = 1;
  seen = 0;
  const long long posts = b.w.count("posts");
  auto api = b.w.api("POST", kDemo, "/api/posts", b.token, Json{{"slug", "x"}, {"title", "X"}});
  CHECK(api.status == 503);
  CHECK(errorOf(api).value("code", "") == "storage.unavailable");
  CHECK(b.w.logs.back()["fields"]["what"] == "token lookup");
  failAt = 2;
  seen = 0;
  CHECK(b.w.api("POST", kDemo, "/api/posts", b.token, Json{{"slug", "x"}, {"title", "X"}}).status == 503);
  CHECK(b.w.logs.back()["fields"]["what"] == "post insert");
  CHECK(b.w.count("posts") == posts);
  // Once storage is back, everything answers again.
  b.w.fault = nullptr;
  CHECK(b.get("/blog/post").status == 200);
  CHECK(b.w.engine.activeCount() == 0);
}
