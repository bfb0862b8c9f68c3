#include "stats/dashboard.h"

#include <algorithm>
#include <array>
#include <map>

#include "durable/reactions.h"
#include "durable/views.h"

namespace lattice::stats {

namespace {

// ?1 tenant, ?2 first day, ?3 last day (inclusive).
constexpr const char* kDaily = R"(
  SELECT day, sum(views) AS views, sum(cache_hit) AS cache_hit, sum(cache_miss) AS cache_miss,
         sum(cache_not_modified) AS cache_not_modified, sum(cache_uncached) AS cache_uncached,
         sum(d1_queries) AS d1_queries
    FROM post_day_stats WHERE tenant_id = ?1 AND day BETWEEN ?2 AND ?3
   GROUP BY day ORDER BY day)";

// The post must still be the tenant's (a deleted post's days drop out).
constexpr const char* kTopPostsSql = R"(
  SELECT p.slug AS slug, p.title AS title, sum(s.views) AS views
    FROM post_day_stats AS s JOIN posts AS p ON p.id = s.post_id AND p.tenant_id = s.tenant_id
   WHERE s.tenant_id = ?1 AND s.day BETWEEN ?2 AND ?3
   GROUP BY s.post_id HAVING sum(s.views) > 0
   ORDER BY views DESC, p.slug LIMIT ?4)";

constexpr const char* kReactions = R"(
  SELECT r.type AS type, sum(r.count) AS count
    FROM reaction_counts AS r JOIN posts AS p ON p.id = r.post_id
   WHERE p.tenant_id = ?1 GROUP BY r.type)";

// Content in D1 is HOT whatever posts.tier says; in R2, POPULAR when the migrator said so.
constexpr const char* kTiers = R"(
  SELECT CASE WHEN storage_location = 'd1' THEN 'hot'
              WHEN storage_location = 'r2_archived' THEN 'cold'
              WHEN tier = 'popular' THEN 'popular' ELSE 'warm' END AS tier,
         count(*) AS posts, coalesce(sum(content_bytes), 0) AS bytes
    FROM posts WHERE tenant_id = ?1 GROUP BY 1)";

// ?2, ?3: the window in Unix ms, [from, to).
constexpr const char* kEvents = R"(
  SELECT occurred_at / 86400000 AS day, count(*) AS n
    FROM analytics_events WHERE tenant_id = ?1 AND occurred_at >= ?2 AND occurred_at < ?3
   GROUP BY 1)";

constexpr std::array<const char*, 6> kDailyFields = {"views", "cache_hit", "cache_miss", "cache_not_modified",
                                                     "cache_uncached", "d1_queries"};
constexpr std::array<const char*, 4> kTierOrder = {"hot", "warm", "cold", "popular"};



}  // namespace

Window windowEnding(UnixMillis now, int days) {
  Window w;
  w.days = std::clamp(days, 1, kMaxDays);
  w.lastDay = utcDay(now);
  w.firstDay = w.lastDay - w.days + 1;
  return w;
}

std::string dayDate(long long day) { return formatIso8601(day * kDayMs).substr(0, 10); }

std::vector<SqlStatement> queries(const std::string& tenantId, const Window& w) {
  return {
      {kDaily, Json::array({tenantId, w.firstDay, w.lastDay})},
      {kTopPostsSql, Json::array({tenantId, w.firstDay, w.lastDay, kTopPosts})},
      {kReactions, Json::array({tenantId})},
      {kTiers, Json::array({tenantId})},
      {kEvents, Json::array({tenantId, w.firstDay * kDayMs, (w.lastDay + 1) * kDayMs})},
  };
}

Json shape(const Window& w, const std::vector<D1Result>& results, UnixMillis now, int flushSeconds) {
  const auto& r = results;
  auto rows = [&](size_t i) -> const Json& {
    static const Json kNone = Json::array();
    return i < r.size() ? r[i].rows : kNone;
  };

  std::map<long long, Json> byDay;
  for (const Json& row : rows(0)) byDay[jsonInt(row, "day")] = row;
  std::map<long long, long long> eventsByDay;
  for (const Json& row : rows(4)) eventsByDay[jsonInt(row, "day")] = jsonInt(row, "n");

  Json daily = Json::array();
  Json totals = Json::object();
  for (const char* f : kDailyFields) totals[f] = 0;
  totals["events"] = 0;
  for (long long day = w.firstDay; day <= w.lastDay; ++day) {
    Json d = {{"date", dayDate(day)}};
    auto it = byDay.find(day);
    for (const char* f : kDailyFields) {
      const long long v = it == byDay.end() ? 0 : jsonInt(it->second, f);
      d[f] = v;
      totals[f] = totals[f].get<long long>() + v;
    }
    auto ev = eventsByDay.find(day);
    const long long events = ev == eventsByDay.end() ? 0 : ev->second;
    d["events"] = events;
    totals["events"] = totals["events"].get<long long>() + events;
    daily.push_back(std::move(d));
  }
  const long long served = totals["cache_hit"].get<long long>() + totals["cache_not_modified"].get<long long>();
  const long long cacheable = served + totals["cache_miss"].get<long long>();
  totals["hit_ratio"] = cacheable > 0 ? Json(static_cast<double>(served) / static_cast<double>(cacheable)) : Json(nullptr);

  Json top = Json::array();
  for (const Json& row : rows(1))
    top.push_back({{"slug", jsonString(row, "slug")}, {"title", jsonString(row, "title")}, {"views", jsonInt(row, "views")}});

  Json reactions = Json::object();
  for (auto type : kReactionTypes) reactions[std::string(type)] = 0;
  for (const Json& row : rows(2)) reactions[jsonString(row, "type")] = jsonInt(row, "count");

  Json tiers = Json::array();
  for (const char* tier : kTierOrder) {
    long long posts = 0, bytes = 0;
    for (const Json& row : rows(3))
      if (jsonString(row, "tier") == tier) posts = jsonInt(row, "posts"), bytes = jsonInt(row, "bytes");
    tiers.push_back({{"tier", tier}, {"posts", posts}, {"bytes", bytes}});
  }

  return {{"days", w.days},
          {"from", dayDate(w.firstDay)},
          {"to", dayDate(w.lastDay)},
          {"generated_at", now},
          {"flush_seconds", flushSeconds},
          {"daily", std::move(daily)},
          {"totals", std::move(totals)},
          {"top_posts", std::move(top)},
          {"reactions", std::move(reactions)},
          {"tiers", std::move(tiers)}};
}

}  // namespace lattice::stats
