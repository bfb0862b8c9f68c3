// The durable rate limiter (src/durable/rate-limit.h) on real SQLite with a virtual clock:
// exactly `limit` takes, then denials with an exact retry-after; refill as the window slides;
// behaviour at the window's edges; independent keys; pruning of idle rows; table name checks;
// and a burst of 1,000 takes across 100 keys checked against the algorithm's bound.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "durable/rate-limit.h"
#include "sqlite-db.h"

using lattice::Decision;
using lattice::Json;
using lattice::RateLimiter;
using lattice::retryAfterSeconds;
using lattice::testing::SqliteDb;
using lattice::testing::SqliteSql;

namespace {

constexpr long long kNow = 1795000000000;
constexpr long long kMinute = 60 * 1000;

struct Limiter {
  SqliteDb db;
  SqliteSql sql{db};
  RateLimiter limiter{sql, "rate_reactions"};

  Decision take(const std::string& key, long long now, int limit = 30, long long windowMs = kMinute) {
    Decision d = limiter.take(key, limit, windowMs, now);
    REQUIRE(d.error.empty());
    return d;
  }
  long long rows() {
    return lattice::jsonInt(db.run("SELECT count(*) AS n FROM rate_reactions", Json::array())["rows"][0], "n");
  }
  // Takes until the first denial at `now`; returns how many were allowed.
  int drain(const std::string& key, long long now, int limit = 30, long long windowMs = kMinute) {
    int allowed = 0;
    while (take(key, now, limit, windowMs).allowed) ++allowed;
    return allowed;
  }
};

}  // namespace

TEST_CASE("rate limit: 30 per minute allows exactly 30, then denies with a retry-after") {
  Limiter l;
  for (int i = 0; i < 30; ++i) {
    Decision d = l.take("reader-1", kNow);
    REQUIRE(d.allowed);
    CHECK(d.remaining == 29 - i);
    CHECK(d.retryAfterMs == 0);
  }
  Decision denied = l.take("reader-1", kNow);
  CHECK_FALSE(denied.allowed);
  CHECK(denied.remaining == 0);
  // One take comes back every 60 s / 30 = 2 s.
  CHECK(denied.retryAfterMs == 2000);
  CHECK(retryAfterSeconds(denied) == 2);

  // Denied takes do not consume: many denials later the wait has only shrunk with time.
  for (int i = 0; i < 100; ++i) CHECK_FALSE(l.take("reader-1", kNow + 10).allowed);
  CHECK(l.take("reader-1", kNow + 500).retryAfterMs == 1500);
  CHECK(l.take("reader-1", kNow + 1999).retryAfterMs == 1);
  CHECK(retryAfterSeconds(l.take("reader-1", kNow + 1999)) == 1);
  Decision back = l.take("reader-1", kNow + 2000);
  CHECK(back.allowed);
  CHECK(back.remaining == 0);
  CHECK(l.take("reader-1", kNow + 2000).retryAfterMs == 2000);
}

TEST_CASE("rate limit: takes come back as the window slides, all of them after a full window") {
  Limiter l;
  REQUIRE(l.drain("k", kNow) == 30);
  // Half a window later, half the allowance is back.
  CHECK(l.drain("k", kNow + kMinute / 2) == 15);
  // A full window after the last take, the whole allowance is back (and no more).
  CHECK(l.drain("k", kNow + kMinute / 2 + kMinute) == 30);
  Decision fresh = l.take("k", kNow + 10 * kMinute);
  CHECK(fresh.allowed);
  CHECK(fresh.remaining == 29);
}

