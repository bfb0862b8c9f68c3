// Meadow: a reader's feed of the blogs they follow, kept by their FeedDO ("feed:{readerId}",
// src/durable/feed-object.h). Answered on the main host and on every tenant host, with a reader
// token (`Authorization: Bearer rdr_…`, src/app/readers.h):
//
//   GET    /api/meadow/following                the blogs followed (the object's copy)
//   PUT    /api/meadow/following/{subdomain}    follow: D1 first (the truth), then the object,
//                                               handed the blog's 50 newest public posts
//   DELETE /api/meadow/following/{subdomain}    unfollow: D1, then the object drops its posts
//                                               (both: FOLLOWS_PER_MINUTE per reader, counted by
//                                               the LimiterDO "follow:{readerId}", then 429)
//   GET    /api/meadow/feed?sort&limit&cursor   a page of the feed (the object alone: no D1 read
//                                               while it is warm)
//   GET    /api/meadow/live                     a WebSocket on which new posts are pushed
//   GET    /api/meadow/blogs                    blogs to follow, newest post first (public, no
//                                               token; kept at the edge for five minutes)
//
// And the page: GET /meadow on the main host (web/meadow/index.html, embedded at build time); its
// /meadow/meadow.js and /meadow/meadow.css are static assets.
//
// Publishing reaches followers' feeds by fan-out after the write's response (fanOutPost): each
// follower who read their feed in the last FEED_ACTIVE_DAYS gets the post pushed to their object.
// An inactive reader's object is rebuilt from D1 when they come back (the object says it is
// stale), so a publish costs one call per active follower, not per follower.
#include "app/embedded-assets.h"
#include "app/limiter-client.h"
#include "app/owner-api.h"
#include "app/readers.h"
#include "app/routes.h"
#include "app/tenant-directory.h"
#include "blog/tenant.h"
#include "cache/policy.h"
#include "cache/store.h"

namespace lattice {

namespace {

constexpr int kPrefetchPosts = 50;
constexpr int kRebuildPosts = 500;
constexpr int kMaxFanOut = 1000;
constexpr int kDirectoryBlogs = 50;
constexpr long long kDirectorySeconds = 300;

// Browsers cannot set Authorization on a WebSocket, so a Meadow page offers two subprotocols:
// this one and its reader token. The token is taken as the request's bearer, and the 101 names
// this one alone (RFC 6455 4.2.2: the server picks one of those offered), so the token is never
// echoed, logged as a URL or handed to the object.
constexpr std::string_view kLiveProtocol = "lattice.meadow";

std::string feedName(const std::string& readerId) { return "feed:" + readerId; }

// The previews' columns: what a feed shows of a post, with its engagement.
constexpr const char* kPreviewColumns = R"(p.id AS post_id, p.tenant_id, t.subdomain, t.display_name AS author,
  p.slug, p.title, p.description, p.tags, p.published_at,
  coalesce((SELECT sum(count) FROM reaction_counts rc WHERE rc.post_id = p.id), 0) AS reactions,
  coalesce((SELECT count(*) FROM comments c WHERE c.post_id = p.id AND c.hidden = 0), 0) AS comments)";

SqlStatement tenantPreviews(const std::string& tenantId, UnixMillis now, int limit) {
  return {std::string("SELECT ") + kPreviewColumns + R"( FROM posts p JOIN tenants t ON t.id = p.tenant_id
            WHERE p.tenant_id = ?1 AND p.status = 'published' AND p.published_at <= ?2
            ORDER BY p.published_at DESC, p.id DESC LIMIT ?3)",
          Json::array({tenantId, now, limit})};
}

SqlStatement followedPreviews(const std::string& readerId, UnixMillis now, int limit) {
  return {std::string("SELECT ") + kPreviewColumns + R"( FROM follows f JOIN posts p ON p.tenant_id = f.tenant_id
            JOIN tenants t ON t.id = p.tenant_id
            WHERE f.reader_id = ?1 AND p.status = 'published' AND p.published_at <= ?2
            ORDER BY p.published_at DESC, p.id DESC LIMIT ?3)",
          Json::array({readerId, now, limit})};
}

