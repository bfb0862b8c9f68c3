// Syndication documents (blog/syndication.h) and the XML escaping under them
// (render/xml-escape.h): structure, stable ids, limits, determinism, and hostile content checked
// for well-formedness by a real XML parser (xmllint, from libxml2-utils).
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <regex>
#include <string>
#include <vector>

#include "blog/syndication.h"
#include "render/html-escape.h"
#include "render/xml-escape.h"

using lattice::Post;
using lattice::Tenant;
using lattice::UnixMillis;
using lattice::render::escapeXml;
using lattice::syndication::atomFeed;
using lattice::syndication::sitemap;

namespace {

using namespace std::string_literals;

const std::string kOrigin = "http://demo.localhost:8787";
const std::string kDecl = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
const std::string kFffd = "\xEF\xBF\xBD";

bool has(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

UnixMillis at(const char* iso) { return *lattice::parseIso8601(iso); }

Tenant demoTenant() {
  Tenant t;
  t.id = "tn_demo";
  t.subdomain = "demo";
  t.displayName = "Demo Blog";
  t.description = "Notes & sketches";
  return t;
}

Post makePost(std::string id, std::string slug, std::string title, UnixMillis published, UnixMillis updated,
              std::vector<std::string> tags = {}) {
  Post p;
  p.id = std::move(id);
  p.tenantId = "tn_demo";
  p.slug = std::move(slug);
  p.title = std::move(title);
  p.status = "published";
  p.publishedAt = published;
  p.createdAt = published;
  p.updatedAt = updated;
  p.tags = std::move(tags);
  return p;
}

// The text of element `name` (first occurrence), raw as written.
std::string textOf(const std::string& doc, const std::string& name, size_t from = 0) {
  size_t open = doc.find("<" + name + ">", from);
  if (open == std::string::npos) return "<missing>";
  open += name.size() + 2;
  return doc.substr(open, doc.find("</" + name + ">", open) - open);
}

// The entries of a feed, each from <entry> to </entry>.
std::vector<std::string> entries(const std::string& feed) {
  std::vector<std::string> out;
  for (size_t a = feed.find("<entry>"); a != std::string::npos; a = feed.find("<entry>", a + 1))
    out.push_back(feed.substr(a, feed.find("</entry>", a) + 8 - a));
  return out;
}

// --- xmllint -------------------------------------------------------------------------------

struct Lint {
  int status = -1;
  std::string output;
};

// Runs `xmllint {args} -` on `doc` (via a temporary file on stdin, so xmllint stopping early
// cannot SIGPIPE the test). Fails the test, rather than skipping, when xmllint is missing.
Lint xmllint(const std::string& doc, const std::string& args = "--noout") {
  REQUIRE_MESSAGE(std::system("command -v xmllint >/dev/null 2>&1") == 0,
                  "xmllint not found: install libxml2-utils (listed in scripts/lib/common.sh ensure_apt)");
  char path[] = "/tmp/lattice-syndication-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, doc.data(), doc.size()) == static_cast<ssize_t>(doc.size()));
  close(fd);

  Lint lint;
  std::string command = "xmllint " + args + " - < " + path + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) lint.output.append(buf, n);
  int status = pclose(pipe);
  lint.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  unlink(path);
  return lint;
}

void checkWellFormed(const std::string& doc) {
  Lint lint = xmllint(doc);
  CHECK_MESSAGE(lint.status == 0, "xmllint rejected the document:\n", lint.output, "\n--- document ---\n", doc);
}

// What a conforming parser reads as the string value of `xpath` (one trailing newline removed).
std::string parsedString(const std::string& doc, const std::string& xpath) {
  Lint lint = xmllint(doc, "--xpath \"string(" + xpath + ")\"");
  REQUIRE_MESSAGE(lint.status == 0, lint.output);
  if (!lint.output.empty() && lint.output.back() == '\n') lint.output.pop_back();
  return lint.output;
}

// Atom elements by local name (the feed uses a default namespace).
std::string atomPath(std::initializer_list<const char*> steps) {
  std::string p;
  for (const char* s : steps) p += std::string("/*[local-name()='") + s + "']";
  return p;
}

}  // namespace

// --- render/xml-escape ---------------------------------------------------------------------

