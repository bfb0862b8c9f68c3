// The IO-free core's building blocks: SHA-256, time as values, JSON limits, coroutine tasks and
// effect sessions, and the Engine as its drivers see it.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "app/engine.h"
#include "core/io.h"
#include "core/json.h"
#include "core/session.h"
#include "core/sha256.h"
#include "core/task.h"
#include "core/time.h"
#include "http/http.h"

using lattice::D1Result;
using lattice::Engine;
using lattice::HttpResponse;
using lattice::Io;
using lattice::Json;
using lattice::Session;
using lattice::Task;

// ---------------------------------------------------------------------------------------------
// SHA-256

TEST_CASE("core: sha256Hex matches the FIPS 180-4 test vectors") {
  using lattice::sha256Hex;
  CHECK(sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256Hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnop"
                  "qrstnopqrstu") == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  CHECK(sha256Hex(std::string(1'000'000, 'a')) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("core: sha256Hex around the padding boundaries and on binary and UTF-8 input") {
  using lattice::sha256Hex;
  struct Vector {
    size_t n;
    const char* hex;
  };
  // sha256(b"x" * n), computed independently (Python hashlib).
  for (const Vector& v : {Vector{55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072"},
                          Vector{56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e"},
                          Vector{57, "ae14a2563ccf969d99aca69ce6bb74981f734bbf9f655f73b8f06db68cab5217"},
                          Vector{63, "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2"},
                          Vector{64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"},
                          Vector{65, "9537c5fdf120482f7d58d25e9ed583f52c02b4e304ea814db1633ad565aed7e9"},
                          Vector{119, "000b48d4edf0fa7bee3c6236ecd2785baa5db4eeb8bb54341b029e0d9fa5fb0c"},
                          Vector{120, "13f05a0b594787f5ecd315edc96141bd3243203d1b7d4f0836f37308b276ba98"},
                          Vector{128, "24da1b81d0b16df6428eee73c69fcb2a93c76bc6df706f0c6670fe6bfe800464"}}) {
    INFO(v.n << " bytes");
    CHECK(sha256Hex(std::string(v.n, 'x')) == v.hex);
  }
  CHECK(sha256Hex("héllo ☃") == "c3a3e84b30327c8e3f04a788d8b68da3fd94c22353c5a30e3fe6ca7ebde3ab3f");
  // Embedded NULs are data, not terminators.
  CHECK(sha256Hex(std::string("a\0b", 3)) != sha256Hex("a"));
  CHECK(sha256Hex(std::string("a\0b", 3)).size() == 64);
  auto raw = lattice::sha256("abc");
  CHECK(raw[0] == 0xba);
  CHECK(raw[31] == 0xad);
}

// ---------------------------------------------------------------------------------------------
// Time

TEST_CASE("core: formatIso8601 and parseIso8601 round trip") {
  using lattice::formatIso8601;
  using lattice::parseIso8601;
  CHECK(formatIso8601(0) == "1970-01-01T00:00:00Z");
  CHECK(formatIso8601(1795000000000) == "2026-11-18T11:06:40Z");
  CHECK(formatIso8601(-1000) == "1969-12-31T23:59:59Z");
  CHECK(formatIso8601(-1) == "1969-12-31T23:59:59Z");  // floor, not truncation toward zero
  CHECK(formatIso8601(999) == "1970-01-01T00:00:00Z");
  struct Case {
    const char* text;
    long long ms;
  };
  for (const Case& c : {Case{"2026-01-31T09:00:00Z", 1769850000000}, Case{"2024-02-29T00:00:00Z", 1709164800000},
                        Case{"2000-02-29T23:59:59Z", 951868799000}, Case{"1969-12-31T23:59:59Z", -1000},
                        Case{"2038-01-19T03:14:08Z", 2147483648000}, Case{"9999-12-31T23:59:59Z", 253402300799000},
                        Case{"1900-03-01T00:00:00Z", -2203891200000}, Case{"0001-01-01T00:00:00Z", -62135596800000}}) {
    INFO(c.text);
    auto t = parseIso8601(c.text);
    REQUIRE(t);
    CHECK(*t == c.ms);
    CHECK(formatIso8601(*t) == c.text);
  }
  // Every second of a span survives format -> parse.
  for (long long t = 1795000000000; t < 1795000000000 + 200'000'000; t += 9'876'543'000) {
    auto back = parseIso8601(formatIso8601(t));
    REQUIRE(back);
    CHECK(*back == t);
  }
}

TEST_CASE("core: parseIso8601 offsets, fractions and bare dates") {
  using lattice::parseIso8601;
  CHECK(parseIso8601("2026-03-14T09:30:00+02:00") == 1773473400000);
  CHECK(parseIso8601("2026-03-14T09:30:00-05:30") == 1773500400000);
  CHECK(parseIso8601("2026-03-14T07:30:00Z") == parseIso8601("2026-03-14T09:30:00+02:00"));
  CHECK(parseIso8601("2026-03-14T09:30:00+00:00") == parseIso8601("2026-03-14T09:30:00Z"));
  CHECK(parseIso8601("2026-03-14T09:30:00-00:00") == parseIso8601("2026-03-14T09:30:00Z"));
  // An offset may move the instant across a day or year boundary.
  CHECK(parseIso8601("2026-01-01T00:30:00+01:00") == parseIso8601("2025-12-31T23:30:00Z"));
  CHECK(parseIso8601("2025-12-31T23:30:00-01:00") == parseIso8601("2026-01-01T00:30:00Z"));
  // Fractions: milliseconds kept, anything finer dropped.
  CHECK(parseIso8601("2026-01-31T09:00:00.5Z") == 1769850000500);
  CHECK(parseIso8601("2026-01-31T09:00:00.123Z") == 1769850000123);
  CHECK(parseIso8601("2026-01-31T09:00:00.123999Z") == 1769850000123);
  CHECK(parseIso8601("2026-01-31T09:00:00.250+01:00") == 1769850000250 - 3600000);
  // A bare date is midnight UTC.
  CHECK(parseIso8601("2026-01-31") == 1769817600000);
  CHECK(parseIso8601("2024-02-29") == 1709164800000);
}

TEST_CASE("core: parseIso8601 refuses impossible dates and incomplete times") {
  using lattice::parseIso8601;
  for (const char* bad :
       {"", "2026", "2026-01", "2026-1-31", "26-01-31", "2026/01/31", "2026-02-30", "2026-02-29T00:00:00Z",
        "2023-02-29", "1900-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00", "2026-01-32",
        "2026-01-31T09:00:00",          // missing zone
        "2026-01-31T09:00:00.5",        // missing zone after a fraction
        "2026-01-31T09:00Z",            // missing seconds
        "2026-01-31T9:00:00Z", "2026-01-31T24:00:00Z", "2026-01-31T23:60:00Z", "2026-01-31T23:59:61Z",
        "2026-01-31 09:00:00Z",         // space for T
        "2026-01-31t09:00:00Z", "2026-01-31T09:00:00z", "2026-01-31T09:00:00.Z", "2026-01-31T09:00:00ZZ",
        "2026-01-31T09:00:00Z ", " 2026-01-31T09:00:00Z", "2026-01-31T09:00:00+0200", "2026-01-31T09:00:00+02",
        "2026-01-31T09:00:00+24:00", "2026-01-31T09:00:00+02:60", "2026-01-31T09:00:00 +02:00",
        "2026-01-31X", "2026-01-31T", "yesterday", "２０２６-01-31", "-2026-01-31"}) {
    INFO("'" << bad << "'");
    CHECK_FALSE(parseIso8601(bad).has_value());
  }
  // Leap years: divisible by 4, except centuries, except every 400 years.
  CHECK(parseIso8601("2000-02-29").has_value());
  CHECK(parseIso8601("2400-02-29").has_value());
  CHECK_FALSE(parseIso8601("2100-02-29").has_value());
}

TEST_CASE("core: formatHumanDate") {
  using lattice::formatHumanDate;
  using lattice::parseIso8601;
  CHECK(formatHumanDate(0) == "1 January 1970");
  CHECK(formatHumanDate(*parseIso8601("2025-03-14T09:30:00Z")) == "14 March 2025");
  CHECK(formatHumanDate(*parseIso8601("2024-02-29T23:59:59Z")) == "29 February 2024");
  CHECK(formatHumanDate(*parseIso8601("2026-12-31T23:59:59.999Z")) == "31 December 2026");
  CHECK(formatHumanDate(-1) == "31 December 1969");
  const char* months[] = {"January", "February", "March",     "April",   "May",      "June",
                          "July",    "August",   "September", "October", "November", "December"};
  for (int m = 1; m <= 12; ++m) {
    std::string iso = "2026-" + std::string(m < 10 ? "0" : "") + std::to_string(m) + "-15";
    CHECK(formatHumanDate(*parseIso8601(iso)) == "15 " + std::string(months[m - 1]) + " 2026");
  }
}

// ---------------------------------------------------------------------------------------------
// JSON limits

TEST_CASE("core: parseJson refuses nesting deeper than kMaxJsonDepth and nothing else") {
  using lattice::jsonDepthWithin;
  using lattice::kMaxJsonDepth;
  using lattice::parseJson;
  auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  CHECK(parseJson(nested(kMaxJsonDepth)).has_value());
  CHECK_FALSE(parseJson(nested(kMaxJsonDepth + 1)).has_value());
  CHECK_FALSE(parseJson(nested(500'000)).has_value());
  // Brackets inside strings, escaped quotes included, are not nesting.
  CHECK(jsonDepthWithin(R"({"a":"[[[[{{{{"})", 1));
  CHECK(jsonDepthWithin(R"({"a":"\"[[[[\\"})", 1));
  CHECK_FALSE(jsonDepthWithin(R"({"a":"\\",  "b":[[1]]})", 2));
  CHECK(jsonDepthWithin(R"([{"a":[1]},{"b":{}}])", 3));
  CHECK_FALSE(jsonDepthWithin(R"([{"a":[1]},{"b":{}}])", 2));
  Json deepString = *parseJson("{\"s\":\"" + std::string(1000, '[') + "\"}");
  CHECK(deepString["s"].get<std::string>().size() == 1000);
  // Plain parse failures are still failures.
  CHECK_FALSE(parseJson("{").has_value());
  CHECK_FALSE(parseJson("").has_value());
  CHECK(parseJson("null").has_value());
}

// ---------------------------------------------------------------------------------------------
// Tasks and sessions

namespace {

Task<long long> fetchNumber(Io& io, std::string key, std::vector<std::string>* trace) {
  trace->push_back("ask " + key);
  Json effect = {{"kind", "kv.get"}, {"key", key}};
  Json r = co_await io.perform(std::move(effect));
  trace->push_back("got " + key);
  co_return lattice::jsonInt(r, "n");
}

Task<long long> sumOfTwo(Io& io, std::vector<std::string>* trace) {
  long long a = co_await fetchNumber(io, "a", trace);
  long long b = co_await fetchNumber(io, "b", trace);
  co_return a * 10 + b;
}

Task<int> immediate(int v) { co_return v; }

Task<void> note(Io& io, std::vector<std::string>* trace) {
  trace->push_back("note");
  io.log("info", "noted");
  co_return;
}

Task<HttpResponse> handler(Io& io, std::vector<std::string>* trace) {
  io.log("info", "start", {{"n", 1}});
  int k = co_await immediate(7);
  co_await note(io, trace);
  long long v = co_await sumOfTwo(io, trace);
  lattice::SqlStatement statement{"SELECT ?1 AS x", Json::array({42})};  // g++ 12: no braces in co_await
  D1Result d = co_await io.query(std::move(statement));
  io.metric("handler.done", 2);
  HttpResponse r;
  r.status = 201;
  r.set("x-k", std::to_string(k));
  r.body = std::to_string(v) + "|" + (d.ok ? "ok" : "fail:" + d.error) + "|" + d.rows.dump();
  co_return r;
}

Task<HttpResponse> noEffects(Io& io) {
  long long total = 0;
  for (int i = 0; i < 100'000; ++i) total += co_await immediate(1);  // sequential synchronous awaits
  HttpResponse r;
  r.body = std::to_string(total);
  co_return r;
}

Task<HttpResponse> manyEffects(Io& io, int n) {
  long long total = 0;
  for (int i = 0; i < n; ++i) {
    Json effect = {{"kind", "kv.get"}, {"key", "k" + std::to_string(i)}};
    Json r = co_await io.perform(std::move(effect));
    total += lattice::jsonInt(r, "n");
  }
  HttpResponse r;
  r.body = std::to_string(total);
  co_return r;
}

Task<long long> nestedDepth(Io& io, int depth) {
  if (depth == 0) {
    Json effect = {{"kind", "kv.get"}, {"key", "bottom"}};
    Json r = co_await io.perform(std::move(effect));
    co_return lattice::jsonInt(r, "n");
  }
  long long below = co_await nestedDepth(io, depth - 1);
  co_return below + 1;
}

Task<HttpResponse> deep(Io& io) {
  long long v = co_await nestedDepth(io, 200);
  HttpResponse r;
  r.body = std::to_string(v);
  co_return r;
}

}  // namespace

TEST_CASE("core: a session resumes nested tasks with effect results in order") {
  std::vector<std::string> trace;
  Session s([&trace](Io& io) { return handler(io, &trace); });

  Json step = s.step();
  REQUIRE(step.contains("effect"));
  CHECK(step["effect"] == Json{{"kind", "kv.get"}, {"key", "a"}});
  REQUIRE(step.contains("emits"));
  REQUIRE(step["emits"].size() == 2);
  CHECK(step["emits"][0] == Json{{"kind", "log"}, {"level", "info"}, {"message", "start"}, {"fields", {{"n", 1}}}});
  CHECK(step["emits"][1]["message"] == "noted");
  CHECK(trace == std::vector<std::string>{"note", "ask a"});
  CHECK_FALSE(s.done());

  step = s.resume(Json{{"ok", true}, {"n", 3}});
  REQUIRE(step.contains("effect"));
  CHECK(step["effect"]["key"] == "b");
  CHECK(trace == std::vector<std::string>{"note", "ask a", "got a", "ask b"});

  step = s.resume(Json{{"ok", true}, {"n", 4}});
  REQUIRE(step.contains("effect"));
  CHECK(step["effect"]["kind"] == "d1.query");
  CHECK(step["effect"]["binding"] == "DB");
  CHECK(step["effect"]["sql"] == "SELECT ?1 AS x");
  CHECK(step["effect"]["params"] == Json::array({42}));

  step = s.resume(Json{{"ok", true}, {"rows", Json::array({Json{{"x", 42}}})}, {"meta", {{"rows_read", 1}}}});
  REQUIRE(step.contains("response"));
  CHECK(s.done());
  HttpResponse r = HttpResponse::fromJson(step["response"]);
  CHECK(r.status == 201);
  CHECK(r.header("x-k") == "7");
  CHECK(r.body == "34|ok|[{\"x\":42}]");
  REQUIRE(step.contains("emits"));
  CHECK(step["emits"][0] == Json{{"kind", "metric"}, {"name", "handler.done"}, {"value", 2.0}});
  CHECK(trace == std::vector<std::string>{"note", "ask a", "got a", "ask b", "got b"});

  // Resuming a finished session changes nothing and does not crash.
  Json again = s.resume(Json{{"ok", true}});
  CHECK(again["response"] == step["response"]);
}

TEST_CASE("core: a failed D1 effect reaches the coroutine as a D1Result error") {
  std::vector<std::string> trace;
  Session s([&trace](Io& io) { return handler(io, &trace); });
  s.resume(Json{{"ok", true}, {"n", 1}});
  s.resume(Json{{"ok", true}, {"n", 2}});
  Json step = s.resume(Json{{"ok", false}, {"error", "D1_ERROR: no such table"}});
  REQUIRE(step.contains("response"));
  CHECK(HttpResponse::fromJson(step["response"]).body == "12|fail:D1_ERROR: no such table|[]");

  D1Result anonymous = lattice::parseD1Result(Json{{"ok", false}});
  CHECK_FALSE(anonymous.ok);
  CHECK(anonymous.error == "d1 effect failed");
  D1Result full = lattice::parseD1Result(
      Json{{"ok", true}, {"rows", Json::array()}, {"meta", {{"rows_read", 3}, {"rows_written", 2}, {"changes", 1}}}});
  CHECK(full.ok);
  CHECK(full.rowsRead == 3);
  CHECK(full.rowsWritten == 2);
  CHECK(full.changes == 1);
  // Garbage from a driver is a failure, never a crash.
  CHECK_FALSE(lattice::parseD1Result(Json("nonsense")).ok);
  CHECK_FALSE(lattice::parseD1Result(Json{{"ok", "yes"}, {"rows", "x"}, {"meta", 5}}).ok);
}

TEST_CASE("core: a session without effects answers at once; long effect chains do not grow") {
  Session quick([](Io& io) { return noEffects(io); });
  CHECK(quick.done());
  Json step = quick.step();
  REQUIRE(step.contains("response"));
  CHECK(HttpResponse::fromJson(step["response"]).body == "100000");

  Session many([](Io& io) { return manyEffects(io, 1000); });
  int effects = 0;
  step = many.step();
  while (step.contains("effect")) {
    ++effects;
    step = many.resume(Json{{"ok", true}, {"n", 2}});
  }
  CHECK(effects == 1000);
  CHECK(HttpResponse::fromJson(step["response"]).body == "2000");

  Session nested([](Io& io) { return deep(io); });
  step = nested.step();
  REQUIRE(step.contains("effect"));
  CHECK(step["effect"]["key"] == "bottom");
  step = nested.resume(Json{{"ok", true}, {"n", 1000}});
  REQUIRE(step.contains("response"));
  CHECK(HttpResponse::fromJson(step["response"]).body == "1200");
}

TEST_CASE("core: destroying a session mid-request frees the suspended chain") {
  std::vector<std::string> trace;
  {
    Session s([&trace](Io& io) { return handler(io, &trace); });
    s.resume(Json{{"ok", true}, {"n", 1}});
    CHECK_FALSE(s.done());
  }  // destroyed while waiting for "b": no leak or crash (run under valgrind/ASan to see)
  CHECK(trace.back() == "ask b");
}

// ---------------------------------------------------------------------------------------------
// Engine

namespace {

Json envelope(const std::string& method, const std::string& url) {
  return Json{{"request", {{"method", method}, {"url", url}, {"headers", Json::object()}}},
              {"now", 1795000000000LL},
              {"random", lattice::sha256Hex("r")}};
}

std::string codeOf(const Json& step) {
  auto body = lattice::parseJson(lattice::jsonString(step["response"], "body"));
  return body && body->contains("error") ? (*body)["error"].value("code", "") : "";
}

}  // namespace

TEST_CASE("core: Engine::begin answers a malformed envelope with 400 request.malformed") {
  Engine e(lattice::Config::fromVars(Json{{"BASE_DOMAIN", "localhost"}}));
  for (const Json& bad : {Json(nullptr), Json::object(), Json::array(), Json("GET /"), Json{{"request", "GET /"}},
                          Json{{"request", {{"method", "GET"}}}}, Json{{"request", {{"url", "http://localhost/"}}}},
                          Json{{"request", {{"method", "GET"}, {"url", "localhost/blog"}}}},
                          Json{{"request", {{"method", ""}, {"url", "http://localhost/"}}}},
                          Json{{"request", {{"method", 5}, {"url", "http://localhost/"}}}}}) {
    INFO(bad.dump());
    Json step = e.begin(bad);
    REQUIRE(step.contains("response"));
    CHECK(step.contains("id"));
    CHECK(step["response"]["status"] == 400);
    CHECK(codeOf(step) == "request.malformed");
    CHECK(e.activeCount() == 0);
  }
}

TEST_CASE("core: Engine::resume with an unknown id is a 500") {
  Engine e(lattice::Config::fromVars(Json{{"BASE_DOMAIN", "localhost"}}));
  Json step = e.resume(12345, Json{{"ok", true}});
  REQUIRE(step.contains("response"));
  CHECK(step["id"] == 12345);
  CHECK(step["response"]["status"] == 500);
  CHECK(codeOf(step) == "engine.unknown_session");
  CHECK(e.activeCount() == 0);
}

TEST_CASE("core: Engine tracks requests in flight and forgets them when they finish") {
  Engine e(lattice::Config::fromVars(Json{{"BASE_DOMAIN", "localhost"}, {"CACHE_MODE", "off"}}));

  // No effects needed: answered at once, nothing stays active.
  Json landing = e.begin(envelope("GET", "http://localhost:8787/"));
  REQUIRE(landing.contains("response"));
  CHECK(landing["response"]["status"] == 200);
  CHECK(e.activeCount() == 0);

  // Two requests interleaved, each waiting on its tenant lookup.
  Json a = e.begin(envelope("GET", "http://demo.localhost:8787/blog"));
  Json b = e.begin(envelope("GET", "http://other.localhost:8787/blog/x"));
  REQUIRE(a.contains("effect"));
  REQUIRE(b.contains("effect"));
  CHECK(a["id"] != b["id"]);
  CHECK(a["effect"]["kind"] == "d1.query");
  CHECK(a["effect"]["params"][0] == "demo");
  CHECK(b["effect"]["params"][0] == "other");
  CHECK(e.activeCount() == 2);

  // b's storage fails: 503, with the error log riding along on the final step.
  Json bDone = e.resume(b["id"].get<long long>(), Json{{"ok", false}, {"error", "boom"}});
  REQUIRE(bDone.contains("response"));
  CHECK(bDone["id"] == b["id"]);
  CHECK(bDone["response"]["status"] == 503);
  CHECK(codeOf(bDone) == "storage.unavailable");
  REQUIRE(bDone.contains("emits"));
  CHECK(bDone["emits"][0]["level"] == "error");
  CHECK(bDone["emits"][0]["fields"]["error"] == "boom");
  CHECK(e.activeCount() == 1);

  // a's tenant does not exist: 404 page.
  Json aDone = e.resume(a["id"].get<long long>(), Json{{"ok", true}, {"rows", Json::array()}});
  REQUIRE(aDone.contains("response"));
  CHECK(aDone["response"]["status"] == 404);
  CHECK(lattice::jsonString(aDone["response"], "body").find("Blog not found") != std::string::npos);
  CHECK(e.activeCount() == 0);

  // Finished ids are forgotten.
  CHECK(e.resume(a["id"].get<long long>(), Json{{"ok", true}})["response"]["status"] == 500);

  // A cancelled request is dropped without being resumed.
  Json c = e.begin(envelope("GET", "http://demo.localhost:8787/blog"));
  REQUIRE(c.contains("effect"));
  CHECK(e.activeCount() == 1);
  e.cancel(c["id"].get<long long>());
  CHECK(e.activeCount() == 0);
  CHECK(codeOf(e.resume(c["id"].get<long long>(), Json{{"ok", true}})) == "engine.unknown_session");
}
