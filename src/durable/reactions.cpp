#include "durable/reactions.h"

#include <algorithm>
#include <map>

namespace lattice {

namespace {

constexpr std::string_view kCreateReactions = R"(
  CREATE TABLE IF NOT EXISTS reactions (
    reader_id  TEXT NOT NULL,
    type       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (reader_id, type)
  ) WITHOUT ROWID)";

// One row per type that ever had a reaction. flushed_count is what D1 was last acknowledged to
// hold (NULL: never flushed); the type is dirty while it differs from count. flushing_count and
// flushing_at remember what the flush begun at flushing_at read, until it is acknowledged.
constexpr std::string_view kCreateTotals = R"(
  CREATE TABLE IF NOT EXISTS reaction_totals (
    type           TEXT PRIMARY KEY,
    count          INTEGER NOT NULL DEFAULT 0 CHECK (count >= 0),
    flushed_count  INTEGER,
    flushing_count INTEGER,
    flushing_at    INTEGER
  ) WITHOUT ROWID)";

// The row and the count change in one statement: a failure anywhere undoes both, so counts
// equal rows whatever happens to the rest of the step. The CHECK above refuses a count that
// would go negative.
constexpr std::string_view kCreateAddTrigger = R"(
  CREATE TRIGGER IF NOT EXISTS reactions_after_insert AFTER INSERT ON reactions BEGIN
    INSERT OR IGNORE INTO reaction_totals (type, count) VALUES (NEW.type, 0);
    UPDATE reaction_totals SET count = count + 1 WHERE type = NEW.type;
  END)";

constexpr std::string_view kCreateRemoveTrigger = R"(
  CREATE TRIGGER IF NOT EXISTS reactions_after_delete AFTER DELETE ON reactions BEGIN
    UPDATE reaction_totals SET count = count - 1 WHERE type = OLD.type;
  END)";

// Recent request ids and the outcome each produced (counts as JSON text), for replay.
constexpr std::string_view kCreateRequests = R"(
  CREATE TABLE IF NOT EXISTS reaction_requests (
    reader_id  TEXT NOT NULL,
    request_id TEXT NOT NULL,
    type       TEXT NOT NULL,
    active     INTEGER NOT NULL,
    counts     TEXT NOT NULL,
    at         INTEGER NOT NULL,
    PRIMARY KEY (reader_id, request_id)
  ) WITHOUT ROWID)";

constexpr std::string_view kCreateRequestsByTime =
    "CREATE INDEX IF NOT EXISTS reaction_requests_by_time ON reaction_requests (at)";

constexpr std::string_view kPruneRequests = "DELETE FROM reaction_requests WHERE at < ?1";

constexpr std::string_view kFindRequest = R"(
  SELECT type, active, counts FROM reaction_requests WHERE reader_id = ?1 AND request_id = ?2)";

constexpr std::string_view kRememberRequest = R"(
  INSERT INTO reaction_requests (reader_id, request_id, type, active, counts, at)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6))";

constexpr std::string_view kRemove = R"(
  DELETE FROM reactions WHERE reader_id = ?1 AND type = ?2 RETURNING type)";

constexpr std::string_view kAdd = R"(
  INSERT INTO reactions (reader_id, type, created_at) VALUES (?1, ?2, ?3) RETURNING type)";

constexpr std::string_view kSelectTotals = "SELECT type, count FROM reaction_totals";

constexpr std::string_view kSelectMine = "SELECT type FROM reactions WHERE reader_id = ?1";

// Each type's count beside its number of rows; a row whose type has no count is a mismatch too.
constexpr std::string_view kRecount = R"(
  SELECT t.type AS type, t.count AS count,
         (SELECT count(*) FROM reactions r WHERE r.type = t.type) AS rows
    FROM reaction_totals t
  UNION ALL
  SELECT r.type, 0, count(*) FROM reactions r
   WHERE r.type NOT IN (SELECT type FROM reaction_totals) GROUP BY r.type)";

