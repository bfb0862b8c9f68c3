// Moving a post's content between D1 and R2 through its PostContentDO (/migrate/r2, /migrate/d1,
// /migrate/clear): write under the immutable key, read back and verify, compare-and-swap the D1
// pointer on version, clear the old copy after a grace period. A crash after any step followed
// by a rerun finishes the move; the post stays readable with the right hash throughout; an edit
// racing a move wins and nothing is lost.
#include <doctest/doctest.h>

#include "post-content-fixture.h"

using namespace contenttest;

namespace {

const std::string kText = "# Field notes\n\nA paragraph worth keeping, with ünïcödé and €.";

// The R2 object at `key` holds exactly the post's content at `version`.
void expectObject(Blog& b, const std::string& key, const std::string& markdown, long long version) {
  REQUIRE(b.w.r2.count(key) == 1);
  Json o = *lattice::parseJson(b.w.r2[key]);
  CHECK(o["markdown"] == markdown);
  CHECK(o["version"] == version);
  CHECK(o["sha256"] == lattice::sha256Hex(markdown));
  CHECK(has(jsonString(o, "html"), "<h1"));
}

}  // namespace

TEST_CASE("migrate: to R2 writes the immutable key, verifies it, swaps the pointer and keeps the D1 copy") {
  Blog b;
  const std::string id = b.add("notes", kText);
  const std::string key = b.key(id);
  CHECK(key == "t/" + b.tenant + "/p/" + id + "/v1-" + lattice::sha256Hex(kText) + ".json");
  const long long contentVersion = jsonInt(b.w.sql("SELECT content_version FROM tenants")[0], "content_version");

  HttpResponse r = b.toR2(id);
  INFO(r.body);
  REQUIRE(r.status == 200);
  Json j = bodyOf(r);
  CHECK(j["moved"] == true);
  CHECK(j["storage_location"] == "r2");
  CHECK(j["r2_key"] == key);
  CHECK(j["version"] == 1);
  CHECK(j["sha256"] == lattice::sha256Hex(kText));
  expectObject(b, key, kText, 1);
  Json row = b.row(id);
  CHECK(row["storage_location"] == "r2");
  CHECK(row["r2_key"] == key);
  CHECK(row["version"] == 1);                // a move is not an edit
  CHECK(row["markdown"] == kText);           // the D1 copy waits for /migrate/clear
  CHECK(jsonInt(b.w.sql("SELECT content_version FROM tenants")[0], "content_version") == contentVersion);
  b.expectReadable(id, kText);

  // Idempotent: a second run finds it done and writes nothing.
  const long long puts = b.w.counters["r2.put"];
  HttpResponse again = b.toR2(id);
  REQUIRE(again.status == 200);
  CHECK(bodyOf(again)["moved"] == false);
  CHECK(b.w.counters["r2.put"] == puts);

  // To the archive tier: the same object, only the location changes.
  HttpResponse archived = b.toR2(id, Json{{"location", "r2_archived"}, {"key", key}});
  REQUIRE(archived.status == 200);
  CHECK(bodyOf(archived)["moved"] == true);
  CHECK(b.row(id)["storage_location"] == "r2_archived");
  CHECK(b.w.counters["r2.put"] == puts);
  b.expectReadable(id, kText);
}

TEST_CASE("migrate: to D1 reads and verifies the object and swaps the content back") {
  Blog b;
  const std::string id = b.add("notes", kText);
  REQUIRE(b.toR2(id).status == 200);
  REQUIRE(bodyOf(b.clear(id))["d1_copy"] == "cleared");
  CHECK(b.row(id)["markdown"].is_null());
  CHECK(b.row(id)["html"].is_null());

  HttpResponse r = b.toD1(id);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(bodyOf(r)["moved"] == true);
  CHECK(bodyOf(r)["storage_location"] == "d1");
  CHECK(bodyOf(r)["r2_key"].is_null());
  Json row = b.row(id);
  CHECK(row["storage_location"] == "d1");
  CHECK(row["r2_key"].is_null());
  CHECK(row["markdown"] == kText);
  CHECK(has(jsonString(row, "html"), "<h1"));
  CHECK(row["version"] == 1);
  b.expectReadable(id, kText);
  CHECK(bodyOf(b.toD1(id))["moved"] == false);

  // The R2 object is the old copy now: deleted by a clear after the grace period, not before.
  HttpResponse early = b.clear(id, 3600);
  REQUIRE(early.status == 200);
  CHECK(bodyOf(early)["deleted"].empty());
  CHECK(bodyOf(early)["waiting"].size() == 1);
  CHECK(b.r2Objects(id) == 1);
  b.w.now += 3600 * 1000;
  HttpResponse late = b.clear(id, 3600);
  REQUIRE(late.status == 200);
  CHECK(bodyOf(late)["deleted"].size() == 1);
  CHECK(b.r2Objects(id) == 0);
  b.expectReadable(id, kText);
}

