// Cross-device drafts through the API and the TenantDO, natively: revision-checked saves, 409
// with the server copy, 413, and publishing a draft as one post write.
#include <doctest/doctest.h>

#include "test-driver.h"

using lattice::HttpResponse;
using lattice::Json;
using lattice::jsonInt;
using lattice::jsonString;
using lattice::testing::bodyOf;
using lattice::testing::errorOf;
using lattice::testing::has;
using lattice::testing::TestWorld;

namespace {
const std::string kDemo = "demo.localhost:8787";

struct Owner {
  TestWorld w;
  std::string tenant, token;
  explicit Owner(Json vars = {{"BASE_DOMAIN", "localhost"}, {"LATTICE_DEV", "1"}}) : w(std::move(vars)) {
    tenant = w.addTenant("demo", "Demo");
    token = w.mintToken(tenant);
  }
  HttpResponse save(const std::string& slug, const std::string& content, const std::string& device,
                    std::optional<long long> base, Json metadata = {{"title", "A title"}}) {
    Json b = {{"content", content}, {"metadata", metadata}, {"deviceId", device}};
    if (base) b["baseRevision"] = *base;
    return w.api("PUT", kDemo, "/api/drafts/" + slug, token, b);
  }
};
}  // namespace

TEST_CASE("drafts: two devices; the stale one gets 409 with the server's copy") {
  Owner o;
  HttpResponse first = o.save("essay", "from the laptop", "laptop", std::nullopt);
  REQUIRE(first.status == 201);
  const long long r1 = bodyOf(first)["draft"]["revision"];
  // The phone loads it, the laptop saves again, the phone saves on its old revision.
  HttpResponse loaded = o.w.api("GET", kDemo, "/api/drafts/essay", o.token);
  REQUIRE(loaded.status == 200);
  CHECK(bodyOf(loaded)["draft"]["content"] == "from the laptop");
  HttpResponse second = o.save("essay", "laptop, later", "laptop", r1);
  REQUIRE(second.status == 200);
  const long long r2 = bodyOf(second)["draft"]["revision"];
  CHECK(r2 > r1);
  HttpResponse stale = o.save("essay", "from the phone", "phone", r1);
  CHECK(stale.status == 409);
  CHECK(errorOf(stale)["code"] == "draft.conflict");
  CHECK(bodyOf(stale)["draft"]["content"] == "laptop, later");
  CHECK(bodyOf(stale)["draft"]["revision"] == r2);
  CHECK(bodyOf(stale)["draft"]["device_id"] == "laptop");
  // Nothing was overwritten; the phone may now keep its text on purpose.
  CHECK(bodyOf(o.w.api("GET", kDemo, "/api/drafts/essay", o.token))["draft"]["content"] == "laptop, later");
  HttpResponse kept = o.save("essay", "from the phone", "phone", r2);
  CHECK(kept.status == 200);
  CHECK(bodyOf(o.w.api("GET", kDemo, "/api/drafts/essay", o.token))["draft"]["content"] == "from the phone");

  HttpResponse list = o.w.api("GET", kDemo, "/api/drafts", o.token);
  REQUIRE(list.status == 200);
  REQUIRE(bodyOf(list)["drafts"].size() == 1);
  CHECK(bodyOf(list)["drafts"][0]["slug"] == "essay");
  CHECK_FALSE(bodyOf(list)["drafts"][0].contains("content"));
}

TEST_CASE("drafts: the size limit is the tenant's, 413 beyond it, and nothing is stored") {
  Owner o;
  const std::string token = o.token;
  REQUIRE(o.w.api("PUT", kDemo, "/api/tenant", token, Json{{"limits", {{"max_draft_bytes", 2048}}}}).status == 200);
  HttpResponse big = o.save("big", std::string(4096, 'x'), "laptop", std::nullopt);
  CHECK(big.status == 413);
  CHECK(errorOf(big)["code"] == "draft.too_large");
  CHECK(o.w.api("GET", kDemo, "/api/drafts/big", token).status == 404);
  CHECK(o.save("big", std::string(1000, 'x'), "laptop", std::nullopt).status == 201);
}

TEST_CASE("drafts: error codes") {
  Owner o;
  CHECK(errorOf(o.save("x", "t", "", std::nullopt))["code"] == "draft.device_invalid");
  CHECK(errorOf(o.w.api("PUT", kDemo, "/api/drafts/x", o.token, Json{{"content", 5}, {"deviceId", "d"}}))["code"] ==
        "draft.content_invalid");
  CHECK(errorOf(o.w.api("GET", kDemo, "/api/drafts/none", o.token))["code"] == "draft.not_found");
  CHECK(o.w.api("GET", kDemo, "/api/drafts/none", o.token).status == 404);
  CHECK(o.w.api("GET", kDemo, "/api/drafts", "").status == 401);
  CHECK(o.w.api("POST", kDemo, "/api/drafts", o.token, Json::object()).status == 405);
  CHECK(o.w.api("DELETE", kDemo, "/api/drafts/none", o.token).status == 404);
  // Another tenant's token sees 404, not the draft.
  auto other = o.w.addTenant("other");
  auto otherToken = o.w.mintToken(other);
  REQUIRE(o.save("mine", "secret", "laptop", std::nullopt).status == 201);
  CHECK(o.w.api("GET", kDemo, "/api/drafts/mine", otherToken).status == 404);
}

TEST_CASE("drafts: publishing moves the draft into the post with one version bump") {
  Owner o;
  HttpResponse saved = o.save("fresh", "# Fresh\n\nNew words.", "laptop", std::nullopt,
                              Json{{"title", "Fresh post"}, {"description", "d"}, {"tags", {"news"}}});
  REQUIRE(saved.status == 201);
  const long long rev = bodyOf(saved)["draft"]["revision"];
  auto versionBefore = jsonInt(o.w.sql("SELECT content_version FROM tenants")[0], "content_version");
  CHECK(o.w.request("GET", kDemo, "/blog/fresh").status == 404);

  HttpResponse stale = o.w.api("POST", kDemo, "/api/drafts/fresh/publish", o.token, Json{{"baseRevision", rev + 5}});
  CHECK(stale.status == 409);
  CHECK(errorOf(stale)["code"] == "draft.conflict");

  HttpResponse pub = o.w.api("POST", kDemo, "/api/drafts/fresh/publish", o.token, Json{{"baseRevision", rev}});
  INFO(pub.body);
  REQUIRE(pub.status == 201);
  CHECK(bodyOf(pub)["post"]["status"] == "published");
  CHECK(bodyOf(pub)["draft_removed"] == true);
  CHECK(jsonInt(o.w.sql("SELECT content_version FROM tenants")[0], "content_version") == versionBefore + 1);
  CHECK(o.w.api("GET", kDemo, "/api/drafts/fresh", o.token).status == 404);
  HttpResponse page = o.w.request("GET", kDemo, "/blog/fresh");
  CHECK(page.status == 200);
  CHECK(has(page.body, "New words."));

  // Editing a published post: a draft for its slug, published again, is an update (version 2).
  HttpResponse edit = o.save("fresh", "# Fresh\n\nBetter words.", "phone", std::nullopt, Json{{"title", "Fresh post"}});
  REQUIRE(edit.status == 201);
  HttpResponse again = o.w.api("POST", kDemo, "/api/drafts/fresh/publish", o.token, Json::object());
  REQUIRE(again.status == 200);
  CHECK(bodyOf(again)["post"]["version"] == 2);
  CHECK(has(o.w.request("GET", kDemo, "/blog/fresh").body, "Better words."));
}
