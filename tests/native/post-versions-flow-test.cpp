// A post's version history through the owner API and its PostContentDO, natively: every write
// (create, update, draft publish, restore) recorded; listed newest first; one version with its
// markdown; restore as a new version through the normal write path; a lost report made up from
// D1; the bound; error codes, and bad requests change nothing.
#include <doctest/doctest.h>

#include "post-content-fixture.h"

using namespace contenttest;

namespace {

HttpResponse versions(Blog& b, const std::string& slug, const std::string& rest = "") {
  return b.w.api("GET", kDemo, "/api/posts/" + slug + "/versions" + rest, b.token);
}

HttpResponse restore(Blog& b, const std::string& slug, const std::string& v, const std::optional<Json>& body = std::nullopt) {
  return b.w.api("POST", kDemo, "/api/posts/" + slug + "/versions/" + v + "/restore", b.token, body);
}

std::vector<long long> numbers(const HttpResponse& r) {
  std::vector<long long> out;
  const Json body = bodyOf(r);
  for (const auto& v : body["versions"]) out.push_back(v["version"].get<long long>());
  return out;
}

}  // namespace

TEST_CASE("post versions: every write is a version, listed newest first") {
  Blog b;
  const std::string id = b.add("diary", "Day one.", "Diary");
  b.w.now += 60000;
  b.put("diary", Json{{"markdown", "Day one, revised."}});
  b.w.now += 60000;
  b.put("diary", Json{{"title", "My diary"}});  // a write without new text is a version too
  // Publishing a draft of it is one more.
  b.w.now += 60000;
  Json draft = {{"content", "Day two."}, {"metadata", {{"title", "My diary"}}}, {"deviceId", "laptop"}};
  REQUIRE(b.w.api("PUT", kDemo, "/api/drafts/diary", b.token, draft).status == 201);
  REQUIRE(b.w.api("POST", kDemo, "/api/drafts/diary/publish", b.token, Json::object()).status == 200);

  HttpResponse list = versions(b, "diary");
  INFO(list.body);
  REQUIRE(list.status == 200);
  CHECK(list.header("cache-control") == "private, no-store");
  CHECK(numbers(list) == std::vector<long long>{4, 3, 2, 1});
  Json j = bodyOf(list);
  CHECK(j["slug"] == "diary");
  CHECK(j["post_id"] == id);
  CHECK(j["current_version"] == 4);
  Json newest = j["versions"][0];
  CHECK(newest["title"] == "My diary");
  CHECK(newest["bytes"] == 8);
  CHECK(newest["sha256"] == lattice::sha256Hex("Day two."));
  CHECK(newest["created_at"] == lattice::formatIso8601(b.w.now));
  CHECK_FALSE(newest.contains("markdown"));
  CHECK(j["versions"][3]["title"] == "Diary");
  CHECK(j["versions"][3]["created_at"] == lattice::formatIso8601(b.w.now - 180000));

  HttpResponse one = versions(b, "diary", "/2");
  REQUIRE(one.status == 200);
  Json v2 = bodyOf(one)["version"];
  CHECK(v2["version"] == 2);
  CHECK(v2["markdown"] == "Day one, revised.");
  CHECK(v2["title"] == "Diary");
  CHECK(v2["sha256"] == lattice::sha256Hex("Day one, revised."));
  CHECK(bodyOf(versions(b, "diary", "/3"))["version"]["markdown"] == "Day one, revised.");
  // The history follows the post, not the slug.
  b.put("diary", Json{{"slug", "journal"}});
  CHECK(numbers(versions(b, "journal")) == std::vector<long long>{5, 4, 3, 2, 1});
  CHECK(errorOf(versions(b, "diary"))["code"] == "post.not_found");
}

