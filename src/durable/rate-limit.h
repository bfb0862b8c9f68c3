// A durable rate limiter over a Durable Object's Sql, for any object: the PostMetaDO limits
// each reader's reactions, a sign-up limiter each client address.
//
// The algorithm is a token bucket, written as GCRA (the generic cell rate algorithm): a bucket
// of `limit` tokens refilled at limit / windowMs, kept as one number per key, the "theoretical
// arrival time" (TAT) at which the bucket is full again. We chose it over the two-window
// sliding approximation Cloudflare's own rate limiting uses because it is the simpler exact
// thing here: one integer per key instead of two counters and a window start; no estimate from
// weighting the previous window; an exact retry-after (the moment one token is back); and a key
// whose TAT has passed is a full bucket, so pruning is a plain comparison that needs no window.
// What it bounds: a burst of at most `limit`, and in any span of t ms at most
// limit + t * limit / windowMs takes. So a key that bursts and then keeps pace can get up to
// 2 * limit - 1 within one window length (a sliding window would hold it near `limit`); after a
// burst, takes come back one every windowMs / limit, not all at once when a window ends.
//
// A take at `now` is allowed when, after it, the bucket would not be over-full:
//   tat = max(storedTat, now);  allowed iff tat + interval - now <= windowMs
// where interval = windowMs / limit; the allowed take stores tat + interval. Times are kept in
// microseconds so intervals like 60000 / 7 ms stay exact to a microsecond (rounded down, in
// the caller's favour by at most 1 µs per take). A denied take writes nothing.
#pragma once

#include <string>
#include <string_view>

#include "durable/sql.h"
#include "http/http.h"

namespace lattice {

// The longest window a take accepts (keeps microsecond arithmetic far from overflow).
inline constexpr long long kMaxRateWindowMs = 366LL * 24 * 60 * 60 * 1000;

struct Decision {
  bool allowed = false;
  int remaining = 0;           // further takes allowed at this same `now`
  long long retryAfterMs = 0;  // when denied: how long until one take is allowed; 0 when allowed
  std::string error;           // non-empty when the limiter could not decide (then denied)
};

// One table of limits, kept in the object's own SQLite. Every method runs within one
// synchronous DO step, so a take's read and write are atomic.
class RateLimiter {
 public:
  // `table` goes into SQL text, so it must be 1-40 of [a-z_] and must not start with "sqlite_"
  // or "_cf_" (names SQLite and Durable Objects reserve); with another name the table is not
  // created and every take is denied with an error. Creates the table if it does not exist.
  RateLimiter(Sql& sql, std::string table);

  static bool validTableName(std::string_view table);

  // Takes one from `key`'s allowance of `limit` per `windowMs` at `now` (Unix ms). A limit below
  // 1 or a window outside [1, kMaxRateWindowMs] denies (retryAfterMs 1000, with an error); so
  // does a failed statement (fail closed: what the limiter guards writes to the same storage,
  // which is failing too).
  Decision take(std::string_view key, int limit, long long windowMs, long long now);

  // Deletes the rows of keys whose bucket is full again at `now` (idle for at least a window
  // since their last take): such a row means the same as no row. False on failure.
  bool prune(long long now);

 private:
  Sql& sql_;
  bool valid_;
  std::string select_;
  std::string upsert_;
  std::string prune_;
};

// Whole seconds for a Retry-After header: retryAfterMs rounded up, at least 1.
int retryAfterSeconds(const Decision& decision);

// The answer to a denied take: 429 rate.limited ("too many {what}; retry in N s") with
// Retry-After: N.
HttpResponse rateLimitedResponse(const Decision& decision, std::string_view what);

}  // namespace lattice
