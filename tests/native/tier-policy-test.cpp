// The tier policy (src/tiers/policy.h): every rule, its order, the hysteresis bands, editing
// bringing a post back to HOT, the ageing of the views measurement, and the thresholds from vars.
#include <doctest/doctest.h>

#include "app/config.h"
#include "tiers/policy.h"

using namespace lattice;
using namespace lattice::tiers;

namespace {

constexpr UnixMillis kDay = 24LL * 60 * 60 * 1000;
constexpr UnixMillis kNow = 1795000000000;

// A published post, `age` days after publication, last edited `edited` days ago.
PostStats post(int ageDays, int editedDaysAgo, double views, Tier current = Tier::Hot) {
  PostStats s;
  s.status = "published";
  s.publishedAt = kNow - ageDays * kDay;
  s.updatedAt = kNow - editedDaysAgo * kDay;
  s.viewsPerDay = views;
  s.current = current;
  return s;
}

Tier tierOf(const PostStats& s, const Thresholds& t = {}) { return decideTier(s, kNow, t).tier; }
std::string reasonOf(const PostStats& s, const Thresholds& t = {}) { return decideTier(s, kNow, t).reason; }

}  // namespace

TEST_CASE("tier policy: names, locations and the current tier") {
  for (Tier t : {Tier::Hot, Tier::Warm, Tier::Cold, Tier::Popular}) CHECK(tierFromName(tierName(t)) == t);
  CHECK_FALSE(tierFromName("lukewarm"));
  CHECK(storageLocationOf(Tier::Hot) == "d1");
  CHECK(storageLocationOf(Tier::Warm) == "r2");
  CHECK(storageLocationOf(Tier::Popular) == "r2");
  CHECK(storageLocationOf(Tier::Cold) == "r2_archived");
  CHECK(currentTier("d1", "") == Tier::Hot);
  CHECK(currentTier("d1", "popular") == Tier::Hot);  // an edit brought it back
  CHECK(currentTier("d1", "warm") == Tier::Hot);
  CHECK(currentTier("r2", "") == Tier::Warm);
  CHECK(currentTier("r2", "warm") == Tier::Warm);
  CHECK(currentTier("r2", "popular") == Tier::Popular);
  CHECK(currentTier("r2_archived", "popular") == Tier::Cold);
  CHECK(Thresholds{}.consistent());
}

TEST_CASE("tier policy: HOT for drafts, recent edits, scheduled and new posts") {
  PostStats draft = post(400, 200, 0);
  draft.status = "draft";
  CHECK(tierOf(draft) == Tier::Hot);
  CHECK(reasonOf(draft) == "draft");
  draft.publishedAt.reset();
  CHECK(tierOf(draft) == Tier::Hot);

  CHECK(tierOf(post(400, 6, 0)) == Tier::Hot);
  CHECK(reasonOf(post(400, 6, 0)) == "edited");
  CHECK(reasonOf(post(400, 7, 0)) != "edited");  // exactly 7 days is no longer "in the last 7"

  PostStats scheduled = post(-3, 10, 0);
  CHECK(tierOf(scheduled) == Tier::Hot);
  CHECK(reasonOf(scheduled) == "scheduled");

  CHECK(tierOf(post(29, 29, 0)) == Tier::Hot);
  CHECK(reasonOf(post(29, 29, 0)) == "new");
  // New beats popular: the first 30 days stay in D1 whatever the traffic.
  CHECK(tierOf(post(10, 10, 5000)) == Tier::Hot);
}

TEST_CASE("tier policy: WARM for quiet posts 30-365 days old, COLD for archived and idle old ones") {
  CHECK(tierOf(post(30, 30, 0)) == Tier::Warm);
  CHECK(reasonOf(post(30, 30, 0)) == "quiet");
  CHECK(tierOf(post(200, 45, 9.9)) == Tier::Warm);
  CHECK(tierOf(post(200, 45, 10)) == Tier::Hot);  // read enough to stay in D1
  CHECK(reasonOf(post(200, 45, 10)) == "busy");
  // An edit 8-29 days ago: out of "edited" but not quiet yet.
  CHECK(tierOf(post(200, 20, 0)) == Tier::Hot);
  CHECK(reasonOf(post(200, 20, 0)) == "edited_recently");

  CHECK(tierOf(post(364, 100, 0)) == Tier::Warm);
  CHECK(tierOf(post(365, 100, 0.99)) == Tier::Cold);
  CHECK(reasonOf(post(365, 100, 0.99)) == "idle");
  CHECK(tierOf(post(800, 100, 1)) == Tier::Warm);  // over a year, but read daily
  CHECK(tierOf(post(800, 100, 50)) == Tier::Hot);

  PostStats archived = post(40, 8, 0);
  archived.status = "archived";
  CHECK(tierOf(archived) == Tier::Cold);
  CHECK(reasonOf(archived) == "archived");
  // Archived without ever being published.
  archived.publishedAt.reset();
  CHECK(tierOf(archived) == Tier::Cold);
}

