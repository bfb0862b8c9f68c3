#include "blog/seed.h"

#include "blog/post-input.h"
#include "blog/post.h"
#include "blog/tenant.h"
#include "core/sha256.h"

#include <map>
#include <set>

namespace lattice {

std::string sqlLiteral(const Json& v) {
  if (v.is_null()) return "NULL";
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number()) return std::to_string(v.get<double>());
  std::string s = v.is_string() ? v.get<std::string>() : dumpJson(v);
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "''";
    else if (c != '\0') out.push_back(c);
  }
  return out + "'";
}

namespace {

// Replaces the ?N placeholders of a post_sql statement with literals, in one left-to-right pass
// over the statement's own text (so a literal that contains "?3" is never rescanned).
std::string inlineParams(const SqlStatement& s) {
  std::string out;
  for (size_t i = 0; i < s.sql.size(); ++i) {
    if (s.sql[i] != '?') {
      out.push_back(s.sql[i]);
      continue;
    }
    size_t j = i + 1, n = 0;
    while (j < s.sql.size() && s.sql[j] >= '0' && s.sql[j] <= '9') n = n * 10 + size_t(s.sql[j++] - '0');
    out += (n >= 1 && n <= s.params.size()) ? sqlLiteral(s.params[n - 1]) : "NULL";
    i = j - 1;
  }
  return out;
}

std::string derivedId(std::string_view prefix, std::string_view name) {
  return std::string(prefix) + sha256Hex(name).substr(0, 20);
}

}  // namespace

Json buildSeedSql(const Json& tenants, const Json& posts, UnixMillis now) {
  if (!tenants.is_array() || !posts.is_array()) return {{"error", "tenants and posts must be arrays"}};
  std::string sql;
  std::map<std::string, std::string> tenantIds;
  std::set<std::string> seen;  // "tenant/slug" of the posts so far
  for (const auto& t : tenants) {
    if (!t.is_object()) return {{"error", "each tenant must be an object"}};
    std::string sub = jsonString(t, "subdomain");
    // Exactly as a Host names it: resolveHost lower-cases, so "Demo" would pass yet never be served.
    HostTarget target = resolveHost(sub + ".x", "x");
    if (target.kind != HostTarget::Kind::Tenant || target.subdomain != sub)
      return {{"error", "invalid tenant subdomain '" + sub + "'"}};
    std::string tier = jsonString(t, "tier", "seedling");
    if (tier != "seedling" && tier != "sapling" && tier != "oak" && tier != "evergreen")
      return {{"error", "tenant " + sub + ": invalid tier '" + tier + "'"}};
    std::string id = derivedId("tn_", sub);
    tenantIds[sub] = id;
    sql += "INSERT INTO tenants (id, subdomain, display_name, description, theme, tier, limits, created_at, updated_at) VALUES (" +
           sqlLiteral(id) + ", " + sqlLiteral(sub) + ", " + sqlLiteral(jsonString(t, "display_name", sub)) + ", " +
           sqlLiteral(jsonString(t, "description")) + ", " + sqlLiteral(dumpJson(t.value("theme", Json::object()))) +
           ", " + sqlLiteral(tier) + ", " + sqlLiteral(dumpJson(t.value("limits", Json::object()))) + ", " +
           std::to_string(now) + ", " + std::to_string(now) + ");\n";
  }
  for (const auto& p : posts) {
    if (!p.is_object()) return {{"error", "each post must be an object"}};
    std::string tenant = jsonString(p, "tenant");
    std::string slug = jsonString(p, "slug");
    std::string where = tenant + "/" + slug;
    auto tid = tenantIds.find(tenant);
    if (tid == tenantIds.end()) return {{"error", where + ": unknown tenant"}};
    Json body = Json::object();
    for (const char* key : {"slug", "title", "description", "tags", "status", "published_at", "markdown"})
      if (p.contains(key)) body[key] = p[key];
    auto input = parsePostInput(body, /*creating=*/true, 1 << 20);
    if (auto* e = std::get_if<ApiError>(&input)) return {{"error", where + ": " + e->code + ": " + e->message}};
    // The insert skips a taken slug (ON CONFLICT DO NOTHING), which would silently drop a post.
    if (!seen.insert(where).second) return {{"error", where + ": duplicate slug"}};
    UnixMillis updated = now;
    if (p.contains("updated_at")) {
      auto t = p["updated_at"].is_string() ? parseIso8601(p["updated_at"].get<std::string>()) : std::nullopt;
      if (!t) return {{"error", where + ": updated_at is not an ISO 8601 time"}};
      updated = *t;
    }
    Post post;
    post.id = derivedId("p_", where);
    post.tenantId = tid->second;
    applyPostInput(post, std::get<PostInput>(input), updated);
    post.createdAt = post.publishedAt ? std::min(*post.publishedAt, updated) : updated;
    sql += inlineParams(post_sql::insert(post)) + ";\n";
  }
  return {{"sql", std::move(sql)}};
}

}  // namespace lattice
