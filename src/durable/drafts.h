// Cross-device drafts of one tenant, kept in the TenantDO's SQLite. A device saves with the
// revision it last saw (`baseRevision`); a save based on anything but the stored revision is a
// conflict answered with the server copy, so two devices never silently overwrite each other.
// Revisions come from one counter for the whole object, so a draft deleted and created again
// never reuses a number a device may still hold.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/json.h"
#include "durable/sql.h"
#include "http/errors.h"

namespace lattice {

// Metadata bounds: at most this much serialised JSON, and only these keys.
inline constexpr size_t kMaxDraftMetadataBytes = 16 * 1024;
inline constexpr size_t kMaxDraftTitleChars = 200;
inline constexpr size_t kMaxDraftDescriptionChars = 500;
inline constexpr size_t kMaxDraftTags = 10;
inline constexpr size_t kMaxDeviceIdChars = 64;

struct Draft {
  std::string slug;
  std::string content;
  Json metadata = Json::object();  // {title?, description?, tags?}
  std::string deviceId;            // the device that saved this revision
  long long revision = 0;
  long long savedAt = 0;           // Unix ms

  // {slug, content?, metadata, device_id, revision, saved_at, bytes, title?}: bytes is the
  // content's size; content only when `withContent` (listings omit it); title is
  // metadata.title when that is a string.
  Json toJson(bool withContent) const;
};

// A checked save request.
struct DraftSave {
  std::string content;
  Json metadata = Json::object();
  std::string deviceId;
  std::optional<long long> baseRevision;  // the revision the device edited; absent to create
};

// Checks the body of a draft save, {content, metadata?, deviceId, baseRevision?}, in that order.
// `maxBytes` bounds content bytes + serialised metadata bytes (metadata defaults to {}, "{}").
// Codes: request.not_object, request.unknown_field, draft.content_invalid (not a string, or
// not UTF-8), draft.too_large (413), draft.metadata_invalid (not an object, over 16 KiB, a key
// other than title/description/tags, or a bad value for one), draft.device_invalid (1-64 of
// [A-Za-z0-9_-]), draft.revision_invalid (present, not null and not a positive integer).
std::variant<DraftSave, ApiError> parseDraftSave(const Json& body, size_t maxBytes);

// What DraftStore::save did.
struct SaveOutcome {
  enum class Kind {
    Created,   // there was no draft and no base: stored with a new revision
    Saved,     // the base was the stored revision: replaced, new revision
    Replayed,  // a repeat of the save that produced the stored revision: nothing written
    Conflict,  // the base is not the stored revision (or there is no draft to base on)
    Failed,    // SQL failed; `error` says why
  };
  Kind kind = Kind::Failed;
  // The stored draft after the save; on Conflict the server copy (empty if there is none).
  Draft draft;
  bool serverHasDraft = false;  // whether `draft` is a stored draft
  std::string error;
};

// The drafts table of one TenantDO. Slugs are checked by the caller (validSlug). Every method
// runs within one synchronous DO step, so a read followed by a write is atomic.
class DraftStore {
 public:
  // Creates the tables if they do not exist yet.
  explicit DraftStore(Sql& sql);

  // Saves `save` under `slug` at time `now` (Unix ms):
  //   no draft,     no base                        -> Created
  //   draft,        base == draft.revision         -> Saved
  //   draft saved by the same device with the same content and metadata, whose revision before
  //   that save was `base` (or which that device created, and base is absent) -> Replayed
  //   anything else (base absent, older or newer; base given but no draft, as it was deleted
  //   or published elsewhere)                      -> Conflict with the server copy
  SaveOutcome save(std::string_view slug, const DraftSave& save, long long now);

  // The stored draft; nullopt when there is none (or the read failed).
  std::optional<Draft> get(std::string_view slug);

  // Every draft, most recently saved first (ties: higher revision first). Empty on failure.
  std::vector<Draft> list();

  // Deletes the draft and returns it. With `ifRevision`, deletes only if that is the stored
  // revision; nullopt when nothing was deleted (no draft, other revision, or failure: use get()
  // to tell them apart).
  std::optional<Draft> remove(std::string_view slug, std::optional<long long> ifRevision = std::nullopt);

 private:
  std::optional<long long> nextRevision(std::string& error);

  Sql& sql_;
};

}  // namespace lattice
