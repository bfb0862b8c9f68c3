#include "tiers/migrator.h"

#include <optional>
#include <vector>

#include "app/post-content-client.h"
#include "cache/keys.h"
#include "cache/store.h"
#include "durable/post-content.h"
#include "tiers/policy.h"

namespace lattice::tiers {

namespace {

// SQL owned by the migrator's tables (tier_migrator, tier_clears) and its reads of posts.
namespace sql {

// Taken when no unexpired lease is held; RETURNING yields the cursor only to the taker.
SqlStatement acquire(const std::string& token, UnixMillis now) {
  return {R"(UPDATE tier_migrator
                SET lease_token = ?1, lease_until = ?3,
                    pass_started_at = CASE WHEN cursor = '' THEN ?2 ELSE pass_started_at END
              WHERE id = 1 AND lease_until <= ?2
             RETURNING cursor)",
          Json::array({token, now, now + kRunLeaseMs})};
}
SqlStatement peek() { return {"SELECT cursor, lease_until FROM tier_migrator WHERE id = 1", Json::array()}; }
// Saves the cursor if this run still holds the lease ('' after the last post: the pass is over).
SqlStatement saveCursor(const std::string& token, const std::string& cursor, UnixMillis now) {
  return {R"(UPDATE tier_migrator
                SET cursor = ?2,
                    last_pass_at = CASE WHEN ?2 = '' THEN ?3 ELSE last_pass_at END
              WHERE id = 1 AND lease_token = ?1
             RETURNING cursor)",
          Json::array({token, cursor, now})};
}
SqlStatement release(const std::string& token, UnixMillis now) {
  return {R"(UPDATE tier_migrator SET lease_token = NULL, lease_until = 0, last_run_at = ?2
              WHERE id = 1 AND lease_token = ?1)",
          Json::array({token, now})};
}

// The next posts after `cursor`, by id (the primary key's index): only what the policy and a
// move need, no content.
SqlStatement scan(const std::string& cursor, int limit) {
  return {R"(SELECT id, tenant_id, slug, status, published_at, updated_at, last_accessed_at, version,
                    storage_location, r2_key, content_hash, tier, views_30d, views_30d_at, content_bytes
               FROM posts WHERE id > ?1 ORDER BY id LIMIT ?2)",
          Json::array({cursor, limit})};
}

// Records the tier decided for the post at `version` (no row changes if it was edited since).
SqlStatement recordTier(const std::string& tenantId, const std::string& postId, long long version,
                        std::string_view tier) {
  return {"UPDATE posts SET tier = ?4 WHERE id = ?1 AND tenant_id = ?2 AND version = ?3",
          Json::array({postId, tenantId, version, std::string(tier)})};
}

// Queues the post's old copies for clearing at `dueAt` (a later due time wins: the newest move's
// grace period counts).
SqlStatement queueClear(const std::string& tenantId, const std::string& postId, UnixMillis dueAt) {
  return {R"(INSERT INTO tier_clears (post_id, tenant_id, due_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (post_id) DO UPDATE SET due_at = max(due_at, excluded.due_at))",
          Json::array({postId, tenantId, dueAt})};
}
SqlStatement queueClearIfDeleted(const std::string& tenantId, const std::string& postId, UnixMillis dueAt) {
  return {R"(INSERT INTO tier_clears (post_id, tenant_id, due_at)
             SELECT ?1, ?2, ?3 WHERE NOT EXISTS (SELECT 1 FROM posts WHERE id = ?1)
             ON CONFLICT (post_id) DO UPDATE SET due_at = max(due_at, excluded.due_at))",
          Json::array({postId, tenantId, dueAt})};
}
SqlStatement dueClears(UnixMillis now, int limit) {
  return {"SELECT post_id, tenant_id FROM tier_clears WHERE due_at <= ?1 ORDER BY due_at, post_id LIMIT ?2",
          Json::array({now, limit})};
}
SqlStatement countDueClears(UnixMillis now) {
  return {"SELECT count(*) AS n FROM tier_clears WHERE due_at <= ?1", Json::array({now})};
}
SqlStatement doneClear(const std::string& postId, UnixMillis queuedBefore) {
  // Only if no move queued it again meanwhile (due_at moved later).
  return {"DELETE FROM tier_clears WHERE post_id = ?1 AND due_at <= ?2", Json::array({postId, queuedBefore})};
}
SqlStatement retryClear(const std::string& postId, UnixMillis dueAt) {
  return {"UPDATE tier_clears SET due_at = max(due_at, ?2) WHERE post_id = ?1", Json::array({postId, dueAt})};
}