TEST_CASE("migrate: the D1 copy is cleared only after the grace period, and only once R2 verifies") {
  Blog b;
  const std::string id = b.add("notes", kText);
  REQUIRE(b.toR2(id).status == 200);
  HttpResponse waiting = b.object(id, "POST", "/migrate/clear", Json::object());  // default grace: a day
  REQUIRE(waiting.status == 200);
  CHECK(bodyOf(waiting)["d1_copy"] == "waiting");
  CHECK(b.row(id)["markdown"] == kText);
  b.w.now += 86400 * 1000LL;
  HttpResponse cleared = b.object(id, "POST", "/migrate/clear", Json::object());
  REQUIRE(cleared.status == 200);
  CHECK(bodyOf(cleared)["d1_copy"] == "cleared");
  CHECK(b.row(id)["markdown"].is_null());
  b.expectReadable(id, kText);
  CHECK(bodyOf(b.clear(id))["d1_copy"] == "none");  // idempotent
}

TEST_CASE("migrate: a crash after each step of the move to R2, then a rerun, finishes it") {
  for (int step = 1; step <= 4; ++step) {  // D1 read, R2 put, R2 read-back, D1 swap
    CAPTURE(step);
    Blog b;
    const std::string id = b.add("notes", kText);
    const std::string key = b.key(id);
    crashAfter(b.w, step);
    HttpResponse crashed = b.toR2(id);
    CHECK(crashed.status == 503);
    CHECK(errorOf(crashed)["code"] == "storage.unavailable");
    b.w.fault = nullptr;
    b.expectReadable(id, kText);
    Json mid = b.row(id);
    CHECK(mid["markdown"] == kText);
    CHECK((mid["storage_location"] == "d1" || (mid["storage_location"] == "r2" && mid["r2_key"] == key)));

    HttpResponse rerun = b.toR2(id);
    INFO(rerun.body);
    REQUIRE(rerun.status == 200);
    CHECK(bodyOf(rerun)["moved"] == (step < 4));  // after the swap, the rerun finds it done
    Json row = b.row(id);
    CHECK(row["storage_location"] == "r2");
    CHECK(row["r2_key"] == key);
    expectObject(b, key, kText, 1);
    b.expectReadable(id, kText);
    CHECK(b.r2Objects(id) == 1);
  }
}

TEST_CASE("migrate: a crash after each step of the move to D1, then a rerun, finishes it") {
  for (int step = 1; step <= 3; ++step) {  // D1 read, R2 read, D1 swap
    CAPTURE(step);
    Blog b;
    const std::string id = b.add("notes", kText);
    REQUIRE(b.toR2(id).status == 200);
    REQUIRE(bodyOf(b.clear(id))["d1_copy"] == "cleared");
    const std::string key = b.key(id);
    crashAfter(b.w, step);
    CHECK(b.toD1(id).status == 503);
    b.w.fault = nullptr;
    b.expectReadable(id, kText);

    HttpResponse rerun = b.toD1(id);
    INFO(rerun.body);
    REQUIRE(rerun.status == 200);
    CHECK(bodyOf(rerun)["moved"] == (step < 3));
    Json row = b.row(id);
    CHECK(row["storage_location"] == "d1");
    CHECK(row["r2_key"].is_null());
    CHECK(row["markdown"] == kText);
    b.expectReadable(id, kText);
    // The object it came from is still known, and cleared after the grace period.
    CHECK(b.w.r2.count(key) == 1);
    HttpResponse cleared = b.clear(id);
    REQUIRE(cleared.status == 200);
    CHECK(bodyOf(cleared)["deleted"] == Json::array({key}));
    CHECK(b.r2Objects(id) == 0);
  }
}

