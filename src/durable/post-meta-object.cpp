#include "durable/post-meta-object.h"

#include <algorithm>

#include "app/routes.h"
#include "durable/comments.h"
#include "durable/event-outbox.h"
#include "durable/live.h"
#include "durable/rate-limit.h"
#include "durable/reactions.h"
#include "durable/views.h"
#include "http/errors.h"
#include "http/json-body.h"

namespace lattice {

namespace {

constexpr long long kMinuteMs = 60 * 1000;
constexpr size_t kMaxVisitorsPerReport = 100;
constexpr size_t kMaxVisitorKeyBytes = 512;
constexpr size_t kCatchUpMax = 200;          // events a reconnecting socket may catch up on
constexpr size_t kMaxSockets = 10000;        // open sockets per post; more get 503
constexpr int kFlushRoundsPerAlarm = 10;     // comment batches per alarm run
const char* const kPing = R"({"type":"ping"})";
const char* const kPong = R"({"type":"pong"})";

// The object's own small facts, in its SQLite: which post it is (so the alarm knows), when the
// reaction counts are next due in D1, and how many flushes failed in a row (for backoff).
class MetaState {
 public:
  explicit MetaState(Sql& sql) : sql_(sql) {
    sql_.exec("CREATE TABLE IF NOT EXISTS post_meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID");
  }
  std::string text(std::string_view key) {
    SqlRows r = sql_.exec("SELECT value FROM post_meta WHERE key = ?1", Json::array({std::string(key)}));
    if (!r.ok || r.rows.empty()) return "";
    const Json& v = r.rows[0]["value"];
    return v.is_string() ? v.get<std::string>() : "";
  }
  long long number(std::string_view key) {
    SqlRows r = sql_.exec("SELECT value FROM post_meta WHERE key = ?1", Json::array({std::string(key)}));
    if (!r.ok || r.rows.empty() || !r.rows[0]["value"].is_number()) return 0;
    return r.rows[0]["value"].get<long long>();
  }
  void set(std::string_view key, const Json& value) {
    sql_.exec("INSERT INTO post_meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
              Json::array({std::string(key), value}));
  }
  void identify(const std::string& tenantId, const std::string& postId) {
    if (text("tenant_id") != tenantId) set("tenant_id", tenantId);
    if (text("post_id") != postId) set("post_id", postId);
  }

