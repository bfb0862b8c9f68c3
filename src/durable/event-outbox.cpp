#include "durable/event-outbox.h"

#include <algorithm>
#include <climits>

#include "blog/post-input.h"
#include "core/sha256.h"

namespace lattice {

namespace {

// seq is the rowid: a new row gets one above every row waiting, so seq order is append order.
constexpr std::string_view kCreateOutbox = R"(
  CREATE TABLE IF NOT EXISTS event_outbox (
    seq  INTEGER PRIMARY KEY,
    key  TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    slug TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}',
    at   INTEGER NOT NULL
  ))";

// One row: consecutive failed flushes.
constexpr std::string_view kCreateState = R"(
  CREATE TABLE IF NOT EXISTS event_outbox_state (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    failures INTEGER NOT NULL
  ))";

// ?1 is a JSON array of {key, kind, slug, data, at}; json_each yields it in array order.
constexpr std::string_view kAppend = R"(
  INSERT OR IGNORE INTO event_outbox (key, kind, slug, data, at)
  SELECT json_extract(e.value, '$.key'), json_extract(e.value, '$.kind'),
         json_extract(e.value, '$.slug'), json_extract(e.value, '$.data'),
         json_extract(e.value, '$.at')
    FROM json_each(?1) AS e
   ORDER BY e.key)";

constexpr std::string_view kPending = "SELECT count(*) AS n FROM event_outbox";

constexpr std::string_view kOldest = R"(
  SELECT key, kind, slug, data, at FROM event_outbox ORDER BY seq LIMIT ?1)";

constexpr std::string_view kAcknowledge = R"(
  DELETE FROM event_outbox WHERE key IN (SELECT value FROM json_each(?1)))";

constexpr std::string_view kFailures = "SELECT failures FROM event_outbox_state WHERE id = 1";

constexpr std::string_view kRecordFailure = R"(
  INSERT INTO event_outbox_state (id, failures) VALUES (1, 1)
  ON CONFLICT (id) DO UPDATE SET failures = failures + 1
  RETURNING failures)";

constexpr std::string_view kResetFailures = "DELETE FROM event_outbox_state";

// D1: the post is looked up within the tenant, so a slug can never name another tenant's post.
constexpr const char* kInsertAnalytics = R"(
  INSERT OR IGNORE INTO analytics_events (id, tenant_id, post_id, kind, payload, occurred_at)
  VALUES (?1, ?2, (SELECT id FROM posts WHERE tenant_id = ?2 AND slug = ?3), ?4, ?5, ?6))";

constexpr long long kFirstRetryMs = 1000;
constexpr long long kMaxRetryMs = 5 * 60 * 1000;

ApiError bad(std::string code, std::string message, std::string field, int status = 400) {
  return ApiError{status, std::move(code), std::move(message), std::move(field)};
}

