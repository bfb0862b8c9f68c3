// A post's comments (src/durable/comments.h): parseCommentInput's codes exactly, add with its
// replay and parent rules, cursor paging that stays gap- and duplicate-free while comments
// arrive, hidden comments for readers and owners, and flush cycles run by hand into a second
// SQLite holding D1's migrated schema: batches, hide changes, and exactly-once delivery when a
// cycle is repeated before its acknowledge.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <variant>
#include <vector>

#include "durable/comments.h"
#include "d1-fixture.h"
#include "sqlite-db.h"

using lattice::AddOutcome;
using lattice::ApiError;
using lattice::Comment;
using lattice::CommentInput;
using lattice::CommentPage;
using lattice::CommentStore;
using lattice::Json;
using lattice::commentCursor;
using lattice::dumpJson;
using lattice::commentIds;
using lattice::parseCommentCursor;
using lattice::parseCommentInput;
using lattice::testing::SqliteDb;
using lattice::testing::SqliteSql;

namespace {

constexpr long long kNow = 1795000000000;

// D1: the migrations applied to a fresh database, tenant t1 with post p1, tenant t2 with p2.
struct D1 : lattice::testing::D1Fixture {
  D1() : D1Fixture(R"(
      INSERT INTO tenants (id, subdomain, display_name, created_at, updated_at)
        VALUES ('t1', 'demo', 'Demo', 0, 0), ('t2', 'other', 'Other', 0, 0);
      INSERT INTO posts (id, tenant_id, slug, title, status, created_at, updated_at, content_hash)
        VALUES ('p1', 't1', 'hello', 'Hello', 'draft', 0, 0, ''),
               ('p2', 't2', 'hello', 'Hello', 'draft', 0, 0, '');
    )") {}
  long long count() { return D1Fixture::count("comments"); }
};

// The PostMetaDO side: its own SQLite with the store.
struct Object {
  SqliteDb db;
  SqliteSql sql{db};
  CommentStore store{sql};
  int minted = 0;

  // A new comment by `reader`, with an id minted as the caller would.
  AddOutcome add(const std::string& body, const std::string& reader = "r1", const std::string& parent = "",
                 const std::string& requestId = "") {
    CommentInput input{body, parent, requestId};
    const std::string id = "c" + std::to_string(++minted);
    return store.add(input, reader, "Reader " + reader, id, kNow + minted);
  }

  // One flush cycle as the alarm runs it; `acknowledge` false simulates a crash after the D1
  // write. Returns the number of statements sent.
  size_t flush(D1& d1, bool acknowledge = true, const std::string& tenant = "t1", const std::string& post = "p1") {
    auto statements = store.pendingInserts(tenant, post);
    if (statements.empty()) return 0;
    REQUIRE(d1.batch(statements));
    if (acknowledge) store.acknowledge(commentIds(statements));
    return statements.size();
  }
};

CommentInput parsed(const Json& body) {
  auto r = parseCommentInput(body);
  if (auto* e = std::get_if<ApiError>(&r)) FAIL("unexpected error " << e->code << ": " << e->message);
  return std::get<CommentInput>(r);
}

void checkError(const Json& body, int status, const std::string& code, const std::string& field) {
  auto r = parseCommentInput(body);
  REQUIRE(std::holds_alternative<ApiError>(r));
  const auto& e = std::get<ApiError>(r);
  CHECK(e.status == status);
  CHECK(e.code == code);
  CHECK(e.field == field);
}

std::vector<std::string> idsOf(const CommentPage& page) {
  std::vector<std::string> ids;
  for (const auto& c : page.comments) ids.push_back(c.id);
  return ids;
}

}  // namespace

