// LimiterDO: platform-wide rate limits that belong to no tenant, one object per limited key,
// named "{purpose}:{key}" ("signup:{client address}" for POST /api/readers, "follow:{readerId}"
// for Meadow follows and unfollows; the Worker's side is src/app/limiter-client.h). One object per
// key spreads the load and keeps each decision a single synchronous step on the object's own
// SQLite (src/durable/rate-limit.h).
//
// Internal route (the Worker is the only caller):
//   POST /take {limit, windowMs} -> 200 {allowed, remaining, retryAfterMs}
//        400 object.limit_invalid when limit is not 1-100000 or windowMs not 1 ms - 1 day.
// The object's alarm prunes its table once the bucket is full again, so an idle key's object
// holds no rows.
#pragma once

#include "core/task.h"
#include "durable/object-context.h"
#include "http/http.h"

namespace lattice {

Task<HttpResponse> handleLimiterObject(ObjectContext& ox);

}  // namespace lattice