bool validClientId(std::string_view s) {
  if (s.size() < 8 || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

bool validKind(const Json& v) { return v.is_string() && (v == "view" || v == "read_end" || v == "reaction"); }

std::optional<ApiError> checkEvent(const Json& e, size_t index, long long now, std::string_view random,
                                   AnalyticsEvent& out) {
  static const char* const kFields[] = {"kind", "slug", "id", "at", "data"};
  const std::string prefix = "events[" + std::to_string(index) + "]";
  if (!e.is_object()) return bad("request.not_object", prefix + " must be a JSON object", prefix);
  for (const auto& [key, value] : e.items())
    if (std::find(std::begin(kFields), std::end(kFields), key) == std::end(kFields))
      return bad("request.unknown_field", "unknown field '" + key + "' in " + prefix, prefix + "." + key);

  const Json& kind = jsonValue(e, "kind");
  if (!validKind(kind))
    return bad("event.kind_invalid", "kind must be view, read_end or reaction", prefix + ".kind");
  out.kind = kind.get<std::string>();

  if (auto it = e.find("slug"); it != e.end()) {
    if (!it->is_string() || !validSlug(it->get_ref<const std::string&>()))
      return bad("event.slug_invalid", "slug must be 1-100 characters of a-z, 0-9 and '-'", prefix + ".slug");
    out.slug = it->get<std::string>();
  }

  if (auto it = e.find("id"); it != e.end()) {
    if (!it->is_string() || !validClientId(it->get_ref<const std::string&>()))
      return bad("event.id_invalid", "id must be 8-64 characters of A-Z, a-z, 0-9, '_' and '-'", prefix + ".id");
    out.key = "c:" + it->get<std::string>();
  } else {
    out.key = "s:" + sha256Hex(std::string(random) + ":" + std::to_string(index)).substr(0, 32);
  }

  out.at = now;
  if (auto it = e.find("at"); it != e.end()) {
    const bool integer = it->is_number_integer() &&
                         !(it->is_number_unsigned() && it->get<unsigned long long>() > LLONG_MAX);
    const long long at = integer ? it->get<long long>() : 0;
    if (!integer || at < now - kEventMaxAgeMs || at > now + kEventMaxSkewMs)
      return bad("event.at_invalid", "at must be a time in Unix milliseconds within the last 7 days",
                 prefix + ".at");
    out.at = at;
  }

  if (auto it = e.find("data"); it != e.end()) {
    if (!it->is_object() || dumpJson(*it).size() > kMaxEventDataBytes)
      return bad("event.data_invalid", "data must be an object of at most 1 KiB", prefix + ".data");
    out.data = *it;
  }
  return std::nullopt;
}

AnalyticsEvent eventFromRow(const Json& row) {
  AnalyticsEvent e;
  e.key = jsonString(row, "key");
  e.kind = jsonString(row, "kind");
  e.slug = jsonString(row, "slug");
  if (auto data = parseJson(jsonString(row, "data", "{}")); data && data->is_object()) e.data = std::move(*data);
  e.at = jsonInt(row, "at");
  return e;
}

}  // namespace

std::variant<std::vector<AnalyticsEvent>, ApiError> parseEvents(const Json& body, long long now,
                                                               std::string_view random) {
  if (!body.is_object()) return bad("request.not_object", "the request body must be a JSON object", "");
  for (const auto& [key, value] : body.items())
    if (key != "events") return bad("request.unknown_field", "unknown field '" + key + "'", key);
  const Json& events = jsonValue(body, "events");
  if (!events.is_array() || events.empty())
    return bad("events.missing", "events must be a non-empty array", "events");
  if (events.size() > kMaxEventsPerRequest)
    return bad("events.too_many", "at most 100 events per request", "events", 413);

  std::vector<AnalyticsEvent> out(events.size());
  for (size_t i = 0; i < events.size(); ++i)
    if (auto error = checkEvent(events[i], i, now, random, out[i])) return std::move(*error);
  return out;
}

EventOutbox::EventOutbox(Sql& sql) : sql_(sql) {
  // Failures surface on first use: every method reports a failed statement.
  sql_.exec(kCreateOutbox);
  sql_.exec(kCreateState);
}

long long EventOutbox::append(const std::vector<AnalyticsEvent>& events) {
  Json rows = Json::array();
  for (const auto& e : events)
    rows.push_back({{"key", e.key}, {"kind", e.kind}, {"slug", e.slug}, {"data", e.data}, {"at", e.at}});
  if (!rows.empty() && !sql_.exec(kAppend, Json::array({dumpJson(rows)})).ok) return -1;
  return pending();
}

long long EventOutbox::pending() {
  SqlRows r = sql_.exec(kPending);
  return r.ok && !r.rows.empty() ? jsonInt(r.rows[0], "n") : 0;
}

std::vector<AnalyticsEvent> EventOutbox::oldest(size_t max) {
  std::vector<AnalyticsEvent> out;
  SqlRows r = sql_.exec(kOldest, Json::array({static_cast<long long>(max)}));
  if (!r.ok) return out;
  out.reserve(r.rows.size());
  for (const auto& row : r.rows) out.push_back(eventFromRow(row));
  return out;
}

bool EventOutbox::acknowledge(const std::vector<std::string>& keys) {
  if (keys.empty()) return true;
  return sql_.exec(kAcknowledge, Json::array({dumpJson(Json(keys))})).ok;
}

int EventOutbox::failures() {
  SqlRows r = sql_.exec(kFailures);
  return r.ok && !r.rows.empty() ? static_cast<int>(jsonInt(r.rows[0], "failures")) : 0;
}

int EventOutbox::recordFailure() {
  SqlRows r = sql_.exec(kRecordFailure);
  return r.ok && !r.rows.empty() ? static_cast<int>(jsonInt(r.rows[0], "failures")) : -1;
}

void EventOutbox::resetFailures() { sql_.exec(kResetFailures); }

std::vector<SqlStatement> analyticsInserts(std::string_view tenantId, const std::vector<AnalyticsEvent>& events) {
  std::vector<SqlStatement> out;
  out.reserve(events.size());
  for (const auto& e : events) {
    Json payload = {{"slug", e.slug.empty() ? Json(nullptr) : Json(e.slug)}, {"data", e.data}};
    out.push_back({kInsertAnalytics,
                   Json::array({std::string(tenantId) + ":" + e.key, std::string(tenantId),
                                e.slug.empty() ? Json(nullptr) : Json(e.slug), e.kind, dumpJson(payload), e.at})});
  }
  return out;
}

long long flushRetryDelayMs(int failures) {
  if (failures <= 0) return 0;
  long long delay = kFirstRetryMs;
  for (int i = 1; i < failures && delay < kMaxRetryMs; ++i) delay *= 2;
  return std::min(delay, kMaxRetryMs);
}

}  // namespace lattice
