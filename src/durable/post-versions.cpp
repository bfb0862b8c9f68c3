#include "durable/post-versions.h"

#include <algorithm>

#include "core/sha256.h"
#include "core/time.h"
#include "durable/post-content.h"

namespace lattice {

namespace {

constexpr std::string_view kCreateVersions = R"(
  CREATE TABLE IF NOT EXISTS post_versions (
    version     INTEGER PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    sha256      TEXT NOT NULL,
    bytes       INTEGER NOT NULL
  ))";

// Markdown by its SHA-256, in parts (splitText): shared by every version with the same text.
constexpr std::string_view kCreateTexts = R"(
  CREATE TABLE IF NOT EXISTS version_texts (
    sha256 TEXT NOT NULL,
    part   INTEGER NOT NULL,
    body   TEXT NOT NULL,
    PRIMARY KEY (sha256, part)
  ))";

constexpr std::string_view kSelectSha = "SELECT sha256 FROM post_versions WHERE version = ?1";
constexpr std::string_view kHasText = "SELECT count(*) AS n FROM version_texts WHERE sha256 = ?1";
constexpr std::string_view kInsertPart = "INSERT OR REPLACE INTO version_texts (sha256, part, body) VALUES (?1, ?2, ?3)";
constexpr std::string_view kInsertVersion = R"(
  INSERT INTO post_versions (version, created_at, title, description, sha256, bytes)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6))";
constexpr std::string_view kTrimVersions = R"(
  DELETE FROM post_versions
   WHERE version NOT IN (SELECT version FROM post_versions ORDER BY version DESC LIMIT ?1))";
constexpr std::string_view kTrimTexts = R"(
  DELETE FROM version_texts WHERE sha256 NOT IN (SELECT sha256 FROM post_versions))";
constexpr std::string_view kNewest = "SELECT max(version) AS v FROM post_versions";
constexpr std::string_view kList = R"(
  SELECT version, created_at, title, description, sha256, bytes FROM post_versions ORDER BY version DESC)";
constexpr std::string_view kSelectOne = R"(
  SELECT version, created_at, title, description, sha256, bytes FROM post_versions WHERE version = ?1)";
constexpr std::string_view kSelectText = "SELECT body FROM version_texts WHERE sha256 = ?1 ORDER BY part";

ApiError invalid(std::string message, std::string field) {
  return ApiError{400, "version.invalid", std::move(message), std::move(field)};
}

PostVersion versionFromRow(const Json& row) {
  PostVersion v;
  v.version = jsonInt(row, "version");
  v.createdAt = jsonInt(row, "created_at");
  v.title = jsonString(row, "title");
  v.description = jsonString(row, "description");
  v.sha256 = jsonString(row, "sha256");
  v.bytes = jsonInt(row, "bytes");
  return v;
}

// A positive integer that survives a trip through JavaScript (at most 2^53).
bool positiveInteger(const Json& v) {
  if (v.is_number_unsigned()) return v.get<unsigned long long>() >= 1 && v.get<unsigned long long>() <= (1ull << 53);
  return v.is_number_integer() && v.get<long long>() >= 1 && v.get<long long>() <= (1ll << 53);
}

}  // namespace

Json PostVersion::toJson(bool full) const {
  Json j = Json::object();
  j["version"] = version;
  j["created_at"] = formatIso8601(createdAt);
  j["title"] = title;
  j["bytes"] = bytes;
  j["sha256"] = sha256;
  if (full) {
    j["description"] = description;
    j["markdown"] = markdown;
  }
  return j;
}

std::variant<PostVersion, ApiError> parseVersionReport(const Json& body, size_t maxMarkdownBytes) {
  static const char* const kFields[] = {"version", "created_at", "title", "description", "markdown", "sha256"};
  if (!body.is_object()) return ApiError{400, "request.not_object", "the request body must be a JSON object", ""};
  for (const auto& [key, value] : body.items())
    if (std::find(std::begin(kFields), std::end(kFields), key) == std::end(kFields))
      return ApiError{400, "request.unknown_field", "unknown field '" + key + "'", key};
  PostVersion v;
  if (!positiveInteger(jsonValue(body, "version"))) return invalid("version must be a positive integer", "version");
  v.version = jsonInt(body, "version");
  const Json& created = jsonValue(body, "created_at");
  if (!created.is_number_integer() || created.get<long long>() < 0)
    return invalid("created_at must be Unix milliseconds", "created_at");
  v.createdAt = created.get<long long>();
  const Json& title = jsonValue(body, "title");
  if (!title.is_string()) return invalid("title must be a string", "title");
  v.title = title.get<std::string>();
  const Json& description = jsonValue(body, "description");
  if (!description.is_null() && !description.is_string())
    return invalid("description must be a string", "description");
  if (description.is_string()) v.description = description.get<std::string>();
  const Json& markdown = jsonValue(body, "markdown");
  if (!markdown.is_string()) return invalid("markdown must be a string", "markdown");
  if (markdown.get_ref<const std::string&>().size() > maxMarkdownBytes)
    return ApiError{413, "post.markdown_too_large", "markdown is larger than " + std::to_string(maxMarkdownBytes) + " bytes", "markdown"};
  v.markdown = markdown.get<std::string>();
  v.sha256 = jsonString(body, "sha256");
  if (!isSha256Hex(v.sha256) || sha256Hex(v.markdown) != v.sha256)
    return invalid("sha256 must be the SHA-256 (lower-case hex) of markdown", "sha256");
  v.bytes = static_cast<long long>(v.markdown.size());
  return v;
}