TEST_CASE("rate limit: window edges") {
  Limiter l;
  SUBCASE("a burst at the end of one minute leaves none for the start of the next") {
    // A fixed window would allow 30 at 0:59.999 and 30 more at 1:00.000.
    REQUIRE(l.drain("k", kNow + kMinute - 1) == 30);
    CHECK_FALSE(l.take("k", kNow + kMinute).allowed);
    CHECK(l.drain("k", kNow + kMinute - 1 + 2000) == 1);
  }
  SUBCASE("steady takes at exactly the rate are all allowed, faster ones are not") {
    for (int i = 0; i < 200; ++i) REQUIRE(l.take("steady", kNow + i * 2000LL).allowed);
    CHECK(l.take("steady", kNow + 200 * 2000LL).remaining == 29);

    // One take a second against one per 2 s: the 30 in the bucket plus the 29 refilled over the
    // 58 s it takes to run dry. This is the token bucket's bound (at most limit + t * rate in any
    // span of t ms), not "at most 30 in any minute".
    int allowed = 0;
    for (int i = 0; i < 60; ++i)
      if (l.take("fast", kNow + i * 1000LL).allowed) ++allowed;
    CHECK(allowed == 59);
    CHECK_FALSE(l.take("fast", kNow + 59 * 1000LL).allowed);
  }
  SUBCASE("an empty key after exactly one interval of idleness has one take back") {
    REQUIRE(l.drain("k", kNow) == 30);
    CHECK_FALSE(l.take("k", kNow + 1999).allowed);
    CHECK(l.take("k", kNow + 2000).allowed);
    CHECK_FALSE(l.take("k", kNow + 2000).allowed);
  }
  SUBCASE("a limit of 1 per window: one take, then exactly a window to wait") {
    CHECK(l.take("one", kNow, 1, kMinute).allowed);
    Decision d = l.take("one", kNow, 1, kMinute);
    CHECK_FALSE(d.allowed);
    CHECK(d.retryAfterMs == kMinute);
    CHECK(retryAfterSeconds(d) == 60);
    CHECK_FALSE(l.take("one", kNow + kMinute - 1, 1, kMinute).allowed);
    CHECK(l.take("one", kNow + kMinute, 1, kMinute).allowed);
  }
  SUBCASE("a rate that does not divide the window still allows exactly the limit") {
    CHECK(l.drain("seven", kNow, 7, kMinute) == 7);
    Decision d = l.take("seven", kNow, 7, kMinute);
    CHECK(d.retryAfterMs == 8572);  // 60000 / 7 = 8571.43 ms, rounded up
    CHECK(retryAfterSeconds(d) == 9);
    CHECK(l.drain("seven", kNow + kMinute, 7, kMinute) == 7);
  }
}

TEST_CASE("rate limit: keys are independent") {
  Limiter l;
  REQUIRE(l.drain("reader-1", kNow) == 30);
  Decision other = l.take("reader-2", kNow);
  CHECK(other.allowed);
  CHECK(other.remaining == 29);
  CHECK_FALSE(l.take("reader-1", kNow).allowed);
  CHECK(l.drain("reader-2", kNow) == 29);

  // Two limiters over the same storage with different tables do not share keys either.
  RateLimiter signups(l.sql, "rate_signups");
  CHECK(signups.take("reader-1", 3, kMinute, kNow).allowed);
  CHECK(l.rows() == 2);
}

TEST_CASE("rate limit: the state is durable: a new limiter over the same storage goes on from it") {
  Limiter l;
  REQUIRE(l.drain("k", kNow) == 30);
  RateLimiter reopened(l.sql, "rate_reactions");
  CHECK_FALSE(reopened.take("k", 30, kMinute, kNow + 1).allowed);
  CHECK(reopened.take("k", 30, kMinute, kNow + 2000).allowed);
}

TEST_CASE("rate limit: prune removes the rows of idle keys only") {
  Limiter l;
  l.take("idle", kNow);                   // one take: full again at kNow + 2 s
  REQUIRE(l.drain("busy", kNow) == 30);   // drained: full again at kNow + 60 s
  l.take("recent", kNow + 30 * 1000);     // full again at kNow + 32 s
  REQUIRE(l.rows() == 3);

  REQUIRE(l.limiter.prune(kNow + 1999));
  CHECK(l.rows() == 3);
  REQUIRE(l.limiter.prune(kNow + 2000));
  CHECK(l.rows() == 2);
  REQUIRE(l.limiter.prune(kNow + 32 * 1000));
  CHECK(l.rows() == 1);
  // The busy key keeps its row until its bucket is full.
  REQUIRE(l.limiter.prune(kNow + kMinute - 1));
  CHECK(l.rows() == 1);
  REQUIRE(l.limiter.prune(kNow + kMinute));
  CHECK(l.rows() == 0);

  // A pruned key starts afresh, exactly as if its row were still there.
  CHECK(l.take("idle", kNow + kMinute).remaining == 29);
}

