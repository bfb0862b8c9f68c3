// The analytics outbox (src/durable/event-outbox.h): parseEvents' codes exactly, keys, FIFO
// order and de-duplication in the outbox's SQLite, and flush cycles run by hand into a second
// SQLite holding D1's migrated schema: batches of 100, post ids resolved from slugs within the
// tenant, and exactly-once delivery when a cycle is repeated before its acknowledge.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "durable/event-outbox.h"
#include "d1-fixture.h"
#include "sqlite-db.h"

using lattice::AnalyticsEvent;
using lattice::ApiError;
using lattice::EventOutbox;
using lattice::Json;
using lattice::analyticsInserts;
using lattice::flushRetryDelayMs;
using lattice::kFlushBatch;
using lattice::parseEvents;
using lattice::testing::SqliteDb;
using lattice::testing::SqliteSql;

namespace {

constexpr long long kNow = 1795000000000;
constexpr long long kDay = 24LL * 60 * 60 * 1000;
const std::string kRandom(64, 'a');

// D1: the migrations applied in order to a fresh database, one tenant with post "hello", and a
// second tenant that also has a "hello".
struct D1 : lattice::testing::D1Fixture {
  std::string postId = "post-hello";

  D1() : D1Fixture(R"(
      INSERT INTO tenants (id, subdomain, display_name, created_at, updated_at)
        VALUES ('t1', 'demo', 'Demo', 0, 0), ('t2', 'other', 'Other', 0, 0);
      INSERT INTO posts (id, tenant_id, slug, title, status, created_at, updated_at, content_hash)
        VALUES ('post-hello', 't1', 'hello', 'Hello', 'draft', 0, 0, ''),
               ('other-hello', 't2', 'hello', 'Hello', 'draft', 0, 0, '');
    )") {}
  long long count() { return D1Fixture::count("analytics_events"); }
};

// The TenantDO side: its own SQLite with the outbox.
struct Object {
  SqliteDb db;
  SqliteSql sql{db};
  EventOutbox outbox{sql};

  // One flush cycle as the alarm runs it; `acknowledge` false simulates a crash after the D1
  // write. Returns the size of the batch sent.
  size_t flush(D1& d1, bool acknowledge = true) {
    auto batch = outbox.oldest(kFlushBatch);
    if (batch.empty()) return 0;
    REQUIRE(d1.batch(analyticsInserts("t1", batch)));
    if (acknowledge) {
      std::vector<std::string> keys;
      for (const auto& e : batch) keys.push_back(e.key);
      REQUIRE(outbox.acknowledge(keys));
    }
    return batch.size();
  }
};

AnalyticsEvent event(std::string key, std::string slug = "hello", std::string kind = "view") {
  AnalyticsEvent e;
  e.key = std::move(key);
  e.kind = std::move(kind);
  e.slug = std::move(slug);
  e.at = kNow;
  return e;
}

std::vector<AnalyticsEvent> events(int n, const std::string& prefix = "s:e") {
  std::vector<AnalyticsEvent> out;
  for (int i = 0; i < n; ++i) out.push_back(event(prefix + std::to_string(i)));
  return out;
}

std::vector<AnalyticsEvent> parsed(const Json& body, const std::string& random = kRandom) {
  auto r = parseEvents(body, kNow, random);
  if (auto* e = std::get_if<ApiError>(&r)) FAIL("unexpected error " << e->code << ": " << e->message);
  return std::get<std::vector<AnalyticsEvent>>(r);
}

void checkError(const Json& body, int status, const std::string& code, const std::string& field) {
  auto r = parseEvents(body, kNow, kRandom);
  REQUIRE(std::holds_alternative<ApiError>(r));
  const auto& e = std::get<ApiError>(r);
  CHECK(e.status == status);
  CHECK(e.code == code);
  CHECK(e.field == field);
}

// {events:[...]} with `bad` as the fourth event after three good ones.
Json withFourth(Json bad) {
  return {{"events", {{{"kind", "view"}}, {{"kind", "view"}}, {{"kind", "view"}}, std::move(bad)}}};
}

}  // namespace