std::optional<long long> parseVersionNumber(std::string_view s) {
  if (s.empty() || s.size() > 15 || s[0] == '0') return std::nullopt;
  long long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::vector<std::string_view> splitText(std::string_view text, size_t maxBytes) {
  std::vector<std::string_view> parts;
  if (maxBytes < 4) maxBytes = 4;
  while (text.size() > maxBytes) {
    size_t cut = maxBytes;
    // Back off to the start of a UTF-8 sequence (at most 3 continuation bytes).
    while (cut > maxBytes - 3 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    if ((static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) cut = maxBytes;  // not UTF-8 here
    parts.push_back(text.substr(0, cut));
    text.remove_prefix(cut);
  }
  parts.push_back(text);
  return parts;
}

VersionStore::VersionStore(Sql& sql) : sql_(sql) {
  // Failures surface on first use: every method reports a failed statement.
  sql_.exec(kCreateVersions);
  sql_.exec(kCreateTexts);
}

VersionStore::Outcome VersionStore::record(const PostVersion& v, std::string* error) {
  auto failed = [&](const SqlRows& r) {
    if (error) *error = r.error;
    return Outcome::Failed;
  };
  SqlRows existing = sql_.exec(kSelectSha, Json::array({v.version}));
  if (!existing.ok) return failed(existing);
  if (!existing.rows.empty())
    return jsonString(existing.rows[0], "sha256") == v.sha256 ? Outcome::Repeated : Outcome::Conflict;

  SqlRows has = sql_.exec(kHasText, Json::array({v.sha256}));
  if (!has.ok) return failed(has);
  if (has.rows.empty() || jsonInt(has.rows[0], "n") == 0) {
    long long part = 0;
    for (std::string_view piece : splitText(v.markdown, kTextPartBytes)) {
      SqlRows r = sql_.exec(kInsertPart, Json::array({v.sha256, part++, std::string(piece)}));
      if (!r.ok) return failed(r);
    }
  }
  SqlRows inserted = sql_.exec(kInsertVersion, Json::array({v.version, v.createdAt, v.title, v.description,
                                                            v.sha256, static_cast<long long>(v.markdown.size())}));
  if (!inserted.ok) return failed(inserted);
  SqlRows trimmed = sql_.exec(kTrimVersions, Json::array({static_cast<long long>(kMaxVersions)}));
  if (!trimmed.ok) return failed(trimmed);
  SqlRows texts = sql_.exec(kTrimTexts);
  if (!texts.ok) return failed(texts);
  return Outcome::Recorded;
}

std::optional<long long> VersionStore::newest() {
  SqlRows r = sql_.exec(kNewest);
  if (!r.ok || r.rows.empty() || !jsonValue(r.rows[0], "v").is_number()) return std::nullopt;
  return jsonInt(r.rows[0], "v");
}

std::vector<PostVersion> VersionStore::list() {
  std::vector<PostVersion> out;
  SqlRows r = sql_.exec(kList);
  if (!r.ok) return out;
  out.reserve(r.rows.size());
  for (const auto& row : r.rows) out.push_back(versionFromRow(row));
  return out;
}

std::optional<PostVersion> VersionStore::get(long long version, bool* corrupt) {
  if (corrupt) *corrupt = false;
  SqlRows r = sql_.exec(kSelectOne, Json::array({version}));
  if (!r.ok || r.rows.empty()) return std::nullopt;
  PostVersion v = versionFromRow(r.rows[0]);
  SqlRows parts = sql_.exec(kSelectText, Json::array({v.sha256}));
  if (!parts.ok) return std::nullopt;
  for (const auto& p : parts.rows) v.markdown += jsonString(p, "body");
  if (static_cast<long long>(v.markdown.size()) != v.bytes || sha256Hex(v.markdown) != v.sha256) {
    if (corrupt) *corrupt = true;
    return std::nullopt;
  }
  return v;
}

long long VersionStore::textParts() {
  SqlRows r = sql_.exec("SELECT count(*) AS n FROM version_texts");
  return r.ok && !r.rows.empty() ? jsonInt(r.rows[0], "n") : 0;
}

long long VersionStore::clear() {
  SqlRows versions = sql_.exec("DELETE FROM post_versions RETURNING version");
  if (!versions.ok || !sql_.exec("DELETE FROM version_texts").ok) return -1;
  return static_cast<long long>(versions.rows.size());
}

}  // namespace lattice
