#include "durable/comments.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "core/sealed-token.h"
#include "core/time.h"
#include "render/comment-markdown.h"
#include "render/html-escape.h"

namespace lattice {

namespace {

// seq is AUTOINCREMENT, so it only grows, even past deleted rows: a cursor never skips or
// repeats a comment. d1_hidden is the `hidden` value D1 holds (NULL until the insert is
// acknowledged); sent_hidden the value the last flush sent. A NULL request_id never conflicts.
constexpr std::string_view kCreateComments = R"(
  CREATE TABLE IF NOT EXISTS comments (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    reader_id   TEXT NOT NULL,
    reader_name TEXT NOT NULL,
    parent_id   TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL,
    html        TEXT NOT NULL,
    hidden      INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    request_id  TEXT,
    d1_hidden   INTEGER,
    sent_hidden INTEGER,
    UNIQUE (reader_id, request_id)
  ))";

// The outbox: comments whose state D1 does not have.
constexpr std::string_view kCreateUnflushedIndex = R"(
  CREATE INDEX IF NOT EXISTS comments_unflushed ON comments (seq)
   WHERE d1_hidden IS NULL OR d1_hidden <> hidden)";

#define LATTICE_COMMENT_COLUMNS "seq, id, reader_id, reader_name, parent_id, body, html, hidden, created_at"

constexpr std::string_view kFindByRequest =
    "SELECT " LATTICE_COMMENT_COLUMNS " FROM comments WHERE reader_id = ?1 AND request_id = ?2";

constexpr std::string_view kFindById = "SELECT " LATTICE_COMMENT_COLUMNS " FROM comments WHERE id = ?1";

// Nothing is returned when the id (or the reader's request id) is taken.
constexpr std::string_view kInsert = R"(
  INSERT INTO comments (id, reader_id, reader_name, parent_id, body, html, created_at, request_id)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
  ON CONFLICT DO NOTHING
  RETURNING )" LATTICE_COMMENT_COLUMNS;

constexpr std::string_view kHide = "UPDATE comments SET hidden = ?2 WHERE id = ?1 RETURNING id";

constexpr std::string_view kPage =
    "SELECT " LATTICE_COMMENT_COLUMNS " FROM comments WHERE seq > ?1 ORDER BY seq LIMIT ?2";

// Marks the oldest unflushed comments as being sent with their current `hidden`.
constexpr std::string_view kTakePending = R"(
  UPDATE comments SET sent_hidden = hidden
   WHERE seq IN (SELECT seq FROM comments WHERE d1_hidden IS NULL OR d1_hidden <> hidden
                  ORDER BY seq LIMIT ?1)
  RETURNING seq, id, reader_id, parent_id, body, hidden, created_at, d1_hidden)";

constexpr std::string_view kAcknowledge = R"(
  UPDATE comments SET d1_hidden = sent_hidden
   WHERE id IN (SELECT value FROM json_each(?1)) AND sent_hidden IS NOT NULL)";

constexpr std::string_view kUnflushed =
    "SELECT count(*) AS n FROM comments WHERE d1_hidden IS NULL OR d1_hidden <> hidden";

#undef LATTICE_COMMENT_COLUMNS

// D1. Written only when the post exists within the tenant (comments.post_id references posts,
// so a deleted post would otherwise fail every batch). A row already there (an earlier flush
// that was never acknowledged) only takes the current `hidden`, and only within the same post.
constexpr const char* kD1Insert = R"(
  INSERT INTO comments (id, tenant_id, post_id, reader_id, parent_id, body, hidden, created_at)
  SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
   WHERE EXISTS (SELECT 1 FROM posts WHERE id = ?3 AND tenant_id = ?2)
  ON CONFLICT (id) DO UPDATE SET hidden = excluded.hidden
   WHERE comments.tenant_id = excluded.tenant_id AND comments.post_id = excluded.post_id
     AND comments.hidden <> excluded.hidden)";

constexpr const char* kD1Hide = R"(
  UPDATE comments SET hidden = ?2 WHERE id = ?1 AND tenant_id = ?3 AND post_id = ?4)";

constexpr std::string_view kCursorSalt = "lattice.comment-cursor:";

ApiError bad(std::string code, std::string message, std::string field, int status = 400) {
  return ApiError{status, std::move(code), std::move(message), std::move(field)};
}

ApiError storageError() {
  return ApiError{503, "storage.unavailable", "the comments could not be read or written; retry shortly", ""};
}

bool isIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool validRequestId(std::string_view s) {
  return s.size() >= 8 && s.size() <= 64 && std::all_of(s.begin(), s.end(), isIdChar);
}

