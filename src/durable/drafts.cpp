#include "durable/drafts.h"

#include <algorithm>
#include <climits>

#include "blog/post-input.h"
#include "render/html-escape.h"

namespace lattice {

namespace {

// previous_revision: the revision this draft had before its last save (NULL when that save
// created it), so a repeated save can be recognised as a replay.
constexpr std::string_view kCreateDrafts = R"(
  CREATE TABLE IF NOT EXISTS drafts (
    slug              TEXT PRIMARY KEY,
    content           TEXT NOT NULL,
    metadata          TEXT NOT NULL DEFAULT '{}',
    device_id         TEXT NOT NULL,
    revision          INTEGER NOT NULL,
    previous_revision INTEGER,
    saved_at          INTEGER NOT NULL
  ))";

// One row: the last revision handed out by this object, for any draft.
constexpr std::string_view kCreateCounter = R"(
  CREATE TABLE IF NOT EXISTS draft_revisions (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    last INTEGER NOT NULL
  ))";

constexpr std::string_view kNextRevision = R"(
  INSERT INTO draft_revisions (id, last) VALUES (1, 1)
  ON CONFLICT (id) DO UPDATE SET last = last + 1
  RETURNING last)";

constexpr std::string_view kSelectOne = R"(
  SELECT slug, content, metadata, device_id, revision, previous_revision, saved_at
    FROM drafts WHERE slug = ?1)";

constexpr std::string_view kSelectAll = R"(
  SELECT slug, content, metadata, device_id, revision, saved_at
    FROM drafts ORDER BY saved_at DESC, revision DESC)";

constexpr std::string_view kInsert = R"(
  INSERT INTO drafts (slug, content, metadata, device_id, revision, previous_revision, saved_at)
  VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6)
  RETURNING slug, content, metadata, device_id, revision, saved_at)";

// Compare-and-swap on the revision: a no-op if the row changed since it was read.
constexpr std::string_view kUpdate = R"(
  UPDATE drafts
     SET content = ?2, metadata = ?3, device_id = ?4, previous_revision = revision,
         revision = ?5, saved_at = ?6
   WHERE slug = ?1 AND revision = ?7
  RETURNING slug, content, metadata, device_id, revision, saved_at)";

constexpr std::string_view kDelete = R"(
  DELETE FROM drafts WHERE slug = ?1 AND (?2 IS NULL OR revision = ?2)
  RETURNING slug, content, metadata, device_id, revision, saved_at)";

ApiError bad(std::string code, std::string message, std::string field, int status = 400) {
  return ApiError{status, std::move(code), std::move(message), std::move(field)};
}

