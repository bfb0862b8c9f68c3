// The cache effects, typed: KV and the location's Cache API. A failing cache is a miss, never an
// error for the reader (the source of truth is D1); failures are logged and counted.
#pragma once

#include <optional>
#include <string>

#include "core/io.h"
#include "core/task.h"
#include "http/http.h"

namespace lattice::cache {

Task<std::optional<std::string>> kvGet(Io& io, std::string key);
Task<void> kvPut(Io& io, std::string key, std::string value, int ttlSeconds);
Task<void> kvDelete(Io& io, std::string key);

Task<std::optional<HttpResponse>> edgeMatch(Io& io, std::string url);
// Stores `response` as it is; its Cache-Control decides how long the location keeps it.
Task<void> edgePut(Io& io, std::string url, HttpResponse response);
Task<void> edgeDelete(Io& io, std::string url);

}  // namespace lattice::cache
