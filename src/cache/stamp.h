// A tenant's stamp: the handful of numbers that say whether anything cached for the tenant is
// still current, small enough to be read on every page view.
//
//   contentVersion  bumped by every post write (D1 triggers, migrations/0003_cache.sql)
//   configVersion   bumped by every change to the tenant's name, description, theme, tier, limits
//   publicThrough   publication time of the newest post already public, so a scheduled post going
//                   live changes the lists' epoch even though nothing was written
//   scheduled       slugs published with a time still in the future: such a post's page changes
//                   (404 -> the post) when its time comes, and no other post page does
//   changes         (version, slug) for the last kWindow content versions: which posts changed
//
// The stamp is read from D1 (one indexed query) and kept in the location's Cache API for
// CachePolicy::stampTtl seconds, or until the next scheduled publication, whichever is sooner.
// Every cache key and KV validity check derives from it, so KV values that are out of date (KV
// is eventually consistent) are recognised as such, and a write is seen everywhere once the
// stamps there expire. The location of a write drops its stamp at once (read-your-writes).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/io.h"
#include "core/json.h"
#include "core/time.h"

namespace lattice::cache {

struct Stamp {
  // The change log covers the last kWindow versions; post keys move in steps of kStep when a
  // post did not change (see slugVersion), so a key survives up to kStep unrelated writes.
  static constexpr long long kWindow = 64;
  static constexpr long long kStep = 32;

  bool found = false;  // false: no such tenant
  std::string tenantId;
  std::string subdomain;
  long long contentVersion = 0;
  long long configVersion = 0;
  UnixMillis publicThrough = 0;
  std::optional<UnixMillis> nextPublishAt;
  std::vector<std::pair<long long, std::string>> changes;  // versions > contentVersion - kWindow
  std::vector<std::string> scheduled;  // at most kMaxScheduled
  bool scheduledTruncated = false;     // more were scheduled: post epochs fall back on publicThrough

  static constexpr long long kMaxScheduled = 100;

  // A version for `slug` that changes whenever the post at `slug` may have changed and stays put
  // otherwise (for up to kStep writes to other posts). Never decreases over time for one slug,
  // so an old ETag can never match a newer page.
  long long slugVersion(std::string_view slug) const;
  // Is a copy of `slug` read from D1 at content version `readAt` still current?
  bool unchangedSince(std::string_view slug, long long readAt) const;

  // Epochs: the version parts a page's bytes depend on. Used in cache keys and ETags.
  std::string postEpoch(std::string_view slug) const;
  std::string listEpoch() const;

  // Was this stamp read after a write that `other` has not seen? (Versions only grow, and a stamp
  // read later has both at least as high, so "ahead in either" means "newer".)
  bool aheadOf(const Stamp& other) const {
    return contentVersion > other.contentVersion || configVersion > other.configVersion;
  }

  // Until when a location may keep this stamp (never past the next scheduled publication).
  UnixMillis expiresAt(UnixMillis now, int ttlSeconds) const;

  Json toJson() const;
  static std::optional<Stamp> fromJson(const Json& j);
  // From stampQuery's result (no rows: a stamp that says "no such tenant").
  static Stamp fromRows(const Json& rows);
};

// The stamp, in one statement: the tenant's versions, the two publication times and the change
// log window (index seeks only; a handful of rows read).
SqlStatement stampQuery(std::string_view subdomain, UnixMillis now);

}  // namespace lattice::cache
