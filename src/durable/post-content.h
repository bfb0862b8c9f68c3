// A post's content (markdown + rendered HTML) wherever it lives: in D1 (storage_location 'd1',
// HOT) or in R2 (storage_location 'r2' WARM / 'r2_archived' COLD, posts.r2_key naming the
// object). Content is always checked against posts.content_hash (SHA-256 hex of the markdown)
// before it is used: a missing or corrupt R2 object is an error with a stable code, logged,
// never blank content; while D1 still holds its copy (the grace period after a move), that copy
// is used instead.
//
// R2 objects are immutable and named after what they hold,
//   t/{tenantId}/p/{postId}/v{version}-{sha256}.json
// a JSON object {markdown, html, version, sha256}, so a stale or foreign object is recognisable.
//
// Used by the PostContentDO (src/durable/post-content-object.h) and by the Worker's write path
// (a partial update of a post whose content is in R2 starts from that content).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/io.h"
#include "core/json.h"
#include "core/task.h"
#include "core/time.h"
#include "http/errors.h"

namespace lattice {

// "post-content:{tenantId}:{postId}": the PostContentDO of a post.
std::string postContentObjectName(std::string_view tenantId, std::string_view postId);

// The R2 key of a post's content at `version` whose markdown hashes to `sha256`.
std::string contentKey(std::string_view tenantId, std::string_view postId, long long version,
                       std::string_view sha256);
// Whether `key` is a well-formed content key of this post (any version and hash).
bool isContentKeyOf(std::string_view key, std::string_view tenantId, std::string_view postId);

// Lower-case hex SHA-256, 64 characters.
bool isSha256Hex(std::string_view s);

struct PostContent {
  std::string markdown;
  std::string html;
  long long version = 0;
  std::string sha256;  // of markdown
};

// The body of an R2 content object.
std::string contentObjectBody(const PostContent& content);
// Parses an R2 content object and checks it holds `version` and markdown hashing to `sha256`;
// nullopt (with the reason in `why`) otherwise.
std::optional<PostContent> verifyContentObject(std::string_view body, long long version, std::string_view sha256,
                                               std::string* why);

// The columns of a posts row that a content read or a move needs (post_sql::content).
struct ContentRow {
  std::string id;
  std::string tenantId;
  std::string slug;
  std::string title;
  std::string description;
  long long version = 0;
  std::string storageLocation = "d1";
  std::optional<std::string> r2Key;
  std::string contentHash;
  std::optional<std::string> markdown;  // nullopt: NULL in D1 (the content is only in R2)
  std::optional<std::string> html;
  UnixMillis updatedAt = 0;

  static ContentRow fromRow(const Json& row);
  bool inR2() const { return storageLocation == "r2" || storageLocation == "r2_archived"; }
  // The D1 copy, when D1 still holds one whose markdown matches content_hash.
  std::optional<PostContent> verifiedD1Copy() const;
};

struct ContentRead {
  enum class Status {
    Ok,           // `content` is the post's content, hash verified
    Missing,      // content.missing: the R2 object is not there and D1 holds no copy
    Corrupt,      // content.corrupt: what storage holds does not match content_hash
    Unavailable,  // storage.unavailable: R2 could not be reached
  };
  Status status = Status::Unavailable;
  PostContent content;
  std::string source;  // "d1" or "r2": where `content` came from
  std::string detail;  // why, when not Ok

  bool ok() const { return status == Status::Ok; }
  // The error to answer when not Ok: 500 content.missing / content.corrupt, 503 storage.unavailable.
  ApiError error() const;
};

// Reads the content `row` points at (D1, or R2 by r2_key) and verifies it against the row's
// content_hash and version. A missing or corrupt R2 object is logged (error, with its code) and
// counted (metric content.r2_missing / content.r2_corrupt); the D1 copy is used when it is still
// present and verifies.
Task<ContentRead> readContent(Io& io, const ContentRow& row);

// R2 effects on the content bucket (core/io.h). `ok` false when R2 could not be reached.
struct R2Got {
  bool ok = false;
  std::optional<std::string> value;
  std::string error;
};
Task<R2Got> r2Get(Io& io, std::string key);
Task<bool> r2Put(Io& io, std::string key, std::string value, std::string* error);
Task<bool> r2Delete(Io& io, std::string key, std::string* error);

}  // namespace lattice
