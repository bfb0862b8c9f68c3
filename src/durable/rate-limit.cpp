#include "durable/rate-limit.h"

#include <algorithm>
#include <limits>

#include "http/errors.h"

namespace lattice {

namespace {

// "{table}" is replaced by the validated table name. tat: the key's theoretical arrival time in
// Unix microseconds, when its bucket is full again.
constexpr std::string_view kCreate = R"(
  CREATE TABLE IF NOT EXISTS "{table}" (
    key TEXT PRIMARY KEY,
    tat INTEGER NOT NULL
  ) WITHOUT ROWID)";

constexpr std::string_view kSelect = R"(SELECT tat FROM "{table}" WHERE key = ?1)";

constexpr std::string_view kUpsert = R"(
  INSERT INTO "{table}" (key, tat) VALUES (?1, ?2)
  ON CONFLICT (key) DO UPDATE SET tat = excluded.tat)";

// TODO(perf): a full scan; add an index on tat if a table ever holds enough keys to matter.
constexpr std::string_view kPrune = R"(DELETE FROM "{table}" WHERE tat <= ?1)";

constexpr long long kUsPerMs = 1000;
constexpr long long kInvalidRetryMs = 1000;

std::string withTable(std::string_view sql, std::string_view table) {
  std::string out(sql);
  constexpr std::string_view kPlaceholder = "{table}";
  if (auto at = out.find(kPlaceholder); at != std::string::npos) out.replace(at, kPlaceholder.size(), table);
  return out;
}

Decision denied(std::string error) {
  Decision d;
  d.allowed = false;
  d.retryAfterMs = kInvalidRetryMs;
  d.error = std::move(error);
  return d;
}

}  // namespace

bool RateLimiter::validTableName(std::string_view table) {
  if (table.empty() || table.size() > 40) return false;
  if (table.rfind("sqlite_", 0) == 0 || table.rfind("_cf_", 0) == 0) return false;
  return std::all_of(table.begin(), table.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

RateLimiter::RateLimiter(Sql& sql, std::string table) : sql_(sql), valid_(validTableName(table)) {
  if (!valid_) return;
  select_ = withTable(kSelect, table);
  upsert_ = withTable(kUpsert, table);
  prune_ = withTable(kPrune, table);
  // Failures surface on first use: every take reports a failed statement.
  sql_.exec(withTable(kCreate, table));
}

Decision RateLimiter::take(std::string_view key, int limit, long long windowMs, long long now) {
  if (!valid_) return denied("invalid rate limit table name");
  if (limit < 1 || windowMs < 1 || windowMs > kMaxRateWindowMs) return denied("invalid limit or window");

  const long long windowUs = windowMs * kUsPerMs;
  const long long intervalUs = std::max(1LL, windowUs / limit);
  const long long nowUs = now * kUsPerMs;

  SqlRows r = sql_.exec(select_, Json::array({std::string(key)}));
  if (!r.ok) return denied(r.error);
  const long long tat = r.rows.empty() ? nowUs : std::max(nowUs, jsonInt(r.rows[0], "tat"));
  const long long next = tat + intervalUs;

  Decision d;
  if (next - nowUs > windowUs) {
    const long long waitUs = next - nowUs - windowUs;
    d.allowed = false;
    d.remaining = 0;
    d.retryAfterMs = (waitUs + kUsPerMs - 1) / kUsPerMs;
    return d;
  }
  SqlRows w = sql_.exec(upsert_, Json::array({std::string(key), next}));
  if (!w.ok) return denied(w.error);
  d.allowed = true;
  d.remaining = static_cast<int>(std::min<long long>(limit - 1, (windowUs - (next - nowUs)) / intervalUs));
  d.retryAfterMs = 0;
  return d;
}

bool RateLimiter::prune(long long now) {
  if (!valid_) return false;
  return sql_.exec(prune_, Json::array({now * kUsPerMs})).ok;
}

int retryAfterSeconds(const Decision& decision) {
  const long long seconds = (std::max(0LL, decision.retryAfterMs) + 999) / 1000;
  return static_cast<int>(std::clamp(seconds, 1LL, static_cast<long long>(std::numeric_limits<int>::max())));
}

HttpResponse rateLimitedResponse(const Decision& decision, std::string_view what) {
  const int seconds = retryAfterSeconds(decision);
  HttpResponse r = errorResponse({429, "rate.limited", "too many " + std::string(what) + "; retry in " +
                                                           std::to_string(seconds) + " s", ""});
  r.set("retry-after", std::to_string(seconds));
  return r;
}

}  // namespace lattice
