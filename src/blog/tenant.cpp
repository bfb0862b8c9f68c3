#include "blog/tenant.h"

#include <cctype>

namespace lattice {

namespace {
bool validLabel(std::string_view s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}
constexpr const char* kTenantColumns =
    "id, subdomain, display_name, description, tier, theme, limits, content_version, config_version";
}  // namespace

HostTarget resolveHost(std::string_view host, std::string_view baseDomain) {
  std::string h(host);
  for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // Only a real port is dropped: "demo.localhost:8787.evil.com" must not become "demo.localhost".
  if (size_t colon = h.rfind(':'); colon != std::string::npos && h.find(']') == std::string::npos &&
                                   h.find_first_not_of("0123456789", colon + 1) == std::string::npos)
    h.resize(colon);
  if (!h.empty() && h.back() == '.') h.pop_back();  // "demo.example.com." is the same host
  HostTarget t;
  if (h == baseDomain) {
    t.kind = HostTarget::Kind::Main;
    return t;
  }
  if (h.size() > baseDomain.size() + 1 && h.compare(h.size() - baseDomain.size(), baseDomain.size(), baseDomain) == 0 &&
      h[h.size() - baseDomain.size() - 1] == '.') {
    std::string label = h.substr(0, h.size() - baseDomain.size() - 1);
    if (validLabel(label)) {
      t.kind = HostTarget::Kind::Tenant;
      t.subdomain = std::move(label);
    }
  }
  return t;
}

std::string Tenant::accentColor() const {
  std::string a = jsonString(theme, "accent");
  bool ok = (a.size() == 4 || a.size() == 7) && a[0] == '#';
  for (size_t i = 1; ok && i < a.size(); ++i) ok = std::isxdigit(static_cast<unsigned char>(a[i]));
  return ok ? a : "#2f5d8a";
}

bool Tenant::serif() const { return jsonString(theme, "font") == "serif"; }

Json Tenant::toJson() const {
  return {{"subdomain", subdomain},
          {"display_name", displayName},
          {"description", description},
          {"tier", tier},
          {"theme", theme},
          {"limits", limits},
          {"config_version", configVersion}};
}

Tenant Tenant::fromRow(const Json& row) {
  Tenant t;
  t.id = jsonString(row, "id");
  t.subdomain = jsonString(row, "subdomain");
  t.displayName = jsonString(row, "display_name");
  t.description = jsonString(row, "description");
  t.tier = jsonString(row, "tier", "seedling");
  if (auto theme = parseJson(jsonString(row, "theme", "{}")); theme && theme->is_object()) t.theme = *theme;
  if (auto limits = parseJson(jsonString(row, "limits", "{}")); limits && limits->is_object()) t.limits = *limits;
  t.contentVersion = jsonInt(row, "content_version");
  t.configVersion = jsonInt(row, "config_version");
  return t;
}

namespace tenant_sql {

SqlStatement bySubdomainWithToken(std::string_view subdomain, std::string_view tokenHash) {
  return {std::string("SELECT ") + kTenantColumns + R"(,
              (SELECT tenant_id FROM api_tokens
                WHERE token_hash = ?2 AND revoked_at IS NULL) AS token_tenant_id
            FROM tenants WHERE subdomain = ?1)",
          Json::array({std::string(subdomain), std::string(tokenHash)})};
}

SqlStatement bySubdomain(std::string_view subdomain) {
  return {std::string("SELECT ") + kTenantColumns + " FROM tenants WHERE subdomain = ?1",
          Json::array({std::string(subdomain)})};
}

SqlStatement updateConfig(const Tenant& tenant, long long now) {
  return {R"(UPDATE tenants
                SET display_name = ?2, description = ?3, theme = ?4, limits = ?5, updated_at = ?6
              WHERE id = ?1
             RETURNING id)",
          Json::array({tenant.id, tenant.displayName, tenant.description, dumpJson(tenant.theme),
                       dumpJson(tenant.limits), now})};
}

}  // namespace tenant_sql

}  // namespace lattice
