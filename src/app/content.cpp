#include "app/content.h"

#include <algorithm>
#include <functional>

#include "cache/keys.h"
#include "cache/policy.h"
#include "cache/store.h"
#include "app/tenant-directory.h"
#include "durable/post-content.h"
#include "durable/tenant-state.h"

namespace lattice {

namespace {

using cache::KvEntry;

// One object cached in KV in front of D1.
struct CachedRead {
  std::string kvKey;                          // also names the D1 read, for coalescing
  SqlStatement query;                         // rows carry `cache_at`; rows without `id` are padding
  std::function<bool(long long at)> current;  // is a copy read at version `at` still current?
  std::function<cache::Ttl(const Json& rows)> ttl;
  std::function<bool(const Json& rows)> storable;  // what may be kept (drafts never are)
  bool withContent = false;  // rows are posts whose html must be present (fillContent below)
};

KvEntry entryFromRows(const Json& rows, UnixMillis freshUntil) {
  KvEntry e;
  e.freshUntil = freshUntil;
  for (const auto& row : rows) {
    if (e.at == 0) e.at = jsonInt(row, "cache_at");
    if (auto id = row.find("id"); id != row.end() && id->is_string()) e.rows.push_back(row);
  }
  return e;
}

// A published post row without its html: D1 no longer holds the content (it lives in R2), or
// never had it (then readContent reports it missing). Drafts are left alone: they are never
// shown or stored, and a draft's storage problem must not turn its 404 into a 503.
bool lacksContent(const Json& row) {
  auto id = row.find("id");
  auto html = row.find("html");
  return id != row.end() && id->is_string() && jsonString(row, "status") == "published" &&
         (html == row.end() || !html->is_string());
}

bool anyLacksContent(const Json& rows) {
  return std::any_of(rows.begin(), rows.end(), lacksContent);
}

// How filling in content went: `code` as in Fetched (kContentUnavailable, or "" for storage).
struct Filled {
  std::string error;
  std::string code;
  bool ok() const { return error.empty(); }
};

Filled fillFailed(std::string code, std::string error) {
  Filled f;
  f.code = std::move(code);
  f.error = std::move(error);
  return f;
}

// Fills in the html of the rows that lack it from where the content lives (R2 by r2_key), read
// and hash-checked by readContent, which logs a missing or corrupt object (error, fields.code
// content.missing / content.corrupt) and falls back to a D1 copy that verifies. Nothing is
// filled with a blank: an object whose markdown is not empty but whose html is, is unavailable too.
Task<Filled> fillContent(Context& cx, Json& rows) {
  for (auto& row : rows) {
    if (!lacksContent(row)) continue;
    const ContentRow wanted = ContentRow::fromRow(row);
    ContentRead read = co_await readContent(cx.io, wanted);
    if (read.status == ContentRead::Status::Unavailable) co_return fillFailed("", read.detail);
    if (!read.ok()) co_return fillFailed(kContentUnavailable, read.error().code + ": " + read.detail);
    if (read.content.html.empty() && !read.content.markdown.empty()) {
      cx.io.log("error", "post content has no html",
                {{"tenant", wanted.tenantId}, {"post", wanted.id}, {"version", wanted.version},
                 {"source", read.source}, {"code", "content.missing"}});
      co_return fillFailed(kContentUnavailable, "content.missing: the stored html is empty");
    }
    cx.io.metric("content.read_" + read.source);
    row["html"] = std::move(read.content.html);
  }
  Filled done;
  co_return done;
}

Task<void> storeEntry(Context& cx, std::string key, KvEntry entry, cache::Ttl ttl) {
  co_await cache::kvPut(cx.io, std::move(key), entry.encode(), cx.config.cache.kvExpiration(ttl));
}

// What a D1 read of `read` gives the KV cache: the entry (fresh for the edge TTL of its tier),
// that TTL, and whether it may be kept at all.
struct FromD1 {
  KvEntry entry;
  cache::Ttl ttl;
  bool storable = false;
};

FromD1 fromD1(Context& cx, const CachedRead& read, const Json& rows) {
  FromD1 out;
  out.ttl = read.ttl(rows);
  out.entry = entryFromRows(rows, cx.now + UnixMillis(out.ttl.edge) * 1000);
  out.storable = read.storable(out.entry.rows);
  return out;
}

// Stale-while-revalidate: runs after the response, re-reads D1 and replaces the KV copy.
Task<void> refresh(Context& cx, CachedRead read) {
  D1Result r = co_await cx.io.query(read.query, read.kvKey);
  if (!r.ok) {
    cx.io.log("warn", "cache refresh failed", {{"key", read.kvKey}, {"error", r.error}});
    co_return;
  }
  FromD1 got = fromD1(cx, read, r.rows);
  if (!got.storable) co_return;
  if (read.withContent) {
    Filled filled = co_await fillContent(cx, got.entry.rows);
    if (!filled.ok()) co_return;  // logged; the copy in KV stays until it expires
  }
  cx.io.metric("cache.kv_refresh");
  co_await storeEntry(cx, read.kvKey, std::move(got.entry), got.ttl);
}

Task<Fetched<KvEntry>> readThrough(Context& cx, bool useCaches, CachedRead read) {
  if (useCaches) {
    auto text = co_await cache::kvGet(cx.io, read.kvKey);
    auto entry = text ? KvEntry::decode(*text) : std::nullopt;
    // A copy without the html it needs (stored before reads filled it from R2) is a miss.
    const bool complete = entry && !(read.withContent && anyLacksContent(entry->rows));
    if (complete && read.current(entry->at)) {
      if (cx.now < entry->freshUntil) {
        cx.io.metric("cache.kv_hit");
      } else {
        cx.io.metric("cache.kv_stale");
        cx.afterResponse.push_back(refresh(cx, read));
      }
      co_return fetched<KvEntry>(std::move(*entry));
    }
    cx.io.metric(!entry ? "cache.kv_miss" : complete ? "cache.kv_outdated" : "cache.kv_incomplete");
  }
  D1Result r = co_await cx.io.query(read.query, read.kvKey);
  if (!r.ok) co_return fetchFailed<KvEntry>(r.error);
  FromD1 got = fromD1(cx, read, r.rows);
  if (read.withContent) {
    Filled filled = co_await fillContent(cx, got.entry.rows);
    if (!filled.ok()) {
      // Not stored: the next read tries again, and finds the object once it is repaired.
      Fetched<KvEntry> failed = fetchFailed<KvEntry>(filled.error);
      failed.code = filled.code;
      failed.value = std::move(got.entry);
      co_return failed;
    }
  }
  if (useCaches && got.storable) cx.afterResponse.push_back(storeEntry(cx, read.kvKey, got.entry, got.ttl));
  co_return fetched<KvEntry>(std::move(got.entry));
}

// A stamp (and the tenant row kept with it) in the Cache API, if it is there and not past its
// own expiry (the Cache API counts whole seconds; a stamp's expiry is exact, for scheduled posts).
struct KeptStamp {
  cache::Stamp stamp;
  Json tenant;  // null for "no such tenant"
};
std::optional<KeptStamp> keptStamp(const std::optional<HttpResponse>& hit, UnixMillis now) {
  auto body = hit && hit->status == 200 ? parseJson(hit->body) : std::nullopt;
  if (!body || !body->is_object() || now >= jsonInt(*body, "expires_at")) return std::nullopt;
  auto stamp = cache::Stamp::fromJson(jsonValue(*body, "stamp"));
  Json tenant = jsonValue(*body, "tenant");
  if (!stamp || (stamp->found && !tenant.is_object())) return std::nullopt;
  return KeptStamp{std::move(*stamp), std::move(tenant)};
}

// The stamp and tenant row from the TenantDO, or from D1 when the object cannot be reached.
struct StateRead {
  cache::Stamp stamp;
  Json tenant;
};
Task<Fetched<StateRead>> readTenantState(Context& cx, const std::string& subdomain) {
  auto id = co_await lookupTenantId(cx, subdomain);
  if (!id.ok()) co_return fetchFailed<StateRead>(id.error);
  StateRead out;
  out.stamp.subdomain = subdomain;
  if (!id.value) co_return fetched<StateRead>(std::move(out));  // no such tenant: no object either
  auto reply = co_await callTenantObject(cx, *id.value, subdomain, "GET", "/state");
  auto body = reply.ok() && reply.value.status == 200 ? parseJson(reply.value.body) : std::nullopt;
  auto stamp = body ? cache::Stamp::fromJson(jsonValue(*body, "stamp")) : std::nullopt;
  if (stamp) {
    cx.io.metric("tenant_do.state");
    out.stamp = std::move(*stamp);
    out.tenant = jsonValue(*body, "tenant");
  } else {
    cx.io.log("warn", "TenantDO unavailable; reading D1", {{"subdomain", subdomain},
                                                          {"error", reply.ok() ? reply.value.body : reply.error}});
    D1BatchResult r = co_await cx.io.batch(TenantState::readQueries(subdomain, cx.now));
    if (!r.ok || r.results.size() != 2) co_return fetchFailed<StateRead>(r.error);
    TenantState::Kept read = TenantState::fromResults(subdomain, r.results, cx.now);
    out.stamp = std::move(read.stamp);
    out.tenant = std::move(read.row);
  }
  // The directory knew a deleted tenant, or held a wrong id: look it up afresh next time.
  if (!out.stamp.found || out.stamp.tenantId != *id.value) forgetTenantId(cx, subdomain);
  co_return fetched<StateRead>(std::move(out));
}

bool isPublished(const Json& rows) {
  return rows.size() == 1 && jsonString(rows[0], "status") == "published";
}

// A post object is kept for the edge TTL of its tier.
cache::Ttl postTtl(const cache::CachePolicy& policy, const Json& rows) {
  if (rows.empty()) return policy.hot;
  return policy.forTier(cache::tierOf(jsonString(rows[0], "storage_location"), jsonString(rows[0], "tier")));
}

}  // namespace

Task<Fetched<cache::Stamp>> Content::stamp(std::string subdomain) {
  if (!useCaches_) {
    // Nothing will be looked up by version: the tenant row is all that is needed.
    D1Result r = co_await cx_.io.query(tenant_sql::bySubdomain(subdomain));
    if (!r.ok) co_return fetchFailed<cache::Stamp>(r.error);
    cache::Stamp s;
    s.subdomain = subdomain;
    if (!r.rows.empty()) {
      tenantRow_ = Tenant::fromRow(r.rows[0]);
      s.found = true;
      s.tenantId = tenantRow_->id;
      s.contentVersion = tenantRow_->contentVersion;
      s.configVersion = tenantRow_->configVersion;
    }
    co_return fetched<cache::Stamp>(std::move(s));
  }
  const std::string url = cache::stampUrl(subdomain, cx_.config.baseDomain);
  auto hit = co_await cache::edgeMatch(cx_.io, url);
  if (auto kept = keptStamp(hit, cx_.now)) {
    cx_.io.metric("cache.stamp_hit");
    if (kept->tenant.is_object()) tenantRow_ = Tenant::fromRow(kept->tenant);
    co_return fetched<cache::Stamp>(std::move(kept->stamp));
  }
  cx_.io.metric("cache.stamp_miss");
  auto read = co_await readTenantState(cx_, subdomain);
  if (!read.ok()) co_return fetchFailed<cache::Stamp>(read.error);
  if (read.value.tenant.is_object()) tenantRow_ = Tenant::fromRow(read.value.tenant);
  // "No such tenant" is kept too (briefly), so junk hosts cost nothing for a while.
  cx_.afterResponse.push_back(storeStamp(cx_, read.value.stamp, read.value.tenant));
  co_return fetched<cache::Stamp>(std::move(read.value.stamp));
}

Task<Fetched<std::optional<Tenant>>> Content::tenant(const cache::Stamp& stamp) {
  if (tenantRow_ || !stamp.found) co_return fetched<std::optional<Tenant>>(tenantRow_);
  // Only a caller that skipped stamp() gets here.
  D1Result r = co_await cx_.io.query(tenant_sql::bySubdomain(stamp.subdomain));
  if (!r.ok) co_return fetchFailed<std::optional<Tenant>>(r.error);
  if (!r.rows.empty()) tenantRow_ = Tenant::fromRow(r.rows[0]);
  co_return fetched<std::optional<Tenant>>(tenantRow_);
}

Task<Fetched<std::optional<Post>>> Content::post(const cache::Stamp& stamp, std::string slug) {
  const cache::CachePolicy& policy = cx_.config.cache;
  CachedRead read{cache::kvPostKey(stamp.tenantId, slug), post_sql::bySlugVersioned(stamp.tenantId, slug),
                  [stamp, slug](long long at) { return stamp.unchangedSince(slug, at); },
                  [&policy](const Json& rows) { return postTtl(policy, rows); }, isPublished,
                  /*withContent=*/true};
  auto got = co_await readThrough(cx_, useCaches_, std::move(read));
  if (!got.ok() && got.code != kContentUnavailable) co_return fetchFailed<std::optional<Post>>(got.error);
  std::optional<Post> p;
  if (!got.value.rows.empty()) p = Post::fromRow(got.value.rows[0]);
  Fetched<std::optional<Post>> out = fetched<std::optional<Post>>(std::move(p));
  out.error = std::move(got.error);  // kContentUnavailable: the post without its content
  out.code = std::move(got.code);
  co_return out;
}

// The feed shows the 20 newest public posts in full; a few more carry their html in case some of
// the newest are still scheduled.
constexpr size_t kFeedHtmlPosts = 30;

Task<Fetched<std::vector<Post>>> Content::index(const cache::Stamp& stamp) {
  const long long contentVersion = stamp.contentVersion;
  const cache::Ttl ttl = cx_.config.cache.list;
  CachedRead read{cache::kvIndexKey(stamp.tenantId), post_sql::publicIndexVersioned(stamp.tenantId, cx_.config.maxIndexPosts, kFeedHtmlPosts),
                  [contentVersion](long long at) { return at >= contentVersion; },
                  [ttl](const Json&) { return ttl; }, [](const Json&) { return true; }};
  auto got = co_await readThrough(cx_, useCaches_, std::move(read));
  if (!got.ok()) co_return fetchFailed<std::vector<Post>>(got.error);
  std::vector<Post> posts;
  posts.reserve(got.value.rows.size());
  for (const auto& row : got.value.rows) posts.push_back(Post::fromRow(row));
  co_return fetched<std::vector<Post>>(std::move(posts));
}

Task<void> Content::storeStamp(Context& cx, cache::Stamp stamp, Json tenantRow) {
  if (!cx.config.cache.enabled) co_return;
  const std::string url = cache::stampUrl(stamp.subdomain, cx.config.baseDomain);
  auto hit = co_await cache::edgeMatch(cx.io, url);
  auto newer = keptStamp(hit, cx.now);
  if (newer && newer->stamp.aheadOf(stamp)) co_return;
  const cache::CachePolicy& policy = cx.config.cache;
  // The stamp of a tenant that does not exist is kept too (junk hosts cost no D1 read), briefly.
  const UnixMillis expires = stamp.found ? stamp.expiresAt(cx.now, policy.stampTtl)
                                         : cx.now + UnixMillis(policy.notFoundEdge) * 1000;
  HttpResponse kept;
  kept.set("content-type", "application/json");
  kept.set("cache-control", cache::keepFor(std::max<UnixMillis>(1, (expires - cx.now + 999) / 1000)));
  kept.body = dumpJson({{"stamp", stamp.toJson()}, {"tenant", std::move(tenantRow)}, {"expires_at", expires}});
  co_await cache::edgePut(cx.io, url, std::move(kept));
}

void Content::storeWrittenPost(Context& cx, const Post& post, long long contentVersion) {
  // The same rules as for a post read from D1 (post() above): published only, TTL by tier.
  const Json rows = Json::array({post.toRow()});
  if (!cx.config.cache.enabled || !isPublished(rows)) return;
  const cache::Ttl ttl = postTtl(cx.config.cache, rows);
  KvEntry e = entryFromRows(rows, cx.now + UnixMillis(ttl.edge) * 1000);
  e.at = contentVersion;
  cx.afterResponse.push_back(storeEntry(cx, cache::kvPostKey(post.tenantId, post.slug), std::move(e), ttl));
}

}  // namespace lattice