// Content bytes per storage location, from the (storage_location, content_bytes) index alone.
SqlStatement totals() {
  return {R"(SELECT storage_location, count(*) AS posts, coalesce(sum(content_bytes), 0) AS bytes
               FROM posts GROUP BY storage_location)",
          Json::array()};
}

}  // namespace sql

std::optional<UnixMillis> optionalTime(const Json& row, const char* key) {
  const Json& v = jsonValue(row, key);
  if (!v.is_number()) return std::nullopt;
  return jsonInt(row, key);
}

struct Candidate {
  std::string id, tenantId, slug, status, storageLocation, contentHash, recordedTier;
  std::optional<std::string> r2Key;
  std::optional<UnixMillis> publishedAt, lastAccessedAt, viewsAt;
  UnixMillis updatedAt = 0;
  long long version = 0, views30d = 0, bytes = 0;

  static Candidate fromRow(const Json& row) {
    Candidate c;
    c.id = jsonString(row, "id");
    c.tenantId = jsonString(row, "tenant_id");
    c.slug = jsonString(row, "slug");
    c.status = jsonString(row, "status");
    c.storageLocation = jsonString(row, "storage_location", "d1");
    c.contentHash = jsonString(row, "content_hash");
    c.recordedTier = jsonString(row, "tier");
    if (const Json& k = jsonValue(row, "r2_key"); k.is_string()) c.r2Key = k.get<std::string>();
    c.publishedAt = optionalTime(row, "published_at");
    c.lastAccessedAt = optionalTime(row, "last_accessed_at");
    c.viewsAt = optionalTime(row, "views_30d_at");
    c.updatedAt = jsonInt(row, "updated_at");
    c.version = jsonInt(row, "version");
    c.views30d = jsonInt(row, "views_30d");
    c.bytes = jsonInt(row, "content_bytes");
    return c;
  }
};

// What to do with one post.
enum class Action {
  None,      // where it belongs
  Record,    // same storage, another tier (WARM <-> POPULAR), or back in D1 by an edit
  ToR2,      // /migrate/r2 (from D1, or between r2 and r2_archived)
  ToD1,      // /migrate/d1
};

struct Plan {
  Action action = Action::None;  // Record with no direction: only posts.tier changes, silently
  Tier from = Tier::Hot;
  Decision decision;
  std::string toLocation;  // for ToR2
  std::string direction;   // summary counter: moved_to_r2 | moved_to_d1 | archived | retiered
  long long bytesMoved = 0;   // content bytes copied between D1 and R2
  long long d1Released = 0;   // D1 bytes freed once the old copy is cleared (negative: taken)
};

Plan plan(const Candidate& c, const Decision& d) {
  Plan p;
  p.decision = d;
  p.from = currentTier(c.storageLocation, c.recordedTier);
  const std::string_view want = storageLocationOf(d.tier);
  if (c.storageLocation == "d1") {
    if (d.tier == Tier::Hot) {
      // Back in D1 by an edit after the migrator had moved it: its old R2 object is garbage.
      if (!c.recordedTier.empty() && c.recordedTier != "hot") p.action = Action::Record;
      return p;
    }
    p.action = Action::ToR2;
    p.toLocation = std::string(want);
    p.direction = want == "r2_archived" ? "archived" : "moved_to_r2";
    p.bytesMoved = c.bytes;
    p.d1Released = c.bytes;
    return p;
  }
  if (d.tier == Tier::Hot) {
    p.action = Action::ToD1;
    p.direction = "moved_to_d1";
    p.bytesMoved = c.bytes;
    p.d1Released = -c.bytes;
    return p;
  }
  if (c.storageLocation != want) {
    p.action = Action::ToR2;
    p.toLocation = std::string(want);
    p.direction = want == "r2_archived" ? "archived" : "retiered";
    return p;
  }
  if (p.from != d.tier) {
    p.action = Action::Record;
    p.direction = "retiered";
  } else if (c.recordedTier != tierName(d.tier)) {
    // In place, but not recorded (a run that died between the move and its record): no move.
    p.action = Action::Record;
  }
  return p;
}

