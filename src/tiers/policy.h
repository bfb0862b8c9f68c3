// The tier policy: where a post's content should live, as a pure function of the post's stats,
// `now` and the thresholds (Config, from TIER_* vars). No effects; the migrator
// (src/tiers/migrator.h) applies the decision.
//
//   HOT      content in D1                         drafts, posts edited in the last 7 days,
//                                                  published in the last 30 days (or scheduled),
//                                                  and any post read too much to leave D1
//   WARM     content in R2, metadata in D1         published 30-365 days ago, no edit in 30 days,
//                                                  under 10 views/day
//   COLD     content in R2, archived               archived (and not edited in 7 days), or
//                                                  published over 365 days ago with under 1
//                                                  view/day and no edit in 30 days
//   POPULAR  content in R2, aggressive edge cache  over 100 views/day averaged over 30 days, once
//                                                  out of HOT's age rules; never demoted to COLD
//
// Rules apply in this order (the first that matches decides): draft -> HOT; edited within
// hotEditDays -> HOT (so editing a post, archived ones included, brings it back to HOT; every
// post write also moves its content back to D1 by itself); scheduled -> HOT; archived -> COLD;
// published within hotPublishDays -> HOT; popular -> POPULAR; aged and idle -> COLD; quiet ->
// WARM; otherwise HOT.
//
// Hysteresis: age rules move one way only as time passes (only an edit resets them, on purpose),
// so only the views rules need bands. Each view threshold has an entry and a return value, and a
// post keeps its current tier while its views sit between the two:
//   POPULAR  enters at >= popularEnterViews (100/day), leaves below popularLeaveViews (70/day)
//   WARM     a HOT post enters below warmMaxViews (10/day); a post in R2 comes back to HOT only
//            at >= warmReturnViews (20/day)
//   COLD     a WARM post enters below coldMaxViews (1/day); a COLD post goes back to WARM only at
//            >= coldReturnViews (3/day)
// Views per day are a 30-day average, which moves slowly by itself; with the bands a post near a
// threshold needs its average to move by half the threshold again before it moves back.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"

namespace lattice::tiers {

enum class Tier { Hot, Warm, Cold, Popular };

// "hot", "warm", "cold", "popular".
std::string_view tierName(Tier tier);
std::optional<Tier> tierFromName(std::string_view name);
// Where a tier keeps the content: "d1", "r2" (WARM and POPULAR) or "r2_archived".
std::string_view storageLocationOf(Tier tier);
// The tier a post is in now: from its storage location, and the last tier the migrator recorded
// (posts.tier), which tells POPULAR from WARM. Content in D1 is HOT whatever was recorded (an edit
// brought it back).
Tier currentTier(std::string_view storageLocation, std::string_view recordedTier);

struct Thresholds {
  int hotEditDays = 7;        // TIER_HOT_EDIT_DAYS: an edit keeps a post HOT this long
  int hotPublishDays = 30;    // TIER_HOT_PUBLISH_DAYS: a new post stays HOT this long
  int quietDays = 30;         // TIER_QUIET_DAYS: no edit for this long before WARM or COLD by age
  int coldAgeDays = 365;      // TIER_COLD_AGE_DAYS: published this long ago may go COLD
  double warmMaxViews = 10;     // TIER_WARM_MAX_VIEWS: below this, HOT -> WARM
  double warmReturnViews = 20;  // TIER_WARM_RETURN_VIEWS: at or above this, WARM/COLD -> HOT
  double coldMaxViews = 1;      // TIER_COLD_MAX_VIEWS: below this, an aged post goes COLD
  double coldReturnViews = 3;   // TIER_COLD_RETURN_VIEWS: at or above this, COLD -> WARM
  double popularEnterViews = 100;  // TIER_POPULAR_ENTER_VIEWS
  double popularLeaveViews = 70;   // TIER_POPULAR_LEAVE_VIEWS

  // Each band is ordered (max <= return, leave <= enter) and the tiers nest (cold < warm <
  // popular); fromVars keeps the defaults when a combination is not.
  bool consistent() const;
};

struct PostStats {
  std::string status = "draft";  // draft | published | archived
  std::optional<UnixMillis> publishedAt;
  UnixMillis updatedAt = 0;
  std::optional<UnixMillis> lastAccessedAt;  // carried for operators' logs; no rule uses it yet
  double viewsPerDay = 0;  // averaged over the last 30 days (see viewsPerDayAt)
  Tier current = Tier::Hot;
};

struct Decision {
  Tier tier = Tier::Hot;
  std::string reason;  // stable words for logs: "draft", "edited", "scheduled", "archived", ...
};

Decision decideTier(const PostStats& stats, UnixMillis now, const Thresholds& t);

// Views per day over the last 30 days from what D1 holds: posts.views_30d, the views of the 30
// days before posts.views_30d_at (written by the PostMetaDO's hourly flush, which runs only when
// views arrive). When no flush came for a while, those views are ageing out of the window: the
// count is scaled down linearly with the flush's age and is 0 once it is 30 days old.
double viewsPerDayAt(long long views30d, std::optional<UnixMillis> measuredAt, UnixMillis now);

}  // namespace lattice::tiers
