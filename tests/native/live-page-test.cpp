// The post page's live section (issue 5): the markup live.js fills in, with no per-reader or live
// data in the HTML (it is cached and shared by every reader), the script and stylesheet it loads,
// and the Content-Security-Policy that lets exactly them run on post pages and nothing on others.
#include <doctest/doctest.h>

#include <regex>
#include <string>
#include <vector>

#include "test-driver.h"

using lattice::HttpResponse;
using lattice::Json;
using lattice::testing::has;
using lattice::testing::TestWorld;

namespace {

const std::string kDemo = "demo.localhost:8787";
const std::string kNoScriptCsp =
    "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const std::string kPostCsp =
    "default-src 'none'; script-src 'self'; connect-src 'self'; img-src https: http: data:; "
    "style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

struct Blog {
  TestWorld w;
  std::string tenant, token, postId;

  Blog() {
    tenant = w.addTenant("demo", "Demo Blog");
    token = w.mintToken(tenant);
    Json body = {{"slug", "hello"},
                 {"title", "Hello"},
                 {"markdown", "# Hi\n\nFirst post."},
                 {"tags", {"intro"}},
                 {"status", "published"},
                 {"published_at", "2026-06-01T08:30:00Z"}};
    HttpResponse r = w.api("POST", kDemo, "/api/posts", token, body);
    INFO(r.body);
    REQUIRE(r.status == 201);
    postId = w.sql("SELECT id FROM posts WHERE slug = 'hello'")[0]["id"].get<std::string>();
  }
  HttpResponse get(const std::string& path, std::map<std::string, std::string> headers = {}) {
    return w.request("GET", kDemo, path, std::move(headers));
  }
};

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + needle.size())) ++n;
  return n;
}

// The part of the page between `from` and the next `to` after it ("" when absent).
std::string between(const std::string& html, const std::string& from, const std::string& to) {
  const size_t start = html.find(from);
  if (start == std::string::npos) return {};
  const size_t end = html.find(to, start);
  return end == std::string::npos ? std::string() : html.substr(start, end + to.size() - start);
}

}  // namespace

TEST_CASE("live-page: a post page has the live section after the article, its controls hidden until the script runs") {
  Blog b;
  HttpResponse r = b.get("/blog/hello");
  REQUIRE(r.status == 200);
  const std::string& html = r.body;
  const std::string section = between(html, "<section class=\"live\"", "</section>");
  REQUIRE(!section.empty());
  CHECK(has(section, "<section class=\"live\" id=\"live\" data-slug=\"hello\""));
  CHECK(html.find("</article>") < html.find("<section class=\"live\""));
  CHECK(count(html, "<section class=\"live\"") == 1);

  // One button per reaction type, in kReactionTypes order, unpressed, hidden, with an empty count.
  const std::vector<std::pair<std::string, std::string>> reactions = {
      {"like", "👍</span> <span class=\"label\">Like"},
      {"love", "❤️</span> <span class=\"label\">Love"},
      {"insightful", "💡</span> <span class=\"label\">Insightful"},
      {"laugh", "😄</span> <span class=\"label\">Funny"}};
  size_t previous = 0;
  for (const auto& [type, face] : reactions) {
    CAPTURE(type);
    const std::string open = "<button type=\"button\" data-type=\"" + type + "\" aria-pressed=\"false\" hidden>";
    const size_t at = section.find(open);
    REQUIRE(at != std::string::npos);
    CHECK(at > previous);
    previous = at;
    const std::string button = section.substr(at, section.find("</button>", at) - at);
    CHECK(has(button, face));
    CHECK(has(button, "<span class=\"count\"></span>"));
  }
  CHECK(count(section, "data-type=") == 4);
  CHECK(count(section, "<span class=\"count\"></span>") == 4);

  CHECK(has(section, "<p class=\"presence\" aria-live=\"polite\"></p>"));
  CHECK(has(section, "<ol class=\"comments\" aria-labelledby=\"comments-heading\"></ol>"));
  const std::string form = between(section, "<form class=\"comment-form\"", "</form>");
  REQUIRE(!form.empty());
  CHECK(has(form, "id=\"comment-form\" novalidate hidden>"));  // live.js checks and explains
  CHECK(has(form, "<textarea id=\"comment-body\" name=\"body\" rows=\"4\" maxlength=\"5000\" required"));
  CHECK(has(form, "<button type=\"submit\">Post comment</button>"));
  const std::string readerForm = between(section, "<form class=\"reader-form\"", "</form>");
  CHECK(has(readerForm, "hidden>"));
  CHECK(has(readerForm, "maxlength=\"50\""));
  CHECK(has(section, "<noscript><p class=\"noscript\">Reactions and comments need JavaScript.</p></noscript>"));
  // The article itself is untouched.
  CHECK(has(html, "<h1 id=\"hi\">Hi</h1>"));
}