SqlStatement followsOf(const std::string& readerId) {
  return {R"(SELECT f.tenant_id, t.subdomain, t.display_name, f.created_at AS followed_at
               FROM follows f JOIN tenants t ON t.id = f.tenant_id WHERE f.reader_id = ?1 ORDER BY f.created_at)",
          Json::array({readerId})};
}

// The origin of a blog's pages as seen from this request: the request's scheme, the blog's host
// ({subdomain}.{BASE_DOMAIN}) and the port the request came in on (local development, whether
// it was addressed as localhost:8787 or 127.0.0.1:8787).
std::string blogOrigin(const Context& cx, const std::string& subdomain) {
  const std::string& host = cx.request.host;
  std::string port;
  if (size_t colon = host.rfind(':'); colon != std::string::npos && colon + 1 < host.size() &&
                                       host.find_first_not_of("0123456789", colon + 1) == std::string::npos)
    port = host.substr(colon);
  return cx.request.scheme + "://" + subdomain + "." + cx.config.baseDomain + port;
}

// A D1 row of kPreviewColumns as the object's preview.
Json previewOf(const Context& cx, const Json& row) {
  Json p = Json::object();
  p["post_id"] = jsonString(row, "post_id");
  p["tenant_id"] = jsonString(row, "tenant_id");
  p["subdomain"] = jsonString(row, "subdomain");
  p["author"] = jsonString(row, "author");
  p["slug"] = jsonString(row, "slug");
  p["title"] = jsonString(row, "title");
  p["description"] = jsonString(row, "description");
  Json tags = Json::array();
  if (auto parsed = parseJson(jsonString(row, "tags", "[]")); parsed && parsed->is_array())
    for (const Json& t : *parsed)
      if (t.is_string()) tags.push_back(t);
  p["tags"] = std::move(tags);
  p["published_at"] = jsonInt(row, "published_at");
  p["url"] = blogOrigin(cx, jsonString(row, "subdomain")) + "/blog/" + percentEncode(jsonString(row, "slug"));
  p["reactions"] = jsonInt(row, "reactions");
  p["comments"] = jsonInt(row, "comments");
  return p;
}

Json previewsOf(const Context& cx, const Json& rows) {
  Json out = Json::array();
  for (const Json& row : rows) out.push_back(previewOf(cx, row));
  return out;
}

Task<Fetched<HttpResponse>> callFeed(Context& cx, const Reader& reader, std::string method, std::string path,
                                     std::string body = {}) {
  Json headers = {{"x-lattice-reader", reader.id}};
  auto r = co_await callObject(cx, binding::kFeeds, feedName(reader.id), std::move(method), std::move(path),
                               std::move(headers), std::move(body));
  co_return r;
}

// The object's answer, as the reader's.
HttpResponse relay(Context& cx, const Fetched<HttpResponse>& r, std::string_view what) {
  if (!r.ok()) return storageFailure(cx, what, r.error);
  return privateNoStore(r.value);
}

struct FollowTarget {
  std::string tenantId, subdomain, displayName;
  std::optional<HttpResponse> failure;
};

Task<FollowTarget> followTarget(Context& cx, const std::string& subdomain) {
  FollowTarget out;
  HostTarget parsed = resolveHost(subdomain + "." + cx.config.baseDomain, cx.config.baseDomain);
  if (parsed.kind != HostTarget::Kind::Tenant || parsed.subdomain != subdomain) {
    out.failure = errorResponse({404, "tenant.not_found", "there is no blog '" + subdomain + "'", ""});
    co_return out;
  }
  D1Result r = co_await cx.io.query(tenant_sql::bySubdomain(subdomain));
  if (!r.ok) {
    out.failure = storageFailure(cx, "tenant lookup", r.error);
    co_return out;
  }
  if (r.rows.empty()) {
    out.failure = errorResponse({404, "tenant.not_found", "there is no blog '" + subdomain + "'", ""});
    co_return out;
  }
  out.tenantId = jsonString(r.rows[0], "id");
  out.subdomain = subdomain;
  out.displayName = jsonString(r.rows[0], "display_name");
  co_return out;
}

