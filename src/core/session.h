// Drives one coroutine (a request, an alarm, a scheduled run) effect by effect. Both drivers use
// it: bindings/ exposes it to the shim's interpreter; tests/native/driver.h runs it in-process.
//
// A step is JSON: {"effect": {...}} while the core waits for an effect, or {"response": {...}}
// when it has finished; either may carry "emits" (log lines, metrics).
#pragma once

#include <functional>

#include "core/io.h"
#include "http/http.h"

namespace lattice {

class Session {
 public:
  using Body = std::function<Task<HttpResponse>(Io&)>;

  // Starts `body` and runs it to its first effect (or to completion).
  explicit Session(Body body);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The current step (see above).
  Json step();
  // Resumes the core with the result of the effect it is waiting for; returns the next step.
  Json resume(Json result);
  bool done() const { return task_.done(); }

 private:
  Body body_;  // owns the lambda's captures for as long as the coroutine lives
  Io io_;
  Task<HttpResponse> task_;
};

}  // namespace lattice