TEST_CASE("rate limit: table names are checked before they reach SQL") {
  CHECK(RateLimiter::validTableName("rate_reactions"));
  CHECK(RateLimiter::validTableName("select"));  // quoted, so a keyword is fine
  CHECK(RateLimiter::validTableName(std::string(40, 'a')));
  CHECK_FALSE(RateLimiter::validTableName(""));
  CHECK_FALSE(RateLimiter::validTableName(std::string(41, 'a')));
  CHECK_FALSE(RateLimiter::validTableName("Rate"));
  CHECK_FALSE(RateLimiter::validTableName("rate1"));
  CHECK_FALSE(RateLimiter::validTableName("rate-x"));
  CHECK_FALSE(RateLimiter::validTableName("x\"; DROP TABLE posts; --"));
  CHECK_FALSE(RateLimiter::validTableName("sqlite_limits"));
  CHECK_FALSE(RateLimiter::validTableName("_cf_limits"));

  SqliteDb db;
  SqliteSql sql(db);
  RateLimiter bad(sql, "rates; DROP");
  Decision d = bad.take("k", 30, kMinute, kNow);
  CHECK_FALSE(d.allowed);
  CHECK_FALSE(d.error.empty());
  CHECK_FALSE(bad.prune(kNow));
  CHECK(db.run("SELECT name FROM sqlite_master", Json::array())["rows"].empty());

  RateLimiter keyword(sql, "select");
  CHECK(keyword.take("k", 1, kMinute, kNow).allowed);
  CHECK_FALSE(keyword.take("k", 1, kMinute, kNow).allowed);
}

TEST_CASE("rate limit: a limit or window out of range denies with an error") {
  Limiter l;
  for (auto [limit, window] : std::vector<std::pair<int, long long>>{
           {0, kMinute}, {-1, kMinute}, {30, 0}, {30, -5}, {30, lattice::kMaxRateWindowMs + 1}}) {
    Decision d = l.limiter.take("k", limit, window, kNow);
    CHECK_FALSE(d.allowed);
    CHECK_FALSE(d.error.empty());
    CHECK(retryAfterSeconds(d) == 1);
  }
  CHECK(l.rows() == 0);
  CHECK(l.take("k", kNow, 30, lattice::kMaxRateWindowMs).allowed);
}

TEST_CASE("retryAfterSeconds rounds up, at least 1") {
  auto seconds = [](long long ms) { return retryAfterSeconds(Decision{false, 0, ms, ""}); };
  CHECK(seconds(0) == 1);
  CHECK(seconds(-10) == 1);
  CHECK(seconds(1) == 1);
  CHECK(seconds(1000) == 1);
  CHECK(seconds(1001) == 2);
  CHECK(seconds(59999) == 60);
  CHECK(seconds(60000) == 60);
}

TEST_CASE("rate limit: a burst of 1,000 takes across 100 keys with a virtual clock") {
  Limiter l;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> keyOf(0, 99);
  std::uniform_int_distribution<int> stepOf(0, 40);
  // Per key, the times of its allowed takes, to check the limiter against its contract.
  std::map<int, std::vector<long long>> allowedAt;
  long long now = kNow;
  const int limit = 5;
  const long long window = 10 * 1000;
  int allowed = 0;
  for (int i = 0; i < 1000; ++i) {
    now += stepOf(rng);  // ~20 s in all: two windows
    const int key = keyOf(rng);
    Decision d = l.take("client-" + std::to_string(key), now, limit, window);
    REQUIRE(d.error.empty());
    REQUIRE(d.remaining >= 0);
    REQUIRE(d.remaining < limit);
    if (d.allowed) {
      ++allowed;
      allowedAt[key].push_back(now);
      REQUIRE(d.retryAfterMs == 0);
    } else {
      REQUIRE(d.retryAfterMs > 0);
      REQUIRE(d.retryAfterMs <= window / limit);
      // The retry-after is enough: a take after waiting it is allowed.
      Decision later = l.take("client-" + std::to_string(key), now + d.retryAfterMs, limit, window);
      REQUIRE(later.allowed);
      allowedAt[key].push_back(now + d.retryAfterMs);
      ++allowed;
      now += d.retryAfterMs;
    }
  }
  // The token bucket's bound: in any span of t ms a key gets at most limit + t * limit / window.
  for (const auto& [key, times] : allowedAt)
    for (size_t i = 0; i < times.size(); ++i)
      for (size_t j = i; j < times.size(); ++j) {
        const long long span = times[j] - times[i];
        REQUIRE(static_cast<long long>(j - i + 1) <= limit + span * limit / window);
      }
  CHECK(allowed >= 500);
  CHECK(l.rows() <= 100);
  REQUIRE(l.limiter.prune(now + window));
  CHECK(l.rows() == 0);
}
