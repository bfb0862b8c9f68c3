// Everything one request handler may know: the request, the configuration, the time and
// randomness it was given, and the Io through which it performs effects.
#pragma once

#include <string>
#include <vector>

#include "app/config.h"
#include "core/io.h"
#include "core/task.h"
#include "core/time.h"
#include "http/http.h"

namespace lattice {

struct Context {
  Io& io;
  const Config& config;
  HttpRequest request;
  UnixMillis now = 0;
  std::string random;  // 64 hex characters of fresh randomness from the host, per request
  // Work that may run after the response has been sent (cache fills, stale refreshes): the
  // Worker keeps it alive with ctx.waitUntil. Each is a not-yet-started task.
  std::vector<Task<void>> afterResponse;
  // A cron event (the Worker's `scheduled` handler) rather than an HTTP request: set only from the
  // envelope's "scheduled" member, which no client can send.
  bool scheduled = false;

  // A new random identifier: prefix + 20 hex characters taken from `random`, so that one request
  // can mint a few distinct ids (index 0..2).
  std::string newId(std::string_view prefix, int index = 0) const;
};

}  // namespace lattice