TEST_CASE("migrate: a crash after each step of clearing the old copies, then a rerun, finishes it") {
  for (int step = 1; step <= 4; ++step) {  // D1 read, R2 verify, D1 clear, R2 delete of the old object
    CAPTURE(step);
    Blog b;
    const std::string id = b.add("notes", "First text.");
    REQUIRE(b.toR2(id).status == 200);
    const std::string oldKey = b.key(id);
    b.put("notes", Json{{"markdown", kText}});  // an edit: back in D1 at version 2, the v1 object is garbage
    REQUIRE(b.toR2(id).status == 200);
    const std::string key = b.key(id);
    REQUIRE(b.r2Objects(id) == 2);

    crashAfter(b.w, step);
    CHECK(b.clear(id).status == 503);
    b.w.fault = nullptr;
    b.expectReadable(id, kText);

    HttpResponse rerun = b.clear(id);
    INFO(rerun.body);
    REQUIRE(rerun.status == 200);
    Json row = b.row(id);
    CHECK(row["markdown"].is_null());
    CHECK(row["r2_key"] == key);
    CHECK(b.w.r2.count(oldKey) == 0);
    expectObject(b, key, kText, 2);
    b.expectReadable(id, kText);
  }
}

TEST_CASE("migrate: an edit racing the move to R2 wins; D1 is untouched by the move and nothing is lost") {
  Blog b;
  const std::string id = b.add("notes", "Before the edit.");
  const std::string staleKey = b.key(id);
  // The edit lands while the move is reading its object back, between its write and its swap.
  bool edited = false;
  b.w.fault = [&](const Json& e) -> std::optional<Json> {
    if (edited || jsonString(e, "kind") != "r2.get") return std::nullopt;
    edited = true;
    HttpResponse put = b.w.api("PUT", kDemo, "/api/posts/notes", b.token, Json{{"markdown", "After the edit."}});
    REQUIRE(put.status == 200);
    return std::nullopt;
  };
  HttpResponse raced = b.toR2(id);
  b.w.fault = nullptr;
  REQUIRE(edited);
  CHECK(raced.status == 409);
  CHECK(errorOf(raced)["code"] == "migrate.conflict");
  Json row = b.row(id);
  CHECK(row["version"] == 2);
  CHECK(row["storage_location"] == "d1");
  CHECK(row["r2_key"].is_null());
  CHECK(row["markdown"] == "After the edit.");
  b.expectReadable(id, "After the edit.");
  // Both texts are in the history; the stale object is garbage, deleted by a later clear.
  Json versions = bodyOf(b.w.api("GET", kDemo, "/api/posts/notes/versions", b.token))["versions"];
  REQUIRE(versions.size() == 2);
  CHECK(b.w.r2.count(staleKey) == 1);
  HttpResponse cleared = b.clear(id);
  CHECK(bodyOf(cleared)["deleted"] == Json::array({staleKey}));
  // A fresh move goes through.
  REQUIRE(b.toR2(id).status == 200);
  b.expectReadable(id, "After the edit.");
}

TEST_CASE("migrate: an edit racing the move back to D1 wins") {
  Blog b;
  const std::string id = b.add("notes", kText);
  REQUIRE(b.toR2(id).status == 200);
  REQUIRE(bodyOf(b.clear(id))["d1_copy"] == "cleared");
  bool edited = false;
  b.w.fault = [&](const Json& e) -> std::optional<Json> {
    if (edited || jsonString(e, "kind") != "r2.get") return std::nullopt;
    edited = true;
    REQUIRE(b.w.api("PUT", kDemo, "/api/posts/notes", b.token, Json{{"markdown", "Edited meanwhile."}}).status == 200);
    return std::nullopt;
  };
  HttpResponse raced = b.toD1(id);
  b.w.fault = nullptr;
  CHECK(raced.status == 409);
  CHECK(errorOf(raced)["code"] == "migrate.conflict");
  Json row = b.row(id);
  CHECK(row["version"] == 2);
  CHECK(row["markdown"] == "Edited meanwhile.");
  b.expectReadable(id, "Edited meanwhile.");
}

