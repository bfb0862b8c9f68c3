// The tier migrator: one run examines a bounded number of posts, decides each one's tier with
// the pure policy (src/tiers/policy.h) and moves the content with the PostContentDO's safe
// protocol (src/durable/post-content-object.h: R2 put under the immutable key with its SHA-256 ->
// read back and verify -> compare-and-swap the D1 pointer on version), then drops the post's KV
// entry, and finally clears old copies whose grace period has passed (/migrate/clear). IO-free:
// every step is an effect. Run by the Worker's cron (src/app/tiers-routes.cpp) and by
// POST /api/admin/migrate.
//
// Bounded and resumable. Posts are scanned by id (the primary key's index) from a cursor kept in
// D1 (tier_migrator, migrations/0004_tiers.sql), TIER_BATCH_SIZE at a time, at most
// TIER_MAX_BATCHES batches and TIER_MAX_MOVES moves per run; the next run resumes where this one
// stopped, and a pass that reaches the last post starts again from the first.
//
// Safe at every step:
// - A run holds a lease in D1 (15 minutes) so two runs do not overlap; a second run answers
//   busy. A run that outlives its lease loses it at its next cursor save and stops; even while
//   two overlap, each post moves at most once (the object's per-post lease and the version
//   compare-and-swap: the second attempt finds the move done, or busy, or conflicting).
// - Each move is given the key the decision was made for (version + content hash), so an edit
//   since the scan makes it a conflict: the edit wins, nothing moves.
// - A post is queued for clearing (tier_clears) before its move is tried: whatever step a crash
//   interrupts, the garbage it may leave (an unreferenced R2 object, a D1 copy) is collected by
//   a later run once the grace period has passed, and the rerun's move finishes the job.
// - Storage failing (D1, R2 or the object unreachable: 503, 502, no answer) stops the run
//   cleanly: the cursor stays before the post that failed, so the next run resumes there. A
//   post-specific failure (its content is missing or corrupt) is counted and logged, and the
//   run goes on without it.
// - A dry run reads only (D1's cursor, the posts, the counts): no lease, no cursor, no move, no
//   object call, no KV: every store is left byte-identical. It reports the same plan.
//
// Caches after a move. A move does not bump posts.version and the content's bytes are the same,
// so no cached page or ETag is wrong: Cache API pages sit under versioned keys with the same
// bytes (and the Cache API is per location: a purge from the migrator's location would not
// reach the others anyway). What does change is where the content lives, and the KV post entry
// (`post:{tenant}:{slug}`) carries storage_location and r2_key: after a move back to D1 the old R2
// object is deleted after the grace period, so a KV entry still pointing at it must not outlive
// that. The migrator deletes the post's KV entry after every move (KV deletes reach every
// location within about a minute, far inside the grace period).
#pragma once

#include <string>

#include "app/context.h"
#include "core/json.h"
#include "core/task.h"

namespace lattice::tiers {

struct MigratorRun {
  bool dryRun = false;
  std::string trigger = "api";  // "cron" | "api", for the log
};

struct MigratorOutcome {
  bool busy = false;       // another run holds the lease: nothing was done
  std::string error;       // D1 failed before the run could start: nothing was done
  // {examined, moved_to_r2, moved_to_d1, archived, retiered, conflicts, bytes_moved,
  //  bytes_in_d1, bytes_in_r2, errors, dry_run, would_save_bytes, cleared_d1_copies,
  //  deleted_objects, clears_due, cursor, pass_complete, stopped}
  Json summary = Json::object();
  Json moves = Json::array();  // one entry per planned or attempted move, as logged
};

// The effects of one run, on the platform's whole catalogue (the migrator is an operator job,
// not a tenant's request: it scans every tenant's posts; each move names its tenant).
Task<MigratorOutcome> runMigrator(Context& cx, MigratorRun run);

// Queues the collection of a deleted post's content (every R2 object it had, its version
// history), due once the grace period has passed; runs in the delete's own transaction, after
// the DELETE, and queues nothing if the post is still there.
SqlStatement queueDeletedPostClear(const std::string& tenantId, const std::string& postId, UnixMillis dueAt);

// A run's lease lasts this long: a run that died holds up the next one no longer than this.
inline constexpr long long kRunLeaseMs = 15LL * 60 * 1000;

}  // namespace lattice::tiers