// How an attempted step ended.
enum class Outcome { Done, Already, Conflict, Busy, Gone, Failed, Stop };

std::string_view outcomeName(Outcome o) {
  switch (o) {
    case Outcome::Done: return "moved";
    case Outcome::Already: return "already";
    case Outcome::Conflict: return "conflict";
    case Outcome::Busy: return "busy";
    case Outcome::Gone: return "gone";
    case Outcome::Failed: return "failed";
    case Outcome::Stop: return "stopped";
  }
  return "failed";
}

// Sorts a PostContentDO answer: storage trouble stops the run; a post's own trouble does not.
Outcome classify(const Fetched<HttpResponse>& r, std::string* code) {
  if (!r.ok()) {
    *code = "object.unreachable";
    return Outcome::Stop;
  }
  const HttpResponse& res = r.value;
  auto body = parseJson(res.body);
  *code = body ? jsonString(jsonValue(*body, "error"), "code") : std::string();
  if (res.status == 200) return body && jsonBool(*body, "moved") ? Outcome::Done : Outcome::Already;
  if (res.status == 409) return *code == "migrate.busy" ? Outcome::Busy : Outcome::Conflict;
  if (res.status == 404 && *code == "post.not_found") return Outcome::Gone;
  if (res.status == 502 || res.status == 503 || res.status >= 504) return Outcome::Stop;
  return Outcome::Failed;
}

struct Tally {
  long long examined = 0, movedToR2 = 0, movedToD1 = 0, archived = 0, retiered = 0, conflicts = 0;
  long long bytesMoved = 0, errors = 0, wouldSave = 0, clearedD1 = 0, deletedObjects = 0, clearsDue = 0;
  long long recorded = 0, moves = 0;
  std::string stopped;  // "" | "storage" | "budget" | "lease_lost"

  void count(const Plan& p) {
    if (p.direction == "moved_to_r2") ++movedToR2;
    else if (p.direction == "moved_to_d1") ++movedToD1;
    else if (p.direction == "archived") ++archived;
    else if (p.direction == "retiered") ++retiered;
    bytesMoved += p.bytesMoved;
    wouldSave += p.d1Released;
  }
};

Json moveLine(const Candidate& c, const Plan& p, std::string_view result, bool dryRun, double views) {
  Json j = Json::object();
  j["post"] = c.id;
  j["tenant"] = c.tenantId;
  j["slug"] = c.slug;
  j["from"] = std::string(tierName(p.from));
  j["to"] = std::string(tierName(p.decision.tier));
  j["from_location"] = c.storageLocation;
  j["to_location"] = p.action == Action::ToD1 ? std::string("d1") : p.action == Action::ToR2 ? p.toLocation : c.storageLocation;
  j["reason"] = p.decision.reason;
  j["views_per_day"] = views;
  j["bytes"] = p.bytesMoved;
  j["version"] = c.version;
  j["result"] = std::string(result);
  j["dry_run"] = dryRun;
  return j;
}

class Run {
 public:
  Run(Context& cx, MigratorRun run) : cx_(cx), run_(std::move(run)), token_(cx.random) {}

