#include "app/engine.h"

#include "app/app.h"
#include "app/context.h"
#include "core/session.h"
#include "durable/object-context.h"
#include "http/errors.h"

namespace lattice {

struct Engine::Active {
  HttpRequest request;
  UnixMillis now = 0;
  std::string random;
  std::unique_ptr<Context> cx;
  std::unique_ptr<Sql> sql;                // Durable Object events only
  std::unique_ptr<ObjectContext> ox;       // Durable Object events only
  std::unique_ptr<Session> session;
};

Engine::Engine(Config config) : config_(std::move(config)) {}
Engine::~Engine() = default;
void Engine::cancel(long long id) { active_.erase(id); }

Json Engine::begin(const Json& envelope) {
  const long long id = nextId_++;
  // A cron event ({scheduled: {cron}, now, random}) runs as a request no client can make.
  const bool scheduled = envelope.is_object() && envelope.contains("scheduled") && envelope["scheduled"].is_object();
  Json scheduledRequest = {{"method", "POST"}, {"url", "https://scheduled.invalid/__scheduled"}, {"headers", Json::object()}};
  auto request = scheduled ? HttpRequest::fromJson(scheduledRequest)
                 : envelope.is_object() && envelope.contains("request")
                     ? HttpRequest::fromJson(envelope["request"])
                     : std::nullopt;
  if (!request) {
    Json step = {{"response", errorResponse({400, "request.malformed", "the request could not be understood", ""}).toJson()}};
    step["id"] = id;
    return step;
  }
  auto active = std::make_unique<Active>();
  Active* a = active.get();
  a->request = std::move(*request);
  a->now = jsonInt(envelope, "now");
  a->random = jsonString(envelope, "random");
  active_[id] = std::move(active);
  a->session = std::make_unique<Session>([this, a, scheduled](Io& io) {
    a->cx = std::make_unique<Context>(Context{io, config_, a->request, a->now, a->random, {}});
    a->cx->scheduled = scheduled;
    return handleRequest(*a->cx);
  });
  return finish(id, a->session->step());
}

Json Engine::beginObject(const Json& envelope, std::unique_ptr<Sql> sql) {
  const long long id = nextId_++;
  const Json object = jsonValue(envelope, "object");
  std::optional<HttpRequest> request;
  if (envelope.is_object() && envelope.contains("request") && !envelope["request"].is_null()) {
    request = HttpRequest::fromJson(envelope["request"]);
    if (!request || !sql) {
      Json step = {{"response", errorResponse({400, "request.malformed", "the request could not be understood", ""}).toJson()}};
      step["id"] = id;
      return step;
    }
  }
  std::optional<SocketEvent> socket;
  if (envelope.is_object() && envelope.contains("socket") && !envelope["socket"].is_null()) {
    socket = SocketEvent::fromJson(envelope["socket"]);
    if (!socket || request || !sql) {
      Json step = {{"response", errorResponse({400, "request.malformed", "the socket event could not be understood", ""}).toJson()}};
      step["id"] = id;
      return step;
    }
  }
  auto active = std::make_unique<Active>();
  Active* a = active.get();
  a->now = jsonInt(envelope, "now");
  a->random = jsonString(envelope, "random");
  a->sql = std::move(sql);
  active_[id] = std::move(active);
  a->session = std::make_unique<Session>([this, a, object, request = std::move(request),
                                          socket = std::move(socket)](Io& io) {
    a->ox = std::make_unique<ObjectContext>(ObjectContext{io, config_, *a->sql, jsonString(object, "class"),
                                                          jsonString(object, "name"), request, a->now, a->random,
                                                          socket});
    return handleObject(*a->ox);
  });
  return finish(id, a->session->step());
}

Json Engine::resume(long long id, const Json& result) {
  auto it = active_.find(id);
  if (it == active_.end()) {
    return {{"id", id},
            {"response", errorResponse({500, "engine.unknown_session", "no such request in progress", ""}).toJson()}};
  }
  return finish(id, it->second->session->resume(result));
}

Json Engine::finish(long long id, Json step) {
  step["id"] = id;
  if (step.contains("response")) active_.erase(id);
  return step;
}

}  // namespace lattice
