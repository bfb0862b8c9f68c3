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
  std::string e = "p" + std::to_string(slugVersion(slug)) + "-k" + std::to_string(configVersion);
  if (scheduledTruncated) return e + "-t" + std::to_string(publicThrough);
  if (std::find(scheduled.begin(), scheduled.end(), slug) != scheduled.end()) e += "-s";
  return e;
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
          {"changes", std::move(c)},
          {"scheduled", scheduled},
          {"scheduled_truncated", scheduledTruncated}};
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
  if (auto it = j.find("scheduled"); it != j.end() && it->is_array())
    for (const auto& slug : *it)
      if (slug.is_string()) s.scheduled.push_back(slug.get<std::string>());
  s.scheduledTruncated = jsonBool(j, "scheduled_truncated") || static_cast<long long>(s.scheduled.size()) > kMaxScheduled;
  if (s.scheduledTruncated) s.scheduled.clear();
  return s;
}

Stamp Stamp::fromRows(const Json& rows) {
  if (!rows.is_array() || rows.empty() || !rows[0].is_object()) return Stamp{};
  // The row has the JSON form's names; only `changes` arrives as text (json_group_array).
  Json j = rows[0];
  j["found"] = true;
  j["changes"] = parseJson(jsonString(j, "changes", "[]")).value_or(Json::array());
  j["scheduled"] = parseJson(jsonString(j, "scheduled", "[]")).value_or(Json::array());
  return fromJson(j).value_or(Stamp{});
}

SqlStatement stampQuery(std::string_view subdomain, UnixMillis now) {
  return {R"(SELECT t.id AS tenant_id, t.subdomain, t.content_version, t.config_version,
              (SELECT MAX(p.published_at) FROM posts p WHERE p.tenant_id = t.id
                 AND p.status = 'published' AND p.published_at <= ?2) AS public_through,
              (SELECT MIN(p.published_at) FROM posts p WHERE p.tenant_id = t.id
                 AND p.status = 'published' AND p.published_at > ?2) AS next_publish_at,
              (SELECT json_group_array(json_array(c.version, c.slug)) FROM post_changes c
                WHERE c.tenant_id = t.id AND c.version > t.content_version - ?3) AS changes,
              (SELECT json_group_array(slug) FROM (SELECT p.slug FROM posts p WHERE p.tenant_id = t.id
                 AND p.status = 'published' AND p.published_at > ?2
                 ORDER BY p.published_at LIMIT ?4)) AS scheduled
            FROM tenants t WHERE t.subdomain = ?1)",
          Json::array({std::string(subdomain), now, Stamp::kWindow, Stamp::kMaxScheduled + 1})};
}

}  // namespace lattice::cache