Task<HttpResponse> follow(Context& cx, const Reader& reader, const std::string& subdomain) {
  FollowTarget target = co_await followTarget(cx, subdomain);
  if (target.failure) co_return std::move(*target.failure);
  std::vector<SqlStatement> batch;
  batch.push_back({"INSERT INTO follows (reader_id, tenant_id, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                   Json::array({reader.id, target.tenantId, cx.now})});
  batch.push_back(tenantPreviews(target.tenantId, cx.now, kPrefetchPosts));
  // Following is reading: publishing fans out to this reader from now on.
  batch.push_back({"UPDATE readers SET feed_read_at = ?2 WHERE id = ?1 AND coalesce(feed_read_at, 0) < ?2",
                   Json::array({reader.id, cx.now})});
  D1BatchResult r = co_await cx.io.batch(std::move(batch));
  if (!r.ok || r.results.size() != 3) co_return storageFailure(cx, "follow", r.error);
  Json body = Json::object();
  body["subdomain"] = target.subdomain;
  body["display_name"] = target.displayName;
  body["posts"] = previewsOf(cx, r.results[1].rows);
  auto answer = co_await callFeed(cx, reader, "PUT", "/follows/" + target.tenantId, dumpJson(body));
  // D1 holds the follow whatever the object answered: a failed object is rebuilt from D1.
  co_return relay(cx, answer, "feed object");
}

Task<HttpResponse> unfollow(Context& cx, const Reader& reader, const std::string& subdomain) {
  FollowTarget target = co_await followTarget(cx, subdomain);
  if (target.failure) co_return std::move(*target.failure);
  SqlStatement remove{"DELETE FROM follows WHERE reader_id = ?1 AND tenant_id = ?2",
                      Json::array({reader.id, target.tenantId})};
  D1Result r = co_await cx.io.query(std::move(remove));
  if (!r.ok) co_return storageFailure(cx, "unfollow", r.error);
  auto answer = co_await callFeed(cx, reader, "DELETE", "/follows/" + target.tenantId);
  co_return relay(cx, answer, "feed object");
}

// The object's copy from D1: every follow and the newest posts of the blogs followed.
Task<std::optional<HttpResponse>> rebuild(Context& cx, const Reader& reader) {
  std::vector<SqlStatement> batch;
  batch.push_back(followsOf(reader.id));
  batch.push_back(followedPreviews(reader.id, cx.now, kRebuildPosts));
  D1BatchResult r = co_await cx.io.batch(std::move(batch));
  if (!r.ok || r.results.size() != 2) co_return storageFailure(cx, "feed rebuild", r.error);
  Json body = Json::object();
  body["follows"] = r.results[0].rows;
  body["posts"] = previewsOf(cx, r.results[1].rows);
  auto answer = co_await callFeed(cx, reader, "POST", "/rebuild", dumpJson(body));
  if (!answer.ok()) co_return storageFailure(cx, "feed object", answer.error);
  if (answer.value.status != 200) co_return privateNoStore(std::move(answer.value));
  cx.io.metric("meadow.rebuilt");
  co_return std::nullopt;
}

// Reads through the object; a stale object (never built, or its reader was away longer than
// FEED_ACTIVE_DAYS, so fan-out skipped them) is rebuilt from D1 first.
Task<HttpResponse> readThrough(Context& cx, const Reader& reader, std::string path) {
  auto first = co_await callFeed(cx, reader, "GET", path);
  if (!first.ok()) co_return storageFailure(cx, "feed object", first.error);
  // Only a 409 can say "stale": a page (the hot path) is relayed without being parsed here.
  bool stale = false;
  if (first.value.status == 409) {
    auto parsed = parseJson(first.value.body);
    stale = parsed && jsonString(jsonValue(*parsed, "error"), "code") == "feed.stale";
  }
  if (!stale) co_return privateNoStore(std::move(first.value));
  std::optional<HttpResponse> failed = co_await rebuild(cx, reader);
  if (failed) co_return std::move(*failed);
  auto again = co_await callFeed(cx, reader, "GET", path);
  co_return relay(cx, again, "feed object");
}

// The subprotocols a WebSocket request offers, trimmed, in order.
std::vector<std::string> offeredProtocols(const HttpRequest& req) {
  std::vector<std::string> out;
  const std::string list = req.header("sec-websocket-protocol");
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = std::min(list.find(',', start), list.size());
    std::string item = list.substr(start, end - start);
    const size_t first = item.find_first_not_of(" \t");
    const size_t last = item.find_last_not_of(" \t");
    if (first != std::string::npos) out.push_back(item.substr(first, last - first + 1));
    start = end + 1;
  }
  return out;
}

// A live request offering kLiveProtocol and a token, without an Authorization header: the token
// becomes its bearer. True when kLiveProtocol was offered.
bool takeSocketToken(HttpRequest& req) {
  const std::vector<std::string> offered = offeredProtocols(req);
  if (std::find(offered.begin(), offered.end(), kLiveProtocol) == offered.end()) return false;
  if (req.header("authorization").empty())
    for (const std::string& p : offered)
      if (p != kLiveProtocol) {
        req.headers["authorization"] = "Bearer " + p;
        break;
      }
  return true;
}

// The reader's open Meadow page: new posts are pushed on it (README, "Meadow": Live).
Task<HttpResponse> openLive(Context& cx, const Reader& reader, bool subprotocol) {
  Json headers = {{"x-lattice-reader", reader.id}};
  // The object sees the protocol it must name, never the token offered beside it.
  if (subprotocol) headers["sec-websocket-protocol"] = std::string(kLiveProtocol);
  co_return co_await connectLive(cx, binding::kFeeds, feedName(reader.id), "/live", std::move(headers));
}

// Blogs a reader may follow: those with a public post, the most recently published first.
Task<HttpResponse> directory(Context& cx) {
  const std::string key = cx.request.scheme + "://" + cx.request.host + "/api/meadow/blogs";
  if (cx.config.cache.enabled) {
    auto hit = co_await cache::edgeMatch(cx.io, key);
    if (hit && hit->status == 200) {
      hit->set("x-lattice-cache", "hit");
      co_return std::move(*hit);
    }
  }
  SqlStatement q{R"(SELECT t.subdomain, t.display_name, t.description, count(*) AS posts,
                           max(p.published_at) AS last_published_at
                      FROM posts p JOIN tenants t ON t.id = p.tenant_id
                     WHERE p.status = 'published' AND p.published_at <= ?1
                     GROUP BY t.id ORDER BY last_published_at DESC, t.subdomain LIMIT ?2)",
                 Json::array({cx.now, kDirectoryBlogs})};
  D1Result r = co_await cx.io.query(std::move(q));
  if (!r.ok) co_return storageFailure(cx, "blog directory", r.error);
  Json blogs = Json::array();
  for (const Json& row : r.rows) {
    Json b = Json::object();
    b["subdomain"] = jsonString(row, "subdomain");
    b["display_name"] = jsonString(row, "display_name");
    b["description"] = jsonString(row, "description");
    b["posts"] = jsonInt(row, "posts");
    b["last_published_at"] = jsonInt(row, "last_published_at");
    b["url"] = blogOrigin(cx, jsonString(row, "subdomain")) + "/blog";
    blogs.push_back(std::move(b));
  }
  Json body = {{"blogs", std::move(blogs)}};
  HttpResponse out = jsonResponse(200, body);
  out.set("cache-control", cache::keepFor(kDirectorySeconds));
  if (!cx.config.cache.enabled) co_return out;
  cx.afterResponse.push_back(cache::edgePut(cx.io, key, out));
  out.set("x-lattice-cache", "miss");
  co_return out;
}


}  // namespace