// Checks and normalises a comment body: the error, or nullopt with the trimmed body in `out`.
std::optional<ApiError> checkBody(const Json& value, std::string& out) {
  const ApiError invalid = bad("comment.body_invalid",
                               "body must be non-empty text without control characters", "body");
  if (!value.is_string()) return invalid;
  const std::string& raw = value.get_ref<const std::string&>();

  std::string text;
  text.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') continue;  // CR LF -> LF
    text.push_back(raw[i]);
  }
  const size_t begin = text.find_first_not_of(" \t\n");
  if (begin == std::string::npos) return invalid;
  const size_t end = text.find_last_not_of(" \t\n") + 1;
  std::string_view trimmed = std::string_view(text).substr(begin, end - begin);

  const std::optional<size_t> codePoints = render::printableCodePoints(trimmed, "\n\t");
  if (!codePoints) return invalid;
  if (*codePoints > kMaxCommentChars)
    return bad("comment.too_long", "body must be at most 5000 characters", "body", 413);
  out.assign(trimmed);
  return std::nullopt;
}

Comment commentFromRow(const Json& row) {
  Comment c;
  c.seq = jsonInt(row, "seq");
  c.id = jsonString(row, "id");
  c.readerId = jsonString(row, "reader_id");
  c.readerName = jsonString(row, "reader_name");
  c.parentId = jsonString(row, "parent_id");
  c.body = jsonString(row, "body");
  c.html = jsonString(row, "html");
  c.hidden = jsonInt(row, "hidden") != 0;
  c.createdAt = jsonInt(row, "created_at");
  return c;
}

// The cursor's payload: the seq as 8 big-endian bytes.
std::string cursorPayload(long long seq) {
  std::string bytes(8, '\0');
  const auto value = static_cast<uint64_t>(seq);
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(value >> (56 - 8 * i));
  return bytes;
}

}  // namespace

bool validCommentId(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), isIdChar);
}

std::variant<CommentInput, ApiError> parseCommentInput(const Json& body) {
  if (!body.is_object()) return bad("request.not_object", "the request body must be a JSON object", "");
  for (const auto& [key, value] : body.items())
    if (key != "body" && key != "parentId" && key != "requestId")
      return bad("request.unknown_field", "unknown field '" + key + "'", key);

  CommentInput input;
  if (auto error = checkBody(jsonValue(body, "body"), input.body)) return std::move(*error);
  if (auto it = body.find("parentId"); it != body.end()) {
    if (!it->is_string() || !validCommentId(it->get_ref<const std::string&>()))
      return bad("comment.parent_invalid", "parentId must be the id of a comment on this post", "parentId");
    input.parentId = it->get<std::string>();
  }
  if (auto it = body.find("requestId"); it != body.end()) {
    if (!it->is_string() || !validRequestId(it->get_ref<const std::string&>()))
      return bad("comment.request_id_invalid", "requestId must be 8-64 characters of A-Z, a-z, 0-9, '_' and '-'",
                 "requestId");
    input.requestId = it->get<std::string>();
  }
  return input;
}

Json Comment::toJson(bool forOwner) const {
  Json parent = parentId.empty() ? Json(nullptr) : Json(parentId);
  if (hidden && !forOwner)
    return {{"id", id}, {"parent_id", parent}, {"hidden", true}, {"created_at", formatIso8601(createdAt)}};
  Json j = {{"id", id},     {"reader_name", readerName}, {"parent_id", parent},
            {"body", body}, {"html", html},              {"hidden", hidden},
            {"created_at", formatIso8601(createdAt)}};
  if (forOwner) j["reader_id"] = readerId;
  return j;
}

Json CommentPage::toJson() const {
  Json list = Json::array();
  for (const auto& c : comments) list.push_back(c.toJson(forOwner));
  return {{"comments", std::move(list)},
          {"next_cursor", nextCursor.empty() ? Json(nullptr) : Json(nextCursor)},
          {"more", more}};
}

CommentStore::CommentStore(Sql& sql) : sql_(sql) {
  // Failures surface on first use: every method reports a failed statement.
  sql_.exec(kCreateComments);
  sql_.exec(kCreateUnflushedIndex);
}

AddOutcome CommentStore::add(const CommentInput& input, std::string_view readerId, std::string_view readerName,
                             std::string_view id, long long now) {
  AddOutcome outcome;
  outcome.error = storageError();
  if (!input.requestId.empty()) {
    SqlRows r = sql_.exec(kFindByRequest, Json::array({std::string(readerId), input.requestId}));
    if (!r.ok) return outcome;
    if (!r.rows.empty()) {
      outcome.kind = AddOutcome::Kind::Replayed;
      outcome.comment = commentFromRow(r.rows[0]);
      outcome.error = {};
      return outcome;
    }
  }
  if (!input.parentId.empty()) {
    SqlRows r = sql_.exec(kFindById, Json::array({input.parentId}));
    if (!r.ok) return outcome;
    if (r.rows.empty()) {
      outcome.kind = AddOutcome::Kind::Invalid;
      outcome.error = bad("comment.parent_invalid", "parentId must be the id of a comment on this post", "parentId");
      return outcome;
    }
  }
  SqlRows r = sql_.exec(kInsert, Json::array({std::string(id), std::string(readerId), std::string(readerName),
                                              input.parentId, input.body, render::renderCommentHtml(input.body), now,
                                              input.requestId.empty() ? Json(nullptr) : Json(input.requestId)}));
  if (!r.ok || r.rows.empty()) return outcome;  // the id was taken: the caller minted a duplicate
  outcome.kind = AddOutcome::Kind::Created;
  outcome.comment = commentFromRow(r.rows[0]);
  outcome.error = {};
  return outcome;
}

