#include "app/config.h"

#include <cctype>
#include <string>
#include <vector>

namespace lattice {

namespace {
// A positive integer from a string or number var; 0 when absent or malformed.
long long positiveVar(const Json& vars, const char* key) {
  auto it = vars.find(key);
  if (it == vars.end()) return 0;
  if (it->is_number_integer()) return std::max<long long>(0, it->get<long long>());
  if (!it->is_string()) return 0;
  const std::string& s = it->get_ref<const std::string&>();
  if (s.empty() || s.size() > 12) return 0;
  long long v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return 0;
    v = v * 10 + (c - '0');
  }
  return v;
}

// "browser/edge/swr" seconds, e.g. "300/3600/86400": exactly three parts of 1-8 digits. False
// (and `out` untouched) when malformed.
bool parseTtl(const Json& vars, const char* key, cache::Ttl& out) {
  auto it = vars.find(key);
  if (it == vars.end() || !it->is_string()) return false;
  const std::string& s = it->get_ref<const std::string&>();
  std::vector<int> parts;
  size_t start = 0;
  for (;;) {
    size_t slash = s.find('/', start);
    std::string part = s.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part.empty() || part.size() > 8 || part.find_first_not_of("0123456789") != std::string::npos) return false;
    parts.push_back(std::stoi(part));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (parts.size() != 3) return false;
  out = {parts[0], parts[1], parts[2]};
  return true;
}

std::string lowerString(const Json& vars, const char* key) {
  std::string v = jsonString(vars, key);
  for (auto& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return v;
}

// The tier policy's thresholds: whole days and whole views per day. A combination whose bands are
// out of order (tiers::Thresholds::consistent) keeps every default rather than half of them.
void readTiers(const Json& vars, Config& c) {
  tiers::Thresholds t;
  auto days = [&vars](const char* key, int& out) {
    if (auto v = positiveVar(vars, key); v > 0 && v <= 36500) out = int(v);
  };
  auto views = [&vars](const char* key, double& out) {
    if (auto v = positiveVar(vars, key); v > 0 && v <= 100000000) out = double(v);
  };
  days("TIER_HOT_EDIT_DAYS", t.hotEditDays);
  days("TIER_HOT_PUBLISH_DAYS", t.hotPublishDays);
  days("TIER_QUIET_DAYS", t.quietDays);
  days("TIER_COLD_AGE_DAYS", t.coldAgeDays);
  views("TIER_WARM_MAX_VIEWS", t.warmMaxViews);
  views("TIER_WARM_RETURN_VIEWS", t.warmReturnViews);
  views("TIER_COLD_MAX_VIEWS", t.coldMaxViews);
  views("TIER_COLD_RETURN_VIEWS", t.coldReturnViews);
  views("TIER_POPULAR_ENTER_VIEWS", t.popularEnterViews);
  views("TIER_POPULAR_LEAVE_VIEWS", t.popularLeaveViews);
  if (t.consistent()) c.tiers = t;
  const std::string migration = lowerString(vars, "TIER_MIGRATION");
  if (migration == "off" || migration == "0" || migration == "false") c.tierMigration = false;
  else if (migration == "on" || migration == "1" || migration == "true") c.tierMigration = true;
  if (auto v = positiveVar(vars, "TIER_BATCH_SIZE"); v > 0 && v <= 1000) c.tierBatchSize = int(v);
  if (auto v = positiveVar(vars, "TIER_MAX_BATCHES"); v > 0 && v <= 1000) c.tierMaxBatches = int(v);
  if (auto v = positiveVar(vars, "TIER_MAX_MOVES"); v > 0 && v <= 1000) c.tierMaxMoves = int(v);
  // 0 is a valid grace period (tests, a local run): read it apart from positiveVar's "absent".
  if (auto it = vars.find("TIER_GRACE_SECONDS"); it != vars.end()) {
    const std::string s = it->is_string() ? it->get<std::string>() : it->is_number_integer() ? std::to_string(it->get<long long>()) : "";
    if (s == "0") c.tierGraceSeconds = 0;
    else if (auto v = positiveVar(vars, "TIER_GRACE_SECONDS"); v > 0 && v <= 30 * 86400) c.tierGraceSeconds = int(v);
  }
  std::string hash = lowerString(vars, "OPERATOR_TOKEN_SHA256");
  if (hash.size() == 64 && hash.find_first_not_of("0123456789abcdef") == std::string::npos) c.operatorTokenSha256 = hash;
}

}  // namespace

Config Config::fromVars(const Json& vars) {
  Config c;
  if (!vars.is_object()) return c;
  std::string base = jsonString(vars, "BASE_DOMAIN");
  for (auto& ch : base) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (!base.empty()) c.baseDomain = base;
  // Dev endpoints are opt-in: only an explicit yes turns them on ("False", "no", typos stay off).
  if (auto dev = vars.find("LATTICE_DEV"); dev != vars.end()) {
    if (dev->is_string()) {
      std::string v = dev->get<std::string>();
      for (auto& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      c.dev = v == "1" || v == "true" || v == "yes" || v == "on";
    } else {
      c.dev = (dev->is_boolean() && dev->get<bool>()) || (dev->is_number_integer() && dev->get<long long>() == 1);
    }
  }
  if (auto v = positiveVar(vars, "POSTS_PER_PAGE"); v > 0 && v <= 100) c.postsPerPage = int(v);
  if (auto v = positiveVar(vars, "MAX_MARKDOWN_BYTES"); v > 0 && v <= (16 << 20)) c.maxMarkdownBytes = size_t(v);
  if (auto v = positiveVar(vars, "TENANT_STATE_TTL_SECONDS"); v > 0 && v <= 86400) c.tenantStateTtl = int(v);
  if (auto v = positiveVar(vars, "EVENTS_FLUSH_SECONDS"); v > 0 && v <= 3600) c.eventsFlushSeconds = int(v);
  if (auto v = positiveVar(vars, "READER_SIGNUPS_PER_MINUTE"); v > 0 && v <= 100000) c.readerSignupsPerMinute = int(v);
  if (auto v = positiveVar(vars, "FEED_ACTIVE_DAYS"); v > 0 && v <= 365) c.feedActiveDays = int(v);
  if (auto v = positiveVar(vars, "REACTIONS_PER_MINUTE"); v > 0 && v <= 100000) c.reactionsPerMinute = int(v);
  if (auto v = positiveVar(vars, "COMMENTS_PER_MINUTE"); v > 0 && v <= 100000) c.commentsPerMinute = int(v);
  if (auto v = positiveVar(vars, "FOLLOWS_PER_MINUTE"); v > 0 && v <= 100000) c.followsPerMinute = int(v);
  if (auto v = positiveVar(vars, "COMMENTS_FLUSH_SECONDS"); v > 0 && v <= 3600) c.commentsFlushSeconds = int(v);
  if (auto v = positiveVar(vars, "REACTIONS_FLUSH_SECONDS"); v > 0 && v <= 86400) c.reactionsFlushSeconds = int(v);
  if (auto v = positiveVar(vars, "VIEWS_FLUSH_SECONDS"); v > 0 && v <= 86400) c.viewsFlushSeconds = int(v);
  if (auto v = positiveVar(vars, "FEED_MAX_ITEMS"); v >= 50 && v <= 5000) c.feedMaxItems = int(v);
  // Caching is on unless CACHE_MODE says off (the naive mode the cache benchmark compares with).
  c.cache.enabled = lowerString(vars, "CACHE_MODE") != "off";
  if (auto v = positiveVar(vars, "STAMP_TTL_SECONDS"); v > 0 && v <= 3600) c.cache.stampTtl = int(v);
  parseTtl(vars, "TTL_HOT", c.cache.hot);
  parseTtl(vars, "TTL_WARM", c.cache.warm);
  parseTtl(vars, "TTL_COLD", c.cache.cold);
  parseTtl(vars, "TTL_POPULAR", c.cache.popular);
  parseTtl(vars, "TTL_LIST", c.cache.list);
  readTiers(vars, c);
  return c;
}

}  // namespace lattice
