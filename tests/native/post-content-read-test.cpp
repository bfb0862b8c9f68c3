// Reading a post's content from D1 or R2 (PostContentDO GET /content and the owner API), always
// checked against content_hash: missing or corrupt R2 objects are clear errors with stable codes,
// logged, never blank content, and the D1 copy serves while it is still there.
#include <doctest/doctest.h>

#include "post-content-fixture.h"

using namespace contenttest;

namespace {

bool logged(const TestWorld& w, const std::string& code) {
  for (const auto& e : w.logs)
    if (jsonString(e, "level") == "error" && jsonString(e["fields"], "code") == code) return true;
  return false;
}

// Moves the post to R2 and drops the D1 copy: R2 alone holds the content.
void onlyInR2(Blog& b, const std::string& id) {
  REQUIRE(b.toR2(id).status == 200);
  HttpResponse cleared = b.clear(id);
  INFO(cleared.body);
  REQUIRE(cleared.status == 200);
  REQUIRE(bodyOf(cleared)["d1_copy"] == "cleared");
  REQUIRE(b.row(id)["markdown"].is_null());
}

}  // namespace

TEST_CASE("content: served from D1 with its version and hash") {
  Blog b;
  const std::string id = b.add("hello", "# Hello\n\nFrom D1.");
  HttpResponse r = b.object(id, "GET", "/content");
  REQUIRE(r.status == 200);
  Json c = bodyOf(r)["content"];
  CHECK(c["markdown"] == "# Hello\n\nFrom D1.");
  CHECK(has(jsonString(c, "html"), "<h1 id=\"hello\">Hello</h1>"));
  CHECK(c["version"] == 1);
  CHECK(c["sha256"] == lattice::sha256Hex("# Hello\n\nFrom D1."));
  CHECK(c["storage_location"] == "d1");
  CHECK(c["source"] == "d1");
  CHECK(b.w.counters["r2.get"] == 0);
}

TEST_CASE("content: served from R2 once moved, and from R2 alone once the D1 copy is cleared") {
  Blog b;
  const std::string id = b.add("moved", "Words that move.");
  REQUIRE(b.toR2(id).status == 200);
  HttpResponse r = b.object(id, "GET", "/content");
  REQUIRE(r.status == 200);
  CHECK(bodyOf(r)["content"]["source"] == "r2");
  CHECK(bodyOf(r)["content"]["storage_location"] == "r2");
  onlyInR2(b, id);
  b.expectReadable(id, "Words that move.");
  CHECK(bodyOf(b.object(id, "GET", "/content"))["content"]["source"] == "r2");
}

TEST_CASE("content: a missing R2 object is content.missing, logged; the D1 copy serves while present") {
  Blog b;
  const std::string id = b.add("lost", "Do not lose me.");
  REQUIRE(b.toR2(id).status == 200);
  const std::string key = jsonString(b.row(id), "r2_key");
  b.w.r2.erase(key);

  HttpResponse fallback = b.object(id, "GET", "/content");
  REQUIRE(fallback.status == 200);
  CHECK(bodyOf(fallback)["content"]["source"] == "d1");
  CHECK(bodyOf(fallback)["content"]["markdown"] == "Do not lose me.");
  CHECK(logged(b.w, "content.missing"));
  CHECK(b.w.counters["metric.content.r2_missing"] == 1);

  // Clearing the D1 copy is refused while R2 does not hold the content: the copy is kept.
  HttpResponse refused = b.clear(id);
  CHECK(refused.status == 500);
  CHECK(errorOf(refused)["code"] == "content.missing");
  CHECK(b.row(id)["markdown"] == "Do not lose me.");

  // Without the D1 copy there is nothing to serve: an error, never blank content.
  b.w.sql("UPDATE posts SET markdown = NULL, html = NULL WHERE id = ?1", {id});
  HttpResponse missing = b.object(id, "GET", "/content");
  CHECK(missing.status == 500);
  CHECK(errorOf(missing)["code"] == "content.missing");
  CHECK_FALSE(has(missing.body, "\"markdown\""));
}