TEST_CASE("migrate: a key for an older version is a conflict; the key must be this post's") {
  Blog b;
  const std::string id = b.add("notes", "v1");
  const std::string v1 = b.key(id);
  b.put("notes", Json{{"markdown", "v2"}});
  HttpResponse stale = b.toR2(id, Json{{"key", v1}});
  CHECK(stale.status == 409);
  CHECK(errorOf(stale)["code"] == "migrate.conflict");
  CHECK(b.row(id)["storage_location"] == "d1");
  CHECK(b.r2Objects(id) == 0);
  for (const Json& bad : {Json("t/other/p/" + id + "/v1-" + lattice::sha256Hex("v1") + ".json"),
                          Json("t/" + b.tenant + "/p/" + id + "/v1-XYZ.json"), Json("../etc"), Json(5)}) {
    HttpResponse r = b.toR2(id, Json{{"key", bad}});
    CHECK(r.status == 400);
    CHECK(errorOf(r)["code"] == "migrate.key_invalid");
  }
  HttpResponse loc = b.toR2(id, Json{{"location", "d1"}});
  CHECK(loc.status == 400);
  CHECK(errorOf(loc)["code"] == "migrate.location_invalid");
  CHECK(errorOf(b.toR2(id, Json{{"keys", v1}}))["code"] == "request.unknown_field");
  CHECK(errorOf(b.object(id, "POST", "/migrate/clear", Json{{"grace_seconds", -1}}))["code"] == "migrate.grace_invalid");
  CHECK(errorOf(b.object(id, "POST", "/migrate/clear", Json{{"grace_seconds", "1"}}))["code"] == "migrate.grace_invalid");
  CHECK(errorOf(b.object(id, "POST", "/migrate/d1", Json{{"now", true}}))["code"] == "request.unknown_field");
  CHECK(b.object(id, "GET", "/migrate/r2").status == 405);
  CHECK(errorOf(b.object(id, "POST", "/migrate/elsewhere", Json::object()))["code"] == "route.not_found");
  CHECK(errorOf(b.object("p_missing", "POST", "/migrate/r2", Json::object()))["code"] == "post.not_found");
  // Nothing above changed the post or wrote to R2.
  CHECK(b.row(id)["storage_location"] == "d1");
  CHECK(b.row(id)["version"] == 2);
  CHECK(b.r2Objects(id) == 0);
}

TEST_CASE("migrate: a corrupt object read back after writing fails the move, D1 untouched") {
  Blog b;
  const std::string id = b.add("notes", kText);
  b.w.fault = [](const Json& e) -> std::optional<Json> {
    if (jsonString(e, "kind") == "r2.get") return Json{{"ok", true}, {"value", "{\"markdown\":\"bit rot\"}"}};
    return std::nullopt;
  };
  HttpResponse r = b.toR2(id);
  b.w.fault = nullptr;
  CHECK(r.status == 502);
  CHECK(errorOf(r)["code"] == "migrate.verify_failed");
  CHECK(b.row(id)["storage_location"] == "d1");
  b.expectReadable(id, kText);
}

TEST_CASE("migrate: a rerun repairs a missing R2 object from the D1 copy while it is there") {
  Blog b;
  const std::string id = b.add("notes", kText);
  REQUIRE(b.toR2(id).status == 200);
  const std::string key = b.key(id);
  b.w.r2.erase(key);
  HttpResponse repaired = b.toR2(id);
  REQUIRE(repaired.status == 200);
  expectObject(b, key, kText, 1);
  REQUIRE(bodyOf(b.clear(id))["d1_copy"] == "cleared");
  b.expectReadable(id, kText);
  // Once the D1 copy is gone, a missing object cannot be made up: a clear error, nothing moved.
  b.w.r2.erase(key);
  HttpResponse lost = b.toD1(id);
  CHECK(lost.status == 500);
  CHECK(errorOf(lost)["code"] == "content.missing");
  CHECK(b.row(id)["storage_location"] == "r2");
}

TEST_CASE("migrate: one move of a post at a time; a dead move's lease lapses after a minute") {
  Blog b;
  const std::string id = b.add("notes", kText);
  REQUIRE(b.object(id, "GET", "/content").status == 200);  // the object exists
  // A move that died holding the lease (its event never finished).
  b.toD1(id);
  b.w.objectSql(b.objectName(id),
                "INSERT INTO content_move_lease (id, op, token, until) VALUES (1, 'r2', 'dead', ?1)", {b.w.now + 60000});
  HttpResponse busy = b.toR2(id);
  CHECK(busy.status == 409);
  CHECK(errorOf(busy)["code"] == "migrate.busy");
  CHECK(b.row(id)["storage_location"] == "d1");
  b.w.now += 60000;
  REQUIRE(b.toR2(id).status == 200);
  // A finished move gives its lease back.
  CHECK(b.w.objectSql(b.objectName(id), "SELECT count(*) AS n FROM content_move_lease")[0]["n"] == 0);
  // Moves interleaved within one object: the second waits for the first.
  HttpResponse inner;
  bool tried = false;
  b.w.fault = [&](const Json& e) -> std::optional<Json> {
    if (tried || jsonString(e, "kind") != "r2.get") return std::nullopt;
    tried = true;
    inner = b.clear(id);
    return std::nullopt;
  };
  REQUIRE(b.toD1(id).status == 200);
  b.w.fault = nullptr;
  CHECK(tried);
  CHECK(errorOf(inner)["code"] == "migrate.busy");
}
