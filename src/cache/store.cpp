#include "cache/store.h"

namespace lattice::cache {

namespace {
void failed(Io& io, const char* what, const std::string& key, const Json& result) {
  io.log("warn", "cache effect failed", {{"effect", what}, {"key", key}, {"error", jsonString(result, "error")}});
  io.metric("cache.error");
}
}  // namespace

// (Effects are built before co_await: g++ 12 mishandles braced literals inside co_await.)
Task<std::optional<std::string>> kvGet(Io& io, std::string key) {
  Json effect = {{"kind", "kv.get"}, {"binding", binding::kCacheKv}, {"key", key}};
  Json r = co_await io.perform(std::move(effect));
  if (!jsonBool(r, "ok")) {
    failed(io, "kv.get", key, r);
    co_return std::nullopt;
  }
  auto value = r.find("value");
  if (value == r.end() || !value->is_string()) co_return std::nullopt;
  co_return value->get<std::string>();
}

Task<void> kvPut(Io& io, std::string key, std::string value, int ttlSeconds) {
  Json effect = {{"kind", "kv.put"}, {"binding", binding::kCacheKv}, {"key", key}, {"value", std::move(value)},
                 {"ttl", ttlSeconds}};
  Json r = co_await io.perform(std::move(effect));
  if (!jsonBool(r, "ok")) failed(io, "kv.put", key, r);
}

Task<void> kvDelete(Io& io, std::string key) {
  Json effect = {{"kind", "kv.delete"}, {"binding", binding::kCacheKv}, {"key", key}};
  Json r = co_await io.perform(std::move(effect));
  if (!jsonBool(r, "ok")) failed(io, "kv.delete", key, r);
}

Task<std::optional<HttpResponse>> edgeMatch(Io& io, std::string url) {
  Json effect = {{"kind", "cache.match"}, {"url", url}};
  Json r = co_await io.perform(std::move(effect));
  if (!jsonBool(r, "ok")) {
    failed(io, "cache.match", url, r);
    co_return std::nullopt;
  }
  auto response = r.find("response");
  if (response == r.end() || !response->is_object()) co_return std::nullopt;
  co_return HttpResponse::fromJson(*response);
}

Task<void> edgePut(Io& io, std::string url, HttpResponse response) {
  Json effect = {{"kind", "cache.put"}, {"url", url}, {"response", response.toJson()}};
  Json r = co_await io.perform(std::move(effect));
  if (!jsonBool(r, "ok")) failed(io, "cache.put", url, r);
}

Task<void> edgeDelete(Io& io, std::string url) {
  Json effect = {{"kind", "cache.delete"}, {"url", url}};
  Json r = co_await io.perform(std::move(effect));
  if (!jsonBool(r, "ok")) failed(io, "cache.delete", url, r);
}

}  // namespace lattice::cache