TEST_CASE("post versions: restore makes the old text a new version, through the normal write path") {
  Blog b;
  const std::string id = b.add("poem", "Roses are red.", "Poem");
  b.put("poem", Json{{"markdown", "Roses are blue."}, {"title", "Poem, wrong"}});
  HttpResponse page = b.w.request("GET", kDemo, "/blog/poem");
  REQUIRE(has(page.body, "Roses are blue."));
  const std::string etag = page.header("etag");
  const long long contentVersion = jsonInt(b.w.sql("SELECT content_version FROM tenants")[0], "content_version");

  HttpResponse r = restore(b, "poem", "1");
  INFO(r.body);
  REQUIRE(r.status == 200);
  Json post = bodyOf(r)["post"];
  CHECK(bodyOf(r)["restored_from"] == 1);
  CHECK(post["version"] == 3);
  CHECK(post["markdown"] == "Roses are red.");
  CHECK(post["title"] == "Poem");
  CHECK(post["slug"] == "poem");
  CHECK(post["status"] == "published");
  CHECK(has(post["html"].get<std::string>(), "Roses are red."));
  CHECK(post["content_hash"] == lattice::sha256Hex("Roses are red."));
  // Like any write: the tenant's content version moved, the public page shows the restored text.
  CHECK(jsonInt(b.w.sql("SELECT content_version FROM tenants")[0], "content_version") == contentVersion + 1);
  HttpResponse after = b.w.request("GET", kDemo, "/blog/poem");
  CHECK(has(after.body, "Roses are red."));
  CHECK(after.header("etag") != etag);
  CHECK(numbers(versions(b, "poem")) == std::vector<long long>{3, 2, 1});
  CHECK(bodyOf(versions(b, "poem", "/3"))["version"]["markdown"] == "Roses are red.");

  // With the post's version for optimistic concurrency: a stale one is refused, nothing changes.
  HttpResponse stale = restore(b, "poem", "2", Json{{"version", 2}});
  CHECK(stale.status == 409);
  CHECK(errorOf(stale)["code"] == "post.version_conflict");
  HttpResponse current = restore(b, "poem", "2", Json{{"version", 3}});
  REQUIRE(current.status == 200);
  CHECK(bodyOf(current)["post"]["version"] == 4);
  CHECK(bodyOf(current)["post"]["markdown"] == "Roses are blue.");
  (void)id;
}

TEST_CASE("post versions: restoring a post whose content is in R2 brings it back to D1") {
  Blog b;
  const std::string id = b.add("old", "Old words.");
  b.put("old", Json{{"markdown", "Newer words."}});
  REQUIRE(b.toR2(id).status == 200);
  REQUIRE(bodyOf(b.clear(id))["d1_copy"] == "cleared");
  HttpResponse r = restore(b, "old", "1");
  REQUIRE(r.status == 200);
  Json row = b.row(id);
  CHECK(row["storage_location"] == "d1");
  CHECK(row["r2_key"].is_null());
  CHECK(row["markdown"] == "Old words.");
  CHECK(row["version"] == 3);
}

TEST_CASE("post versions: a lost report is made up from D1 on the next look at the history") {
  Blog b;
  b.add("note", "First.");
  // The report of the next write to the object fails; the write itself stands.
  b.w.fault = [](const Json& e) -> std::optional<Json> {
    if (jsonString(e, "kind") == "do.call" && jsonString(e, "binding") == "POST_CONTENT_DO")
      return Json{{"ok", false}, {"error", "object unreachable"}};
    return std::nullopt;
  };
  b.put("note", Json{{"markdown", "Second."}});
  b.w.fault = nullptr;
  CHECK(b.w.counters["metric.post_content.report_failed"] == 1);
  HttpResponse list = versions(b, "note");
  REQUIRE(list.status == 200);
  CHECK(numbers(list) == std::vector<long long>{2, 1});
  CHECK(b.w.counters["metric.post_content.healed"] == 1);
  CHECK(bodyOf(versions(b, "note", "/2"))["version"]["markdown"] == "Second.");
  // Healing happens once; a later look changes nothing.
  CHECK(numbers(versions(b, "note")) == std::vector<long long>{2, 1});
  CHECK(b.w.counters["metric.post_content.healed"] == 1);

  // A lost report of a post whose content has since moved to R2 alone heals from R2; asking for
  // that version directly heals too.
  b.w.fault = [](const Json& e) -> std::optional<Json> {
    if (jsonString(e, "kind") == "do.call" && jsonString(e, "binding") == "POST_CONTENT_DO")
      return Json{{"ok", false}, {"error", "object unreachable"}};
    return std::nullopt;
  };
  b.put("note", Json{{"markdown", "Third."}});
  b.w.fault = nullptr;
  const std::string id = jsonString(b.w.sql("SELECT id FROM posts")[0], "id");
  REQUIRE(b.toR2(id).status == 200);
  REQUIRE(bodyOf(b.clear(id))["d1_copy"] == "cleared");
  HttpResponse three = versions(b, "note", "/3");
  REQUIRE(three.status == 200);
  CHECK(bodyOf(three)["version"]["markdown"] == "Third.");
}

TEST_CASE("post versions: a repeated report is recorded once") {
  Blog b;
  const std::string id = b.add("twice", "Text.");
  Json report = {{"version", 2},
                 {"created_at", b.w.now},
                 {"title", "Twice"},
                 {"description", ""},
                 {"markdown", "Text, later."},
                 {"sha256", lattice::sha256Hex("Text, later.")}};
  HttpResponse first = b.object(id, "POST", "/versions", report);
  CHECK(first.status == 201);
  CHECK(bodyOf(first)["recorded"] == true);
  HttpResponse again = b.object(id, "POST", "/versions", report);
  CHECK(again.status == 200);
  CHECK(bodyOf(again)["recorded"] == false);
  report["markdown"] = "Other text.";
  report["sha256"] = lattice::sha256Hex("Other text.");
  HttpResponse clash = b.object(id, "POST", "/versions", report);
  CHECK(clash.status == 409);
  CHECK(errorOf(clash)["code"] == "version.conflict");
  report["sha256"] = lattice::sha256Hex("something else");
  CHECK(errorOf(b.object(id, "POST", "/versions", report))["code"] == "version.invalid");
  CHECK(b.w.objectSql(b.objectName(id), "SELECT count(*) AS n FROM post_versions")[0]["n"] == 2);
}

