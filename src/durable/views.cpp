#include "durable/views.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "core/sha256.h"

namespace lattice {

namespace {

// One row: the salt, the total, and what D1 was last given (flushed_*) or is being given
// (pending_*, set by flushStatement until markFlushed). flushed_at 0 means never.
constexpr std::string_view kCreateState = R"(
  CREATE TABLE IF NOT EXISTS view_state (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    salt           TEXT NOT NULL,
    total          INTEGER NOT NULL DEFAULT 0,
    flushed_at     INTEGER NOT NULL DEFAULT 0,
    flushed_total  INTEGER NOT NULL DEFAULT 0,
    flushed_unique INTEGER NOT NULL DEFAULT 0,
    pending_total  INTEGER,
    pending_unique INTEGER
  ))";

// One HyperLogLog sketch per UTC day, as hex (ViewSketch::toHex).
constexpr std::string_view kCreateDays = R"(
  CREATE TABLE IF NOT EXISTS view_days (
    day    INTEGER PRIMARY KEY,
    sketch TEXT NOT NULL
  ))";

// Views per UTC day (the total's share of each day), for the tier policy's views per day over
// 30 days (src/tiers/policy.h). Pruned with the sketches.
constexpr std::string_view kCreateDayCounts = R"(
  CREATE TABLE IF NOT EXISTS view_day_counts (
    day   INTEGER PRIMARY KEY,
    views INTEGER NOT NULL
  ))";

// How the views of each UTC day were served (ViewOutcome), pruned with the sketches. Written to
// D1 post_day_stats by dayStatsStatement, with the views of view_day_counts.
// TODO(perf): these columns belong in view_day_counts (one row written per view instead of two);
// that needs an ALTER TABLE for objects created before them.
constexpr std::string_view kCreateDayStats = R"(
  CREATE TABLE IF NOT EXISTS view_day_stats (
    day            INTEGER PRIMARY KEY,
    hit            INTEGER NOT NULL DEFAULT 0,
    miss           INTEGER NOT NULL DEFAULT 0,
    not_modified   INTEGER NOT NULL DEFAULT 0,
    uncached       INTEGER NOT NULL DEFAULT 0,
    d1_queries     INTEGER NOT NULL DEFAULT 0
  ))";

constexpr std::string_view kAddDayStats = R"(
  INSERT INTO view_day_stats (day, hit, miss, not_modified, uncached, d1_queries)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6)
  ON CONFLICT (day) DO UPDATE SET hit = hit + excluded.hit, miss = miss + excluded.miss,
    not_modified = not_modified + excluded.not_modified, uncached = uncached + excluded.uncached,
    d1_queries = d1_queries + excluded.d1_queries)";

constexpr std::string_view kPruneDayStats = "DELETE FROM view_day_stats WHERE day <= ?1 - ?2";

// The days a flush carries: every day with views since the day of the last flush.
constexpr std::string_view kDaysSince = R"(
  SELECT c.day AS day, c.views AS views, coalesce(s.hit, 0) AS hit, coalesce(s.miss, 0) AS miss,
         coalesce(s.not_modified, 0) AS not_modified, coalesce(s.uncached, 0) AS uncached,
         coalesce(s.d1_queries, 0) AS d1_queries
    FROM view_day_counts AS c LEFT JOIN view_day_stats AS s ON s.day = c.day
   WHERE c.day >= ?1 ORDER BY c.day)";

constexpr std::string_view kFlushedAt = "SELECT flushed_at FROM view_state WHERE id = 1";

constexpr std::string_view kAddDayCount = R"(
  INSERT INTO view_day_counts (day, views) VALUES (?1, ?2)
  ON CONFLICT (day) DO UPDATE SET views = views + excluded.views)";

constexpr std::string_view kPruneDayCounts = "DELETE FROM view_day_counts WHERE day <= ?1 - ?2";

constexpr std::string_view kWindowViews = "SELECT coalesce(sum(views), 0) AS views FROM view_day_counts WHERE day > ?1 - ?2";

constexpr std::string_view kInitState = R"(
  INSERT OR IGNORE INTO view_state (id, salt)
  VALUES (1, coalesce(nullif(?1, ''), lower(hex(randomblob(32))))))";

constexpr std::string_view kSalt = "SELECT salt FROM view_state WHERE id = 1";

constexpr std::string_view kAddTotal = R"(
  UPDATE view_state SET total = total + ?1 WHERE id = 1 RETURNING total)";

constexpr std::string_view kDay = "SELECT sketch FROM view_days WHERE day = ?1";

constexpr std::string_view kPutDay = R"(
  INSERT INTO view_days (day, sketch) VALUES (?1, ?2)
  ON CONFLICT (day) DO UPDATE SET sketch = excluded.sketch
  RETURNING day)";

constexpr std::string_view kPruneDays = "DELETE FROM view_days WHERE day <= ?1 - ?2";

constexpr std::string_view kWindow = "SELECT sketch FROM view_days WHERE day > ?1 - ?2";

constexpr std::string_view kState = R"(
  SELECT total, flushed_at, flushed_total, flushed_unique FROM view_state WHERE id = 1)";

