#include "app/owner-api.h"

#include <cctype>

#include "app/content.h"
#include "app/post-content-client.h"
#include "app/routes.h"
#include "app/tenant-directory.h"
#include "core/sha256.h"
#include "durable/tenant-state.h"
#include "http/errors.h"
#include "http/json-body.h"

namespace lattice {

namespace {

// Tokens are "lat_" + 64 hex characters (256 random bits).
bool wellFormedToken(std::string_view token) {
  if (token.size() != 68 || token.substr(0, 4) != "lat_") return false;
  for (char c : token.substr(4))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

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

}  // namespace

Task<Authed> authenticate(Context& cx, const std::string& subdomain) {
  std::string auth = cx.request.header("authorization");
  if (auth.empty()) co_return authFailure(unauthorized("auth.missing_token", "send Authorization: Bearer <token>"));
  const std::optional<std::string_view> bearer = bearerToken(auth);
  if (!bearer)
    co_return authFailure(unauthorized("auth.invalid_token", "the Authorization header must be 'Bearer <token>'"));
  const std::string_view token = *bearer;
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

Task<std::variant<Json, HttpResponse>> readJsonBody(Context& cx) {
  return lattice::readJsonBody(cx.io, cx.request, cx.config.maxMarkdownBytes + cx.config.maxJsonOverheadBytes);
}

Task<Written> writeAndStamp(Context& cx, SqlStatement statement, const Tenant& tenant,
                            std::optional<SqlStatement> alongside) {
  std::vector<SqlStatement> batch;
  batch.push_back(std::move(statement));
  if (alongside) batch.push_back(std::move(*alongside));
  const size_t reads = batch.size();
  for (auto& q : TenantState::readQueries(tenant.subdomain, cx.now)) batch.push_back(std::move(q));
  D1BatchResult r = co_await cx.io.batch(std::move(batch));
  Written w;
  if (!r.ok || r.results.size() != reads + 2) {
    w.write.error = r.error.empty() ? "d1 batch returned no results" : r.error;
    co_return w;
  }
  w.write = std::move(r.results[0]);
  TenantState::Kept state =
      TenantState::fromResults(tenant.subdomain, {r.results[reads], r.results[reads + 1]}, cx.now);
  w.stamp = std::move(state.stamp);
  w.tenantRow = std::move(state.row);
  co_return w;
}

Task<void> afterWrite(Context& cx, const Written& w, const Post* post) {
  Json report = {{"stamp", w.stamp.toJson()}, {"tenant", w.tenantRow}};
  auto told = co_await callTenantObject(cx, w.stamp.tenantId, w.stamp.subdomain, "POST", "/state", dumpJson(report));
  if (!told.ok() || told.value.status != 200) {
    // The write stands; the object re-reads D1 within TENANT_STATE_TTL_SECONDS.
    cx.io.log("warn", "TenantDO not told of a write", {{"subdomain", w.stamp.subdomain},
                                                       {"error", told.ok() ? told.value.body : told.error}});
    cx.io.metric("tenant_do.report_failed");
  }
  co_await Content::storeStamp(cx, w.stamp, w.tenantRow);
  if (!post) co_return;
  Content::storeWrittenPost(cx, *post, w.stamp.contentVersion);
  co_await reportPostVersion(cx, *post);
}


HttpResponse methodNotAllowed(std::string allow) {
  HttpResponse r = errorResponse({405, "request.method_not_allowed", "allowed: " + allow, ""});
  r.set("allow", std::move(allow));
  return r;
}

}  // namespace lattice