TEST_CASE("syndication xml-escape: markup characters become references, other text is kept") {
  CHECK(escapeXml("&<>\"'") == "&amp;&lt;&gt;&quot;&apos;");
  CHECK(escapeXml("&amp;") == "&amp;amp;");
  CHECK(escapeXml("]]>") == "]]&gt;");
  CHECK(escapeXml("") == "");
  CHECK(escapeXml("tab\tlf\ncr\r") == "tab\tlf\ncr\r");
  CHECK(escapeXml("caf\xC3\xA9 \xE6\x97\xA5 \xF0\x9F\x98\x80 \xEF\xBF\xBD \xEF\xBF\xBC") ==
        "caf\xC3\xA9 \xE6\x97\xA5 \xF0\x9F\x98\x80 \xEF\xBF\xBD \xEF\xBF\xBC");
  CHECK(escapeXml("\xC2\x85 \xC2\x9F") == "\xC2\x85 \xC2\x9F");  // C1 controls are legal XML 1.0

  std::string out = "<t>";
  lattice::render::appendXmlEscaped(out, "a<b");
  out += "</t>";
  CHECK(out == "<t>a&lt;b</t>");
}

TEST_CASE("syndication xml-escape: characters XML 1.0 forbids are dropped, ill-formed UTF-8 becomes U+FFFD") {
  CHECK(escapeXml(std::string("a\0b", 3)) == "ab");
  CHECK(escapeXml("\x01\x08\x0B\x0C\x1B\x1F") == "");
  CHECK(escapeXml("x\x7Fy") == "x\x7Fy");  // DEL is allowed in XML 1.0
  CHECK(escapeXml("a\xEF\xBF\xBE" "b\xEF\xBF\xBF" "c") == "abc");  // U+FFFE, U+FFFF
  CHECK(escapeXml("\xEF\xBF") == kFffd);                            // truncated, not U+FFFF
  CHECK(escapeXml("a\xFF" "b") == "a" + kFffd + "b");
  CHECK(escapeXml("\xC0\xAF") == kFffd + kFffd);                    // overlong '/'
  CHECK(escapeXml("\xED\xA0\x80") == kFffd + kFffd + kFffd);        // a surrogate
  CHECK(escapeXml("<\xE2\x82") == "&lt;" + kFffd);
}

// --- Atom feed -----------------------------------------------------------------------------

TEST_CASE("syndication: the Atom feed's head, entries, links, ids and dates") {
  Post first = makePost("p_1", "newest", "Newest", at("2024-03-14T09:30:00Z"), at("2024-03-15T10:00:00Z"),
                        {"cpp", "wasm"});
  first.description = "The newest one.";
  first.html = "<p>Hello <em>there</em></p>\n";
  // Published earlier but edited most recently: it decides the feed's <updated>.
  Post second = makePost("p_2", "older", "Older", at("2024-02-01T00:00:00Z"), at("2024-04-01T12:34:56.789Z"));
  const std::string feed = atomFeed(demoTenant(), {first, second}, kOrigin);

  CHECK(feed.rfind(kDecl, 0) == 0);
  CHECK(has(feed, "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n"));
  CHECK(feed.size() >= 8);
  CHECK(feed.substr(feed.size() - 8) == "</feed>\n");
  const std::string head = feed.substr(0, feed.find("<entry>"));
  CHECK(textOf(head, "id") == "tag:lattice,2024:tn_demo");
  CHECK(textOf(head, "title") == "Demo Blog");
  CHECK(textOf(head, "subtitle") == "Notes &amp; sketches");
  CHECK(textOf(head, "updated") == "2024-04-01T12:34:56Z");
  CHECK(has(head, "<link rel=\"self\" type=\"application/atom+xml\" href=\"http://demo.localhost:8787/feed.xml\"/>"));
  CHECK(has(head, "<link rel=\"alternate\" type=\"text/html\" href=\"http://demo.localhost:8787/blog\"/>"));
  CHECK(has(head, "<author><name>Demo Blog</name></author>"));

  auto es = entries(feed);
  REQUIRE(es.size() == 2);
  CHECK(textOf(es[0], "id") == "tag:lattice,2024:tn_demo/p_1");
  CHECK(textOf(es[0], "title") == "Newest");
  CHECK(has(es[0], "<link rel=\"alternate\" type=\"text/html\" href=\"http://demo.localhost:8787/blog/newest\"/>"));
  CHECK(textOf(es[0], "published") == "2024-03-14T09:30:00Z");
  CHECK(textOf(es[0], "updated") == "2024-03-15T10:00:00Z");
  CHECK(has(es[0], "<category term=\"cpp\"/>\n<category term=\"wasm\"/>"));
  CHECK(textOf(es[0], "summary") == "The newest one.");
  CHECK(has(es[0], "<content type=\"html\">&lt;p&gt;Hello &lt;em&gt;there&lt;/em&gt;&lt;/p&gt;\n</content>"));

  CHECK(textOf(es[1], "id") == "tag:lattice,2024:tn_demo/p_2");
  CHECK(has(es[1], "href=\"http://demo.localhost:8787/blog/older\""));
  CHECK(textOf(es[1], "published") == "2024-02-01T00:00:00Z");
  CHECK(textOf(es[1], "updated") == "2024-04-01T12:34:56Z");
  // Optional parts are absent rather than empty.
  CHECK_FALSE(has(es[1], "<category"));
  CHECK_FALSE(has(es[1], "<summary"));
  CHECK_FALSE(has(es[1], "<content"));

  // Every date is an RFC 3339 date-time in UTC.
  const std::regex rfc3339(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$)");
  for (const char* name : {"updated", "published"})
    for (size_t a = feed.find(std::string("<") + name + ">"); a != std::string::npos;
         a = feed.find(std::string("<") + name + ">", a + 1))
      CHECK(std::regex_match(textOf(feed, name, a), rfc3339));

  checkWellFormed(feed);
  CHECK(parsedString(feed, "count(" + atomPath({"feed", "entry"}) + ")") == "2");
}

