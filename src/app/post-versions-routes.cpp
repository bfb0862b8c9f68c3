// A post's version history, owner API (bearer token, like the other /api/posts routes):
//   GET  /api/posts/{slug}/versions                {versions: [{version, created_at, title, bytes, sha256}], ...}
//   GET  /api/posts/{slug}/versions/{v}            {version: {..., description, markdown}}
//   POST /api/posts/{slug}/versions/{v}/restore    {version?}: that version's title, description
//                                                  and markdown become the post's, as a new version
//                                                  (an ordinary update: same checks, answer and
//                                                  cache invalidation as PUT /api/posts/{slug})
// The history lives in the post's PostContentDO (src/durable/post-content-object.h).
#include "app/routes.h"

#include "app/owner-api.h"
#include "app/post-content-client.h"
#include "blog/post-input.h"
#include "blog/post.h"
#include "durable/post-versions.h"
#include "http/json-body.h"

namespace lattice {

namespace {

HttpResponse postNotFound(std::string_view slug) {
  return errorResponse({404, "post.not_found", "there is no post '" + std::string(slug) + "'", ""});
}

HttpResponse versionInvalid() {
  return errorResponse({400, "version.invalid", "a version is a positive integer", "version"});
}

// The restore body is optional: none, or {version} (the post's current version, checked like
// PUT's "version" for optimistic concurrency).
Task<std::variant<std::optional<long long>, HttpResponse>> restoreBody(Context& cx) {
  std::optional<long long> expected;
  if (cx.request.header("content-type").empty()) co_return expected;
  auto body = co_await readJsonBody(cx);
  if (auto* failure = std::get_if<HttpResponse>(&body)) co_return std::move(*failure);
  const Json& j = std::get<Json>(body);
  if (!j.is_object()) co_return errorResponse({400, "request.not_object", "the request body must be a JSON object", ""});
  for (const auto& [key, value] : j.items())
    if (key != "version") co_return errorResponse({400, "request.unknown_field", "unknown field '" + key + "'", key});
  if (const Json& v = jsonValue(j, "version"); !v.is_null()) {
    if (!v.is_number_integer() || v.get<long long>() < 1)
      co_return errorResponse({400, "post.version_invalid", "version must be a positive integer", "version"});
    expected = v.get<long long>();
  }
  co_return expected;
}

Task<HttpResponse> restore(Context& cx, const Tenant& tenant, const Post& post, long long number) {
  auto body = co_await restoreBody(cx);
  if (auto* failure = std::get_if<HttpResponse>(&body)) co_return std::move(*failure);
  const std::optional<long long> expected = std::get<std::optional<long long>>(body);

  auto got = co_await callPostContentObject(cx, tenant.id, post.id, "GET", "/versions/" + std::to_string(number));
  if (!got.ok()) co_return storageFailure(cx, "PostContentDO", got.error);
  if (got.value.status != 200) co_return privateNoStore(std::move(got.value));
  auto parsed = parseJson(got.value.body);
  const Json version = parsed ? jsonValue(*parsed, "version") : Json(nullptr);
  if (!version.is_object()) co_return storageFailure(cx, "PostContentDO", "malformed version answer");

  // The same checks as any update: a version kept under older limits may no longer fit.
  Json update = Json::object();
  update["title"] = jsonString(version, "title");
  update["description"] = jsonString(version, "description");
  update["markdown"] = jsonString(version, "markdown");
  if (expected) update["version"] = *expected;
  auto input = parsePostInput(update, /*creating=*/false, cx.config.maxMarkdownBytes);
  if (auto* error = std::get_if<ApiError>(&input)) co_return errorResponse(*error);
  HttpResponse written = co_await updatePostFrom(cx, tenant, post.slug, std::get<PostInput>(input));
  if (written.status != 200) co_return written;
  if (auto out = parseJson(written.body)) {
    (*out)["restored_from"] = number;
    written.body = dumpJson(*out);
  }
  cx.io.log("info", "post version restored", {{"tenant", tenant.subdomain}, {"slug", post.slug}, {"from", number}});
  co_return written;
}

}  // namespace

Task<HttpResponse> handlePostVersionsApi(Context& cx, const std::string& subdomain,
                                         const std::vector<std::string>& segments) {
  const std::string& method = cx.request.method;
  const bool list = segments.size() == 4;
  const bool item = segments.size() == 5;
  const bool restoring = segments.size() == 6 && segments[5] == "restore";
  if (!list && !item && !restoring) co_return errorResponse({404, "route.not_found", "no such API route", ""});
  if ((list || item) && method != "GET") co_return methodNotAllowed("GET");
  if (restoring && method != "POST") co_return methodNotAllowed("POST");

  Authed authed = co_await authenticate(cx, subdomain);
  if (authed.failure) co_return std::move(*authed.failure);
  const Tenant& tenant = *authed.tenant;
  const std::string& slug = segments[2];
  if (!validSlug(slug)) co_return postNotFound(slug);
  std::optional<long long> number;
  if (!list) {
    number = parseVersionNumber(segments[4]);
    if (!number) co_return versionInvalid();
  }
  D1Result rows = co_await cx.io.query(post_sql::bySlug(tenant.id, slug));
  if (!rows.ok) co_return storageFailure(cx, "post read", rows.error);
  if (rows.rows.empty()) co_return postNotFound(slug);
  const Post post = Post::fromRow(rows.rows[0]);

  if (restoring) co_return co_await restore(cx, tenant, post, *number);
  std::string path = "/versions";
  if (item) path += "/" + std::to_string(*number);
  auto reply = co_await callPostContentObject(cx, tenant.id, post.id, "GET", std::move(path));
  if (!reply.ok()) co_return storageFailure(cx, "PostContentDO", reply.error);
  if (reply.value.status == 200 && list) {
    // Which post this is: the history is the post's, whatever its slug was then.
    if (auto body = parseJson(reply.value.body); body && body->is_object()) {
      (*body)["slug"] = post.slug;
      (*body)["post_id"] = post.id;
      reply.value.body = dumpJson(*body);
    }
  }
  co_return privateNoStore(std::move(reply.value));
}

}  // namespace lattice
