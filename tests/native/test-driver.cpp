#include "test-driver.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/sha256.h"

namespace lattice::testing {

namespace {
std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
Json ok(Json extra = Json::object()) {
  extra["ok"] = true;
  return extra;
}
Json fail(const std::string& message) { return {{"ok", false}, {"error", message}}; }
}  // namespace

TestWorld::TestWorld(Json vars) : engine(Config::fromVars(vars)) {
  REQUIRE(sqlite3_open(":memory:", &db_) == SQLITE_OK);
  sqlite3_exec(db_, "PRAGMA foreign_keys = ON", nullptr, nullptr, nullptr);
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(LATTICE_MIGRATIONS_DIR))
    if (e.path().extension() == ".sql") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, readFile(f).c_str(), nullptr, nullptr, &err);
    INFO("migration " << f.filename().string() << ": " << (err ? err : ""));
    REQUIRE(rc == SQLITE_OK);
  }
}

TestWorld::~TestWorld() { sqlite3_close(db_); }

Json TestWorld::runStatement(const std::string& sql, const Json& params) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
    return fail(sqlite3_errmsg(db_));
  for (size_t i = 0; params.is_array() && i < params.size(); ++i) {
    const Json& v = params[i];
    int idx = static_cast<int>(i + 1);
    if (v.is_null()) sqlite3_bind_null(stmt, idx);
    else if (v.is_boolean()) sqlite3_bind_int(stmt, idx, v.get<bool>() ? 1 : 0);
    else if (v.is_number_integer()) sqlite3_bind_int64(stmt, idx, v.get<long long>());
    else if (v.is_number()) sqlite3_bind_double(stmt, idx, v.get<double>());
    else if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      sqlite3_bind_text(stmt, idx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    } else {
      std::string s = v.dump();
      sqlite3_bind_text(stmt, idx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    }
  }
  const int before = sqlite3_total_changes(db_);
  Json rows = Json::array();
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    Json row = Json::object();
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      const char* name = sqlite3_column_name(stmt, c);
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_INTEGER: row[name] = static_cast<long long>(sqlite3_column_int64(stmt, c)); break;
        case SQLITE_FLOAT: row[name] = sqlite3_column_double(stmt, c); break;
        case SQLITE_NULL: row[name] = nullptr; break;
        default:
          row[name] = std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, c)),
                                  static_cast<size_t>(sqlite3_column_bytes(stmt, c)));
      }
    }
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) {
    std::string err = sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
    return fail(err);
  }
  const bool readOnly = sqlite3_stmt_readonly(stmt);
  sqlite3_finalize(stmt);
  const long long written = sqlite3_total_changes(db_) - before;
  const auto read = static_cast<long long>(rows.size());
  return ok({{"rows", std::move(rows)},
             {"meta", {{"rows_read", read},
                       {"rows_written", written},
                       {"changes", readOnly ? 0 : sqlite3_changes(db_)}}}});
}

Json TestWorld::perform(const Json& effect, const std::string& body) {
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
  if (kind == "d1.batch") {
    sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr);
    Json results = Json::array();
    for (const auto& s : effect["statements"]) {
      Json r = runStatement(jsonString(s, "sql"), s.contains("params") ? s["params"] : Json::array());
      if (!jsonBool(r, "ok")) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        return r;
      }
      counters["d1.rows_read"] += jsonInt(r["meta"], "rows_read");
      counters["d1.rows_written"] += jsonInt(r["meta"], "rows_written");
      r.erase("ok");
      results.push_back(std::move(r));
    }
    sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
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
  std::optional<HttpResponse> sent;  // a response sent before the work after it finished
  for (int guard = 0; guard < 1000; ++guard) {
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
  FAIL("request did not finish within 1000 effects");
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
  char* err = nullptr;
  int rc = sqlite3_exec(db_, script.c_str(), nullptr, nullptr, &err);
  const std::string message = err ? err : "";
  sqlite3_free(err);
  INFO("script error: " << message);
  REQUIRE(rc == SQLITE_OK);
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
