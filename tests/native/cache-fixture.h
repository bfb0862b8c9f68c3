// Small helpers shared by the cache-*-test.cpp files: a blog with one tenant and an owner token
// (posts written through the API), the tenant's stamp read straight from SQLite, and the effect
// counters spent by one piece of work.
#pragma once

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "cache/stamp.h"
#include "test-driver.h"

namespace cachetest {

using lattice::HttpResponse;
using lattice::Json;
using lattice::testing::TestWorld;
using lattice::testing::errorOf;
using lattice::testing::has;

inline const std::string kDemo = "demo.localhost:8787";



struct Blog {
  TestWorld w;
  std::string tenant, token;

  explicit Blog(Json vars = {{"BASE_DOMAIN", "localhost"}, {"LATTICE_DEV", "1"}}) : w(std::move(vars)) {
    tenant = w.addTenant("demo", "Demo Blog");
    token = w.mintToken(tenant);
  }

  // Creates a post through the API and returns it as the API answered. `when` is an ISO time or
  // empty for none. The description is set, so that the markdown's words appear only in the body.
  Json add(const std::string& slug, const std::string& status = "published",
           const std::string& when = "2026-01-01T00:00:00Z", Json tags = Json::array(), std::string markdown = "") {
    Json body = {{"slug", slug},
                 {"title", "Title of " + slug},
                 {"description", "About " + slug},
                 {"markdown", markdown.empty() ? "Body of " + slug : markdown},
                 {"status", status},
                 {"tags", tags.is_array() ? std::move(tags) : Json::array()}};
    if (!when.empty()) body["published_at"] = when;
    HttpResponse r = w.api("POST", kDemo, "/api/posts", token, body);
    INFO(r.body);
    REQUIRE(r.status == 201);
    return (*lattice::parseJson(r.body))["post"];
  }
  // A partial update through the API; must succeed.
  Json put(const std::string& slug, const Json& body) {
    HttpResponse r = w.api("PUT", kDemo, "/api/posts/" + slug, token, body);
    INFO(r.body);
    REQUIRE(r.status == 200);
    return (*lattice::parseJson(r.body))["post"];
  }
  void remove(const std::string& slug) { REQUIRE(w.api("DELETE", kDemo, "/api/posts/" + slug, token).status == 204); }

  HttpResponse get(const std::string& path, std::map<std::string, std::string> headers = {},
                   const std::string& host = kDemo) {
    return w.request("GET", host, path, std::move(headers));
  }

  // The stamp as D1 has it now (what a reader would cache).
  lattice::cache::Stamp stamp(const std::string& subdomain = "demo") {
    lattice::SqlStatement q = lattice::cache::stampQuery(subdomain, w.now);
    return lattice::cache::Stamp::fromRows(w.sql(q.sql, q.params));
  }
  // A write made at another location through the API: D1 changes and the TenantDO is told (as
  // the API's write path does), while this location's Cache API keeps what it had.
  void elsewhere(const std::string& sql, const Json& params = Json::array()) {
    w.sql(sql, params);
    Json row = w.sql("SELECT * FROM tenants WHERE subdomain = 'demo'")[0];
    Json report = {{"stamp", stamp().toJson()}, {"tenant", row}};
    Json request = {{"method", "POST"},
                    {"path", "/state"},
                    {"headers", {{"x-lattice-tenant", tenant}, {"x-lattice-subdomain", "demo"}, {"content-type", "application/json"}}},
                    {"body", report.dump()}};
    REQUIRE(w.callObject("TENANT_DO", "tenant:demo", request).status == 200);
  }
  long long contentVersion() {
    return lattice::jsonInt(w.sql("SELECT content_version FROM tenants WHERE id = ?1", {tenant})[0], "content_version");
  }
  std::string postId(const std::string& slug) {
    return lattice::jsonString(w.sql("SELECT id FROM posts WHERE slug = ?1", {slug})[0], "id");
  }
};

// Effect counters (and metric.* emits) spent since construction.
struct Cost {
  TestWorld& w;
  std::map<std::string, long long> before;
  explicit Cost(TestWorld& world) : w(world), before(world.counters) {}
  long long of(const std::string& name) const {
    auto now = w.counters.find(name);
    auto then = before.find(name);
    return (now == w.counters.end() ? 0 : now->second) - (then == before.end() ? 0 : then->second);
  }
  long long d1() const { return of("d1.query") + of("d1.batch"); }
  long long r2() const { return of("r2.get") + of("r2.head") + of("r2.put"); }
};

// Records every effect performed while it lives (through the fault hook, which it restores).
struct Recorder {
  TestWorld& w;
  std::vector<Json> effects;
  explicit Recorder(TestWorld& world) : w(world) {
    w.fault = [this](const Json& e) -> std::optional<Json> {
      effects.push_back(e);
      return std::nullopt;
    };
  }
  ~Recorder() { w.fault = nullptr; }
  // The D1 queries made, by what each read was for (its `coalesce` name: "stamp:demo", a KV key;
  // "(other)" for reads without one), in order and comma-separated.
  std::string d1Reads() const {
    std::string out;
    for (const auto& e : effects)
      if (lattice::jsonString(e, "kind") == "d1.query")
        out += (out.empty() ? "" : ", ") + lattice::jsonString(e, "coalesce", "(other)");
    return out;
  }
};

}  // namespace cachetest
