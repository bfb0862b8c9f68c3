// The tier migrator's entry points (src/tiers/migrator.h): the Worker's cron (`scheduled`) and
// POST /api/admin/migrate for an operator.
#include <cctype>

#include "app/routes.h"
#include "core/sha256.h"
#include "tiers/migrator.h"

namespace lattice {

namespace {

// Equal length and bytes, in time that does not depend on where they differ.
bool sameSecret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

HttpResponse unauthorized(std::string code, std::string message) {
  HttpResponse r = errorResponse({401, std::move(code), std::move(message), ""});
  r.set("www-authenticate", "Bearer realm=\"lattice-operator\"");
  return r;
}

Json outcomeBody(const tiers::MigratorOutcome& out) {
  Json body = Json::object();
  body["summary"] = out.summary;
  body["moves"] = out.moves;
  return body;
}

}  // namespace

Task<HttpResponse> handleScheduled(Context& cx) {
  tiers::MigratorRun run;
  run.trigger = "cron";
  // Off: the plan is logged, nothing moves (Config::tierMigration).
  run.dryRun = !cx.config.tierMigration;
  tiers::MigratorOutcome out = co_await tiers::runMigrator(cx, std::move(run));
  if (out.busy) {
    cx.io.log("info", "tier migrator: another run holds the lease; nothing to do", Json::object());
    co_return errorResponse({409, "migrate.busy", "another migrator run is in progress", ""});
  }
  if (!out.error.empty()) co_return storageFailure(cx, "tier migrator start", out.error);
  co_return jsonResponse(200, outcomeBody(out));
}

Task<HttpResponse> handleAdminMigrate(Context& cx) {
  // Without an operator token configured, the route does not exist.
  if (cx.config.operatorTokenSha256.empty()) co_return errorResponse({404, "route.not_found", "no such route", ""});
  if (cx.request.method != "POST") {
    HttpResponse r = errorResponse({405, "request.method_not_allowed", "allowed: POST", ""});
    r.set("allow", "POST");
    co_return r;
  }
  const std::string auth = cx.request.header("authorization");
  if (auth.empty()) co_return unauthorized("auth.missing_token", "send Authorization: Bearer <operator token>");
  const std::optional<std::string_view> bearer = bearerToken(auth);
  if (!bearer || bearer->size() > 512)
    co_return unauthorized("auth.invalid_token", "the Authorization header must be 'Bearer <token>'");
  if (!sameSecret(sha256Hex(*bearer), cx.config.operatorTokenSha256))
    co_return unauthorized("auth.invalid_token", "the token is not valid");

  tiers::MigratorRun run;
  run.trigger = "api";
  const auto dry = cx.request.queryParam("dry_run");
  if (dry) {
    if (*dry == "1" || *dry == "true") run.dryRun = true;
    else if (*dry != "0" && *dry != "false")
      co_return errorResponse({400, "request.invalid_query", "dry_run must be 1, true, 0 or false", "dry_run"});
  }
  if (!run.dryRun && !cx.config.tierMigration)
    co_return errorResponse({409, "migrate.disabled",
                             "tier migration is off (TIER_MIGRATION); only dry runs are possible", ""});
  tiers::MigratorOutcome out = co_await tiers::runMigrator(cx, std::move(run));
  if (out.busy) co_return errorResponse({409, "migrate.busy", "another migrator run is in progress; retry later", ""});
  if (!out.error.empty()) co_return storageFailure(cx, "tier migrator start", out.error);
  co_return jsonResponse(200, outcomeBody(out));
}

}  // namespace lattice
