// /admin: the owner's editor, its HTML shell embedded at build time (web/admin via
// cmake/embed-assets.cmake; its script and style are static assets, tests/native/static-assets-test.cpp). The same shell for every tenant host, strong SHA-256 ETags with 304s,
// a strict CSP, no D1/KV/cache work, and API-style errors for anything else.
#include <doctest/doctest.h>

#include <regex>
#include <string>

#include "app/embedded-assets.h"
#include "core/sha256.h"
#include "test-driver.h"

using lattice::HttpResponse;
using lattice::Json;
using lattice::testing::errorOf;
using lattice::testing::has;
using lattice::testing::TestWorld;

namespace {

const std::string kDemo = "demo.localhost:8787";
const std::string kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

std::string codeOf(const HttpResponse& r) { return lattice::jsonString(errorOf(r), "code"); }
std::string quotedSha(const std::string& body) { return "\"" + lattice::sha256Hex(body) + "\""; }

long long effects(const TestWorld& w) {
  long long n = 0;
  for (const auto& [kind, count] : w.counters) n += count;
  return n;
}

}  // namespace

TEST_CASE("admin: the embedded files are the two shells, each with the SHA-256 of its bytes as ETag") {
  REQUIRE(lattice::admin::kAssets.count == 2);
  CHECK(lattice::admin::kAssets.files[0].name == "index.html");
  CHECK(lattice::admin::kAssets.files[1].name == "stats.html");
  for (size_t i = 0; i < lattice::admin::kAssets.count; ++i) {
    const auto& a = lattice::admin::kAssets.files[i];
    CAPTURE(std::string(a.name));
    CHECK(!a.bytes.empty());
    CHECK(a.etag == quotedSha(std::string(a.bytes)));
    CHECK(has(std::string(a.contentType), "charset=utf-8"));
  }
}

TEST_CASE("admin: the shell, with validators and strict headers") {
  TestWorld w;
  w.addTenant("demo");
  HttpResponse shell = w.request("GET", kDemo, "/admin");
  REQUIRE(shell.status == 200);
  CHECK(shell.header("content-type") == "text/html; charset=utf-8");
  CHECK(shell.header("content-security-policy") == kCsp);
  CHECK(shell.header("cache-control") == "no-cache");
  CHECK(shell.header("x-content-type-options") == "nosniff");
  CHECK(shell.header("referrer-policy") == "no-referrer");
  CHECK(shell.header("etag") == quotedSha(shell.body));
  CHECK(shell.header("set-cookie").empty());
  // Everything it loads is its own; nothing inline for the CSP to refuse; no token inside.
  CHECK(has(shell.body, "<script type=\"module\" src=\"/admin/app.js\"></script>"));
  CHECK(has(shell.body, "<link rel=\"stylesheet\" href=\"/admin/app.css\">"));
  CHECK(!std::regex_search(shell.body, std::regex("<script(?![^>]*\\ssrc=)")));
  CHECK(!has(shell.body, "style="));
  CHECK(!has(shell.body, "<style"));
  CHECK(!has(shell.body, "lat_0"));
  CHECK(!std::regex_search(shell.body, std::regex("(src|href)=\"(https?:)?//")));
  CHECK(w.request("GET", kDemo, "/admin/").body == shell.body);

  SUBCASE("If-None-Match answers 304 without a body; a stale validator gets the file") {
    HttpResponse same = w.request("GET", kDemo, "/admin", {{"if-none-match", shell.header("etag")}});
    CHECK(same.status == 304);
    CHECK(same.body.empty());
    CHECK(same.header("etag") == shell.header("etag"));
    CHECK(same.header("cache-control") == "no-cache");
    CHECK(w.request("GET", kDemo, "/admin", {{"if-none-match", "W/" + shell.header("etag")}}).status == 304);
    CHECK(w.request("GET", kDemo, "/admin", {{"if-none-match", "\"x\", " + shell.header("etag")}}).status == 304);
    CHECK(w.request("GET", kDemo, "/admin", {{"if-none-match", "\"stale\""}}).status == 200);
  }
  SUBCASE("HEAD: the headers of GET, no body") {
    HttpResponse head = w.request("HEAD", kDemo, "/admin");
    CHECK(head.status == 200);
    CHECK(head.body.empty());
    CHECK(head.header("etag") == shell.header("etag"));
    CHECK(head.header("content-security-policy") == kCsp);
  }
}

TEST_CASE("admin: the same shell on any tenant host, and no storage work at all") {
  TestWorld w;
  w.addTenant("demo");
  const long long before = effects(w);
  HttpResponse demo = w.request("GET", kDemo, "/admin");
  HttpResponse unknown = w.request("GET", "nosuchblog.localhost:8787", "/admin");
  CHECK(demo.status == 200);
  CHECK(unknown.status == 200);
  CHECK(unknown.body == demo.body);
  CHECK(effects(w) == before);
}

TEST_CASE("admin: anything but a shell is a JSON 404 (scripts and styles are the asset layer's), other methods a 405") {
  TestWorld w;
  w.addTenant("demo");
  for (const char* path : {"/admin/nope.js", "/admin/index.html", "/admin/stats.html", "/admin/app.js", "/admin/app.js/x",
                           "/admin/../admin"}) {
    CAPTURE(path);
    HttpResponse r = w.request("GET", kDemo, path);
    CHECK(r.status == 404);
    CHECK(codeOf(r) == "route.not_found");
    CHECK(r.header("content-type") == "application/json; charset=utf-8");
  }
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH"}) {
    CAPTURE(method);
    HttpResponse r = w.request(method, kDemo, "/admin", {{"content-type", "application/json"}}, "{}");
    CHECK(r.status == 405);
    CHECK(codeOf(r) == "request.method_not_allowed");
    CHECK(r.header("allow") == "GET, HEAD");
  }
}
