// Validation and merge of the owner's tenant settings (PUT /api/tenant): display name,
// description, and merge patches (RFC 7396) of the theme and limits objects.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <variant>

#include "blog/tenant.h"
#include "core/json.h"
#include "http/errors.h"

namespace lattice {

inline constexpr size_t kMaxDisplayNameChars = 100;
inline constexpr size_t kMaxTenantDescriptionChars = 500;
inline constexpr long long kMinDraftLimitBytes = 1024;
inline constexpr long long kMaxDraftLimitBytes = 16LL * 1024 * 1024;

// What a PUT changes; absent fields stay as they are.
struct TenantConfigInput {
  std::optional<std::string> displayName;  // trimmed
  std::optional<std::string> description;  // trimmed
  std::optional<Json> theme;               // merge patch: a key set to null is removed
  std::optional<Json> limits;              // merge patch
};

// Checks `body` field by field: display_name, description, theme, limits. Codes:
// request.not_object, request.unknown_field, tenant.nothing_to_change ({}),
// tenant.display_name_invalid (a string of 1-100 characters after trimming, no control
// characters), tenant.description_invalid (a string of at most 500 characters),
// tenant.theme_invalid (an object; accent "#rgb"/"#rrggbb" or null, font "serif"/"sans" or null;
// field "theme.accent" etc., "theme" when not an object), tenant.limits_invalid (an object;
// max_draft_bytes an integer 1024..16 MiB or null).
std::variant<TenantConfigInput, ApiError> parseTenantConfig(const Json& body);

// `current` with `input` applied: names replaced, theme and limits merged per RFC 7396 (null
// removes a key, keys the patch does not name are kept). Versions are left alone (the database
// bumps config_version).
Tenant applyTenantConfig(Tenant current, const TenantConfigInput& input);

// The most bytes a draft of this tenant may hold: limits.max_draft_bytes clamped to
// `platformMax`, or `platformMax` when the tenant sets no (positive integer) limit.
size_t draftLimitBytes(const Tenant& tenant, size_t platformMax);

}  // namespace lattice