constexpr std::string_view kSetPending = R"(
  UPDATE view_state SET pending_total = ?1, pending_unique = ?2 WHERE id = 1)";

constexpr std::string_view kMarkFlushed = R"(
  UPDATE view_state SET flushed_at = ?1,
                        flushed_total = coalesce(pending_total, flushed_total),
                        flushed_unique = coalesce(pending_unique, flushed_unique),
                        pending_total = NULL, pending_unique = NULL
   WHERE id = 1)";

// D1. MAX keeps view_count from going down when an older flush lands late or the object's
// storage was lost; no version bump, so caches stay valid (views are not content). views_30d
// and views_30d_at feed the tier policy (migrations/0004_tiers.sql); a late flush never replaces
// a newer measurement.
constexpr const char* kFlushPost = R"(
  UPDATE posts SET view_count = max(view_count, ?3), unique_viewers_30d = ?4,
                   views_30d = CASE WHEN views_30d_at IS NULL OR views_30d_at <= ?6 THEN ?5 ELSE views_30d END,
                   views_30d_at = max(coalesce(views_30d_at, ?6), ?6)
  WHERE id = ?2 AND tenant_id = ?1)";

// D1: ?3 is a JSON array of {day, views, hit, miss, not_modified, uncached, d1_queries}; each
// figure only ever grows (max), like view_count.
constexpr const char* kFlushDays = R"(
  INSERT INTO post_day_stats (post_id, day, tenant_id, views, cache_hit, cache_miss, cache_not_modified,
                              cache_uncached, d1_queries, updated_at)
  SELECT ?2, json_extract(d.value, '$.day'), ?1, json_extract(d.value, '$.views'),
         json_extract(d.value, '$.hit'), json_extract(d.value, '$.miss'),
         json_extract(d.value, '$.not_modified'), json_extract(d.value, '$.uncached'),
         json_extract(d.value, '$.d1_queries'), ?4
    FROM json_each(?3) AS d WHERE true
  ON CONFLICT (post_id, day) DO UPDATE SET
    views = max(views, excluded.views), cache_hit = max(cache_hit, excluded.cache_hit),
    cache_miss = max(cache_miss, excluded.cache_miss),
    cache_not_modified = max(cache_not_modified, excluded.cache_not_modified),
    cache_uncached = max(cache_uncached, excluded.cache_uncached),
    d1_queries = max(d1_queries, excluded.d1_queries), updated_at = excluded.updated_at)";

constexpr int kRankBits = 64 - kViewSketchBits;

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The first 8 bytes of SHA-256(salt ":" key), big-endian.
uint64_t visitorHash(std::string_view salt, std::string_view key) {
  std::string input;
  input.reserve(salt.size() + 1 + key.size());
  input.append(salt).append(":").append(key);
  auto digest = sha256(input);
  uint64_t h = 0;
  for (int i = 0; i < 8; ++i) h = (h << 8) | digest[i];
  return h;
}

}  // namespace

void ViewSketch::add(uint64_t hash) {
  const size_t index = static_cast<size_t>(hash >> kRankBits);
  const uint64_t rest = hash << kViewSketchBits;  // the remaining bits, at the top
  const int rank = rest == 0 ? kRankBits + 1 : std::countl_zero(rest) + 1;
  registers_[index] = std::max<uint8_t>(registers_[index], static_cast<uint8_t>(rank));
}

void ViewSketch::merge(const ViewSketch& other) {
  for (size_t i = 0; i < kViewSketchRegisters; ++i) registers_[i] = std::max(registers_[i], other.registers_[i]);
}

long long ViewSketch::estimate() const {
  const double m = static_cast<double>(kViewSketchRegisters);
  double sum = 0;
  size_t zeros = 0;
  for (uint8_t r : registers_) {
    sum += std::ldexp(1.0, -r);
    if (r == 0) ++zeros;
  }
  const double alpha = 0.7213 / (1 + 1.079 / m);
  double e = alpha * m * m / sum;
  // Small range: linear counting over the empty registers is far more precise. 64-bit hashes
  // need no large-range correction.
  if (e <= 2.5 * m && zeros > 0) e = m * std::log(m / static_cast<double>(zeros));
  return std::llround(e);
}

std::string ViewSketch::toHex() const {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * kViewSketchRegisters);
  for (uint8_t r : registers_) {
    out += kDigits[r >> 4];
    out += kDigits[r & 15];
  }
  return out;
}

std::optional<ViewSketch> ViewSketch::fromHex(std::string_view hex) {
  if (hex.size() != 2 * kViewSketchRegisters) return std::nullopt;
  ViewSketch s;
  for (size_t i = 0; i < kViewSketchRegisters; ++i) {
    const int hi = hexDigit(hex[2 * i]), lo = hexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    const int r = hi * 16 + lo;
    if (r > kRankBits + 1) return std::nullopt;
    s.registers_[i] = static_cast<uint8_t>(r);
  }
  return s;
}

long long utcDay(long long unixMs) {
  return unixMs >= 0 ? unixMs / kDayMs : -((-unixMs + kDayMs - 1) / kDayMs);
}

