#include "app/app.h"

#include "app/readers.h"
#include "app/routes.h"
#include "blog/pages.h"

namespace lattice {

std::optional<std::vector<std::string>> pathSegments(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    auto decoded = percentDecode(path.substr(i, j - i));
    if (!decoded) return std::nullopt;
    out.push_back(std::move(*decoded));
    i = j;
  }
  return out;
}

HttpResponse storageFailure(Context& cx, std::string_view what, std::string_view error) {
  cx.io.log("error", "storage failure", {{"what", std::string(what)}, {"error", std::string(error)}});
  return errorResponse({503, "storage.unavailable", "storage is temporarily unavailable; retry shortly", ""});
}

HttpResponse privateNoStore(HttpResponse r) {
  r.set("cache-control", "private, no-store");
  return r;
}

namespace {

bool isApiPath(const std::vector<std::string>& segments) {
  return !segments.empty() && segments[0] == "api";
}

Task<HttpResponse> route(Context& cx) {
  const HttpRequest& req = cx.request;
  // A cron event from the Worker's `scheduled` handler (never an HTTP request).
  if (cx.scheduled) co_return co_await handleScheduled(cx);
  auto segments = pathSegments(req.path);
  if (!segments) co_return errorResponse({400, "request.bad_path", "malformed percent-escape in the path", ""});

  if (segments->size() == 2 && (*segments)[0] == "__lattice" && (*segments)[1] == "metrics") {
    if (cx.config.dev) co_return co_await handleMetrics(cx);
    co_return errorResponse({404, "route.not_found", "no such route", ""});
  }

  // Reader sign-up is platform-wide: answered on every host.
  if (segments->size() == 2 && (*segments)[0] == "api" && (*segments)[1] == "readers")
    co_return co_await handleReadersApi(cx);
  // Meadow, a reader's feed: platform-wide too.
  if (segments->size() >= 2 && (*segments)[0] == "api" && (*segments)[1] == "meadow")
    co_return co_await handleMeadowApi(cx, *segments);
  // The tier migrator, for an operator: platform-wide too.
  if (segments->size() == 3 && (*segments)[0] == "api" && (*segments)[1] == "admin" && (*segments)[2] == "migrate")
    co_return co_await handleAdminMigrate(cx);

  HostTarget target = resolveHost(req.host, cx.config.baseDomain);
  if (target.kind == HostTarget::Kind::Tenant) {
    if (isApiPath(*segments) && segments->size() >= 2 &&
        ((*segments)[1] == "tenant" || (*segments)[1] == "drafts" || (*segments)[1] == "events"))
      co_return co_await handleTenantApi(cx, target.subdomain, *segments);
    if (isApiPath(*segments) && segments->size() >= 4 && (*segments)[1] == "posts" &&
        ((*segments)[3] == "reactions" || (*segments)[3] == "comments" || (*segments)[3] == "live"))
      co_return co_await handlePostSocialApi(cx, target.subdomain, *segments);
    if (isApiPath(*segments) && segments->size() == 2 && (*segments)[1] == "stats")
      co_return co_await handleStatsApi(cx, target.subdomain);
    if (isApiPath(*segments)) co_return co_await handlePostsApi(cx, target.subdomain, *segments);
    if (!segments->empty() && (*segments)[0] == "admin")
      co_return co_await handleAdminPage(cx, target.subdomain, *segments);
    co_return co_await handlePublicPage(cx, target.subdomain, *segments);
  }
  if (isApiPath(*segments))
    co_return errorResponse({404, "tenant.not_found", "the API answers on a blog's own host", ""});
  if (target.kind == HostTarget::Kind::Main && !segments->empty() && (*segments)[0] == "meadow")
    co_return co_await handleMeadowPage(cx, *segments);
  if (target.kind == HostTarget::Kind::Main && segments->empty() && (req.method == "GET" || req.method == "HEAD"))
    co_return pages::htmlResponse(200, pages::landing(cx.config.baseDomain));
  co_return pages::htmlResponse(404, pages::notFound(nullptr, "Not found",
                                                     "There is no blog at this address."));
}

}  // namespace

Task<HttpResponse> handleRequest(Context& cx) {
  HttpResponse response = co_await route(cx);
  if (cx.request.method == "HEAD") response.body.clear();
  if (!cx.afterResponse.empty()) {
    // Send the response now; cache fills and refreshes run after it (ctx.waitUntil).
    Json effect = {{"kind", "respond"}, {"response", response.toJson()}};
    co_await cx.io.perform(std::move(effect));
    for (size_t i = 0; i < cx.afterResponse.size(); ++i) {
      Task<void> work = std::move(cx.afterResponse[i]);  // the vector may grow while it runs
      co_await work;
    }
  }
  co_return response;
}

}  // namespace lattice