TEST_CASE("tier policy: POPULAR above 100 views a day, never COLD while popular") {
  CHECK(tierOf(post(31, 31, 100)) == Tier::Popular);
  CHECK(reasonOf(post(31, 31, 100)) == "popular");
  CHECK(tierOf(post(31, 31, 99.9)) == Tier::Hot);
  CHECK(tierOf(post(2000, 900, 150, Tier::Cold)) == Tier::Popular);
  CHECK(tierOf(post(2000, 900, 150, Tier::Warm)) == Tier::Popular);
  // Popular even when edited 8-29 days ago: it is out of HOT's rules.
  CHECK(tierOf(post(200, 10, 150)) == Tier::Popular);
}

TEST_CASE("tier policy: hysteresis keeps a post near a threshold where it is") {
  SUBCASE("popular enters at 100, leaves below 70") {
    CHECK(tierOf(post(100, 60, 85, Tier::Warm)) == Tier::Hot);      // 85 from WARM: back to D1 (>= 20)
    CHECK(tierOf(post(100, 60, 85, Tier::Popular)) == Tier::Popular);
    CHECK(reasonOf(post(100, 60, 85, Tier::Popular)) == "still_popular");
    CHECK(tierOf(post(100, 60, 70, Tier::Popular)) == Tier::Popular);
    CHECK(tierOf(post(100, 60, 69.9, Tier::Popular)) == Tier::Hot);  // out, and busy enough for D1
    CHECK(tierOf(post(100, 60, 15, Tier::Popular)) == Tier::Warm);   // out, in R2 below 20: WARM
  }
  SUBCASE("WARM below 10 from HOT, back to HOT only at 20") {
    for (double v : {10.0, 12.0, 19.9}) {
      CHECK(tierOf(post(100, 60, v, Tier::Hot)) == Tier::Hot);
      CHECK(tierOf(post(100, 60, v, Tier::Warm)) == Tier::Warm);
      CHECK(tierOf(post(100, 60, v, Tier::Cold)) == Tier::Warm);
    }
    CHECK(reasonOf(post(100, 60, 12, Tier::Warm)) == "still_quiet");
    CHECK(tierOf(post(100, 60, 20, Tier::Warm)) == Tier::Hot);
    CHECK(tierOf(post(100, 60, 9.9, Tier::Hot)) == Tier::Warm);
  }
  SUBCASE("COLD below 1 from WARM, back to WARM only at 3") {
    for (double v : {1.0, 2.0, 2.9}) {
      CHECK(tierOf(post(400, 100, v, Tier::Warm)) == Tier::Warm);
      CHECK(tierOf(post(400, 100, v, Tier::Cold)) == Tier::Cold);
    }
    CHECK(reasonOf(post(400, 100, 2, Tier::Cold)) == "still_idle");
    CHECK(tierOf(post(400, 100, 3, Tier::Cold)) == Tier::Warm);
    CHECK(tierOf(post(400, 100, 0.5, Tier::Warm)) == Tier::Cold);
  }
  SUBCASE("a post whose views wobble around a threshold moves once, not daily") {
    // Views per day over 60 days swinging around 10 (between 8 and 18): one move to WARM.
    Tier t = Tier::Hot;
    int moves = 0;
    for (int day = 0; day < 60; ++day) {
      const double v = day % 2 ? 8 : 18;
      const Tier next = decideTier(post(100 + day, 60 + day, v, t), kNow, Thresholds{}).tier;
      if (next != t) ++moves;
      t = next;
    }
    CHECK(moves == 1);
    CHECK(t == Tier::Warm);
    // Around 100: enters once, never leaves while above 70.
    t = Tier::Warm;
    moves = 0;
    for (int day = 0; day < 60; ++day) {
      const double v = day % 2 ? 75 : 105;
      const Tier next = decideTier(post(100 + day, 60 + day, v, t), kNow, Thresholds{}).tier;
      if (next != t) ++moves;
      t = next;
    }
    CHECK(moves == 1);
    CHECK(t == Tier::Popular);
  }
}

TEST_CASE("tier policy: editing a post brings it back to HOT from every tier") {
  for (Tier from : {Tier::Warm, Tier::Cold, Tier::Popular}) {
    CAPTURE(tierName(from));
    PostStats s = post(from == Tier::Warm ? 200 : 900, 0, from == Tier::Popular ? 500 : 0, from);
    CHECK(tierOf(s) == Tier::Hot);
    CHECK(reasonOf(s) == "edited");
    s.updatedAt = kNow - 6 * kDay;
    CHECK(tierOf(s) == Tier::Hot);
    // After a week the edit alone no longer holds it, but it only leaves D1 by age once it has
    // been quiet for 30 days (unless it is popular).
    s.updatedAt = kNow - 7 * kDay;
    if (from == Tier::Popular) CHECK(tierOf(s) == Tier::Popular);
    else CHECK(reasonOf(s) == "edited_recently");
    s.updatedAt = kNow - 30 * kDay;
    CHECK(tierOf(s) == from);
  }
  PostStats archived = post(900, 1, 0, Tier::Cold);
  archived.status = "archived";  // just archived (or edited while archived): HOT for a week
  CHECK(tierOf(archived) == Tier::Hot);
}

