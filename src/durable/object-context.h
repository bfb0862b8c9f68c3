// What one Durable Object event (a request to the object, or its alarm) may know: the object's
// class and name, its synchronous storage (Sql), the configuration, time and randomness it was
// given, and the Io through which it performs effects (D1, alarms, logs). Like a Worker request,
// the logic is a coroutine; unlike one, it may also read and write its own SQLite synchronously.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app/config.h"
#include "core/io.h"
#include "core/task.h"
#include "core/time.h"
#include "durable/sql.h"
#include "http/http.h"

namespace lattice {

// A WebSocket event of an object that accepted sockets with the hibernation API: a message
// arrived on, or the client closed, the socket tagged `id`. The socket's attachment (what the
// object stored on it, surviving hibernation) comes with the event.
struct SocketEvent {
  enum class Kind { Message, Close };
  Kind kind = Kind::Message;
  std::string id;
  Json attachment;        // null when the socket carries none
  std::string data;       // a text message (empty for a binary one)
  bool binary = false;
  long long size = 0;     // the message's size in bytes, as received

  // {kind: "message"|"close", id, attachment, data?, binary?, size?}; nullopt when malformed.
  static std::optional<SocketEvent> fromJson(const Json& j);
};

struct ObjectContext {
  Io& io;
  const Config& config;
  Sql& sql;
  std::string className;  // "TenantDO"
  std::string name;       // the name it was addressed by, e.g. "tenant:demo"
  std::optional<HttpRequest> request;  // nullopt: this event is the object's alarm
  UnixMillis now = 0;
  std::string random;  // 64 hex characters of fresh randomness, per event
  std::optional<SocketEvent> socket;  // set (and request unset) for a WebSocket event
};

// WebSockets accepted with the hibernation API (the object may be evicted from memory while they
// stay open; each socket's attachment, at most 2 KiB here, survives). Sockets are named by the
// tag given when accepted. Effects:
//   ws.accept {id, attachment, autoResponse?: [request, response]} -> {ok}
//        accept the request's WebSocket; the event's response must then be a 101. The
//        auto-response pair is answered by the runtime without waking the object.
//   ws.list   {}                              -> {ok, sockets:[{id, attachment}]}  (open ones)
//   ws.send   {to?: id, except?: id, message} -> {ok, sent}   (without `to`: every open socket)
//   ws.attach {id, attachment}                -> {ok}
//   ws.close  {id, code, reason}              -> {ok}
namespace ws {
struct Socket {
  std::string id;
  Json attachment;
};
Task<bool> accept(Io& io, const std::string& id, const Json& attachment, const std::string& autoRequest,
                  const std::string& autoResponse);
Task<std::vector<Socket>> list(Io& io);
// Sends `message` to socket `to`, or to every open socket but `except` when `to` is empty.
Task<void> send(Io& io, const std::string& message, const std::string& to = {}, const std::string& except = {});
Task<void> attach(Io& io, const std::string& id, const Json& attachment);
Task<void> close(Io& io, const std::string& id, int code, const std::string& reason);
}  // namespace ws

// Runs one event of the object named in `ox` (dispatch by class). An unknown class answers 500.
Task<HttpResponse> handleObject(ObjectContext& ox);

// The object's alarm (one per object, as on Workers). Effects:
//   alarm.get    {}   -> {ok, at: ms|null}
//   alarm.set    {at} -> {ok}
//   alarm.delete {}   -> {ok}
namespace alarm {
Task<std::optional<UnixMillis>> get(Io& io);
Task<bool> set(Io& io, UnixMillis at);
Task<bool> remove(Io& io);
// Sets the alarm to `at` unless one is already set no later than that.
Task<bool> setNoLaterThan(Io& io, UnixMillis at);
}  // namespace alarm

}  // namespace lattice
