// Deployment configuration, read once from the Worker's `vars` (wrangler.toml / .dev.vars) and
// passed in as a value. Every tunable the core uses lives here, with its default.
#pragma once

#include <cstddef>
#include <string>

#include "cache/policy.h"
#include "core/json.h"
#include "tiers/policy.h"

namespace lattice {

struct Config {
  std::string baseDomain = "localhost";  // tenants are {subdomain}.{baseDomain}
  bool dev = false;                      // LATTICE_DEV: enables /__lattice/metrics
  int postsPerPage = 10;                 // POSTS_PER_PAGE, public lists
  int apiPageSize = 50;                  // API list default page size (max 100)
  size_t maxMarkdownBytes = 1 << 20;     // MAX_MARKDOWN_BYTES (1 MiB)
  size_t maxJsonOverheadBytes = 64 << 10;  // body allowance beyond the markdown for other fields
  size_t maxIndexPosts = 10000;          // a tenant's public index (lists, feed, sitemap) is capped here
  int tenantStateTtl = 300;              // TENANT_STATE_TTL_SECONDS: a TenantDO re-reads D1 after this
  int eventsFlushSeconds = 30;           // EVENTS_FLUSH_SECONDS: analytics wait at most this long
  size_t maxEventsBodyBytes = 64 << 10;  // POST /api/events bodies are bounded before parsing
  int readerSignupsPerMinute = 60;       // READER_SIGNUPS_PER_MINUTE: POST /api/readers per client address
  int feedActiveDays = 14;               // FEED_ACTIVE_DAYS: publishing fans out to readers active this recently
  int reactionsPerMinute = 30;           // REACTIONS_PER_MINUTE: toggles per reader per post
  int commentsPerMinute = 10;            // COMMENTS_PER_MINUTE: comments per reader per post
  int followsPerMinute = 30;             // FOLLOWS_PER_MINUTE: Meadow follows and unfollows per reader
  int commentsFlushSeconds = 30;         // COMMENTS_FLUSH_SECONDS: comments reach D1 within this
  int reactionsFlushSeconds = 300;       // REACTIONS_FLUSH_SECONDS: reaction counts reach D1 within this
  int viewsFlushSeconds = 3600;          // VIEWS_FLUSH_SECONDS: post views and their daily figures reach D1 within this
  int feedMaxItems = 500;                // FEED_MAX_ITEMS: items a reader's FeedDO keeps (50-5000)
  cache::CachePolicy cache;              // CACHE_MODE, STAMP_TTL_SECONDS, TTL_HOT/WARM/COLD/POPULAR/LIST
  tiers::Thresholds tiers;               // TIER_* thresholds of the tier policy (src/tiers/policy.h)
  // The tier migrator (src/tiers/migrator.h).
  // TIER_MIGRATION (default on) lets the migrator move content. Off, the cron makes a dry run
  // (it logs its plan) and the API accepts dry runs only.
  bool tierMigration = true;
  // A run's D1 queries from the Worker: 2 per batch, 2 per move, 1 per clear, a few more; the
  // defaults keep it under 1,000, Workers Paid's limit per invocation (README).
  int tierBatchSize = 200;               // TIER_BATCH_SIZE: posts read per D1 query (1-1000)
  int tierMaxBatches = 50;               // TIER_MAX_BATCHES: batches examined per run (1-1000)
  int tierMaxMoves = 250;                // TIER_MAX_MOVES: moves (and clears) per run (1-1000)
  int tierGraceSeconds = 86400;          // TIER_GRACE_SECONDS: old copies are cleared after this (0-2592000)
  std::string operatorTokenSha256;       // OPERATOR_TOKEN_SHA256: hex SHA-256 of the operator token

  // From the env vars object (all values are strings, as Workers vars usually are; numbers and
  // booleans are accepted too). Unknown keys are ignored; bad values keep the default.
  static Config fromVars(const Json& vars);
};

}  // namespace lattice
