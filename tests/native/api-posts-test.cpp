// The owner API end to end through the native driver: auth, validation codes, writes.
#include <doctest/doctest.h>

#include "test-driver.h"

using lattice::Json;
using lattice::testing::TestWorld;

namespace {
Json body(const lattice::HttpResponse& r) { return *lattice::parseJson(r.body); }
std::string code(const lattice::HttpResponse& r) {
  auto j = lattice::parseJson(r.body);
  return j && j->contains("error") ? (*j)["error"].value("code", "") : "";
}
const std::string kDemo = "demo.localhost:8787";
}  // namespace

TEST_CASE("api: create, read, list, update, delete a post") {
  TestWorld w;
  auto tenant = w.addTenant("demo");
  auto token = w.mintToken(tenant);
  auto created = w.api("POST", kDemo, "/api/posts", token,
                       Json{{"slug", "hello"}, {"title", "Hello"}, {"markdown", "# Hi\n\nText"}, {"tags", {"a", "b"}},
                            {"status", "published"}});
  REQUIRE(created.status == 201);
  CHECK(body(created)["post"]["version"] == 1);
  CHECK(body(created)["post"]["html"].get<std::string>().find("<h1 id=\"hi\">Hi</h1>") != std::string::npos);
  CHECK(w.count("post_tags") == 2);

  auto page = w.request("GET", kDemo, "/blog/hello");
  CHECK(page.status == 200);
  CHECK(page.body.find("<title>Hello") != std::string::npos);

  auto updated = w.api("PUT", kDemo, "/api/posts/hello", token, Json{{"title", "Hello again"}, {"version", 1}});
  REQUIRE(updated.status == 200);
  CHECK(body(updated)["post"]["version"] == 2);
  auto stale = w.api("PUT", kDemo, "/api/posts/hello", token, Json{{"title", "x"}, {"version", 1}});
  CHECK(stale.status == 409);
  CHECK(code(stale) == "post.version_conflict");

  auto del = w.api("DELETE", kDemo, "/api/posts/hello", token);
  CHECK(del.status == 204);
  CHECK(w.count("posts") == 0);
  CHECK(w.count("post_tags") == 0);
  CHECK(w.request("GET", kDemo, "/blog/hello").status == 404);
}
