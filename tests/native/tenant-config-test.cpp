// The owner's tenant settings (src/blog/tenant-input.h): parseTenantConfig's codes exactly,
// RFC 7396 merges of theme and limits, draftLimitBytes, Tenant::toJson, and
// tenant_sql::updateConfig on the migrated schema (config_version bumped once by the trigger,
// content_version untouched).
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <variant>
#include <vector>

#include "blog/tenant-input.h"
#include "blog/tenant.h"
#include "d1-fixture.h"
#include "sqlite-db.h"

using lattice::ApiError;
using lattice::Json;
using lattice::Tenant;
using lattice::TenantConfigInput;
using lattice::applyTenantConfig;
using lattice::draftLimitBytes;
using lattice::parseTenantConfig;
using lattice::testing::SqliteDb;

namespace {

TenantConfigInput parsed(const Json& body) {
  auto r = parseTenantConfig(body);
  if (auto* e = std::get_if<ApiError>(&r)) FAIL("unexpected error " << e->code << ": " << e->message);
  return std::get<TenantConfigInput>(r);
}

void checkError(const Json& body, const std::string& code, const std::string& field) {
  auto r = parseTenantConfig(body);
  REQUIRE(std::holds_alternative<ApiError>(r));
  const auto& e = std::get<ApiError>(r);
  CHECK(e.status == 400);
  CHECK(e.code == code);
  CHECK(e.field == field);
}

Tenant demo() {
  Tenant t;
  t.id = "t1";
  t.subdomain = "demo";
  t.displayName = "Demo";
  t.description = "About";
  t.tier = "sapling";
  t.theme = {{"accent", "#112233"}, {"font", "serif"}};
  t.limits = {{"max_posts", 1000}};
  t.contentVersion = 70;
  t.configVersion = 4;
  return t;
}

Tenant applied(const Json& body, Tenant t = demo()) { return applyTenantConfig(std::move(t), parsed(body)); }

// D1 with the migrations applied and the demo tenant inserted.
struct D1 : lattice::testing::D1Fixture {
  D1() : D1Fixture(R"(
      INSERT INTO tenants (id, subdomain, display_name, description, tier, theme, limits, created_at, updated_at)
        VALUES ('t1', 'demo', 'Demo', 'About', 'sapling', '{"accent":"#112233","font":"serif"}',
                '{"max_posts":1000}', 0, 0);
    )") {}
  Json run(const lattice::SqlStatement& s) { return db.run(s.sql, s.params); }
  Tenant read() {
    Json r = run(lattice::tenant_sql::bySubdomain("demo"));
    REQUIRE(r["rows"].size() == 1);
    return Tenant::fromRow(r["rows"][0]);
  }
};

}  // namespace

TEST_CASE("tenant config: names are trimmed and replaced, theme and limits merged per RFC 7396") {
  Tenant t = applied({{"display_name", "  Workbench Notes "}, {"description", " New about\n"}});
  CHECK(t.displayName == "Workbench Notes");
  CHECK(t.description == "New about");
  CHECK(t.theme == demo().theme);
  CHECK(t.limits == demo().limits);

  SUBCASE("set a key, keep the others") {
    Tenant s = applied({{"limits", {{"max_draft_bytes", 4096}}}});
    CHECK(s.limits == Json{{"max_posts", 1000}, {"max_draft_bytes", 4096}});
    CHECK(s.displayName == "Demo");
    CHECK(s.theme == demo().theme);
  }
  SUBCASE("replace a key") {
    Tenant s = applied({{"theme", {{"accent", "#abc"}}}});
    CHECK(s.theme == Json{{"accent", "#abc"}, {"font", "serif"}});
  }
  SUBCASE("null removes a key; removing an absent key is no change") {
    Tenant s = applied({{"theme", {{"font", nullptr}}}, {"limits", {{"max_draft_bytes", nullptr}}}});
    CHECK(s.theme == Json{{"accent", "#112233"}});
    CHECK(s.limits == Json{{"max_posts", 1000}});
    Tenant both = applied({{"theme", {{"font", nullptr}, {"accent", nullptr}}}});
    CHECK(both.theme == Json::object());
    CHECK(both.accentColor() == "#2f5d8a");  // the default
    CHECK_FALSE(both.serif());
  }
  SUBCASE("an empty patch changes nothing") {
    CHECK(applied({{"theme", Json::object()}}).theme == demo().theme);
  }
  SUBCASE("ids, tier and versions are not the patch's to change") {
    Tenant s = applied({{"display_name", "X"}});
    CHECK(s.id == "t1");
    CHECK(s.tier == "sapling");
    CHECK(s.contentVersion == 70);
    CHECK(s.configVersion == 4);
  }
  SUBCASE("a new theme on a tenant without one") {
    Tenant bare = demo();
    bare.theme = Json::object();
    CHECK(applied({{"theme", {{"font", "sans"}}}}, bare).theme == Json{{"font", "sans"}});
  }
}