TEST_CASE("parseEvents: a valid batch, defaults and keys") {
  auto list = parsed({{"events",
                       {{{"kind", "view"}, {"slug", "hello"}},
                        {{"kind", "read_end"}, {"id", "client-key-1"}, {"at", kNow - 1000}},
                        {{"kind", "reaction"}, {"data", {{"type", "heart"}}}, {"at", kNow + 5 * 60 * 1000}}}}});
  REQUIRE(list.size() == 3);
  CHECK(list[0].kind == "view");
  CHECK(list[0].slug == "hello");
  CHECK(list[0].at == kNow);
  CHECK(list[0].data == Json::object());
  CHECK(list[1].key == "c:client-key-1");
  CHECK(list[1].at == kNow - 1000);
  CHECK(list[1].slug.empty());
  CHECK(list[2].data == Json{{"type", "heart"}});
  CHECK(list[2].at == kNow + 5 * 60 * 1000);

  // Derived keys: "s:" + 32 hex chars, deterministic in (random, index), distinct per index.
  CHECK(list[0].key.rfind("s:", 0) == 0);
  CHECK(list[0].key.size() == 34);
  CHECK(list[2].key != list[0].key);
  auto again = parsed({{"events", {{{"kind", "view"}}, {{"kind", "view"}}, {{"kind", "view"}}}}});
  CHECK(again[0].key == list[0].key);
  CHECK(again[2].key == list[2].key);
  CHECK(parsed({{"events", {{{"kind", "view"}}}}}, std::string(64, 'b'))[0].key != list[0].key);

  // A client id can never collide with a derived key, even one spelt like it.
  auto spoof = parsed({{"events", {{{"kind", "view"}, {"id", list[0].key.substr(2)}}}}});
  CHECK(spoof[0].key != list[0].key);

  CHECK(parsed({{"events", Json(std::vector<Json>(100, {{"kind", "view"}}))}}).size() == 100);
  CHECK(parsed(withFourth({{"kind", "view"}, {"at", kNow - 7 * kDay}}))[3].at == kNow - 7 * kDay);
}

TEST_CASE("parseEvents: every error code, exactly") {
  checkError(Json::array(), 400, "request.not_object", "");
  checkError({{"events", Json::array()}, {"extra", 1}}, 400, "request.unknown_field", "extra");
  checkError(Json::object(), 400, "events.missing", "events");
  checkError({{"events", Json::array()}}, 400, "events.missing", "events");
  checkError({{"events", {{"kind", "view"}}}}, 400, "events.missing", "events");  // an object, not an array
  checkError({{"events", Json::array({Json::array({"view"})})}}, 400, "request.not_object", "events[0]");
  checkError({{"events", "view"}}, 400, "events.missing", "events");
  checkError({{"events", Json(std::vector<Json>(101, {{"kind", "view"}}))}}, 413, "events.too_many", "events");

  checkError(withFourth("view"), 400, "request.not_object", "events[3]");
  checkError(withFourth({{"kind", "view"}, {"user", "x"}}), 400, "request.unknown_field", "events[3].user");
  checkError(withFourth(Json::object()), 400, "event.kind_invalid", "events[3].kind");
  checkError(withFourth({{"kind", "click"}}), 400, "event.kind_invalid", "events[3].kind");
  checkError(withFourth({{"kind", 1}}), 400, "event.kind_invalid", "events[3].kind");
  checkError(withFourth({{"kind", "view"}, {"slug", "Bad Slug"}}), 400, "event.slug_invalid", "events[3].slug");
  checkError(withFourth({{"kind", "view"}, {"slug", ""}}), 400, "event.slug_invalid", "events[3].slug");
  checkError(withFourth({{"kind", "view"}, {"slug", nullptr}}), 400, "event.slug_invalid", "events[3].slug");
  checkError(withFourth({{"kind", "view"}, {"id", "short"}}), 400, "event.id_invalid", "events[3].id");
  checkError(withFourth({{"kind", "view"}, {"id", std::string(65, 'k')}}), 400, "event.id_invalid", "events[3].id");
  checkError(withFourth({{"kind", "view"}, {"id", "has:colon"}}), 400, "event.id_invalid", "events[3].id");
  checkError(withFourth({{"kind", "view"}, {"id", 12345678}}), 400, "event.id_invalid", "events[3].id");
  checkError(withFourth({{"kind", "view"}, {"at", kNow - 7 * kDay - 1}}), 400, "event.at_invalid", "events[3].at");
  checkError(withFourth({{"kind", "view"}, {"at", kNow + 5 * 60 * 1000 + 1}}), 400, "event.at_invalid",
             "events[3].at");
  checkError(withFourth({{"kind", "view"}, {"at", 1.5}}), 400, "event.at_invalid", "events[3].at");
  checkError(withFourth({{"kind", "view"}, {"at", "2026-01-01"}}), 400, "event.at_invalid", "events[3].at");
  checkError(withFourth({{"kind", "view"}, {"at", 18446744073709551615ULL}}), 400, "event.at_invalid",
             "events[3].at");
  checkError(withFourth({{"kind", "view"}, {"data", "x"}}), 400, "event.data_invalid", "events[3].data");
  checkError(withFourth({{"kind", "view"}, {"data", Json::array()}}), 400, "event.data_invalid", "events[3].data");
  checkError(withFourth({{"kind", "view"}, {"data", {{"k", std::string(1024, 'x')}}}}), 400, "event.data_invalid",
             "events[3].data");
  // 1 KiB exactly is fine: {"k":"..."} is 8 bytes around the value.
  CHECK(parsed(withFourth({{"kind", "view"}, {"data", {{"k", std::string(1024 - 8, 'x')}}}}))[3].data.size() == 1);
}

