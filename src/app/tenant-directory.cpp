#include "app/tenant-directory.h"

#include <cctype>

#include "app/routes.h"
#include "cache/keys.h"
#include "cache/store.h"
#include "durable/live.h"
#include "http/errors.h"

namespace lattice {

namespace {
constexpr int kDirectoryTtlSeconds = 86400;  // an entry outlives a deleted tenant by at most this

// A stored id is used only if it looks like one (KV is disposable: anything else is a miss).
bool plausibleId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  return true;
}
}  // namespace

Task<Fetched<std::optional<std::string>>> lookupTenantId(Context& cx, const std::string& subdomain) {
  const std::string key = cache::kvDirectoryKey(subdomain);
  if (auto id = co_await cache::kvGet(cx.io, key); id && plausibleId(*id)) {
    cx.io.metric("cache.dir_hit");
    co_return fetched<std::optional<std::string>>(std::move(*id));
  }
  cx.io.metric("cache.dir_miss");
  SqlStatement q{"SELECT id FROM tenants WHERE subdomain = ?1", Json::array({subdomain})};
  D1Result r = co_await cx.io.query(std::move(q), key);
  if (!r.ok) co_return fetchFailed<std::optional<std::string>>(r.error);
  if (r.rows.empty()) co_return fetched<std::optional<std::string>>(std::nullopt);
  std::string id = jsonString(r.rows[0], "id");
  cx.afterResponse.push_back(cache::kvPut(cx.io, key, id, kDirectoryTtlSeconds));
  co_return fetched<std::optional<std::string>>(std::move(id));
}

void forgetTenantId(Context& cx, const std::string& subdomain) {
  cx.afterResponse.push_back(cache::kvDelete(cx.io, cache::kvDirectoryKey(subdomain)));
}

Task<HttpResponse> connectLive(Context& cx, const char* binding, std::string name, std::string path, Json headers) {
  const HttpRequest& req = cx.request;
  std::string upgrade = req.header("upgrade");
  for (auto& c : upgrade) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (upgrade != "websocket")
    co_return errorResponse({426, "live.upgrade_required", "this route speaks WebSocket only", ""});
  if (!originAllowed(req.header("origin"), req.host))
    co_return errorResponse({403, "live.origin_forbidden", "WebSockets open only from this host's own pages", ""});
  Json effect = {{"kind", "do.connect"},
                 {"binding", binding},
                 {"name", std::move(name)},
                 {"path", std::move(path)},
                 {"headers", std::move(headers)}};
  Json r = co_await cx.io.perform(std::move(effect));
  if (!jsonBool(r, "ok")) co_return storageFailure(cx, "live channel", jsonString(r, "error"));
  HttpResponse out;
  out.status = static_cast<int>(jsonInt(r, "status"));
  if (out.status == 101) {
    if (const std::string protocol = jsonString(r, "protocol"); !protocol.empty())
      out.set("sec-websocket-protocol", protocol);
    cx.io.metric("live.opened");
    co_return out;
  }
  out.body = jsonString(r, "body");
  out.set("content-type", "application/json; charset=utf-8");
  co_return out;
}

Task<Fetched<HttpResponse>> callObject(Context& cx, const char* binding, std::string name, std::string method,
                                       std::string path, Json headers, std::string body) {
  if (!body.empty()) headers["content-type"] = "application/json";
  Json request = {{"method", std::move(method)}, {"path", std::move(path)}, {"headers", std::move(headers)}};
  if (!body.empty()) request["body"] = std::move(body);
  Json effect = {{"kind", "do.call"}, {"binding", binding}, {"name", std::move(name)}, {"request", std::move(request)}};
  Json r = co_await cx.io.perform(std::move(effect));
  if (!jsonBool(r, "ok")) co_return fetchFailed<HttpResponse>(jsonString(r, "error", "Durable Object unreachable"));
  co_return fetched<HttpResponse>(HttpResponse::fromJson(jsonValue(r, "response")));
}

Task<Fetched<HttpResponse>> callTenantObject(Context& cx, const std::string& tenantId, const std::string& subdomain,
                                             std::string method, std::string path, std::string body) {
  Json headers = {{"x-lattice-tenant", tenantId}, {"x-lattice-subdomain", subdomain}};
  co_return co_await callObject(cx, binding::kTenants, "tenant:" + subdomain, std::move(method), std::move(path),
                                std::move(headers), std::move(body));
}

}  // namespace lattice
