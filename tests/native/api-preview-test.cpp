// POST /api/preview: the owner's live preview renders markdown exactly as a save would (same
// renderer, same sanitising), needs the owner token of the host's tenant, validates its body with
// exact codes, and writes nothing anywhere.
#include <doctest/doctest.h>

#include <string>

#include "render/markdown.h"
#include "test-driver.h"

using lattice::HttpResponse;
using lattice::Json;
using lattice::testing::TestWorld;

namespace {

const std::string kDemo = "demo.localhost:8787";

std::string codeOf(const HttpResponse& r) { return lattice::jsonString(lattice::testing::errorOf(r), "code"); }

struct Owner {
  TestWorld w{Json{{"BASE_DOMAIN", "localhost"}, {"MAX_MARKDOWN_BYTES", "1000"}}};
  std::string token;
  Owner() { token = w.mintToken(w.addTenant("demo")); }
  HttpResponse preview(const Json& body, const std::string& as = "") {
    return w.api("POST", kDemo, "/api/preview", as.empty() ? token : as, body);
  }
};

}  // namespace

TEST_CASE("api-preview: renders like a save, headings and word count included, and stores nothing") {
  Owner o;
  const std::string md = "# Title\n\nSome *words* and [a link](https://example.com).\n\n<script>alert(1)</script>\n\n"
                         "[bad](javascript:alert(1))";
  const long long posts = o.w.count("posts");
  const auto counters = o.w.counters;
  HttpResponse r = o.preview({{"markdown", md}});
  REQUIRE(r.status == 200);
  CHECK(r.header("cache-control") == "private, no-store");
  Json j = *lattice::parseJson(r.body);
  CHECK(j["html"] == lattice::render::renderMarkdown(md).html);
  CHECK(j["html"].get<std::string>().find("<script>") == std::string::npos);
  CHECK(j["html"].get<std::string>().find("javascript:") == std::string::npos);
  CHECK(j["word_count"] == lattice::render::renderMarkdown(md).wordCount);
  CHECK(j["headings"] == Json::array({{{"level", 1}, {"id", "title"}, {"text", "Title"}}}));
  CHECK(o.w.count("posts") == posts);
  // One D1 read (the token), nothing written to D1, KV or the cache.
  CHECK(o.w.counters["d1.query"] - (counters.count("d1.query") ? counters.at("d1.query") : 0) == 1);
  CHECK(o.w.counters["d1.rows_written"] == (counters.count("d1.rows_written") ? counters.at("d1.rows_written") : 0));
  CHECK(o.w.kv.empty());
  CHECK(o.w.cache.empty());
}

TEST_CASE("api-preview: bad bodies get exact codes") {
  Owner o;
  struct Case {
    Json body;
    int status;
    std::string code;
  };
  for (const Case& c : {Case{Json::array(), 400, "request.not_object"},
                        Case{Json::object(), 400, "post.markdown_invalid"},
                        Case{{{"markdown", 5}}, 400, "post.markdown_invalid"},
                        Case{{{"markdown", "x"}, {"title", "y"}}, 400, "request.unknown_field"},
                        Case{{{"markdown", std::string(1001, 'a')}}, 413, "post.markdown_too_large"}}) {
    INFO(c.body.dump().substr(0, 80));
    HttpResponse r = o.preview(c.body);
    CHECK(r.status == c.status);
    CHECK(codeOf(r) == c.code);
  }
  CHECK(o.preview({{"markdown", std::string(1000, 'a')}}).status == 200);  // the bound itself is fine
  HttpResponse notJson = o.w.request("POST", kDemo, "/api/preview",
                                     {{"authorization", "Bearer " + o.token}, {"content-type", "application/json"}}, "{");
  CHECK(notJson.status == 400);
  CHECK(codeOf(notJson) == "request.malformed_json");
  HttpResponse wrongType = o.w.request("POST", kDemo, "/api/preview",
                                       {{"authorization", "Bearer " + o.token}, {"content-type", "text/plain"}}, "{}");
  CHECK(wrongType.status == 415);
  CHECK(codeOf(wrongType) == "request.unsupported_media_type");
}

TEST_CASE("api-preview: owner token of this host's tenant only; POST only") {
  Owner o;
  const std::string other = o.w.mintToken(o.w.addTenant("autumn"));
  HttpResponse none = o.w.request("POST", kDemo, "/api/preview", {{"content-type", "application/json"}}, "{}");
  CHECK(none.status == 401);
  CHECK(codeOf(none) == "auth.missing_token");
  HttpResponse foreign = o.preview({{"markdown", "x"}}, other);
  CHECK(foreign.status == 404);
  CHECK(codeOf(foreign) == "tenant.not_found");
  HttpResponse get = o.w.api("GET", kDemo, "/api/preview", o.token);
  CHECK(get.status == 405);
  CHECK(codeOf(get) == "request.method_not_allowed");
  CHECK(get.header("allow") == "POST");
}