TEST_CASE("content: a corrupt R2 object (hash or version mismatch, not JSON) is content.corrupt") {
  Blog b;
  const std::string id = b.add("rotten", "Pristine text.");
  onlyInR2(b, id);
  const std::string key = jsonString(b.row(id), "r2_key");
  const std::string good = b.w.r2[key];

  SUBCASE("markdown changed") {
    Json o = *lattice::parseJson(good);
    o["markdown"] = "Tampered text.";
    b.w.r2[key] = o.dump();
  }
  SUBCASE("another version's object") {
    Json o = *lattice::parseJson(good);
    o["version"] = 7;
    b.w.r2[key] = o.dump();
  }
  SUBCASE("not JSON") { b.w.r2[key] = "\x1f\x8b garbage"; }
  SUBCASE("empty") { b.w.r2[key] = ""; }

  HttpResponse r = b.object(id, "GET", "/content");
  CHECK(r.status == 500);
  CHECK(errorOf(r)["code"] == "content.corrupt");
  CHECK(logged(b.w, "content.corrupt"));
  CHECK(b.w.counters["metric.content.r2_corrupt"] == 1);
  // The owner API says the same rather than showing an empty post.
  HttpResponse api = b.w.api("GET", kDemo, "/api/posts/rotten", b.token);
  CHECK(api.status == 500);
  CHECK(errorOf(api)["code"] == "content.corrupt");
}

TEST_CASE("content: a corrupt R2 object with the D1 copy still there serves the D1 copy") {
  Blog b;
  const std::string id = b.add("backup", "Kept twice.");
  REQUIRE(b.toR2(id).status == 200);
  const std::string key = jsonString(b.row(id), "r2_key");
  Json o = *lattice::parseJson(b.w.r2[key]);
  o["markdown"] = "Kept once.";
  b.w.r2[key] = o.dump();
  HttpResponse r = b.object(id, "GET", "/content");
  REQUIRE(r.status == 200);
  CHECK(bodyOf(r)["content"]["markdown"] == "Kept twice.");
  CHECK(bodyOf(r)["content"]["source"] == "d1");
  CHECK(logged(b.w, "content.corrupt"));
}

TEST_CASE("content: D1 content that does not match content_hash is content.corrupt") {
  Blog b;
  const std::string id = b.add("edited-by-hand", "Original.");
  b.w.sql("UPDATE posts SET markdown = 'Changed behind our back.' WHERE id = ?1", {id});
  HttpResponse r = b.object(id, "GET", "/content");
  CHECK(r.status == 500);
  CHECK(errorOf(r)["code"] == "content.corrupt");
  b.w.sql("UPDATE posts SET markdown = NULL WHERE id = ?1", {id});
  CHECK(errorOf(b.object(id, "GET", "/content"))["code"] == "content.missing");
}

TEST_CASE("content: R2 unreachable is 503 storage.unavailable, or the D1 copy when there is one") {
  Blog b;
  const std::string id = b.add("far", "Far away.");
  REQUIRE(b.toR2(id).status == 200);
  b.w.fault = [](const Json& e) -> std::optional<Json> {
    if (jsonString(e, "kind") == "r2.get") return Json{{"ok", false}, {"error", "R2 is down"}};
    return std::nullopt;
  };
  HttpResponse withCopy = b.object(id, "GET", "/content");
  REQUIRE(withCopy.status == 200);
  CHECK(bodyOf(withCopy)["content"]["source"] == "d1");
  b.w.sql("UPDATE posts SET markdown = NULL, html = NULL WHERE id = ?1", {id});
  HttpResponse down = b.object(id, "GET", "/content");
  CHECK(down.status == 503);
  CHECK(errorOf(down)["code"] == "storage.unavailable");
}