  Task<MigratorOutcome> go() {
    MigratorOutcome out;
    std::string cursor;
    if (run_.dryRun) {
      D1Result r = co_await cx_.io.query(sql::peek());
      if (!r.ok) {
        out.error = r.error;
        co_return out;
      }
      if (!r.rows.empty()) cursor = jsonString(r.rows[0], "cursor");
    } else {
      D1Result r = co_await cx_.io.query(sql::acquire(token_, cx_.now));
      if (!r.ok) {
        out.error = r.error;
        co_return out;
      }
      if (r.rows.empty()) {
        out.busy = true;
        co_return out;
      }
      cursor = jsonString(r.rows[0], "cursor");
    }
    const std::string startCursor = cursor;
    bool passComplete = false;

    for (int batch = 0; batch < cx_.config.tierMaxBatches && t_.stopped.empty(); ++batch) {
      D1Result rows = co_await cx_.io.query(sql::scan(cursor, cx_.config.tierBatchSize));
      if (!rows.ok) {
        storageError("posts scan", rows.error);
        break;
      }
      if (rows.rows.empty()) {
        cursor.clear();
        passComplete = true;
        break;
      }
      for (const Json& row : rows.rows) {
        const Candidate c = Candidate::fromRow(row);
        const bool advanced = co_await examine(c);
        if (!advanced) break;
        cursor = c.id;
      }
      // The cursor is saved after every batch, so a run that dies repeats at most one batch
      // (every move is idempotent).
      if (!run_.dryRun) {
        const bool saved = co_await saveCursor(cursor);
        if (!saved) break;
      }
      if (static_cast<int>(rows.rows.size()) < cx_.config.tierBatchSize && t_.stopped.empty()) {
        cursor.clear();
        passComplete = true;
        break;
      }
    }
    if (passComplete && !run_.dryRun && t_.stopped.empty()) {
      const bool saved = co_await saveCursor(cursor);
      (void)saved;
    }

    if (t_.stopped.empty() || t_.stopped == "budget") co_await collectGarbage();

    D1Result totals = co_await cx_.io.query(sql::totals());
    long long inD1 = 0, inR2 = 0;
    if (totals.ok) {
      for (const Json& row : totals.rows) {
        if (jsonString(row, "storage_location") == "d1") inD1 += jsonInt(row, "bytes");
        else inR2 += jsonInt(row, "bytes");
      }
    } else {
      storageError("storage totals", totals.error);
    }
    if (!run_.dryRun && t_.stopped != "lease_lost") {
      D1Result released = co_await cx_.io.query(sql::release(token_, cx_.now));
      if (!released.ok) cx_.io.log("warn", "tier migrator lease not released (it lapses)", {{"error", released.error}});
    }

    Json s = Json::object();
    s["trigger"] = run_.trigger;
    s["dry_run"] = run_.dryRun;
    s["examined"] = t_.examined;
    s["moved_to_r2"] = t_.movedToR2;
    s["moved_to_d1"] = t_.movedToD1;
    s["archived"] = t_.archived;
    s["retiered"] = t_.retiered;
    s["conflicts"] = t_.conflicts;
    s["bytes_moved"] = t_.bytesMoved;
    s["bytes_in_d1"] = inD1;
    s["bytes_in_r2"] = inR2;
    s["errors"] = t_.errors;
    s["would_save_bytes"] = t_.wouldSave;
    s["cleared_d1_copies"] = t_.clearedD1;
    s["deleted_objects"] = t_.deletedObjects;
    s["clears_due"] = t_.clearsDue;
    s["cursor_from"] = startCursor;
    s["cursor"] = cursor;
    s["pass_complete"] = passComplete;
    s["stopped"] = t_.stopped.empty() ? Json(nullptr) : Json(t_.stopped);
    cx_.io.log(t_.errors ? "warn" : "info", "tier migration summary", s);
    cx_.io.metric("tiers.examined", double(t_.examined));
    cx_.io.metric("tiers.moved", double(t_.movedToR2 + t_.movedToD1 + t_.archived + t_.retiered));
    if (t_.errors) cx_.io.metric("tiers.errors", double(t_.errors));
    out.summary = std::move(s);
    out.moves = std::move(moves_);
    co_return out;
  }

 private:
  void storageError(std::string_view what, std::string_view error) {
    ++t_.errors;
    t_.stopped = "storage";
    cx_.io.log("error", "tier migrator stopped: storage failure", {{"what", std::string(what)}, {"error", std::string(error)}});
  }

