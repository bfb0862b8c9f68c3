#include "test-driver.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "core/sha256.h"

namespace lattice::testing {

namespace {
Json ok(Json extra = Json::object()) {
  extra["ok"] = true;
  return extra;
}
Json fail(const std::string& message) { return {{"ok", false}, {"error", message}}; }
}  // namespace

TestWorld::TestWorld(Json vars) : engine(Config::fromVars(vars)) {
  const std::string err = db_.migrate();
  INFO("migrations: " << err);
  REQUIRE(err.empty());
}

TestWorld::~TestWorld() = default;

Json TestWorld::runStatement(const std::string& sql, const Json& params) { return db_.run(sql, params); }

namespace {
// The Durable Object class behind a namespace binding (wrangler.toml's durable_objects.bindings).
std::string classOfBinding(const std::string& binding) {
  if (binding == "TENANT_DO") return "TenantDO";
  if (binding == "POST_META_DO") return "PostMetaDO";
  if (binding == "POST_CONTENT_DO") return "PostContentDO";
  if (binding == "LIMITER_DO") return "LimiterDO";
  if (binding == "FEED_DO") return "FeedDO";
  return "";
}
}  // namespace

HttpResponse TestWorld::runObject(const std::string& className, const std::string& name, const Json& request,
                                  const Json& socket) {
  objectClasses_[name] = className;  // an alarm later runs in the same class
  auto& db = objects[name];
  if (!db) db = std::make_unique<SqliteDb>();
  Json envelope = {{"object", {{"class", className}, {"name", name}}},
                   {"request", request},
                   {"now", now},
                   {"random", sha256Hex("random-" + std::to_string(++randomCounter_))}};
  if (!socket.is_null()) envelope["socket"] = socket;
  const std::string body = request.is_object() ? jsonString(request, "body") : std::string();
  auto atomically = [&](auto&& step) {
    db->script("BEGIN");
    Json out = step();
    db->script("COMMIT");
    return out;
  };
  Json step = atomically([&] { return engine.beginObject(envelope, std::make_unique<SqliteSql>(*db)); });
  for (int guard = 0; guard < 1000; ++guard) {
    if (step.contains("emits"))
      for (const auto& e : step["emits"]) {
        if (jsonString(e, "kind") == "log") logs.push_back(e);
        if (jsonString(e, "kind") == "metric") counters["metric." + jsonString(e, "name")] += static_cast<long long>(jsonValue(e, "value").is_number() ? jsonValue(e, "value").get<double>() : 0);
      }
    if (step.contains("response")) return HttpResponse::fromJson(step["response"]);
    Json result = perform(step["effect"], body, name);
    step = atomically([&] { return engine.resume(jsonInt(step, "id"), result); });
  }
  FAIL("object event did not finish within 1000 effects");
  return {};
}

HttpResponse TestWorld::callObject(const std::string& binding, const std::string& name, const Json& request) {
  Json r = request;
  r["url"] = "https://do.internal" + jsonString(request, "path");
  return runObject(classOfBinding(binding), name, r);
}

std::string TestWorld::connect(const std::string& host, const std::string& path, const std::string& origin,
                               HttpResponse* refused, std::map<std::string, std::string> headers) {
  headers["upgrade"] = "websocket";
  headers["connection"] = "Upgrade";
  if (!origin.empty()) headers["origin"] = origin;
  connectHeaders_ = headers;
  lastAccepted_.clear();
  HttpResponse r = request("GET", host, path, headers);
  connectHeaders_.clear();
  lastConnect = r;
  if (r.status != 101) {
    if (refused) *refused = r;
    return "";
  }
  return lastAccepted_;
}

std::string TestWorld::connectObject(const std::string& binding, const std::string& name, const std::string& path,
                                     std::map<std::string, std::string> headers, HttpResponse* refused) {
  headers["upgrade"] = "websocket";
  headers["connection"] = "Upgrade";
  Json h = Json::object();
  for (const auto& [k, v] : headers) h[k] = v;
  lastAccepted_.clear();
  HttpResponse r = callObject(binding, name, {{"method", "GET"}, {"path", path}, {"headers", h}});
  if (r.status != 101) {
    if (refused) *refused = r;
    return "";
  }
  return lastAccepted_;
}

void TestWorld::socketSend(const std::string& id, const std::string& text, long long binaryBytes) {
  Socket& s = sockets.at(id);
  REQUIRE(s.closeCode == 0);
  if (binaryBytes < 0 && !s.autoRequest.empty() && text == s.autoRequest) {
    s.received.push_back(s.autoResponse);  // answered by the runtime; the object stays asleep
    counters["ws.auto_response"] += 1;
    return;
  }
  Json event = {{"kind", "message"}, {"id", id}, {"attachment", s.attachment}};
  if (binaryBytes >= 0) {
    event["binary"] = true;
    event["size"] = binaryBytes;
  } else {
    event["data"] = text;
    event["size"] = static_cast<long long>(text.size());
  }
  runObject(objectClasses_[s.object], s.object, nullptr, event);
}

void TestWorld::socketClose(const std::string& id, int code) {
  Socket& s = sockets.at(id);
  if (s.closeCode != 0) return;
  s.closeCode = code;
  Json event = {{"kind", "close"}, {"id", id}, {"attachment", s.attachment}};
  runObject(objectClasses_[s.object], s.object, nullptr, event);
}

std::vector<Json> TestWorld::messagesOf(const std::string& id) const {
  std::vector<Json> out;
  for (const auto& m : sockets.at(id).received) out.push_back(parseJson(m).value_or(Json(m)));
  return out;
}

Json TestWorld::performSocket(const std::string& kind, const Json& effect, const std::string& object) {
  const std::string id = jsonString(effect, "id");
  auto mine = [&](const std::string& tag) {
    auto it = sockets.find(tag);
    return it != sockets.end() && it->second.object == object && it->second.closeCode == 0 ? &it->second : nullptr;
  };
  if (kind == "ws.accept") {
    Socket s;
    s.object = object;
    s.attachment = effect["attachment"];
    if (effect.contains("autoResponse")) {
      s.autoRequest = effect["autoResponse"][0];
      s.autoResponse = effect["autoResponse"][1];
    }
    sockets[id] = std::move(s);
    lastAccepted_ = id;
    return ok();
  }
  if (kind == "ws.list") {
    Json list = Json::array();
    for (const auto& [tag, s] : sockets)
      if (s.object == object && s.closeCode == 0) list.push_back({{"id", tag}, {"attachment", s.attachment}});
    return ok({{"sockets", std::move(list)}});
  }
  if (kind == "ws.send") {
    const std::string to = jsonString(effect, "to"), except = jsonString(effect, "except");
    int sent = 0;
    for (auto& [tag, s] : sockets) {
      if (s.object != object || s.closeCode != 0 || (!to.empty() && tag != to) || tag == except) continue;
      s.received.push_back(jsonString(effect, "message"));
      ++sent;
    }
    return ok({{"sent", sent}});
  }
  if (kind == "ws.attach") {
    if (Socket* s = mine(id)) s->attachment = effect["attachment"];
    return ok();
  }
  if (kind == "ws.close") {
    if (Socket* s = mine(id)) {
      s->closeCode = static_cast<int>(jsonInt(effect, "code"));
      s->closeReason = jsonString(effect, "reason");
    }
    return ok();
  }
  return fail("unknown socket effect " + kind);
}

int TestWorld::runAlarms(int max) {
  int ran = 0;
  while (ran < max) {
    auto due = std::find_if(alarms.begin(), alarms.end(), [this](const auto& a) { return a.second <= now; });
    if (due == alarms.end()) break;
    const std::string name = due->first;
    alarms.erase(due);
    runObject(objectClasses_[name], name, nullptr);
    ++ran;
  }
  return ran;
}

Json TestWorld::objectSql(const std::string& object, const std::string& statement, const Json& params) {
  auto it = objects.find(object);
  REQUIRE(it != objects.end());
  Json r = it->second->run(statement, params);
  INFO("object sql: " << statement << " -> " << r.dump());
  REQUIRE(jsonBool(r, "ok"));
  return r["rows"];
}

Json TestWorld::perform(const Json& effect, const std::string& body, const std::string& object) {
  const std::string kind = jsonString(effect, "kind");
  counters[kind] += 1;
  if (fault) {
    if (auto injected = fault(effect)) return *injected;
  }
  if (kind == "d1.query") {
    Json r = runStatement(jsonString(effect, "sql"), effect.contains("params") ? effect["params"] : Json::array());
    if (jsonBool(r, "ok")) {
      counters["d1.rows_read"] += jsonInt(r["meta"], "rows_read");
      counters["d1.rows_written"] += jsonInt(r["meta"], "rows_written");
    }
    return r;
  }
  if (kind == "do.call") {
    HttpResponse r = callObject(jsonString(effect, "binding"), jsonString(effect, "name"), effect["request"]);
    return ok({{"response", r.toJson()}});
  }
  if (kind.rfind("ws.", 0) == 0) return performSocket(kind, effect, object);
  if (kind == "do.connect") {
    Json headers = Json::object();
    for (const auto& [k, v] : connectHeaders_)
      if (k.rfind("x-lattice-", 0) != 0) headers[k] = v;
    for (const auto& [k, v] : effect["headers"].items()) headers[k] = v;
    Json request = {{"method", "GET"}, {"path", jsonString(effect, "path")}, {"headers", headers}};
    HttpResponse r = callObject(jsonString(effect, "binding"), jsonString(effect, "name"), request);
    return ok({{"status", r.status}, {"body", r.body}, {"protocol", r.header("sec-websocket-protocol")}});
  }
  if (kind == "alarm.get") {
    auto it = alarms.find(object);
    return ok({{"at", it == alarms.end() ? Json(nullptr) : Json(it->second)}});
  }
  if (kind == "alarm.set") {
    alarms[object] = jsonInt(effect, "at");
    return ok();
  }
  if (kind == "alarm.delete") {
    alarms.erase(object);
    return ok();
  }
  if (kind == "d1.batch") {
    db_.script("BEGIN");
    Json results = Json::array();
    for (const auto& s : effect["statements"]) {
      Json r = runStatement(jsonString(s, "sql"), s.contains("params") ? s["params"] : Json::array());
      if (!jsonBool(r, "ok")) {
        db_.script("ROLLBACK");
        return r;
      }
      counters["d1.rows_read"] += jsonInt(r["meta"], "rows_read");
      counters["d1.rows_written"] += jsonInt(r["meta"], "rows_written");
      r.erase("ok");
      results.push_back(std::move(r));
    }
    db_.script("COMMIT");
    return ok({{"results", std::move(results)}});
  }
  const std::string key = jsonString(effect, "key");
  auto live = [this](const std::map<std::string, Stored>& m, const std::string& k) -> const Stored* {
    auto it = m.find(k);
    return it != m.end() && (it->second.expires == 0 || now < it->second.expires) ? &it->second : nullptr;
  };
  if (kind == "kv.get") {
    if (auto prev = kvPrevious_.find(key); prev != kvPrevious_.end() && now < prev->second.until) {
      const auto& old = prev->second.value;
      return ok({{"value", old && (old->expires == 0 || now < old->expires) ? old->value : Json(nullptr)}});
    }
    const Stored* s = live(kv, key);
    return ok({{"value", s ? s->value : Json(nullptr)}});
  }
  if (kind == "kv.put") {
    long long ttl = jsonInt(effect, "ttl");
    if (ttl != 0 && ttl < 60) return fail("KV expiration_ttl must be at least 60 seconds");
    kvWrite(key, Stored{jsonString(effect, "value"), ttl ? now + ttl * 1000 : 0});
    return ok();
  }
  if (kind == "kv.delete") {
    kvWrite(key, std::nullopt);
    return ok();
  }
  if (kind == "r2.get") return ok({{"value", r2.count(key) ? Json(r2[key]) : Json(nullptr)}});
  if (kind == "r2.head") return ok({{"exists", r2.count(key) > 0}, {"size", r2.count(key) ? r2[key].size() : 0}});
  if (kind == "r2.put") { r2[key] = jsonString(effect, "value"); return ok(); }
  if (kind == "r2.delete") { r2.erase(key); return ok(); }
  const std::string url = jsonString(effect, "url");
  if (kind == "cache.match") {
    const Stored* s = live(cache, url);
    return ok({{"response", s ? s->value : Json(nullptr)}});
  }
  if (kind == "cache.put") {
    // Like the Cache API: kept for the response's max-age; private/no-store ones are refused.
    HttpResponse r = HttpResponse::fromJson(effect["response"]);
    const std::string cc = r.header("cache-control");
    if (cc.find("private") != std::string::npos || cc.find("no-store") != std::string::npos)
      return fail("cache.put of a response marked private/no-store");
    size_t at = cc.find("max-age=");
    long long maxAge = at == std::string::npos ? 0 : std::atoll(cc.c_str() + at + 8);
    if (maxAge > 0) cache[url] = Stored{effect["response"], now + maxAge * 1000};
    return ok();
  }
  if (kind == "cache.delete") return ok({{"deleted", cache.erase(url) > 0}});
  if (kind == "body.read") {
    size_t max = static_cast<size_t>(jsonInt(effect, "max"));
    bool truncated = body.size() > max;
    return ok({{"text", truncated ? body.substr(0, max) : body}, {"truncated", truncated}});
  }
  if (kind == "respond") {
    ++responded;
    return ok();
  }
  if (kind == "metrics.read") {
    Json c = Json::object();
    for (const auto& [k, v] : counters) c[k] = v;
    return ok({{"counters", c}});
  }
  return fail("unsupported effect kind '" + kind + "'");
}

HttpResponse TestWorld::request(const std::string& method, const std::string& host, const std::string& path,
                                std::map<std::string, std::string> headers, const std::string& body) {
  headers["host"] = host;
  Json h = Json::object();
  for (auto& [k, v] : headers) h[k] = v;
  // 64 hex characters of "randomness", distinct per request and reproducible per test.
  std::string random = sha256Hex("random-" + std::to_string(++randomCounter_));
  Json step = engine.begin({{"request", {{"method", method}, {"url", "http://" + host + path}, {"headers", h}}},
                            {"now", now},
                            {"random", random}});
  return drive(std::move(step), body);
}

HttpResponse TestWorld::scheduled(const std::string& cron) {
  std::string random = sha256Hex("random-" + std::to_string(++randomCounter_));
  Json step = engine.begin({{"scheduled", {{"cron", cron}}}, {"now", now}, {"random", random}});
  return drive(std::move(step), "");
}

HttpResponse TestWorld::drive(Json step, const std::string& body) {
  std::optional<HttpResponse> sent;  // a response sent before the work after it finished
  // A migrator run performs a few effects per post it moves.
  for (int guard = 0; guard < 100000; ++guard) {
    if (step.contains("emits"))
      for (const auto& e : step["emits"]) {
        if (jsonString(e, "kind") == "log") logs.push_back(e);
        if (jsonString(e, "kind") == "metric") counters["metric." + jsonString(e, "name")] += static_cast<long long>(jsonValue(e, "value").is_number() ? jsonValue(e, "value").get<double>() : 0);
      }
    if (step.contains("response")) return sent ? *sent : HttpResponse::fromJson(step["response"]);
    const Json& effect = step["effect"];
    if (jsonString(effect, "kind") == "respond" && !sent) sent = HttpResponse::fromJson(effect["response"]);
    step = engine.resume(jsonInt(step, "id"), perform(effect, body));
  }
  FAIL("request did not finish within 100000 effects");
  return {};
}

HttpResponse TestWorld::api(const std::string& method, const std::string& host, const std::string& path,
                            const std::string& token, const std::optional<Json>& body) {
  std::map<std::string, std::string> headers;
  if (!token.empty()) headers["authorization"] = "Bearer " + token;
  if (body) headers["content-type"] = "application/json";
  return request(method, host, path, headers, body ? body->dump() : std::string());
}

Json TestWorld::sql(const std::string& statement, const Json& params) {
  Json r = runStatement(statement, params);
  INFO("sql: " << statement << " -> " << r.dump());
  REQUIRE(jsonBool(r, "ok"));
  return r["rows"];
}

void TestWorld::execScript(const std::string& script) {
  const std::string message = db_.script(script);
  INFO("script error: " << message);
  REQUIRE(message.empty());
}

long long TestWorld::count(const std::string& table) {
  return jsonInt(sql("SELECT count(*) AS n FROM " + table)[0], "n");
}

void TestWorld::kvWrite(const std::string& key, std::optional<Stored> value) {
  if (kvLag > 0) {
    auto it = kv.find(key);
    kvPrevious_[key] = Previous{it == kv.end() ? std::nullopt : std::optional<Stored>(it->second), now + kvLag};
  }
  if (value) kv[key] = std::move(*value);
  else kv.erase(key);
}

std::string TestWorld::addTenant(const std::string& subdomain, const std::string& displayName) {
  std::string id = "tn_" + subdomain;
  sql("INSERT INTO tenants (id, subdomain, display_name, description, theme, tier, created_at, updated_at) "
      "VALUES (?1, ?2, ?3, 'A test blog', '{\"accent\":\"#884422\"}', 'sapling', ?4, ?4)",
      {id, subdomain, displayName.empty() ? subdomain + " blog" : displayName, now});
  return id;
}

std::string TestWorld::mintToken(const std::string& tenantId) {
  std::string token = "lat_" + sha256Hex("token-" + tenantId + std::to_string(++randomCounter_));
  sql("INSERT INTO api_tokens (token_hash, tenant_id, label, created_at) VALUES (?1, ?2, 'test', ?3)",
      {sha256Hex(token), tenantId, now});
  return token;
}

}  // namespace lattice::testing
