// The operator dashboard's figures for one tenant (GET /api/stats, the page /admin/stats): the
// D1 statements that read them and the pure shaping of their rows into the API's JSON. Where
// each figure lives:
//   views per day, top posts, cache outcomes, D1 queries  post_day_stats (migrations/0006_stats.sql),
//       written by each post's PostMetaDO with its views flush (src/durable/views.h), so they lag
//       by at most VIEWS_FLUSH_SECONDS (an hour by default);
//   reader events per day   analytics_events (POST /api/events, flushed by the TenantDO outbox);
//   reactions               reaction_counts (absolute counts per post, flushed by the PostMetaDOs);
//   bytes per tier          posts.content_bytes by where the content lives (0004_tiers.sql).
#pragma once

#include <string>
#include <vector>

#include "core/io.h"
#include "core/json.h"
#include "core/time.h"

namespace lattice::stats {

inline constexpr int kDefaultDays = 30;
inline constexpr int kMaxDays = 90;
inline constexpr int kTopPosts = 10;

// The window: `days` UTC days ending with `now`'s (inclusive), as day numbers (days since
// 1970-01-01, views.h's utcDay).
struct Window {
  long long firstDay = 0;
  long long lastDay = 0;
  int days = 0;
};
Window windowEnding(UnixMillis now, int days);

// One D1 batch (read only): daily sums, top posts, reactions, tiers, reader events per day.
std::vector<SqlStatement> queries(const std::string& tenantId, const Window& window);

// The answer from the batch's results (in the order of `queries`):
//   {days, from, to, generated_at, flush_seconds,
//    daily: [{date, views, cache_hit, cache_miss, cache_not_modified, cache_uncached, d1_queries,
//             events}] (every day of the window, oldest first, zeros where nothing was recorded),
//    totals: {views, cache_hit, cache_miss, cache_not_modified, cache_uncached, d1_queries, events,
//             hit_ratio (hits and 304s over the views a cache could serve; null without any)},
//    top_posts: [{slug, title, views}] (at most 10, most viewed in the window first),
//    reactions: {like, love, insightful, laugh, ...} (totals over the tenant's posts),
//    tiers: [{tier, posts, bytes}] for hot, warm, cold, popular in that order}
Json shape(const Window& window, const std::vector<D1Result>& results, UnixMillis now, int flushSeconds);

// "2026-11-30" for a day number.
std::string dayDate(long long day);

}  // namespace lattice::stats
