#include "durable/content-moves.h"

#include "core/json.h"

namespace lattice {

namespace {

constexpr std::string_view kCreateObjects = R"(
  CREATE TABLE IF NOT EXISTS content_objects (
    key         TEXT PRIMARY KEY,
    version     INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    written_at  INTEGER NOT NULL,
    pointed_at  INTEGER,
    released_at INTEGER
  ))";

// One row while a move runs: who holds the lease, until when.
constexpr std::string_view kCreateLease = R"(
  CREATE TABLE IF NOT EXISTS content_move_lease (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    op    TEXT NOT NULL,
    token TEXT NOT NULL,
    until INTEGER NOT NULL
  ))";

// Taken when free or expired; RETURNING yields a row only when this call took it.
constexpr std::string_view kAcquire = R"(
  INSERT INTO content_move_lease (id, op, token, until) VALUES (1, ?1, ?2, ?3)
  ON CONFLICT (id) DO UPDATE SET op = excluded.op, token = excluded.token, until = excluded.until
   WHERE content_move_lease.until <= ?4
  RETURNING token)";
constexpr std::string_view kRelease = "DELETE FROM content_move_lease WHERE token = ?1";
constexpr std::string_view kHolder = "SELECT op FROM content_move_lease WHERE until > ?1";

constexpr std::string_view kRemember = R"(
  INSERT OR IGNORE INTO content_objects (key, version, sha256, written_at) VALUES (?1, ?2, ?3, ?4))";
constexpr std::string_view kPointed = R"(
  UPDATE content_objects SET pointed_at = coalesce(pointed_at, ?2), released_at = NULL WHERE key = ?1)";
constexpr std::string_view kReleaseAllBut = R"(
  UPDATE content_objects SET released_at = ?2, pointed_at = NULL
   WHERE released_at IS NULL AND key IS NOT ?1)";
constexpr std::string_view kReleaseOlder = R"(
  UPDATE content_objects SET released_at = ?2, pointed_at = NULL WHERE released_at IS NULL AND version < ?1)";
constexpr std::string_view kSelectOne = R"(
  SELECT key, version, sha256, written_at, pointed_at, released_at FROM content_objects WHERE key = ?1)";
constexpr std::string_view kSelectAll = R"(
  SELECT key, version, sha256, written_at, pointed_at, released_at FROM content_objects
   ORDER BY written_at, key)";
constexpr std::string_view kForget = "DELETE FROM content_objects WHERE key = ?1";

std::optional<UnixMillis> optionalTime(const Json& row, const char* key) {
  const Json& v = jsonValue(row, key);
  if (!v.is_number()) return std::nullopt;
  return jsonInt(row, key);
}

ContentObjectRecord recordFromRow(const Json& row) {
  ContentObjectRecord r;
  r.key = jsonString(row, "key");
  r.version = jsonInt(row, "version");
  r.sha256 = jsonString(row, "sha256");
  r.writtenAt = jsonInt(row, "written_at");
  r.pointedAt = optionalTime(row, "pointed_at");
  r.releasedAt = optionalTime(row, "released_at");
  return r;
}

}  // namespace

MoveLedger::MoveLedger(Sql& sql) : sql_(sql) {
  sql_.exec(kCreateObjects);
  sql_.exec(kCreateLease);
}

bool MoveLedger::acquire(std::string_view op, std::string_view token, UnixMillis now) {
  SqlRows r = sql_.exec(kAcquire, Json::array({std::string(op), std::string(token), now + kMoveLeaseMs, now}));
  return r.ok && !r.rows.empty() && jsonString(r.rows[0], "token") == token;
}

void MoveLedger::release(std::string_view token) { sql_.exec(kRelease, Json::array({std::string(token)})); }

std::optional<std::string> MoveLedger::holder(UnixMillis now) {
  SqlRows r = sql_.exec(kHolder, Json::array({now}));
  if (!r.ok || r.rows.empty()) return std::nullopt;
  return jsonString(r.rows[0], "op");
}

bool MoveLedger::remember(std::string_view key, long long version, std::string_view sha256, UnixMillis now) {
  return sql_.exec(kRemember, Json::array({std::string(key), version, std::string(sha256), now})).ok;
}

bool MoveLedger::pointed(std::string_view key, long long version, std::string_view sha256, UnixMillis now) {
  return remember(key, version, sha256, now) && sql_.exec(kPointed, Json::array({std::string(key), now})).ok;
}

bool MoveLedger::releaseAllBut(const std::optional<std::string>& pointer, UnixMillis now) {
  return sql_.exec(kReleaseAllBut, Json::array({pointer ? Json(*pointer) : Json(nullptr), now})).ok;
}

bool MoveLedger::releaseOlderThan(long long version, UnixMillis now) {
  return sql_.exec(kReleaseOlder, Json::array({version, now})).ok;
}

std::optional<ContentObjectRecord> MoveLedger::get(std::string_view key) {
  SqlRows r = sql_.exec(kSelectOne, Json::array({std::string(key)}));
  if (!r.ok || r.rows.empty()) return std::nullopt;
  return recordFromRow(r.rows[0]);
}

std::vector<ContentObjectRecord> MoveLedger::all() {
  std::vector<ContentObjectRecord> out;
  SqlRows r = sql_.exec(kSelectAll);
  if (!r.ok) return out;
  for (const auto& row : r.rows) out.push_back(recordFromRow(row));
  return out;
}

bool MoveLedger::forget(std::string_view key) { return sql_.exec(kForget, Json::array({std::string(key)})).ok; }

}  // namespace lattice