TEST_CASE("syndication: the feed writes at most `limit` entries, in the given order") {
  std::vector<Post> posts;
  for (int i = 0; i < 25; ++i) {
    UnixMillis t = at("2024-01-01T00:00:00Z") + (25 - i) * 86'400'000LL;
    posts.push_back(makePost("p_" + std::to_string(i), "post-" + std::to_string(i), "Post " + std::to_string(i), t, t));
  }
  // An old post at position 21, edited later than anything else: not written, so not counted.
  posts[21].updatedAt = at("2030-01-01T00:00:00Z");

  auto es = entries(atomFeed(demoTenant(), posts, kOrigin));
  REQUIRE(es.size() == 20);
  for (size_t i = 0; i < es.size(); ++i) CHECK(textOf(es[i], "id") == "tag:lattice,2024:tn_demo/p_" + std::to_string(i));
  CHECK(textOf(atomFeed(demoTenant(), posts, kOrigin), "updated") == "2024-01-26T00:00:00Z");

  const std::string three = atomFeed(demoTenant(), posts, kOrigin, 3);
  es = entries(three);
  REQUIRE(es.size() == 3);
  CHECK(has(es[2], "/blog/post-2\""));
  CHECK(textOf(three, "updated") == "2024-01-26T00:00:00Z");

  const std::string all = atomFeed(demoTenant(), posts, kOrigin, 100);
  CHECK(entries(all).size() == 25);
  CHECK(textOf(all, "updated") == "2030-01-01T00:00:00Z");

  const std::string none = atomFeed(demoTenant(), posts, kOrigin, 0);
  CHECK(entries(none).empty());
  CHECK(textOf(none, "updated") == "1970-01-01T00:00:00Z");
}

TEST_CASE("syndication: entry and feed ids survive a slug rename and a change of host") {
  Post before = makePost("p_42", "first-slug", "Renamed", at("2024-05-01T08:00:00Z"), at("2024-05-01T08:00:00Z"));
  Post after = before;
  after.slug = "second-slug";
  after.updatedAt = at("2024-05-02T08:00:00Z");

  const std::string a = atomFeed(demoTenant(), {before}, kOrigin);
  const std::string b = atomFeed(demoTenant(), {after}, "https://blog.example.com");
  CHECK(textOf(a, "id") == textOf(b, "id"));
  CHECK(textOf(entries(a)[0], "id") == "tag:lattice,2024:tn_demo/p_42");
  CHECK(textOf(entries(b)[0], "id") == "tag:lattice,2024:tn_demo/p_42");
  CHECK(has(a, "href=\"http://demo.localhost:8787/blog/first-slug\""));
  CHECK(has(b, "href=\"https://blog.example.com/blog/second-slug\""));
  CHECK(has(b, "href=\"https://blog.example.com/feed.xml\""));

  // Another tenant with the same post id gets different ids.
  Tenant other = demoTenant();
  other.id = "tn_other";
  const std::string c = atomFeed(other, {before}, kOrigin);
  CHECK(textOf(c, "id") == "tag:lattice,2024:tn_other");
  CHECK(textOf(entries(c)[0], "id") == "tag:lattice,2024:tn_other/p_42");
}

