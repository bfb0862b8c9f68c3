// Validation of post writes (API and demo import share it): a JSON object in, either a checked
// PostInput or the first ApiError, with a stable code per field.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "blog/post.h"
#include "core/json.h"
#include "core/time.h"
#include "http/errors.h"

namespace lattice {

// The fields a write sets; absent fields are left as they are (update) or defaulted (create).
struct PostInput {
  std::optional<std::string> slug;
  std::optional<std::string> title;
  std::optional<std::string> description;
  std::optional<std::vector<std::string>> tags;
  std::optional<std::string> markdown;
  std::optional<std::string> status;
  std::optional<std::optional<UnixMillis>> publishedAt;  // present-but-null clears it
  std::optional<Json> gutter;
  std::optional<long long> expectedVersion;  // "version": optimistic concurrency on update
};

inline constexpr size_t kMaxTitleChars = 200;
inline constexpr size_t kMaxDescriptionChars = 500;
inline constexpr size_t kMaxTags = 10;
inline constexpr size_t kMaxTagChars = 40;
inline constexpr size_t kMaxGutterItems = 100;
inline constexpr size_t kMaxGutterBytes = 32 * 1024;

// [a-z0-9-]{1,100}
bool validSlug(std::string_view slug);
// [a-z0-9-]{1,40}
bool validTag(std::string_view tag);

// Checks `body` field by field in a fixed order. Creating requires slug and title. Codes:
// request.not_object, request.unknown_field, post.slug_missing, post.slug_invalid,
// post.title_missing, post.title_invalid, post.description_invalid, post.tags_invalid,
// post.markdown_invalid, post.markdown_too_large (413), post.status_invalid,
// post.published_at_invalid, post.gutter_invalid, post.version_invalid.
std::variant<PostInput, ApiError> parsePostInput(const Json& body, bool creating,
                                                 size_t maxMarkdownBytes);

// Applies `input` to `post` at time `now`: re-renders HTML and rehashes only when the markdown
// changed; publishing without a date stamps `now`. Does not touch id, tenant or version.
void applyPostInput(Post& post, const PostInput& input, UnixMillis now);

// The body of POST /api/preview, {markdown}: the markdown, checked exactly as a post's is.
std::variant<std::string, ApiError> parsePreviewInput(const Json& body, size_t maxMarkdownBytes);

}  // namespace lattice
