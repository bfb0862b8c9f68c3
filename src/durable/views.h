// Page views of one post, counted in its PostMetaDO and flushed to D1 about hourly: a durable
// total, and the number of distinct viewers over the last 30 days.
//
// Distinct viewers are estimated with one HyperLogLog sketch per UTC day, so the object never
// keeps a list of who read the post. A visitor key (whatever identifies a visitor to the caller)
// is hashed with SHA-256 together with a random salt kept in the object's SQLite before it
// touches a register; the raw key is never stored, and without the salt the registers cannot be
// used to test whether a known key visited. Days older than the window are deleted.
//
// Error bound: kViewSketchRegisters = 2^10 registers give a standard error of
// 1.04 / sqrt(1024) ~= 3.25% for the merged 30-day estimate: about 2 in 3 estimates within
// 3.25%, about 9 in 10 within 5%, almost all within 10% (measured over 100 salts at 10,000
// viewers: mean error 2.5%, worst 8.7%). Below 2.5 x 1024 ~= 2,560 (estimated) viewers linear
// counting over the empty registers takes over: a few viewers off for tens (worst 3 at 50),
// about 2% at 1,000, and up to ~10% right at the hand-over, the usual HyperLogLog weak spot.
// A viewer seen on several days counts once, since the days are merged register by register.
// Which viewers land where depends on the object's salt, so the error differs between posts
// but is fixed for one post's visitors.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/io.h"
#include "durable/sql.h"

namespace lattice {

inline constexpr int kViewSketchBits = 10;
inline constexpr size_t kViewSketchRegisters = size_t{1} << kViewSketchBits;  // 1 KiB per day
inline constexpr int kUniqueViewerDays = 30;
inline constexpr long long kDayMs = 24LL * 60 * 60 * 1000;
// Hourly cadence for D1 writes.
inline constexpr long long kViewFlushIntervalMs = 60LL * 60 * 1000;

// A HyperLogLog sketch over 64-bit hashes: the first kViewSketchBits bits pick a register, which
// keeps the largest rank (leading zeros + 1) seen in the remaining bits.
class ViewSketch {
 public:
  void add(uint64_t hash);
  // Register-wise maximum: the sketch of the union.
  void merge(const ViewSketch& other);
  // The estimated number of distinct hashes added (HyperLogLog with linear counting for small
  // cardinalities, rounded to the nearest integer).
  long long estimate() const;

  // Two lower-case hex characters per register (2 KiB).
  std::string toHex() const;
  // nullopt unless `hex` is exactly what toHex produces for some sketch.
  static std::optional<ViewSketch> fromHex(std::string_view hex);

 private:
  std::array<uint8_t, kViewSketchRegisters> registers_{};
};

// How the Worker served one reported view (for the operator dashboard, GET /api/stats): its
// x-lattice-cache outcome ("hit", "miss", "not-modified"; anything else, e.g. "bypass" or "off",
// counts as uncached) and the D1 queries the Worker made while serving it.
struct ViewOutcome {
  std::string cache;
  long long d1Queries = 0;
};

// The counters of one post, in its PostMetaDO's SQLite.
class ViewCounter {
 public:
  // Creates the tables if they do not exist yet, and the object's salt the first time: derived
  // by SHA-256 from `random` when given (pass the event's randomness; derived, so that ids the
  // event also takes from it never reveal the salt), else 32 bytes of SQLite's randomblob().
  // The salt never changes afterwards.
  explicit ViewCounter(Sql& sql, std::string_view random = {});

  // Adds `count` views (negative counts add nothing) and the visitors behind them to the sketch
  // of `now`'s UTC day, and deletes days that have left the 30-day window. Visitor keys may repeat
  // and need not match `count` (a view without a key still counts toward the total). False when
  // a write failed.
  // `outcome` is added to the day's serving figures once per view counted.
  bool record(long long count, const std::vector<std::string>& visitorKeys, long long now,
              const ViewOutcome& outcome = {});

  // All views ever recorded.
  long long total();
  // Distinct visitors over `now`'s UTC day and the 29 before it (see the error bound above).
  long long uniqueViewers30d(long long now);

  // Views recorded over `now`'s UTC day and the 29 before it (exact, from per-day counts).
  long long views30d(long long now);

  // The D1 statement that stores the counters in posts: view_count = max(view_count, total) (a
  // repeated or late flush never lowers it), unique_viewers_30d = the estimate at `now`, and
  // views_30d = views30d(now) measured at views_30d_at = `now` (for the tier policy).
  // The values are absolute, so running it twice is harmless. It also remembers what it carries,
  // for markFlushed.
  SqlStatement flushStatement(std::string_view tenantId, std::string_view postId, long long now);

  // The D1 statement that stores the per-day figures (views, cache outcomes, D1 queries) of
  // every day since the day of the last markFlushed into post_day_stats (migrations/
  // 0006_stats.sql), as absolute values that never lower what D1 holds: run with flushStatement,
  // in one batch. nullopt when there is no such day.
  std::optional<SqlStatement> dayStatsStatement(std::string_view tenantId, std::string_view postId, long long now);

  // True when `intervalMs` (an hour by default, VIEWS_FLUSH_SECONDS) has passed since the last
  // markFlushed and D1 holds other values than a flush now would write (views were recorded, or
  // days left the window).
  bool dueForFlush(long long now, long long intervalMs = kViewFlushIntervalMs);
  // Call once D1 has accepted the statement of the last flushStatement: what it carried is now
  // what D1 holds, as of `now`. Views recorded meanwhile stay due.
  void markFlushed(long long now);

 private:
  std::string salt();

  Sql& sql_;
};

// The UTC day number (days since 1970-01-01) of a Unix ms time.
long long utcDay(long long unixMs);

}  // namespace lattice
