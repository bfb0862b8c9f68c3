// The Worker's side of the LimiterDO (src/durable/limiter-object.h): platform-wide rate limits
// on reader actions that belong to no single post, one object per limited key
// ("signup:{client address}", "follow:{readerId}").
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "app/context.h"
#include "core/task.h"
#include "http/http.h"

namespace lattice {

// Takes one from `key`'s allowance of `perMinute`. nullopt when allowed; otherwise the answer to
// send: 429 rate.limited with Retry-After ("too many {what}"), or 503 storage.unavailable when
// the limiter could not be asked (fail closed). Call it before anything is written, so that a
// refused action changes nothing.
Task<std::optional<HttpResponse>> takeLimit(Context& cx, std::string key, int perMinute, std::string_view what);

}  // namespace lattice