TEST_CASE("outbox: append keeps FIFO order and skips keys already waiting") {
  Object o;
  CHECK(o.outbox.pending() == 0);
  CHECK(o.outbox.oldest(10).empty());
  CHECK(o.outbox.append({event("s:b"), event("s:a"), event("c:z")}) == 3);
  // "s:a" is waiting already, and a repeat within one append counts once.
  CHECK(o.outbox.append({event("s:a"), event("s:c"), event("s:c")}) == 4);
  CHECK(o.outbox.append({}) == 4);

  auto all = o.outbox.oldest(10);
  std::vector<std::string> keys;
  for (const auto& e : all) keys.push_back(e.key);
  CHECK(keys == std::vector<std::string>{"s:b", "s:a", "c:z", "s:c"});
  CHECK(o.outbox.oldest(2).size() == 2);

  AnalyticsEvent rich = event("s:rich", "", "reaction");
  rich.data = {{"type", "heart"}, {"n", 2}};
  rich.at = kNow - 5;
  o.outbox.append({rich});
  AnalyticsEvent back = o.outbox.oldest(10).back();
  CHECK(back.key == "s:rich");
  CHECK(back.kind == "reaction");
  CHECK(back.slug.empty());
  CHECK(back.data == rich.data);
  CHECK(back.at == kNow - 5);

  // Acknowledged events leave; order of the rest is kept, and new ones go after them.
  REQUIRE(o.outbox.acknowledge({"s:b", "c:z", "not-waiting"}));
  o.outbox.append({event("s:d")});
  keys.clear();
  for (const auto& e : o.outbox.oldest(10)) keys.push_back(e.key);
  CHECK(keys == std::vector<std::string>{"s:a", "s:c", "s:rich", "s:d"});
  CHECK(o.outbox.pending() == 4);
}

TEST_CASE("outbox flush: 250 events leave in 3 batches, oldest first, each exactly once") {
  Object o;
  D1 d1;
  REQUIRE(o.outbox.append(events(250)) == 250);
  std::vector<size_t> sizes;
  while (size_t n = o.flush(d1)) sizes.push_back(n);
  CHECK(sizes == std::vector<size_t>{100, 100, 50});
  CHECK(o.outbox.pending() == 0);
  CHECK(d1.count() == 250);

  // FIFO: the first batch held e0..e99.
  Json first = d1.rows("SELECT id FROM analytics_events WHERE id IN ('t1:s:e0', 't1:s:e99', 't1:s:e100') ORDER BY id");
  CHECK(first.size() == 3);
}

