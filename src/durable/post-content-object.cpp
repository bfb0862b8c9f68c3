#include "durable/post-content-object.h"

#include <algorithm>
#include <variant>

#include "app/routes.h"
#include "blog/post.h"
#include "durable/content-moves.h"
#include "durable/post-content.h"
#include "durable/post-versions.h"
#include "http/errors.h"
#include "http/json-body.h"

namespace lattice {

namespace {

constexpr long long kDefaultGraceSeconds = 86400;
constexpr long long kMaxGraceSeconds = 30 * 86400;
constexpr size_t kMoveBodyBytes = 4 << 10;

struct Ident {
  std::string tenantId;
  std::string postId;
};

// Ids become part of R2 keys: only what D1 ids look like.
bool plausibleId(const std::string& id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

struct Loaded {
  bool ok = false;
  bool found = false;
  ContentRow row;
  std::string error;
};

Task<Loaded> loadRow(ObjectContext& ox, const Ident& id) {
  D1Result r = co_await ox.io.query(post_sql::content(id.tenantId, id.postId));
  Loaded out;
  if (!r.ok) {
    out.error = r.error;
    co_return out;
  }
  out.ok = true;
  if (!r.rows.empty()) {
    out.found = true;
    out.row = ContentRow::fromRow(r.rows[0]);
  }
  co_return out;
}

HttpResponse unavailable(ObjectContext& ox, std::string_view what, std::string_view error) {
  ox.io.log("error", "storage failure", {{"what", std::string(what)}, {"error", std::string(error)}});
  return errorResponse({503, "storage.unavailable", "storage is temporarily unavailable; retry shortly", ""});
}

HttpResponse postNotFound(const Ident& id) {
  return errorResponse({404, "post.not_found", "there is no post '" + id.postId + "'", ""});
}

HttpResponse methodNotAllowed(std::string allow) {
  HttpResponse r = errorResponse({405, "request.method_not_allowed", "allowed: " + allow, ""});
  r.set("allow", std::move(allow));
  return r;
}

HttpResponse moveConflict(long long version) {
  return errorResponse({409, "migrate.conflict",
                        "the post changed while its content was being moved (it is at version " +
                            std::to_string(version) + " now); nothing was changed",
                        ""});
}

Json contentJson(const PostContent& c, const ContentRow& row, const std::string& source) {
  Json j = Json::object();
  j["markdown"] = c.markdown;
  j["html"] = c.html;
  j["version"] = c.version;
  j["sha256"] = c.sha256;
  j["storage_location"] = row.storageLocation;
  j["source"] = source;
  return j;
}

HttpResponse moved(bool didMove, const std::string& location, const std::optional<std::string>& key,
                   const ContentRow& row) {
  Json j = Json::object();
  j["moved"] = didMove;
  j["storage_location"] = location;
  j["r2_key"] = key ? Json(*key) : Json(nullptr);
  j["version"] = row.version;
  j["sha256"] = row.contentHash;
  return jsonResponse(200, j);
}

// An optional JSON object body of an internal move request ({} without a content type).
Task<std::variant<Json, HttpResponse>> moveBody(ObjectContext& ox, std::vector<std::string> fields) {
  Json body = Json::object();
  if (!ox.request->header("content-type").empty()) {
    auto read = co_await readJsonBody(ox.io, *ox.request, kMoveBodyBytes);
    if (auto* failure = std::get_if<HttpResponse>(&read)) co_return std::move(*failure);
    body = std::move(std::get<Json>(read));
  }
  if (!body.is_object())
    co_return errorResponse({400, "request.not_object", "the request body must be a JSON object", ""});
  for (const auto& [key, value] : body.items())
    if (std::find(fields.begin(), fields.end(), key) == fields.end())
      co_return errorResponse({400, "request.unknown_field", "unknown field '" + key + "'", key});
  co_return body;
}

// Records D1's current version when the history lacks it: its report was lost (the write stands
// in D1, the source of truth), so the next look at the history makes it up.
Task<void> heal(ObjectContext& ox, VersionStore& store, const ContentRow& row) {
  auto newest = store.newest();
  if (newest && *newest >= row.version) co_return;
  ContentRead read = co_await readContent(ox.io, row);
  if (!read.ok()) {
    ox.io.log("warn", "version history not healed: content unreadable",
              {{"post", row.id}, {"version", row.version}, {"detail", read.detail}});
    co_return;
  }
  PostVersion v;
  v.version = row.version;
  v.createdAt = row.updatedAt;
  v.title = row.title;
  v.description = row.description;
  v.sha256 = read.content.sha256;
  v.bytes = static_cast<long long>(read.content.markdown.size());
  v.markdown = std::move(read.content.markdown);
  std::string error;
  const VersionStore::Outcome outcome = store.record(v, &error);
  if (outcome == VersionStore::Outcome::Recorded) {
    ox.io.log("info", "version history healed from D1", {{"post", row.id}, {"version", row.version}});
    ox.io.metric("post_content.healed");
  } else if (outcome == VersionStore::Outcome::Failed) {
    ox.io.log("error", "version history not healed", {{"post", row.id}, {"error", error}});
  }
}

Task<HttpResponse> getContent(ObjectContext& ox, const Ident& id) {
  Loaded l = co_await loadRow(ox, id);
  if (!l.ok) co_return unavailable(ox, "post read", l.error);
  if (!l.found) co_return postNotFound(id);
  ContentRead read = co_await readContent(ox.io, l.row);
  if (!read.ok()) co_return errorResponse(read.error());
  Json body = Json::object();
  body["content"] = contentJson(read.content, l.row, read.source);
  co_return jsonResponse(200, body);
}

Task<HttpResponse> reportVersion(ObjectContext& ox, VersionStore& store, MoveLedger& ledger) {
  // JSON escapes may grow markdown up to 6x (\u00XX); the Worker is the only sender.
  const size_t max = ox.config.maxMarkdownBytes * 6 + ox.config.maxJsonOverheadBytes;
  auto body = co_await readJsonBody(ox.io, *ox.request, max);
  if (auto* failure = std::get_if<HttpResponse>(&body)) co_return std::move(*failure);
  auto parsed = parseVersionReport(std::get<Json>(body), ox.config.maxMarkdownBytes);
  if (auto* error = std::get_if<ApiError>(&parsed)) co_return errorResponse(*error);
  const PostVersion& v = std::get<PostVersion>(parsed);
  std::string error;
  const VersionStore::Outcome outcome = store.record(v, &error);
  Json out = Json::object();
  out["version"] = v.version;
  switch (outcome) {
    case VersionStore::Outcome::Recorded:
    case VersionStore::Outcome::Repeated:
      // Every post write brings the content back to D1 (post_sql::update): objects of older
      // versions are no longer pointed at.
      ledger.releaseOlderThan(v.version, ox.now);
    {
      const bool recorded = outcome == VersionStore::Outcome::Recorded;
      out["recorded"] = recorded;
      const int status = recorded ? 201 : 200;
      co_return jsonResponse(status, out);
    }
    case VersionStore::Outcome::Conflict:
      ox.io.log("error", "a version was reported twice with different content", {{"version", v.version}});
      co_return errorResponse({409, "version.conflict",
                               "version " + std::to_string(v.version) + " is recorded with another sha256", "sha256"});
    case VersionStore::Outcome::Failed:
      break;
  }
  co_return unavailable(ox, "version record", error);
}

Task<HttpResponse> listVersions(ObjectContext& ox, const Ident& id, VersionStore& store) {
  Loaded l = co_await loadRow(ox, id);
  if (l.ok && !l.found) co_return postNotFound(id);
  if (l.ok) co_await heal(ox, store, l.row);
  else ox.io.log("warn", "version history listed without checking D1", {{"post", id.postId}, {"error", l.error}});
  Json list = Json::array();
  for (const PostVersion& v : store.list()) list.push_back(v.toJson(false));
  Json body = Json::object();
  body["versions"] = std::move(list);
  body["current_version"] = l.ok ? Json(l.row.version) : Json(nullptr);
  co_return jsonResponse(200, body);
}

Task<HttpResponse> getVersion(ObjectContext& ox, const Ident& id, VersionStore& store, const std::string& segment) {
  auto number = parseVersionNumber(segment);
  if (!number)
    co_return errorResponse({400, "version.invalid", "a version is a positive integer", "version"});
  Loaded l = co_await loadRow(ox, id);
  if (l.ok && !l.found) co_return postNotFound(id);
  if (l.ok && l.row.version == *number) co_await heal(ox, store, l.row);
  bool corrupt = false;
  auto v = store.get(*number, &corrupt);
  if (corrupt) {
    ox.io.log("error", "stored version does not match its hash", {{"post", id.postId}, {"version", *number}});
    co_return errorResponse({500, "version.corrupt", "the stored text of this version does not match its hash", ""});
  }
  if (!v)
    co_return errorResponse({404, "version.not_found",
                             "there is no version " + segment + " in this post's history (it keeps the newest " +
                                 std::to_string(kMaxVersions) + ")",
                             ""});
  Json body = Json::object();
  body["version"] = v->toJson(true);
  co_return jsonResponse(200, body);
}

// After a compare-and-swap that did not apply: done already (a move that died after its write
// but before its answer), or an edit raced the move and won.
Task<HttpResponse> afterLostSwap(ObjectContext& ox, const Ident& id, MoveLedger& ledger, ContentRow before,
                                 std::string location, std::optional<std::string> key) {
  Loaded now = co_await loadRow(ox, id);
  if (!now.ok) co_return unavailable(ox, "post read", now.error);
  if (!now.found) co_return postNotFound(id);
  const ContentRow& row = now.row;
  if (row.version == before.version && row.storageLocation == location && row.r2Key == key)
    co_return moved(false, location, key, row);
  ledger.releaseAllBut(row.inR2() ? row.r2Key : std::nullopt, ox.now);
  ox.io.log("info", "content move lost to a concurrent write",
            {{"post", id.postId}, {"read_version", before.version}, {"version", row.version}});
  ox.io.metric("content.move_conflict");
  co_return moveConflict(row.version);
}

// D1 -> R2 (or between 'r2' and 'r2_archived'): write under the immutable key, read back and
// verify, then swap the pointer on version. The D1 copy stays until /migrate/clear.
Task<HttpResponse> moveToR2(ObjectContext& ox, const Ident& id, MoveLedger& ledger, std::optional<std::string> wanted,
                            std::string location) {
  Loaded l = co_await loadRow(ox, id);
  if (!l.ok) co_return unavailable(ox, "post read", l.error);
  if (!l.found) co_return postNotFound(id);
  const ContentRow& row = l.row;
  const std::string key = contentKey(id.tenantId, id.postId, row.version, row.contentHash);
  if (wanted && *wanted != key) co_return moveConflict(row.version);

  ContentRead read = co_await readContent(ox.io, row);
  if (!read.ok()) co_return errorResponse(read.error());
  const bool inPlace = row.inR2() && row.r2Key == key;
  if (!(inPlace && read.source == "r2")) {
    // Known before written: an object whose move dies after the put is still cleared later.
    ledger.remember(key, row.version, row.contentHash, ox.now);
    std::string body = contentObjectBody(read.content);
    std::string error;
    const bool put = co_await r2Put(ox.io, key, std::move(body), &error);
    if (!put) co_return unavailable(ox, "r2 put", error);
    R2Got back = co_await r2Get(ox.io, key);
    if (!back.ok) co_return unavailable(ox, "r2 read-back", back.error);
    std::string why = "is missing";
    if (!back.value || !verifyContentObject(*back.value, row.version, row.contentHash, &why)) {
      ox.io.log("error", "R2 object did not verify after writing",
                {{"post", id.postId}, {"key", key}, {"why", why}, {"code", "migrate.verify_failed"}});
      co_return errorResponse({502, "migrate.verify_failed",
                               "the R2 object read back " + why + "; D1 was not changed", ""});
    }
  }
  if (inPlace && row.storageLocation == location) {
    ledger.pointed(key, row.version, row.contentHash, ox.now);
    ledger.releaseAllBut(key, ox.now);
    co_return moved(false, location, key, row);
  }
  D1Result swap = co_await ox.io.query(
      post_sql::pointToR2(id.tenantId, id.postId, row.version, row.storageLocation, row.r2Key, location, key));
  if (!swap.ok) co_return unavailable(ox, "post pointer swap", swap.error);
  if (swap.rows.empty()) {
    Task<HttpResponse> settle = afterLostSwap(ox, id, ledger, row, location, key);
    co_return co_await settle;
  }
  ledger.pointed(key, row.version, row.contentHash, ox.now);
  ledger.releaseAllBut(key, ox.now);
  ox.io.log("info", "post content moved to R2",
            {{"post", id.postId}, {"version", row.version}, {"key", key}, {"location", location}});
  ox.io.metric("content.moved_to_r2");
  co_return moved(true, location, key, row);
}

// R2 -> D1: read and verify the object (or the D1 copy still there), then swap the content back
// into D1 on version.
Task<HttpResponse> moveToD1(ObjectContext& ox, const Ident& id, MoveLedger& ledger) {
  Loaded l = co_await loadRow(ox, id);
  if (!l.ok) co_return unavailable(ox, "post read", l.error);
  if (!l.found) co_return postNotFound(id);
  const ContentRow& row = l.row;
  if (!row.inR2()) {
    ledger.releaseAllBut(std::nullopt, ox.now);
    co_return moved(false, "d1", std::nullopt, row);
  }
  ContentRead read = co_await readContent(ox.io, row);
  if (!read.ok()) co_return errorResponse(read.error());
  if (row.r2Key) ledger.remember(*row.r2Key, row.version, row.contentHash, ox.now);
  D1Result swap = co_await ox.io.query(post_sql::pointToD1(id.tenantId, id.postId, row.version, row.storageLocation,
                                                           row.r2Key, read.content.markdown, read.content.html));
  if (!swap.ok) co_return unavailable(ox, "post pointer swap", swap.error);
  if (swap.rows.empty()) {
    Task<HttpResponse> settle = afterLostSwap(ox, id, ledger, row, "d1", std::nullopt);
    co_return co_await settle;
  }
  ledger.releaseAllBut(std::nullopt, ox.now);
  ox.io.log("info", "post content moved to D1", {{"post", id.postId}, {"version", row.version}, {"source", read.source}});
  ox.io.metric("content.moved_to_d1");
  co_return moved(true, "d1", std::nullopt, row);
}

// The post was deleted (its clear was queued with the delete, and is due once the grace period
// has passed): every R2 object it ever had and its whole version history go. The objects are
// known from the ledger, which remembers each key before its first put.
Task<HttpResponse> forgetDeletedPost(ObjectContext& ox, const Ident& id, MoveLedger& ledger) {
  Json deleted = Json::array();
  for (const ContentObjectRecord& object : ledger.all()) {
    std::string error;
    const bool gone = co_await r2Delete(ox.io, object.key, &error);
    if (!gone) co_return unavailable(ox, "r2 delete", error);
    ledger.forget(object.key);
    deleted.push_back(object.key);
  }
  VersionStore store(ox.sql);
  const long long versions = store.clear();
  if (versions < 0) co_return errorResponse({500, "object.storage_failed", "the version history could not be cleared", ""});
  ox.io.log("info", "deleted post's content collected",
            {{"post", id.postId}, {"deleted", deleted}, {"versions", versions}});
  Json body = Json::object();
  body["post"] = "deleted";
  body["d1_copy"] = "none";
  body["deleted"] = std::move(deleted);
  body["waiting"] = Json::array();
  body["versions_cleared"] = versions;
  co_return jsonResponse(200, body);
}

// The old copies, once the grace period has passed: the D1 copy of content that R2 holds
// (after checking R2 once more), and the R2 objects D1 no longer points at.
Task<HttpResponse> clearOldCopies(ObjectContext& ox, const Ident& id, MoveLedger& ledger, long long graceMs) {
  Loaded l = co_await loadRow(ox, id);
  if (!l.ok) co_return unavailable(ox, "post read", l.error);
  if (!l.found) {
    Task<HttpResponse> forget = forgetDeletedPost(ox, id, ledger);
    co_return co_await forget;
  }
  const ContentRow& row = l.row;
  const std::optional<std::string> pointer = row.inR2() ? row.r2Key : std::nullopt;
  ledger.releaseAllBut(pointer, ox.now);
  if (pointer) ledger.pointed(*pointer, row.version, row.contentHash, ox.now);

  std::string d1Copy = "none";
  if (pointer && (row.markdown || row.html)) {
    auto known = ledger.get(*pointer);
    const UnixMillis since = known && known->pointedAt ? *known->pointedAt : ox.now;
    if (since + graceMs > ox.now) {
      d1Copy = "waiting";
    } else {
      R2Got got = co_await r2Get(ox.io, *pointer);
      if (!got.ok) co_return unavailable(ox, "r2 read", got.error);
      std::string why;
      if (!got.value || !verifyContentObject(*got.value, row.version, row.contentHash, &why)) {
        const std::string code = got.value ? "content.corrupt" : "content.missing";
        const std::string problem = got.value ? " does not match its hash" : " is missing";
        ox.io.log("error", "D1 copy kept: the R2 object does not verify",
                  {{"post", id.postId}, {"key", *pointer}, {"code", code}, {"why", why}});
        co_return errorResponse({500, code, "the R2 object " + *pointer + problem + "; the D1 copy was kept", ""});
      }
      D1Result swap = co_await ox.io.query(
          post_sql::clearD1Copy(id.tenantId, id.postId, row.version, row.storageLocation, *pointer));
      if (!swap.ok) co_return unavailable(ox, "clear D1 copy", swap.error);
      if (swap.rows.empty()) {
        Loaded after = co_await loadRow(ox, id);
        co_return moveConflict(after.ok && after.found ? after.row.version : row.version);
      }
      d1Copy = "cleared";
      ox.io.log("info", "D1 copy of R2 content cleared", {{"post", id.postId}, {"key", *pointer}});
    }
  }

  Json deleted = Json::array();
  Json waiting = Json::array();
  for (const ContentObjectRecord& object : ledger.all()) {
    if (pointer && object.key == *pointer) continue;
    if (!object.releasedAt || *object.releasedAt + graceMs > ox.now) {
      waiting.push_back(object.key);
      continue;
    }
    std::string error;
    const bool gone = co_await r2Delete(ox.io, object.key, &error);
    if (!gone) co_return unavailable(ox, "r2 delete", error);
    ledger.forget(object.key);
    deleted.push_back(object.key);
  }
  if (!deleted.empty()) ox.io.log("info", "old R2 content objects deleted", {{"post", id.postId}, {"keys", deleted}});
  Json body = Json::object();
  body["d1_copy"] = d1Copy;
  body["deleted"] = std::move(deleted);
  body["waiting"] = std::move(waiting);
  body["storage_location"] = row.storageLocation;
  body["version"] = row.version;
  co_return jsonResponse(200, body);
}

// One move of this post at a time (see MoveLedger).
Task<HttpResponse> underLease(ObjectContext& ox, MoveLedger& ledger, std::string op, Task<HttpResponse> work) {
  if (!ledger.acquire(op, ox.random, ox.now)) {
    const std::string holder = ledger.holder(ox.now).value_or("another move");
    co_return errorResponse({409, "migrate.busy", "a move of this post is running (" + holder + "); retry shortly", ""});
  }
  HttpResponse r = co_await work;
  ledger.release(ox.random);
  co_return r;
}

Task<HttpResponse> migrate(ObjectContext& ox, const Ident& id, MoveLedger& ledger, const std::string& to) {
  if (to == "r2") {
    std::vector<std::string> fields = {"key", "location"};
    auto body = co_await moveBody(ox, std::move(fields));
    if (auto* failure = std::get_if<HttpResponse>(&body)) co_return std::move(*failure);
    const Json& b = std::get<Json>(body);
    std::optional<std::string> key;
    if (const Json& k = jsonValue(b, "key"); !k.is_null()) {
      if (!k.is_string() || !isContentKeyOf(k.get_ref<const std::string&>(), id.tenantId, id.postId))
        co_return errorResponse({400, "migrate.key_invalid",
                                 "key must be t/{tenant}/p/{post}/v{version}-{sha256}.json for this post", "key"});
      key = k.get<std::string>();
    }
    std::string location = "r2";
    if (const Json& loc = jsonValue(b, "location"); !loc.is_null()) {
      if (!loc.is_string() || (loc != "r2" && loc != "r2_archived"))
        co_return errorResponse({400, "migrate.location_invalid", "location must be r2 or r2_archived", "location"});
      location = loc.get<std::string>();
    }
    Task<HttpResponse> work = moveToR2(ox, id, ledger, std::move(key), std::move(location));
    co_return co_await underLease(ox, ledger, "r2", std::move(work));
  }
  if (to == "d1") {
    auto body = co_await moveBody(ox, std::vector<std::string>());
    if (auto* failure = std::get_if<HttpResponse>(&body)) co_return std::move(*failure);
    Task<HttpResponse> work = moveToD1(ox, id, ledger);
    co_return co_await underLease(ox, ledger, "d1", std::move(work));
  }
  std::vector<std::string> fields = {"grace_seconds"};
  auto body = co_await moveBody(ox, std::move(fields));
  if (auto* failure = std::get_if<HttpResponse>(&body)) co_return std::move(*failure);
  long long grace = kDefaultGraceSeconds;
  if (const Json& g = jsonValue(std::get<Json>(body), "grace_seconds"); !g.is_null()) {
    if (!g.is_number_integer() || g.get<long long>() < 0 || g.get<long long>() > kMaxGraceSeconds)
      co_return errorResponse({400, "migrate.grace_invalid", "grace_seconds must be an integer from 0 to 2592000",
                               "grace_seconds"});
    grace = g.get<long long>();
  }
  Task<HttpResponse> work = clearOldCopies(ox, id, ledger, grace * 1000);
  co_return co_await underLease(ox, ledger, "clear", std::move(work));
}

}  // namespace

Task<HttpResponse> handlePostContentObject(ObjectContext& ox) {
  // This object sets no alarm; one left by anything else has nothing to do.
  if (!ox.request) {
    Json ok = {{"ok", true}};
    co_return jsonResponse(200, ok);
  }
  const HttpRequest& req = *ox.request;
  Ident id{req.header("x-lattice-tenant"), req.header("x-lattice-post")};
  if (!plausibleId(id.tenantId) || !plausibleId(id.postId))
    co_return errorResponse({400, "object.post_missing", "x-lattice-tenant and x-lattice-post are required", ""});
  if (!ox.name.empty() && ox.name != postContentObjectName(id.tenantId, id.postId))
    co_return errorResponse({400, "object.identity_mismatch", "this object is " + ox.name, ""});
  auto segments = pathSegments(req.path);
  if (!segments || segments->empty()) co_return errorResponse({404, "route.not_found", "no such object route", ""});
  const std::vector<std::string>& s = *segments;
  const std::string& method = req.method;

  if (s[0] == "content" && s.size() == 1) {
    if (method != "GET") co_return methodNotAllowed("GET");
    co_return co_await getContent(ox, id);
  }
  if (s[0] == "versions" && s.size() <= 2) {
    VersionStore store(ox.sql);
    if (s.size() == 2) {
      if (method != "GET") co_return methodNotAllowed("GET");
      co_return co_await getVersion(ox, id, store, s[1]);
    }
    if (method == "GET") co_return co_await listVersions(ox, id, store);
    if (method == "POST") {
      MoveLedger ledger(ox.sql);
      co_return co_await reportVersion(ox, store, ledger);
    }
    co_return methodNotAllowed("GET, POST");
  }
  if (s[0] == "migrate" && s.size() == 2 && (s[1] == "r2" || s[1] == "d1" || s[1] == "clear")) {
    if (method != "POST") co_return methodNotAllowed("POST");
    MoveLedger ledger(ox.sql);
    co_return co_await migrate(ox, id, ledger, s[1]);
  }
  co_return errorResponse({404, "route.not_found", "no such object route", ""});
}

}  // namespace lattice
