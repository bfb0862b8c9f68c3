#include "durable/feed-object.h"

#include <set>
#include <variant>

#include "app/routes.h"
#include "durable/feed-store.h"
#include "durable/live.h"
#include "feed/cursor.h"
#include "feed/preview.h"
#include "http/errors.h"
#include "http/json-body.h"
#include "render/html-escape.h"

namespace lattice {

namespace {

constexpr size_t kMaxItemBodyBytes = 64 << 10;
constexpr size_t kMaxFollowBodyBytes = 1 << 20;      // 50 previews of at most ~8 KiB each, and more
constexpr size_t kMaxRebuildBodyBytes = 8 << 20;
constexpr size_t kMaxFollowPosts = 50;
constexpr size_t kMaxRebuildFollows = 10000;
constexpr size_t kMaxRebuildPosts = 5000;            // FEED_MAX_ITEMS at most; the cap keeps the newest
constexpr int kDefaultLimit = 20;
constexpr int kMaxLimit = 50;
constexpr size_t kMaxSockets = 32;                   // one reader's open Meadow pages
constexpr long long kDayMs = 24LL * 60 * 60 * 1000;
constexpr long long kTouchEveryMs = kDayMs;          // readers.feed_read_at is kept to the day
constexpr long long kTouchRetryMs = 60 * 1000;
const char* const kPing = R"({"type":"ping"})";
const char* const kPong = R"({"type":"pong"})";

ApiError invalidFollow(const std::string& message, const std::string& field) {
  return ApiError{400, "feed.invalid_follow", message, field};
}

// {subdomain, display_name, followed_at?} of a follow, checked (tenant id given separately).
std::variant<FeedFollow, ApiError> parseFollow(const Json& j, const std::string& tenantId, UnixMillis now,
                                                const std::string& path, const std::set<std::string>& extra) {
  const std::string at = path.empty() ? "" : path + ".";
  if (!j.is_object()) return invalidFollow((path.empty() ? "the body" : path) + " must be an object", path);
  for (const auto& [key, value] : j.items()) {
    if (key != "subdomain" && key != "display_name" && key != "followed_at" && !extra.count(key))
      return invalidFollow(at + key + " is not a field of a follow", at + key);
  }
  FeedFollow f;
  f.tenantId = tenantId;
  const Json& sub = jsonValue(j, "subdomain");
  if (!sub.is_string() || !feed::validSubdomain(sub.get_ref<const std::string&>()))
    return invalidFollow(at + "subdomain must be 1-63 characters of [a-z0-9-]", at + "subdomain");
  f.subdomain = sub.get<std::string>();
  const Json& name = jsonValue(j, "display_name");
  std::optional<size_t> chars = name.is_string() ? render::printableCodePoints(name.get_ref<const std::string&>()) : std::nullopt;
  if (!chars || *chars < 1 || *chars > feed::kMaxDisplayNameChars)
    return invalidFollow(at + "display_name must be text of 1-100 characters", at + "display_name");
  f.displayName = name.get<std::string>();
  f.followedAt = now;
  if (j.contains("followed_at")) {
    const Json& t = j["followed_at"];
    if (!t.is_number_integer() || t.get<long long>() < 0 || t.get<long long>() > feed::kMaxPublishedAt)
      return invalidFollow(at + "followed_at must be Unix milliseconds", at + "followed_at");
    f.followedAt = t.get<long long>();
  }
  return f;
}

// Previews from `list` (at most `max`), each of a tenant in `tenants`.
std::variant<std::vector<feed::Preview>, ApiError> parsePreviews(const Json& list, size_t max, const std::string& name,
                                                                 const std::set<std::string>& tenants) {
  if (!list.is_array() || list.size() > max)
    return ApiError{400, "feed.invalid_item", name + " must be an array of at most " + std::to_string(max) + " items", name};
  std::vector<feed::Preview> out;
  out.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = name + "[" + std::to_string(i) + "]";
    auto parsed = feed::parsePreview(list[i], path);
    if (auto* error = std::get_if<ApiError>(&parsed)) return *error;
    feed::Preview& p = std::get<feed::Preview>(parsed);
    if (!tenants.count(p.tenantId))
      return ApiError{400, "feed.invalid_item", path + ".tenant_id is not a followed tenant of this request", path + ".tenant_id"};
    out.push_back(std::move(p));
  }
  return out;
}

Json event(const char* type, const char* key, Json value) {
  Json e = Json::object();
  e["type"] = type;
  e[key] = std::move(value);
  return e;
}

Task<void> broadcast(ObjectContext& ox, const Json& message) {
  co_await ws::send(ox.io, dumpJson(message));
}

// Scheduled posts: an item published in the future is stored at once but shown, and pushed to
// open pages, only when its time comes. The alarm is set no later than the next one's time;
// `due_through` records until when items that came due have been pushed, so each is pushed once.
constexpr int kMaxDuePush = 100;

Task<void> pushDue(ObjectContext& ox, FeedStore& store) {
  const std::optional<UnixMillis> through = store.dueThrough();
  store.markDueThrough(ox.now);
  if (!through || *through >= ox.now) co_return;
  for (const feed::Preview& item : store.cameDue(*through, ox.now, kMaxDuePush)) {
    Json message = event("item", "item", item.toJson());
    co_await broadcast(ox, message);
    ox.io.metric("feed.pushed_due");
  }
}

Task<void> scheduleDue(ObjectContext& ox, FeedStore& store) {
  const std::optional<UnixMillis> next = store.nextDue(ox.now);
  if (next) co_await alarm::setNoLaterThan(ox.io, *next);
}

// ---- follows ----

Task<HttpResponse> putFollow(ObjectContext& ox, FeedStore& store, const std::string& tenantId, const Json& body) {
  if (!feed::validFeedId(tenantId))
    co_return errorResponse(invalidFollow("the tenant id must be 1-64 characters of [A-Za-z0-9_-]", "tenantId"));
  auto follow = parseFollow(body, tenantId, ox.now, "", {"posts"});
  if (auto* error = std::get_if<ApiError>(&follow)) co_return errorResponse(*error);
  auto posts = parsePreviews(jsonValue(body, "posts"), kMaxFollowPosts, "posts", {tenantId});
  if (auto* error = std::get_if<ApiError>(&posts)) co_return errorResponse(*error);
  FeedMerge merged = store.follow(std::get<FeedFollow>(follow), std::get<std::vector<feed::Preview>>(posts));
  if (!merged.ok) {
    ox.io.log("error", "feed follow failed", {{"object", ox.name}, {"error", merged.error}});
    co_return errorResponse({503, "storage.unavailable", "the follow could not be stored; retry shortly", ""});
  }
  ox.io.metric("feed.followed");
  Json answer = {{"following", true}, {"added", merged.added}};
  co_return jsonResponse(200, answer);
}

Task<HttpResponse> deleteFollow(ObjectContext& ox, FeedStore& store, const std::string& tenantId) {
  if (!feed::validFeedId(tenantId))
    co_return errorResponse(invalidFollow("the tenant id must be 1-64 characters of [A-Za-z0-9_-]", "tenantId"));
  const long long removed = store.unfollow(tenantId);
  if (removed < 0) co_return errorResponse({503, "storage.unavailable", "the follow could not be removed; retry shortly", ""});
  if (removed > 0) {
    Json message = event("unfollowed", "tenant_id", tenantId);
    co_await broadcast(ox, message);
  }
  Json answer = {{"following", false}, {"removed", removed}};
  co_return jsonResponse(200, answer);
}

// ---- items ----

Task<HttpResponse> postItem(ObjectContext& ox, FeedStore& store, const Json& body) {
  if (!body.is_object() || body.size() != 1 || !body.contains("item"))
    co_return errorResponse({400, "feed.invalid_item", "the body must be {\"item\": {...}}", "item"});
  auto parsed = feed::parsePreview(body["item"], "item");
  if (auto* error = std::get_if<ApiError>(&parsed)) co_return errorResponse(*error);
  const feed::Preview& item = std::get<feed::Preview>(parsed);
  if (!store.follows(item.tenantId)) {
    Json answer = {{"stored", false}, {"new", false}};
    co_return jsonResponse(200, answer);
  }
  co_await pushDue(ox, store);  // first, so that what follows is pushed once
  const std::optional<feed::Preview> headBefore = store.head(ox.now);
  FeedMerge merged = store.merge({item});
  if (!merged.ok) {
    ox.io.log("error", "feed item store failed", {{"object", ox.name}, {"error", merged.error}});
    co_return errorResponse({503, "storage.unavailable", "the item could not be stored; retry shortly", ""});
  }
  const bool isNew = merged.added == 1;
  const bool stored = isNew || merged.updated == 1;
  // Committed with this step before anything is sent. Pushed: a new, visible item newer than
  // the head of the feed pages showed until now (an older one finds its place on the next read).
  const bool newer = !headBefore || item.publishedAt > headBefore->publishedAt ||
                     (item.publishedAt == headBefore->publishedAt && item.postId > headBefore->postId);
  if (isNew && item.publishedAt <= ox.now && newer) {
    Json message = event("item", "item", item.toJson());
    co_await broadcast(ox, message);
    ox.io.metric("feed.pushed");
  }
  co_await scheduleDue(ox, store);
  Json answer = {{"stored", stored}, {"new", isNew}};
  co_return jsonResponse(200, answer);
}

Task<HttpResponse> deleteItem(ObjectContext& ox, FeedStore& store, const std::string& postId) {
  if (!feed::validFeedId(postId))
    co_return errorResponse({400, "feed.invalid_item", "the post id must be 1-64 characters of [A-Za-z0-9_-]", "postId"});
  const bool removed = store.remove(postId);
  if (removed) {
    Json message = event("removed", "post_id", postId);
    co_await broadcast(ox, message);
  }
  Json answer = {{"removed", removed}};
  co_return jsonResponse(200, answer);
}

Task<HttpResponse> rebuild(ObjectContext& ox, FeedStore& store, const Json& body) {
  if (!body.is_object())
    co_return errorResponse(invalidFollow("the body must be {\"follows\": [...], \"posts\": [...]}", ""));
  for (const auto& [key, value] : body.items())
    if (key != "follows" && key != "posts") co_return errorResponse(invalidFollow(key + " is not a field of a rebuild", key));
  const Json& followsJson = jsonValue(body, "follows");
  if (!followsJson.is_array() || followsJson.size() > kMaxRebuildFollows)
    co_return errorResponse(invalidFollow("follows must be an array of at most 10000 follows", "follows"));
  std::vector<FeedFollow> follows;
  std::set<std::string> tenants;
  for (size_t i = 0; i < followsJson.size(); ++i) {
    const std::string path = "follows[" + std::to_string(i) + "]";
    const Json& tid = jsonValue(followsJson[i], "tenant_id");
    if (!tid.is_string() || !feed::validFeedId(tid.get_ref<const std::string&>()))
      co_return errorResponse(invalidFollow(path + ".tenant_id must be 1-64 characters of [A-Za-z0-9_-]", path + ".tenant_id"));
    auto f = parseFollow(followsJson[i], tid.get<std::string>(), ox.now, path, {"tenant_id"});
    if (auto* error = std::get_if<ApiError>(&f)) co_return errorResponse(*error);
    if (!tenants.insert(tid.get<std::string>()).second)
      co_return errorResponse(invalidFollow(path + ".tenant_id is listed twice", path + ".tenant_id"));
    follows.push_back(std::get<FeedFollow>(f));
  }
  auto posts = parsePreviews(jsonValue(body, "posts"), kMaxRebuildPosts, "posts", tenants);
  if (auto* error = std::get_if<ApiError>(&posts)) co_return errorResponse(*error);
  FeedMerge merged = store.rebuild(follows, std::get<std::vector<feed::Preview>>(posts), ox.now);
  if (!merged.ok) {
    ox.io.log("error", "feed rebuild failed", {{"object", ox.name}, {"error", merged.error}});
    co_return errorResponse({503, "storage.unavailable", "the feed could not be rebuilt; retry shortly", ""});
  }
  ox.io.metric("feed.rebuilt");
  Json answer = {{"follows", follows.size()}, {"items", store.itemCount()}, {"evicted", merged.evicted}};
  co_return jsonResponse(200, answer);
}

// ---- reading ----

// A feed the Worker must rebuild from D1 before reading it (409 feed.stale): one that was never
// built and holds no follow (a new object, or one whose follow call failed after D1 took it), or
// one whose reader stayed away longer than FEED_ACTIVE_DAYS, so that publishing stopped fanning
// out to it (src/app/meadow-routes.cpp).
std::optional<HttpResponse> staleness(ObjectContext& ox, FeedStore& store) {
  const FeedStateSummary s = store.state();
  const bool neverBuilt = !s.syncedAt && s.follows == 0;
  // Since the last read or rebuild, whichever is later.
  const std::optional<UnixMillis> seen = s.lastReadAt && s.syncedAt ? std::max(*s.lastReadAt, *s.syncedAt)
                                         : s.lastReadAt ? s.lastReadAt : s.syncedAt;
  const bool away = seen && *seen < ox.now - ox.config.feedActiveDays * kDayMs;
  if (!neverBuilt && !away) return std::nullopt;
  return errorResponse({409, "feed.stale", "this feed must be rebuilt from D1 first (POST /rebuild)", ""});
}

// The reader's last read reaches D1 (readers.feed_read_at, which fan-out selects on) by alarm,
// at most once a day, so that a read itself never waits on D1.
Task<void> scheduleTouch(ObjectContext& ox, FeedStore& store) {
  auto touched = store.touchedAt();
  if (touched && *touched + kTouchEveryMs > ox.now) co_return;
  co_await alarm::setNoLaterThan(ox.io, ox.now);
}

Task<void> touchReader(ObjectContext& ox, FeedStore& store) {
  const std::string readerId = store.readerId();
  const FeedStateSummary s = store.state();
  const std::optional<UnixMillis> touched = store.touchedAt();
  // Not due (the alarm was set for a scheduled item): a read is recorded at most once a day.
  if (readerId.empty() || !s.lastReadAt) co_return;
  if (touched && (*touched >= *s.lastReadAt || *touched + kTouchEveryMs > ox.now)) co_return;
  SqlStatement touch{"UPDATE readers SET feed_read_at = ?2 WHERE id = ?1 AND coalesce(feed_read_at, 0) < ?2",
                     Json::array({readerId, *s.lastReadAt})};
  D1Result r = co_await ox.io.query(std::move(touch));
  if (!r.ok) {
    ox.io.log("warn", "reader's feed read not recorded in D1; retrying", {{"reader", readerId}, {"error", r.error}});
    co_await alarm::set(ox.io, ox.now + kTouchRetryMs);
    co_return;
  }
  store.markTouched(ox.now);
}

// The alarm: scheduled items that came due are pushed, the last read reaches D1 when due, and
// the alarm is set again for the next scheduled item.
Task<HttpResponse> onAlarm(ObjectContext& ox, FeedStore& store) {
  co_await pushDue(ox, store);
  co_await touchReader(ox, store);
  co_await scheduleDue(ox, store);
  Json ok = {{"ok", true}};
  co_return jsonResponse(200, ok);
}

Task<HttpResponse> readFeed(ObjectContext& ox, FeedStore& store) {
  const HttpRequest& req = *ox.request;
  feed::Sort sort = feed::Sort::Recent;
  if (auto raw = req.queryParam("sort")) {
    auto parsed = feed::parseSort(*raw);
    if (!parsed) co_return errorResponse({400, "feed.invalid_sort", "sort must be recent or relevance", "sort"});
    sort = *parsed;
  }
  auto limit = req.intParam("limit", kDefaultLimit, 1, kMaxLimit);
  if (!limit) co_return errorResponse({400, "feed.invalid_limit", "limit must be an integer from 1 to 50", "limit"});
  std::optional<feed::FeedCursor> cursor;
  if (auto raw = req.queryParam("cursor"); raw && !raw->empty()) {
    cursor = feed::decodeCursor(*raw);
    if (!cursor) co_return errorResponse({400, "feed.invalid_cursor", "cursor is not one this feed gave out", "cursor"});
    if (cursor->sort != sort)
      co_return errorResponse({400, "feed.invalid_cursor", std::string("this cursor belongs to sort=") + feed::sortName(cursor->sort), "cursor"});
  }
  if (auto stale = staleness(ox, store)) co_return std::move(*stale);
  FeedPage page = sort == feed::Sort::Recent ? store.recent(cursor, *limit, ox.now)
                                             : store.relevance(cursor, *limit, ox.now, ox.random.substr(0, 16));
  if (page.error) co_return errorResponse(*page.error);
  store.markRead(ox.now);
  co_await scheduleTouch(ox, store);
  Json items = Json::array();
  for (const FeedItem& item : page.items) items.push_back(item.toJson());
  Json answer = {{"items", std::move(items)},
                 {"next_cursor", page.nextCursor ? Json(*page.nextCursor) : Json(nullptr)},
                 {"sort", feed::sortName(sort)}};
  co_return jsonResponse(200, answer);
}

// ---- sockets ----

Task<HttpResponse> openSocket(ObjectContext& ox, const std::string& readerId) {
  const HttpRequest& req = *ox.request;
  if (req.header("upgrade") != "websocket" && req.header("upgrade") != "WebSocket")
    co_return errorResponse({426, "live.upgrade_required", "this route speaks WebSocket only", ""});
  std::vector<ws::Socket> open = co_await ws::list(ox.io);
  if (open.size() >= kMaxSockets)
    co_return errorResponse({503, "live.full", "too many Meadow pages are open for this reader", ""});
  const std::string id = "f" + ox.random.substr(0, 24);
  Json attachment = {{"readerId", readerId}};
  const bool accepted = co_await ws::accept(ox.io, id, attachment, kPing, kPong);
  if (!accepted) co_return errorResponse({503, "live.unavailable", "the live channel could not be opened", ""});
  HttpResponse r;
  r.status = 101;
  // The Worker passes the subprotocol a Meadow page offered (without its token); the handshake
  // must name it back or the browser drops the socket.
  if (const std::string protocol = req.header("sec-websocket-protocol"); !protocol.empty())
    r.set("sec-websocket-protocol", protocol);
  co_return r;
}

// Clients only ping; the runtime answers the exact ping frame itself, so a message reaching
// the object is either another spelling of ping or a frame breaking the rules.
Task<void> onSocketMessage(ObjectContext& ox, const SocketEvent& e) {
  std::string frame = e.binary ? std::string(std::min<size_t>(e.size, kMaxLiveFrameBytes + 1), '\0') : e.data;
  if (!e.binary && static_cast<size_t>(e.size) > kMaxLiveFrameBytes) frame.resize(kMaxLiveFrameBytes + 1);
  auto parsed = parseClientMessage(frame, e.binary);
  if (auto* error = std::get_if<MessageError>(&parsed)) {
    ox.io.metric("feed.socket_closed_" + std::to_string(error->closeCode));
    co_await ws::close(ox.io, e.id, error->closeCode, error->reason);
    co_return;
  }
  if (std::get<ClientMessage>(parsed).type == ClientMessage::Type::Ping) {
    co_await ws::send(ox.io, kPong, e.id);
    co_return;
  }
  co_await ws::close(ox.io, e.id, kClosePolicyViolation, "message.type_unknown");
}

constexpr std::string_view kNamePrefix = "feed:";

}  // namespace