TEST_CASE("parseCommentInput: a valid comment, trimmed, with its optional fields") {
  CommentInput in = parsed({{"body", "  \n\tHello *world*\r\nbye\t \n"}});
  CHECK(in.body == "Hello *world*\nbye");
  CHECK(in.parentId.empty());
  CHECK(in.requestId.empty());

  in = parsed({{"body", "x"}, {"parentId", "c_parent-1"}, {"requestId", "req-0001_ABC"}});
  CHECK(in.body == "x");
  CHECK(in.parentId == "c_parent-1");
  CHECK(in.requestId == "req-0001_ABC");

  // The limit counts code points, not bytes: 5,000 three-byte characters are fine.
  std::string euros;
  for (int i = 0; i < 5000; ++i) euros += "\xE2\x82\xAC";
  CHECK(parsed({{"body", euros}}).body.size() == 15000);
  CHECK(parsed({{"body", "  " + std::string(5000, 'a') + "\n\n"}}).body.size() == 5000);
  CHECK(parsed({{"body", "tab\tand\nnewline"}}).body == "tab\tand\nnewline");
  CHECK(parsed({{"requestId", std::string(64, 'k')}, {"body", "x"}}).requestId.size() == 64);
  CHECK(parsed({{"parentId", std::string(64, 'p')}, {"body", "x"}}).parentId.size() == 64);
}

TEST_CASE("parseCommentInput: every error code, exactly") {
  checkError(Json::array(), 400, "request.not_object", "");
  checkError("text", 400, "request.not_object", "");
  checkError(nullptr, 400, "request.not_object", "");
  checkError({{"body", "x"}, {"author", "me"}}, 400, "request.unknown_field", "author");
  checkError({{"body", "x"}, {"parent_id", "c1"}}, 400, "request.unknown_field", "parent_id");

  checkError(Json::object(), 400, "comment.body_invalid", "body");
  checkError({{"body", nullptr}}, 400, "comment.body_invalid", "body");
  checkError({{"body", 42}}, 400, "comment.body_invalid", "body");
  checkError({{"body", Json::array({"x"})}}, 400, "comment.body_invalid", "body");
  checkError({{"body", ""}}, 400, "comment.body_invalid", "body");
  checkError({{"body", " \n\t\r\n "}}, 400, "comment.body_invalid", "body");
  checkError({{"body", "bell\x07"}}, 400, "comment.body_invalid", "body");
  checkError({{"body", std::string("nul\0x", 5)}}, 400, "comment.body_invalid", "body");
  checkError({{"body", "lone\rcr"}}, 400, "comment.body_invalid", "body");
  checkError({{"body", "esc\x1B[31m"}}, 400, "comment.body_invalid", "body");
  checkError({{"body", "del\x7F"}}, 400, "comment.body_invalid", "body");
  checkError({{"body", "c1\xC2\x85"}}, 400, "comment.body_invalid", "body");
  checkError({{"body", "bad\xFFutf8"}}, 400, "comment.body_invalid", "body");
  checkError({{"body", "overlong\xC0\xAF"}}, 400, "comment.body_invalid", "body");
  checkError({{"body", std::string(5001, 'a')}}, 413, "comment.too_long", "body");
  std::string euros;
  for (int i = 0; i < 5001; ++i) euros += "\xE2\x82\xAC";
  checkError({{"body", euros}}, 413, "comment.too_long", "body");

  checkError({{"body", "x"}, {"parentId", ""}}, 400, "comment.parent_invalid", "parentId");
  checkError({{"body", "x"}, {"parentId", nullptr}}, 400, "comment.parent_invalid", "parentId");
  checkError({{"body", "x"}, {"parentId", 7}}, 400, "comment.parent_invalid", "parentId");
  checkError({{"body", "x"}, {"parentId", "has space"}}, 400, "comment.parent_invalid", "parentId");
  checkError({{"body", "x"}, {"parentId", std::string(65, 'p')}}, 400, "comment.parent_invalid", "parentId");

  checkError({{"body", "x"}, {"requestId", "short"}}, 400, "comment.request_id_invalid", "requestId");
  checkError({{"body", "x"}, {"requestId", std::string(65, 'k')}}, 400, "comment.request_id_invalid", "requestId");
  checkError({{"body", "x"}, {"requestId", "has:colon"}}, 400, "comment.request_id_invalid", "requestId");
  checkError({{"body", "x"}, {"requestId", 12345678}}, 400, "comment.request_id_invalid", "requestId");
  checkError({{"body", "x"}, {"requestId", nullptr}}, 400, "comment.request_id_invalid", "requestId");

  // Fields are checked in order: body first.
  checkError({{"body", ""}, {"parentId", 1}, {"requestId", 1}}, 400, "comment.body_invalid", "body");
  checkError({{"body", "x"}, {"parentId", 1}, {"requestId", 1}}, 400, "comment.parent_invalid", "parentId");
}

