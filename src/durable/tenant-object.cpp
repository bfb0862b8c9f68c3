#include "durable/tenant-object.h"

#include "app/routes.h"
#include "blog/post-input.h"
#include "blog/tenant-input.h"
#include "blog/tenant.h"
#include "durable/drafts.h"
#include "durable/event-outbox.h"
#include "durable/tenant-state.h"
#include "http/errors.h"
#include "http/json-body.h"

namespace lattice {

namespace {

Json stateJson(const TenantState::Kept& kept) {
  Json out = Json::object();
  out["stamp"] = kept.stamp.toJson();
  out["tenant"] = kept.row;
  return out;
}

// The tenant's state, re-read from D1 (stamp and row in one batch) when the kept copy is stale.
// If D1 fails, a stale copy is better than none; without one, nullopt.
Task<std::optional<TenantState::Kept>> currentState(ObjectContext& ox, TenantState& state,
                                                    const std::string& subdomain) {
  auto kept = state.get();
  if (kept && kept->fresh(ox.now, ox.config.tenantStateTtl)) co_return kept;
  // Concurrent requests to a cold object share one read (coalesced by the driver).
  D1BatchResult r = co_await ox.io.batch(TenantState::readQueries(subdomain, ox.now), "state:" + subdomain);
  if (!r.ok || r.results.size() != 2) {
    ox.io.log("warn", "tenant state read failed", {{"subdomain", subdomain}, {"error", r.error}});
    co_return kept;
  }
  ox.io.metric("tenant_do.state_read");
  TenantState::Kept read = TenantState::fromResults(subdomain, r.results, ox.now);
  state.keep(read.row, read.stamp, ox.now);  // refused if a newer write reported meanwhile
  auto now = state.get();
  co_return now ? now : std::optional<TenantState::Kept>(std::move(read));
}

Task<HttpResponse> getState(ObjectContext& ox, TenantState& state, const std::string& subdomain) {
  auto kept = co_await currentState(ox, state, subdomain);
  if (!kept) co_return errorResponse({503, "storage.unavailable", "the tenant's state could not be read", ""});
  co_return jsonResponse(200, stateJson(*kept));
}

Task<HttpResponse> reportState(ObjectContext& ox, TenantState& state) {
  auto body = co_await readJsonBody(ox.io, *ox.request, 64 << 10);
  if (auto* failure = std::get_if<HttpResponse>(&body)) co_return std::move(*failure);
  const Json& j = std::get<Json>(body);
  auto stamp = cache::Stamp::fromJson(jsonValue(j, "stamp"));
  if (!stamp) co_return errorResponse({400, "object.stamp_invalid", "a stamp is required", "stamp"});
  const bool kept = state.keep(jsonValue(j, "tenant"), *stamp, ox.now);
  co_return jsonResponse(200, {{"kept", kept}});
}

HttpResponse draftNotFound(std::string_view slug) {
  return errorResponse({404, "draft.not_found", "there is no draft '" + std::string(slug) + "'", ""});
}

// 409 with the server's copy (null when it was deleted or published elsewhere), so the device
// can show both versions.
HttpResponse draftConflict(const std::optional<Draft>& server) {
  HttpResponse r = errorResponse({409, "draft.conflict",
                                  server ? "the draft changed on another device (now at revision " +
                                               std::to_string(server->revision) + ")"
                                         : "the draft was published or deleted on another device",
                                  "baseRevision"});
  Json body = *parseJson(r.body);
  body["draft"] = server ? server->toJson(true) : Json(nullptr);
  r.body = dumpJson(body);
  return r;
}

Task<HttpResponse> saveDraft(ObjectContext& ox, TenantState& state, DraftStore& drafts,
                             const std::string& subdomain, const std::string& slug) {
  auto body = co_await readJsonBody(ox.io, *ox.request, ox.config.maxMarkdownBytes + ox.config.maxJsonOverheadBytes);
  if (auto* failure = std::get_if<HttpResponse>(&body)) co_return std::move(*failure);
  auto kept = co_await currentState(ox, state, subdomain);
  if (!kept || kept->row.is_null())
    co_return errorResponse({503, "storage.unavailable", "the tenant's limits could not be read", ""});
  const size_t limit = draftLimitBytes(Tenant::fromRow(kept->row), ox.config.maxMarkdownBytes);
  auto input = parseDraftSave(std::get<Json>(body), limit);
  if (auto* error = std::get_if<ApiError>(&input)) co_return errorResponse(*error);
  // From here to the response nothing is awaited: the read-compare-write of the revision is
  // atomic, and it commits with this step.
  SaveOutcome out = drafts.save(slug, std::get<DraftSave>(input), ox.now);
  switch (out.kind) {
    case SaveOutcome::Kind::Created:
      co_return jsonResponse(201, {{"draft", out.draft.toJson(false)}});
    case SaveOutcome::Kind::Saved:
    case SaveOutcome::Kind::Replayed:
      co_return jsonResponse(200, {{"draft", out.draft.toJson(false)}});
    case SaveOutcome::Kind::Conflict: {
      std::optional<Draft> server;
      if (out.serverHasDraft) server = out.draft;
      co_return draftConflict(server);
    }
    case SaveOutcome::Kind::Failed:
      break;
  }
  ox.io.log("error", "draft save failed", {{"slug", slug}, {"error", out.error}});
  co_return errorResponse({503, "storage.unavailable", "the draft could not be saved; retry shortly", ""});
}

Task<HttpResponse> deleteDraft(ObjectContext& ox, DraftStore& drafts, const std::string& slug) {
  std::optional<long long> ifRevision;
  if (ox.request->queryParam("revision")) {
    auto v = ox.request->intParam("revision", 0, 1, 999999);
    if (!v) co_return errorResponse({400, "draft.revision_invalid", "revision must be a positive integer", "revision"});
    ifRevision = *v;
  }
  auto current = drafts.get(slug);
  if (!current) co_return draftNotFound(slug);
  if (ifRevision && *ifRevision != current->revision) co_return draftConflict(current);
  drafts.remove(slug, ifRevision);
  HttpResponse r;
  r.status = 204;
  r.set("cache-control", "private, no-store");
  co_return r;
}

Task<HttpResponse> draftsRoute(ObjectContext& ox, TenantState& state, const std::string& subdomain,
                               const std::vector<std::string>& segments) {
  DraftStore drafts(ox.sql);
  const std::string& method = ox.request->method;
  if (segments.size() == 1) {
    if (method != "GET") co_return errorResponse({405, "request.method_not_allowed", "allowed: GET", ""});
    Json list = Json::array();
    for (const Draft& d : drafts.list()) list.push_back(d.toJson(false));
    co_return jsonResponse(200, {{"drafts", std::move(list)}});
  }
  const std::string& slug = segments[1];
  if (!validSlug(slug)) co_return draftNotFound(slug);
  if (method == "GET") {
    auto d = drafts.get(slug);
    if (!d) co_return draftNotFound(slug);
    co_return jsonResponse(200, {{"draft", d->toJson(true)}});
  }
  if (method == "PUT") co_return co_await saveDraft(ox, state, drafts, subdomain, slug);
  if (method == "DELETE") co_return co_await deleteDraft(ox, drafts, slug);
  co_return errorResponse({405, "request.method_not_allowed", "allowed: GET, PUT, DELETE", ""});
}

Task<HttpResponse> appendEvents(ObjectContext& ox) {
  auto body = co_await readJsonBody(ox.io, *ox.request, ox.config.maxEventsBodyBytes);
  if (auto* failure = std::get_if<HttpResponse>(&body)) co_return std::move(*failure);
  auto events = parseEvents(std::get<Json>(body), ox.now, ox.random);
  if (auto* error = std::get_if<ApiError>(&events)) co_return errorResponse(*error);
  const auto& list = std::get<std::vector<AnalyticsEvent>>(events);
  EventOutbox outbox(ox.sql);
  const long long pending = outbox.append(list);  // committed with this step, before the reply
  // A full batch is flushed at once; otherwise within EVENTS_FLUSH_SECONDS.
  const UnixMillis flushAt = pending >= static_cast<long long>(kFlushBatch)
                                 ? ox.now
                                 : ox.now + UnixMillis(ox.config.eventsFlushSeconds) * 1000;
  if (!co_await alarm::setNoLaterThan(ox.io, flushAt))
    ox.io.log("warn", "could not set the flush alarm", {{"pending", pending}});
  co_return jsonResponse(202, {{"accepted", list.size()}, {"pending", pending}});
}

// The alarm: moves the outbox to D1 in batches. Each batch is written with INSERT OR IGNORE on
// the event key and deleted from the outbox only after D1 said yes, so a crash in between or a
// second run writes nothing twice. If D1 fails, the alarm is re-armed with backoff.
constexpr int kBatchesPerAlarm = 10;

Task<HttpResponse> flushEvents(ObjectContext& ox, TenantState& state) {
  HttpResponse done = jsonResponse(200, {{"ok", true}});
  auto who = state.identity();
  if (!who) co_return done;
  EventOutbox outbox(ox.sql);
  for (int round = 0; round < kBatchesPerAlarm; ++round) {
    std::vector<AnalyticsEvent> batch = outbox.oldest(kFlushBatch);
    if (batch.empty()) co_return done;
    D1BatchResult r = co_await ox.io.batch(analyticsInserts(who->first, batch));
    if (!r.ok) {
      const int failures = outbox.recordFailure();
      const UnixMillis retryAt = ox.now + flushRetryDelayMs(failures);
      ox.io.log("warn", "analytics flush failed; retrying",
                {{"tenant", who->second}, {"error", r.error}, {"failures", failures}, {"retry_at", retryAt}});
      ox.io.metric("events.flush_failed");
      co_await alarm::set(ox.io, retryAt);
      co_return done;
    }
    std::vector<std::string> keys;
    keys.reserve(batch.size());
    for (const auto& e : batch) keys.push_back(e.key);
    outbox.acknowledge(keys);
    outbox.resetFailures();
    ox.io.metric("events.flushed", static_cast<double>(batch.size()));
  }
  if (outbox.pending() > 0) co_await alarm::set(ox.io, ox.now);  // more: go on in a new alarm
  co_return done;
}

}  // namespace

Task<HttpResponse> handleTenantObject(ObjectContext& ox) {
  TenantState state(ox.sql);
  if (!ox.request) co_return co_await flushEvents(ox, state);
  const HttpRequest& req = *ox.request;
  const std::string tenantId = req.header("x-lattice-tenant");
  const std::string subdomain = req.header("x-lattice-subdomain");
  if (tenantId.empty() || subdomain.empty())
    co_return errorResponse({400, "object.tenant_missing", "x-lattice-tenant and x-lattice-subdomain are required", ""});
  state.identify(tenantId, subdomain);
  auto segments = pathSegments(req.path);
  if (!segments || segments->empty()) co_return errorResponse({404, "route.not_found", "no such object route", ""});
  const std::string& head = (*segments)[0];
  if (head == "state" && segments->size() == 1) {
    if (req.method == "GET") co_return co_await getState(ox, state, subdomain);
    if (req.method == "POST") co_return co_await reportState(ox, state);
  }
  if (head == "drafts" && segments->size() <= 2) co_return co_await draftsRoute(ox, state, subdomain, *segments);
  if (head == "events" && segments->size() == 1 && req.method == "POST") co_return co_await appendEvents(ox);
  if (head == "events" && segments->size() == 1 && req.method == "GET") {
    EventOutbox outbox(ox.sql);  // for operators and tests: what is waiting
    co_return jsonResponse(200, {{"pending", outbox.pending()}, {"failures", outbox.failures()}});
  }
  co_return errorResponse({404, "route.not_found", "no such object route", ""});
}

}  // namespace lattice