Task<HttpResponse> handleMeadowApi(Context& cx, const std::vector<std::string>& segments) {
  // segments: api, meadow, following [, {subdomain}] | feed | live
  const std::string& method = cx.request.method;
  const size_t n = segments.size();
  const std::string what = n >= 3 ? segments[2] : "";
  if (!((what == "following" && (n == 3 || n == 4)) ||
        ((what == "feed" || what == "live" || what == "blogs") && n == 3)))
    co_return errorResponse({404, "route.not_found", "no such Meadow route", ""});
  if (what == "following" && n == 4 && method != "PUT" && method != "DELETE") co_return methodNotAllowed("PUT, DELETE");
  if ((what != "following" || n == 3) && method != "GET") co_return methodNotAllowed("GET");
  if (what == "blogs") co_return co_await directory(cx);
  const bool subprotocol = what == "live" && takeSocketToken(cx.request);

  ReaderAuth auth = co_await verifyReader(cx);
  if (auth.failure) co_return privateNoStore(std::move(*auth.failure));
  if (!auth.reader) {
    HttpResponse r = errorResponse({401, "reader.missing_token", "Meadow needs a reader token (POST /api/readers)", ""});
    r.set("www-authenticate", "Bearer realm=\"meadow\"");
    co_return privateNoStore(std::move(r));
  }
  const Reader& reader = *auth.reader;
  if (what == "live") co_return co_await openLive(cx, reader, subprotocol);
  if (what == "feed") {
    std::string path = "/feed";
    if (!cx.request.query.empty()) path += "?" + cx.request.query;
    co_return co_await readThrough(cx, reader, std::move(path));
  }
  if (n == 3) co_return co_await readThrough(cx, reader, "/follows");
  // Follows and unfollows share one allowance per reader (FOLLOWS_PER_MINUTE), taken before the
  // blog is looked up or anything is written: a refused one changes nothing, and probing which
  // blogs exist is limited too.
  if (auto refused = co_await takeLimit(cx, "follow:" + reader.id, cx.config.followsPerMinute, "follows"))
    co_return privateNoStore(std::move(*refused));
  if (method == "PUT") {
    HttpResponse r = co_await follow(cx, reader, segments[3]);
    co_return privateNoStore(std::move(r));
  }
  HttpResponse r = co_await unfollow(cx, reader, segments[3]);
  co_return privateNoStore(std::move(r));
}