std::optional<Comment> CommentStore::replayOf(std::string_view readerId, std::string_view requestId) {
  if (requestId.empty()) return std::nullopt;
  SqlRows r = sql_.exec(kFindByRequest, Json::array({std::string(readerId), std::string(requestId)}));
  if (!r.ok || r.rows.empty()) return std::nullopt;
  return commentFromRow(r.rows[0]);
}

bool CommentStore::hide(std::string_view id, bool hidden) {
  SqlRows r = sql_.exec(kHide, Json::array({std::string(id), hidden ? 1 : 0}));
  return r.ok && !r.rows.empty();
}

std::optional<Comment> CommentStore::find(std::string_view id) {
  SqlRows r = sql_.exec(kFindById, Json::array({std::string(id)}));
  if (!r.ok || r.rows.empty()) return std::nullopt;
  return commentFromRow(r.rows[0]);
}

CommentPage CommentStore::page(std::optional<std::string> cursor, int limit, bool forOwner) {
  CommentPage page;
  page.forOwner = forOwner;
  long long after = 0;
  if (cursor && !cursor->empty()) {
    std::optional<long long> seq = parseCommentCursor(*cursor);
    if (!seq) {
      page.error = bad("comment.cursor_invalid", "cursor is not one this API gave out", "cursor");
      return page;
    }
    after = *seq;
  }
  limit = std::clamp(limit, 1, kMaxCommentPage);
  SqlRows r = sql_.exec(kPage, Json::array({after, limit + 1}));
  if (!r.ok) {
    page.error = storageError();
    return page;
  }
  page.more = r.rows.size() > static_cast<size_t>(limit);
  for (size_t i = 0; i < r.rows.size() && i < static_cast<size_t>(limit); ++i) {
    Comment c = commentFromRow(r.rows[i]);
    if (c.hidden && !forOwner) {
      c.body.clear();
      c.html.clear();
      c.readerName.clear();
    }
    page.comments.push_back(std::move(c));
  }
  page.nextCursor = commentCursor(page.comments.empty() ? after : page.comments.back().seq);
  return page;
}

std::vector<SqlStatement> CommentStore::pendingInserts(std::string_view tenantId, std::string_view postId,
                                                       size_t max) {
  std::vector<SqlStatement> out;
  if (max == 0) return out;
  SqlRows r = sql_.exec(kTakePending, Json::array({static_cast<long long>(max)}));
  if (!r.ok) return out;
  std::vector<Json> rows(r.rows.begin(), r.rows.end());  // RETURNING has no defined order
  std::sort(rows.begin(), rows.end(),
            [](const Json& a, const Json& b) { return jsonInt(a, "seq") < jsonInt(b, "seq"); });
  out.reserve(rows.size());
  const std::string tenant(tenantId), post(postId);
  for (const auto& row : rows) {
    const std::string id = jsonString(row, "id");
    const long long hidden = jsonInt(row, "hidden") != 0 ? 1 : 0;
    if (jsonValue(row, "d1_hidden").is_null()) {
      const std::string parent = jsonString(row, "parent_id");
      out.push_back({kD1Insert, Json::array({id, tenant, post, jsonString(row, "reader_id"),
                                             parent.empty() ? Json(nullptr) : Json(parent), jsonString(row, "body"),
                                             hidden, jsonInt(row, "created_at")})});
    } else {
      out.push_back({kD1Hide, Json::array({id, hidden, tenant, post})});
    }
  }
  return out;
}

void CommentStore::acknowledge(const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  sql_.exec(kAcknowledge, Json::array({dumpJson(Json(ids))}));
}

long long CommentStore::unflushed() {
  SqlRows r = sql_.exec(kUnflushed);
  return r.ok && !r.rows.empty() ? jsonInt(r.rows[0], "n") : 0;
}

std::vector<std::string> commentIds(const std::vector<SqlStatement>& statements) {
  std::vector<std::string> ids;
  ids.reserve(statements.size());
  for (const auto& s : statements)
    if (!s.params.empty() && s.params[0].is_string()) ids.push_back(s.params[0].get<std::string>());
  return ids;
}

std::string commentCursor(long long seq) { return sealToken(kCursorSalt, cursorPayload(seq)); }

std::optional<long long> parseCommentCursor(std::string_view cursor) {
  if (cursor.size() != 16) return std::nullopt;
  auto payload = openToken(kCursorSalt, cursor);
  if (!payload || payload->size() != 8) return std::nullopt;
  uint64_t value = 0;
  for (unsigned char c : *payload) value = (value << 8) | c;
  const auto seq = static_cast<long long>(value);
  if (seq < 0) return std::nullopt;
  return seq;
}

}  // namespace lattice
