#include "app/config.h"

#include <cctype>

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
  return c;
}

}  // namespace lattice