Task<HttpResponse> handleMeadowPage(Context& cx, const std::vector<std::string>& segments) {
  co_return embeddedPageResponse(cx.request, meadow::kAssets, segments);
}

void fanOutPost(Context& cx, const std::string& tenantId, const std::string& postId, bool isPublic) {
  cx.afterResponse.push_back([](Context& cx, std::string tenantId, std::string postId, bool isPublic) -> Task<void> {
    const UnixMillis activeSince = cx.now - UnixMillis(cx.config.feedActiveDays) * 24 * 60 * 60 * 1000;
    std::vector<SqlStatement> batch;
    batch.push_back({R"(SELECT f.reader_id FROM follows f JOIN readers r ON r.id = f.reader_id
                         WHERE f.tenant_id = ?1 AND r.feed_read_at >= ?2 LIMIT ?3)",
                     Json::array({tenantId, activeSince, kMaxFanOut})});
    batch.push_back({std::string("SELECT ") + kPreviewColumns +
                         " FROM posts p JOIN tenants t ON t.id = p.tenant_id WHERE p.id = ?1 AND p.tenant_id = ?2",
                     Json::array({postId, tenantId})});
    D1BatchResult r = co_await cx.io.batch(std::move(batch));
    if (!r.ok || r.results.size() != 2) {
      cx.io.log("warn", "meadow fan-out skipped: D1 failed", {{"post", postId}, {"error", r.error}});
      co_return;
    }
    std::string body;
    if (isPublic && !r.results[1].rows.empty()) {
      Json item = Json::object();
      item["item"] = previewOf(cx, r.results[1].rows[0]);
      body = dumpJson(item);
    }
    long long told = 0;
    for (const Json& row : r.results[0].rows) {
      Reader reader{jsonString(row, "reader_id"), ""};
      Fetched<HttpResponse> answer;
      if (body.empty()) answer = co_await callFeed(cx, reader, "DELETE", "/items/" + postId);
      else answer = co_await callFeed(cx, reader, "POST", "/items", body);
      if (answer.ok() && answer.value.status == 200) ++told;
    }
    cx.io.metric("meadow.fanout", double(told));
    cx.io.log("info", "meadow fan-out", {{"post", postId}, {"readers", told}, {"public", !body.empty()}});
  }(cx, tenantId, postId, isPublic));
}

}  // namespace lattice
