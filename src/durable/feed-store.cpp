#include "durable/feed-store.h"

#include <algorithm>
#include <map>
#include <set>

namespace lattice {

namespace {

// Items are keyed by post id (post ids are unique across tenants in D1). The index serves the
// recent order and the cap; tags are a JSON array.
constexpr const char* kCreateItems = R"(
  CREATE TABLE IF NOT EXISTS feed_items (
    post_id      TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    subdomain    TEXT NOT NULL,
    author       TEXT NOT NULL,
    slug         TEXT NOT NULL,
    title        TEXT NOT NULL,
    description  TEXT NOT NULL,
    tags         TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    url          TEXT NOT NULL,
    reactions    INTEGER NOT NULL,
    comments     INTEGER NOT NULL
  ) WITHOUT ROWID)";
constexpr const char* kCreateItemsRecent =
    "CREATE INDEX IF NOT EXISTS feed_items_recent ON feed_items (published_at DESC, post_id DESC)";
constexpr const char* kCreateItemsTenant = "CREATE INDEX IF NOT EXISTS feed_items_tenant ON feed_items (tenant_id)";
constexpr const char* kCreateFollows = R"(
  CREATE TABLE IF NOT EXISTS feed_follows (
    tenant_id    TEXT PRIMARY KEY,
    subdomain    TEXT NOT NULL,
    display_name TEXT NOT NULL,
    followed_at  INTEGER NOT NULL
  ) WITHOUT ROWID)";
// One row per snapshot: the ranked list as a JSON array of [post_id, score], rank = index + 1.
// One row written per first page, whatever the feed's size (a row per rank would cost up to
// FEED_MAX_ITEMS written rows for every first page of a relevance read).
constexpr const char* kCreateSnapshots = R"(
  CREATE TABLE IF NOT EXISTS feed_snapshots (
    id         TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    ranked     TEXT NOT NULL
  ) WITHOUT ROWID)";
constexpr const char* kCreateState =
    "CREATE TABLE IF NOT EXISTS feed_state (key TEXT PRIMARY KEY, value) WITHOUT ROWID";

constexpr const char* kItemColumns =
    "post_id, tenant_id, subdomain, author, slug, title, description, tags, published_at, url, reactions, comments";

// Rewrites an existing item only within the same tenant.
constexpr const char* kUpsertItem = R"(
  INSERT INTO feed_items (post_id, tenant_id, subdomain, author, slug, title, description, tags, published_at,
                          url, reactions, comments)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
  ON CONFLICT (post_id) DO UPDATE SET
    subdomain = excluded.subdomain, author = excluded.author, slug = excluded.slug, title = excluded.title,
    description = excluded.description, tags = excluded.tags, published_at = excluded.published_at,
    url = excluded.url, reactions = excluded.reactions, comments = excluded.comments
  WHERE feed_items.tenant_id = excluded.tenant_id)";

// TODO(perf): the cap walks the recent index up to FEED_MAX_ITEMS rows per merge; a count kept
// in feed_state would make the common case (not full) one row.
constexpr const char* kEvict = R"(
  DELETE FROM feed_items WHERE post_id IN (
    SELECT post_id FROM feed_items ORDER BY published_at DESC, post_id DESC LIMIT -1 OFFSET ?1)
  RETURNING post_id)";

constexpr size_t kLookupChunk = 50;  // post ids per IN (...) lookup (DO SQLite binds at most 100)

Json previewParams(const feed::Preview& p) {
  return Json::array({p.postId, p.tenantId, p.subdomain, p.author, p.slug, p.title, p.description,
                      dumpJson(Json(p.tags)), p.publishedAt, p.url, p.reactions, p.comments});
}

