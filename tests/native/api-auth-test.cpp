// Owner API authentication and tenant isolation: a token works only on its own tenant's host,
// the tenant comes from the Host header alone, and every refusal changes nothing.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/sha256.h"
#include "test-driver.h"

using lattice::HttpResponse;
using lattice::Json;
using lattice::testing::TestWorld;
using lattice::testing::errorOf;

namespace {

const std::string kDemo = "demo.localhost:8787";
const std::string kAutumn = "autumn.localhost:8787";


// Two tenants, each with a token and one post.
struct Fixture {
  TestWorld w;
  std::string demo, autumn, demoToken, autumnToken;

  Fixture() {
    demo = w.addTenant("demo", "Demo Blog");
    autumn = w.addTenant("autumn", "Windfalls");
    demoToken = w.mintToken(demo);
    autumnToken = w.mintToken(autumn);
    REQUIRE(w.api("POST", kDemo, "/api/posts", demoToken,
                  Json{{"slug", "demo-post"}, {"title", "Demo post"}, {"tags", {"x"}}, {"status", "published"}})
                .status == 201);
    REQUIRE(w.api("POST", kAutumn, "/api/posts", autumnToken,
                  Json{{"slug", "autumn-post"}, {"title", "Autumn post"}, {"tags", {"y"}}, {"status", "published"}})
                .status == 201);
    w.now += 60'000;
  }

  Json snapshot() {
    return Json{{"posts", w.sql("SELECT * FROM posts ORDER BY id")},
                {"tags", w.sql("SELECT * FROM post_tags ORDER BY post_id, tag")},
                {"tenants", w.sql("SELECT * FROM tenants ORDER BY id")},
                {"tokens", w.sql("SELECT * FROM api_tokens ORDER BY token_hash")}};
  }
};

struct Call {
  std::string method, path;
  std::optional<Json> body;
};

// Every owner API route and method, aimed at the post `slug`.
std::vector<Call> everyRoute(const std::string& slug) {
  return {Call{"GET", "/api/posts", std::nullopt},
          Call{"POST", "/api/posts", Json{{"slug", "intruder"}, {"title", "Intruder"}}},
          Call{"GET", "/api/posts/" + slug, std::nullopt},
          Call{"PUT", "/api/posts/" + slug, Json{{"title", "Defaced"}}},
          Call{"DELETE", "/api/posts/" + slug, std::nullopt}};
}

void checkUnauthorized(const HttpResponse& r, const std::string& code) {
  INFO("response " << r.status << ": " << r.body);
  CHECK(r.status == 401);
  CHECK(errorOf(r).value("code", "") == code);
  CHECK_FALSE(errorOf(r).contains("field"));
  CHECK(r.header("www-authenticate") == "Bearer realm=\"lattice\"");
  CHECK(r.header("cache-control") == "private, no-store");
}

void checkTenantNotFound(const HttpResponse& r) {
  INFO("response " << r.status << ": " << r.body);
  CHECK(r.status == 404);
  CHECK(errorOf(r).value("code", "") == "tenant.not_found");
  CHECK_FALSE(errorOf(r).contains("field"));
  CHECK(r.header("www-authenticate").empty());
}

}  // namespace

TEST_CASE("api-auth: a valid token works on its own tenant's host") {
  Fixture f;
  auto r = f.w.api("GET", kDemo, "/api/posts", f.demoToken);
  REQUIRE(r.status == 200);
  Json posts = (*lattice::parseJson(r.body))["posts"];
  REQUIRE(posts.size() == 1);
  CHECK(posts[0]["slug"] == "demo-post");
  // The authentication scheme is case-insensitive (RFC 9110 §11.1).
  for (std::string scheme : {"bearer", "BEARER", "BeArEr"}) {
    INFO(scheme);
    CHECK(f.w.request("GET", kDemo, "/api/posts", {{"authorization", scheme + " " + f.demoToken}}).status == 200);
  }
  // Only the hash of a token is stored.
  CHECK(f.w.sql("SELECT count(*) AS n FROM api_tokens WHERE token_hash = ?1", {f.demoToken})[0]["n"] == 0);
  CHECK(f.w.sql("SELECT tenant_id FROM api_tokens WHERE token_hash = ?1",
                {lattice::sha256Hex(f.demoToken)})[0]["tenant_id"] == f.demo);
}

