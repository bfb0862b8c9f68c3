// /assets/live.js and /assets/live.css: the post pages' script and stylesheet (web/live, embedded
// at build time like web/admin). The same files on every tenant host, strong SHA-256 ETags with
// 304s, no-cache, nosniff, no storage work, and API-style errors for anything else.
#include <doctest/doctest.h>

#include <regex>
#include <string>

#include "app/embedded-assets.h"
#include "core/sha256.h"
#include "test-driver.h"

using lattice::HttpResponse;
using lattice::testing::errorOf;
using lattice::testing::has;
using lattice::testing::TestWorld;

namespace {

const std::string kDemo = "demo.localhost:8787";

std::string codeOf(const HttpResponse& r) { return lattice::jsonString(errorOf(r), "code"); }
std::string quotedSha(std::string_view body) { return "\"" + lattice::sha256Hex(std::string(body)) + "\""; }

long long effects(const TestWorld& w) {
  long long n = 0;
  for (const auto& [kind, count] : w.counters) n += count;
  return n;
}

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + needle.size())) ++n;
  return n;
}

}  // namespace

TEST_CASE("assets: the live bundle is live.css and live.js, each with its content type and SHA-256 ETag") {
  const auto& bundle = lattice::live::kAssets;
  REQUIRE(bundle.count == 2);
  CHECK(bundle.files[0].name == "live.css");
  CHECK(bundle.files[1].name == "live.js");
  CHECK(bundle.files[0].contentType == "text/css; charset=utf-8");
  CHECK(bundle.files[1].contentType == "text/javascript; charset=utf-8");
  for (size_t i = 0; i < bundle.count; ++i) {
    CAPTURE(std::string(bundle.files[i].name));
    CHECK(!bundle.files[i].bytes.empty());
    CHECK(bundle.files[i].etag == quotedSha(bundle.files[i].bytes));
  }
  CHECK(bundle.find("live.js") == &bundle.files[1]);
  CHECK(bundle.find("app.js") == nullptr);  // the admin bundle is another namespace
  CHECK(lattice::admin::kAssets.find("live.js") == nullptr);
}

TEST_CASE("assets: live.js follows the house rules (no HTML parsing but the server's comment html, no eval)") {
  const std::string js(lattice::live::kAssets.find("live.js")->bytes);
  CHECK(count(js, "innerHTML") == 1);
  CHECK(has(js, "body.innerHTML = typeof c.html === \"string\" ? c.html : \"\""));
  for (const char* banned : {"outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setTimeout(\"",
                             "http://", "https://", "document.cookie"}) {
    CAPTURE(banned);
    CHECK(!has(js, banned));
  }
  // The contract's names, spelled as the API spells them.
  for (const char* name : {"\"lattice.reader\"", "/api/readers", "/reactions", "/comments?", "/live`",
                           "'{\"type\":\"ping\"}'", "reading now"}) {
    CAPTURE(name);
    CHECK(has(js, name));
  }
}

TEST_CASE("assets: GET serves each file with validators and nosniff; 304 on a matching If-None-Match; HEAD") {
  TestWorld w;
  w.addTenant("demo");
  HttpResponse js = w.request("GET", kDemo, "/assets/live.js");
  REQUIRE(js.status == 200);
  CHECK(js.header("content-type") == "text/javascript; charset=utf-8");
  CHECK(js.header("etag") == quotedSha(js.body));
  CHECK(js.header("cache-control") == "no-cache");
  CHECK(js.header("x-content-type-options") == "nosniff");
  CHECK(js.header("set-cookie").empty());
  CHECK(js.body == std::string(lattice::live::kAssets.find("live.js")->bytes));
  HttpResponse css = w.request("GET", kDemo, "/assets/live.css");
  REQUIRE(css.status == 200);
  CHECK(css.header("content-type") == "text/css; charset=utf-8");
  CHECK(css.header("etag") == quotedSha(css.body));
  CHECK(css.header("cache-control") == "no-cache");
  CHECK(css.header("x-content-type-options") == "nosniff");
  CHECK(css.header("etag") != js.header("etag"));

  SUBCASE("If-None-Match: 304 without a body for the file's ETag; another file's or a stale one gets the file") {
    HttpResponse same = w.request("GET", kDemo, "/assets/live.js", {{"if-none-match", js.header("etag")}});
    CHECK(same.status == 304);
    CHECK(same.body.empty());
    CHECK(same.header("etag") == js.header("etag"));
    CHECK(same.header("cache-control") == "no-cache");
    CHECK(w.request("GET", kDemo, "/assets/live.js", {{"if-none-match", "W/" + js.header("etag")}}).status == 304);
    CHECK(w.request("GET", kDemo, "/assets/live.css", {{"if-none-match", "\"x\", " + css.header("etag")}}).status == 304);
    CHECK(w.request("GET", kDemo, "/assets/live.js", {{"if-none-match", css.header("etag")}}).status == 200);
    CHECK(w.request("GET", kDemo, "/assets/live.js", {{"if-none-match", "\"stale\""}}).status == 200);
    CHECK(w.request("HEAD", kDemo, "/assets/live.js", {{"if-none-match", js.header("etag")}}).status == 304);
  }
  SUBCASE("HEAD: the headers of GET, no body") {
    HttpResponse head = w.request("HEAD", kDemo, "/assets/live.js");
    CHECK(head.status == 200);
    CHECK(head.body.empty());
    CHECK(head.header("etag") == js.header("etag"));
    CHECK(head.header("content-type") == js.header("content-type"));
    CHECK(head.header("cache-control") == "no-cache");
  }
}

TEST_CASE("assets: the same files on any tenant host, with no storage work at all") {
  TestWorld w;
  w.addTenant("demo");
  const long long before = effects(w);
  HttpResponse demo = w.request("GET", kDemo, "/assets/live.js");
  HttpResponse unknown = w.request("GET", "nosuchblog.localhost:8787", "/assets/live.js");
  CHECK(demo.status == 200);
  CHECK(unknown.status == 200);
  CHECK(unknown.body == demo.body);
  CHECK(effects(w) == before);
  // Not a tenant host: the main host's usual 404 page.
  HttpResponse main = w.request("GET", "localhost:8787", "/assets/live.js");
  CHECK(main.status == 404);
  CHECK(main.header("content-type") == "text/html; charset=utf-8");
}

TEST_CASE("assets: unknown assets are a JSON 404 route.not_found, other methods a 405 with Allow") {
  TestWorld w;
  w.addTenant("demo");
  for (const char* path : {"/assets", "/assets/", "/assets/nope.js", "/assets/app.js", "/assets/index.html",
                           "/assets/live.js/x", "/assets/../admin/app.js", "/assets/LIVE.JS", "/assets/live.js%00"}) {
    CAPTURE(path);
    HttpResponse r = w.request("GET", kDemo, path);
    CHECK(r.status == 404);
    CHECK(codeOf(r) == "route.not_found");
    CHECK(r.header("content-type") == "application/json; charset=utf-8");
  }
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH"}) {
    CAPTURE(method);
    HttpResponse r = w.request(method, kDemo, "/assets/live.js", {{"content-type", "application/json"}}, "{}");
    CHECK(r.status == 405);
    CHECK(codeOf(r) == "request.method_not_allowed");
    CHECK(r.header("allow") == "GET, HEAD");
  }
}