TEST_CASE("comments: add stores in order with rendered HTML; replays and parents") {
  Object o;
  AddOutcome first = o.add("Hello **there**");
  REQUIRE(first.kind == AddOutcome::Kind::Created);
  CHECK(first.comment.id == "c1");
  CHECK(first.comment.readerId == "r1");
  CHECK(first.comment.readerName == "Reader r1");
  CHECK(first.comment.parentId.empty());
  CHECK(first.comment.body == "Hello **there**");
  CHECK(first.comment.html == "<p>Hello <strong>there</strong></p>\n");
  CHECK_FALSE(first.comment.hidden);
  CHECK(first.comment.createdAt == kNow + 1);
  CHECK(first.comment.seq == 1);

  AddOutcome reply = o.add("a reply", "r2", "c1");
  REQUIRE(reply.kind == AddOutcome::Kind::Created);
  CHECK(reply.comment.parentId == "c1");
  CHECK(reply.comment.seq == 2);
  CHECK(o.add("reply to a reply", "r1", "c2").kind == AddOutcome::Kind::Created);

  // A parent that is not a comment of this post.
  AddOutcome orphan = o.add("hm", "r1", "c999");
  CHECK(orphan.kind == AddOutcome::Kind::Invalid);
  CHECK(orphan.error.status == 400);
  CHECK(orphan.error.code == "comment.parent_invalid");
  CHECK(orphan.error.field == "parentId");
  CHECK_FALSE(o.store.find("c4"));

  // Replays: the same reader and requestId return the original, whatever the body says now.
  AddOutcome once = o.add("first try", "r1", "", "request-0001");
  REQUIRE(once.kind == AddOutcome::Kind::Created);
  AddOutcome again = o.add("second try", "r1", "", "request-0001");
  CHECK(again.kind == AddOutcome::Kind::Replayed);
  CHECK(again.comment.id == once.comment.id);
  CHECK(again.comment.body == "first try");
  CHECK(again.comment.seq == once.comment.seq);
  // Even with a parent that does not exist: the replay wins, nothing is checked or stored.
  CHECK(o.add("third try", "r1", "nope", "request-0001").kind == AddOutcome::Kind::Replayed);
  // Another reader may use the same requestId.
  AddOutcome other = o.add("mine", "r2", "", "request-0001");
  CHECK(other.kind == AddOutcome::Kind::Created);
  CHECK(other.comment.id != once.comment.id);

  // A hidden comment can still be answered.
  REQUIRE(o.store.hide("c1", true));
  CHECK(o.add("answer to hidden", "r3", "c1").kind == AddOutcome::Kind::Created);

  // An id the caller minted twice is a failure, not an overwrite.
  AddOutcome dup = o.store.add(CommentInput{"dup", "", ""}, "r9", "R9", "c1", kNow);
  CHECK(dup.kind == AddOutcome::Kind::Failed);
  CHECK(dup.error.status == 503);
  CHECK(dup.error.code == "storage.unavailable");
  CHECK(o.store.find("c1")->body == "Hello **there**");

  // Kept in storage, not in memory.
  CommentStore reopened(o.sql);
  CHECK(reopened.find("c2")->parentId == "c1");
  CHECK(reopened.page(std::nullopt, 100, true).comments.size() == 6);
  CHECK_FALSE(reopened.hide("missing", true));
}

