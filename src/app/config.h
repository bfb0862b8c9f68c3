// Deployment configuration, read once from the Worker's `vars` (wrangler.toml / .dev.vars) and
// passed in as a value. Every tunable the core uses lives here, with its default.
#pragma once

#include <cstddef>
#include <string>

#include "cache/policy.h"
#include "core/json.h"

namespace lattice {

struct Config {
  std::string baseDomain = "localhost";  // tenants are {subdomain}.{baseDomain}
  bool dev = false;                      // LATTICE_DEV: enables /__lattice/metrics
  int postsPerPage = 10;                 // POSTS_PER_PAGE, public lists
  int apiPageSize = 50;                  // API list default page size (max 100)
  size_t maxMarkdownBytes = 1 << 20;     // MAX_MARKDOWN_BYTES (1 MiB)
  size_t maxJsonOverheadBytes = 64 << 10;  // body allowance beyond the markdown for other fields
  size_t maxIndexPosts = 10000;          // a tenant's public index (lists, feed, sitemap) is capped here
  int tenantStateTtl = 300;              // TENANT_STATE_TTL_SECONDS: a TenantDO re-reads D1 after this
  int eventsFlushSeconds = 30;           // EVENTS_FLUSH_SECONDS: analytics wait at most this long
  size_t maxEventsBodyBytes = 64 << 10;  // POST /api/events bodies are bounded before parsing
  cache::CachePolicy cache;              // CACHE_MODE, STAMP_TTL_SECONDS, TTL_HOT/WARM/COLD/LIST

  // From the env vars object (all values are strings, as Workers vars usually are; numbers and
  // booleans are accepted too). Unknown keys are ignored; bad values keep the default.
  static Config fromVars(const Json& vars);
};

}  // namespace lattice