TEST_CASE("outbox flush: a cycle repeated before its acknowledge writes nothing twice") {
  Object o;
  D1 d1;
  o.outbox.append(events(30));
  CHECK(o.flush(d1, /*acknowledge=*/false) == 30);  // crash after the D1 write
  CHECK(o.outbox.pending() == 30);
  CHECK(d1.count() == 30);
  CHECK(o.flush(d1) == 30);  // the alarm runs again
  CHECK(o.outbox.pending() == 0);
  CHECK(d1.count() == 30);
  CHECK(o.flush(d1) == 0);

  // Half of the batch resent by a client after the flush (same client ids) and new events.
  auto again = events(15);
  auto more = events(5, "s:new");
  again.insert(again.end(), more.begin(), more.end());
  CHECK(o.outbox.append(again) == 20);
  CHECK(o.flush(d1) == 20);
  CHECK(d1.count() == 35);
}

TEST_CASE("outbox flush: duplicate client ids are stored once") {
  Object o;
  D1 d1;
  auto first = parsed({{"events", {{{"kind", "view"}, {"id", "dup-key-0001"}, {"slug", "hello"}},
                                   {{"kind", "view"}, {"id", "dup-key-0001"}, {"slug", "hello"}}}}});
  CHECK(o.outbox.append(first) == 1);
  CHECK(o.outbox.append(first) == 1);  // the request retried
  o.flush(d1);
  CHECK(o.outbox.append(first) == 1);  // retried once more, after the flush
  o.flush(d1);
  Json rows = d1.rows("SELECT id FROM analytics_events");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["id"] == "t1:c:dup-key-0001");
}

TEST_CASE("outbox flush: rows carry the tenant, the post resolved from the slug, kind, payload and time") {
  Object o;
  D1 d1;
  auto list = parsed({{"events",
                       {{{"kind", "view"}, {"slug", "hello"}, {"id", "event-0001"}, {"at", kNow - 100}},
                        {{"kind", "reaction"}, {"slug", "missing"}, {"id", "event-0002"}, {"data", {{"type", "clap"}}}},
                        {{"kind", "read_end"}, {"id", "event-0003"}}}}});
  o.outbox.append(list);
  o.flush(d1);
  Json rows = d1.rows("SELECT id, tenant_id, post_id, kind, payload, occurred_at FROM analytics_events ORDER BY id");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0]["id"] == "t1:c:event-0001");
  CHECK(rows[0]["tenant_id"] == "t1");
  CHECK(rows[0]["post_id"] == "post-hello");  // not t2's post of the same slug
  CHECK(rows[0]["kind"] == "view");
  CHECK(*lattice::parseJson(rows[0]["payload"].get<std::string>()) == Json{{"slug", "hello"}, {"data", Json::object()}});
  CHECK(rows[0]["occurred_at"] == kNow - 100);
  CHECK(rows[1]["post_id"].is_null());
  CHECK(*lattice::parseJson(rows[1]["payload"].get<std::string>()) == Json{{"slug", "missing"}, {"data", {{"type", "clap"}}}});
  CHECK(rows[1]["occurred_at"] == kNow);
  CHECK(rows[2]["post_id"].is_null());
  CHECK(*lattice::parseJson(rows[2]["payload"].get<std::string>()) == Json{{"slug", nullptr}, {"data", Json::object()}});

  auto statements = analyticsInserts("t1", list);
  REQUIRE(statements.size() == 3);
  CHECK(statements[0].params[0] == "t1:c:event-0001");
  CHECK(statements[0].sql.find("INSERT OR IGNORE INTO analytics_events") != std::string::npos);
}

TEST_CASE("outbox: consecutive flush failures and the backoff") {
  Object o;
  CHECK(o.outbox.failures() == 0);
  CHECK(o.outbox.recordFailure() == 1);
  CHECK(o.outbox.recordFailure() == 2);
  CHECK(o.outbox.recordFailure() == 3);
  CHECK(o.outbox.failures() == 3);
  EventOutbox reopened(o.sql);  // kept in storage, not in memory
  CHECK(reopened.failures() == 3);
  o.outbox.resetFailures();
  CHECK(o.outbox.failures() == 0);
  CHECK(o.outbox.recordFailure() == 1);

  CHECK(flushRetryDelayMs(0) == 0);
  CHECK(flushRetryDelayMs(1) == 1000);
  CHECK(flushRetryDelayMs(2) == 2000);
  CHECK(flushRetryDelayMs(3) == 4000);
  CHECK(flushRetryDelayMs(9) == 256000);
  CHECK(flushRetryDelayMs(10) == 300000);  // 512 s capped at 5 minutes
  CHECK(flushRetryDelayMs(1000) == 300000);
}
