#include "tiers/policy.h"

#include <algorithm>

namespace lattice::tiers {

namespace {

constexpr UnixMillis kDayMs = 24LL * 60 * 60 * 1000;
constexpr int kViewWindowDays = 30;

Decision decided(Tier tier, std::string reason) {
  Decision d;
  d.tier = tier;
  d.reason = std::move(reason);
  return d;
}

bool inR2(Tier t) { return t != Tier::Hot; }

}  // namespace

std::string_view tierName(Tier tier) {
  switch (tier) {
    case Tier::Hot: return "hot";
    case Tier::Warm: return "warm";
    case Tier::Cold: return "cold";
    case Tier::Popular: return "popular";
  }
  return "hot";
}

std::optional<Tier> tierFromName(std::string_view name) {
  if (name == "hot") return Tier::Hot;
  if (name == "warm") return Tier::Warm;
  if (name == "cold") return Tier::Cold;
  if (name == "popular") return Tier::Popular;
  return std::nullopt;
}

std::string_view storageLocationOf(Tier tier) {
  switch (tier) {
    case Tier::Hot: return "d1";
    case Tier::Warm:
    case Tier::Popular: return "r2";
    case Tier::Cold: return "r2_archived";
  }
  return "d1";
}

Tier currentTier(std::string_view storageLocation, std::string_view recordedTier) {
  if (storageLocation == "r2_archived") return Tier::Cold;
  if (storageLocation == "r2") return recordedTier == "popular" ? Tier::Popular : Tier::Warm;
  return Tier::Hot;
}

bool Thresholds::consistent() const {
  return hotEditDays >= 0 && hotPublishDays >= 0 && quietDays >= hotEditDays && coldAgeDays >= hotPublishDays &&
         coldMaxViews >= 0 && coldMaxViews <= coldReturnViews && coldReturnViews <= warmMaxViews &&
         warmMaxViews <= warmReturnViews && warmReturnViews <= popularLeaveViews &&
         popularLeaveViews <= popularEnterViews;
}

Decision decideTier(const PostStats& s, UnixMillis now, const Thresholds& t) {
  const auto within = [now](UnixMillis at, int days) { return now - at < UnixMillis(days) * kDayMs; };
  const double views = s.viewsPerDay;

  if (s.status == "draft") return decided(Tier::Hot, "draft");
  if (within(s.updatedAt, t.hotEditDays)) return decided(Tier::Hot, "edited");
  if (s.status == "archived") return decided(Tier::Cold, "archived");
  if (!s.publishedAt) return decided(Tier::Hot, "unpublished");
  if (*s.publishedAt > now) return decided(Tier::Hot, "scheduled");
  if (within(*s.publishedAt, t.hotPublishDays)) return decided(Tier::Hot, "new");

  // Popular: enters at the higher mark, stays down to the lower one.
  if (views >= t.popularEnterViews) return decided(Tier::Popular, "popular");
  if (s.current == Tier::Popular && views >= t.popularLeaveViews) return decided(Tier::Popular, "still_popular");

  const bool quiet = !within(s.updatedAt, t.quietDays);
  if (!quiet) return decided(Tier::Hot, "edited_recently");

  // COLD: published long ago and (almost) nobody reads it.
  const bool aged = !within(*s.publishedAt, t.coldAgeDays);
  if (aged && views < t.coldMaxViews) return decided(Tier::Cold, "idle");
  if (aged && s.current == Tier::Cold && views < t.coldReturnViews) return decided(Tier::Cold, "still_idle");

  // WARM: quiet and little read; a post already in R2 needs clearly more reads to come back.
  if (views < t.warmMaxViews) return decided(Tier::Warm, "quiet");
  if (inR2(s.current) && views < t.warmReturnViews) return decided(Tier::Warm, "still_quiet");
  return decided(Tier::Hot, "busy");
}

double viewsPerDayAt(long long views30d, std::optional<UnixMillis> measuredAt, UnixMillis now) {
  if (views30d <= 0 || !measuredAt) return 0;
  const UnixMillis window = UnixMillis(kViewWindowDays) * kDayMs;
  const UnixMillis age = std::max<UnixMillis>(0, now - *measuredAt);
  if (age >= window) return 0;
  const double remaining = double(window - age) / double(window);
  return double(views30d) * remaining / kViewWindowDays;
}

}  // namespace lattice::tiers