// Snapshots the dirty counts under ?1 and forgets any older snapshot, in one statement; the
// rows returned with a flushing_at are the ones to write.
constexpr std::string_view kBeginFlush = R"(
  UPDATE reaction_totals
     SET flushing_count = CASE WHEN flushed_count IS NOT count THEN count END,
         flushing_at    = CASE WHEN flushed_count IS NOT count THEN ?1 END
   WHERE flushed_count IS NOT count OR flushing_at IS NOT NULL
  RETURNING type, count, flushing_at)";

constexpr std::string_view kAcknowledgeFlush = R"(
  UPDATE reaction_totals
     SET flushed_count = flushing_count, flushing_count = NULL, flushing_at = NULL
   WHERE flushing_at = ?1)";

constexpr std::string_view kAnyUnflushed =
    "SELECT 1 AS unflushed FROM reaction_totals WHERE flushed_count IS NOT count LIMIT 1";

// D1: the absolute count, so a repeat writes the same row again. Only while the post exists: a
// deleted post's counts are dropped rather than failing the batch (its foreign key) forever.
constexpr const char* kUpsertCount = R"(
  INSERT INTO reaction_counts (post_id, type, count, updated_at)
  SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM posts WHERE id = ?1)
  ON CONFLICT (post_id, type) DO UPDATE SET count = excluded.count, updated_at = excluded.updated_at)";

ApiError bad(std::string code, std::string message, std::string field, int status = 400) {
  return ApiError{status, std::move(code), std::move(message), std::move(field)};
}

