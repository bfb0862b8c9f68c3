// GET /api/stats?days=1..90 (default 30) on a tenant host, with the owner token: the operator
// dashboard's figures (src/stats/dashboard.h), read from D1 in one batch. The answer is
// private, no-store like the rest of the owner API.
#include "app/owner-api.h"
#include "app/routes.h"
#include "stats/dashboard.h"

namespace lattice {

Task<HttpResponse> handleStatsApi(Context& cx, const std::string& subdomain) {
  if (cx.request.method != "GET" && cx.request.method != "HEAD") co_return methodNotAllowed("GET, HEAD");
  Authed a = co_await authenticate(cx, subdomain);
  if (a.failure) co_return privateNoStore(std::move(*a.failure));
  const auto days = cx.request.intParam("days", stats::kDefaultDays, 1, stats::kMaxDays);
  if (!days)
    co_return privateNoStore(errorResponse({400, "stats.days_invalid", "days must be a whole number from 1 to 90", "days"}));
  const stats::Window window = stats::windowEnding(cx.now, *days);
  D1BatchResult r = co_await cx.io.batch(stats::queries(a.tenant->id, window));
  if (!r.ok) co_return storageFailure(cx, "stats", r.error);
  co_return privateNoStore(jsonResponse(200, stats::shape(window, r.results, cx.now, cx.config.viewsFlushSeconds)));
}

}  // namespace lattice