TEST_CASE("syndication: an empty blog gives a valid feed and sitemap") {
  Tenant t = demoTenant();
  t.description.clear();
  const std::string feed = atomFeed(t, {}, kOrigin);
  CHECK(feed.rfind(kDecl, 0) == 0);
  CHECK(entries(feed).empty());
  CHECK(textOf(feed, "updated") == "1970-01-01T00:00:00Z");
  CHECK_FALSE(has(feed, "<subtitle"));
  CHECK(has(feed, "<author><name>Demo Blog</name></author>"));
  checkWellFormed(feed);

  const std::string map = sitemap(t, {}, kOrigin);
  CHECK(map == kDecl +
                   "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
                   "<url><loc>http://demo.localhost:8787/blog</loc></url>\n"
                   "</urlset>\n");
  checkWellFormed(map);
}

TEST_CASE("syndication: an entry without a publish time or body leaves those elements out") {
  Post p = makePost("p_1", "draftish", "No date", 0, at("2024-06-01T00:00:00Z"));
  p.publishedAt.reset();
  p.markdown = "has markdown but no html passed";
  const std::string entry = entries(atomFeed(demoTenant(), {p}, kOrigin)).at(0);
  CHECK_FALSE(has(entry, "<published>"));
  CHECK_FALSE(has(entry, "<content"));
  CHECK(textOf(entry, "updated") == "2024-06-01T00:00:00Z");
}

// --- sitemap -------------------------------------------------------------------------------

TEST_CASE("syndication: the sitemap lists the index, every post with lastmod, every tag once") {
  std::vector<Post> posts = {
      makePost("p_1", "newest", "N", at("2024-03-14T09:30:00Z"), at("2024-03-15T10:00:00Z"), {"wasm", "cpp"}),
      makePost("p_2", "older", "O", at("2024-02-01T00:00:00Z"), at("2024-02-02T03:04:05Z"), {"cpp", "a-tag"}),
  };
  const std::string map = sitemap(demoTenant(), posts, kOrigin);
  CHECK(map == kDecl +
                   "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
                   "<url><loc>http://demo.localhost:8787/blog</loc></url>\n"
                   "<url><loc>http://demo.localhost:8787/blog/newest</loc><lastmod>2024-03-15T10:00:00Z</lastmod></url>\n"
                   "<url><loc>http://demo.localhost:8787/blog/older</loc><lastmod>2024-02-02T03:04:05Z</lastmod></url>\n"
                   "<url><loc>http://demo.localhost:8787/tags/a-tag</loc></url>\n"
                   "<url><loc>http://demo.localhost:8787/tags/cpp</loc></url>\n"
                   "<url><loc>http://demo.localhost:8787/tags/wasm</loc></url>\n"
                   "</urlset>\n");
  checkWellFormed(map);
}

TEST_CASE("syndication: same input, same bytes") {
  std::vector<Post> posts;
  for (int i = 0; i < 5; ++i) {
    Post p = makePost("p_" + std::to_string(i), "s" + std::to_string(i), "T" + std::to_string(i),
                      at("2024-01-01T00:00:00Z") + i, at("2024-01-02T00:00:00Z") + i, {"x", "y" + std::to_string(i % 2)});
    p.description = "d";
    p.html = "<p>b</p>";
    posts.push_back(p);
  }
  const std::vector<Post> copy = posts;
  CHECK(atomFeed(demoTenant(), posts, kOrigin) == atomFeed(demoTenant(), copy, kOrigin));
  CHECK(sitemap(demoTenant(), posts, kOrigin) == sitemap(demoTenant(), copy, kOrigin));
  // Tag pages do not depend on the order posts arrive in.
  std::vector<Post> reversed(posts.rbegin(), posts.rend());
  const std::string a = sitemap(demoTenant(), posts, kOrigin), b = sitemap(demoTenant(), reversed, kOrigin);
  CHECK(a.substr(a.find("/tags/")) == b.substr(b.find("/tags/")));
}

// --- hostile content -----------------------------------------------------------------------

