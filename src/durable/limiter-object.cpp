#include "durable/limiter-object.h"

#include "durable/rate-limit.h"
#include "http/errors.h"
#include "http/json-body.h"

namespace lattice {

namespace {

constexpr long long kMaxLimiterWindowMs = 24LL * 60 * 60 * 1000;

Task<HttpResponse> take(ObjectContext& ox, RateLimiter& limiter) {
  auto body = co_await readJsonBody(ox.io, *ox.request, 1024);
  if (auto* failure = std::get_if<HttpResponse>(&body)) co_return std::move(*failure);
  const Json& j = std::get<Json>(body);
  const long long limit = jsonInt(j, "limit");
  const long long windowMs = jsonInt(j, "windowMs");
  if (limit < 1 || limit > 100000 || windowMs < 1 || windowMs > kMaxLimiterWindowMs)
    co_return errorResponse({400, "object.limit_invalid", "limit must be 1-100000 and windowMs 1 ms to 1 day", ""});
  // The whole key is the object; one row per object.
  Decision d = limiter.take("key", static_cast<int>(limit), windowMs, ox.now);
  if (!d.error.empty()) ox.io.log("warn", "rate limiter failed", {{"object", ox.name}, {"error", d.error}});
  // Forget the row once the bucket is full again (at most one window from now).
  const bool armed = co_await alarm::setNoLaterThan(ox.io, ox.now + windowMs);
  if (!armed) ox.io.log("warn", "could not set the prune alarm", {{"object", ox.name}});
  co_return jsonResponse(200, {{"allowed", d.allowed}, {"remaining", d.remaining}, {"retryAfterMs", d.retryAfterMs}});
}

}  // namespace

Task<HttpResponse> handleLimiterObject(ObjectContext& ox) {
  RateLimiter limiter(ox.sql, "limits");
  if (ox.socket) co_return errorResponse({400, "object.no_sockets", "this object has no sockets", ""});
  if (!ox.request) {
    limiter.prune(ox.now);  // the alarm
    co_return jsonResponse(200, {{"ok", true}});
  }
  if (ox.request->path == "/take" && ox.request->method == "POST") co_return co_await take(ox, limiter);
  co_return errorResponse({404, "route.not_found", "no such object route", ""});
}

}  // namespace lattice
