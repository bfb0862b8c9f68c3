// Meadow follows under a burst (FOLLOWS_PER_MINUTE, src/app/meadow-routes.cpp): follows and
// unfollows share one allowance per reader, counted by the LimiterDO "follow:{readerId}"; beyond
// it the answer is 429 rate.limited with Retry-After, and a refused follow changes nothing — not
// D1's follows, not the reader's feed_read_at, not the reader's FeedDO.
#include <doctest/doctest.h>

#include "app/config.h"
#include "cache-fixture.h"

using namespace cachetest;
using lattice::Config;
using lattice::jsonInt;
using lattice::jsonString;
using lattice::testing::bodyOf;

namespace {

const std::string kMain = "localhost:8787";

struct Limited : Blog {
  explicit Limited(const std::string& perMinute = "")
      : Blog(perMinute.empty() ? Json{{"BASE_DOMAIN", "localhost"}, {"LATTICE_DEV", "1"}}
                               : Json{{"BASE_DOMAIN", "localhost"}, {"LATTICE_DEV", "1"}, {"FOLLOWS_PER_MINUTE", perMinute}}) {
    add("a1");
    w.addTenant("other", "Other Blog");
  }
  std::string signUp(const std::string& name) {
    HttpResponse r = w.request("POST", kMain, "/api/readers", {{"content-type", "application/json"}},
                               Json{{"name", name}}.dump());
    INFO(r.body);
    REQUIRE(r.status == 201);
    return jsonString(bodyOf(r), "token");
  }
  HttpResponse follow(const std::string& token, const std::string& method, const std::string& blog) {
    return w.request(method, kMain, "/api/meadow/following/" + blog, {{"authorization", "Bearer " + token}});
  }
  // What a follow may change: D1's follows and readers, and every FeedDO's follows and items.
  std::string state() {
    std::string out = w.sql("SELECT * FROM follows ORDER BY reader_id, tenant_id").dump();
    out += w.sql("SELECT id, feed_read_at FROM readers ORDER BY id").dump();
    for (const auto& [name, db] : w.objects)
      if (name.rfind("feed:", 0) == 0)
        out += name + w.objectSql(name, "SELECT tenant_id FROM feed_follows ORDER BY 1").dump() +
               w.objectSql(name, "SELECT post_id FROM feed_items ORDER BY 1").dump();
    return out;
  }
};

std::string codeOf(const HttpResponse& r) { return jsonString(errorOf(r), "code"); }

}  // namespace

TEST_CASE("meadow limits: FOLLOWS_PER_MINUTE is read from the vars, 1-100000, default 30") {
  CHECK(Config::fromVars(Json::object()).followsPerMinute == 30);
  CHECK(Config::fromVars(Json{{"FOLLOWS_PER_MINUTE", "5"}}).followsPerMinute == 5);
  CHECK(Config::fromVars(Json{{"FOLLOWS_PER_MINUTE", 7}}).followsPerMinute == 7);
  CHECK(Config::fromVars(Json{{"FOLLOWS_PER_MINUTE", "100000"}}).followsPerMinute == 100000);
  for (const char* bad : {"0", "-1", "100001", "ten", "", "3.5"})
    CHECK_MESSAGE(Config::fromVars(Json{{"FOLLOWS_PER_MINUTE", bad}}).followsPerMinute == 30, bad);
}

TEST_CASE("meadow limits: a burst of follows beyond the limit is refused with 429 and Retry-After") {
  Limited m;  // the default, 30 a minute
  const std::string ada = m.signUp("Ada");
  // 30 at the same instant pass (PUT and DELETE alike, one allowance).
  for (int i = 0; i < 30; ++i) {
    HttpResponse r = m.follow(ada, i % 2 == 0 ? "PUT" : "DELETE", "demo");
    INFO(i, r.body);
    REQUIRE(r.status == 200);
  }
  CHECK(m.w.count("follows") == 0);  // the 30th was an unfollow
  const std::string before = m.state();
  HttpResponse limited = m.follow(ada, "PUT", "demo");
  CHECK(limited.status == 429);
  CHECK(codeOf(limited) == "rate.limited");
  CHECK(limited.header("retry-after") == "2");  // one back every 60/30 s
  CHECK(limited.header("cache-control") == "private, no-store");
  // Refused before anything is written or looked up.
  CHECK(m.state() == before);
  CHECK(m.w.count("follows") == 0);
  // An unfollow and an unknown blog are limited too (no probing which blogs exist).
  CHECK(m.follow(ada, "DELETE", "demo").status == 429);
  CHECK(m.follow(ada, "PUT", "no-such-blog").status == 429);
  CHECK(m.state() == before);

  // Another reader has an allowance of their own.
  const std::string bob = m.signUp("Bob");
  CHECK(m.follow(bob, "PUT", "demo").status == 200);
  CHECK(m.w.count("follows") == 1);

  // One comes back after 60/30 s, and only one.
  m.w.now += 2000;
  CHECK(m.follow(ada, "PUT", "demo").status == 200);
  CHECK(m.w.count("follows") == 2);
  HttpResponse again = m.follow(ada, "PUT", "other");
  CHECK(again.status == 429);
  CHECK(again.header("retry-after") == "2");
  CHECK(m.w.count("follows") == 2);
}

TEST_CASE("meadow limits: a configured limit holds, reading the feed is not counted") {
  Limited m("3");
  const std::string ada = m.signUp("Ada");
  CHECK(m.follow(ada, "PUT", "demo").status == 200);
  CHECK(m.follow(ada, "PUT", "other").status == 200);
  // Reads of the following list and the feed take nothing from the allowance.
  for (int i = 0; i < 10; ++i) {
    CHECK(m.w.request("GET", kMain, "/api/meadow/following", {{"authorization", "Bearer " + ada}}).status == 200);
    CHECK(m.w.request("GET", kMain, "/api/meadow/feed", {{"authorization", "Bearer " + ada}}).status == 200);
  }
  // A follow of an unknown blog counts (it was looked up).
  CHECK(codeOf(m.follow(ada, "PUT", "no-such-blog")) == "tenant.not_found");
  HttpResponse limited = m.follow(ada, "DELETE", "other");
  CHECK(limited.status == 429);
  CHECK(limited.header("retry-after") == "20");  // 60/3 s
  CHECK(m.w.count("follows") == 2);
  // Bad tokens are refused before the limiter is asked: they cannot spend a reader's allowance.
  CHECK(m.follow("rdr_" + std::string(64, '0'), "PUT", "demo").status == 401);
  CHECK(m.w.objects.count("follow:rdr_" + std::string(64, '0')) == 0);
}

TEST_CASE("meadow limits: the limiter failing refuses the follow with 503 and changes nothing") {
  Limited m;
  const std::string ada = m.signUp("Ada");
  const std::string before = m.state();
  m.w.fault = [](const Json& e) -> std::optional<Json> {
    if (jsonString(e, "kind") == "do.call" && jsonString(e, "binding") == "LIMITER_DO")
      return Json{{"ok", false}, {"error", "limiter down"}};
    return std::nullopt;
  };
  HttpResponse r = m.follow(ada, "PUT", "demo");
  m.w.fault = nullptr;
  CHECK(r.status == 503);
  CHECK(codeOf(r) == "storage.unavailable");
  CHECK(m.state() == before);
  CHECK(m.follow(ada, "PUT", "demo").status == 200);
}
