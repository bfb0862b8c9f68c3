// The tenant as its TenantDO keeps it, in the object's SQLite: who it is (id, subdomain), its D1
// row (the config every page needs) and its stamp (src/cache/stamp.h), and when they were last
// read from D1. The object is the one strongly consistent place a tenant's state is read from:
// writes report their new stamp to it, and it re-reads D1 only when its copy is older than
// TENANT_STATE_TTL_SECONDS (a safety net for writes that bypassed it) or a scheduled post is due.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cache/stamp.h"
#include "core/io.h"
#include "core/json.h"
#include "core/time.h"
#include "durable/sql.h"

namespace lattice {

class TenantState {
 public:
  struct Kept {
    std::string tenantId;
    std::string subdomain;
    Json row;  // the tenants row as D1 returns it (tenant_sql::bySubdomain); null: no such tenant
    cache::Stamp stamp;
    UnixMillis checkedAt = 0;

    // Still usable at `now` without asking D1?
    bool fresh(UnixMillis now, int ttlSeconds) const;
  };

  explicit TenantState(Sql& sql);  // creates its table if needed

  // How the state is read from D1: one batch of [stamp, tenant row] at `now` (the object uses
  // it; so does the Worker when the object cannot be reached), and what its results say.
  static std::vector<SqlStatement> readQueries(const std::string& subdomain, UnixMillis now);
  static Kept fromResults(const std::string& subdomain, const std::vector<D1Result>& results, UnixMillis now);

  std::optional<Kept> get();
  // Keeps `row` and `stamp` (read from D1 at `checkedAt`) unless the copy kept is ahead of them;
  // returns whether it kept them. A report older than the copy still refreshes checkedAt when it
  // says the same versions.
  bool keep(const Json& row, const cache::Stamp& stamp, UnixMillis checkedAt);
  // The tenant this object belongs to, remembered from the first request (an alarm has none).
  void identify(const std::string& tenantId, const std::string& subdomain);
  std::optional<std::pair<std::string, std::string>> identity();

 private:
  Sql& sql_;
};

}  // namespace lattice
