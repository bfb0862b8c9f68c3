// The tenant's own API, served through its TenantDO where the state lives there:
//   GET|PUT /api/tenant                 the blog's config (owner); PUT writes D1 and tells the object
//   GET     /api/drafts                 drafts (owner), kept in the object's SQLite
//   GET|PUT|DELETE /api/drafts/{slug}   one draft; PUT is a revision-checked save
//   POST    /api/drafts/{slug}/publish  the draft becomes the post (one write), then is removed
//   POST    /api/events                 analytics from readers (no token), into the object's outbox
#include "app/routes.h"

#include "app/content.h"
#include "app/owner-api.h"
#include "app/tenant-directory.h"
#include "blog/post-input.h"
#include "blog/tenant-input.h"
#include "http/json-body.h"

namespace lattice {

namespace {

HttpResponse objectUnavailable(Context& cx, std::string_view error) {
  return storageFailure(cx, "TenantDO", error);
}

Task<HttpResponse> getTenant(const Tenant& tenant) {
  co_return jsonResponse(200, {{"tenant", tenant.toJson()}});
}

Task<HttpResponse> putTenant(Context& cx, const Tenant& tenant) {
  auto body = co_await readJsonBody(cx);
  if (auto* failure = std::get_if<HttpResponse>(&body)) co_return std::move(*failure);
  auto input = parseTenantConfig(std::get<Json>(body));
  if (auto* error = std::get_if<ApiError>(&input)) co_return errorResponse(*error);
  Tenant updated = applyTenantConfig(tenant, std::get<TenantConfigInput>(input));
  Written w = co_await writeAndStamp(cx, tenant_sql::updateConfig(updated, cx.now), tenant);
  if (!w.write.ok) co_return storageFailure(cx, "tenant update", w.write.error);
  co_await afterWrite(cx, w, nullptr);
  cx.io.log("info", "tenant config updated", {{"tenant", tenant.subdomain}, {"config_version", w.stamp.configVersion}});
  Tenant now = w.tenantRow.is_object() ? Tenant::fromRow(w.tenantRow) : updated;
  co_return jsonResponse(200, {{"tenant", now.toJson()}});
}

// Forwards the owner's request to the object as it is (the object validates and answers).
Task<HttpResponse> forwardToObject(Context& cx, const Tenant& tenant, std::string path, bool withBody) {
  std::string body;
  if (withBody) {
    const size_t max = cx.config.maxMarkdownBytes + cx.config.maxJsonOverheadBytes;
    auto parsed = co_await readJsonBody(cx.io, cx.request, max);
    if (auto* failure = std::get_if<HttpResponse>(&parsed)) co_return std::move(*failure);
    body = dumpJson(std::get<Json>(parsed));
  }
  auto reply = co_await callTenantObject(cx, tenant.id, tenant.subdomain, cx.request.method, std::move(path), std::move(body));
  if (!reply.ok()) co_return objectUnavailable(cx, reply.error);
  co_return privateNoStore(std::move(reply.value));
}

// The draft becomes the post: one post write (create, or update of the post at that slug), so
// one version bump and the usual invalidation; then the draft is removed if it is still the
// revision that was published (a save that raced in is kept, not lost).
Task<HttpResponse> publishDraft(Context& cx, const Tenant& tenant, const std::string& slug) {
  auto body = co_await readJsonBody(cx);
  if (auto* failure = std::get_if<HttpResponse>(&body)) co_return std::move(*failure);
  const Json& req = std::get<Json>(body);
  std::optional<long long> base;
  if (auto it = req.find("baseRevision"); it != req.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<long long>() < 1)
      co_return errorResponse({400, "draft.revision_invalid", "baseRevision must be a positive integer", "baseRevision"});
    base = it->get<long long>();
  }
  auto got = co_await callTenantObject(cx, tenant.id, tenant.subdomain, "GET", "/drafts/" + slug);
  if (!got.ok()) co_return objectUnavailable(cx, got.error);
  if (got.value.status != 200) co_return privateNoStore(std::move(got.value));
  auto parsed = parseJson(got.value.body);
  const Json draft = parsed ? jsonValue(*parsed, "draft") : Json(nullptr);
  const long long revision = jsonInt(draft, "revision");
  if (base && *base != revision) {
    HttpResponse r = errorResponse({409, "draft.conflict",
                                    "the draft changed on another device (now at revision " + std::to_string(revision) + ")",
                                    "baseRevision"});
    Json withDraft = *parseJson(r.body);
    withDraft["draft"] = draft;
    r.body = dumpJson(withDraft);
    co_return r;
  }
  const Json metadata = jsonValue(draft, "metadata");
  Json post = {{"slug", slug}, {"markdown", jsonString(draft, "content")}, {"status", "published"}};
  for (const char* key : {"title", "description", "tags"})
    if (metadata.is_object() && metadata.contains(key)) post[key] = metadata[key];