TEST_CASE("tenant config: accepted bounds") {
  CHECK(parsed({{"display_name", std::string(100, 'x')}}).displayName->size() == 100);
  CHECK(parsed({{"display_name", "Caf\xC3\xA9 \xE2\x80\x94 notes"}}).displayName == "Caf\xC3\xA9 \xE2\x80\x94 notes");
  CHECK(parsed({{"description", ""}}).description == "");
  CHECK(parsed({{"description", std::string(500, 'x')}}).description->size() == 500);
  CHECK(parsed({{"theme", {{"accent", "#A1b2C3"}}}}).theme);
  CHECK(parsed({{"limits", {{"max_draft_bytes", 1024}}}}).limits);
  CHECK(parsed({{"limits", {{"max_draft_bytes", 16 * 1024 * 1024}}}}).limits);
  auto none = parsed({{"display_name", "x"}});
  CHECK_FALSE(none.description);
  CHECK_FALSE(none.theme);
  CHECK_FALSE(none.limits);
}

TEST_CASE("tenant config: every error code, exactly") {
  checkError(Json::array(), "request.not_object", "");
  checkError("name", "request.not_object", "");
  checkError(Json::object(), "tenant.nothing_to_change", "");
  checkError({{"tier", "oak"}}, "request.unknown_field", "tier");
  checkError({{"display_name", "x"}, {"subdomain", "y"}}, "request.unknown_field", "subdomain");

  checkError({{"display_name", ""}}, "tenant.display_name_invalid", "display_name");
  checkError({{"display_name", "   \t "}}, "tenant.display_name_invalid", "display_name");
  checkError({{"display_name", std::string(101, 'x')}}, "tenant.display_name_invalid", "display_name");
  checkError({{"display_name", "line\nbreak"}}, "tenant.display_name_invalid", "display_name");
  checkError({{"display_name", "bell\x07"}}, "tenant.display_name_invalid", "display_name");
  checkError({{"display_name", "del\x7F"}}, "tenant.display_name_invalid", "display_name");
  checkError({{"display_name", "c1 \xC2\x85 next line"}}, "tenant.display_name_invalid", "display_name");
  checkError({{"display_name", "bad \xC3\x28"}}, "tenant.display_name_invalid", "display_name");
  checkError({{"display_name", nullptr}}, "tenant.display_name_invalid", "display_name");
  checkError({{"display_name", 5}}, "tenant.display_name_invalid", "display_name");

  checkError({{"description", std::string(501, 'x')}}, "tenant.description_invalid", "description");
  checkError({{"description", nullptr}}, "tenant.description_invalid", "description");
  checkError({{"description", Json::array()}}, "tenant.description_invalid", "description");

  checkError({{"theme", nullptr}}, "tenant.theme_invalid", "theme");
  checkError({{"theme", "dark"}}, "tenant.theme_invalid", "theme");
  checkError({{"theme", {{"accent", "red"}}}}, "tenant.theme_invalid", "theme.accent");
  checkError({{"theme", {{"accent", "#12345"}}}}, "tenant.theme_invalid", "theme.accent");
  checkError({{"theme", {{"accent", "#ggg"}}}}, "tenant.theme_invalid", "theme.accent");
  checkError({{"theme", {{"accent", "#123;}"}}}}, "tenant.theme_invalid", "theme.accent");
  checkError({{"theme", {{"accent", 0x123456}}}}, "tenant.theme_invalid", "theme.accent");
  checkError({{"theme", {{"font", "mono"}}}}, "tenant.theme_invalid", "theme.font");
  checkError({{"theme", {{"font", "Serif"}}}}, "tenant.theme_invalid", "theme.font");
  checkError({{"theme", {{"background", "#fff"}}}}, "tenant.theme_invalid", "theme.background");

  checkError({{"limits", Json::array()}}, "tenant.limits_invalid", "limits");
  checkError({{"limits", {{"max_draft_bytes", 1023}}}}, "tenant.limits_invalid", "limits.max_draft_bytes");
  checkError({{"limits", {{"max_draft_bytes", 16 * 1024 * 1024 + 1}}}}, "tenant.limits_invalid",
             "limits.max_draft_bytes");
  checkError({{"limits", {{"max_draft_bytes", -2048}}}}, "tenant.limits_invalid", "limits.max_draft_bytes");
  checkError({{"limits", {{"max_draft_bytes", 4096.5}}}}, "tenant.limits_invalid", "limits.max_draft_bytes");
  checkError({{"limits", {{"max_draft_bytes", "4096"}}}}, "tenant.limits_invalid", "limits.max_draft_bytes");
  checkError({{"limits", {{"max_draft_bytes", 18446744073709551615ULL}}}}, "tenant.limits_invalid",
             "limits.max_draft_bytes");
  checkError({{"limits", {{"max_posts", 5}}}}, "tenant.limits_invalid", "limits.max_posts");

  // Fields are checked in order: the first bad one is reported.
  checkError({{"display_name", ""}, {"theme", {{"font", "mono"}}}}, "tenant.display_name_invalid", "display_name");
}

