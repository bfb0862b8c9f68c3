// A post's comments, kept in its PostMetaDO's SQLite. A comment is stored (with its rendered
// HTML and a monotonic `seq`) before the reader gets an answer; an alarm then copies new
// comments and hide changes to D1's `comments` table through an outbox whose statements are
// idempotent on the comment id, so a flush repeated after a crash between the D1 write and the
// acknowledge writes nothing twice. Readers page through a post's comments oldest first with an
// opaque cursor on `seq`, which stays valid (no gaps, no repeats) while new comments arrive.
#pragma once

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

inline constexpr size_t kMaxCommentChars = 5000;  // code points, after trimming
inline constexpr int kMaxCommentPage = 100;
inline constexpr size_t kCommentFlushBatch = 100;

// A checked comment request. Empty strings stand for absent fields.
struct CommentInput {
  std::string body;       // trimmed, 1-5,000 code points, CR LF normalised to LF
  std::string parentId;   // the comment this one answers
  std::string requestId;  // the client's idempotency key, unique per reader
};

// Checks {body, parentId?, requestId?}, in that order. body: a string of valid UTF-8, CR LF
// taken as LF, ASCII whitespace trimmed from both ends, then 1-5,000 code points with no
// control characters (C0, DEL, C1) other than LF and tab. Codes: request.not_object,
// request.unknown_field (field = the key), comment.body_invalid (missing, not a string, not
// UTF-8, empty after trimming, a control character), comment.too_long (413, over 5,000 code
// points), comment.parent_invalid (not a string matching validCommentId),
// comment.request_id_invalid (not a string of 8-64 [A-Za-z0-9_-]). null is not "absent".
std::variant<CommentInput, ApiError> parseCommentInput(const Json& body);

// Comment ids (minted by the caller from the request's randomness) and parent ids:
// 1-64 characters of [A-Za-z0-9_-].
bool validCommentId(std::string_view id);

struct Comment {
  std::string id;
  std::string readerId;
  std::string readerName;
  std::string parentId;  // "" for a top-level comment
  std::string body;      // the markdown as written (trimmed)
  std::string html;      // renderCommentHtml(body)
  bool hidden = false;   // hidden by the post's owner
  long long createdAt = 0;  // Unix ms
  long long seq = 0;        // the order comments were stored in, from 1

  // For the owner: {id, reader_id, reader_name, parent_id (null when none), body, html, hidden,
  // created_at (ISO 8601)}. For readers the same without reader_id; a hidden comment keeps only
  // {id, parent_id, hidden:true, created_at}, so replies still have their place in the thread.
  Json toJson(bool forOwner) const;
};

// What CommentStore::add did.
struct AddOutcome {
  enum class Kind {
    Created,   // stored as a new comment
    Replayed,  // the reader's requestId was seen before: `comment` is the original, unchanged
    Invalid,   // `error` is comment.parent_invalid (400, field parentId); nothing stored
    Failed,    // SQL failed (or the id was taken); `error` is 503 storage.unavailable
  };
  Kind kind = Kind::Failed;
  Comment comment;
  ApiError error;
};

// One page of comments, oldest first.
struct CommentPage {
  // Set when the cursor was malformed (400 comment.cursor_invalid, field "cursor") or the read
  // failed (503 storage.unavailable); the other fields are then empty.
  std::optional<ApiError> error;
  std::vector<Comment> comments;  // for readers, hidden ones have body and html cleared
  // The cursor after the last comment of this page (the one given when the page is empty):
  // passing it later yields exactly the comments stored since, so clients can poll with it.
  std::string nextCursor;
  bool more = false;  // whether more comments follow already
  bool forOwner = false;

  // {comments:[Comment::toJson(forOwner)], next_cursor (null when empty), more}.
  Json toJson() const;
};

// The comments table of one PostMetaDO (one post). Every method runs within one synchronous DO
// step, so a read followed by a write is atomic.
class CommentStore {
 public:
  // Creates the table if it does not exist yet.
  explicit CommentStore(Sql& sql);

  // Stores `input` by `readerId`/`readerName` under `id` at `now` (Unix ms), after the
  // comments already stored. A request whose (readerId, requestId) was stored before returns
  // that comment as Replayed, whatever its body now says. A parentId must name a comment of
  // this post (hidden ones too).
  AddOutcome add(const CommentInput& input, std::string_view readerId, std::string_view readerName,
                 std::string_view id, long long now);

  // The comment this reader stored with `requestId` before, if any (what add() would replay).
  std::optional<Comment> replayOf(std::string_view readerId, std::string_view requestId);

  // Sets whether the comment is hidden; false when there is no such comment (or SQL failed).
  bool hide(std::string_view id, bool hidden);

  // The comment with this id, if any.
  std::optional<Comment> find(std::string_view id);

  // Up to `limit` comments (clamped to 1-100) after `cursor` (nullopt or "" for the first),
  // oldest first. Readers see hidden comments as placeholders (see Comment::toJson).
  CommentPage page(std::optional<std::string> cursor, int limit, bool forOwner);

  // The outbox to D1, for the alarm. Up to `max` statements for the oldest comments D1 does
  // not have as they are now: an INSERT ... ON CONFLICT(id) for a comment not yet acknowledged
  // (which also sets `hidden` should an unacknowledged earlier flush have written the row),
  // and an UPDATE of `hidden` for a hide change since. The INSERT only writes when the post
  // exists in D1 within `tenantId` (so a deleted post cannot wedge the outbox). params[0] of
  // every statement is the comment id; run them as one batch, then acknowledge those ids
  // (commentIds()). Records, per comment, the `hidden` value being sent, which acknowledge()
  // then marks as D1's: one flush at a time (the alarm), not two overlapping.
  std::vector<SqlStatement> pendingInserts(std::string_view tenantId, std::string_view postId,
                                           size_t max = kCommentFlushBatch);
  // Marks what the last pendingInserts() sent for these comments as written to D1. Ids that
  // were not sent are ignored.
  void acknowledge(const std::vector<std::string>& ids);
  // The number of comments whose current state D1 does not have yet (0 on failure).
  long long unflushed();

 private:
  Sql& sql_;
};

// The comment ids of a pendingInserts() batch (params[0] of each statement), in order.
std::vector<std::string> commentIds(const std::vector<SqlStatement>& statements);

// The opaque page cursor after `seq`: sealToken (core/sealed-token.h) of the 8-byte big-endian
// seq, i.e. base64url of the seq and 4 bytes of salted SHA-256 over it, 16 characters. parseCommentCursor() returns the seq, or nullopt for
// anything else (wrong length or alphabet, checksum mismatch, negative).
std::string commentCursor(long long seq);
std::optional<long long> parseCommentCursor(std::string_view cursor);

}  // namespace lattice
