// Analytics through the TenantDO's outbox, natively: persisted before 202, flushed by alarm in
// batches of up to 100, exactly once across repeated alarms, crashes and D1 failures.
#include <doctest/doctest.h>

#include "test-driver.h"

using lattice::HttpResponse;
using lattice::Json;
using lattice::jsonInt;
using lattice::jsonString;
using lattice::testing::errorOf;
using lattice::testing::TestWorld;

namespace {
const std::string kDemo = "demo.localhost:8787";
const std::string kObject = "tenant:demo";

HttpResponse send(TestWorld& w, int count, int from = 0) {
  Json events = Json::array();
  for (int i = 0; i < count; ++i)
    events.push_back({{"kind", "view"}, {"slug", "hello"}, {"id", "ev-" + std::to_string(from + i) + "-abcdef"}});
  return w.request("POST", kDemo, "/api/events", {{"content-type", "application/json"}}, Json{{"events", events}}.dump());
}
// Events waiting in the object's outbox (src/durable/event-outbox.cpp owns the table).
long long outbox(TestWorld& w) {
  if (w.objectSql(kObject, "SELECT name FROM sqlite_master WHERE name = 'event_outbox'").empty()) return 0;
  return jsonInt(w.objectSql(kObject, "SELECT count(*) AS n FROM event_outbox")[0], "n");
}
}  // namespace

TEST_CASE("events: persisted before 202, flushed in batches of at most 100 by the alarm") {
  TestWorld w;
  w.addTenant("demo");
  HttpResponse r = send(w, 30);
  REQUIRE(r.status == 202);
  CHECK(outbox(w) == 30);
  CHECK(w.count("analytics_events") == 0);
  // Not a full batch: the alarm is set for EVENTS_FLUSH_SECONDS later.
  REQUIRE(w.alarms.count(kObject) == 1);
  CHECK(w.alarms[kObject] == w.now + 30 * 1000);
  CHECK(w.runAlarms() == 0);
  w.now += 30 * 1000;
  CHECK(w.runAlarms() == 1);
  CHECK(w.count("analytics_events") == 30);
  CHECK(outbox(w) == 0);

  // 100 waiting: flushed at once (alarm due now); a batch is at most 100 statements.
  int largest = 0;
  w.fault = [&](const Json& e) -> std::optional<Json> {
    if (jsonString(e, "kind") == "d1.batch") largest = std::max(largest, static_cast<int>(e["statements"].size()));
    return std::nullopt;
  };
  REQUIRE(send(w, 100, 1000).status == 202);
  REQUIRE(send(w, 100, 2000).status == 202);
  REQUIRE(send(w, 50, 3000).status == 202);
  CHECK(w.alarms[kObject] <= w.now);
  w.runAlarms();
  CHECK(w.count("analytics_events") == 280);
  CHECK(outbox(w) == 0);
  CHECK(largest == 100);
  // The post id is resolved from the slug when the post exists (it does not here).
  CHECK(w.sql("SELECT count(*) AS n FROM analytics_events WHERE post_id IS NOT NULL")[0]["n"] == 0);
}

TEST_CASE("events: a repeated alarm, a client retry and a crash after the D1 write write nothing twice") {
  TestWorld w;
  w.addTenant("demo");
  REQUIRE(send(w, 100).status == 202);
  REQUIRE(send(w, 100).status == 202);  // the same ids again: a client retry
  CHECK(outbox(w) == 100);
  // Crash between the D1 write and the outbox delete: D1 commits, the object hears a failure.
  bool crashOnce = true;
  w.fault = [&](const Json& e) -> std::optional<Json> {
    if (jsonString(e, "kind") != "d1.batch" || !crashOnce) return std::nullopt;
    crashOnce = false;
    w.perform(e, "");  // re-enters this hook, which now lets it through
    return Json{{"ok", false}, {"error", "connection reset"}};
  };
  w.runAlarms();
  CHECK(w.count("analytics_events") == 100);
  CHECK(outbox(w) == 100);  // kept: the object could not know
  w.now += 60 * 1000;
  w.runAlarms();
  CHECK(w.count("analytics_events") == 100);
  CHECK(outbox(w) == 0);
  // The alarm running again with nothing to do is harmless.
  w.alarms[kObject] = w.now;
  w.runAlarms();
  CHECK(w.count("analytics_events") == 100);
}

TEST_CASE("events: D1 failing for the first flushes re-arms with backoff, then exactly once") {
  TestWorld w;
  w.addTenant("demo");
  int failures = 0;
  w.fault = [&](const Json& e) -> std::optional<Json> {
    if (jsonString(e, "kind") == "d1.batch" && jsonString(e["statements"][0], "sql").find("analytics_events") != std::string::npos &&
        failures < 3) {
      ++failures;
      return Json{{"ok", false}, {"error", "D1 unavailable"}};
    }
    return std::nullopt;
  };
  REQUIRE(send(w, 100).status == 202);
  REQUIRE(send(w, 20, 100).status == 202);
  std::vector<long long> delays;
  for (int i = 0; i < 3; ++i) {
    w.now = std::max(w.now, w.alarms[kObject]);
    w.runAlarms(1);
    REQUIRE(w.alarms.count(kObject) == 1);
    delays.push_back(w.alarms[kObject] - w.now);
  }
  CHECK(failures == 3);
  CHECK(delays == std::vector<long long>{1000, 2000, 4000});
  CHECK(w.count("analytics_events") == 0);
  CHECK(outbox(w) == 120);
  w.now = w.alarms[kObject];
  w.runAlarms();
  CHECK(w.count("analytics_events") == 120);
  CHECK(outbox(w) == 0);
}

TEST_CASE("events: bad input gets exact codes and stores nothing") {
  TestWorld w;
  w.addTenant("demo");
  auto post = [&](const std::string& b) {
    return w.request("POST", kDemo, "/api/events", {{"content-type", "application/json"}}, b);
  };
  CHECK(errorOf(post(R"({"events":[]})"))["code"] == "events.missing");
  CHECK(errorOf(post(R"({"events":[{"kind":"launch"}]})"))["code"] == "event.kind_invalid");
  CHECK(errorOf(post(R"({"events":[{"kind":"view","slug":"Bad Slug"}]})"))["code"] == "event.slug_invalid");
  CHECK(errorOf(post(R"({"events":[{"kind":"view","id":"x"}]})"))["code"] == "event.id_invalid");
  CHECK(errorOf(post("not json"))["code"] == "request.malformed_json");
  HttpResponse huge = post(R"({"events":[{"kind":"view","data":{"x":")" + std::string(70000, 'a') + R"("}}]})");
  CHECK(huge.status == 413);
  CHECK(errorOf(huge)["code"] == "request.too_large");
  CHECK(w.request("GET", kDemo, "/api/events").status == 405);
  if (w.objects.count(kObject)) CHECK(outbox(w) == 0);
}
