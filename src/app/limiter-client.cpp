#include "app/limiter-client.h"

#include "app/tenant-directory.h"
#include "app/routes.h"
#include "durable/rate-limit.h"
#include "http/errors.h"

namespace lattice {

Task<std::optional<HttpResponse>> takeLimit(Context& cx, std::string key, int perMinute, std::string_view what) {
  const std::string label(what);
  Json limit = {{"limit", perMinute}, {"windowMs", 60000}};
  auto taken = co_await callObject(cx, binding::kLimiter, std::move(key), "POST", "/take", Json::object(), dumpJson(limit));
  if (!taken.ok() || taken.value.status != 200)
    co_return storageFailure(cx, label + " limiter", taken.ok() ? taken.value.body : taken.error);
  const Json decision = parseJson(taken.value.body).value_or(Json::object());
  if (jsonBool(decision, "allowed")) co_return std::nullopt;
  Decision denied;
  denied.retryAfterMs = jsonInt(decision, "retryAfterMs", 1000);
  co_return rateLimitedResponse(denied, label);
}

}  // namespace lattice
