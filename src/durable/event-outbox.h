// Analytics events on their way to D1. The TenantDO appends a request's events to an outbox in
// its own SQLite before it answers, and an alarm flushes the oldest batch to D1's
// analytics_events with INSERT OR IGNORE on an id derived from the event's key, then deletes
// what it sent. A flush repeated after a crash between the D1 write and the delete, or a client
// that resends its events, therefore writes nothing twice.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/io.h"
#include "core/json.h"
#include "durable/sql.h"
#include "http/errors.h"

namespace lattice {

inline constexpr size_t kFlushBatch = 100;        // events per D1 batch
inline constexpr size_t kMaxEventsPerRequest = 100;
inline constexpr size_t kMaxEventDataBytes = 1024;
inline constexpr long long kEventMaxAgeMs = 7LL * 24 * 60 * 60 * 1000;  // `at` at most 7 days old
inline constexpr long long kEventMaxSkewMs = 5LL * 60 * 1000;           // or 5 minutes ahead

struct AnalyticsEvent {
  // The idempotency key: "c:" + the client's id, or "s:" + one derived from the request's
  // randomness, so the two kinds never collide.
  std::string key;
  std::string kind;   // view | read_end | reaction
  std::string slug;   // "" when the event is about no post
  Json data = Json::object();
  long long at = 0;   // Unix ms
};

// Checks a POST of events, {events:[{kind, slug?, id?, at?, data?}]}. `now` is the request time
// and `random` the request's randomness (64 hex chars), from which events without an id get
// their key (the same inputs give the same keys). Codes: request.not_object,
// request.unknown_field (field "events[2].x" inside an event), events.missing (absent, not an
// array, or empty), events.too_many (413, over 100), request.not_object (field "events[2]", an
// event that is not an object), event.kind_invalid, event.slug_invalid, event.id_invalid
// ([A-Za-z0-9_-]{8,64}), event.at_invalid (integer ms within [now - 7 days, now + 5 minutes]),
// event.data_invalid (an object of at most 1 KiB serialised); fields like "events[3].kind".
std::variant<std::vector<AnalyticsEvent>, ApiError> parseEvents(const Json& body, long long now,
                                                               std::string_view random);

// The outbox table of one TenantDO, oldest first.
class EventOutbox {
 public:
  // Creates the tables if they do not exist yet.
  explicit EventOutbox(Sql& sql);

  // Stores the events after those waiting, skipping keys already waiting (and repeats within
  // `events`), in one statement. Returns the number of events now waiting, or -1 when the
  // write failed (then nothing was stored).
  long long append(const std::vector<AnalyticsEvent>& events);
  // The number of events waiting (0 on failure).
  long long pending();
  // Up to `max` of the oldest waiting events, in the order they were appended.
  std::vector<AnalyticsEvent> oldest(size_t max);
  // Deletes the events with these keys (those a flush has written to D1). False on failure.
  bool acknowledge(const std::vector<std::string>& keys);

  // Consecutive failed flushes, for the alarm's backoff.
  int failures();
  // Counts one more failed flush; returns the new count (-1 on failure).
  int recordFailure();
  void resetFailures();

 private:
  Sql& sql_;
};

// One D1 statement per event: INSERT OR IGNORE into analytics_events with id
// tenantId + ":" + key, post_id resolved from the slug within the tenant (NULL when there is no
// such post), payload {slug, data} (slug null when none), occurred_at = at. Run them as one
// batch, then acknowledge the keys.
std::vector<SqlStatement> analyticsInserts(std::string_view tenantId, const std::vector<AnalyticsEvent>& events);

// How long the alarm waits before the next flush after `failures` consecutive failures:
// 1 s, 2 s, 4 s ... doubling, at most 5 minutes; 0 when nothing failed.
long long flushRetryDelayMs(int failures);

}  // namespace lattice