bool validRequestId(std::string_view s) {
  if (s.size() < 8 || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

Json zeroCounts() {
  Json counts = Json::object();
  for (auto type : kReactionTypes) counts[std::string(type)] = 0;
  return counts;
}

ToggleOutcome failed(std::string error) {
  ToggleOutcome out;
  out.ok = false;
  out.error = std::move(error);
  return out;
}

}  // namespace

bool validReactionType(std::string_view type) {
  return std::find(kReactionTypes.begin(), kReactionTypes.end(), type) != kReactionTypes.end();
}

std::variant<ReactionToggle, ApiError> parseReactionToggle(const Json& body) {
  static const char* const kFields[] = {"type", "requestId"};
  if (!body.is_object()) return bad("request.not_object", "the request body must be a JSON object", "");
  for (const auto& [key, value] : body.items())
    if (std::find(std::begin(kFields), std::end(kFields), key) == std::end(kFields))
      return bad("request.unknown_field", "unknown field '" + key + "'", key);

  ReactionToggle toggle;
  const Json& type = jsonValue(body, "type");
  if (!type.is_string() || !validReactionType(type.get_ref<const std::string&>()))
    return bad("reaction.type_invalid", "type must be one of like, love, insightful, laugh", "type");
  toggle.type = type.get<std::string>();

  if (auto it = body.find("requestId"); it != body.end()) {
    if (!it->is_string() || !validRequestId(it->get_ref<const std::string&>()))
      return bad("reaction.request_id_invalid", "requestId must be 8-64 characters of A-Z, a-z, 0-9, '_' and '-'",
                 "requestId");
    toggle.requestId = it->get<std::string>();
  }
  return toggle;
}

ReactionStore::ReactionStore(Sql& sql) : sql_(sql) {
  // Failures surface on first use: every method reports a failed statement.
  sql_.exec(kCreateReactions);
  sql_.exec(kCreateTotals);
  sql_.exec(kCreateAddTrigger);
  sql_.exec(kCreateRemoveTrigger);
  sql_.exec(kCreateRequests);
  sql_.exec(kCreateRequestsByTime);
}

ToggleOutcome ReactionStore::toggle(std::string_view readerId, std::string_view type,
                                    std::optional<std::string> requestId, long long now) {
  if (readerId.empty()) return failed("empty reader id");
  if (!validReactionType(type)) return failed("unknown reaction type '" + std::string(type) + "'");
  const std::string reader(readerId);
  const std::string kind(type);

  SqlRows pruned = sql_.exec(kPruneRequests, Json::array({now - kReactionRequestRetentionMs}));
  if (!pruned.ok) return failed(pruned.error);

  if (requestId) {
    SqlRows seen = sql_.exec(kFindRequest, Json::array({reader, *requestId}));
    if (!seen.ok) return failed(seen.error);
    if (!seen.rows.empty()) {
      const Json& row = seen.rows[0];
      if (jsonString(row, "type") != kind) return failed(std::string(kReactionRequestIdReused));
      ToggleOutcome out;
      out.ok = true;
      out.replayed = true;
      out.active = jsonInt(row, "active") != 0;
      auto counts = parseJson(jsonString(row, "counts"));
      out.counts = counts && counts->is_object() ? std::move(*counts) : zeroCounts();
      return out;
    }
  }

  ToggleOutcome out;
  SqlRows removed = sql_.exec(kRemove, Json::array({reader, kind}));
  if (!removed.ok) return failed(removed.error);
  if (removed.rows.empty()) {
    SqlRows added = sql_.exec(kAdd, Json::array({reader, kind, now}));
    if (!added.ok) return failed(added.error);
    if (added.rows.empty()) return failed("insert returned no row");
    out.active = true;
  }

  Json counts = countsOrNull();
  if (counts.is_null()) return failed("reading the counts failed");
  out.counts = std::move(counts);

  if (requestId) {
    SqlRows remembered = sql_.exec(
        kRememberRequest, Json::array({reader, *requestId, kind, out.active ? 1 : 0, dumpJson(out.counts), now}));
    if (!remembered.ok) return failed(remembered.error);
  }
  out.ok = true;
  return out;
}

Json ReactionStore::countsOrNull() {
  SqlRows r = sql_.exec(kSelectTotals);
  if (!r.ok) return nullptr;
  Json counts = zeroCounts();
  for (const auto& row : r.rows) {
    const std::string type = jsonString(row, "type");
    if (validReactionType(type)) counts[type] = jsonInt(row, "count");
  }
  return counts;
}

Json ReactionStore::counts() {
  Json counts = countsOrNull();
  return counts.is_null() ? zeroCounts() : counts;
}

Json ReactionStore::mine(std::string_view readerId) {
  Json out = Json::array();
  SqlRows r = sql_.exec(kSelectMine, Json::array({std::string(readerId)}));
  if (!r.ok) return out;
  for (auto type : kReactionTypes)
    if (std::any_of(r.rows.begin(), r.rows.end(), [&](const Json& row) { return jsonString(row, "type") == type; }))
      out.push_back(std::string(type));
  return out;
}

bool ReactionStore::consistent() {
  SqlRows r = sql_.exec(kRecount);
  if (!r.ok) return false;
  return std::all_of(r.rows.begin(), r.rows.end(), [](const Json& row) {
    return jsonInt(row, "count", -1) >= 0 && jsonInt(row, "count", -1) == jsonInt(row, "rows", -2);
  });
}

std::vector<SqlStatement> ReactionStore::countUpserts(std::string_view postId, long long now) {
  std::vector<SqlStatement> out;
  SqlRows r = sql_.exec(kBeginFlush, Json::array({now}));
  if (!r.ok) return out;
  // Sorted by type, so the batch is the same whatever order SQLite returned the rows in.
  std::map<std::string, long long> dirty;
  for (const auto& row : r.rows)
    if (!jsonValue(row, "flushing_at").is_null()) dirty[jsonString(row, "type")] = jsonInt(row, "count");
  out.reserve(dirty.size());
  for (const auto& [type, count] : dirty)
    out.push_back({kUpsertCount, Json::array({std::string(postId), type, count, now})});
  return out;
}

bool ReactionStore::unflushed() {
  SqlRows r = sql_.exec(kAnyUnflushed);
  return !r.ok || !r.rows.empty();
}

void ReactionStore::acknowledgeFlush(long long flushedAt) {
  sql_.exec(kAcknowledgeFlush, Json::array({flushedAt}));
}

}  // namespace lattice
