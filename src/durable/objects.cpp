#include "durable/object-context.h"

#include "durable/post-content-object.h"
#include "durable/tenant-object.h"
#include "http/errors.h"

namespace lattice {

Task<HttpResponse> handleObject(ObjectContext& ox) {
  if (ox.className == "TenantDO") co_return co_await handleTenantObject(ox);
  if (ox.className == "PostContentDO") co_return co_await handlePostContentObject(ox);
  co_return errorResponse({500, "object.unknown_class", "no Durable Object class '" + ox.className + "'", ""});
}

namespace alarm {

Task<std::optional<UnixMillis>> get(Io& io) {
  Json effect = {{"kind", "alarm.get"}};
  Json r = co_await io.perform(std::move(effect));
  std::optional<UnixMillis> at;
  if (auto it = r.find("at"); it != r.end() && it->is_number()) at = it->get<UnixMillis>();
  co_return at;
}

Task<bool> set(Io& io, UnixMillis at) {
  Json effect = {{"kind", "alarm.set"}, {"at", at}};
  Json r = co_await io.perform(std::move(effect));
  co_return jsonBool(r, "ok");
}

Task<bool> remove(Io& io) {
  Json effect = {{"kind", "alarm.delete"}};
  Json r = co_await io.perform(std::move(effect));
  co_return jsonBool(r, "ok");
}

Task<bool> setNoLaterThan(Io& io, UnixMillis at) {
  std::optional<UnixMillis> current = co_await get(io);
  if (current && *current <= at) co_return true;
  co_return co_await set(io, at);
}

}  // namespace alarm

}  // namespace lattice