TEST_CASE("comments: cursor pages are oldest first, with no gaps or repeats while comments arrive") {
  Object o;
  for (int i = 0; i < 25; ++i) REQUIRE(o.add("comment " + std::to_string(i)).kind == AddOutcome::Kind::Created);

  CommentPage first = o.store.page(std::nullopt, 10, false);
  REQUIRE_FALSE(first.error);
  CHECK(first.comments.size() == 10);
  CHECK(first.comments.front().id == "c1");
  CHECK(first.comments.back().id == "c10");
  CHECK(first.more);

  std::vector<std::string> seen = idsOf(first);
  std::string cursor = first.nextCursor;
  int arrivals = 0;
  for (int round = 0; round < 10; ++round) {
    // Comments arrive between every two page reads.
    for (int k = 0; k < 3; ++k, ++arrivals) o.add("late " + std::to_string(arrivals));
    CommentPage next = o.store.page(cursor, 10, false);
    REQUIRE_FALSE(next.error);
    auto ids = idsOf(next);
    seen.insert(seen.end(), ids.begin(), ids.end());
    cursor = next.nextCursor;
    if (!next.more) break;
  }
  // Then it is drained; an empty page keeps the cursor, so later comments are found with it.
  CommentPage empty = o.store.page(cursor, 10, false);
  CHECK(empty.comments.empty());
  CHECK_FALSE(empty.more);
  CHECK(empty.nextCursor == cursor);
  o.add("after the end");
  CommentPage tail = o.store.page(cursor, 10, false);
  REQUIRE(tail.comments.size() == 1);
  seen.push_back(tail.comments[0].id);

  std::vector<std::string> expected;
  for (int i = 1; i <= o.minted; ++i) expected.push_back("c" + std::to_string(i));
  CHECK(seen == expected);

  // Limits are clamped to 1-100.
  CHECK(o.store.page(std::nullopt, 0, false).comments.size() == 1);
  CHECK(o.store.page(std::nullopt, -5, false).comments.size() == 1);
  for (int i = 0; i < 100; ++i) o.add("more");
  CHECK(o.store.page(std::nullopt, 1000, false).comments.size() == 100);

  // "" is the first page, like no cursor.
  CHECK(idsOf(o.store.page(std::string(), 2, false)) == std::vector<std::string>{"c1", "c2"});
  CHECK(o.store.page(std::nullopt, 2, false).toJson()["next_cursor"] == commentCursor(2));
}

TEST_CASE("comments: malformed cursors are comment.cursor_invalid") {
  Object o;
  o.add("x");
  CHECK(parseCommentCursor(commentCursor(0)) == 0);
  CHECK(parseCommentCursor(commentCursor(1)) == 1);
  CHECK(parseCommentCursor(commentCursor(9007199254740993LL)) == 9007199254740993LL);
  CHECK(commentCursor(42).size() == 16);

  std::string good = commentCursor(1);
  std::string flipped = good;
  flipped[3] = flipped[3] == 'A' ? 'B' : 'A';
  std::string checksum = good;
  checksum[15] = checksum[15] == 'A' ? 'B' : 'A';
  for (const std::string& bad : {std::string("garbage"), good + "A", good.substr(0, 15), flipped, checksum,
                                 std::string(16, '='), std::string("AAAAAAAAAAAA+/AA"), commentCursor(-1),
                                 std::string("1"), std::string("MTA")}) {
    INFO("cursor: " << bad);
    CHECK_FALSE(parseCommentCursor(bad));
    CommentPage page = o.store.page(bad, 10, false);
    REQUIRE(page.error);
    CHECK(page.error->status == 400);
    CHECK(page.error->code == "comment.cursor_invalid");
    CHECK(page.error->field == "cursor");
    CHECK(page.comments.empty());
  }
}

