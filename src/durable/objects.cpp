#include "durable/object-context.h"

#include "durable/feed-object.h"
#include "durable/limiter-object.h"
#include "durable/post-content-object.h"
#include "durable/post-meta-object.h"
#include "durable/tenant-object.h"
#include "http/errors.h"

namespace lattice {

Task<HttpResponse> handleObject(ObjectContext& ox) {
  if (ox.socket && ox.className != "PostMetaDO" && ox.className != "FeedDO")
    co_return errorResponse({400, "object.no_sockets", "this object accepts no WebSockets", ""});
  if (ox.className == "TenantDO") co_return co_await handleTenantObject(ox);
  if (ox.className == "PostMetaDO") co_return co_await handlePostMetaObject(ox);
  if (ox.className == "PostContentDO") co_return co_await handlePostContentObject(ox);
  if (ox.className == "LimiterDO") co_return co_await handleLimiterObject(ox);
  if (ox.className == "FeedDO") co_return co_await handleFeedObject(ox);
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

std::optional<SocketEvent> SocketEvent::fromJson(const Json& j) {
  if (!j.is_object()) return std::nullopt;
  SocketEvent e;
  const std::string kind = jsonString(j, "kind");
  if (kind == "message") e.kind = Kind::Message;
  else if (kind == "close") e.kind = Kind::Close;
  else return std::nullopt;
  e.id = jsonString(j, "id");
  if (e.id.empty()) return std::nullopt;
  e.attachment = jsonValue(j, "attachment");
  e.data = jsonString(j, "data");
  e.binary = jsonBool(j, "binary");
  e.size = jsonInt(j, "size", static_cast<long long>(e.data.size()));
  return e;
}

namespace ws {

Task<bool> accept(Io& io, const std::string& id, const Json& attachment, const std::string& autoRequest,
                  const std::string& autoResponse) {
  Json effect = {{"kind", "ws.accept"}, {"id", id}, {"attachment", attachment}};
  if (!autoRequest.empty()) effect["autoResponse"] = Json::array({autoRequest, autoResponse});
  Json r = co_await io.perform(std::move(effect));
  co_return jsonBool(r, "ok");
}

Task<std::vector<Socket>> list(Io& io) {
  Json effect = {{"kind", "ws.list"}};
  Json r = co_await io.perform(std::move(effect));
  std::vector<Socket> out;
  const Json sockets = jsonValue(r, "sockets");
  if (sockets.is_array())
    for (const Json& s : sockets) out.push_back(Socket{jsonString(s, "id"), jsonValue(s, "attachment")});
  co_return out;
}

Task<void> send(Io& io, const std::string& message, const std::string& to, const std::string& except) {
  Json effect = {{"kind", "ws.send"}, {"message", message}};
  if (!to.empty()) effect["to"] = to;
  if (!except.empty()) effect["except"] = except;
  co_await io.perform(std::move(effect));
}

Task<void> attach(Io& io, const std::string& id, const Json& attachment) {
  Json effect = {{"kind", "ws.attach"}, {"id", id}, {"attachment", attachment}};
  co_await io.perform(std::move(effect));
}

Task<void> close(Io& io, const std::string& id, int code, const std::string& reason) {
  Json effect = {{"kind", "ws.close"}, {"id", id}, {"code", code}, {"reason", reason}};
  co_await io.perform(std::move(effect));
}

}  // namespace ws

}  // namespace lattice
