#include "blog/tenant-input.h"

#include <algorithm>
#include <cctype>
#include <climits>

#include "render/html-escape.h"

namespace lattice {

namespace {

ApiError bad(std::string code, std::string message, std::string field, int status = 400) {
  return ApiError{status, std::move(code), std::move(message), std::move(field)};
}

size_t utf8Length(std::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// C0 controls, DEL, and the C1 controls U+0080..U+009F (UTF-8 C2 80..C2 9F).
bool hasControlChars(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9F) return true;
  }
  return false;
}

// A JSON integer that fits a long long (nlohmann keeps non-negative integers as unsigned).
std::optional<long long> integerValue(const Json& v) {
  if (!v.is_number_integer()) return std::nullopt;
  if (v.is_number_unsigned() && v.get<unsigned long long>() > static_cast<unsigned long long>(LLONG_MAX))
    return std::nullopt;
  return v.get<long long>();
}

bool validAccent(std::string_view a) {
  if ((a.size() != 4 && a.size() != 7) || a[0] != '#') return false;
  return std::all_of(a.begin() + 1, a.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

std::optional<ApiError> checkTheme(const Json& theme) {
  if (!theme.is_object()) return bad("tenant.theme_invalid", "theme must be an object", "theme");
  for (const auto& [key, value] : theme.items()) {
    const std::string field = "theme." + key;
    if (key == "accent") {
      if (!value.is_null() && !(value.is_string() && validAccent(value.get_ref<const std::string&>())))
        return bad("tenant.theme_invalid", "theme.accent must be a colour like \"#2f5d8a\" or \"#abc\", or null",
                   field);
    } else if (key == "font") {
      if (!value.is_null() && !(value.is_string() && (value == "serif" || value == "sans")))
        return bad("tenant.theme_invalid", "theme.font must be \"serif\", \"sans\" or null", field);
    } else {
      return bad("tenant.theme_invalid", "unknown theme key '" + key + "' (allowed: accent, font)", field);
    }
  }
  return std::nullopt;
}

std::optional<ApiError> checkLimits(const Json& limits) {
  if (!limits.is_object()) return bad("tenant.limits_invalid", "limits must be an object", "limits");
  for (const auto& [key, value] : limits.items()) {
    const std::string field = "limits." + key;
    if (key == "max_draft_bytes") {
      const auto bytes = integerValue(value);
      const bool ok = value.is_null() || (bytes && *bytes >= kMinDraftLimitBytes && *bytes <= kMaxDraftLimitBytes);
      if (!ok)
        return bad("tenant.limits_invalid", "limits.max_draft_bytes must be an integer from 1024 to 16777216, or null",
                   field);
    } else {
      return bad("tenant.limits_invalid", "unknown limits key '" + key + "' (allowed: max_draft_bytes)", field);
    }
  }
  return std::nullopt;
}

}  // namespace

std::variant<TenantConfigInput, ApiError> parseTenantConfig(const Json& body) {
  static const char* const kFields[] = {"display_name", "description", "theme", "limits"};
  if (!body.is_object()) return bad("request.not_object", "the request body must be a JSON object", "");
  for (const auto& [key, value] : body.items())
    if (std::find(std::begin(kFields), std::end(kFields), key) == std::end(kFields))
      return bad("request.unknown_field", "unknown field '" + key + "'", key);
  if (body.empty())
    return bad("tenant.nothing_to_change", "send at least one of display_name, description, theme, limits", "");

  TenantConfigInput in;
  if (auto it = body.find("display_name"); it != body.end()) {
    std::string name = it->is_string() ? trim(it->get_ref<const std::string&>()) : std::string();
    if (name.empty() || !render::isValidUtf8(name) || utf8Length(name) > kMaxDisplayNameChars ||
        hasControlChars(name))
      return bad("tenant.display_name_invalid",
                 "display_name must be 1-100 characters without control characters", "display_name");
    in.displayName = std::move(name);
  }

  if (auto it = body.find("description"); it != body.end()) {
    if (!it->is_string() || !render::isValidUtf8(it->get_ref<const std::string&>()) ||
        utf8Length(it->get_ref<const std::string&>()) > kMaxTenantDescriptionChars)
      return bad("tenant.description_invalid", "description must be a string of at most 500 characters",
                 "description");
    in.description = trim(it->get_ref<const std::string&>());
  }

  if (auto it = body.find("theme"); it != body.end()) {
    if (auto error = checkTheme(*it)) return std::move(*error);
    in.theme = *it;
  }

  if (auto it = body.find("limits"); it != body.end()) {
    if (auto error = checkLimits(*it)) return std::move(*error);
    in.limits = *it;
  }
  return in;
}

Tenant applyTenantConfig(Tenant current, const TenantConfigInput& input) {
  if (input.displayName) current.displayName = *input.displayName;
  if (input.description) current.description = *input.description;
  if (!current.theme.is_object()) current.theme = Json::object();
  if (!current.limits.is_object()) current.limits = Json::object();
  if (input.theme) current.theme.merge_patch(*input.theme);
  if (input.limits) current.limits.merge_patch(*input.limits);
  return current;
}

size_t draftLimitBytes(const Tenant& tenant, size_t platformMax) {
  const auto limit = integerValue(jsonValue(tenant.limits, "max_draft_bytes"));
  if (!limit || *limit <= 0) return platformMax;
  return static_cast<size_t>(std::min<unsigned long long>(static_cast<unsigned long long>(*limit), platformMax));
}

}  // namespace lattice
