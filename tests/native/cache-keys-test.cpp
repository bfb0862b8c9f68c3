// Names of cached things: the stamp's and pages' Cache API URLs (canonical tenant host, render
// generation, epoch, percent-encoded route and origin), the KV keys, and the KV value format
// (KvEntry encode/decode, rejecting anything else).
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "cache/keys.h"

using lattice::Json;
using namespace lattice::cache;

TEST_CASE("cache-keys: the stamp lives on the tenant's canonical host") {
  CHECK(stampUrl("demo", "blog.example.com") == "https://demo.blog.example.com/__lattice-cache/stamp");
  CHECK(stampUrl("demo", "localhost") == "https://demo.localhost/__lattice-cache/stamp");
  CHECK(stampUrl("autumn", "localhost") != stampUrl("demo", "localhost"));
}

TEST_CASE("cache-keys: a page key holds generation, epoch, route and origin") {
  CHECK(kRenderGeneration == "g2");
  CHECK(pageUrl("demo", "blog.example.com", "/blog/hello", "https://demo.blog.example.com", "p5-k1-t0") ==
        "https://demo.blog.example.com/__lattice-cache/g2/p5-k1-t0?r=%2Fblog%2Fhello&o=https%3A%2F%2Fdemo.blog.example.com");
  CHECK(pageUrl("demo", "localhost", "/blog?page=2", "http://demo.localhost:8787", "c9-k2-t7") ==
        "https://demo.localhost/__lattice-cache/g2/c9-k2-t7?r=%2Fblog%3Fpage%3D2&o=http%3A%2F%2Fdemo.localhost%3A8787");
  // A route or origin cannot smuggle in another parameter or path.
  const std::string tricky = pageUrl("demo", "localhost", "/tags/a&o=x#y z", "http://h/?r=1", "e");
  CHECK(tricky == "https://demo.localhost/__lattice-cache/g2/e?r=%2Ftags%2Fa%26o%3Dx%23y%20z&o=http%3A%2F%2Fh%2F%3Fr%3D1");
}

TEST_CASE("cache-keys: anything a page depends on makes a different key") {
  const std::string base = pageUrl("demo", "localhost", "/blog/p", "http://demo.localhost:8787", "p5-k1-t0");
  std::set<std::string> keys = {
      base,
      pageUrl("other", "localhost", "/blog/p", "http://demo.localhost:8787", "p5-k1-t0"),       // tenant
      pageUrl("demo", "example.com", "/blog/p", "http://demo.localhost:8787", "p5-k1-t0"),     // deployment
      pageUrl("demo", "localhost", "/blog/q", "http://demo.localhost:8787", "p5-k1-t0"),       // route
      pageUrl("demo", "localhost", "/blog/p", "https://demo.localhost:8787", "p5-k1-t0"),      // scheme
      pageUrl("demo", "localhost", "/blog/p", "http://demo.localhost", "p5-k1-t0"),            // port
      pageUrl("demo", "localhost", "/blog/p", "http://demo.localhost:8787", "p6-k1-t0"),       // post version
      pageUrl("demo", "localhost", "/blog/p", "http://demo.localhost:8787", "p5-k2-t0"),       // config
      pageUrl("demo", "localhost", "/blog/p", "http://demo.localhost:8787", "p5-k1-t1"),       // publication
  };
  CHECK(keys.size() == 9);
  // The same inputs always give the same key.
  CHECK(pageUrl("demo", "localhost", "/blog/p", "http://demo.localhost:8787", "p5-k1-t0") == base);
  // Page keys never collide with the stamp's.
  for (const auto& k : keys) CHECK(k != stampUrl("demo", "localhost"));
}

TEST_CASE("cache-keys: KV keys are per tenant id") {
  CHECK(kvDirectoryKey("demo") == "dir:demo");
  CHECK(kvPostKey("tn_demo", "hello-world") == "post:tn_demo:hello-world");
  CHECK(kvIndexKey("tn_demo") == "index:tn_demo");
  CHECK(kvPostKey("tn_a", "x") != kvPostKey("tn_b", "x"));
  CHECK(kvIndexKey("tn_a") != kvIndexKey("tn_b"));
}

TEST_CASE("cache-keys: KvEntry encode/decode round trip") {
  KvEntry e;
  e.at = 42;
  e.freshUntil = 1795000003600;
  e.rows = Json::array({Json{{"id", "p_1"}, {"slug", "a"}, {"tags", "[\"x\"]"}, {"published_at", nullptr}},
                        Json{{"id", "p_2"}, {"html", "<p>\"quoted\" \\ \u00e9</p>"}}});
  const std::string text = e.encode();
  auto back = KvEntry::decode(text);
  REQUIRE(back.has_value());
  CHECK(back->at == 42);
  CHECK(back->freshUntil == 1795000003600);
  CHECK(back->rows == e.rows);
  CHECK(back->encode() == text);
  // The format is plain JSON with these three members.
  auto j = lattice::parseJson(text);
  REQUIRE(j.has_value());
  CHECK(*j == Json{{"at", 42}, {"fresh_until", 1795000003600}, {"rows", e.rows}});

  KvEntry empty;  // an empty index is a value too
  auto none = KvEntry::decode(empty.encode());
  REQUIRE(none.has_value());
  CHECK(none->at == 0);
  CHECK(none->rows == Json::array());
  // fresh_until is optional (0: always stale).
  auto noFresh = KvEntry::decode(R"({"at":3,"rows":[]})");
  REQUIRE(noFresh.has_value());
  CHECK(noFresh->freshUntil == 0);
}

TEST_CASE("cache-keys: KvEntry::decode rejects anything else") {
  for (const char* garbage : {"", " ", "garbage", "null", "42", "\"text\"", "[]", "[1,2]", "{}", R"({"at":1})",
                              R"({"rows":[]})", R"({"at":1,"rows":{}})", R"({"at":1,"rows":"[]"})",
                              R"({"at":1,"rows":null})", R"({"at":1,"rows":[)", R"({"at":1,"rows":[]}trailing)",
                              "\xff\xfe{"}) {
    INFO("'" << garbage << "'");
    CHECK_FALSE(KvEntry::decode(garbage).has_value());
  }
}