feed::Preview previewFromRow(const Json& row) {
  feed::Preview p;
  p.postId = jsonString(row, "post_id");
  p.tenantId = jsonString(row, "tenant_id");
  p.subdomain = jsonString(row, "subdomain");
  p.author = jsonString(row, "author");
  p.slug = jsonString(row, "slug");
  p.title = jsonString(row, "title");
  p.description = jsonString(row, "description");
  if (auto tags = parseJson(jsonString(row, "tags")); tags && tags->is_array())
    for (const Json& t : *tags)
      if (t.is_string()) p.tags.push_back(t.get<std::string>());
  p.publishedAt = jsonInt(row, "published_at");
  p.url = jsonString(row, "url");
  p.reactions = jsonInt(row, "reactions");
  p.comments = jsonInt(row, "comments");
  return p;
}

// (published_at, post_id) descending: a before b.
bool newerThan(const feed::Preview& a, const feed::Preview& b) {
  return a.publishedAt != b.publishedAt ? a.publishedAt > b.publishedAt : a.postId > b.postId;
}

FeedMerge mergeFailed(std::string error) {
  FeedMerge m;
  m.error = std::move(error);
  return m;
}

ApiError storageError() {
  return ApiError{503, "storage.unavailable", "the feed could not be read; retry shortly", ""};
}

}  // namespace

Json FeedFollow::toJson() const {
  return {{"tenant_id", tenantId}, {"subdomain", subdomain}, {"display_name", displayName}, {"followed_at", followedAt}};
}

Json FeedItem::toJson() const {
  Json j = preview.toJson();
  if (score) j["score"] = *score;
  return j;
}

Json FeedStateSummary::toJson() const {
  return {{"items", items},
          {"follows", follows},
          {"last_read_at", lastReadAt ? Json(*lastReadAt) : Json(nullptr)},
          {"synced_at", syncedAt ? Json(*syncedAt) : Json(nullptr)}};
}

FeedStore::FeedStore(Sql& sql, int maxItems) : sql_(sql), maxItems_(std::max(1, maxItems)) {
  sql_.exec(kCreateItems);
  sql_.exec(kCreateItemsRecent);
  sql_.exec(kCreateItemsTenant);
  sql_.exec(kCreateFollows);
  sql_.exec(kCreateSnapshots);
  sql_.exec(kCreateState);
}

std::optional<long long> FeedStore::number(const char* key) {
  SqlRows r = sql_.exec("SELECT value FROM feed_state WHERE key = ?1", Json::array({key}));
  if (!r.ok || r.rows.empty() || !r.rows[0]["value"].is_number_integer()) return std::nullopt;
  return r.rows[0]["value"].get<long long>();
}

