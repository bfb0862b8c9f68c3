// What one Durable Object event (a request to the object, or its alarm) may know: the object's
// class and name, its synchronous storage (Sql), the configuration, time and randomness it was
// given, and the Io through which it performs effects (D1, alarms, logs). Like a Worker request,
// the logic is a coroutine; unlike one, it may also read and write its own SQLite synchronously.
#pragma once

#include <optional>
#include <string>

#include "app/config.h"
#include "core/io.h"
#include "core/task.h"
#include "core/time.h"
#include "durable/sql.h"
#include "http/http.h"

namespace lattice {

struct ObjectContext {
  Io& io;
  const Config& config;
  Sql& sql;
  std::string className;  // "TenantDO"
  std::string name;       // the name it was addressed by, e.g. "tenant:demo"
  std::optional<HttpRequest> request;  // nullopt: this event is the object's alarm
  UnixMillis now = 0;
  std::string random;  // 64 hex characters of fresh randomness, per event
};

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