size_t utf8Length(std::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool validDeviceId(std::string_view s) {
  if (s.empty() || s.size() > kMaxDeviceIdChars) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

bool boundedString(const Json& v, size_t maxChars) {
  if (!v.is_string()) return false;
  const auto& s = v.get_ref<const std::string&>();
  return render::isValidUtf8(s) && utf8Length(s) <= maxChars;
}

// The keys of a metadata object (already known to be an object within the byte bound).
std::optional<ApiError> checkMetadata(const Json& metadata) {
  for (const auto& [key, value] : metadata.items()) {
    const std::string field = "metadata." + key;
    if (key == "title") {
      if (!boundedString(value, kMaxDraftTitleChars))
        return bad("draft.metadata_invalid", "metadata.title must be a string of at most 200 characters", field);
    } else if (key == "description") {
      if (!boundedString(value, kMaxDraftDescriptionChars))
        return bad("draft.metadata_invalid", "metadata.description must be a string of at most 500 characters",
                   field);
    } else if (key == "tags") {
      const bool ok = value.is_array() && value.size() <= kMaxDraftTags &&
                      std::all_of(value.begin(), value.end(), [](const Json& t) {
                        return t.is_string() && validTag(t.get_ref<const std::string&>());
                      });
      if (!ok)
        return bad("draft.metadata_invalid",
                   "metadata.tags must be an array of at most 10 tags of 1-40 characters of a-z, 0-9 and '-'", field);
    } else {
      return bad("draft.metadata_invalid",
                 "unknown metadata key '" + key + "' (allowed: title, description, tags)", field);
    }
  }
  return std::nullopt;
}

Draft draftFromRow(const Json& row) {
  Draft d;
  d.slug = jsonString(row, "slug");
  d.content = jsonString(row, "content");
  if (auto m = parseJson(jsonString(row, "metadata", "{}")); m && m->is_object()) d.metadata = std::move(*m);
  d.deviceId = jsonString(row, "device_id");
  d.revision = jsonInt(row, "revision");
  d.savedAt = jsonInt(row, "saved_at");
  return d;
}

SaveOutcome failed(std::string error) {
  SaveOutcome out;
  out.kind = SaveOutcome::Kind::Failed;
  out.error = std::move(error);
  return out;
}

SaveOutcome stored(SaveOutcome::Kind kind, Draft draft) {
  SaveOutcome out;
  out.kind = kind;
  out.draft = std::move(draft);
  out.serverHasDraft = true;
  return out;
}

}  // namespace

Json Draft::toJson(bool withContent) const {
  Json j = {{"slug", slug}};
  if (withContent) j["content"] = content;
  j["metadata"] = metadata;
  j["device_id"] = deviceId;
  j["revision"] = revision;
  j["saved_at"] = savedAt;
  j["bytes"] = static_cast<long long>(content.size());
  if (auto it = metadata.find("title"); it != metadata.end() && it->is_string()) j["title"] = *it;
  return j;
}

std::variant<DraftSave, ApiError> parseDraftSave(const Json& body, size_t maxBytes) {
  static const char* const kFields[] = {"content", "metadata", "deviceId", "baseRevision"};
  if (!body.is_object()) return bad("request.not_object", "the request body must be a JSON object", "");
  for (const auto& [key, value] : body.items())
    if (std::find(std::begin(kFields), std::end(kFields), key) == std::end(kFields))
      return bad("request.unknown_field", "unknown field '" + key + "'", key);

  DraftSave save;
  const Json& content = jsonValue(body, "content");
  if (!content.is_string()) return bad("draft.content_invalid", "content must be a string", "content");

  if (auto it = body.find("metadata"); it != body.end()) {
    if (!it->is_object()) return bad("draft.metadata_invalid", "metadata must be an object", "metadata");
    save.metadata = *it;
  }
  // Sizes first: both are linear in the input and bound everything after them.
  const std::string metadataText = dumpJson(save.metadata);
  const size_t contentBytes = content.get_ref<const std::string&>().size();
  if (contentBytes > maxBytes || metadataText.size() > maxBytes - contentBytes)
    return bad("draft.too_large",
               "content and metadata are larger than " + std::to_string(maxBytes) + " bytes", "content", 413);
  if (metadataText.size() > kMaxDraftMetadataBytes)
    return bad("draft.metadata_invalid", "metadata is larger than 16 KiB", "metadata");
  if (!render::isValidUtf8(content.get_ref<const std::string&>()))
    return bad("draft.content_invalid", "content must be valid UTF-8", "content");
  if (auto error = checkMetadata(save.metadata)) return std::move(*error);
  save.content = content.get<std::string>();

  const Json& device = jsonValue(body, "deviceId");
  if (!device.is_string() || !validDeviceId(device.get_ref<const std::string&>()))
    return bad("draft.device_invalid", "deviceId must be 1-64 characters of A-Z, a-z, 0-9, '_' and '-'",
               "deviceId");
  save.deviceId = device.get<std::string>();

  const Json& base = jsonValue(body, "baseRevision");
  if (!base.is_null()) {
    const bool ok = base.is_number_unsigned() ? base.get<unsigned long long>() >= 1 &&
                                                    base.get<unsigned long long>() <= LLONG_MAX
                                              : base.is_number_integer() && base.get<long long>() >= 1;
    if (!ok) return bad("draft.revision_invalid", "baseRevision must be a positive integer or null", "baseRevision");
    save.baseRevision = base.get<long long>();
  }
  return save;
}

DraftStore::DraftStore(Sql& sql) : sql_(sql) {
  // Failures surface on first use: every method reports a failed statement.
  sql_.exec(kCreateDrafts);
  sql_.exec(kCreateCounter);
}

std::optional<long long> DraftStore::nextRevision(std::string& error) {
  SqlRows r = sql_.exec(kNextRevision);
  if (!r.ok || r.rows.empty()) {
    error = r.ok ? "no revision returned" : r.error;
    return std::nullopt;
  }
  return jsonInt(r.rows[0], "last");
}

SaveOutcome DraftStore::save(std::string_view slug, const DraftSave& save, long long now) {
  SqlRows current = sql_.exec(kSelectOne, Json::array({std::string(slug)}));
  if (!current.ok) return failed(current.error);

  if (current.rows.empty()) {
    if (save.baseRevision) {
      SaveOutcome out;
      out.kind = SaveOutcome::Kind::Conflict;
      out.draft.slug = std::string(slug);
      out.serverHasDraft = false;
      return out;
    }
    std::string error;
    auto revision = nextRevision(error);
    if (!revision) return failed(error);
    SqlRows r = sql_.exec(kInsert, Json::array({std::string(slug), save.content, dumpJson(save.metadata),
                                                save.deviceId, *revision, now}));
    if (!r.ok || r.rows.empty()) return failed(r.ok ? "insert returned no row" : r.error);
    return stored(SaveOutcome::Kind::Created, draftFromRow(r.rows[0]));
  }

  const Json& row = current.rows[0];
  Draft server = draftFromRow(row);
  if (save.baseRevision && *save.baseRevision == server.revision) {
    std::string error;
    auto revision = nextRevision(error);
    if (!revision) return failed(error);
    SqlRows r = sql_.exec(kUpdate, Json::array({std::string(slug), save.content, dumpJson(save.metadata),
                                                save.deviceId, *revision, now, server.revision}));
    if (!r.ok) return failed(r.error);
    // Unreachable within one DO step (the row was just read); reported rather than assumed.
    if (r.rows.empty()) return failed("draft changed during the save");
    return stored(SaveOutcome::Kind::Saved, draftFromRow(r.rows[0]));
  }

  const Json& previous = jsonValue(row, "previous_revision");
  const bool sameBase = previous.is_null() ? !save.baseRevision
                                           : save.baseRevision && *save.baseRevision == jsonInt(row, "previous_revision");
  if (sameBase && server.deviceId == save.deviceId && server.content == save.content &&
      server.metadata == save.metadata)
    return stored(SaveOutcome::Kind::Replayed, std::move(server));

  return stored(SaveOutcome::Kind::Conflict, std::move(server));
}

std::optional<Draft> DraftStore::get(std::string_view slug) {
  SqlRows r = sql_.exec(kSelectOne, Json::array({std::string(slug)}));
  if (!r.ok || r.rows.empty()) return std::nullopt;
  return draftFromRow(r.rows[0]);
}

std::vector<Draft> DraftStore::list() {
  std::vector<Draft> out;
  SqlRows r = sql_.exec(kSelectAll);
  if (!r.ok) return out;
  out.reserve(r.rows.size());
  for (const auto& row : r.rows) out.push_back(draftFromRow(row));
  return out;
}

std::optional<Draft> DraftStore::remove(std::string_view slug, std::optional<long long> ifRevision) {
  SqlRows r = sql_.exec(kDelete, Json::array({std::string(slug), ifRevision ? Json(*ifRevision) : Json(nullptr)}));
  if (!r.ok || r.rows.empty()) return std::nullopt;
  return draftFromRow(r.rows[0]);
}

}  // namespace lattice
