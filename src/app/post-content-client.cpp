#include "app/post-content-client.h"

#include "app/routes.h"
#include "durable/post-content.h"
#include "http/errors.h"

namespace lattice {

Task<Fetched<HttpResponse>> callPostContentObject(Context& cx, const std::string& tenantId, const std::string& postId,
                                                  std::string method, std::string path, std::string body) {
  Json headers = {{"x-lattice-tenant", tenantId}, {"x-lattice-post", postId}};
  if (!body.empty()) headers["content-type"] = "application/json";
  Json request = {{"method", std::move(method)}, {"path", std::move(path)}, {"headers", std::move(headers)}};
  if (!body.empty()) request["body"] = std::move(body);
  Json effect = {{"kind", "do.call"},
                 {"binding", binding::kPostContent},
                 {"name", postContentObjectName(tenantId, postId)},
                 {"request", std::move(request)}};
  Json r = co_await cx.io.perform(std::move(effect));
  if (!jsonBool(r, "ok")) co_return fetchFailed<HttpResponse>(jsonString(r, "error", "PostContentDO unreachable"));
  co_return fetched<HttpResponse>(HttpResponse::fromJson(jsonValue(r, "response")));
}

Task<void> reportPostVersion(Context& cx, const Post& post) {
  Json report = Json::object();
  report["version"] = post.version;
  report["created_at"] = post.updatedAt;
  report["title"] = post.title;
  report["description"] = post.description;
  report["markdown"] = post.markdown;
  report["sha256"] = post.contentHash;
  auto told = co_await callPostContentObject(cx, post.tenantId, post.id, "POST", "/versions", dumpJson(report));
  if (told.ok() && (told.value.status == 200 || told.value.status == 201)) co_return;
  cx.io.log("warn", "post version not recorded in its history",
            {{"post", post.id}, {"version", post.version}, {"error", told.ok() ? told.value.body : told.error}});
  cx.io.metric("post_content.report_failed");
}

Task<std::optional<HttpResponse>> loadStoredContent(Context& cx, Post& post) {
  if (post.storageLocation == "d1") co_return std::nullopt;
  D1Result r = co_await cx.io.query(post_sql::content(post.tenantId, post.id));
  if (!r.ok) co_return storageFailure(cx, "post content read", r.error);
  if (r.rows.empty() || jsonInt(r.rows[0], "version") != post.version)
    co_return errorResponse({409, "post.version_conflict", "the post changed while it was read; retry", "version"});
  const ContentRow row = ContentRow::fromRow(r.rows[0]);
  ContentRead read = co_await readContent(cx.io, row);
  if (!read.ok()) co_return errorResponse(read.error());
  post.markdown = std::move(read.content.markdown);
  post.html = std::move(read.content.html);
  co_return std::nullopt;
}

}  // namespace lattice
