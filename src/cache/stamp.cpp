#include "cache/stamp.h"

#include <algorithm>

namespace lattice::cache {

long long Stamp::slugVersion(std::string_view slug) const {
  // Posts that did not change within the window share a baseline that moves in steps of kStep.
  // Every change after the baseline is inside the window (contentVersion - baseline < kWindow),
  // so the result is exact; and a change that leaves the window is always below the baseline by
  // then, which keeps the result monotonic.
  long long baseline = std::max<long long>(0, (contentVersion - kStep) / kStep * kStep);
  long long v = baseline;
  for (const auto& [version, changed] : changes)
    if (changed == slug) v = std::max(v, version);
  return v;
}

bool Stamp::unchangedSince(std::string_view slug, long long readAt) const {
  if (readAt >= contentVersion) return true;  // read at (or after) the version this stamp knows
  if (readAt <= contentVersion - kWindow) return false;  // older than the log: cannot tell
  for (const auto& [version, changed] : changes)
    if (version > readAt && changed == slug) return false;
  return true;
}

std::string Stamp::postEpoch(std::string_view slug) const {
  return "p" + std::to_string(slugVersion(slug)) + "-k" + std::to_string(configVersion) + "-t" +
         std::to_string(publicThrough);
}

std::string Stamp::listEpoch() const {
  return "c" + std::to_string(contentVersion) + "-k" + std::to_string(configVersion) + "-t" +
         std::to_string(publicThrough);
}

UnixMillis Stamp::expiresAt(UnixMillis now, int ttlSeconds) const {
  UnixMillis until = now + UnixMillis(ttlSeconds) * 1000;
  if (nextPublishAt && *nextPublishAt < until) until = *nextPublishAt;
  return until;
}

Json Stamp::toJson() const {
  Json c = Json::array();
  for (const auto& [v, s] : changes) c.push_back(Json::array({v, s}));
  return {{"found", found},
          {"tenant_id", tenantId},
          {"subdomain", subdomain},
          {"content_version", contentVersion},
          {"config_version", configVersion},
          {"public_through", publicThrough},
          {"next_publish_at", nextPublishAt ? Json(*nextPublishAt) : Json(nullptr)},
          {"changes", std::move(c)}};
}

namespace {
void readChanges(const Json& list, Stamp& s) {
  if (!list.is_array()) return;
  for (const auto& e : list)
    if (e.is_array() && e.size() == 2 && e[0].is_number_integer() && e[1].is_string())
      s.changes.emplace_back(e[0].get<long long>(), e[1].get<std::string>());
}
}  // namespace

std::optional<Stamp> Stamp::fromJson(const Json& j) {
  if (!j.is_object() || !j.contains("found") || !j.contains("content_version")) return std::nullopt;
  Stamp s;
  s.found = jsonBool(j, "found");
  s.tenantId = jsonString(j, "tenant_id");
  s.subdomain = jsonString(j, "subdomain");
  s.contentVersion = jsonInt(j, "content_version");
  s.configVersion = jsonInt(j, "config_version");
  s.publicThrough = jsonInt(j, "public_through");
  if (auto it = j.find("next_publish_at"); it != j.end() && it->is_number_integer())
    s.nextPublishAt = it->get<long long>();
  if (auto it = j.find("changes"); it != j.end()) readChanges(*it, s);
  return s;
}

Stamp Stamp::fromRows(const Json& rows) {
  Stamp s;
  if (!rows.is_array() || rows.empty()) return s;
  const Json& row = rows[0];
  s.found = true;
  s.tenantId = jsonString(row, "id");
  s.subdomain = jsonString(row, "subdomain");
  s.contentVersion = jsonInt(row, "content_version");
  s.configVersion = jsonInt(row, "config_version");
  s.publicThrough = jsonInt(row, "public_through");
  if (auto it = row.find("next_publish_at"); it != row.end() && it->is_number_integer())
    s.nextPublishAt = it->get<long long>();
  if (auto changes = parseJson(jsonString(row, "changes", "[]"))) readChanges(*changes, s);
  return s;
}

SqlStatement stampQuery(std::string_view subdomain, UnixMillis now) {
  return {R"(SELECT t.id, t.subdomain, t.content_version, t.config_version,
              (SELECT MAX(p.published_at) FROM posts p WHERE p.tenant_id = t.id
                 AND p.status = 'published' AND p.published_at <= ?2) AS public_through,
              (SELECT MIN(p.published_at) FROM posts p WHERE p.tenant_id = t.id
                 AND p.status = 'published' AND p.published_at > ?2) AS next_publish_at,
              (SELECT json_group_array(json_array(c.version, c.slug)) FROM post_changes c
                WHERE c.tenant_id = t.id AND c.version > t.content_version - ?3) AS changes
            FROM tenants t WHERE t.subdomain = ?1)",
          Json::array({std::string(subdomain), now, Stamp::kWindow})};
}

}  // namespace lattice::cache