TEST_CASE("comments: hidden comments are placeholders for readers, whole for owners") {
  Object o;
  o.add("visible");
  o.add("rude <b>words</b>", "r2");
  o.add("an answer", "r3", "c2");
  REQUIRE(o.store.hide("c2", true));

  CommentPage readers = o.store.page(std::nullopt, 10, false);
  REQUIRE(readers.comments.size() == 3);
  CHECK(readers.comments[1].hidden);
  CHECK(readers.comments[1].body.empty());
  CHECK(readers.comments[1].html.empty());
  Json j = readers.toJson();
  CHECK(j["more"] == false);
  REQUIRE(j["comments"].size() == 3);
  CHECK(j["comments"][0] == Json{{"id", "c1"},
                                 {"reader_name", "Reader r1"},
                                 {"parent_id", nullptr},
                                 {"body", "visible"},
                                 {"html", "<p>visible</p>\n"},
                                 {"hidden", false},
                                 {"created_at", "2026-11-18T11:06:40Z"}});
  CHECK(j["comments"][1] == Json{{"id", "c2"}, {"parent_id", nullptr}, {"hidden", true},
                                 {"created_at", "2026-11-18T11:06:40Z"}});
  CHECK(j["comments"][2]["parent_id"] == "c2");
  CHECK(dumpJson(j).find("rude") == std::string::npos);
  CHECK(dumpJson(j).find("r2") == std::string::npos);

  CommentPage owner = o.store.page(std::nullopt, 10, true);
  Json hidden = owner.toJson()["comments"][1];
  CHECK(hidden["hidden"] == true);
  CHECK(hidden["body"] == "rude <b>words</b>");
  CHECK(hidden["html"] == "<p>rude &lt;b&gt;words&lt;/b&gt;</p>\n");
  CHECK(hidden["reader_id"] == "r2");
  CHECK(hidden["reader_name"] == "Reader r2");

  // Comment::toJson decides by itself too, whatever page it came from.
  Comment whole = *o.store.find("c2");
  CHECK_FALSE(whole.toJson(false).contains("body"));
  CHECK(whole.toJson(true)["body"] == "rude <b>words</b>");

  REQUIRE(o.store.hide("c2", false));
  CHECK(o.store.page(std::nullopt, 10, false).toJson()["comments"][1]["body"] == "rude <b>words</b>");
}

TEST_CASE("comments outbox: inserts oldest first, then hide changes, each exactly once") {
  Object o;
  D1 d1;
  CHECK(o.store.unflushed() == 0);
  CHECK(o.store.pendingInserts("t1", "p1").empty());
  o.add("first");
  o.add("reply", "r2", "c1");
  o.add("third", "r3");
  REQUIRE(o.store.hide("c3", true));
  CHECK(o.store.unflushed() == 3);

  auto statements = o.store.pendingInserts("t1", "p1");
  REQUIRE(statements.size() == 3);
  CHECK(commentIds(statements) == std::vector<std::string>{"c1", "c2", "c3"});
  CHECK(statements[0].sql.find("INSERT INTO comments") != std::string::npos);
  CHECK(statements[0].sql.find("ON CONFLICT") != std::string::npos);
  REQUIRE(d1.batch(statements));
  o.store.acknowledge(commentIds(statements));
  CHECK(o.store.unflushed() == 0);
  CHECK(o.store.pendingInserts("t1", "p1").empty());

  Json rows = d1.rows(
      "SELECT id, tenant_id, post_id, reader_id, parent_id, body, hidden, created_at FROM comments ORDER BY id");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0] == Json{{"id", "c1"}, {"tenant_id", "t1"}, {"post_id", "p1"}, {"reader_id", "r1"},
                        {"parent_id", nullptr}, {"body", "first"}, {"hidden", 0}, {"created_at", kNow + 1}});
  CHECK(rows[1]["parent_id"] == "c1");
  CHECK(rows[2]["hidden"] == 1);

  // A hide change travels as an UPDATE; unhiding as another.
  REQUIRE(o.store.hide("c1", true));
  REQUIRE(o.store.hide("c3", false));
  CHECK(o.store.unflushed() == 2);
  statements = o.store.pendingInserts("t1", "p1");
  REQUIRE(statements.size() == 2);
  CHECK(statements[0].sql.find("UPDATE comments") != std::string::npos);
  REQUIRE(d1.batch(statements));
  o.store.acknowledge(commentIds(statements));
  CHECK(d1.rows("SELECT hidden FROM comments WHERE id = 'c1'")[0]["hidden"] == 1);
  CHECK(d1.rows("SELECT hidden FROM comments WHERE id = 'c3'")[0]["hidden"] == 0);
  CHECK(o.store.unflushed() == 0);

  // Hiding and unhiding again before a flush leaves nothing to send.
  REQUIRE(o.store.hide("c2", true));
  REQUIRE(o.store.hide("c2", false));
  CHECK(o.store.unflushed() == 0);
  CHECK(d1.count() == 3);
}