void FeedStore::setNumber(const char* key, long long value) {
  sql_.exec("INSERT INTO feed_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            Json::array({key, value}));
}

std::string FeedStore::readerId() {
  SqlRows r = sql_.exec("SELECT value FROM feed_state WHERE key = 'reader_id'");
  if (!r.ok || r.rows.empty() || !r.rows[0]["value"].is_string()) return "";
  return r.rows[0]["value"].get<std::string>();
}

void FeedStore::setReaderId(const std::string& readerId) {
  sql_.exec("INSERT INTO feed_state (key, value) VALUES ('reader_id', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            Json::array({readerId}));
}

bool FeedStore::follows(const std::string& tenantId) {
  SqlRows r = sql_.exec("SELECT 1 AS x FROM feed_follows WHERE tenant_id = ?1", Json::array({tenantId}));
  return r.ok && !r.rows.empty();
}

std::vector<FeedFollow> FeedStore::followList() {
  std::vector<FeedFollow> out;
  SqlRows r = sql_.exec("SELECT tenant_id, subdomain, display_name, followed_at FROM feed_follows "
                        "ORDER BY followed_at DESC, tenant_id");
  if (!r.ok) return out;
  for (const Json& row : r.rows)
    out.push_back(FeedFollow{jsonString(row, "tenant_id"), jsonString(row, "subdomain"),
                             jsonString(row, "display_name"), jsonInt(row, "followed_at")});
  return out;
}

bool FeedStore::upsertFollow(const FeedFollow& f) {
  SqlRows r = sql_.exec(R"(
    INSERT INTO feed_follows (tenant_id, subdomain, display_name, followed_at) VALUES (?1, ?2, ?3, ?4)
    ON CONFLICT (tenant_id) DO UPDATE SET subdomain = excluded.subdomain, display_name = excluded.display_name)",
                        Json::array({f.tenantId, f.subdomain, f.displayName, f.followedAt}));
  return r.ok;
}

FeedMerge FeedStore::follow(const FeedFollow& f, const std::vector<feed::Preview>& posts) {
  if (!upsertFollow(f)) return mergeFailed("follow write failed");
  return merge(posts);
}

long long FeedStore::unfollow(const std::string& tenantId) {
  SqlRows follow = sql_.exec("DELETE FROM feed_follows WHERE tenant_id = ?1", Json::array({tenantId}));
  SqlRows items = sql_.exec("DELETE FROM feed_items WHERE tenant_id = ?1 RETURNING post_id", Json::array({tenantId}));
  if (!follow.ok || !items.ok) return -1;
  return static_cast<long long>(items.rows.size());
}

FeedMerge FeedStore::merge(const std::vector<feed::Preview>& items) {
  FeedMerge out;
  std::vector<const feed::Preview*> inserted;
  std::set<std::string> seen;
  for (const feed::Preview& p : items) {
    SqlRows existing = sql_.exec("SELECT tenant_id FROM feed_items WHERE post_id = ?1", Json::array({p.postId}));
    if (!existing.ok) return mergeFailed(existing.error);
    const bool isNew = existing.rows.empty() && seen.insert(p.postId).second;
    if (!existing.rows.empty() && jsonString(existing.rows[0], "tenant_id") != p.tenantId) continue;
    SqlRows w = sql_.exec(kUpsertItem, previewParams(p));
    if (!w.ok) return mergeFailed(w.error);
    if (isNew) inserted.push_back(&p);
    else ++out.updated;
  }
  SqlRows evicted = sql_.exec(kEvict, Json::array({maxItems_}));
  if (!evicted.ok) return mergeFailed(evicted.error);
  out.evicted = static_cast<long long>(evicted.rows.size());
  std::set<std::string> gone;
  for (const Json& row : evicted.rows) gone.insert(jsonString(row, "post_id"));
  for (const feed::Preview* p : inserted) {
    if (gone.count(p->postId)) continue;
    ++out.added;
    out.fresh.push_back(*p);
  }
  out.ok = true;
  return out;
}

bool FeedStore::remove(const std::string& postId) {
  SqlRows r = sql_.exec("DELETE FROM feed_items WHERE post_id = ?1 RETURNING post_id", Json::array({postId}));
  return r.ok && !r.rows.empty();
}

FeedMerge FeedStore::rebuild(const std::vector<FeedFollow>& follows, const std::vector<feed::Preview>& items,
                             UnixMillis now) {
  SqlRows a = sql_.exec("DELETE FROM feed_follows");
  SqlRows b = sql_.exec("DELETE FROM feed_items");
  SqlRows c = sql_.exec("DELETE FROM feed_snapshots");  // their ranks name items that may be gone
  if (!a.ok || !b.ok || !c.ok) return mergeFailed(a.ok ? (b.ok ? c.error : b.error) : a.error);
  for (const FeedFollow& f : follows)
    if (!upsertFollow(f)) return mergeFailed("follow write failed");
  FeedMerge out = merge(items);
  if (out.ok) setNumber("synced_at", now);
  return out;
}

std::optional<feed::Preview> FeedStore::head(UnixMillis now) {
  SqlRows r = sql_.exec(std::string("SELECT ") + kItemColumns +
                            " FROM feed_items WHERE published_at <= ?1 ORDER BY published_at DESC, post_id DESC LIMIT 1",
                        Json::array({now}));
  if (!r.ok || r.rows.empty()) return std::nullopt;
  return previewFromRow(r.rows[0]);
}

std::vector<feed::Preview> FeedStore::cameDue(UnixMillis after, UnixMillis now, int limit) {
  std::vector<feed::Preview> out;
  SqlRows r = sql_.exec(std::string("SELECT ") + kItemColumns +
                            " FROM feed_items WHERE published_at > ?1 AND published_at <= ?2"
                            " ORDER BY published_at, post_id LIMIT ?3",
                        Json::array({after, now, limit}));
  if (!r.ok) return out;
  for (const Json& row : r.rows) out.push_back(previewFromRow(row));
  return out;
}

std::optional<UnixMillis> FeedStore::nextDue(UnixMillis now) {
  SqlRows r = sql_.exec("SELECT min(published_at) AS at FROM feed_items WHERE published_at > ?1", Json::array({now}));
  if (!r.ok || r.rows.empty() || !r.rows[0]["at"].is_number_integer()) return std::nullopt;
  return r.rows[0]["at"].get<long long>();
}

FeedPage FeedStore::recent(const std::optional<feed::FeedCursor>& after, int limit, UnixMillis now) {
  FeedPage page;
  SqlRows r;
  const std::string select = std::string("SELECT ") + kItemColumns + " FROM feed_items WHERE published_at <= ?1 ";
  if (after) {
    r = sql_.exec(select + "AND (published_at < ?2 OR (published_at = ?2 AND post_id < ?3)) "
                           "ORDER BY published_at DESC, post_id DESC LIMIT ?4",
                  Json::array({now, after->publishedAt, after->postId, limit + 1}));
  } else {
    r = sql_.exec(select + "ORDER BY published_at DESC, post_id DESC LIMIT ?2", Json::array({now, limit + 1}));
  }
  if (!r.ok) {
    page.error = storageError();
    return page;
  }
  for (const Json& row : r.rows) {
    if (static_cast<int>(page.items.size()) == limit) break;
    page.items.push_back(FeedItem{previewFromRow(row), std::nullopt});
  }
  if (static_cast<int>(r.rows.size()) > limit) {
    const feed::Preview& last = page.items.back().preview;
    page.nextCursor = feed::encodeCursor(feed::recentCursor(last.publishedAt, last.postId));
  }
  return page;
}

FeedPage FeedStore::relevance(const std::optional<feed::FeedCursor>& after, int limit, UnixMillis now,
                              const std::string& newSnapshotId, const feed::ScoreWeights& weights) {
  FeedPage page;
  if (!after) {
    // Page 1: rank every visible item now.
    SqlRows r = sql_.exec(std::string("SELECT ") + kItemColumns + " FROM feed_items WHERE published_at <= ?1",
                          Json::array({now}));
    if (!r.ok) {
      page.error = storageError();
      return page;
    }
    std::vector<FeedItem> ranked;
    ranked.reserve(r.rows.size());
    for (const Json& row : r.rows) {
      feed::Preview p = previewFromRow(row);
      const double s = feed::relevance({p.publishedAt, p.reactions, p.comments}, now, weights);
      ranked.push_back(FeedItem{std::move(p), s});
    }
    std::sort(ranked.begin(), ranked.end(), [](const FeedItem& a, const FeedItem& b) {
      if (*a.score != *b.score) return *a.score > *b.score;
      return newerThan(a.preview, b.preview);
    });
    if (static_cast<int>(ranked.size()) > limit) {
      Json list = Json::array();
      for (const FeedItem& item : ranked) list.push_back(Json::array({item.preview.postId, *item.score}));
      // Expired snapshots go, and the oldest beyond kMaxSnapshots - 1, before this one is added.
      sql_.exec("DELETE FROM feed_snapshots WHERE created_at <= ?1", Json::array({now - kSnapshotTtlMs}));
      sql_.exec("DELETE FROM feed_snapshots WHERE id NOT IN "
                "(SELECT id FROM feed_snapshots ORDER BY created_at DESC, id DESC LIMIT ?1)",
                Json::array({kMaxSnapshots - 1}));
      SqlRows w = sql_.exec("INSERT OR REPLACE INTO feed_snapshots (id, created_at, ranked) VALUES (?1, ?2, ?3)",
                            Json::array({newSnapshotId, now, dumpJson(list)}));
      if (!w.ok) {
        page.error = storageError();
        return page;
      }
      ranked.resize(limit);
      page.nextCursor = feed::encodeCursor(feed::relevanceCursor(newSnapshotId, limit));
    }
    page.items = std::move(ranked);
    return page;
  }

  SqlRows s = sql_.exec("SELECT created_at, ranked FROM feed_snapshots WHERE id = ?1", Json::array({after->snapshotId}));
  if (!s.ok) {
    page.error = storageError();
    return page;
  }
  if (s.rows.empty() || jsonInt(s.rows[0], "created_at") + kSnapshotTtlMs <= now) {
    page.error = ApiError{400, "feed.cursor_expired", "this cursor's ranking has expired; start again from the first page", "cursor"};
    return page;
  }
  auto list = parseJson(jsonString(s.rows[0], "ranked"));
  if (!list || !list->is_array()) {
    page.error = storageError();
    return page;
  }
  // Walk down the frozen ranks after the cursor, skipping items deleted since, until one item
  // beyond the page shows whether more follow.
  const long long total = static_cast<long long>(list->size());
  long long lastRank = after->rank;
  bool more = false;
  for (long long index = after->rank; index < total && !more;) {
    const long long end = std::min(total, index + static_cast<long long>(kLookupChunk));
    Json ids = Json::array();
    std::string placeholders;
    for (long long i = index; i < end; ++i) {
      ids.push_back((*list)[i][0]);
      placeholders += (placeholders.empty() ? "?" : ",?") + std::to_string(ids.size());
    }
    SqlRows r = sql_.exec(std::string("SELECT ") + kItemColumns + " FROM feed_items WHERE post_id IN (" + placeholders + ")", ids);
    if (!r.ok) {
      page.error = storageError();
      return page;
    }
    std::map<std::string, Json> found;
    for (Json& row : r.rows) found.emplace(jsonString(row, "post_id"), std::move(row));
    for (long long i = index; i < end; ++i) {
      const Json& entry = (*list)[i];
      auto it = found.find(entry[0].is_string() ? entry[0].get<std::string>() : std::string());
      if (it == found.end()) continue;
      if (static_cast<int>(page.items.size()) == limit) {
        more = true;
        break;
      }
      page.items.push_back(FeedItem{previewFromRow(it->second), entry[1].is_number() ? entry[1].get<double>() : 0.0});
      lastRank = i + 1;
    }
    index = end;
  }
  if (more) page.nextCursor = feed::encodeCursor(feed::relevanceCursor(after->snapshotId, lastRank));
  return page;
}

void FeedStore::markRead(UnixMillis now) { setNumber("last_read_at", now); }
std::optional<UnixMillis> FeedStore::touchedAt() { return number("touched_at"); }
void FeedStore::markTouched(UnixMillis now) { setNumber("touched_at", now); }
std::optional<UnixMillis> FeedStore::dueThrough() { return number("due_through"); }
void FeedStore::markDueThrough(UnixMillis at) { setNumber("due_through", at); }

long long FeedStore::itemCount() {
  SqlRows r = sql_.exec("SELECT count(*) AS n FROM feed_items");
  return r.ok && !r.rows.empty() ? jsonInt(r.rows[0], "n") : 0;
}

long long FeedStore::snapshotCount() {
  SqlRows r = sql_.exec("SELECT count(*) AS n FROM feed_snapshots");
  return r.ok && !r.rows.empty() ? jsonInt(r.rows[0], "n") : 0;
}

FeedStateSummary FeedStore::state() {
  FeedStateSummary s;
  s.items = itemCount();
  SqlRows r = sql_.exec("SELECT count(*) AS n FROM feed_follows");
  s.follows = r.ok && !r.rows.empty() ? jsonInt(r.rows[0], "n") : 0;
  s.lastReadAt = number("last_read_at");
  s.syncedAt = number("synced_at");
  return s;
}

}  // namespace lattice