TEST_CASE("api-auth: auth.missing_token (401) with WWW-Authenticate on every route") {
  Fixture f;
  const Json before = f.snapshot();
  for (const Call& c : everyRoute("demo-post")) {
    INFO(c.method << " " << c.path);
    checkUnauthorized(f.w.api(c.method, kDemo, c.path, "", c.body), "auth.missing_token");
  }
  checkUnauthorized(f.w.request("GET", kDemo, "/api/posts", {{"authorization", ""}}), "auth.missing_token");
  CHECK(f.snapshot() == before);
}

TEST_CASE("api-auth: auth.invalid_token (401) for malformed headers and wrong prefixes") {
  Fixture f;
  const Json before = f.snapshot();
  const std::string hex = f.demoToken.substr(4);
  std::vector<std::string> headers = {
      "Bearer",                                     // no token at all
      "Bearer ",                                    // empty token
      "Bearer" + f.demoToken,                       // no space
      "Basic " + f.demoToken,                       // another scheme
      "Token " + f.demoToken,                       //
      f.demoToken,                                  // no scheme
      "Bearer " + hex,                              // no "lat_" prefix
      "Bearer tok_" + hex,                          // wrong prefix
      "Bearer LAT_" + hex,                          // prefix is case-sensitive
      "Bearer lat_" + lattice::sha256Hex("x").substr(0, 63),  // one hex digit short
      "Bearer " + f.demoToken + "0",                // one too many
      "Bearer " + f.demoToken + " ",                // trailing garbage
      "Bearer lat_" + std::string(64, 'G'),          // not hex
      "Bearer lat_" + [&] {                         // upper-case hex is not how tokens are minted
        std::string up = hex;
        for (auto& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return up;
      }(),
  };
  for (const auto& h : headers) {
    INFO("authorization: '" << h << "'");
    for (const Call& c : everyRoute("demo-post")) {
      INFO(c.method << " " << c.path);
      std::map<std::string, std::string> hs{{"authorization", h}};
      if (c.body) hs["content-type"] = "application/json";
      checkUnauthorized(f.w.request(c.method, kDemo, c.path, hs, c.body ? c.body->dump() : ""), "auth.invalid_token");
    }
  }
  CHECK(f.snapshot() == before);
}

TEST_CASE("api-auth: auth.invalid_token (401) for an unknown or revoked well-formed token") {
  Fixture f;
  const std::string unknown = "lat_" + lattice::sha256Hex("never minted");
  const Json before = f.snapshot();
  for (const Call& c : everyRoute("demo-post")) {
    INFO(c.method << " " << c.path);
    checkUnauthorized(f.w.api(c.method, kDemo, c.path, unknown, c.body), "auth.invalid_token");
  }
  CHECK(f.snapshot() == before);

  // Revoke demo's token: it stops working at once, for every route.
  f.w.sql("UPDATE api_tokens SET revoked_at = ?1 WHERE token_hash = ?2", {f.w.now, lattice::sha256Hex(f.demoToken)});
  const Json revoked = f.snapshot();
  for (const Call& c : everyRoute("demo-post")) {
    INFO(c.method << " " << c.path);
    checkUnauthorized(f.w.api(c.method, kDemo, c.path, f.demoToken, c.body), "auth.invalid_token");
  }
  CHECK(f.snapshot() == revoked);
  // A second, unrevoked token of the same tenant still works.
  auto fresh = f.w.mintToken(f.demo);
  CHECK(f.w.api("GET", kDemo, "/api/posts/demo-post", fresh).status == 200);
}

TEST_CASE("api-auth: tenant A's token on tenant B's host is tenant.not_found for every route") {
  Fixture f;
  const Json before = f.snapshot();
  // Autumn's real post, a post that does not exist, and the collection: all look the same.
  for (const std::string& slug : {std::string("autumn-post"), std::string("no-such-post")}) {
    for (const Call& c : everyRoute(slug)) {
      INFO(c.method << " " << c.path);
      HttpResponse r = f.w.api(c.method, kAutumn, c.path, f.demoToken, c.body);
      checkTenantNotFound(r);
      CHECK(r.body.find("autumn-post") == std::string::npos);
      CHECK(r.body.find("Autumn post") == std::string::npos);
    }
  }
  // Not one row of autumn's (or anyone's) changed.
  CHECK(f.snapshot() == before);
  CHECK(f.w.sql("SELECT title, version FROM posts WHERE tenant_id = ?1", {f.autumn}) ==
        Json::array({Json{{"title", "Autumn post"}, {"version", 1}}}));
  // And the same token still works at home.
  CHECK(f.w.api("GET", kDemo, "/api/posts/demo-post", f.demoToken).status == 200);
}

TEST_CASE("api-auth: an unknown tenant host is tenant.not_found") {
  Fixture f;
  const Json before = f.snapshot();
  for (const std::string& host : {std::string("ghost.localhost:8787"), std::string("ghost.localhost")}) {
    for (const Call& c : everyRoute("demo-post")) {
      INFO(host << " " << c.method << " " << c.path);
      checkTenantNotFound(f.w.api(c.method, host, c.path, f.demoToken, c.body));
    }
  }
  CHECK(f.snapshot() == before);
}

TEST_CASE("api-auth: the API does not answer on the main host or foreign hosts") {
  Fixture f;
  const Json before = f.snapshot();
  for (const std::string& host : {std::string("localhost:8787"), std::string("localhost"), std::string("evil.com"),
                                  std::string("a.demo.localhost:8787"), std::string("demo.localhost.evil.com")}) {
    for (const Call& c : everyRoute("demo-post")) {
      INFO(host << " " << c.method << " " << c.path);
      checkTenantNotFound(f.w.api(c.method, host, c.path, f.demoToken, c.body));
      checkTenantNotFound(f.w.api(c.method, host, c.path, "", c.body));
    }
  }
  CHECK(f.snapshot() == before);
}

TEST_CASE("api-auth: X-Forwarded-Host is ignored; the Host header alone picks the tenant") {
  Fixture f;
  const Json autumnBefore = f.w.sql("SELECT * FROM posts WHERE tenant_id = ?1", {f.autumn});
  std::map<std::string, std::string> headers{{"authorization", "Bearer " + f.demoToken},
                                             {"content-type", "application/json"},
                                             {"x-forwarded-host", "autumn.localhost"}};
  auto created = f.w.request("POST", kDemo, "/api/posts", headers,
                             Json{{"slug", "forwarded"}, {"title", "Forwarded"}}.dump());
  REQUIRE(created.status == 201);
  CHECK(f.w.sql("SELECT tenant_id FROM posts WHERE slug = 'forwarded'") == Json::array({Json{{"tenant_id", f.demo}}}));
  auto updated = f.w.request("PUT", kDemo, "/api/posts/demo-post", headers, Json{{"title", "Still demo"}}.dump());
  CHECK(updated.status == 200);
  CHECK(f.w.request("DELETE", kDemo, "/api/posts/forwarded", headers).status == 204);
  CHECK(f.w.sql("SELECT * FROM posts WHERE tenant_id = ?1", {f.autumn}) == autumnBefore);

  // Autumn's token with X-Forwarded-Host: autumn on demo's host is still a stranger to demo.
  std::map<std::string, std::string> spoof{{"authorization", "Bearer " + f.autumnToken},
                                           {"x-forwarded-host", "autumn.localhost:8787"}};
  checkTenantNotFound(f.w.request("GET", kDemo, "/api/posts/demo-post", spoof));
  // Demo's token with X-Forwarded-Host: demo on autumn's host likewise.
  checkTenantNotFound(f.w.request("GET", kAutumn, "/api/posts/autumn-post",
                                  {{"authorization", "Bearer " + f.demoToken}, {"x-forwarded-host", kDemo}}));

  // Public pages too: demo's host serves demo whatever X-Forwarded-Host says.
  auto page = f.w.request("GET", kDemo, "/blog", {{"x-forwarded-host", "autumn.localhost"}});
  CHECK(page.status == 200);
  CHECK(page.body.find("Demo Blog") != std::string::npos);
  CHECK(page.body.find("Windfalls") == std::string::npos);
}

TEST_CASE("api-auth: auth is checked before the body is read") {
  Fixture f;
  const Json before = f.snapshot();
  const long long reads = f.w.counters["body.read"];
  // An oversized, malformed body without a token is a 401, not a 413 or 400.
  std::string huge(2 << 20, '{');
  checkUnauthorized(f.w.request("POST", kDemo, "/api/posts", {{"content-type", "application/json"}}, huge),
                    "auth.missing_token");
  checkUnauthorized(f.w.request("PUT", kDemo, "/api/posts/demo-post", {{"content-type", "text/plain"}}, "x"),
                    "auth.missing_token");
  CHECK(f.w.counters["body.read"] == reads);
  CHECK(f.snapshot() == before);
}
