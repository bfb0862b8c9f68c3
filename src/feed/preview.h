// A post as a Meadow feed shows it: the cached preview the Worker hands to a reader's FeedDO
// (from D1, when the reader follows its author or the post is published or changed), with its
// engagement counts. Validated whole before anything is stored.
//
//   {post_id, tenant_id, subdomain, author, slug, title, description, tags: [..],
//    published_at (Unix ms), url, reactions, comments}
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/json.h"
#include "core/time.h"
#include "http/errors.h"

namespace lattice::feed {

inline constexpr size_t kMaxIdChars = 64;
inline constexpr size_t kMaxSubdomainChars = 63;
inline constexpr size_t kMaxAuthorChars = 100;
inline constexpr size_t kMaxDisplayNameChars = 100;
inline constexpr size_t kMaxSlugChars = 100;
inline constexpr size_t kMaxTitleChars = 300;
inline constexpr size_t kMaxDescriptionChars = 1000;
inline constexpr size_t kMaxTags = 10;
inline constexpr size_t kMaxTagChars = 50;
inline constexpr size_t kMaxUrlBytes = 2048;
// 9999-12-31T23:59:59.999Z: later timestamps are a bug, not a schedule.
inline constexpr UnixMillis kMaxPublishedAt = 253402300799999;
// Counts above 2^53 cannot round-trip through JavaScript numbers.
inline constexpr long long kMaxCount = 9007199254740991;

// Post, tenant and reader ids: 1-64 characters of [A-Za-z0-9_-].
bool validFeedId(std::string_view id);
// A subdomain: 1-63 characters of [a-z0-9-].
bool validSubdomain(std::string_view s);

struct Preview {
  std::string postId;
  std::string tenantId;
  std::string subdomain;
  std::string author;       // 0-100 code points
  std::string slug;         // 1-100 code points
  std::string title;        // 1-300 code points
  std::string description;  // 0-1000 code points
  std::vector<std::string> tags;  // at most 10, each 1-50 code points
  UnixMillis publishedAt = 0;     // 0 .. kMaxPublishedAt
  std::string url;                // http(s)://, at most 2048 bytes
  long long reactions = 0;        // 0 .. kMaxCount
  long long comments = 0;

  // The JSON shape above.
  Json toJson() const;
};

// Checks a preview; every field is required and no other is allowed (the Worker of the same
// deployment is the only caller: an unknown field is a bug). Text fields are valid UTF-8
// without control characters, lengths in code points. The error is 400 feed.invalid_item with
// `field` naming the bad field under `path` (e.g. "posts[3].title").
std::variant<Preview, ApiError> parsePreview(const Json& json, const std::string& path);

}  // namespace lattice::feed
