// The reactions of one post, kept in its PostMetaDO's SQLite. A reader toggles a reaction type
// on and off; the object keeps one row per (reader, type) and a count per type, changed by the
// same statement (a trigger), so the counts always equal the number of rows, even when a step
// fails halfway. A toggle may carry the client's request id: a repeat within 24 hours (a lost
// response, a double tap resent) is answered with the first answer and toggles nothing.
// Counts reach D1's reaction_counts through an alarm that writes absolute counts for the types
// changed since the last acknowledged flush, so a repeated flush is harmless.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/io.h"
#include "core/json.h"
#include "durable/sql.h"
#include "http/errors.h"

namespace lattice {

// The reaction types a reader can toggle, in display order.
inline constexpr std::array<std::string_view, 4> kReactionTypes = {"like", "love", "insightful", "laugh"};

// How long a toggle's request id is remembered for replay.
inline constexpr long long kReactionRequestRetentionMs = 24LL * 60 * 60 * 1000;

// ToggleOutcome::error when a reader reuses a request id for another reaction type (the caller
// answers 422, as for an idempotency key reused with another payload).
inline constexpr std::string_view kReactionRequestIdReused = "reaction.request_id_reused";

bool validReactionType(std::string_view type);

// A checked toggle request.
struct ReactionToggle {
  std::string type;
  std::optional<std::string> requestId;
};

// Checks the body of a toggle, {type, requestId?}, in that order. Codes: request.not_object,
// request.unknown_field (field: the key), reaction.type_invalid (not one of kReactionTypes;
// field "type"), reaction.request_id_invalid (present but not 8-64 of [A-Za-z0-9_-], null
// included; field "requestId"). All 400.
std::variant<ReactionToggle, ApiError> parseReactionToggle(const Json& body);

// What ReactionStore::toggle did.
struct ToggleOutcome {
  bool ok = false;
  bool active = false;         // the reader's reaction of this type is now on
  Json counts = Json::object();  // {type: n} for every type in kReactionTypes
  bool replayed = false;       // a repeat of an earlier request: its outcome, nothing toggled
  std::string error;           // when !ok: kReactionRequestIdReused, or why SQL failed
};

// The reaction tables of one PostMetaDO. Reader ids come from verified reader tokens (the caller
// checks them); every method runs within one synchronous DO step, so a read followed by a write
// is atomic.
class ReactionStore {
 public:
  // Creates the tables and triggers if they do not exist yet.
  explicit ReactionStore(Sql& sql);

  // Turns the reader's reaction of `type` on if it is off, off if it is on, at `now` (Unix ms),
  // first forgetting request ids older than kReactionRequestRetentionMs. With a `requestId`
  // this reader already used within that time, returns the stored outcome of that request
  // (counts as they were then) with replayed set, and changes nothing; if that request was for
  // another type, fails with kReactionRequestIdReused. Request ids are per reader: two readers
  // never replay each other's. An unknown type or an empty reader id fails without writing.
  ToggleOutcome toggle(std::string_view readerId, std::string_view type, std::optional<std::string> requestId,
                       long long now);

  // {type: n} for every type in kReactionTypes (0 when none, or when the read failed).
  Json counts();
  // The types the reader has on, in kReactionTypes order (empty on failure).
  Json mine(std::string_view readerId);
  // True when every type's count equals its number of reader rows and none is negative (tests).
  bool consistent();
  // True when some type's count differs from what D1 was last acknowledged to hold, i.e. the
  // next countUpserts() would write something; true too when the read fails (a flush too many
  // is harmless, one too few loses a count).
  bool unflushed();

  // Starts a flush to D1: one upsert into reaction_counts per type whose count may differ from
  // what D1 was last acknowledged to hold (never flushed, or changed since), writing the absolute
  // count and updated_at = now, so running them twice is harmless. A toggle there and back before
  // the flush leaves nothing to write. Remembers which counts it read, under `now`; run the
  // statements as one D1 batch, then acknowledgeFlush(now). Empty when nothing changed (or the
  // read failed). Flushes do not overlap (one alarm at a time): a second call replaces what the
  // first remembered.
  std::vector<SqlStatement> countUpserts(std::string_view postId, long long now);

  // D1 committed the statements of countUpserts(…, flushedAt): the counts it read are now D1's.
  // A toggle made after that call stays dirty, whatever its time; an acknowledgement of any
  // other flush changes nothing (the next flush simply writes again).
  void acknowledgeFlush(long long flushedAt);

 private:
  Json countsOrNull();

  Sql& sql_;
};

}  // namespace lattice
