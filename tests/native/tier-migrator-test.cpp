// The tier migrator (src/tiers/migrator.h) end to end through the native driver: the cron event
// and POST /api/admin/migrate, moves through the PostContentDO, the cursor, the lease, the clear
// queue, and faults: a crash after each storage step then a rerun, an edit racing a move, two
// runs at once, R2 or D1 failing mid-batch, and a dry run that changes nothing.
#include <doctest/doctest.h>

#include <memory>
#include <set>

#include "core/sha256.h"
#include "durable/post-content.h"
#include "test-driver.h"
#include "tiers/migrator.h"

using lattice::HttpResponse;
using lattice::Json;
using lattice::jsonInt;
using lattice::jsonString;
using lattice::sha256Hex;
using lattice::testing::bodyOf;
using lattice::testing::errorOf;
using lattice::testing::has;
using lattice::testing::TestWorld;

namespace {

const std::string kHost = "demo.localhost:8787";
const std::string kOperator = "operator-secret-for-tests";
constexpr long long kDay = 24LL * 60 * 60 * 1000;

Json varsWith(Json extra = Json::object()) {
  Json v = {{"BASE_DOMAIN", "localhost"},
            {"LATTICE_DEV", "1"},
            {"TIER_GRACE_SECONDS", "0"},
            {"TIER_MIGRATION", "on"},
            {"OPERATOR_TOKEN_SHA256", sha256Hex(kOperator)}};
  for (auto& [k, val] : extra.items()) v[k] = val;
  return v;
}

struct Catalog {
  TestWorld w;
  std::string tenant, token;
  std::map<std::string, std::string> ids, texts;  // by slug

  explicit Catalog(Json vars = varsWith()) : w(std::move(vars)) {
    tenant = w.addTenant("demo", "Demo");
    token = w.mintToken(tenant);
  }

  // A published post through the API, then aged: published `ageDays` ago, last edited
  // `editedDaysAgo` ago, `viewsPerDay` measured just now.
  std::string add(const std::string& slug, int ageDays, int editedDaysAgo, long long viewsPerDay = 0,
                  const std::string& status = "published") {
    const std::string text = "# " + slug + "\n\nThe text of " + slug + ", with ünïcödé.";
    Json body = {{"slug", slug}, {"title", "Title " + slug}, {"markdown", text}, {"status", status}};
    HttpResponse r = w.api("POST", kHost, "/api/posts", token, body);
    INFO(r.body);
    REQUIRE(r.status == 201);
    const std::string id = jsonString(bodyOf(r)["post"], "id");
    w.sql("UPDATE posts SET published_at = ?2, updated_at = ?3, views_30d = ?4, views_30d_at = ?5 WHERE id = ?1",
          {id, w.now - ageDays * kDay, w.now - editedDaysAgo * kDay, viewsPerDay * 30, w.now});
    ids[slug] = id;
    texts[slug] = text;
    return id;
  }

  HttpResponse migrate(bool dryRun = false) {
    return w.request("POST", kHost, dryRun ? "/api/admin/migrate?dry_run=1" : "/api/admin/migrate",
                     {{"authorization", "Bearer " + kOperator}});
  }
  Json summary(const HttpResponse& r) {
    INFO(r.body);
    REQUIRE(r.status == 200);
    return bodyOf(r)["summary"];
  }

  Json row(const std::string& slug) {
    Json rows = w.sql(
        "SELECT version, storage_location, r2_key, content_hash, markdown, html, tier, content_bytes FROM posts WHERE slug = ?1",
        {slug});
    REQUIRE(rows.size() == 1);
    return rows[0];
  }
  std::string location(const std::string& slug) { return jsonString(row(slug), "storage_location"); }

