#include "durable/tenant-state.h"

#include "blog/tenant.h"

namespace lattice {

namespace {
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tenant_state (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  tenant_id  TEXT NOT NULL,
  subdomain  TEXT NOT NULL,
  row        TEXT,              -- JSON of the tenants row; NULL until read
  stamp      TEXT,              -- JSON of the stamp; NULL until read
  checked_at INTEGER NOT NULL DEFAULT 0
))sql";
}  // namespace

bool TenantState::Kept::fresh(UnixMillis now, int ttlSeconds) const {
  if (checkedAt == 0 || now - checkedAt >= UnixMillis(ttlSeconds) * 1000) return false;
  return !stamp.nextPublishAt || now < *stamp.nextPublishAt;
}

std::vector<SqlStatement> TenantState::readQueries(const std::string& subdomain, UnixMillis now) {
  std::vector<SqlStatement> batch;
  batch.push_back(cache::stampQuery(subdomain, now));
  batch.push_back(tenant_sql::bySubdomain(subdomain));
  return batch;
}

TenantState::Kept TenantState::fromResults(const std::string& subdomain, const std::vector<D1Result>& results,
                                           UnixMillis now) {
  Kept k;
  k.stamp = cache::Stamp::fromRows(results.at(0).rows);
  k.stamp.subdomain = subdomain;
  k.row = results.at(1).rows.empty() ? Json(nullptr) : results.at(1).rows[0];
  k.tenantId = k.stamp.tenantId;
  k.subdomain = subdomain;
  k.checkedAt = now;
  return k;
}

TenantState::TenantState(Sql& sql) : sql_(sql) { sql_.exec(kSchema); }

std::optional<TenantState::Kept> TenantState::get() {
  SqlRows r = sql_.exec("SELECT tenant_id, subdomain, row, stamp, checked_at FROM tenant_state WHERE id = 1");
  if (!r.ok || r.rows.empty()) return std::nullopt;
  const Json& row = r.rows[0];
  auto stamp = parseJson(jsonString(row, "stamp"));
  auto tenantRow = parseJson(jsonString(row, "row"));
  if (!stamp || !tenantRow) return std::nullopt;
  auto s = cache::Stamp::fromJson(*stamp);
  if (!s) return std::nullopt;
  Kept k;
  k.tenantId = jsonString(row, "tenant_id");
  k.subdomain = jsonString(row, "subdomain");
  k.row = std::move(*tenantRow);
  k.stamp = std::move(*s);
  k.checkedAt = jsonInt(row, "checked_at");
  return k;
}

bool TenantState::keep(const Json& row, const cache::Stamp& stamp, UnixMillis checkedAt) {
  if (auto kept = get(); kept && kept->stamp.aheadOf(stamp)) return false;
  SqlRows r = sql_.exec(R"sql(
    INSERT INTO tenant_state (id, tenant_id, subdomain, row, stamp, checked_at) VALUES (1, ?1, ?2, ?3, ?4, ?5)
    ON CONFLICT (id) DO UPDATE SET row = ?3, stamp = ?4, checked_at = max(checked_at, ?5)
  )sql", Json::array({stamp.tenantId, stamp.subdomain, dumpJson(row), dumpJson(stamp.toJson()), checkedAt}));
  return r.ok;
}

void TenantState::identify(const std::string& tenantId, const std::string& subdomain) {
  sql_.exec(R"sql(
    INSERT INTO tenant_state (id, tenant_id, subdomain) VALUES (1, ?1, ?2)
    ON CONFLICT (id) DO UPDATE SET tenant_id = ?1, subdomain = ?2
      WHERE tenant_id IS NOT ?1 OR subdomain IS NOT ?2
  )sql", Json::array({tenantId, subdomain}));
}

std::optional<std::pair<std::string, std::string>> TenantState::identity() {
  SqlRows r = sql_.exec("SELECT tenant_id, subdomain FROM tenant_state WHERE id = 1");
  if (!r.ok || r.rows.empty()) return std::nullopt;
  return std::make_pair(jsonString(r.rows[0], "tenant_id"), jsonString(r.rows[0], "subdomain"));
}

}  // namespace lattice