TEST_CASE("comments outbox: a cycle repeated before its acknowledge writes nothing twice") {
  Object o;
  D1 d1;
  for (int i = 0; i < 30; ++i) o.add("c " + std::to_string(i));
  CHECK(o.flush(d1, /*acknowledge=*/false) == 30);  // crash after the D1 write
  CHECK(o.store.unflushed() == 30);
  CHECK(d1.count() == 30);
  CHECK(o.flush(d1) == 30);  // the alarm runs again
  CHECK(o.store.unflushed() == 0);
  CHECK(d1.count() == 30);
  CHECK(o.flush(d1) == 0);
  CHECK(o.flush(d1) == 0);

  // Acknowledging again, or ids never sent, changes nothing.
  o.store.acknowledge({"c1", "c2", "nope"});
  CHECK(o.store.unflushed() == 0);

  // A crash after writing an insert, then a hide, then the rerun: D1 ends up hidden.
  o.add("to hide");
  CHECK(o.flush(d1, false) == 1);
  REQUIRE(o.store.hide("c31", true));
  CHECK(o.flush(d1) == 1);
  CHECK(d1.count() == 31);
  CHECK(d1.rows("SELECT hidden FROM comments WHERE id = 'c31'")[0]["hidden"] == 1);
  CHECK(o.store.unflushed() == 0);

  // A hide while a flush is in flight (between pendingInserts and acknowledge) is not lost.
  o.add("racing");
  auto statements = o.store.pendingInserts("t1", "p1");
  REQUIRE(statements.size() == 1);
  REQUIRE(o.store.hide("c32", true));
  REQUIRE(d1.batch(statements));
  o.store.acknowledge(commentIds(statements));
  CHECK(o.store.unflushed() == 1);
  CHECK(d1.rows("SELECT hidden FROM comments WHERE id = 'c32'")[0]["hidden"] == 0);
  CHECK(o.flush(d1) == 1);
  CHECK(d1.rows("SELECT hidden FROM comments WHERE id = 'c32'")[0]["hidden"] == 1);
  CHECK(o.store.unflushed() == 0);
  CHECK(d1.count() == 32);
}

TEST_CASE("comments outbox: 5,000 comments leave in batches of 100 as exactly 5,000 rows") {
  Object o;
  D1 d1;
  for (int i = 0; i < 5000; ++i) REQUIRE(o.add("comment number " + std::to_string(i), "r" + std::to_string(i % 7)).kind ==
                                         AddOutcome::Kind::Created);
  CHECK(o.store.unflushed() == 5000);
  int batches = 0;
  while (size_t n = o.flush(d1, /*acknowledge=*/batches % 3 != 1)) {  // every third batch "crashes" once
    CHECK(n == 100);
    ++batches;
  }
  CHECK(batches == 75);  // 50 acknowledged, 25 repeated
  CHECK(o.store.unflushed() == 0);
  CHECK(d1.count() == 5000);
  CHECK(d1.rows("SELECT count(DISTINCT id) AS n FROM comments WHERE tenant_id = 't1' AND post_id = 'p1'")[0]["n"] ==
        5000);
  CHECK(d1.rows("SELECT min(created_at) AS lo, max(created_at) AS hi FROM comments")[0] ==
        Json{{"lo", kNow + 1}, {"hi", kNow + 5000}});
}

TEST_CASE("comments outbox: comments of a post missing from the tenant are dropped, not wedged") {
  Object o;
  D1 d1;
  o.add("on a post D1 no longer has");
  o.add("second");
  // The post id exists, but in another tenant: nothing is written, and the outbox moves on.
  CHECK(o.flush(d1, true, "t1", "p2") == 2);
  CHECK(d1.count() == 0);
  CHECK(o.store.unflushed() == 0);

  Object p;
  p.add("deleted post");
  CHECK(p.flush(d1, true, "t1", "gone") == 1);
  CHECK(d1.count() == 0);

  // A row with the same id in another post is never touched by this post's flush.
  Object q;
  q.add("mine");
  REQUIRE(q.flush(d1, true, "t2", "p2") == 1);
  Object r;
  r.add("clash");
  REQUIRE(r.store.hide("c1", true));
  CHECK(r.flush(d1, true, "t1", "p1") == 1);
  Json rows = d1.rows("SELECT post_id, body, hidden FROM comments");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0] == Json{{"post_id", "p2"}, {"body", "mine"}, {"hidden", 0}});
}