TEST_CASE("tier policy: thresholds are configuration") {
  Thresholds t;
  t.hotPublishDays = 3;
  t.hotEditDays = 1;
  t.quietDays = 2;
  t.warmMaxViews = 50;
  t.warmReturnViews = 60;
  REQUIRE(t.consistent());
  CHECK(tierOf(post(5, 5, 40), t) == Tier::Warm);
  CHECK(tierOf(post(5, 5, 40)) == Tier::Hot);

  Config c = Config::fromVars({{"TIER_HOT_EDIT_DAYS", "2"},
                               {"TIER_HOT_PUBLISH_DAYS", "14"},
                               {"TIER_QUIET_DAYS", "20"},
                               {"TIER_COLD_AGE_DAYS", "180"},
                               {"TIER_WARM_MAX_VIEWS", "5"},
                               {"TIER_WARM_RETURN_VIEWS", "8"},
                               {"TIER_COLD_MAX_VIEWS", "2"},
                               {"TIER_COLD_RETURN_VIEWS", "4"},
                               {"TIER_POPULAR_ENTER_VIEWS", "500"},
                               {"TIER_POPULAR_LEAVE_VIEWS", "300"},
                               {"TIER_BATCH_SIZE", "25"},
                               {"TIER_MAX_BATCHES", "3"},
                               {"TIER_MAX_MOVES", "7"},
                               {"TIER_GRACE_SECONDS", "0"},
                               {"OPERATOR_TOKEN_SHA256", std::string(64, 'A')}});
  CHECK(c.tiers.hotEditDays == 2);
  CHECK(c.tiers.hotPublishDays == 14);
  CHECK(c.tiers.quietDays == 20);
  CHECK(c.tiers.coldAgeDays == 180);
  CHECK(c.tiers.warmMaxViews == 5);
  CHECK(c.tiers.warmReturnViews == 8);
  CHECK(c.tiers.coldMaxViews == 2);
  CHECK(c.tiers.coldReturnViews == 4);
  CHECK(c.tiers.popularEnterViews == 500);
  CHECK(c.tiers.popularLeaveViews == 300);
  CHECK(c.tierBatchSize == 25);
  CHECK(c.tierMaxBatches == 3);
  CHECK(c.tierMaxMoves == 7);
  CHECK(c.tierGraceSeconds == 0);
  CHECK(c.operatorTokenSha256 == std::string(64, 'a'));

  // Bands out of order keep every default; bad values keep theirs.
  Config bad = Config::fromVars({{"TIER_POPULAR_ENTER_VIEWS", "50"}, {"TIER_POPULAR_LEAVE_VIEWS", "70"},
                                 {"TIER_BATCH_SIZE", "0"}, {"TIER_GRACE_SECONDS", "-5"},
                                 {"OPERATOR_TOKEN_SHA256", "not-a-hash"}});
  CHECK(bad.tiers.popularEnterViews == 100);
  CHECK(bad.tiers.popularLeaveViews == 70);
  CHECK(bad.tierBatchSize == 200);
  CHECK(bad.tierGraceSeconds == 86400);
  CHECK(bad.operatorTokenSha256.empty());
  Config defaults = Config::fromVars(Json::object());
  CHECK(defaults.tiers.warmMaxViews == 10);
  CHECK(defaults.tierBatchSize == 200);
  CHECK(defaults.tierMaxBatches == 50);
  CHECK(defaults.tierMaxMoves == 250);
}

TEST_CASE("tier policy: views per day from the last flush, ageing when no flush came") {
  CHECK(viewsPerDayAt(300, kNow, kNow) == doctest::Approx(10));
  CHECK(viewsPerDayAt(300, kNow - kDay, kNow) == doctest::Approx(300.0 * 29 / 30 / 30));
  CHECK(viewsPerDayAt(300, kNow - 15 * kDay, kNow) == doctest::Approx(5));
  CHECK(viewsPerDayAt(300, kNow - 30 * kDay, kNow) == 0);
  CHECK(viewsPerDayAt(300, std::nullopt, kNow) == 0);
  CHECK(viewsPerDayAt(0, kNow, kNow) == 0);
  CHECK(viewsPerDayAt(300, kNow + kDay, kNow) == doctest::Approx(10));  // a clock ahead: not above
}
