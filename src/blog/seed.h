// Demo data import: turns the demo folder's tenants and posts (already parsed from their files
// by scripts/seed) into one SQL script, validating and rendering each post with the same code
// the write API uses. Ids are derived from names, so the script is deterministic.
#pragma once

#include <string>

#include "core/json.h"
#include "core/time.h"

namespace lattice {

// tenants: [{subdomain, display_name, description, tier, theme, limits}]
// posts:   [{tenant, slug, title, description, tags:[...], status, published_at?, updated_at?, markdown}]
// Returns {"sql": "..."} or {"error": "what is wrong, naming the post"}.
Json buildSeedSql(const Json& tenants, const Json& posts, UnixMillis now);

// A SQL literal for a JSON scalar: 'text' with quotes doubled, integers, NULL.
std::string sqlLiteral(const Json& value);

}  // namespace lattice