TEST_CASE("syndication: hostile titles, descriptions, tags and bodies stay inert and well-formed") {
  Tenant t = demoTenant();
  t.displayName = "</title><script>alert(1)</script> & \"Co\" 'Ltd'";
  t.description = "]]> <![CDATA[ x ]]> &amp; \x01\x1F";
  t.id = "tn_<&>";

  Post evil = makePost("p_\"x\"", "evil", "</title><script>alert('t')</script>", at("2024-01-01T00:00:00Z"),
                       at("2024-01-01T00:00:00Z"), {"a\"b<c>&'", "]]>"});
  evil.title += "\0nul\x07" "bell\x1B[31m\xEF\xBF\xBE\xEF\xBF\xBF"s;  // NUL, BEL, ESC, U+FFFE, U+FFFF
  evil.description = "desc ]]> &amp; &#0; &lt; \xC0\xAF \xFF\xFE bad utf8 \xE2\x82";
  evil.html = "<p>body</p><![CDATA[ ]]> ]]> <script>x()</script>\x0B\x0C & &amp; <!-- --> <?pi?>";
  Post plain = makePost("p_2", "plain", "caf\xC3\xA9 \xF0\x9F\x98\x80", at("2023-12-31T00:00:00Z"),
                        at("2023-12-31T00:00:00Z"));
  plain.html = "<p>ok</p>";
  std::vector<Post> posts = {evil, plain};

  const std::string feed = atomFeed(t, posts, kOrigin);
  const std::string map = sitemap(t, posts, kOrigin);
  for (const std::string* doc : {&feed, &map}) {
    CHECK_FALSE(has(*doc, "<script"));
    CHECK_FALSE(has(*doc, "]]>"));
    CHECK_FALSE(has(*doc, "<![CDATA["));
    for (char c : *doc) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 && u != '\n' && u != '\t' && u != '\r') FAIL_CHECK("control character ", int(u), " in output");
    }
    CHECK(lattice::render::isValidUtf8(*doc));
    CHECK_FALSE(has(*doc, "\xEF\xBF\xBE"));
    CHECK_FALSE(has(*doc, "\xEF\xBF\xBF"));
    checkWellFormed(*doc);
  }
  CHECK(entries(feed).size() == 2);
  CHECK(count(feed, "<category ") == 2);
  CHECK(has(feed, "<category term=\"a&quot;b&lt;c&gt;&amp;&apos;\"/>"));
  CHECK(has(map, "<loc>http://demo.localhost:8787/tags/a%22b%3Cc%3E%26%27</loc>"));
  CHECK(has(map, "<loc>http://demo.localhost:8787/tags/%5D%5D%3E</loc>"));

  // A conforming parser reads back exactly the text we were given, minus what XML cannot carry.
  const std::string entry1 = atomPath({"feed", "entry"}) + "[1]";
  CHECK(parsedString(feed, atomPath({"feed", "title"})) == t.displayName);
  CHECK(parsedString(feed, atomPath({"feed", "subtitle"})) == "]]> <![CDATA[ x ]]> &amp; ");
  CHECK(parsedString(feed, atomPath({"feed", "id"})) == "tag:lattice,2024:tn_%3C%26%3E");
  CHECK(parsedString(feed, entry1 + "/*[local-name()='title']") ==
        "</title><script>alert('t')</script>nulbell[31m");
  CHECK(parsedString(feed, entry1 + "/*[local-name()='summary']") ==
        "desc ]]> &amp; &#0; &lt; " + kFffd + kFffd + " " + kFffd + kFffd + " bad utf8 " + kFffd);
  CHECK(parsedString(feed, entry1 + "/*[local-name()='content']") ==
        "<p>body</p><![CDATA[ ]]> ]]> <script>x()</script> & &amp; <!-- --> <?pi?>");
  CHECK(parsedString(feed, entry1 + "/*[local-name()='category'][1]/@term") == "a\"b<c>&'");
  CHECK(parsedString(feed, atomPath({"feed", "entry"}) + "[2]/*[local-name()='title']") ==
        "caf\xC3\xA9 \xF0\x9F\x98\x80");
}

TEST_CASE("syndication: the xmllint check can fail (it is not vacuous)") {
  CHECK(xmllint(kDecl + "<a><b></a>").status != 0);
  CHECK(xmllint(kDecl + "<a>\x01</a>").status != 0);
  CHECK(xmllint(kDecl + "<a>\xEF\xBF\xBE</a>").status != 0);
  CHECK(xmllint(kDecl + "<a>]]></a>").status != 0);
  CHECK(xmllint(kDecl + "<a>x &amp; y</a>").status == 0);
}
