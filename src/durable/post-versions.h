// A post's version history, kept in its PostContentDO's SQLite: every successful post write
// (create, update, draft publish, restore) is reported with the version D1 gave it, and the
// object keeps the newest kMaxVersions. D1 is the source of truth; the history is a record of it,
// so a repeated report changes nothing and a lost one is made up from D1 later (self-healing,
// src/durable/post-content-object.cpp).
//
// Markdown is stored once per distinct text (by SHA-256; a status-only write does not store the
// text again) and in parts of at most kTextPartBytes, so no row comes near the Durable Object
// row limit (2 MB) even at MAX_MARKDOWN_BYTES' ceiling of 16 MiB.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/json.h"
#include "core/time.h"
#include "durable/sql.h"
#include "http/errors.h"

namespace lattice {

inline constexpr size_t kMaxVersions = 100;
inline constexpr size_t kTextPartBytes = 256 * 1024;

struct PostVersion {
  long long version = 0;
  UnixMillis createdAt = 0;  // when the write that produced it happened
  std::string title;
  std::string description;
  std::string sha256;  // of markdown
  long long bytes = 0;  // of markdown
  std::string markdown;  // empty in listings

  // {version, created_at (ISO 8601), title, bytes, sha256}; with `full`, description and markdown.
  Json toJson(bool full) const;
};

// Checks a report {version, created_at, title, description?, markdown, sha256} as the Worker
// sends it (POST /versions). 400 version.invalid (request.not_object / request.unknown_field for
// the shape) when a field is missing or wrong, or sha256 is not the markdown's.
std::variant<PostVersion, ApiError> parseVersionReport(const Json& body, size_t maxMarkdownBytes);

// A version number from a path segment: 1-15 digits, no leading zero, at least 1.
std::optional<long long> parseVersionNumber(std::string_view s);

// Splits `text` into parts of at most `maxBytes` bytes, never inside a UTF-8 sequence (a part
// may be shorter; a text that is not UTF-8 is split at `maxBytes`). Concatenated, they are `text`.
std::vector<std::string_view> splitText(std::string_view text, size_t maxBytes);

class VersionStore {
 public:
  // Creates the tables if they do not exist yet.
  explicit VersionStore(Sql& sql);

  enum class Outcome {
    Recorded,  // stored (and the history trimmed to the newest kMaxVersions)
    Repeated,  // this version was already recorded with the same content: nothing written
    Conflict,  // this version was already recorded with another sha256: nothing written
    Failed,    // SQL failed
  };
  Outcome record(const PostVersion& v, std::string* error = nullptr);

  // The newest recorded version number; nullopt when there is none (or on failure).
  std::optional<long long> newest();
  // Every recorded version, newest first, without markdown.
  std::vector<PostVersion> list();
  // One version with its markdown; nullopt when it is not recorded. `corrupt` is set when the
  // stored text no longer matches its sha256 (nullopt returned then).
  std::optional<PostVersion> get(long long version, bool* corrupt = nullptr);
  // How many text rows (parts) are stored, for tests of the bound.
  long long textParts();
  // Forgets the whole history (the post was deleted): the number of versions dropped, or -1
  // when SQL failed.
  long long clear();

 private:
  Sql& sql_;
};

}  // namespace lattice
