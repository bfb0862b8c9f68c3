#include "feed/preview.h"

#include <algorithm>
#include <optional>

#include "render/html-escape.h"

namespace lattice::feed {

namespace {

bool isIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

constexpr const char* kFields[] = {"post_id", "tenant_id", "subdomain", "author", "slug", "title",
                                   "description", "tags", "published_at", "url", "reactions", "comments"};

ApiError invalid(const std::string& path, const std::string& field, const std::string& why) {
  const std::string where = path.empty() ? field : path + "." + field;
  return ApiError{400, "feed.invalid_item", where + " " + why, where};
}

// A printable string of lo..hi code points.
bool text(const Json& v, size_t lo, size_t hi, std::string& out) {
  if (!v.is_string()) return false;
  const std::string& s = v.get_ref<const std::string&>();
  auto n = render::printableCodePoints(s);
  if (!n || *n < lo || *n > hi) return false;
  out = s;
  return true;
}

bool count(const Json& v, long long& out) {
  if (!v.is_number_integer()) return false;
  if (v.is_number_unsigned() && v.get<unsigned long long>() > static_cast<unsigned long long>(kMaxCount)) return false;
  const long long n = v.get<long long>();
  if (n < 0 || n > kMaxCount) return false;
  out = n;
  return true;
}

}  // namespace

bool validFeedId(std::string_view id) {
  return !id.empty() && id.size() <= kMaxIdChars && std::all_of(id.begin(), id.end(), isIdChar);
}

bool validSubdomain(std::string_view s) {
  return !s.empty() && s.size() <= kMaxSubdomainChars &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

Json Preview::toJson() const {
  return {{"post_id", postId},       {"tenant_id", tenantId}, {"subdomain", subdomain},
          {"author", author},        {"slug", slug},          {"title", title},
          {"description", description}, {"tags", tags},       {"published_at", publishedAt},
          {"url", url},              {"reactions", reactions}, {"comments", comments}};
}

std::variant<Preview, ApiError> parsePreview(const Json& json, const std::string& path) {
  if (!json.is_object()) return ApiError{400, "feed.invalid_item", (path.empty() ? "item" : path) + " must be an object", path};
  for (const auto& [key, value] : json.items()) {
    if (std::find(std::begin(kFields), std::end(kFields), key) == std::end(kFields))
      return invalid(path, key, "is not a field of a feed item");
  }
  Preview p;
  auto id = [&](const char* key, std::string& out) -> std::optional<ApiError> {
    const Json& v = jsonValue(json, key);
    if (!v.is_string() || !validFeedId(v.get_ref<const std::string&>())) return invalid(path, key, "must be 1-64 characters of [A-Za-z0-9_-]");
    out = v.get<std::string>();
    return std::nullopt;
  };
  if (auto e = id("post_id", p.postId)) return *e;
  if (auto e = id("tenant_id", p.tenantId)) return *e;
  {
    const Json& v = jsonValue(json, "subdomain");
    if (!v.is_string() || !validSubdomain(v.get_ref<const std::string&>()))
      return invalid(path, "subdomain", "must be 1-63 characters of [a-z0-9-]");
    p.subdomain = v.get<std::string>();
  }
  if (!text(jsonValue(json, "author"), 0, kMaxAuthorChars, p.author)) return invalid(path, "author", "must be text of at most 100 characters");
  if (!text(jsonValue(json, "slug"), 1, kMaxSlugChars, p.slug)) return invalid(path, "slug", "must be text of 1-100 characters");
  if (!text(jsonValue(json, "title"), 1, kMaxTitleChars, p.title)) return invalid(path, "title", "must be text of 1-300 characters");
  if (!text(jsonValue(json, "description"), 0, kMaxDescriptionChars, p.description))
    return invalid(path, "description", "must be text of at most 1000 characters");
  {
    const Json& tags = jsonValue(json, "tags");
    if (!tags.is_array() || tags.size() > kMaxTags) return invalid(path, "tags", "must be an array of at most 10 tags");
    for (const Json& t : tags) {
      std::string tag;
      if (!text(t, 1, kMaxTagChars, tag)) return invalid(path, "tags", "must hold text of 1-50 characters");
      p.tags.push_back(std::move(tag));
    }
  }
  {
    const Json& v = jsonValue(json, "published_at");
    if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<unsigned long long>() > static_cast<unsigned long long>(kMaxPublishedAt)) ||
        v.get<long long>() < 0 || v.get<long long>() > kMaxPublishedAt)
      return invalid(path, "published_at", "must be Unix milliseconds");
    p.publishedAt = v.get<long long>();
  }
  {
    const Json& v = jsonValue(json, "url");
    const bool ok = v.is_string() && v.get_ref<const std::string&>().size() <= kMaxUrlBytes &&
                    (v.get_ref<const std::string&>().rfind("https://", 0) == 0 || v.get_ref<const std::string&>().rfind("http://", 0) == 0) &&
                    render::printableCodePoints(v.get_ref<const std::string&>()).has_value() &&
                    v.get_ref<const std::string&>().find_first_of(" \"<>") == std::string::npos;
    if (!ok) return invalid(path, "url", "must be an http(s) URL of at most 2048 bytes");
    p.url = v.get<std::string>();
  }
  if (!count(jsonValue(json, "reactions"), p.reactions)) return invalid(path, "reactions", "must be a non-negative integer");
  if (!count(jsonValue(json, "comments"), p.comments)) return invalid(path, "comments", "must be a non-negative integer");
  return p;
}

}  // namespace lattice::feed
