// The owner API: /api/posts and /api/posts/{slug}, bearer-token authenticated, JSON in and out.
#include "app/routes.h"

#include <cctype>

#include "app/content.h"
#include "blog/post-input.h"
#include "blog/post.h"
#include "cache/stamp.h"
#include "core/sha256.h"
#include "render/markdown.h"

namespace lattice {

namespace {

// Tokens are "lat_" + 64 hex characters (256 random bits).
bool wellFormedToken(std::string_view token) {
  if (token.size() != 68 || token.substr(0, 4) != "lat_") return false;
  for (char c : token.substr(4))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

struct Authed {
  std::optional<Tenant> tenant;
  std::optional<HttpResponse> failure;
};

Authed authFailure(HttpResponse r) {
  Authed a;
  a.failure = std::move(r);
  return a;
}

HttpResponse tenantNotFound(const std::string& subdomain) {
  return errorResponse({404, "tenant.not_found", "there is no blog '" + subdomain + "'", ""});
}

HttpResponse unauthorized(std::string code, std::string message) {
  HttpResponse r = errorResponse({401, std::move(code), std::move(message), ""});
  r.set("www-authenticate", "Bearer realm=\"lattice\"");
  return r;
}

// Resolves the host's tenant and checks that the bearer token belongs to it, in one query.
// A valid token of another tenant sees the same 404 as a tenant that does not exist.
Task<Authed> authenticate(Context& cx, const std::string& subdomain) {
  std::string auth = cx.request.header("authorization");
  if (auth.empty()) co_return authFailure(unauthorized("auth.missing_token", "send Authorization: Bearer <token>"));
  std::string_view token = auth;
  // The scheme is case-insensitive (RFC 9110 §11.1).
  auto isBearer = [](std::string_view s) {
    std::string scheme(s.substr(0, 7));
    for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return scheme == "bearer ";
  };
  if (!isBearer(token))
    co_return authFailure(unauthorized("auth.invalid_token", "the Authorization header must be 'Bearer <token>'"));
  token.remove_prefix(7);
  if (!wellFormedToken(token))
    co_return authFailure(unauthorized("auth.invalid_token", "the token is not valid"));
  D1Result rows = co_await cx.io.query(tenant_sql::bySubdomainWithToken(subdomain, sha256Hex(token)));
  if (!rows.ok) co_return authFailure(storageFailure(cx, "token lookup", rows.error));
  if (rows.rows.empty())
    co_return authFailure(tenantNotFound(subdomain));
  const Json& row = rows.rows[0];
  std::string tokenTenant = jsonString(row, "token_tenant_id");
  if (tokenTenant.empty()) co_return authFailure(unauthorized("auth.invalid_token", "the token is not valid"));
  if (tokenTenant != jsonString(row, "id"))
    co_return authFailure(tenantNotFound(subdomain));
  Authed a;
  a.tenant = Tenant::fromRow(row);
  co_return a;
}

// Reads and parses a JSON body: 415 for another content type, 413 beyond the size bound (checked
// before parsing), 400 for malformed JSON.
Task<std::variant<Json, HttpResponse>> readJsonBody(Context& cx) {
  std::string type = cx.request.header("content-type");
  for (auto& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));  // RFC 9110 §8.3.1
  std::string_view mime = std::string_view(type).substr(0, type.find(';'));
  while (!mime.empty() && mime.back() == ' ') mime.remove_suffix(1);
  if (mime != "application/json")
    co_return errorResponse({415, "request.unsupported_media_type", "send Content-Type: application/json", ""});
  const size_t max = cx.config.maxMarkdownBytes + cx.config.maxJsonOverheadBytes;
  // (Effects are built before co_await: g++ 12 mishandles braced literals inside co_await.)
  Json effect = {{"kind", "body.read"}, {"max", max}};
  Json result = co_await cx.io.perform(std::move(effect));
  if (!jsonBool(result, "ok"))
    co_return errorResponse({400, "request.body_unreadable", "the request body could not be read", ""});
  if (jsonBool(result, "truncated"))
    co_return errorResponse({413, "request.too_large", "the request body is larger than " + std::to_string(max) + " bytes", ""});
  auto parsed = parseJson(jsonString(result, "text"));
  if (!parsed)
    co_return errorResponse({400, "request.malformed_json",
                             "the request body is not valid JSON (or nests deeper than " +
                                 std::to_string(kMaxJsonDepth) + " levels)",
                             ""});
  co_return std::move(*parsed);
}

// A post write and the tenant's stamp just after it (src/cache/stamp.h), in one transaction.
struct Written {
  D1Result write;
  cache::Stamp stamp;
};

Task<Written> writeAndStamp(Context& cx, SqlStatement statement, const Tenant& tenant) {
  std::vector<SqlStatement> batch;
  batch.push_back(std::move(statement));
  batch.push_back(cache::stampQuery(tenant.subdomain, cx.now));
  D1BatchResult r = co_await cx.io.batch(std::move(batch));
  Written w;
  if (!r.ok || r.results.size() != 2) {
    w.write.error = r.error.empty() ? "d1 batch returned no results" : r.error;
    co_return w;
  }
  w.write = std::move(r.results[0]);
  w.stamp = cache::Stamp::fromRows(r.results[1].rows);
  co_return w;
}

// After a write that changed something: this location's stamp becomes the one just read (its
// next page view sees the write, with no D1 read), and the written post is kept for its next view.
Task<void> afterWrite(Context& cx, const Written& w, const Post* post) {
  co_await Content::storeStamp(cx, w.stamp);
  if (post) Content::storeWrittenPost(cx, *post, w.stamp.contentVersion);
}

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
  const PostInput& in = std::get<PostInput>(input);
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
  cx.io.log("info", "post created", {{"tenant", tenant.subdomain}, {"slug", post.slug}, {"id", post.id}});
  HttpResponse res = jsonResponse(201, {{"post", post.toJson(true)}});
  res.set("location", "/api/posts/" + post.slug);
  co_return res;
}

Task<HttpResponse> updatePost(Context& cx, const Tenant& tenant, const std::string& slug) {
  auto body = co_await readJsonBody(cx);
  if (auto* failure = std::get_if<HttpResponse>(&body)) co_return std::move(*failure);
  auto input = parsePostInput(std::get<Json>(body), /*creating=*/false, cx.config.maxMarkdownBytes);
  if (auto* error = std::get_if<ApiError>(&input)) co_return errorResponse(*error);
  const PostInput& in = std::get<PostInput>(input);

  D1Result current = co_await cx.io.query(post_sql::bySlug(tenant.id, slug));
  if (!current.ok) co_return storageFailure(cx, "post read", current.error);
  if (current.rows.empty()) co_return postNotFound(slug);
  Post post = Post::fromRow(current.rows[0]);
  const long long baseVersion = post.version;
  if (in.expectedVersion && *in.expectedVersion != baseVersion)
    co_return errorResponse({409, "post.version_conflict",
                             "the post is at version " + std::to_string(baseVersion) + ", not " +
                                 std::to_string(*in.expectedVersion),
                             "version"});
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
  cx.io.log("info", "post updated", {{"tenant", tenant.subdomain}, {"slug", post.slug}, {"version", post.version}});
  co_return jsonResponse(200, {{"post", post.toJson(true)}});
}

Task<HttpResponse> deletePost(Context& cx, const Tenant& tenant, const std::string& slug) {
  D1Result current = co_await cx.io.query(post_sql::bySlug(tenant.id, slug));
  if (!current.ok) co_return storageFailure(cx, "post read", current.error);
  if (current.rows.empty()) co_return postNotFound(slug);
  const std::string id = jsonString(current.rows[0], "id");
  Written w = co_await writeAndStamp(cx, post_sql::remove(tenant.id, id), tenant);
  if (!w.write.ok) co_return storageFailure(cx, "post delete", w.write.error);
  if (w.write.changes == 0) co_return postNotFound(slug);
  co_await afterWrite(cx, w, nullptr);
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

HttpResponse methodNotAllowed(std::string allow) {
  HttpResponse r = errorResponse({405, "request.method_not_allowed", "allowed: " + allow, ""});
  r.set("allow", std::move(allow));
  return r;
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
    co_return jsonResponse(200, {{"post", Post::fromRow(rows.rows[0]).toJson(true)}});
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
