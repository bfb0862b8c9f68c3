// Shared by the post-content-*-test.cpp files: a blog with an owner token whose posts are written
// through the API, direct calls to a post's PostContentDO (as the Worker or the migrator makes
// them), the post's D1 row, its R2 objects, and a crash injected right after the Nth storage step.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>

#include "core/sha256.h"
#include "durable/post-content.h"
#include "cache-fixture.h"
#include "test-driver.h"

namespace contenttest {

using lattice::HttpResponse;
using lattice::Json;
using lattice::jsonInt;
using lattice::jsonString;
using lattice::testing::bodyOf;
using lattice::testing::errorOf;
using lattice::testing::has;
using lattice::testing::TestWorld;

inline const std::string kDemo = "demo.localhost:8787";

// The cache tests' blog (a "demo" tenant with an owner token, put()), with posts added by their
// markdown and helpers for the post's PostContentDO.
struct Blog : cachetest::Blog {
  using cachetest::Blog::Blog;

  // Creates a published post through the API; returns its id.
  std::string add(const std::string& slug, const std::string& markdown, const std::string& title = "") {
    Json body = {{"slug", slug},
                 {"title", title.empty() ? "Title of " + slug : title},
                 {"markdown", markdown},
                 {"status", "published"}};
    HttpResponse r = w.api("POST", kDemo, "/api/posts", token, body);
    INFO(r.body);
    REQUIRE(r.status == 201);
    return jsonString(bodyOf(r)["post"], "id");
  }

  std::string objectName(const std::string& postId) const {
    return lattice::postContentObjectName(tenant, postId);
  }
  // An internal request to the post's PostContentDO.
  HttpResponse object(const std::string& postId, const std::string& method, const std::string& path,
                      const std::optional<Json>& body = std::nullopt) {
    Json headers = {{"x-lattice-tenant", tenant}, {"x-lattice-post", postId}};
    if (body) headers["content-type"] = "application/json";
    Json request = {{"method", method}, {"path", path}, {"headers", headers}};
    if (body) request["body"] = body->dump();
    return w.callObject("POST_CONTENT_DO", objectName(postId), request);
  }
  HttpResponse toR2(const std::string& postId, const Json& body = Json::object()) {
    return object(postId, "POST", "/migrate/r2", body);
  }
  HttpResponse toD1(const std::string& postId) { return object(postId, "POST", "/migrate/d1", Json::object()); }
  HttpResponse clear(const std::string& postId, long long graceSeconds = 0) {
    return object(postId, "POST", "/migrate/clear", Json{{"grace_seconds", graceSeconds}});
  }

  // The post's D1 row (content columns).
  Json row(const std::string& postId) {
    Json rows = w.sql("SELECT version, storage_location, r2_key, content_hash, markdown, html FROM posts WHERE id = ?1",
                      {postId});
    REQUIRE(rows.size() == 1);
    return rows[0];
  }
  std::string key(const std::string& postId) {
    Json r = row(postId);
    return lattice::contentKey(tenant, postId, jsonInt(r, "version"), jsonString(r, "content_hash"));
  }
  // The content as the object serves it; must be readable, with markdown `expected` whose hash
  // is the post's content_hash.
  void expectReadable(const std::string& postId, const std::string& expected) {
    HttpResponse r = object(postId, "GET", "/content");
    INFO(r.body);
    REQUIRE(r.status == 200);
    Json c = bodyOf(r)["content"];
    CHECK(c["markdown"] == expected);
    CHECK(c["sha256"] == lattice::sha256Hex(expected));
    CHECK(c["sha256"] == row(postId)["content_hash"]);
    CHECK_FALSE(jsonString(c, "html").empty());
  }
  // R2 objects under this post's prefix.
  int r2Objects(const std::string& postId) {
    int n = 0;
    const std::string prefix = "t/" + tenant + "/p/" + postId + "/";
    for (const auto& [k, v] : w.r2)
      if (k.rfind(prefix, 0) == 0) ++n;
    return n;
  }
};

// The `n`th storage effect (d1.* or r2.*, counted from 1) is performed and then reported as
// failed: the event dies right after that step, as in a crash. Counts from the next effect on.
inline void crashAfter(TestWorld& w, int n) {
  auto seen = std::make_shared<int>(0);
  w.fault = [&w, n, seen](const Json& e) -> std::optional<Json> {
    const std::string kind = jsonString(e, "kind");
    if (kind.rfind("d1.", 0) != 0 && kind.rfind("r2.", 0) != 0) return std::nullopt;
    if (++*seen != n) return std::nullopt;
    w.perform(e, "");  // re-enters this hook, which lets it through (seen is past n now)
    return Json{{"ok", false}, {"error", "crashed after this step"}};
  };
}

}  // namespace contenttest