std::string feedObjectName(std::string_view readerId) { return std::string(kNamePrefix) + std::string(readerId); }

Task<HttpResponse> handleFeedObject(ObjectContext& ox) {
  FeedStore store(ox.sql, ox.config.feedMaxItems);
  Json ok = {{"ok", true}};  // a local: g++ 12 miscompiles braced Json inside co_return
  if (ox.socket) {
    if (ox.socket->kind == SocketEvent::Kind::Message) co_await onSocketMessage(ox, *ox.socket);
    co_return jsonResponse(200, ok);
  }
  if (!ox.request) co_return co_await onAlarm(ox, store);

  const HttpRequest& req = *ox.request;
  const std::string readerId = req.header("x-lattice-reader");
  if (readerId.empty() || !feed::validFeedId(readerId))
    co_return errorResponse({400, "object.reader_missing", "x-lattice-reader must name the feed's reader", ""});
  if (!ox.name.empty() && ox.name != feedObjectName(readerId))
    co_return errorResponse({400, "object.identity_mismatch", "this object is " + ox.name, ""});
  if (store.readerId() != readerId) store.setReaderId(readerId);

  auto segments = pathSegments(req.path);
  if (!segments || segments->empty()) co_return errorResponse({404, "route.not_found", "no such object route", ""});
  const std::string& head = (*segments)[0];
  const std::string& method = req.method;
  const size_t n = segments->size();

  if (head == "feed" && n == 1 && method == "GET") co_return co_await readFeed(ox, store);
  if (head == "follows" && n == 1 && method == "GET") {
    if (auto stale = staleness(ox, store)) co_return std::move(*stale);
    Json list = Json::array();
    for (const FeedFollow& f : store.followList()) list.push_back(f.toJson());
    Json answer = {{"following", std::move(list)}};
    co_return jsonResponse(200, answer);
  }
  if (head == "follows" && n == 2 && method == "PUT") {
    auto b = co_await readJsonBody(ox.io, req, kMaxFollowBodyBytes);
    if (auto* failure = std::get_if<HttpResponse>(&b)) co_return std::move(*failure);
    co_return co_await putFollow(ox, store, (*segments)[1], std::get<Json>(b));
  }
  if (head == "follows" && n == 2 && method == "DELETE") co_return co_await deleteFollow(ox, store, (*segments)[1]);
  if (head == "items" && n == 1 && method == "POST") {
    auto b = co_await readJsonBody(ox.io, req, kMaxItemBodyBytes);
    if (auto* failure = std::get_if<HttpResponse>(&b)) co_return std::move(*failure);
    co_return co_await postItem(ox, store, std::get<Json>(b));
  }
  if (head == "items" && n == 2 && method == "DELETE") co_return co_await deleteItem(ox, store, (*segments)[1]);
  if (head == "rebuild" && n == 1 && method == "POST") {
    auto b = co_await readJsonBody(ox.io, req, kMaxRebuildBodyBytes);
    if (auto* failure = std::get_if<HttpResponse>(&b)) co_return std::move(*failure);
    co_return co_await rebuild(ox, store, std::get<Json>(b));
  }
  if (head == "state" && n == 1 && method == "GET") co_return jsonResponse(200, store.state().toJson());
  if (head == "live" && n == 1 && method == "GET") co_return co_await openSocket(ox, readerId);
  co_return errorResponse({404, "route.not_found", "no such object route", ""});
}

}  // namespace lattice
