// Tenant config through the TenantDO, natively: PUT /api/tenant writes D1 and tells the object;
// the next request at any location sees it; junk hosts never create an object.
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
}  // namespace

TEST_CASE("tenant config: a change is visible on the next request, here and at another location") {
  TestWorld w;
  auto tenant = w.addTenant("demo", "Old Name");
  auto token = w.mintToken(tenant);
  REQUIRE(w.request("GET", kDemo, "/blog").status == 200);
  CHECK(has(w.request("GET", kDemo, "/blog").body, "Old Name"));

  HttpResponse put = w.api("PUT", kDemo, "/api/tenant", token,
                           Json{{"display_name", "New Name"}, {"theme", {{"accent", "#336699"}}}});
  INFO(put.body);
  REQUIRE(put.status == 200);
  CHECK(bodyOf(put)["tenant"]["display_name"] == "New Name");
  CHECK(bodyOf(put)["tenant"]["theme"]["accent"] == "#336699");
  CHECK(jsonInt(bodyOf(put)["tenant"], "config_version") == 2);

  // Here: the write's own stamp is kept, so the next page shows the new name.
  CHECK(has(w.request("GET", kDemo, "/blog").body, "New Name"));
  // Another location (its own, empty Cache API) asks the TenantDO, which already knows: no D1
  // read of the tenant.
  w.cache.clear();
  auto before = w.counters;
  HttpResponse elsewhere = w.request("GET", kDemo, "/blog");
  CHECK(has(elsewhere.body, "New Name"));
  CHECK(has(elsewhere.body, "#336699"));
  CHECK(w.counters["metric.tenant_do.state"] - before["metric.tenant_do.state"] == 1);
  CHECK(w.counters["metric.tenant_do.state_read"] - before["metric.tenant_do.state_read"] == 0);
  CHECK(w.objects.count("tenant:demo") == 1);
}

TEST_CASE("tenant config: the object serves many requests from its SQLite, re-reading D1 after its TTL") {
  TestWorld w({{"BASE_DOMAIN", "localhost"}, {"LATTICE_DEV", "1"}, {"TENANT_STATE_TTL_SECONDS", "300"}});
  w.addTenant("demo", "Demo");
  auto before = w.counters;
  for (int i = 0; i < 5; ++i) {
    w.cache.clear();  // five locations in turn
    REQUIRE(w.request("GET", kDemo, "/blog").status == 200);
  }
  CHECK(w.counters["metric.tenant_do.state"] - before["metric.tenant_do.state"] == 5);
  CHECK(w.counters["metric.tenant_do.state_read"] - before["metric.tenant_do.state_read"] == 1);
  // A change made behind the API's back (an operator in the D1 console) is seen after the TTL.
  w.sql("UPDATE tenants SET display_name = 'Renamed by hand' WHERE subdomain = 'demo'");
  w.now += 301 * 1000;
  w.cache.clear();
  CHECK(has(w.request("GET", kDemo, "/blog").body, "Renamed by hand"));
  CHECK(w.counters["metric.tenant_do.state_read"] - before["metric.tenant_do.state_read"] == 2);
}

TEST_CASE("tenant config: unknown tenants get 404 and never get an object") {
  TestWorld w;
  w.addTenant("demo");
  for (const std::string sub : {"nosuch", "random-1", "random-2"}) {
    CHECK(w.request("GET", sub + ".localhost:8787", "/blog").status == 404);
    HttpResponse ev = w.request("POST", sub + ".localhost:8787", "/api/events",
                                {{"content-type", "application/json"}}, R"({"events":[{"kind":"view"}]})");
    CHECK(ev.status == 404);
    CHECK(errorOf(ev)["code"] == "tenant.not_found");
  }
  CHECK(w.objects.empty());
  CHECK(w.request("GET", kDemo, "/blog").status == 200);
  CHECK(w.objects.size() == 1);
}

TEST_CASE("tenant config: validation errors change nothing") {
  TestWorld w;
  auto tenant = w.addTenant("demo", "Demo");
  auto token = w.mintToken(tenant);
  auto before = w.sql("SELECT * FROM tenants");
  struct Case {
    Json body;
    int status;
    std::string code;
  };
  for (const Case& c : {Case{Json{{"display_name", ""}}, 400, "tenant.display_name_invalid"},
                        Case{Json{{"theme", {{"accent", "red"}}}}, 400, "tenant.theme_invalid"},
                        Case{Json{{"limits", {{"max_draft_bytes", 1}}}}, 400, "tenant.limits_invalid"},
                        Case{Json{{"subdomain", "x"}}, 400, "request.unknown_field"},
                        Case{Json::object(), 400, "tenant.nothing_to_change"}}) {
    HttpResponse r = w.api("PUT", kDemo, "/api/tenant", token, c.body);
    INFO(c.body.dump() << " -> " << r.body);
    CHECK(r.status == c.status);
    CHECK(errorOf(r)["code"] == c.code);
  }
  CHECK(w.api("PUT", kDemo, "/api/tenant", "", Json{{"display_name", "X"}}).status == 401);
  CHECK(w.sql("SELECT * FROM tenants") == before);
  HttpResponse got = w.api("GET", kDemo, "/api/tenant", token);
  CHECK(got.status == 200);
  CHECK(bodyOf(got)["tenant"]["display_name"] == "Demo");
}