  Task<bool> saveCursor(const std::string& cursor) {
    D1Result r = co_await cx_.io.query(sql::saveCursor(token_, cursor, cx_.now));
    if (!r.ok) {
      storageError("cursor save", r.error);
      co_return false;
    }
    if (r.rows.empty()) {
      // Another run took over after this one's lease lapsed: it owns the cursor now.
      t_.stopped = "lease_lost";
      cx_.io.log("warn", "tier migrator lost its lease to another run; stopping", Json::object());
      co_return false;
    }
    co_return true;
  }

  // One post: decide, then move (or plan). False when the run must stop before this post (the
  // cursor then stays before it).
  Task<bool> examine(const Candidate& c) {
    PostStats stats;
    stats.status = c.status;
    stats.publishedAt = c.publishedAt;
    stats.updatedAt = c.updatedAt;
    stats.lastAccessedAt = c.lastAccessedAt;
    stats.viewsPerDay = viewsPerDayAt(c.views30d, c.viewsAt, cx_.now);
    stats.current = currentTier(c.storageLocation, c.recordedTier);
    const Decision d = decideTier(stats, cx_.now, cx_.config.tiers);
    const Plan p = plan(c, d);
    ++t_.examined;
    if (p.action == Action::None) co_return true;

    if (p.action == Action::Record && p.direction.empty()) {
      // Edited back into D1: queue its old objects for clearing, and note it is HOT again. Or in
      // place in R2 with its tier not recorded yet: record it.
      if (run_.dryRun) co_return true;
      std::vector<SqlStatement> batch;
      if (c.storageLocation == "d1") batch.push_back(sql::queueClear(c.tenantId, c.id, dueAt()));
      batch.push_back(sql::recordTier(c.tenantId, c.id, c.version, tierName(d.tier)));
      D1BatchResult r = co_await cx_.io.batch(std::move(batch));
      if (!r.ok) {
        storageError("tier record", r.error);
        co_return false;
      }
      ++t_.recorded;
      co_return true;
    }

    if (t_.moves >= cx_.config.tierMaxMoves) {
      t_.stopped = "budget";
      co_return false;
    }
    ++t_.moves;
    const double views = stats.viewsPerDay;
    if (run_.dryRun) {
      t_.count(p);
      logMove(c, p, "planned", views);
      co_return true;
    }

    std::string code;
    Outcome o = Outcome::Done;
    if (p.action != Action::Record) {
      // Write-ahead: whatever step a crash interrupts, the garbage it leaves is collected.
      D1Result queued = co_await cx_.io.query(sql::queueClear(c.tenantId, c.id, dueAt()));
      if (!queued.ok) {
        storageError("clear queue", queued.error);
        co_return false;
      }
      Fetched<HttpResponse> r;
      if (p.action == Action::ToD1) {
        r = co_await callPostContentObject(cx_, c.tenantId, c.id, "POST", "/migrate/d1", "{}");
      } else {
        Json body = Json::object();
        body["location"] = p.toLocation;
        // The key this decision was made for: an edit since the scan makes the move a conflict.
        body["key"] = c.r2Key && c.storageLocation != "d1" ? *c.r2Key : contentKey(c.tenantId, c.id, c.version, c.contentHash);
        r = co_await callPostContentObject(cx_, c.tenantId, c.id, "POST", "/migrate/r2", dumpJson(body));
      }
      o = classify(r, &code);
    }

    if (o == Outcome::Stop) {
      ++t_.errors;
      t_.stopped = "storage";
      logMove(c, p, outcomeName(o), views, code);
      co_return false;
    }
    if (o == Outcome::Done || o == Outcome::Already) {
      if (c.recordedTier != tierName(p.decision.tier)) {
        D1Result rec = co_await cx_.io.query(sql::recordTier(c.tenantId, c.id, c.version, tierName(p.decision.tier)));
        if (!rec.ok) {
          // The move stands; the next run records the tier.
          storageError("tier record", rec.error);
          logMove(c, p, outcomeName(o), views, code);
          co_return false;
        }
      }
      // The KV entry may name the old location (README "Tiers and the migrator": caches).
      co_await cache::kvDelete(cx_.io, cache::kvPostKey(c.tenantId, c.slug));
      if (o == Outcome::Done || p.action == Action::Record) t_.count(p);
    } else if (o == Outcome::Conflict || o == Outcome::Busy) {
      ++t_.conflicts;
    } else if (o == Outcome::Failed) {
      ++t_.errors;
    }
    logMove(c, p, p.action == Action::Record && o == Outcome::Done ? "recorded" : outcomeName(o), views, code);
    co_return true;
  }

