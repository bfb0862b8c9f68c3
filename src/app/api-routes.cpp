// The owner API: /api/posts, /api/posts/{slug} and /api/preview, bearer-token authenticated, JSON
// in and out.
#include "app/routes.h"

#include <cctype>

#include "app/content.h"
#include "app/owner-api.h"
#include "app/post-content-client.h"
#include "blog/post-input.h"
#include "blog/post.h"
#include "cache/stamp.h"
#include "core/sha256.h"
#include "http/json-body.h"
#include "render/markdown.h"
#include "tiers/migrator.h"

namespace lattice {

namespace {

HttpResponse postNotFound(std::string_view slug) {
  return errorResponse({404, "post.not_found", "there is no post '" + std::string(slug) + "'", ""});
}

HttpResponse slugTaken(std::string_view slug) {
  return errorResponse({409, "post.slug_taken", "another post already uses the slug '" + std::string(slug) + "'", "slug"});
}

// ?limit (1-100) and ?page (>= 1) for listings.
std::optional<std::pair<int, int>> listParams(const Context& cx) {
  auto limit = cx.request.intParam("limit", cx.config.apiPageSize, 1, 100);
  auto page = cx.request.intParam("page", 1, 1, 100000);
  if (!limit || !page) return std::nullopt;
  return std::make_pair(*limit, *page);
}

Task<HttpResponse> listPosts(Context& cx, const Tenant& tenant) {
  auto params = listParams(cx);
  if (!params)
    co_return errorResponse({400, "request.invalid_query", "limit must be 1-100 and page a positive integer", ""});
  std::string status = cx.request.queryParam("status").value_or("");
  if (!status.empty() && status != "draft" && status != "published" && status != "archived")
    co_return errorResponse({400, "post.status_invalid", "status must be draft, published or archived", "status"});
  auto [limit, page] = *params;
  D1Result rows = co_await cx.io.query(post_sql::ownerPage(tenant.id, status, limit, (page - 1) * limit));
  if (!rows.ok) co_return storageFailure(cx, "owner list", rows.error);
  Json posts = Json::array();
  for (const auto& row : rows.rows) posts.push_back(Post::fromRow(row).toJson(false));
  bool more = static_cast<int>(posts.size()) > limit;
  if (more) posts.erase(posts.end() - 1);
  co_return jsonResponse(200, {{"posts", std::move(posts)},
                               {"page", page},
                               {"next_page", more ? Json(page + 1) : Json(nullptr)}});
}

Task<HttpResponse> createPost(Context& cx, const Tenant& tenant) {
  auto body = co_await readJsonBody(cx);
  if (auto* failure = std::get_if<HttpResponse>(&body)) co_return std::move(*failure);
  auto input = parsePostInput(std::get<Json>(body), /*creating=*/true, cx.config.maxMarkdownBytes);
  if (auto* error = std::get_if<ApiError>(&input)) co_return errorResponse(*error);
  co_return co_await createPostFrom(cx, tenant, std::get<PostInput>(input));
}

Task<HttpResponse> updatePost(Context& cx, const Tenant& tenant, const std::string& slug) {
  auto body = co_await readJsonBody(cx);
  if (auto* failure = std::get_if<HttpResponse>(&body)) co_return std::move(*failure);
  auto input = parsePostInput(std::get<Json>(body), /*creating=*/false, cx.config.maxMarkdownBytes);
  if (auto* error = std::get_if<ApiError>(&input)) co_return errorResponse(*error);
  co_return co_await updatePostFrom(cx, tenant, slug, std::get<PostInput>(input));
}

}  // namespace

Task<HttpResponse> createPostFrom(Context& cx, const Tenant& tenant, const PostInput& in) {
  if (in.expectedVersion)
    co_return errorResponse({400, "post.version_invalid", "version is only accepted on update", "version"});

  Post post;
  post.id = cx.newId("p_");
  post.tenantId = tenant.id;
  post.createdAt = cx.now;
  applyPostInput(post, in, cx.now);
  Written w = co_await writeAndStamp(cx, post_sql::insert(post), tenant);
  if (!w.write.ok) co_return storageFailure(cx, "post insert", w.write.error);
  if (w.write.changes == 0) co_return slugTaken(post.slug);
  co_await afterWrite(cx, w, &post);
  if (post.status == "published") fanOutPost(cx, tenant.id, post.id, true);
  cx.io.log("info", "post created", {{"tenant", tenant.subdomain}, {"slug", post.slug}, {"id", post.id}});
  HttpResponse res = jsonResponse(201, {{"post", post.toJson(true)}});
  res.set("location", "/api/posts/" + post.slug);
  co_return res;
}

Task<HttpResponse> updatePostFrom(Context& cx, const Tenant& tenant, const std::string& slug, const PostInput& in) {
  D1Result current = co_await cx.io.query(post_sql::bySlug(tenant.id, slug));
  if (!current.ok) co_return storageFailure(cx, "post read", current.error);
  if (current.rows.empty()) co_return postNotFound(slug);
  Post post = Post::fromRow(current.rows[0]);
  const long long baseVersion = post.version;
  const bool wasPublished = post.status == "published";
  if (in.expectedVersion && *in.expectedVersion != baseVersion)
    co_return errorResponse({409, "post.version_conflict",
                             "the post is at version " + std::to_string(baseVersion) + ", not " +
                                 std::to_string(*in.expectedVersion),
                             "version"});
  if (!in.markdown) {
    // The update writes the content back into D1: start from it when only R2 holds it.
    std::optional<HttpResponse> unreadable = co_await loadStoredContent(cx, post);
    if (unreadable) co_return std::move(*unreadable);
  }
  applyPostInput(post, in, cx.now);
  Written w = co_await writeAndStamp(cx, post_sql::update(post, baseVersion), tenant);
  if (!w.write.ok) co_return storageFailure(cx, "post update", w.write.error);
  if (w.write.changes == 0) {
    // Either another write bumped the version since our read, or the new slug is taken.
    if (post.slug != slug) {
      D1Result clash = co_await cx.io.query(post_sql::bySlug(tenant.id, post.slug));
      if (clash.ok && !clash.rows.empty() && jsonString(clash.rows[0], "id") != post.id)
        co_return slugTaken(post.slug);
    }
    co_return errorResponse({409, "post.version_conflict", "the post changed while this update was applied; retry",
                             "version"});
  }
  post.version = baseVersion + 1;
  post.storageLocation = "d1";  // an update brings the content back to D1 (post_sql::update)
  co_await afterWrite(cx, w, &post);
  if (wasPublished || post.status == "published") fanOutPost(cx, tenant.id, post.id, post.status == "published");
  cx.io.log("info", "post updated", {{"tenant", tenant.subdomain}, {"slug", post.slug}, {"version", post.version}});
  co_return jsonResponse(200, {{"post", post.toJson(true)}});
}

namespace {

Task<HttpResponse> deletePost(Context& cx, const Tenant& tenant, const std::string& slug) {
  D1Result current = co_await cx.io.query(post_sql::bySlug(tenant.id, slug));
  if (!current.ok) co_return storageFailure(cx, "post read", current.error);
  if (current.rows.empty()) co_return postNotFound(slug);
  const std::string id = jsonString(current.rows[0], "id");
  const bool wasPublished = jsonString(current.rows[0], "status") == "published";
  // Its R2 objects and version history are collected by the migrator's clear pass once the
  // grace period has passed (tier_clears, queued in the same transaction).
  const UnixMillis dueAt = cx.now + UnixMillis(cx.config.tierGraceSeconds) * 1000;
  Written w = co_await writeAndStamp(cx, post_sql::remove(tenant.id, id), tenant,
                                     tiers::queueDeletedPostClear(tenant.id, id, dueAt));
  if (!w.write.ok) co_return storageFailure(cx, "post delete", w.write.error);
  if (w.write.changes == 0) co_return postNotFound(slug);
  co_await afterWrite(cx, w, nullptr);
  if (wasPublished) fanOutPost(cx, tenant.id, id, false);
  cx.io.log("info", "post deleted", {{"tenant", tenant.subdomain}, {"slug", slug}, {"id", id}});
  HttpResponse res;
  res.status = 204;
  res.set("cache-control", "private, no-store");
  co_return res;
}

// POST /api/preview {markdown}: the HTML the post would get, rendered and sanitised exactly as
// on save, without saving anything (the editor's live preview).
Task<HttpResponse> preview(Context& cx) {
  auto body = co_await readJsonBody(cx);
  if (auto* failure = std::get_if<HttpResponse>(&body)) co_return std::move(*failure);
  auto input = parsePreviewInput(std::get<Json>(body), cx.config.maxMarkdownBytes);
  if (auto* error = std::get_if<ApiError>(&input)) co_return errorResponse(*error);
  const std::string& text = std::get<std::string>(input);
  render::RenderedMarkdown rendered = render::renderMarkdown(text);
  Json headings = Json::array();
  for (const auto& h : rendered.headings) headings.push_back({{"level", h.level}, {"id", h.id}, {"text", h.text}});
  co_return jsonResponse(200, {{"html", std::move(rendered.html)},
                               {"word_count", rendered.wordCount},
                               {"headings", std::move(headings)}});
}


}  // namespace

Task<HttpResponse> handlePostsApi(Context& cx, const std::string& subdomain,
                                  const std::vector<std::string>& segments) {
  const std::string& method = cx.request.method;
  if (segments.size() == 2 && segments[1] == "preview") {
    if (method != "POST") co_return methodNotAllowed("POST");
    Authed authed = co_await authenticate(cx, subdomain);
    if (authed.failure) co_return std::move(*authed.failure);
    co_return co_await preview(cx);
  }
  if (segments.size() >= 4 && segments[1] == "posts" && segments[3] == "versions")
    co_return co_await handlePostVersionsApi(cx, subdomain, segments);
  const bool collection = segments.size() == 2 && segments[1] == "posts";
  const bool item = segments.size() == 3 && segments[1] == "posts";
  if (!collection && !item) co_return errorResponse({404, "route.not_found", "no such API route", ""});
  if (collection && method != "GET" && method != "POST") co_return methodNotAllowed("GET, POST");
  if (item && method != "GET" && method != "PUT" && method != "DELETE") co_return methodNotAllowed("GET, PUT, DELETE");

  Authed authed = co_await authenticate(cx, subdomain);
  if (authed.failure) co_return std::move(*authed.failure);
  const Tenant& tenant = *authed.tenant;

  if (collection) {
    if (method == "GET") co_return co_await listPosts(cx, tenant);
    co_return co_await createPost(cx, tenant);
  }
  const std::string& slug = segments[2];
  if (!validSlug(slug)) co_return postNotFound(slug);
  if (method == "GET") {
    D1Result rows = co_await cx.io.query(post_sql::bySlug(tenant.id, slug));
    if (!rows.ok) co_return storageFailure(cx, "post read", rows.error);
    if (rows.rows.empty()) co_return postNotFound(slug);
    Post post = Post::fromRow(rows.rows[0]);
    std::optional<HttpResponse> unreadable = co_await loadStoredContent(cx, post);
    if (unreadable) co_return std::move(*unreadable);
    co_return jsonResponse(200, {{"post", post.toJson(true)}});
  }
  if (method == "PUT") co_return co_await updatePost(cx, tenant, slug);
  co_return co_await deletePost(cx, tenant, slug);
}

Task<HttpResponse> handleMetrics(Context& cx) {
  Json effect = {{"kind", "metrics.read"}};
  Json result = co_await cx.io.perform(std::move(effect));
  auto counters = result.find("counters");
  co_return jsonResponse(200, {{"counters", counters != result.end() && counters->is_object() ? *counters : Json::object()}});
}

}  // namespace lattice