ViewCounter::ViewCounter(Sql& sql, std::string_view random) : sql_(sql) {
  // Failures surface on first use.
  sql_.exec(kCreateState);
  sql_.exec(kCreateDays);
  sql_.exec(kCreateDayCounts);
  sql_.exec(kCreateDayStats);
  const std::string salt = random.empty() ? std::string() : sha256Hex("lattice.views.salt:" + std::string(random));
  sql_.exec(kInitState, Json::array({salt}));
}

std::string ViewCounter::salt() {
  SqlRows r = sql_.exec(kSalt);
  return r.ok && !r.rows.empty() ? jsonString(r.rows[0], "salt") : std::string();
}

bool ViewCounter::record(long long count, const std::vector<std::string>& visitorKeys, long long now,
                         const ViewOutcome& outcome) {
  bool ok = true;
  const long long today = utcDay(now);
  if (count > 0) {
    SqlRows r = sql_.exec(kAddTotal, Json::array({count}));
    ok = r.ok && !r.rows.empty();
    ok = sql_.exec(kAddDayCount, Json::array({today, count})).ok && ok;
    const std::string& c = outcome.cache;
    const long long hit = c == "hit" ? count : 0, miss = c == "miss" ? count : 0,
                    notModified = c == "not-modified" ? count : 0;
    const long long uncached = count - hit - miss - notModified;
    const long long d1 = std::max<long long>(0, outcome.d1Queries);
    ok = sql_.exec(kAddDayStats, Json::array({today, hit, miss, notModified, uncached, d1})).ok && ok;
  }
  if (!visitorKeys.empty()) {
    const std::string s = salt();
    if (s.empty()) return false;  // never hash without the salt
    SqlRows day = sql_.exec(kDay, Json::array({today}));
    if (!day.ok) return false;
    ViewSketch sketch;
    if (!day.rows.empty())
      if (auto stored = ViewSketch::fromHex(jsonString(day.rows[0], "sketch"))) sketch = *stored;
    for (const auto& key : visitorKeys) sketch.add(visitorHash(s, key));
    SqlRows put = sql_.exec(kPutDay, Json::array({today, sketch.toHex()}));
    ok = ok && put.ok && !put.rows.empty();
  }
  ok = sql_.exec(kPruneDays, Json::array({today, kUniqueViewerDays})).ok && ok;
  ok = sql_.exec(kPruneDayCounts, Json::array({today, kUniqueViewerDays})).ok && ok;
  ok = sql_.exec(kPruneDayStats, Json::array({today, kUniqueViewerDays})).ok && ok;
  return ok;
}

long long ViewCounter::total() {
  SqlRows r = sql_.exec(kState);
  return r.ok && !r.rows.empty() ? jsonInt(r.rows[0], "total") : 0;
}

long long ViewCounter::uniqueViewers30d(long long now) {
  SqlRows r = sql_.exec(kWindow, Json::array({utcDay(now), kUniqueViewerDays}));
  if (!r.ok) return 0;
  ViewSketch merged;
  for (const auto& row : r.rows)
    if (auto s = ViewSketch::fromHex(jsonString(row, "sketch"))) merged.merge(*s);
  return merged.estimate();
}

long long ViewCounter::views30d(long long now) {
  SqlRows r = sql_.exec(kWindowViews, Json::array({utcDay(now), kUniqueViewerDays}));
  return r.ok && !r.rows.empty() ? jsonInt(r.rows[0], "views") : 0;
}

SqlStatement ViewCounter::flushStatement(std::string_view tenantId, std::string_view postId, long long now) {
  const long long views = total();
  const long long unique = uniqueViewers30d(now);
  const long long recent = views30d(now);
  sql_.exec(kSetPending, Json::array({views, unique}));
  return {kFlushPost, Json::array({std::string(tenantId), std::string(postId), views, unique, recent, now})};
}

std::optional<SqlStatement> ViewCounter::dayStatsStatement(std::string_view tenantId, std::string_view postId,
                                                          long long now) {
  SqlRows at = sql_.exec(kFlushedAt);
  if (!at.ok || at.rows.empty()) return std::nullopt;
  const long long flushedAt = jsonInt(at.rows[0], "flushed_at");
  SqlRows days = sql_.exec(kDaysSince, Json::array({flushedAt > 0 ? utcDay(flushedAt) : 0}));
  if (!days.ok || days.rows.empty()) return std::nullopt;
  return SqlStatement{kFlushDays, Json::array({std::string(tenantId), std::string(postId), dumpJson(days.rows), now})};
}

bool ViewCounter::dueForFlush(long long now, long long intervalMs) {
  SqlRows r = sql_.exec(kState);
  if (!r.ok || r.rows.empty()) return false;
  const Json& row = r.rows[0];
  if (now - jsonInt(row, "flushed_at") < intervalMs) return false;
  return jsonInt(row, "total") != jsonInt(row, "flushed_total") ||
         uniqueViewers30d(now) != jsonInt(row, "flushed_unique");
}

void ViewCounter::markFlushed(long long now) { sql_.exec(kMarkFlushed, Json::array({now})); }

}  // namespace lattice
