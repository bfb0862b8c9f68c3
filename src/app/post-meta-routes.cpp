// What readers do with a post, through its PostMetaDO ("post-meta:{tenantId}:{postId}",
// src/durable/post-meta-object.h): reactions, comments, the live channel, and view counting.
// The Worker resolves the post (only public posts have these), checks the reader or owner token,
// and forwards; every decision about the post's state is the object's.
#include "app/content.h"
#include "app/owner-api.h"
#include "app/readers.h"
#include "app/routes.h"
#include "app/tenant-directory.h"
#include "blog/post-input.h"
#include "durable/live.h"
#include "http/errors.h"
#include "http/json-body.h"

namespace lattice {

namespace {

constexpr size_t kMaxSocialBodyBytes = 64 << 10;

std::string postMetaName(const std::string& tenantId, const std::string& postId) {
  return "post-meta:" + tenantId + ":" + postId;
}

HttpResponse postNotFound(const std::string& slug) {
  return errorResponse({404, "post.not_found", "there is no published post '" + slug + "'", ""});
}

struct PublicPost {
  std::string tenantId;
  std::string postId;
  std::optional<HttpResponse> failure;
};

// The published, public post at `slug` (through the caches, like its page).
Task<PublicPost> resolvePost(Context& cx, const std::string& subdomain, const std::string& slug) {
  PublicPost out;
  if (!validSlug(slug)) {
    out.failure = postNotFound(slug);
    co_return out;
  }
  Content content(cx, cx.config.cache.enabled);
  auto stamp = co_await content.stamp(subdomain);
  if (!stamp.ok()) {
    out.failure = storageFailure(cx, "tenant lookup", stamp.error);
    co_return out;
  }
  if (!stamp.value.found) {
    out.failure = errorResponse({404, "tenant.not_found", "there is no blog '" + subdomain + "'", ""});
    co_return out;
  }
  auto post = co_await content.post(stamp.value, slug);
  // A post whose content cannot be read still takes reactions, comments and views.
  if (!post.ok() && post.code != kContentUnavailable) {
    out.failure = storageFailure(cx, "post lookup", post.error);
    co_return out;
  }
  if (!post.value || !post.value->isPublicAt(cx.now)) {
    out.failure = postNotFound(slug);
    co_return out;
  }
  out.tenantId = stamp.value.tenantId;
  out.postId = post.value->id;
  co_return out;
}

// GET /api/posts/{slug}/live: a WebSocket to the post's object. The Origin must be this blog
// (browsers send it on every WebSocket; a page elsewhere must not open readers' channels), and
// the request itself goes on to the object, which accepts the socket.
Task<HttpResponse> openLive(Context& cx, const PublicPost& post, const ReaderAuth& auth) {
  Json headers = {{"x-lattice-tenant", post.tenantId}, {"x-lattice-post", post.postId}};
  if (auth.reader) {
    headers["x-lattice-reader"] = auth.reader->id;
    headers["x-lattice-reader-name"] = auth.reader->name;
  }
  co_return co_await connectLive(cx, binding::kPostMeta, postMetaName(post.tenantId, post.postId), "/live",
                                 std::move(headers));
}

}  // namespace

Task<HttpResponse> handlePostSocialApi(Context& cx, const std::string& subdomain,
                                       const std::vector<std::string>& segments) {
  // segments: api, posts, {slug}, reactions | comments [, {id}] | live
  const std::string& slug = segments[2];
  const std::string& what = segments[3];
  const std::string& method = cx.request.method;
  const size_t n = segments.size();
  if (what == "reactions" && n == 4 && method != "GET" && method != "POST") co_return methodNotAllowed("GET, POST");
  if (what == "comments" && n == 4 && method != "GET" && method != "POST") co_return methodNotAllowed("GET, POST");
  if (what == "comments" && n == 5 && method != "PUT") co_return methodNotAllowed("PUT");
  if (what == "live" && n == 4 && method != "GET") co_return methodNotAllowed("GET");
  if (n > 5 || (n == 5 && what != "comments"))
    co_return errorResponse({404, "route.not_found", "no such route", ""});

  PublicPost post = co_await resolvePost(cx, subdomain, slug);
  if (post.failure) co_return privateNoStore(std::move(*post.failure));
  ReaderAuth auth = co_await verifyReader(cx);
  if (auth.failure) co_return privateNoStore(std::move(*auth.failure));
  bool owner = false;
  if (auth.ownerToken) {
    Authed a = co_await authenticate(cx, subdomain);
    if (a.failure) co_return privateNoStore(std::move(*a.failure));
    owner = true;
  }
  if (what == "live") co_return co_await openLive(cx, post, auth);

  Json headers = {{"x-lattice-tenant", post.tenantId}, {"x-lattice-post", post.postId}};
  if (auth.reader) {
    headers["x-lattice-reader"] = auth.reader->id;
    headers["x-lattice-reader-name"] = auth.reader->name;
  }
  if (owner) headers["x-lattice-owner"] = "1";
  std::string path = "/" + what + (n == 5 ? "/" + percentEncode(segments[4]) : "");
  if (!cx.request.query.empty() && method == "GET") path += "?" + cx.request.query;
  std::string body;
  if (method != "GET") {
    // Parsed here (bounded, with the API's usual errors), checked field by field by the object.
    auto parsed = co_await readJsonBody(cx.io, cx.request, kMaxSocialBodyBytes);
    if (auto* failure = std::get_if<HttpResponse>(&parsed)) co_return privateNoStore(std::move(*failure));
    body = dumpJson(std::get<Json>(parsed));
  }
  auto answer = co_await callObject(cx, binding::kPostMeta, postMetaName(post.tenantId, post.postId), method,
                                    std::move(path), std::move(headers), std::move(body));
  if (!answer.ok()) co_return storageFailure(cx, "post object", answer.error);
  co_return privateNoStore(std::move(answer.value));
}

void countPostView(Context& cx, const std::string& tenantId, const std::string& postId, const std::string& cache) {
  const HttpRequest& req = cx.request;
  std::string visitor = clientAddress(req) + "|" + req.header("user-agent");
  // The outcome rides on the view's own report: the dashboard's cache and D1 figures cost no
  // extra request and no D1 write.
  Json report = {{"count", 1},
                 {"visitors", Json::array({visitor.substr(0, 512)})},
                 {"cache", cache.substr(0, 32)},
                 {"d1", cx.io.d1Calls()}};
  Json headers = {{"x-lattice-tenant", tenantId}, {"x-lattice-post", postId}};
  cx.afterResponse.push_back([](Context& cx, std::string name, Json headers, std::string body) -> Task<void> {
    auto r = co_await callObject(cx, binding::kPostMeta, std::move(name), "POST", "/views", std::move(headers),
                                 std::move(body));
    if (!r.ok() || r.value.status >= 300)
      cx.io.log("warn", "view not counted", {{"error", r.ok() ? r.value.body : r.error}});
  }(cx, postMetaName(tenantId, postId), std::move(headers), dumpJson(report)));
}

}  // namespace lattice