TEST_CASE("live-page: only the post page loads the script and stylesheet, from this origin, and nothing inline") {
  Blog b;
  HttpResponse r = b.get("/blog/hello");
  REQUIRE(r.status == 200);
  const std::string head = between(r.body, "<head>", "</head>");
  CHECK(has(head, "<link rel=\"stylesheet\" href=\"/assets/live.css\"><script src=\"/assets/live.js\" defer></script>"));
  CHECK(count(r.body, "<script") == 1);
  CHECK(!std::regex_search(r.body, std::regex("<script(?![^>]*\\ssrc=\"/assets/live\\.js\")")));
  CHECK(!std::regex_search(r.body, std::regex("\\son[a-z]+=")));
  CHECK(!std::regex_search(r.body, std::regex("(src|href)=\"(https?:)?//[^\"]*/assets/")));
  CHECK(r.header("content-security-policy") == kPostCsp);

  for (const char* path : {"/blog", "/tags/intro"}) {
    CAPTURE(path);
    HttpResponse page = b.get(path);
    REQUIRE(page.status == 200);
    CHECK(page.header("content-security-policy") == kNoScriptCsp);
    CHECK(!has(page.body, "<script"));
    CHECK(!has(page.body, "/assets/live"));
    CHECK(!has(page.body, "class=\"live\""));
  }
}

TEST_CASE("live-page: 404s, the landing page and unknown blogs keep the no-script CSP") {
  Blog b;
  struct Case {
    std::string host, path;
    int status;
  };
  for (const Case& c : {Case{kDemo, "/blog/no-such-post", 404}, Case{kDemo, "/blog/Bad_Slug", 404},
                        Case{kDemo, "/nowhere", 404}, Case{"nosuchblog.localhost:8787", "/blog/hello", 404},
                        Case{"localhost:8787", "/", 200}, Case{"localhost:8787", "/blog/hello", 404}}) {
    CAPTURE(c.host);
    CAPTURE(c.path);
    HttpResponse r = b.w.request("GET", c.host, c.path);
    CHECK(r.status == c.status);
    CHECK(r.header("content-security-policy") == kNoScriptCsp);
    CHECK(!has(r.body, "<script"));
  }
  // An unpublished post is a 404 without the live section, even for its draft's slug.
  REQUIRE(b.w.api("PUT", kDemo, "/api/posts/hello", b.token, Json{{"status", "draft"}}).status == 200);
  HttpResponse gone = b.get("/blog/hello");
  CHECK(gone.status == 404);
  CHECK(gone.header("content-security-policy") == kNoScriptCsp);
  CHECK(!has(gone.body, "class=\"live\""));
}

TEST_CASE("live-page: the post HTML holds no reaction, comment or reader, whatever D1 has") {
  Blog b;
  HttpResponse before = b.get("/blog/hello");
  REQUIRE(before.status == 200);
  const long long now = b.w.now;
  b.w.sql("INSERT INTO readers (id, name, token_hash, created_at) VALUES ('rd_1', 'Reader Zed', ?1, ?2)",
          {std::string(64, 'a'), now});
  b.w.sql("INSERT INTO comments (id, tenant_id, post_id, reader_id, body, created_at) "
          "VALUES ('cm_1', ?1, ?2, 'rd_1', 'A comment that must not be baked in', ?3)",
          {b.tenant, b.postId, now});
  b.w.sql("INSERT INTO reaction_counts (post_id, type, count, updated_at) VALUES (?1, 'like', 7, ?2)", {b.postId, now});
  b.w.cache.clear();  // render again, from D1
  b.w.kv.clear();
  HttpResponse r = b.get("/blog/hello");
  REQUIRE(r.status == 200);
  CHECK(r.header("x-lattice-cache") == "miss");
  CHECK(r.body == before.body);
  CHECK(!has(r.body, "must not be baked in"));
  CHECK(!has(r.body, "Reader Zed"));
  CHECK(!has(r.body, "reading now"));
}

TEST_CASE("live-page: every reader gets the same bytes (cached, bypassing, other headers, later)") {
  Blog b;
  HttpResponse first = b.get("/blog/hello");
  REQUIRE(first.status == 200);
  CHECK(first.header("x-lattice-cache") == "miss");
  HttpResponse hit = b.get("/blog/hello");
  CHECK(hit.header("x-lattice-cache") == "hit");
  CHECK(hit.body == first.body);
  CHECK(hit.header("content-security-policy") == kPostCsp);

  // Rendered afresh for a request with credentials (a reader token is no different from any
  // other): the same page, never a personalised one.
  HttpResponse withToken = b.get("/blog/hello", {{"authorization", "Bearer rdr_0123456789abcdef"}});
  CHECK(withToken.header("x-lattice-cache") == "bypass");
  CHECK(withToken.body == first.body);
  CHECK(withToken.header("content-security-policy") == kPostCsp);

  HttpResponse other = b.get("/blog/hello", {{"user-agent", "Other/1.0"},
                                             {"accept-language", "de-DE"},
                                             {"cookie", "a=b"},
                                             {"x-forwarded-for", "203.0.113.9"}});
  CHECK(other.body == first.body);

  b.w.now += 6LL * 60 * 60 * 1000;  // hours later, past every cache's freshness
  b.w.cache.clear();
  b.w.kv.clear();
  HttpResponse later = b.get("/blog/hello");
  CHECK(later.status == 200);
  CHECK(later.body == first.body);
  CHECK(later.header("etag") == first.header("etag"));
}

TEST_CASE("live-page: the render generation moved, so pages cached before the live section are not served") {
  Blog b;
  HttpResponse r = b.get("/blog/hello");
  REQUIRE(r.status == 200);
  CHECK(r.header("etag").rfind("\"g2-", 0) == 0);
  // A browser holding the old generation's validator gets the new page, not a 304.
  std::string old = r.header("etag");
  old.replace(1, 2, "g1");
  CHECK(b.get("/blog/hello", {{"if-none-match", old}}).status == 200);
  CHECK(b.get("/blog/hello", {{"if-none-match", r.header("etag")}}).status == 304);
}