  // Readable with the right hash from what storage holds right now, as a read would serve it:
  // D1's copy when the content is in D1 (or still there in R2's grace period), else the R2
  // object at r2_key, checked against content_hash. Reads storage directly, so it may run at any
  // moment, even inside a fault hook in the middle of a move.
  bool readableNow(const std::string& slug, const std::string& expected) {
    Json r = row(slug);
    const std::string hash = jsonString(r, "content_hash");
    if (hash != sha256Hex(expected)) return false;
    if (r["markdown"].is_string() && sha256Hex(jsonString(r, "markdown")) == hash && r["html"].is_string()) return true;
    if (jsonString(r, "storage_location") == "d1" || !r["r2_key"].is_string()) return false;
    auto it = w.r2.find(jsonString(r, "r2_key"));
    if (it == w.r2.end()) return false;
    auto o = lattice::parseJson(it->second);
    return o && jsonString(*o, "sha256") == hash && sha256Hex(jsonString(*o, "markdown")) == hash &&
           jsonInt(*o, "version") == jsonInt(r, "version");
  }
  // Through the PostContentDO, as the Worker reads it.
  void expectServed(const std::string& slug) {
    Json headers = {{"x-lattice-tenant", tenant}, {"x-lattice-post", ids[slug]}};
    Json request = {{"method", "GET"}, {"path", "/content"}, {"headers", headers}};
    HttpResponse r = w.callObject("POST_CONTENT_DO", lattice::postContentObjectName(tenant, ids[slug]), request);
    INFO(slug << ": " << r.body);
    REQUIRE(r.status == 200);
    CHECK(bodyOf(r)["content"]["markdown"] == texts[slug]);
    CHECK(bodyOf(r)["content"]["sha256"] == sha256Hex(texts[slug]));
  }
  int r2Objects(const std::string& slug) {
    int n = 0;
    const std::string prefix = "t/" + tenant + "/p/" + ids[slug] + "/";
    for (const auto& [k, v] : w.r2)
      if (k.rfind(prefix, 0) == 0) ++n;
    return n;
  }
  // No garbage anywhere: each post in R2 has exactly its one object and no D1 copy, each post in
  // D1 has no object, and nothing waits to be cleared.
  void expectNoOrphans() {
    for (const auto& [slug, id] : ids) {
      CAPTURE(slug);
      Json r = row(slug);
      if (jsonString(r, "storage_location") == "d1") {
        CHECK(r2Objects(slug) == 0);
      } else {
        CHECK(r2Objects(slug) == 1);
        CHECK(w.r2.count(jsonString(r, "r2_key")) == 1);
        CHECK(r["markdown"].is_null());
      }
    }
    CHECK(w.count("tier_clears") == 0);
  }
  int logsSaying(const std::string& message) {
    int n = 0;
    for (const auto& l : w.logs)
      if (jsonString(l, "message") == message) ++n;
    return n;
  }
};

// Everything a run could change: every D1 table, KV, R2, the Cache API, and every Durable
// Object's SQLite.
Json snapshot(TestWorld& w) {
  Json s = Json::object();
  for (const auto& t : w.sql("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")) {
    const std::string name = jsonString(t, "name");
    s["d1"][name] = w.sql("SELECT * FROM \"" + name + "\" ORDER BY 1");
  }
  for (const auto& [k, v] : w.kv) s["kv"][k] = v.value;
  for (const auto& [k, v] : w.r2) s["r2"][k] = v;
  for (const auto& [k, v] : w.cache) s["cache"][k] = v.value;
  for (const auto& [name, db] : w.objects) {
    for (const auto& t : w.objectSql(name, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")) {
      const std::string table = jsonString(t, "name");
      s["objects"][name][table] = w.objectSql(name, "SELECT * FROM \"" + table + "\" ORDER BY 1");
    }
  }
  return s;
}

}  // namespace

TEST_CASE("tier migrator: one run places every post by the policy, clears old copies, logs each move") {
  Catalog c;
  c.add("fresh", 3, 3);                  // HOT: new
  c.add("quiet", 90, 60, 2);             // WARM
  c.add("idle", 500, 400, 0);            // COLD
  c.add("gone-by", 60, 40, 0, "archived");  // COLD: archived
  c.add("famous", 200, 100, 250);        // POPULAR
  c.add("busy", 90, 60, 40);             // HOT: read too much to leave D1
  const long long contentVersion = jsonInt(c.w.sql("SELECT content_version FROM tenants")[0], "content_version");
  // A KV entry of a post that moves is dropped.
  c.w.kv["post:" + c.tenant + ":quiet"] = {Json("cached"), 0};

  Json s = c.summary(c.migrate());
  CHECK(s["dry_run"] == false);
  CHECK(s["trigger"] == "api");
  CHECK(s["examined"] == 6);
  CHECK(s["moved_to_r2"] == 2);
  CHECK(s["archived"] == 2);
  CHECK(s["moved_to_d1"] == 0);
  CHECK(s["errors"] == 0);
  CHECK(s["pass_complete"] == true);
  CHECK(s["cleared_d1_copies"] == 4);  // grace 0 in this test: cleared in the same run
  long long moved = 0;
  for (const char* slug : {"quiet", "idle", "gone-by", "famous"}) moved += jsonInt(c.row(slug), "content_bytes");
  CHECK(s["bytes_moved"] == moved);
  CHECK(s["would_save_bytes"] == moved);
  CHECK(s["bytes_in_r2"] == moved);
  CHECK(s["bytes_in_d1"] == jsonInt(c.row("fresh"), "content_bytes") + jsonInt(c.row("busy"), "content_bytes"));

  CHECK(c.location("fresh") == "d1");
  CHECK(c.location("busy") == "d1");
  CHECK(c.location("quiet") == "r2");
  CHECK(c.row("quiet")["tier"] == "warm");
  CHECK(c.location("famous") == "r2");
  CHECK(c.row("famous")["tier"] == "popular");
  CHECK(c.location("idle") == "r2_archived");
  CHECK(c.location("gone-by") == "r2_archived");
  CHECK(c.w.kv.count("post:" + c.tenant + ":quiet") == 0);
  // Moves are not edits: no version bump, no cache invalidation by version.
  CHECK(c.row("quiet")["version"] == 1);
  CHECK(jsonInt(c.w.sql("SELECT content_version FROM tenants")[0], "content_version") == contentVersion);
  for (const auto& [slug, id] : c.ids) c.expectServed(slug);
  c.expectNoOrphans();

  // One log line per move, plus the summary.
  CHECK(c.logsSaying("tier move") == 4);
  CHECK(c.logsSaying("tier migration summary") == 1);
  Json moves = bodyOf(c.migrate())["moves"];
  CHECK(moves.empty());  // a second run finds everything in place
  for (const auto& l : c.w.logs)
    if (jsonString(l, "message") == "tier move" && jsonString(l["fields"], "slug") == "famous") {
      CHECK(l["fields"]["from"] == "hot");
      CHECK(l["fields"]["to"] == "popular");
      CHECK(l["fields"]["reason"] == "popular");
      CHECK(l["fields"]["result"] == "moved");
      CHECK(l["fields"]["from_location"] == "d1");
      CHECK(l["fields"]["to_location"] == "r2");
    }
}

TEST_CASE("tier migrator: the cron event runs it") {
  Catalog c;
  c.add("quiet", 90, 60, 2);
  HttpResponse r = c.w.scheduled("0 2 * * *");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(bodyOf(r)["summary"]["trigger"] == "cron");
  CHECK(c.location("quiet") == "r2");
  // No HTTP request can pose as the cron event.
  HttpResponse fake = c.w.request("POST", kHost, "/__scheduled");
  CHECK(fake.status != 200);
  CHECK_FALSE(has(fake.body, "summary"));
}

TEST_CASE("tier migrator: on by default; TIER_MIGRATION off: the cron and the API only plan") {
  CHECK(lattice::Config::fromVars(Json::object()).tierMigration);
  CHECK(lattice::Config::fromVars({{"TIER_MIGRATION", "sometimes"}}).tierMigration);
  CHECK_FALSE(lattice::Config::fromVars({{"TIER_MIGRATION", "OFF"}}).tierMigration);
  Catalog c(varsWith({{"TIER_MIGRATION", "off"}}));
  c.add("quiet", 90, 60, 2);
  const Json before = snapshot(c.w);
  HttpResponse cron = c.w.scheduled();
  REQUIRE(cron.status == 200);
  CHECK(bodyOf(cron)["summary"]["dry_run"] == true);
  CHECK(bodyOf(cron)["moves"].size() == 1);
  HttpResponse real = c.migrate();
  CHECK(real.status == 409);
  CHECK(errorOf(real)["code"] == "migrate.disabled");
  CHECK(c.summary(c.migrate(true))["moved_to_r2"] == 1);
  CHECK(snapshot(c.w) == before);
}

TEST_CASE("tier migrator: POST /api/admin/migrate needs the operator token") {
  SUBCASE("not configured: the route does not exist") {
    TestWorld w;
    HttpResponse r = w.request("POST", kHost, "/api/admin/migrate", {{"authorization", "Bearer " + kOperator}});
    CHECK(r.status == 404);
    CHECK(errorOf(r)["code"] == "route.not_found");
  }
  SUBCASE("configured") {
    Catalog c;
    c.add("quiet", 90, 60, 2);
    HttpResponse none = c.w.request("POST", kHost, "/api/admin/migrate");
    CHECK(none.status == 401);
    CHECK(errorOf(none)["code"] == "auth.missing_token");
    HttpResponse wrong = c.w.request("POST", kHost, "/api/admin/migrate", {{"authorization", "Bearer nope"}});
    CHECK(wrong.status == 401);
    CHECK(errorOf(wrong)["code"] == "auth.invalid_token");
    // An owner token is not an operator token.
    HttpResponse owner = c.w.request("POST", kHost, "/api/admin/migrate", {{"authorization", "Bearer " + c.token}});
    CHECK(owner.status == 401);
    HttpResponse get = c.w.request("GET", kHost, "/api/admin/migrate", {{"authorization", "Bearer " + kOperator}});
    CHECK(get.status == 405);
    CHECK(get.header("allow") == "POST");
    HttpResponse bad = c.w.request("POST", kHost, "/api/admin/migrate?dry_run=maybe",
                                   {{"authorization", "Bearer " + kOperator}});
    CHECK(bad.status == 400);
    CHECK(errorOf(bad)["code"] == "request.invalid_query");
    CHECK(c.location("quiet") == "d1");  // none of these changed anything
    CHECK(has(none.header("cache-control"), "no-store"));
    // Another run holds the lease: 409, nothing done.
    c.w.sql("UPDATE tier_migrator SET lease_token = 'other', lease_until = ?1", {c.w.now + 60000});
    HttpResponse busy = c.migrate();
    CHECK(busy.status == 409);
    CHECK(errorOf(busy)["code"] == "migrate.busy");
    CHECK(c.location("quiet") == "d1");
    // Also on the bare domain.
    c.w.sql("UPDATE tier_migrator SET lease_token = NULL, lease_until = 0");
    HttpResponse ok = c.w.request("POST", "localhost:8787", "/api/admin/migrate", {{"authorization", "Bearer " + kOperator}});
    CHECK(ok.status == 200);
    CHECK(c.location("quiet") == "r2");
  }
}

TEST_CASE("tier migrator: a dry run plans the same moves and changes nothing anywhere") {
  Catalog c(varsWith({{"TIER_GRACE_SECONDS", "3600"}}));
  c.add("fresh", 3, 3);
  c.add("quiet", 90, 60, 2);
  c.add("idle", 500, 400, 0);
  c.add("famous", 200, 100, 250);
  // Something already in R2 that should come back, and a clear already queued.
  c.add("back", 90, 60, 2);
  Json first = c.summary(c.migrate());
  REQUIRE(first["moved_to_r2"] == 3);
  REQUIRE(first["archived"] == 1);
  c.w.sql("UPDATE posts SET views_30d = 900 WHERE slug = 'back'");  // 30/day: back to HOT
  c.w.now += 2 * 3600 * 1000;                                       // the first run's clears are due
  c.add("later", 120, 100, 0);                                       // WARM, new since
  c.w.sql("UPDATE tier_migrator SET cursor = ''");

  const Json before = snapshot(c.w);
  const auto logsBefore = c.w.logs.size();
  const long long objectCalls = c.w.counters["do.call"];
  HttpResponse dry = c.migrate(true);
  Json s = c.summary(dry);
  CHECK(snapshot(c.w) == before);
  CHECK(s["dry_run"] == true);
  CHECK(s["moved_to_r2"] == 1);
  CHECK(s["moved_to_d1"] == 1);
  CHECK(s["clears_due"] == 4);
  CHECK(s["would_save_bytes"] == jsonInt(c.row("later"), "content_bytes") - jsonInt(c.row("back"), "content_bytes"));
  Json planned = bodyOf(dry)["moves"];
  REQUIRE(planned.size() == 2);
  for (const auto& m : planned) CHECK(m["result"] == "planned");
  CHECK(c.w.logs.size() > logsBefore);  // it logs its plan like a run does
  CHECK(c.w.counters["do.call"] == objectCalls);

  // The real run does what the dry run said.
  HttpResponse real = c.migrate();
  Json moves = bodyOf(real)["moves"];
  REQUIRE(moves.size() == planned.size());
  for (size_t i = 0; i < moves.size(); ++i) {
    CHECK(moves[i]["post"] == planned[i]["post"]);
    CHECK(moves[i]["to_location"] == planned[i]["to_location"]);
    CHECK(moves[i]["result"] == "moved");
  }
  CHECK(c.location("back") == "d1");
  CHECK(c.location("later") == "r2");
}

TEST_CASE("tier migrator: a crash after each storage step of a run, then a rerun: always readable, finished, no orphans") {
  // Count the storage steps of a clean run first.
  int steps = 0;
  {
    Catalog c;
    c.add("quiet", 90, 60, 2);
    c.add("idle", 500, 400, 0);
    c.w.fault = [&steps](const Json& e) -> std::optional<Json> {
      const std::string kind = jsonString(e, "kind");
      if (kind.rfind("d1.", 0) == 0 || kind.rfind("r2.", 0) == 0) ++steps;
      return std::nullopt;
    };
    REQUIRE(c.summary(c.migrate())["errors"] == 0);
  }
  REQUIRE(steps > 10);
  for (int n = 1; n <= steps; ++n) {
    CAPTURE(n);
    Catalog c;
    c.add("quiet", 90, 60, 2);
    c.add("idle", 500, 400, 0);
    // The `n`th storage step is performed, then reported failed: the event dies there. After
    // every step, every post must be readable with its hash.
    auto seen = std::make_shared<int>(0);
    bool alwaysReadable = true;
    c.w.fault = [&c, n, seen, &alwaysReadable](const Json& e) -> std::optional<Json> {
      const std::string kind = jsonString(e, "kind");
      if (kind.rfind("d1.", 0) != 0 && kind.rfind("r2.", 0) != 0) return std::nullopt;
      const int k = ++*seen;
      Json result = c.w.perform(e, "");  // re-enters: lets it through (the hook skips nested calls below)
      for (const char* slug : {"quiet", "idle"}) alwaysReadable = alwaysReadable && c.readableNow(slug, c.texts[slug]);
      if (k == n) return Json{{"ok", false}, {"error", "crashed after this step"}};
      return result;
    };
    // perform() calls the hook again for the same effect; count only the outer call.
    auto inner = c.w.fault;
    auto depth = std::make_shared<int>(0);
    c.w.fault = [inner, depth](const Json& e) -> std::optional<Json> {
      if (*depth > 0) return std::nullopt;
      ++*depth;
      auto r = inner(e);
      --*depth;
      return r;
    };
    HttpResponse crashed = c.migrate();
    c.w.fault = nullptr;
    CHECK(alwaysReadable);
    for (const char* slug : {"quiet", "idle"}) {
      CHECK(c.readableNow(slug, c.texts[slug]));
      c.expectServed(slug);
    }
    // The rerun (after any lease the crash left has lapsed) completes every move, and its
    // garbage-collection pass leaves no orphan.
    c.w.now += lattice::tiers::kRunLeaseMs + 1;
    Json s = c.summary(c.migrate());
    CHECK(s["errors"] == 0);
    CHECK(c.location("quiet") == "r2");
    CHECK(c.location("idle") == "r2_archived");
    CHECK(c.row("quiet")["tier"] == "warm");
    for (const char* slug : {"quiet", "idle"}) c.expectServed(slug);
    c.expectNoOrphans();
  }
}

TEST_CASE("tier migrator: an edit racing a migration wins and nothing is lost") {
  SUBCASE("the edit lands between the object's R2 write and its pointer swap") {
    Catalog c;
    c.add("quiet", 90, 60, 2);
    const std::string edited = "# quiet\n\nEdited while the migrator was moving it.";
    bool done = false;
    c.w.fault = [&](const Json& e) -> std::optional<Json> {
      if (done || jsonString(e, "kind") != "r2.put") return std::nullopt;
      done = true;
      REQUIRE(c.w.api("PUT", kHost, "/api/posts/quiet", c.token, Json{{"markdown", edited}}).status == 200);
      return std::nullopt;
    };
    Json s = c.summary(c.migrate());
    c.w.fault = nullptr;
    REQUIRE(done);
    CHECK(s["conflicts"] == 1);
    CHECK(s["moved_to_r2"] == 0);
    CHECK(s["errors"] == 0);
    Json row = c.row("quiet");
    CHECK(row["version"] == 2);
    CHECK(row["storage_location"] == "d1");
    CHECK(row["markdown"] == edited);
    c.texts["quiet"] = edited;
    c.expectServed("quiet");
    // The stale object the lost move wrote was queued for clearing: gone after GC.
    CHECK(c.r2Objects("quiet") == 0);
    c.expectNoOrphans();
  }
  SUBCASE("the edit lands after the scan, before the move: the move's key is stale") {
    Catalog c;
    c.add("quiet", 90, 60, 2);
    bool done = false;
    c.w.fault = [&](const Json& e) -> std::optional<Json> {
      if (done || jsonString(e, "kind") != "do.call" || !has(e.dump(), "/migrate/r2")) return std::nullopt;
      done = true;
      REQUIRE(c.w.api("PUT", kHost, "/api/posts/quiet", c.token, Json{{"title", "Renamed meanwhile"}}).status == 200);
      return std::nullopt;
    };
    Json s = c.summary(c.migrate());
    c.w.fault = nullptr;
    REQUIRE(done);
    CHECK(s["conflicts"] == 1);
    CHECK(c.location("quiet") == "d1");
    CHECK(c.row("quiet")["version"] == 2);
    CHECK(c.r2Objects("quiet") == 0);  // the object refused the stale key before writing anything
    c.expectServed("quiet");
  }
  SUBCASE("an edit of a post in R2 brings it back to HOT; the next run collects its old object") {
    Catalog c;
    c.add("quiet", 90, 60, 2);
    REQUIRE(c.summary(c.migrate())["moved_to_r2"] == 1);
    const std::string oldKey = jsonString(c.row("quiet"), "r2_key");
    REQUIRE(c.w.api("PUT", kHost, "/api/posts/quiet", c.token, Json{{"markdown", "New words."}}).status == 200);
    c.texts["quiet"] = "New words.";
    CHECK(c.location("quiet") == "d1");
    Json s = c.summary(c.migrate());
    CHECK(s["examined"] == 1);
    CHECK(c.row("quiet")["tier"] == "hot");
    CHECK(c.w.r2.count(oldKey) == 0);
    c.expectServed("quiet");
    c.expectNoOrphans();
    // Quiet again for 30 days: back to WARM under the new version's key.
    c.w.sql("UPDATE posts SET updated_at = ?1 WHERE slug = 'quiet'", {c.w.now - 31 * kDay});
    c.summary(c.migrate());
    CHECK(c.location("quiet") == "r2");
    CHECK(c.row("quiet")["r2_key"] != oldKey);
    c.expectServed("quiet");
    c.expectNoOrphans();
  }
}

TEST_CASE("tier migrator: two runs at once move each post once") {
  SUBCASE("the second run finds the lease held and does nothing") {
    Catalog c;
    for (int i = 0; i < 4; ++i) c.add("p" + std::to_string(i), 90, 60, 2);
    HttpResponse second;
    bool started = false;
    c.w.fault = [&](const Json& e) -> std::optional<Json> {
      if (started || jsonString(e, "kind") != "do.call") return std::nullopt;
      started = true;
      second = c.w.scheduled();
      return std::nullopt;
    };
    Json s = c.summary(c.migrate());
    c.w.fault = nullptr;
    CHECK(second.status == 409);
    CHECK(errorOf(second)["code"] == "migrate.busy");
    CHECK(s["moved_to_r2"] == 4);
    CHECK(c.logsSaying("post content moved to R2") == 4);
  }
  SUBCASE("a run that outlives its lease overlaps the next: still one move per post, and it stops") {
    Catalog c(varsWith({{"TIER_BATCH_SIZE", "2"}}));
    for (int i = 0; i < 5; ++i) c.add("p" + std::to_string(i), 90, 60, 2);
    Json second;
    bool started = false;
    c.w.fault = [&](const Json& e) -> std::optional<Json> {
      if (started || jsonString(e, "kind") != "do.call") return std::nullopt;
      started = true;
      c.w.now += lattice::tiers::kRunLeaseMs + 1;  // the first run stalls past its lease
      second = c.summary(c.w.scheduled());
      return std::nullopt;
    };
    Json first = c.summary(c.migrate());
    c.w.fault = nullptr;
    CHECK(second["moved_to_r2"] == 5);
    CHECK(first["moved_to_r2"] == 0);  // its attempt found the move done
    CHECK(first["stopped"] == "lease_lost");
    CHECK(c.logsSaying("post content moved to R2") == 5);
    for (const auto& [slug, id] : c.ids) {
      CHECK(c.location(slug) == "r2");
      c.expectServed(slug);
    }
    // The stalled run queued a clear after the other's garbage collection: the next pass takes it.
    Json third = c.summary(c.migrate());
    CHECK(third["moved_to_r2"] == 0);
    CHECK(c.logsSaying("post content moved to R2") == 5);
    c.expectNoOrphans();
  }
}

TEST_CASE("tier migrator: R2 or D1 failing mid-batch stops the run cleanly; the next run resumes") {
  for (const std::string failing : {"r2.put", "d1"}) {
    CAPTURE(failing);
    Catalog c;
    for (int i = 0; i < 5; ++i) c.add("p" + std::to_string(i), 90, 60, 2);
    int moves = 0;
    bool outage = false;
    c.w.fault = [&](const Json& e) -> std::optional<Json> {
      const std::string kind = jsonString(e, "kind");
      if (kind == "do.call" && has(e.dump(), "/migrate/r2") && ++moves == 3) outage = true;
      if (!outage) return std::nullopt;
      if (failing == "r2.put" ? kind == "r2.put" : kind.rfind("d1.", 0) == 0)
        return Json{{"ok", false}, {"error", "injected outage"}};
      return std::nullopt;
    };
    HttpResponse r = c.migrate();
    c.w.fault = nullptr;
    Json s = c.summary(r);
    CHECK(s["stopped"] == "storage");
    CHECK(s["errors"] >= 1);
    CHECK(s["moved_to_r2"] == 2);
    for (const auto& [slug, id] : c.ids) c.expectServed(slug);
    int inR2 = 0;
    for (const auto& [slug, id] : c.ids) inR2 += c.location(slug) == "r2";
    CHECK(inR2 == 2);
    // The next run picks up at the post that failed.
    c.w.now += lattice::tiers::kRunLeaseMs + 1;  // in case the outage kept the lease
    Json next = c.summary(c.migrate());
    CHECK(next["errors"] == 0);
    CHECK(next["moved_to_r2"] == 3);
    for (const auto& [slug, id] : c.ids) {
      CHECK(c.location(slug) == "r2");
      c.expectServed(slug);
    }
    c.expectNoOrphans();
  }
}

TEST_CASE("tier migrator: bounded runs resume from the cursor") {
  Catalog c(varsWith({{"TIER_BATCH_SIZE", "2"}, {"TIER_MAX_BATCHES", "2"}, {"TIER_MAX_MOVES", "3"}}));
  for (int i = 0; i < 7; ++i) c.add("p" + std::to_string(i), 90, 60, 2);
  Json first = c.summary(c.migrate());
  CHECK(first["moved_to_r2"] == 3);
  CHECK(first["stopped"] == "budget");
  CHECK(first["examined"] == 4);  // the 4th is left for the next run
  Json second = c.summary(c.migrate());
  CHECK(second["cursor_from"] == first["cursor"]);
  CHECK(second["moved_to_r2"] == 3);
  Json third = c.summary(c.migrate());
  CHECK(third["moved_to_r2"] == 1);
  CHECK(third["pass_complete"] == true);
  CHECK(third["cursor"] == "");
  for (const auto& [slug, id] : c.ids) CHECK(c.location(slug) == "r2");
  c.expectNoOrphans();
}

TEST_CASE("tier migrator: popular posts go to R2, stay there in the band, and come back when busy but not popular") {
  Catalog c;
  c.add("star", 200, 100, 150);
  c.summary(c.migrate());
  CHECK(c.location("star") == "r2");
  CHECK(c.row("star")["tier"] == "popular");
  // Served with the POPULAR edge lifetime (TTL_POPULAR: 7 days, and 7 days stale).
  HttpResponse page = c.w.request("GET", kHost, "/blog/star");
  REQUIRE(page.status == 200);
  CHECK(page.header("cdn-cache-control") == "public, max-age=604800, stale-while-revalidate=604800");
  // 80/day: inside the band, nothing moves.
  c.w.sql("UPDATE posts SET views_30d = 2400, views_30d_at = ?1", {c.w.now});
  CHECK(bodyOf(c.migrate())["moves"].empty());
  CHECK(c.row("star")["tier"] == "popular");
  // 15/day: no longer popular; in R2 and under 20/day: WARM without moving any byte.
  c.w.sql("UPDATE posts SET views_30d = 450, views_30d_at = ?1", {c.w.now});
  Json s = c.summary(c.migrate());
  CHECK(s["retiered"] == 1);
  CHECK(s["bytes_moved"] == 0);
  CHECK(c.location("star") == "r2");
  CHECK(c.row("star")["tier"] == "warm");
  // 30/day: busy enough to come back to D1.
  c.w.sql("UPDATE posts SET views_30d = 900, views_30d_at = ?1", {c.w.now});
  s = c.summary(c.migrate());
  CHECK(s["moved_to_d1"] == 1);
  CHECK(c.location("star") == "d1");
  c.expectServed("star");
  c.expectNoOrphans();
}

TEST_CASE("tier migrator: a deleted post's R2 objects and version history are collected after the grace period") {
  Catalog c(varsWith({{"TIER_GRACE_SECONDS", "86400"}}));
  c.add("quiet", 90, 60, 2);  // goes to R2
  c.add("fresh", 3, 3);       // stays in D1
  REQUIRE(c.summary(c.migrate())["moved_to_r2"] == 1);
  c.w.now += kDay + 1;
  REQUIRE(c.summary(c.migrate())["cleared_d1_copies"] == 1);
  REQUIRE(c.r2Objects("quiet") == 1);
  const std::string quietObject = lattice::postContentObjectName(c.tenant, c.ids["quiet"]);
  const std::string freshObject = lattice::postContentObjectName(c.tenant, c.ids["fresh"]);
  auto versions = [&c](const std::string& object) {
    return jsonInt(c.w.objectSql(object, "SELECT count(*) AS n FROM post_versions")[0], "n");
  };
  REQUIRE(versions(quietObject) == 1);
  REQUIRE(versions(freshObject) == 1);

  for (const char* slug : {"quiet", "fresh"}) REQUIRE(c.w.api("DELETE", kHost, std::string("/api/posts/") + slug, c.token).status == 204);
  // Queued with the delete, due after the grace period.
  Json queued = c.w.sql("SELECT post_id, tenant_id, due_at FROM tier_clears ORDER BY post_id");
  REQUIRE(queued.size() == 2);
  for (const Json& q : queued) {
    CHECK(q["tenant_id"] == c.tenant);
    CHECK(q["due_at"] == c.w.now + kDay);
  }
  // Not yet: the object is kept through the grace period.
  Json early = c.summary(c.migrate());
  CHECK(early["deleted_objects"] == 0);
  CHECK(c.r2Objects("quiet") == 1);
  CHECK(versions(quietObject) == 1);

  c.w.now += kDay + 1;
  Json s = c.summary(c.migrate());
  CHECK(s["errors"] == 0);
  CHECK(s["deleted_objects"] == 1);
  CHECK(c.r2Objects("quiet") == 0);
  CHECK(c.r2Objects("fresh") == 0);
  CHECK(versions(quietObject) == 0);
  CHECK(versions(freshObject) == 0);
  CHECK(jsonInt(c.w.objectSql(quietObject, "SELECT count(*) AS n FROM version_texts")[0], "n") == 0);
  CHECK(jsonInt(c.w.objectSql(quietObject, "SELECT count(*) AS n FROM content_objects")[0], "n") == 0);
  CHECK(c.w.count("tier_clears") == 0);
  CHECK(c.logsSaying("deleted post's content collected") == 2);
}

TEST_CASE("tier migrator: a delete that fails queues no collection") {
  Catalog c(varsWith({{"TIER_GRACE_SECONDS", "86400"}}));
  c.add("kept", 90, 60, 2);
  c.w.fault = [](const Json& e) -> std::optional<Json> {
    if (jsonString(e, "kind") == "d1.batch") return Json{{"ok", false}, {"error", "D1_ERROR: injected"}};
    return std::nullopt;
  };
  HttpResponse r = c.w.api("DELETE", kHost, "/api/posts/kept", c.token);
  c.w.fault = nullptr;
  CHECK(r.status == 503);
  CHECK(errorOf(r)["code"] == "storage.unavailable");
  CHECK(c.w.count("tier_clears") == 0);
  CHECK(c.row("kept")["storage_location"] == "d1");
}