 private:
  Sql& sql_;
};

struct Caller {
  std::string tenantId;
  std::string postId;
  std::string readerId;
  std::string readerName;
  bool owner = false;
};

HttpResponse readerRequired() {
  return errorResponse({401, "reader.missing_token", "this needs a reader token (POST /api/readers)", ""});
}

// Appends an event to the live log and sends it to every open socket.
Task<long long> publish(ObjectContext& ox, std::string_view type, const Json& payload) {
  LiveLog log(ox.sql);
  const long long seq = log.append(type, payload, ox.now);
  if (seq < 0) {
    ox.io.log("warn", "live log append failed", {{"object", ox.name}, {"type", std::string(type)}});
    co_return seq;
  }
  if (seq % 64 == 0) log.prune(kLiveLogKeep);
  Json event = payload;
  event["seq"] = seq;
  event["type"] = std::string(type);
  event["at"] = ox.now;
  co_await ws::send(ox.io, dumpJson(event));
  co_return seq;
}

// The presence message now: the distinct readers among the open sockets but `leaving`.
Task<std::string> presenceNow(ObjectContext& ox, const std::string& leaving = {}) {
  std::vector<ws::Socket> sockets = co_await ws::list(ox.io);
  std::vector<SocketState> states;
  for (const auto& s : sockets) {
    if (s.id == leaving) continue;
    auto state = SocketState::fromJson(s.attachment);
    states.push_back(state ? *state : SocketState{});
  }
  co_return dumpJson(presenceMessage(countReaders(states), LiveLog(ox.sql).lastSeq()));
}

// Presence, sent to every open socket but `leaving`.
Task<void> publishPresence(ObjectContext& ox, const std::string& leaving = {}) {
  const std::string message = co_await presenceNow(ox, leaving);
  co_await ws::send(ox.io, message, {}, leaving);
}

// The alarm is the only way buffered state reaches D1; each change asks for it no later than
// its own deadline. (Task<bool>, and the await outside the `if`: g++ 12 loses the suspension of
// a Task<void> that awaits inside an if-condition.)
Task<bool> flushNoLaterThan(ObjectContext& ox, UnixMillis at) {
  const bool set = co_await alarm::setNoLaterThan(ox.io, at);
  if (!set) ox.io.log("warn", "could not set the flush alarm", {{"object", ox.name}});
  co_return set;
}

// ---- reactions ----

Task<HttpResponse> toggleReaction(ObjectContext& ox, const Caller& caller, const Json& body) {
  if (caller.readerId.empty()) co_return readerRequired();
  auto parsed = parseReactionToggle(body);
  if (auto* error = std::get_if<ApiError>(&parsed)) co_return errorResponse(*error);
  const ReactionToggle& t = std::get<ReactionToggle>(parsed);
  RateLimiter limiter(ox.sql, "reaction_limits");
  Decision d = limiter.take(caller.readerId, ox.config.reactionsPerMinute, kMinuteMs, ox.now);
  if (!d.allowed) {
    if (!d.error.empty()) co_return errorResponse({503, "storage.unavailable", "reactions are unavailable; retry shortly", ""});
    co_return rateLimitedResponse(d, "reactions");
  }
  ReactionStore store(ox.sql);
  ToggleOutcome out = store.toggle(caller.readerId, t.type, t.requestId, ox.now);
  if (!out.ok) {
    if (out.error == kReactionRequestIdReused)
      co_return errorResponse({422, std::string(kReactionRequestIdReused),
                               "this requestId was used for another reaction", "requestId"});
    ox.io.log("error", "reaction toggle failed", {{"object", ox.name}, {"error", out.error}});
    co_return errorResponse({503, "storage.unavailable", "the reaction could not be saved; retry shortly", ""});
  }
  Json answer = {{"type", t.type}, {"active", out.active}, {"counts", out.counts}, {"replayed", out.replayed}};
  if (!out.replayed) {
    // Committed with this step, before anything is sent: what readers see is durable.
    MetaState meta(ox.sql);
    UnixMillis due = meta.number("reactions_due_at");
    if (due <= 0) {
      due = ox.now + UnixMillis(ox.config.reactionsFlushSeconds) * 1000;
      meta.set("reactions_due_at", due);
    }
    Json payload = {{"counts", out.counts}};
    co_await publish(ox, "reactions", payload);
    co_await flushNoLaterThan(ox, due);
  }
  co_return jsonResponse(200, answer);
}

// ---- comments ----

Task<HttpResponse> addComment(ObjectContext& ox, const Caller& caller, const Json& body) {
  if (caller.readerId.empty()) co_return readerRequired();
  auto parsed = parseCommentInput(body);
  if (auto* error = std::get_if<ApiError>(&parsed)) co_return errorResponse(*error);
  const CommentInput& input = std::get<CommentInput>(parsed);
  CommentStore store(ox.sql);
  RateLimiter limiter(ox.sql, "comment_limits");
  Decision d = limiter.take(caller.readerId, ox.config.commentsPerMinute, kMinuteMs, ox.now);
  if (!d.allowed) {
    // A retry of a comment already stored is answered as a replay, limit or not.
    if (auto earlier = store.replayOf(caller.readerId, input.requestId)) {
      Json replayed = {{"comment", earlier->toJson(caller.owner)}};
      co_return jsonResponse(200, replayed);
    }
    if (!d.error.empty()) co_return errorResponse({503, "storage.unavailable", "comments are unavailable; retry shortly", ""});
    co_return rateLimitedResponse(d, "comments");
  }
  AddOutcome out = store.add(input, caller.readerId, caller.readerName, "c_" + ox.random.substr(0, 24), ox.now);
  switch (out.kind) {
    case AddOutcome::Kind::Invalid:
    case AddOutcome::Kind::Failed:
      if (out.kind == AddOutcome::Kind::Failed)
        ox.io.log("error", "comment store failed", {{"object", ox.name}, {"error", out.error.message}});
      co_return errorResponse(out.error);
    case AddOutcome::Kind::Replayed: {
      Json replayed = {{"comment", out.comment.toJson(caller.owner)}};
      co_return jsonResponse(200, replayed);
    }
    case AddOutcome::Kind::Created:
      break;
  }
  Json payload = {{"comment", out.comment.toJson(false)}};
  co_await publish(ox, "comment", payload);
  co_await flushNoLaterThan(ox, ox.now + UnixMillis(ox.config.commentsFlushSeconds) * 1000);
  Json created = {{"comment", out.comment.toJson(caller.owner)}};
  co_return jsonResponse(201, created);
}

Task<HttpResponse> hideComment(ObjectContext& ox, const Caller& caller, const std::string& id, const Json& body) {
  if (!caller.owner) co_return errorResponse({403, "auth.owner_required", "only the blog's owner can hide comments", ""});
  const Json hidden = jsonValue(body, "hidden");
  if (!body.is_object() || body.size() != 1 || !hidden.is_boolean())
    co_return errorResponse({400, "comment.hidden_invalid", "the body must be {\"hidden\": true|false}", "hidden"});
  CommentStore store(ox.sql);
  auto current = store.find(id);
  if (!current) co_return errorResponse({404, "comment.not_found", "there is no such comment", ""});
  if (current->hidden != hidden.get<bool>()) {
    if (!store.hide(id, hidden.get<bool>()))
      co_return errorResponse({503, "storage.unavailable", "the comment could not be changed; retry shortly", ""});
    current->hidden = hidden.get<bool>();
    Json payload = {{"comment", current->toJson(false)}};
    co_await publish(ox, "comment_update", payload);
    co_await flushNoLaterThan(ox, ox.now + UnixMillis(ox.config.commentsFlushSeconds) * 1000);
  }
  Json answer = {{"comment", current->toJson(true)}};
  co_return jsonResponse(200, answer);
}

Task<HttpResponse> listComments(ObjectContext& ox, const Caller& caller) {
  const HttpRequest& req = *ox.request;
  auto limit = req.intParam("limit", 50, 1, kMaxCommentPage);
  if (!limit) co_return errorResponse({400, "comment.limit_invalid", "limit must be 1-100", "limit"});
  CommentStore store(ox.sql);
  CommentPage page = store.page(req.queryParam("cursor"), *limit, caller.owner);
  if (page.error) co_return errorResponse(*page.error);
  co_return jsonResponse(200, page.toJson());
}

// ---- views ----

// VIEWS_FLUSH_SECONDS (an hour by default): how long views wait in the object before D1.
UnixMillis viewsFlushMs(const ObjectContext& ox) { return UnixMillis(ox.config.viewsFlushSeconds) * 1000; }

Task<HttpResponse> recordViews(ObjectContext& ox, const Json& body) {
  const Json count = jsonValue(body, "count");
  const Json visitors = jsonValue(body, "visitors");
  if (!count.is_number_integer() || count.get<long long>() < 1 || count.get<long long>() > 1000 ||
      !visitors.is_array() || visitors.size() > kMaxVisitorsPerReport)
    co_return errorResponse({400, "views.invalid", "count must be 1-1000 and visitors an array of at most 100", ""});
  std::vector<std::string> keys;
  for (const Json& v : visitors) {
    if (!v.is_string() || v.get_ref<const std::string&>().size() > kMaxVisitorKeyBytes)
      co_return errorResponse({400, "views.invalid", "visitor keys are strings of at most 512 bytes", "visitors"});
    keys.push_back(v.get<std::string>());
  }
  // How the Worker served the view, for the dashboard (optional: a report without it counts the
  // view as uncached with no D1 query).
  ViewOutcome outcome;
  const Json cache = jsonValue(body, "cache");
  const Json d1 = jsonValue(body, "d1");
  if ((!cache.is_null() && (!cache.is_string() || cache.get_ref<const std::string&>().size() > 32)) ||
      (!d1.is_null() && (!d1.is_number_integer() || d1.get<long long>() < 0 || d1.get<long long>() > 10000)))
    co_return errorResponse({400, "views.invalid", "cache must be a short string and d1 a count of queries", ""});
  if (cache.is_string()) outcome.cache = cache.get<std::string>();
  if (d1.is_number_integer()) outcome.d1Queries = d1.get<long long>();
  ViewCounter views(ox.sql, ox.random);
  if (!views.record(count.get<long long>(), keys, ox.now, outcome))
    co_return errorResponse({503, "storage.unavailable", "the views could not be counted", ""});
  co_await flushNoLaterThan(ox, ox.now + viewsFlushMs(ox));
  co_return jsonResponse(202, {{"total", views.total()}});
}

// ---- the live channel ----

Task<HttpResponse> openSocket(ObjectContext& ox, const Caller& caller) {
  const HttpRequest& req = *ox.request;
  if (req.header("upgrade") != "websocket" && req.header("upgrade") != "WebSocket")
    co_return errorResponse({426, "live.upgrade_required", "this route speaks WebSocket only", ""});
  std::vector<ws::Socket> open = co_await ws::list(ox.io);
  if (open.size() >= kMaxSockets)
    co_return errorResponse({503, "live.full", "too many readers are connected to this post; retry later", ""});
  LiveLog log(ox.sql);
  const std::string id = "s" + ox.random.substr(0, 24);
  SocketState state = SocketState::opened(caller.readerId, log.lastSeq(), ox.now);
  const bool accepted = co_await ws::accept(ox.io, id, state.toJson(), kPing, kPong);
  if (!accepted)
    co_return errorResponse({503, "live.unavailable", "the live channel could not be opened", ""});
  co_await publishPresence(ox);
  HttpResponse r;
  r.status = 101;
  co_return r;
}

Task<void> closeSocket(ObjectContext& ox, const std::string& id, const MessageError& why) {
  ox.io.metric("live.closed_" + std::to_string(why.closeCode));
  co_await ws::close(ox.io, id, why.closeCode, why.reason);
  co_await publishPresence(ox, id);
}

Task<void> onSocketMessage(ObjectContext& ox, const SocketEvent& event) {
  auto state = SocketState::fromJson(event.attachment);
  if (!state) {
    MessageError bad{kClosePolicyViolation, "state.invalid"};
    co_await closeSocket(ox, event.id, bad);
    co_return;
  }
  const FloodDecision flood = admit(*state, ox.now);
  if (flood == FloodDecision::Close) {
    co_await closeSocket(ox, event.id, floodClose());
    co_return;
  }
  co_await ws::attach(ox.io, event.id, state->toJson());
  if (flood == FloodDecision::Drop) co_return;
  // Size is checked on what arrived, before anything is parsed.
  std::string frame = event.binary ? std::string(std::min<size_t>(event.size, kMaxLiveFrameBytes + 1), '\0') : event.data;
  if (!event.binary && static_cast<size_t>(event.size) > kMaxLiveFrameBytes) frame.resize(kMaxLiveFrameBytes + 1);
  auto parsed = parseClientMessage(frame, event.binary);
  if (auto* error = std::get_if<MessageError>(&parsed)) {
    co_await closeSocket(ox, event.id, *error);
    co_return;
  }
  const ClientMessage& m = std::get<ClientMessage>(parsed);
  switch (m.type) {
    case ClientMessage::Type::Ping:
      co_await ws::send(ox.io, kPong, event.id);
      break;
    case ClientMessage::Type::Hello: {
      LiveLog log(ox.sql);
      if (m.since) {
        for (const Json& missed : log.since(*m.since, kCatchUpMax)) co_await ws::send(ox.io, dumpJson(missed), event.id);
      }
      const std::string presence = co_await presenceNow(ox);
      co_await ws::send(ox.io, presence, event.id);
      break;
    }
    case ClientMessage::Type::React: {
      Caller caller;
      caller.readerId = state->readerId;
      Json body = {{"type", m.reaction}};
      if (!m.requestId.empty()) body["requestId"] = m.requestId;
      HttpResponse r = co_await toggleReaction(ox, caller, body);
      if (r.status != 200) {
        Json error = parseJson(r.body).value_or(Json::object());
        Json message = {{"type", "error"},
                        {"code", jsonString(jsonValue(error, "error"), "code")},
                        {"message", jsonString(jsonValue(error, "error"), "message")}};
        co_await ws::send(ox.io, dumpJson(message), event.id);
      }
      break;
    }
  }
}

// ---- the alarm: buffered state to D1 ----

struct FlushResult {
  bool failed = false;
  bool morePending = false;
};

Task<FlushResult> flushComments(ObjectContext& ox, const std::string& tenantId, const std::string& postId) {
  FlushResult out;
  CommentStore store(ox.sql);
  for (int round = 0; round < kFlushRoundsPerAlarm; ++round) {
    std::vector<SqlStatement> batch = store.pendingInserts(tenantId, postId);
    if (batch.empty()) co_return out;
    const std::vector<std::string> ids = commentIds(batch);
    D1BatchResult r = co_await ox.io.batch(std::move(batch));
    if (!r.ok) {
      ox.io.log("warn", "comment flush failed", {{"object", ox.name}, {"error", r.error}});
      ox.io.metric("comments.flush_failed");
      out.failed = true;
      co_return out;
    }
    store.acknowledge(ids);
    ox.io.metric("comments.flushed", static_cast<double>(ids.size()));
  }
  out.morePending = store.unflushed() > 0;
  co_return out;
}

Task<bool> flushReactions(ObjectContext& ox, MetaState& meta, const std::string& postId) {
  const UnixMillis due = meta.number("reactions_due_at");
  if (due <= 0 || due > ox.now) co_return true;
  ReactionStore store(ox.sql);
  std::vector<SqlStatement> upserts = store.countUpserts(postId, ox.now);
  if (!upserts.empty()) {
    D1BatchResult r = co_await ox.io.batch(std::move(upserts));
    if (!r.ok) {
      ox.io.log("warn", "reaction flush failed", {{"object", ox.name}, {"error", r.error}});
      ox.io.metric("reactions.flush_failed");
      co_return false;
    }
    store.acknowledgeFlush(ox.now);
    ox.io.metric("reactions.flushed");
  }
  // The object takes requests while the batch is out to D1. A toggle made meanwhile is not in
  // the batch, and it found the flush already due, so it set no deadline of its own: keep one
  // for it, or its count would wait for the post's next toggle.
  meta.set("reactions_due_at", store.unflushed() ? ox.now + UnixMillis(ox.config.reactionsFlushSeconds) * 1000 : 0);
  co_return true;
}

// The totals (posts) and the per-day figures (post_day_stats) in one batch: both or neither.
Task<bool> flushViews(ObjectContext& ox, const std::string& tenantId, const std::string& postId) {
  ViewCounter views(ox.sql);
  if (!views.dueForFlush(ox.now, viewsFlushMs(ox))) co_return true;
  std::vector<SqlStatement> statements;
  if (auto days = views.dayStatsStatement(tenantId, postId, ox.now)) statements.push_back(std::move(*days));
  statements.push_back(views.flushStatement(tenantId, postId, ox.now));
  D1BatchResult r = co_await ox.io.batch(std::move(statements));
  if (!r.ok) {
    ox.io.log("warn", "view flush failed", {{"object", ox.name}, {"error", r.error}});
    ox.io.metric("views.flush_failed");
    co_return false;
  }
  views.markFlushed(ox.now);
  ox.io.metric("views.flushed");
  co_return true;
}

Task<HttpResponse> runAlarm(ObjectContext& ox) {
  HttpResponse done = jsonResponse(200, {{"ok", true}});
  MetaState meta(ox.sql);
  const std::string tenantId = meta.text("tenant_id");
  const std::string postId = meta.text("post_id");
  if (tenantId.empty() || postId.empty()) co_return done;  // never addressed: nothing to flush

  FlushResult comments = co_await flushComments(ox, tenantId, postId);
  const bool reactionsOk = co_await flushReactions(ox, meta, postId);
  const bool viewsOk = co_await flushViews(ox, tenantId, postId);
  RateLimiter(ox.sql, "reaction_limits").prune(ox.now);
  RateLimiter(ox.sql, "comment_limits").prune(ox.now);

  // What is left decides the next alarm: a retry with backoff after a failure, the next batch
  // at once, or the next deadline.
  std::optional<UnixMillis> next;
  auto atMost = [&](UnixMillis at) { next = next ? std::min(*next, at) : at; };
  if (comments.failed || !reactionsOk || !viewsOk) {
    const int failures = static_cast<int>(meta.number("flush_failures")) + 1;
    meta.set("flush_failures", failures);
    atMost(ox.now + flushRetryDelayMs(failures));
  } else {
    meta.set("flush_failures", 0);
  }
  if (comments.morePending) atMost(ox.now);
  if (const UnixMillis due = meta.number("reactions_due_at"); due > 0) atMost(std::max(due, ox.now));
  ViewCounter views(ox.sql);
  if (views.total() > 0) {
    // Views recorded since the last flush (or days leaving the window) are due within the hour.
    const UnixMillis interval = viewsFlushMs(ox);
    if (views.dueForFlush(ox.now + interval, interval)) atMost(ox.now + interval);
  }
  // A request the object took while this alarm waited for D1 (a comment, a toggle) may have set
  // the alarm for its own deadline already (during the handler the runtime reports an alarm only
  // once something set it): never move that later.
  if (next) co_await alarm::setNoLaterThan(ox.io, *next);
  co_return done;
}

Caller callerOf(const HttpRequest& req) {
  Caller c;
  c.tenantId = req.header("x-lattice-tenant");
  c.postId = req.header("x-lattice-post");
  c.readerId = req.header("x-lattice-reader");
  c.readerName = req.header("x-lattice-reader-name");
  c.owner = req.header("x-lattice-owner") == "1";
  return c;
}

constexpr size_t kMaxObjectBodyBytes = 64 << 10;

}  // namespace

Task<HttpResponse> handlePostMetaObject(ObjectContext& ox) {
  // Alarms and socket events may come without the object's name: name it after its post.
  if (ox.name.empty()) {
    MetaState meta(ox.sql);
    ox.name = "post-meta:" + meta.text("tenant_id") + ":" + meta.text("post_id");
  }
  if (ox.socket) {
    const SocketEvent& event = *ox.socket;
    if (event.kind == SocketEvent::Kind::Close) {
      co_await publishPresence(ox, event.id);
    } else {
      co_await onSocketMessage(ox, event);
    }
    co_return jsonResponse(200, {{"ok", true}});
  }
  if (!ox.request) co_return co_await runAlarm(ox);

  const HttpRequest& req = *ox.request;
  const Caller caller = callerOf(req);
  if (caller.tenantId.empty() || caller.postId.empty())
    co_return errorResponse({400, "object.post_missing", "x-lattice-tenant and x-lattice-post are required", ""});
  MetaState(ox.sql).identify(caller.tenantId, caller.postId);
  auto segments = pathSegments(req.path);
  if (!segments || segments->empty()) co_return errorResponse({404, "route.not_found", "no such object route", ""});
  const std::string& head = (*segments)[0];
  const std::string& method = req.method;
  const size_t n = segments->size();

  if (head == "reactions" && n == 1) {
    if (method == "GET") {
      ReactionStore store(ox.sql);
      Json answer = {{"counts", store.counts()}, {"mine", caller.readerId.empty() ? Json::array() : store.mine(caller.readerId)}};
      co_return jsonResponse(200, answer);
    }
    if (method == "POST") {
      auto b = co_await readJsonBody(ox.io, req, kMaxObjectBodyBytes);
      if (auto* failure = std::get_if<HttpResponse>(&b)) co_return std::move(*failure);
      co_return co_await toggleReaction(ox, caller, std::get<Json>(b));
    }
  }
  if (head == "comments" && n == 1) {
    if (method == "GET") co_return co_await listComments(ox, caller);
    if (method == "POST") {
      auto b = co_await readJsonBody(ox.io, req, kMaxObjectBodyBytes);
      if (auto* failure = std::get_if<HttpResponse>(&b)) co_return std::move(*failure);
      co_return co_await addComment(ox, caller, std::get<Json>(b));
    }
  }
  if (head == "comments" && n == 2 && method == "PUT") {
    auto b = co_await readJsonBody(ox.io, req, kMaxObjectBodyBytes);
    if (auto* failure = std::get_if<HttpResponse>(&b)) co_return std::move(*failure);
    co_return co_await hideComment(ox, caller, (*segments)[1], std::get<Json>(b));
  }
  if (head == "views" && n == 1 && method == "POST") {
    auto b = co_await readJsonBody(ox.io, req, kMaxObjectBodyBytes);
    if (auto* failure = std::get_if<HttpResponse>(&b)) co_return std::move(*failure);
    co_return co_await recordViews(ox, std::get<Json>(b));
  }
  if (head == "live" && n == 1 && method == "GET") co_return co_await openSocket(ox, caller);
  if (head == "stats" && n == 1 && method == "GET") {
    ReactionStore reactions(ox.sql);
    CommentStore comments(ox.sql);
    ViewCounter views(ox.sql, ox.random);
    std::vector<ws::Socket> sockets = co_await ws::list(ox.io);
    SqlRows count = ox.sql.exec("SELECT count(*) AS n FROM comments");
    Json stats = {{"counts", reactions.counts()},
                  {"consistent", reactions.consistent()},
                  {"comments", count.ok && !count.rows.empty() ? count.rows[0]["n"] : Json(0)},
                  {"unflushed", comments.unflushed()},
                  {"views", views.total()},
                  {"unique", views.uniqueViewers30d(ox.now)},
                  {"sockets", sockets.size()}};
    co_return jsonResponse(200, stats);
  }
  co_return errorResponse({404, "route.not_found", "no such object route", ""});
}

}  // namespace lattice