  // The garbage-collection pass: old copies whose grace period has passed.
  Task<void> collectGarbage() {
    if (run_.dryRun) {
      D1Result n = co_await cx_.io.query(sql::countDueClears(cx_.now));
      if (n.ok && !n.rows.empty()) t_.clearsDue = jsonInt(n.rows[0], "n");
      co_return;
    }
    D1Result due = co_await cx_.io.query(sql::dueClears(cx_.now, cx_.config.tierMaxMoves));
    if (!due.ok) {
      storageError("clear queue read", due.error);
      co_return;
    }
    t_.clearsDue = static_cast<long long>(due.rows.size());
    Json body = Json::object();
    body["grace_seconds"] = cx_.config.tierGraceSeconds;
    const std::string request = dumpJson(body);
    for (const Json& row : due.rows) {
      const std::string postId = jsonString(row, "post_id");
      const std::string tenantId = jsonString(row, "tenant_id");
      auto r = co_await callPostContentObject(cx_, tenantId, postId, "POST", "/migrate/clear", request);
      std::string code;
      const Outcome o = classify(r, &code);
      if (o == Outcome::Stop) {
        ++t_.errors;
        t_.stopped = "storage";
        cx_.io.log("error", "tier clear stopped: storage failure", {{"post", postId}, {"code", code}});
        co_return;
      }
      bool finished = o == Outcome::Gone;
      if (o == Outcome::Done || o == Outcome::Already) {
        auto j = parseJson(r.value.body);
        const Json answer = j ? *j : Json::object();
        const std::string d1Copy = jsonString(answer, "d1_copy");
        const Json& deleted = jsonValue(answer, "deleted");
        const Json& waiting = jsonValue(answer, "waiting");
        if (d1Copy == "cleared") ++t_.clearedD1;
        if (deleted.is_array()) t_.deletedObjects += static_cast<long long>(deleted.size());
        finished = d1Copy != "waiting" && (!waiting.is_array() || waiting.empty());
        Json line = Json::object();
        line["post"] = postId;
        line["tenant"] = tenantId;
        line["d1_copy"] = d1Copy;
        line["deleted"] = deleted;
        line["waiting"] = waiting;
        cx_.io.log("info", "tier clear", line);
      } else if (o == Outcome::Failed) {
        ++t_.errors;
        cx_.io.log("error", "tier clear failed", {{"post", postId}, {"code", code}});
      }
      SqlStatement next = finished ? sql::doneClear(postId, cx_.now) : sql::retryClear(postId, dueAt());
      D1Result w = co_await cx_.io.query(std::move(next));
      if (!w.ok) {
        storageError("clear queue write", w.error);
        co_return;
      }
    }
  }

  UnixMillis dueAt() const { return cx_.now + UnixMillis(cx_.config.tierGraceSeconds) * 1000; }

  void logMove(const Candidate& c, const Plan& p, std::string_view result, double views, const std::string& code = {}) {
    Json line = moveLine(c, p, result, run_.dryRun, views);
    if (!code.empty()) line["code"] = code;
    const bool bad = result == "failed" || result == "stopped";
    cx_.io.log(bad ? "error" : "info", "tier move", line);
    moves_.push_back(std::move(line));
  }

  Context& cx_;
  MigratorRun run_;
  std::string token_;
  Tally t_;
  Json moves_ = Json::array();
};

}  // namespace

SqlStatement queueDeletedPostClear(const std::string& tenantId, const std::string& postId, UnixMillis dueAt) {
  return sql::queueClearIfDeleted(tenantId, postId, dueAt);
}

Task<MigratorOutcome> runMigrator(Context& cx, MigratorRun run) {
  Run r(cx, std::move(run));
  MigratorOutcome out = co_await r.go();
  co_return out;
}

}  // namespace lattice::tiers