TEST_CASE("tenant config: draftLimitBytes is the tenant's limit clamped to the platform's") {
  constexpr size_t kPlatform = 1 << 20;
  Tenant t = demo();
  CHECK(draftLimitBytes(t, kPlatform) == kPlatform);  // no limit set
  t.limits["max_draft_bytes"] = 4096;
  CHECK(draftLimitBytes(t, kPlatform) == 4096);
  t.limits["max_draft_bytes"] = 8 * 1024 * 1024;
  CHECK(draftLimitBytes(t, kPlatform) == kPlatform);
  CHECK(draftLimitBytes(t, 16 * 1024 * 1024) == 8 * 1024 * 1024);
  t.limits["max_draft_bytes"] = kPlatform;
  CHECK(draftLimitBytes(t, kPlatform) == kPlatform);
  for (Json odd : {Json(0), Json(-5), Json("4096"), Json(nullptr), Json(1.5e3)}) {
    t.limits["max_draft_bytes"] = odd;
    CHECK(draftLimitBytes(t, kPlatform) == kPlatform);
  }
  // Through the parse and merge an owner would use.
  CHECK(draftLimitBytes(applied({{"limits", {{"max_draft_bytes", 2048}}}}), kPlatform) == 2048);
}

TEST_CASE("tenant config: toJson is the owner API's view") {
  CHECK(demo().toJson() == Json{{"subdomain", "demo"},
                                {"display_name", "Demo"},
                                {"description", "About"},
                                {"tier", "sapling"},
                                {"theme", {{"accent", "#112233"}, {"font", "serif"}}},
                                {"limits", {{"max_posts", 1000}}},
                                {"config_version", 4}});
}

TEST_CASE("tenant config: updateConfig writes the tenant and bumps config_version once, not content_version") {
  D1 d1;
  Tenant before = d1.read();
  CHECK(before.displayName == "Demo");

  Tenant next = applyTenantConfig(before, parsed({{"display_name", "Workbench"},
                                                  {"description", "Notes, mostly."},
                                                  {"theme", {{"font", nullptr}, {"accent", "#abcdef"}}},
                                                  {"limits", {{"max_draft_bytes", 65536}}}}));
  Json r = d1.run(lattice::tenant_sql::updateConfig(next, 1795000000000));
  REQUIRE(lattice::jsonBool(r, "ok"));
  REQUIRE(r["rows"].size() == 1);
  CHECK(r["rows"][0]["id"] == "t1");

  Tenant after = d1.read();
  CHECK(after.displayName == "Workbench");
  CHECK(after.description == "Notes, mostly.");
  CHECK(after.theme == Json{{"accent", "#abcdef"}});
  CHECK(after.limits == Json{{"max_posts", 1000}, {"max_draft_bytes", 65536}});
  CHECK(after.configVersion == before.configVersion + 1);
  CHECK(after.contentVersion == before.contentVersion);
  CHECK(after.tier == "sapling");
  CHECK(lattice::jsonInt(d1.db.run("SELECT updated_at FROM tenants WHERE id = 't1'", Json::array())["rows"][0],
                         "updated_at") == 1795000000000);

  // Another write: one more bump each time.
  REQUIRE(lattice::jsonBool(d1.run(lattice::tenant_sql::updateConfig(after, 1795000000001)), "ok"));
  CHECK(d1.read().configVersion == before.configVersion + 2);
  CHECK(d1.read().contentVersion == before.contentVersion);

  // An unknown tenant updates nothing and says so.
  Tenant ghost = after;
  ghost.id = "nobody";
  Json none = d1.run(lattice::tenant_sql::updateConfig(ghost, 1795000000002));
  REQUIRE(lattice::jsonBool(none, "ok"));
  CHECK(none["rows"].empty());
}