TEST_CASE("content: the owner API reads content that only R2 holds, and a save brings it back to D1") {
  Blog b;
  const std::string id = b.add("essay", "# Essay\n\nThe whole argument.", "Essay");
  onlyInR2(b, id);
  HttpResponse got = b.w.api("GET", kDemo, "/api/posts/essay", b.token);
  REQUIRE(got.status == 200);
  CHECK(bodyOf(got)["post"]["markdown"] == "# Essay\n\nThe whole argument.");
  CHECK(has(jsonString(bodyOf(got)["post"], "html"), "The whole argument."));
  CHECK(bodyOf(got)["post"]["storage_location"] == "r2");

  // A save that does not send markdown (a title change) starts from the content in R2.
  Json saved = b.put("essay", Json{{"title", "Essay, retitled"}});
  CHECK(saved["version"] == 2);
  CHECK(saved["markdown"] == "# Essay\n\nThe whole argument.");
  CHECK(saved["storage_location"] == "d1");
  Json row = b.row(id);
  CHECK(row["storage_location"] == "d1");
  CHECK(row["r2_key"].is_null());
  CHECK(row["markdown"] == "# Essay\n\nThe whole argument.");
  CHECK(row["content_hash"] == lattice::sha256Hex("# Essay\n\nThe whole argument."));
  CHECK(has(jsonString(row, "html"), "The whole argument."));
  CHECK(has(b.w.request("GET", kDemo, "/blog/essay").body, "The whole argument."));

  // A save with markdown in R2 needs no read: the new text replaces it, back in D1.
  onlyInR2(b, id);
  Json replaced = b.put("essay", Json{{"markdown", "New argument."}});
  CHECK(replaced["storage_location"] == "d1");
  CHECK(b.row(id)["r2_key"].is_null());
  b.expectReadable(id, "New argument.");
}

TEST_CASE("content: a save of a post whose R2 object is gone fails with content.missing and changes nothing") {
  Blog b;
  const std::string id = b.add("fragile", "Irreplaceable.");
  onlyInR2(b, id);
  const Json before = b.row(id);
  b.w.r2.clear();
  HttpResponse r = b.w.api("PUT", kDemo, "/api/posts/fragile", b.token, Json{{"title", "New title"}});
  CHECK(r.status == 500);
  CHECK(errorOf(r)["code"] == "content.missing");
  CHECK(b.row(id) == before);
  CHECK(jsonString(b.w.sql("SELECT title FROM posts WHERE id = ?1", {id})[0], "title") == "Title of fragile");
}

TEST_CASE("content: the object's own errors") {
  Blog b;
  const std::string id = b.add("one", "One.");
  Json bare = {{"method", "GET"}, {"path", "/content"}, {"headers", Json::object()}};
  HttpResponse anonymous = b.w.callObject("POST_CONTENT_DO", b.objectName(id), bare);
  CHECK(anonymous.status == 400);
  CHECK(errorOf(anonymous)["code"] == "object.post_missing");
  Json slashy = {{"method", "GET"},
                 {"path", "/content"},
                 {"headers", {{"x-lattice-tenant", b.tenant + "/p/x"}, {"x-lattice-post", id}}}};
  CHECK(errorOf(b.w.callObject("POST_CONTENT_DO", b.objectName(id), slashy))["code"] == "object.post_missing");
  Json other = {{"method", "GET"},
                {"path", "/content"},
                {"headers", {{"x-lattice-tenant", b.tenant}, {"x-lattice-post", id}}}};
  HttpResponse mismatch = b.w.callObject("POST_CONTENT_DO", b.objectName("p_someone_else"), other);
  CHECK(mismatch.status == 400);
  CHECK(errorOf(mismatch)["code"] == "object.identity_mismatch");

  HttpResponse unknown = b.object("p_nothing", "GET", "/content");
  CHECK(unknown.status == 404);
  CHECK(errorOf(unknown)["code"] == "post.not_found");
  CHECK(errorOf(b.object(id, "GET", "/nowhere"))["code"] == "route.not_found");
  HttpResponse wrongMethod = b.object(id, "PUT", "/content", Json::object());
  CHECK(wrongMethod.status == 405);
  CHECK(errorOf(wrongMethod)["code"] == "request.method_not_allowed");
  // Another tenant's post is not this tenant's, whatever the id.
  std::string otherTenant = b.w.addTenant("other");
  Json foreign = {{"method", "GET"},
                  {"path", "/content"},
                  {"headers", {{"x-lattice-tenant", otherTenant}, {"x-lattice-post", id}}}};
  HttpResponse crossTenant =
      b.w.callObject("POST_CONTENT_DO", lattice::postContentObjectName(otherTenant, id), foreign);
  CHECK(crossTenant.status == 404);
  CHECK(errorOf(crossTenant)["code"] == "post.not_found");
}
