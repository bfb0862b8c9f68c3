// Tenants: who a request is for (from the Host header only) and the tenant row.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/io.h"
#include "core/json.h"

namespace lattice {

// What a Host header names, given BASE_DOMAIN.
struct HostTarget {
  enum class Kind { Main, Tenant, Unknown } kind = Kind::Unknown;
  std::string subdomain;  // for Kind::Tenant
};

// "demo.localhost:8787" with base "localhost" -> Tenant "demo"; "localhost:8787" -> Main;
// "a.b.localhost", "evil.com", "" -> Unknown. Subdomains must be [a-z0-9-]{1,63}, not
// starting or ending with '-'.
HostTarget resolveHost(std::string_view host, std::string_view baseDomain);

struct Tenant {
  std::string id;
  std::string subdomain;
  std::string displayName;
  std::string description;
  std::string tier;
  Json theme = Json::object();
  Json limits = Json::object();
  long long contentVersion = 0;
  long long configVersion = 0;

  // Theme values safe to put into CSS: a #hex accent and a font family keyword.
  std::string accentColor() const;
  bool serif() const;

  // The owner API's view: {subdomain, display_name, description, tier, theme, limits,
  // config_version}.
  Json toJson() const;

  static Tenant fromRow(const Json& row);
};

// SQL owned by the tenants table.
namespace tenant_sql {
// The tenant for `subdomain` plus the tenant id that `tokenHash` belongs to (NULL if none): one
// query authenticates and resolves an API request.
SqlStatement bySubdomainWithToken(std::string_view subdomain, std::string_view tokenHash);
SqlStatement bySubdomain(std::string_view subdomain);
// Writes the tenant's display name, description, theme and limits, with updated_at = `now`;
// returns the id when the tenant exists. A trigger (migrations/0003) bumps config_version by
// one; RETURNING does not see that, so read the tenant again in the same batch (the write path
// does: src/app/owner-api.h).
SqlStatement updateConfig(const Tenant& tenant, long long now);
}  // namespace tenant_sql

}  // namespace lattice