  D1Result existing = co_await cx.io.query(post_sql::bySlug(tenant.id, slug));
  if (!existing.ok) co_return storageFailure(cx, "post read", existing.error);
  const bool creating = existing.rows.empty();
  if (!creating) post.erase("slug");
  auto input = parsePostInput(post, creating, cx.config.maxMarkdownBytes);
  if (auto* error = std::get_if<ApiError>(&input)) co_return errorResponse(*error);
  HttpResponse written;
  if (creating) written = co_await createPostFrom(cx, tenant, std::get<PostInput>(input));
  else written = co_await updatePostFrom(cx, tenant, slug, std::get<PostInput>(input));
  if (written.status != 200 && written.status != 201) co_return written;
  auto removed = co_await callTenantObject(cx, tenant.id, tenant.subdomain, "DELETE",
                                           "/drafts/" + slug + "?revision=" + std::to_string(revision));
  const bool draftRemoved = removed.ok() && removed.value.status == 204;
  if (!draftRemoved)
    cx.io.log("info", "published draft kept (it changed meanwhile)", {{"tenant", tenant.subdomain}, {"slug", slug}});
  if (auto out = parseJson(written.body)) {
    (*out)["draft_removed"] = draftRemoved;
    written.body = dumpJson(*out);
  }
  co_return written;
}

Task<HttpResponse> draftsApi(Context& cx, const std::string& subdomain, const std::vector<std::string>& segments) {
  const std::string& method = cx.request.method;
  const bool collection = segments.size() == 2;
  const bool item = segments.size() == 3;
  const bool publish = segments.size() == 4 && segments[3] == "publish";
  if (!collection && !item && !publish) co_return errorResponse({404, "route.not_found", "no such API route", ""});
  if (collection && method != "GET") co_return methodNotAllowed("GET");
  if (item && method != "GET" && method != "PUT" && method != "DELETE") co_return methodNotAllowed("GET, PUT, DELETE");
  if (publish && method != "POST") co_return methodNotAllowed("POST");
  Authed authed = co_await authenticate(cx, subdomain);
  if (authed.failure) co_return std::move(*authed.failure);
  const Tenant& tenant = *authed.tenant;
  if (collection) co_return co_await forwardToObject(cx, tenant, "/drafts", false);
  const std::string& slug = segments[2];
  if (!validSlug(slug))
    co_return errorResponse({404, "draft.not_found", "there is no draft '" + slug + "'", ""});
  if (publish) co_return co_await publishDraft(cx, tenant, slug);
  std::string path = "/drafts/" + slug;
  if (method == "DELETE" && cx.request.queryParam("revision"))
    path += "?revision=" + percentEncode(*cx.request.queryParam("revision"));
  co_return co_await forwardToObject(cx, tenant, std::move(path), method == "PUT");
}

// Readers' analytics: no token, but only for a blog that exists (no object for junk hosts), and
// bounded before parsing. The object persists them before this answers 202.
Task<HttpResponse> postEvents(Context& cx, const std::string& subdomain) {
  Content content(cx, cx.config.cache.enabled);
  auto stamp = co_await content.stamp(subdomain);
  if (!stamp.ok()) co_return storageFailure(cx, "stamp", stamp.error);
  if (!stamp.value.found)
    co_return errorResponse({404, "tenant.not_found", "there is no blog '" + subdomain + "'", ""});
  auto parsed = co_await readJsonBody(cx.io, cx.request, cx.config.maxEventsBodyBytes);
  if (auto* failure = std::get_if<HttpResponse>(&parsed)) co_return std::move(*failure);
  auto reply = co_await callTenantObject(cx, stamp.value.tenantId, subdomain, "POST", "/events",
                                         dumpJson(std::get<Json>(parsed)));
  if (!reply.ok()) co_return objectUnavailable(cx, reply.error);
  co_return privateNoStore(std::move(reply.value));
}

}  // namespace

Task<HttpResponse> handleTenantApi(Context& cx, const std::string& subdomain, const std::vector<std::string>& segments) {
  const std::string& what = segments[1];
  const std::string& method = cx.request.method;
  if (what == "events") {
    if (segments.size() != 2) co_return errorResponse({404, "route.not_found", "no such API route", ""});
    if (method != "POST") co_return methodNotAllowed("POST");
    co_return co_await postEvents(cx, subdomain);
  }
  if (what == "drafts") co_return co_await draftsApi(cx, subdomain, segments);
  // /api/tenant
  if (segments.size() != 2) co_return errorResponse({404, "route.not_found", "no such API route", ""});
  if (method != "GET" && method != "PUT") co_return methodNotAllowed("GET, PUT");
  Authed authed = co_await authenticate(cx, subdomain);
  if (authed.failure) co_return std::move(*authed.failure);
  if (method == "GET") co_return co_await getTenant(*authed.tenant);
  co_return co_await putTenant(cx, *authed.tenant);
}

}  // namespace lattice
