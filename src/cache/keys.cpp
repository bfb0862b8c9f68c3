#include "cache/keys.h"

#include "http/http.h"

namespace lattice::cache {

namespace {
std::string canonicalBase(std::string_view subdomain, std::string_view baseDomain) {
  return "https://" + std::string(subdomain) + "." + std::string(baseDomain) + "/__lattice-cache/";
}
}  // namespace

std::string stampUrl(std::string_view subdomain, std::string_view baseDomain) {
  return canonicalBase(subdomain, baseDomain) + "stamp";
}

std::string pageUrl(std::string_view subdomain, std::string_view baseDomain, std::string_view route,
                    std::string_view origin, std::string_view epoch) {
  return canonicalBase(subdomain, baseDomain) + std::string(kRenderGeneration) + "/" +
         std::string(epoch) + "?r=" + percentEncode(route) + "&o=" + percentEncode(origin);
}

std::string kvDirectoryKey(std::string_view subdomain) { return "dir:" + std::string(subdomain); }
std::string kvPostKey(std::string_view tenantId, std::string_view slug) {
  return "post:" + std::string(tenantId) + ":" + std::string(slug);
}
std::string kvIndexKey(std::string_view tenantId) { return "index:" + std::string(tenantId); }

std::string KvEntry::encode() const {
  return dumpJson({{"at", at}, {"fresh_until", freshUntil}, {"rows", rows}});
}

std::optional<KvEntry> KvEntry::decode(std::string_view text) {
  auto j = parseJson(text);
  if (!j || !j->is_object()) return std::nullopt;
  auto rows = j->find("rows");
  if (rows == j->end() || !rows->is_array() || !j->contains("at")) return std::nullopt;
  KvEntry e;
  e.at = jsonInt(*j, "at");
  e.freshUntil = jsonInt(*j, "fresh_until");
  e.rows = std::move(*rows);
  return e;
}

}  // namespace lattice::cache