TEST_CASE("post versions: the newest 100 are kept") {
  Blog b;
  b.add("busy", "v1");
  for (int n = 2; n <= 104; ++n) b.put("busy", Json{{"markdown", "v" + std::to_string(n)}});
  HttpResponse list = versions(b, "busy");
  REQUIRE(list.status == 200);
  auto got = numbers(list);
  REQUIRE(got.size() == 100);
  CHECK(got.front() == 104);
  CHECK(got.back() == 5);
  HttpResponse gone = versions(b, "busy", "/4");
  CHECK(gone.status == 404);
  CHECK(errorOf(gone)["code"] == "version.not_found");
  CHECK(bodyOf(versions(b, "busy", "/5"))["version"]["markdown"] == "v5");
}

TEST_CASE("post versions: error codes, and bad requests change nothing") {
  Blog b;
  const std::string id = b.add("post", "Only version.");
  const Json before = b.row(id);

  HttpResponse noVersion = versions(b, "post", "/9");
  CHECK(noVersion.status == 404);
  CHECK(errorOf(noVersion)["code"] == "version.not_found");
  for (const char* bad : {"0", "01", "-1", "x", "1.5", "99999999999999999999"}) {
    CAPTURE(bad);
    HttpResponse r = versions(b, "post", std::string("/") + bad);
    CHECK(r.status == 400);
    CHECK(errorOf(r)["code"] == "version.invalid");
    HttpResponse rr = restore(b, "post", bad);
    CHECK(rr.status == 400);
    CHECK(errorOf(rr)["code"] == "version.invalid");
  }
  HttpResponse restoreMissing = restore(b, "post", "7");
  CHECK(restoreMissing.status == 404);
  CHECK(errorOf(restoreMissing)["code"] == "version.not_found");
  CHECK(errorOf(versions(b, "nope"))["code"] == "post.not_found");
  CHECK(versions(b, "nope").status == 404);
  CHECK(errorOf(restore(b, "nope", "1"))["code"] == "post.not_found");
  CHECK(errorOf(versions(b, "Bad_Slug"))["code"] == "post.not_found");
  CHECK(errorOf(restore(b, "post", "1", Json{{"title", "x"}}))["code"] == "request.unknown_field");
  CHECK(errorOf(restore(b, "post", "1", Json{{"version", "1"}}))["code"] == "post.version_invalid");
  CHECK(errorOf(restore(b, "post", "1", Json::array()))["code"] == "request.not_object");
  HttpResponse badJson = b.w.request("POST", kDemo, "/api/posts/post/versions/1/restore",
                                     {{"authorization", "Bearer " + b.token}, {"content-type", "application/json"}}, "{");
  CHECK(errorOf(badJson)["code"] == "request.malformed_json");

  HttpResponse postList = b.w.api("POST", kDemo, "/api/posts/post/versions", b.token, Json::object());
  CHECK(postList.status == 405);
  CHECK(postList.header("allow") == "GET");
  CHECK(b.w.api("DELETE", kDemo, "/api/posts/post/versions/1", b.token).status == 405);
  HttpResponse getRestore = b.w.api("GET", kDemo, "/api/posts/post/versions/1/restore", b.token);
  CHECK(getRestore.status == 405);
  CHECK(getRestore.header("allow") == "POST");
  CHECK(errorOf(b.w.api("GET", kDemo, "/api/posts/post/versions/1/other", b.token))["code"] == "route.not_found");
  CHECK(errorOf(b.w.api("GET", kDemo, "/api/posts/post/versions/1/restore/x", b.token))["code"] == "route.not_found");

  HttpResponse anonymous = b.w.api("GET", kDemo, "/api/posts/post/versions", "");
  CHECK(anonymous.status == 401);
  CHECK(errorOf(anonymous)["code"] == "auth.missing_token");
  // Another tenant's token sees no post here.
  std::string other = b.w.addTenant("other");
  std::string otherToken = b.w.mintToken(other);
  HttpResponse foreign = b.w.api("GET", kDemo, "/api/posts/post/versions", otherToken);
  CHECK(foreign.status == 404);
  CHECK(errorOf(foreign)["code"] == "tenant.not_found");
  HttpResponse foreignRestore = b.w.api("POST", kDemo, "/api/posts/post/versions/1/restore", otherToken);
  CHECK(foreignRestore.status == 404);

  // None of it changed the post or its history.
  CHECK(b.row(id) == before);
  CHECK(numbers(versions(b, "post")) == std::vector<long long>{1});
}
