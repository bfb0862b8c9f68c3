// Public pages of a tenant's blog: /, /blog, /blog/{slug}, /tags/{tag}, /feed.xml, /sitemap.xml.
//
// A view resolves the tenant's stamp (src/cache/stamp.h), derives the page's epoch (the versions
// its bytes depend on), and answers from, in order: If-None-Match (304), the location's Cache API
// under a key holding the epoch, or a render from KV/D1 (src/app/content.h) that then fills the
// cache. Requests with credentials, and CACHE_MODE=off, skip every cache.
#include "app/content.h"
#include "app/routes.h"
#include "blog/pages.h"
#include "blog/post-input.h"
#include "blog/post.h"
#include "blog/syndication.h"
#include "cache/keys.h"
#include "cache/policy.h"
#include "cache/store.h"

namespace lattice {

namespace {

enum class PageKind { Root, List, Post, Feed, Sitemap, Other };

// What a path asks for, in canonical form (`route` names it in cache keys: unknown query
// parameters are dropped, so they cannot be used to bypass the cache).
struct PageRequest {
  PageKind kind = PageKind::Other;
  std::string slug;
  std::optional<std::string> tag;
  std::optional<int> page = 1;  // nullopt: a malformed ?page
  std::string route;
  bool valid = true;  // a well-formed slug/tag/page (else a 404 without a lookup)
};

PageRequest classify(const std::vector<std::string>& segments, const HttpRequest& req) {
  PageRequest p;
  const size_t n = segments.size();
  auto listPage = [&](std::string base) {
    p.kind = PageKind::List;
    p.page = req.intParam("page", 1, 1, 999999);
    p.valid = p.page.has_value() && (!p.tag || validTag(*p.tag));
    p.route = base + (p.page && *p.page > 1 ? "?page=" + std::to_string(*p.page) : "");
  };
  if (n == 0) {
    p.kind = PageKind::Root;
  } else if (n == 1 && segments[0] == "blog") {
    listPage("/blog");
  } else if (n == 2 && segments[0] == "tags") {
    p.tag = segments[1];
    listPage("/tags/" + percentEncode(segments[1]));
  } else if (n == 2 && segments[0] == "blog") {
    p.kind = PageKind::Post;
    p.slug = segments[1];
    p.valid = validSlug(p.slug);
    p.route = "/blog/" + percentEncode(p.slug);
  } else if (n == 1 && segments[0] == "feed.xml") {
    p.kind = PageKind::Feed;
    p.route = "/feed.xml";
  } else if (n == 1 && segments[0] == "sitemap.xml") {
    p.kind = PageKind::Sitemap;
    p.route = "/sitemap.xml";
  } else {
    p.valid = false;
  }
  if (!p.valid) p.route = "/404";  // every malformed or unknown path shares one cached 404
  return p;
}

HttpResponse redirect(int status, std::string location) {
  HttpResponse r;
  r.status = status;
  r.set("location", std::move(location));
  return r;
}

HttpResponse notFoundPage(const Tenant* tenant, std::string_view heading, std::string_view detail) {
  return pages::htmlResponse(404, pages::notFound(tenant, heading, detail));
}

HttpResponse xmlResponse(std::string contentType, std::string body) {
  HttpResponse r;
  r.set("content-type", std::move(contentType));
  r.set("x-content-type-options", "nosniff");
  r.body = std::move(body);
  return r;
}

// A rendered page and how it may be cached.
struct Rendered {
  HttpResponse response;
  cache::Ttl ttl;        // for a 200
  std::string cacheTag;  // Cache-Tag, for zone purges
  // False for a 200 that lacks something it should hold (a feed that had to leave out an entry
  // whose content could not be read): served, but kept nowhere and given no ETag, so it is
  // whole again as soon as the content is readable.
  bool cacheable = true;
};

// A published post whose content could not be read (its R2 object missing or corrupt, and no D1
// copy): a clear error, never a blank article, and never cached. The cause is in the log.
HttpResponse contentUnavailable() {
  HttpResponse r = errorResponse({503, kContentUnavailable,
                                  "this post's content cannot be read right now; the problem has been logged", ""});
  r.set("retry-after", "60");
  return r;
}

// The feed shows the newest public posts in full (syndication::atomFeed's default).
constexpr size_t kFeedEntries = 20;

// The feed's entries, with their html: the index carries it for posts whose content D1 holds;
// the others are read like their pages (Content::post: KV, else D1 and R2). An entry whose content
// cannot be read (kContentUnavailable) is left out, logged, and counted in `leftOut`: a feed
// entry without its body would look like an empty post to readers. R2 being unreachable fails
// the feed (503), as any storage failure does.
Task<Fetched<std::vector<Post>>> feedEntries(Context& cx, Content& content, const cache::Stamp& stamp,
                                             std::vector<Post> posts, int& leftOut) {
  std::vector<Post> entries;
  for (auto& p : posts) {
    if (entries.size() == kFeedEntries) break;
    if (!p.html.empty() || p.storageLocation == "d1") {
      entries.push_back(std::move(p));
      continue;
    }
    auto full = co_await content.post(stamp, p.slug);
    if (!full.ok() && full.code != kContentUnavailable) co_return fetchFailed<std::vector<Post>>(full.error);
    const bool same = full.value && full.value->id == p.id;
    if (!full.ok() || !same) {
      cx.io.log("error", "feed entry left out: its content cannot be read",
                {{"tenant", stamp.tenantId}, {"post", p.id}, {"code", kContentUnavailable}});
      cx.io.metric("feed.entry_left_out");
      ++leftOut;
      continue;
    }
    p.html = std::move(full.value->html);
    entries.push_back(std::move(p));
  }
  co_return fetched<std::vector<Post>>(std::move(entries));
}

// The public posts on one list page. With caches, a slice of the tenant's index; without, a paged
// query (the naive baseline reads only what it shows).
Task<Fetched<pages::ListPage>> listPosts(Context& cx, Content& content, const cache::Stamp& stamp,
                                         std::optional<std::string> tag, int page, int perPage) {
  pages::ListPage list;
  list.page = page;
  list.tag = tag;
  const size_t offset = size_t(page - 1) * size_t(perPage);
  if (content.usesCaches()) {
    auto index = co_await content.index(stamp);
    if (!index.ok()) co_return fetchFailed<pages::ListPage>(index.error);
    size_t seen = 0;
    for (auto& post : index.value) {
      if (!post.isPublicAt(cx.now)) continue;
      if (tag && std::find(post.tags.begin(), post.tags.end(), *tag) == post.tags.end()) continue;
      if (seen++ < offset) continue;
      if (list.posts.size() == size_t(perPage)) {
        list.hasNext = true;
        break;
      }
      list.posts.push_back(std::move(post));
    }
    co_return fetched<pages::ListPage>(std::move(list));
  }
  // Chosen before co_await: g++ 12 destroys a conditional's temporary twice inside co_await.
  SqlStatement statement = tag ? post_sql::publishedPageByTag(stamp.tenantId, *tag, cx.now, perPage, int(offset))
                               : post_sql::publishedPage(stamp.tenantId, cx.now, perPage, int(offset));
  D1Result rows = co_await cx.io.query(std::move(statement));
  if (!rows.ok) co_return fetchFailed<pages::ListPage>(rows.error);
  for (const auto& row : rows.rows) list.posts.push_back(Post::fromRow(row));
  if (list.posts.size() > size_t(perPage)) {
    list.hasNext = true;
    list.posts.pop_back();
  }
  co_return fetched<pages::ListPage>(std::move(list));
}

Task<Fetched<std::vector<Post>>> publicPosts(Context& cx, Content& content, const cache::Stamp& stamp) {
  auto index = co_await content.index(stamp);
  if (!index.ok()) co_return index;
  std::erase_if(index.value, [&](const Post& p) { return !p.isPublicAt(cx.now); });
  co_return index;
}

Task<Rendered> render(Context& cx, Content& content, const cache::Stamp& stamp, const PageRequest& page) {
  const cache::CachePolicy& policy = cx.config.cache;
  const std::string tenantTag = "tenant:" + stamp.subdomain;
  Rendered out{{}, policy.list, tenantTag + ",list:" + stamp.subdomain};
  auto tenant = co_await content.tenant(stamp);
  if (!tenant.ok()) co_return Rendered{storageFailure(cx, "tenant", tenant.error), {}, {}};
  if (!tenant.value)
    co_return Rendered{notFoundPage(nullptr, "Blog not found", "There is no blog here."), {}, tenantTag};
  const Tenant& t = *tenant.value;
  const std::string origin = pages::origin(cx.request);
  switch (page.valid ? page.kind : PageKind::Other) {  // malformed slug, tag or page: a 404
    case PageKind::Post: {
      auto post = co_await content.post(stamp, page.slug);
      if (!post.ok() && post.code != kContentUnavailable)
        co_return Rendered{storageFailure(cx, "post", post.error), {}, {}};
      if (!post.value || !post.value->isPublicAt(cx.now)) {
        out.response = notFoundPage(&t, "Post not found", "There is no post at this address.");
        co_return out;
      }
      if (!post.ok()) {
        out.response = contentUnavailable();
        co_return out;
      }
      out.ttl = policy.forTier(cache::tierOf(post.value->storageLocation, post.value->tier));
      out.cacheTag = tenantTag + ",post:" + stamp.subdomain + ":" + post.value->id;
      out.response = pages::htmlResponse(200, pages::postPage(t, *post.value, cx.request), pages::PageScript::Live);
      co_return out;
    }
    case PageKind::List: {
      auto list = co_await listPosts(cx, content, stamp, page.tag, *page.page, cx.config.postsPerPage);
      if (!list.ok()) co_return Rendered{storageFailure(cx, "post list", list.error), {}, {}};
      if (list.value.posts.empty() && (*page.page > 1 || page.tag)) {
        out.response = notFoundPage(&t, "Nothing here", page.tag ? "No published posts carry this tag."
                                                                 : "There are no posts on this page.");
      } else {
        out.response = pages::htmlResponse(200, pages::blogIndex(t, list.value, cx.request));
      }
      co_return out;
    }
    case PageKind::Feed:
    case PageKind::Sitemap: {
      auto posts = co_await publicPosts(cx, content, stamp);
      if (!posts.ok()) co_return Rendered{storageFailure(cx, "index", posts.error), {}, {}};
      if (page.kind == PageKind::Sitemap) {
        out.response = xmlResponse("application/xml; charset=utf-8", syndication::sitemap(t, posts.value, origin));
        co_return out;
      }
      int leftOut = 0;
      auto entries = co_await feedEntries(cx, content, stamp, std::move(posts.value), leftOut);
      if (!entries.ok()) co_return Rendered{storageFailure(cx, "feed content", entries.error), {}, {}};
      out.response = xmlResponse("application/atom+xml; charset=utf-8",
                                 syndication::atomFeed(t, entries.value, origin, kFeedEntries));
      if (leftOut > 0) {
        out.cacheable = false;
        out.response.set("x-lattice-degraded", kContentUnavailable);
      }
      co_return out;
    }
    case PageKind::Root:
    case PageKind::Other: break;
  }
  out.response = notFoundPage(&t, "Page not found", "There is nothing at this address.");
  co_return out;
}

// Headers a public response carries to the client: browser and edge lifetimes, tags, validator
// (none when `etag` is empty: without caches there is no stamp to derive one from).
void setPublicHeaders(HttpResponse& r, const Rendered& rendered, const std::string& etag) {
  if (r.status == 200) {
    r.set("cache-control", cache::browserCacheControl(rendered.ttl));
    r.set("cdn-cache-control", cache::edgeCacheControl(rendered.ttl));
    if (!etag.empty()) r.set("etag", etag);
  } else {
    r.set("cache-control", "no-store");  // a 404 may become a page any moment; browsers must ask again
  }
  if (!rendered.cacheTag.empty()) r.set("cache-tag", rendered.cacheTag);
}

// The copy kept at the edge: the client's headers, with Cache-Control telling the Cache API how
// long to keep it (the versioned key makes a long lifetime safe; no stale-while-revalidate, so
// an expired copy goes back to KV, which refreshes itself) and the client's value set aside.
constexpr const char* kClientCacheControl = "x-lattice-client-cache-control";

HttpResponse edgeCopy(const HttpResponse& r, const Rendered& rendered, const cache::CachePolicy& policy) {
  HttpResponse kept = r;
  kept.set(kClientCacheControl, r.header("cache-control"));
  kept.set("cache-control", cache::keepFor(r.status == 200 ? rendered.ttl.edge : policy.notFoundEdge));
  kept.remove("x-lattice-cache");
  return kept;
}

HttpResponse fromEdgeCopy(HttpResponse hit) {
  hit.set("cache-control", hit.header(kClientCacheControl));
  for (const char* h : {kClientCacheControl, "cf-cache-status", "age", "expires"}) hit.remove(h);
  return hit;
}

HttpResponse notModified(const HttpResponse& like) {
  HttpResponse r;
  r.status = 304;
  for (const char* h : {"etag", "cache-control", "cdn-cache-control", "cache-tag"})
    if (auto v = like.header(h); !v.empty()) r.set(h, v);
  return r;
}

HttpResponse tagged(HttpResponse r, std::string_view how, Context& cx) {
  r.set("x-lattice-cache", std::string(how));
  cx.io.metric("cache." + std::string(how));
  return r;
}

// The post id a post page's response names in its Cache-Tag ("…,post:{subdomain}:{id}"), kept
// in edge copies too, so a cache hit knows which post it served without a read.
std::string postIdOf(const HttpResponse& r, const std::string& subdomain) {
  const std::string tag = r.header("cache-tag");
  const std::string marker = "post:" + subdomain + ":";
  const size_t at = tag.find(marker);
  if (at == std::string::npos) return "";
  const size_t start = at + marker.size();
  return tag.substr(start, tag.find(',', start) - start);
}

// `tenantId` is set once the tenant is known.
Task<HttpResponse> servePage(Context& cx, const std::string& subdomain, const std::vector<std::string>& segments,
                             std::string& tenantId) {
  const HttpRequest& req = cx.request;
  if (req.method != "GET" && req.method != "HEAD") {
    HttpResponse r = errorResponse({405, "request.method_not_allowed", "pages answer GET and HEAD", ""});
    r.set("allow", "GET, HEAD");
    co_return r;
  }
  const bool credentials = cache::hasCredentials(req);
  Content content(cx, cx.config.cache.enabled && !credentials);
  auto stamp = co_await content.stamp(subdomain);
  if (!stamp.ok()) co_return storageFailure(cx, "tenant lookup", stamp.error);
  tenantId = stamp.value.tenantId;
  if (!stamp.value.found) {
    HttpResponse r = notFoundPage(nullptr, "Blog not found", "There is no blog called “" + subdomain + "” here.");
    r.set("cache-control", "no-store");
    co_return r;
  }

  if (req.path.size() > 1 && req.path.back() == '/') {
    std::string trimmed = req.path;
    while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
    // One leading slash only: a Location of "//evil.com" (or "/\evil.com", which browsers read
    // the same way) would send the reader to another site.
    trimmed = "/" + trimmed.substr(std::min(trimmed.find_first_not_of("/\\"), trimmed.size()));
    co_return redirect(301, trimmed + (req.query.empty() ? "" : "?" + req.query));
  }
  const PageRequest page = classify(segments, req);
  if (page.kind == PageKind::Root) co_return redirect(302, "/blog");

  const std::string epoch = page.kind == PageKind::Post && page.valid ? stamp.value.postEpoch(page.slug)
                                                                      : stamp.value.listEpoch();
  const std::string etag = cache::etag(std::string(cache::kRenderGeneration) + "-" + epoch);
  const std::string key = cache::pageUrl(subdomain, cx.config.baseDomain, page.route, pages::origin(req), epoch);

  if (content.usesCaches()) {
    auto hit = co_await cache::edgeMatch(cx.io, key);
    if (hit && hit->status != 200) co_return tagged(fromEdgeCopy(std::move(*hit)), "hit", cx);
    // "*" matches any current representation, so it needs the edge copy to know there is one.
    const std::string ifNoneMatch = req.header("if-none-match");
    if (cache::ifNoneMatchHits(ifNoneMatch, etag, /*starMatches=*/hit.has_value())) {
      // The client has this version: no body, and no KV, D1 or R2 read. Headers come from the
      // edge copy when there is one, else from the policy's defaults for the page kind.
      HttpResponse like;
      if (hit) {
        like = fromEdgeCopy(std::move(*hit));
      } else {
        const cache::CachePolicy& policy = cx.config.cache;
        const bool post = page.kind == PageKind::Post;
        Rendered defaults{{}, post ? policy.hot : policy.list, "tenant:" + subdomain + (post ? "" : ",list:" + subdomain)};
        like.status = 200;
        setPublicHeaders(like, defaults, etag);
      }
      co_return tagged(notModified(like), "not-modified", cx);
    }
    if (hit) co_return tagged(fromEdgeCopy(std::move(*hit)), "hit", cx);
  }

  Rendered rendered = co_await render(cx, content, stamp.value, page);
  HttpResponse& r = rendered.response;
  if (r.status != 200 && r.status != 404) co_return std::move(r);  // 503: nothing to cache
  if (credentials) {
    r.set("cache-control", cache::kPrivateNoStore);
    co_return tagged(std::move(r), "bypass", cx);
  }
  if (!rendered.cacheable) {
    r.set("cache-control", "no-store");  // no ETag either: a 304 would keep the reader on it
    co_return tagged(std::move(r), content.usesCaches() ? "miss" : "off", cx);
  }
  if (!content.usesCaches()) {
    setPublicHeaders(r, rendered, "");
    co_return tagged(std::move(r), "off", cx);
  }
  setPublicHeaders(r, rendered, etag);
  cx.afterResponse.push_back(cache::edgePut(cx.io, key, edgeCopy(r, rendered, cx.config.cache)));
  co_return tagged(std::move(r), "miss", cx);
}

}  // namespace

Task<HttpResponse> handlePublicPage(Context& cx, const std::string& subdomain,
                                    const std::vector<std::string>& segments) {
  std::string tenantId;
  HttpResponse r = co_await servePage(cx, subdomain, segments, tenantId);
  // A view of a post (a page, or a 304 for one the reader has) counts in the post's object.
  const bool postPage = segments.size() == 2 && segments[0] == "blog";
  if (postPage && cx.request.method == "GET" && (r.status == 200 || r.status == 304) && !tenantId.empty()) {
    if (std::string postId = postIdOf(r, subdomain); !postId.empty())
      countPostView(cx, tenantId, postId, r.header("x-lattice-cache"));
  }
  co_return r;
}

}  // namespace lattice
