#include "blog/post-input.h"

#include <algorithm>
#include <optional>

#include "core/sha256.h"
#include "render/markdown.h"

namespace lattice {

namespace {

bool allowedChars(std::string_view s, size_t maxLen) {
  if (s.empty() || s.size() > maxLen) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

// Characters, not bytes: counts UTF-8 lead bytes.
size_t utf8Length(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

ApiError bad(std::string code, std::string message, std::string field, int status = 400) {
  return ApiError{status, std::move(code), std::move(message), std::move(field)};
}

const char* kKnownFields[] = {"slug",   "title",        "description", "tags",   "markdown",
                              "status", "published_at", "gutter",      "version"};
const char* kPreviewFields[] = {"markdown"};

// A JSON object with no field outside `known`.
template <size_t N>
std::optional<ApiError> checkFields(const Json& body, const char* (&known)[N]) {
  if (!body.is_object()) return bad("request.not_object", "the request body must be a JSON object", "");
  for (const auto& [key, value] : body.items()) {
    if (std::find(std::begin(known), std::end(known), key) == std::end(known))
      return bad("request.unknown_field", "unknown field '" + key + "'", key);
  }
  return std::nullopt;
}

std::variant<std::string, ApiError> checkMarkdown(const Json& value, size_t maxMarkdownBytes) {
  if (!value.is_string()) return bad("post.markdown_invalid", "markdown must be a string", "markdown");
  if (value.get_ref<const std::string&>().size() > maxMarkdownBytes)
    return bad("post.markdown_too_large", "markdown is larger than " + std::to_string(maxMarkdownBytes) + " bytes",
               "markdown", 413);
  return value.get<std::string>();
}

}  // namespace

std::variant<std::string, ApiError> parsePreviewInput(const Json& body, size_t maxMarkdownBytes) {
  if (auto error = checkFields(body, kPreviewFields)) return *error;
  return checkMarkdown(jsonValue(body, "markdown"), maxMarkdownBytes);
}

bool validSlug(std::string_view slug) { return allowedChars(slug, 100); }
bool validTag(std::string_view tag) { return allowedChars(tag, kMaxTagChars); }

std::variant<PostInput, ApiError> parsePostInput(const Json& body, bool creating,
                                                 size_t maxMarkdownBytes) {
  if (auto error = checkFields(body, kKnownFields)) return *error;
  PostInput in;

  if (auto it = body.find("slug"); it != body.end()) {
    if (!it->is_string() || !validSlug(it->get_ref<const std::string&>()))
      return bad("post.slug_invalid", "slug must be 1-100 characters of a-z, 0-9 and '-'", "slug");
    in.slug = it->get<std::string>();
  } else if (creating) {
    return bad("post.slug_missing", "slug is required", "slug");
  }

  if (auto it = body.find("title"); it != body.end()) {
    if (!it->is_string()) return bad("post.title_invalid", "title must be a string", "title");
    std::string title = trim(it->get_ref<const std::string&>());
    if (title.empty()) return bad("post.title_missing", "title must not be empty", "title");
    if (utf8Length(title) > kMaxTitleChars)
      return bad("post.title_invalid", "title is longer than 200 characters", "title");
    in.title = std::move(title);
  } else if (creating) {
    return bad("post.title_missing", "title is required", "title");
  }

  if (auto it = body.find("description"); it != body.end()) {
    if (!it->is_string() || utf8Length(it->get_ref<const std::string&>()) > kMaxDescriptionChars)
      return bad("post.description_invalid", "description must be a string of at most 500 characters",
                 "description");
    in.description = trim(it->get_ref<const std::string&>());
  }

  if (auto it = body.find("tags"); it != body.end()) {
    if (!it->is_array() || it->size() > kMaxTags)
      return bad("post.tags_invalid", "tags must be an array of at most 10 tags", "tags");
    std::vector<std::string> tags;
    for (const auto& t : *it) {
      if (!t.is_string() || !validTag(t.get_ref<const std::string&>()))
        return bad("post.tags_invalid", "each tag must be 1-40 characters of a-z, 0-9 and '-'", "tags");
      if (std::find(tags.begin(), tags.end(), t.get<std::string>()) == tags.end())
        tags.push_back(t.get<std::string>());
    }
    in.tags = std::move(tags);
  }

  if (auto it = body.find("markdown"); it != body.end()) {
    auto markdown = checkMarkdown(*it, maxMarkdownBytes);
    if (auto* error = std::get_if<ApiError>(&markdown)) return std::move(*error);
    in.markdown = std::move(std::get<std::string>(markdown));
  }

  if (auto it = body.find("status"); it != body.end()) {
    const bool ok = it->is_string() && (*it == "draft" || *it == "published" || *it == "archived");
    if (!ok) return bad("post.status_invalid", "status must be draft, published or archived", "status");
    in.status = it->get<std::string>();
  }

  if (auto it = body.find("published_at"); it != body.end()) {
    if (it->is_null()) {
      in.publishedAt = std::optional<UnixMillis>();
    } else {
      auto t = it->is_string() ? parseIso8601(it->get_ref<const std::string&>()) : std::nullopt;
      if (!t)
        return bad("post.published_at_invalid", "published_at must be an ISO 8601 time like 2026-01-31T09:00:00Z",
                   "published_at");
      in.publishedAt = t;
    }
  }

  if (auto it = body.find("gutter"); it != body.end()) {
    if (!it->is_array() || it->size() > kMaxGutterItems || dumpJson(*it).size() > kMaxGutterBytes ||
        !std::all_of(it->begin(), it->end(), [](const Json& item) { return item.is_object(); }))
      return bad("post.gutter_invalid", "gutter must be an array of at most 100 objects (32 KiB)", "gutter");
    in.gutter = *it;
  }

  if (auto it = body.find("version"); it != body.end()) {
    if (!it->is_number_integer() || it->get<long long>() < 1)
      return bad("post.version_invalid", "version must be a positive integer", "version");
    in.expectedVersion = it->get<long long>();
  }
  return in;
}

void applyPostInput(Post& post, const PostInput& in, UnixMillis now) {
  if (in.slug) post.slug = *in.slug;
  if (in.title) post.title = *in.title;
  if (in.description) post.description = *in.description;
  if (in.tags) post.tags = *in.tags;
  if (in.gutter) post.gutter = *in.gutter;
  if (in.status) post.status = *in.status;
  if (in.publishedAt) post.publishedAt = *in.publishedAt;
  if (post.status == "published" && !post.publishedAt) post.publishedAt = now;
  if (in.markdown || post.contentHash.empty()) {
    if (in.markdown) post.markdown = *in.markdown;
    auto rendered = render::renderMarkdown(post.markdown);
    post.html = std::move(rendered.html);
    post.wordCount = static_cast<long long>(rendered.wordCount);
    post.contentHash = sha256Hex(post.markdown);
    if (post.description.empty() && !in.description) post.description = rendered.plainText;
  }
  post.updatedAt = now;
}

}  // namespace lattice
