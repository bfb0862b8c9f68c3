// Reactions (src/durable/reactions.h) on real SQLite: toggling, counts that always equal the
// per-reader rows (a randomized run of thousands of toggles against a model), replay of request
// ids, every error code of parseReactionToggle, and flush cycles run by hand into a second
// SQLite holding D1's migrated schema: the right counts, repeats harmless, a toggle racing a
// flush stays dirty.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "durable/reactions.h"
#include "d1-fixture.h"
#include "sqlite-db.h"

using lattice::ApiError;
using lattice::Json;
using lattice::ReactionStore;
using lattice::ReactionToggle;
using lattice::ToggleOutcome;
using lattice::kReactionRequestIdReused;
using lattice::kReactionRequestRetentionMs;
using lattice::kReactionTypes;
using lattice::parseReactionToggle;
using lattice::testing::SqliteDb;
using lattice::testing::SqliteSql;

namespace {

constexpr long long kNow = 1795000000000;

struct Store {
  SqliteDb db;
  SqliteSql sql{db};
  ReactionStore reactions{sql};

  long long rows(const std::string& table) {
    return lattice::jsonInt(db.run("SELECT count(*) AS n FROM " + table, Json::array())["rows"][0], "n");
  }
};

// D1: the migrations applied to a fresh database, one tenant with one post.
struct D1 : lattice::testing::D1Fixture {
  std::string postId = "post-hello";

  D1() : D1Fixture(R"(
      INSERT INTO tenants (id, subdomain, display_name, created_at, updated_at)
        VALUES ('t1', 'demo', 'Demo', 0, 0);
      INSERT INTO posts (id, tenant_id, slug, title, status, created_at, updated_at, content_hash)
        VALUES ('post-hello', 't1', 'hello', 'Hello', 'draft', 0, 0, '');
    )") {}

  // {type: count} of reaction_counts for the post, and each row's updated_at.
  Json counts() {
    Json out = Json::object();
    Json rows = db.run("SELECT type, count FROM reaction_counts WHERE post_id = ?1", Json::array({postId}))["rows"];
    for (const auto& row : rows) out[lattice::jsonString(row, "type")] = lattice::jsonInt(row, "count");
    return out;
  }
  long long updatedAt(const std::string& type) {
    Json rows = db.run("SELECT updated_at FROM reaction_counts WHERE post_id = ?1 AND type = ?2",
                       Json::array({postId, type}))["rows"];
    return rows.empty() ? -1 : lattice::jsonInt(rows[0], "updated_at");
  }
};

Json counts(long long like, long long love = 0, long long insightful = 0, long long laugh = 0) {
  return {{"like", like}, {"love", love}, {"insightful", insightful}, {"laugh", laugh}};
}

ToggleOutcome toggled(Store& s, const std::string& reader, const std::string& type,
                      std::optional<std::string> requestId = std::nullopt, long long now = kNow) {
  ToggleOutcome out = s.reactions.toggle(reader, type, std::move(requestId), now);
  if (!out.ok) FAIL("toggle failed: " << out.error);
  return out;
}

ReactionToggle parsed(const Json& body) {
  auto r = parseReactionToggle(body);
  if (auto* e = std::get_if<ApiError>(&r)) FAIL("unexpected error " << e->code << ": " << e->message);
  return std::get<ReactionToggle>(r);
}

void checkError(const Json& body, const std::string& code, const std::string& field) {
  auto r = parseReactionToggle(body);
  REQUIRE(std::holds_alternative<ApiError>(r));
  const auto& e = std::get<ApiError>(r);
  CHECK(e.status == 400);
  CHECK(e.code == code);
  CHECK(e.field == field);
}

}  // namespace

TEST_CASE("reactions: the set of types includes like and validReactionType matches it exactly") {
  CHECK(kReactionTypes.size() == 4);
  for (auto type : kReactionTypes) CHECK(lattice::validReactionType(type));
  CHECK(lattice::validReactionType("like"));
  CHECK_FALSE(lattice::validReactionType("Like"));
  CHECK_FALSE(lattice::validReactionType("heart"));
  CHECK_FALSE(lattice::validReactionType(""));
  CHECK_FALSE(lattice::validReactionType("like "));
}

TEST_CASE("reactions: a toggle turns a reaction on, the next turns it off") {
  Store s;
  CHECK(s.reactions.counts() == counts(0));
  CHECK(s.reactions.mine("r1") == Json::array());

  ToggleOutcome on = toggled(s, "r1", "like");
  CHECK(on.active);
  CHECK_FALSE(on.replayed);
  CHECK(on.counts == counts(1));
  CHECK(s.reactions.mine("r1") == Json{"like"});

  CHECK(toggled(s, "r2", "like").counts == counts(2));
  CHECK(toggled(s, "r1", "laugh").counts == counts(2, 0, 0, 1));
  CHECK(toggled(s, "r1", "love").active);
  // mine() lists in kReactionTypes order, not the order they were turned on.
  CHECK(s.reactions.mine("r1") == Json{"like", "love", "laugh"});

  ToggleOutcome off = toggled(s, "r1", "like");
  CHECK_FALSE(off.active);
  CHECK(off.counts == counts(1, 1, 0, 1));
  CHECK(s.reactions.mine("r1") == Json{"love", "laugh"});
  CHECK(s.reactions.mine("r2") == Json{"like"});
  CHECK(s.reactions.consistent());

  // The state lives in the database: a new store over the same storage sees it.
  ReactionStore reopened(s.sql);
  CHECK(reopened.counts() == counts(1, 1, 0, 1));
  CHECK(reopened.toggle("r2", "like", std::nullopt, kNow).counts == counts(0, 1, 0, 1));
}

TEST_CASE("reactions: an unknown type or an empty reader fails and writes nothing") {
  Store s;
  ToggleOutcome bad = s.reactions.toggle("r1", "heart", std::nullopt, kNow);
  CHECK_FALSE(bad.ok);
  CHECK_FALSE(bad.error.empty());
  CHECK_FALSE(s.reactions.toggle("", "like", "request-0001", kNow).ok);
  CHECK(s.rows("reactions") == 0);
  CHECK(s.rows("reaction_requests") == 0);
  CHECK(s.reactions.counts() == counts(0));
}

TEST_CASE("reactions: counts equal rows under thousands of random toggles by many readers") {
  Store s;
  std::mt19937 rng(20260101);
  std::uniform_int_distribution<int> readerOf(0, 149);
  std::uniform_int_distribution<int> typeOf(0, static_cast<int>(kReactionTypes.size()) - 1);
  std::set<std::pair<int, std::string>> model;
  std::map<std::string, long long> expected;

  for (int i = 0; i < 4000; ++i) {
    const int reader = readerOf(rng);
    const std::string type(kReactionTypes[static_cast<size_t>(typeOf(rng))]);
    // Every third toggle carries a fresh request id: recording it must not change the counts.
    std::optional<std::string> requestId;
    if (i % 3 == 0) requestId = "req-" + std::to_string(i) + "-xxxx";
    ToggleOutcome out = s.reactions.toggle("reader-" + std::to_string(reader), type, requestId, kNow + i);
    REQUIRE(out.ok);
    REQUIRE_FALSE(out.replayed);

    const bool wasOn = model.count({reader, type}) > 0;
    if (wasOn) {
      model.erase({reader, type});
      --expected[type];
    } else {
      model.insert({reader, type});
      ++expected[type];
    }
    REQUIRE(out.active == !wasOn);
    for (auto t : kReactionTypes) {
      const long long n = lattice::jsonInt(out.counts, std::string(t).c_str(), -1);
      REQUIRE(n >= 0);
      REQUIRE(n == expected[std::string(t)]);
    }
    if (i % 250 == 0) REQUIRE(s.reactions.consistent());
  }
  CHECK(s.reactions.consistent());
  CHECK(s.rows("reactions") == static_cast<long long>(model.size()));
  CHECK(s.reactions.mine("reader-7").size() ==
        static_cast<size_t>(std::count_if(model.begin(), model.end(), [](const auto& m) { return m.first == 7; })));

  // Turning everything off brings every count back to 0, never below.
  for (const auto& [reader, type] : std::set(model))
    REQUIRE_FALSE(toggled(s, "reader-" + std::to_string(reader), type).active);
  CHECK(s.reactions.counts() == counts(0));
  CHECK(s.reactions.consistent());
}

TEST_CASE("reactions: a count change that fails undoes the row change in the same statement") {
  Store s;
  toggled(s, "r1", "like");
  // Corrupt the count so that removing the row would take it below zero: the CHECK refuses,
  // and the row stays, because both are one statement.
  REQUIRE(lattice::jsonBool(s.db.run("UPDATE reaction_totals SET count = 0", Json::array()), "ok"));
  CHECK_FALSE(s.reactions.consistent());
  ToggleOutcome out = s.reactions.toggle("r1", "like", std::nullopt, kNow);
  CHECK_FALSE(out.ok);
  CHECK(s.reactions.mine("r1") == Json{"like"});
}

TEST_CASE("reactions: a repeated request id is replayed with the original outcome, nothing toggled") {
  Store s;
  ToggleOutcome first = toggled(s, "r1", "like", "tap-00000001");
  REQUIRE(first.active);
  toggled(s, "r2", "like");  // the counts move on after the first request

  ToggleOutcome again = toggled(s, "r1", "like", "tap-00000001", kNow + 5000);
  CHECK(again.replayed);
  CHECK(again.active);
  CHECK(again.counts == counts(1));  // as answered the first time
  CHECK(s.reactions.counts() == counts(2));
  CHECK(s.reactions.mine("r1") == Json{"like"});
  CHECK(toggled(s, "r1", "like", "tap-00000001", kNow + 6000).replayed);

  SUBCASE("a new request id toggles") {
    ToggleOutcome off = toggled(s, "r1", "like", "tap-00000002", kNow + 7000);
    CHECK_FALSE(off.replayed);
    CHECK_FALSE(off.active);
    CHECK(off.counts == counts(1));
    // ...and replaying the first one still answers what the first one did.
    ToggleOutcome old = toggled(s, "r1", "like", "tap-00000001", kNow + 8000);
    CHECK(old.replayed);
    CHECK(old.active);
    CHECK(s.reactions.mine("r1") == Json::array());
  }
  SUBCASE("request ids are per reader: another reader's same id toggles for them") {
    ToggleOutcome other = toggled(s, "r3", "like", "tap-00000001", kNow + 7000);
    CHECK_FALSE(other.replayed);
    CHECK(other.active);
    CHECK(other.counts == counts(3));
  }
  SUBCASE("the same id for another type is refused, nothing written") {
    ToggleOutcome reused = s.reactions.toggle("r1", "love", "tap-00000001", kNow + 7000);
    CHECK_FALSE(reused.ok);
    CHECK(reused.error == kReactionRequestIdReused);
    CHECK(s.reactions.mine("r1") == Json{"like"});
    CHECK(s.reactions.counts() == counts(2));
  }
  SUBCASE("a toggle without a request id is never a replay") {
    CHECK_FALSE(toggled(s, "r1", "like", std::nullopt, kNow + 7000).active);
    CHECK(toggled(s, "r1", "like", std::nullopt, kNow + 7000).active);
  }
}

TEST_CASE("reactions: request ids are remembered for 24 hours and pruned on write") {
  Store s;
  toggled(s, "r1", "like", "tap-00000001", kNow);
  toggled(s, "r2", "love", "tap-00000002", kNow + 1000);
  CHECK(s.rows("reaction_requests") == 2);

  // Exactly 24 h later the first is still remembered.
  CHECK(toggled(s, "r1", "like", "tap-00000001", kNow + kReactionRequestRetentionMs).replayed);
  CHECK(s.rows("reaction_requests") == 2);

  // One ms later it is forgotten (pruned by this very write): the same id toggles again.
  ToggleOutcome late = toggled(s, "r1", "like", "tap-00000001", kNow + kReactionRequestRetentionMs + 1);
  CHECK_FALSE(late.replayed);
  CHECK_FALSE(late.active);
  // The late toggle is remembered afresh; r2's request is still within its 24 h.
  CHECK(s.rows("reaction_requests") == 2);
  toggled(s, "r3", "laugh", std::nullopt, kNow + 2 * kReactionRequestRetentionMs + 2);
  CHECK(s.rows("reaction_requests") == 0);
}

TEST_CASE("parseReactionToggle: valid bodies") {
  ReactionToggle plain = parsed({{"type", "like"}});
  CHECK(plain.type == "like");
  CHECK_FALSE(plain.requestId);
  for (auto type : kReactionTypes) CHECK(parsed({{"type", std::string(type)}}).type == type);

  ReactionToggle withId = parsed({{"type", "laugh"}, {"requestId", "Ab_9-xyz"}});
  CHECK(withId.type == "laugh");
  CHECK(withId.requestId == "Ab_9-xyz");
  CHECK(parsed({{"type", "love"}, {"requestId", std::string(64, 'r')}}).requestId->size() == 64);
}

TEST_CASE("parseReactionToggle: every error code, exactly") {
  checkError(Json::array(), "request.not_object", "");
  checkError("like", "request.not_object", "");
  checkError(nullptr, "request.not_object", "");
  checkError({{"type", "like"}, {"reader", "x"}}, "request.unknown_field", "reader");
  checkError({{"type", "like"}, {"request_id", "abcdefgh"}}, "request.unknown_field", "request_id");

  checkError(Json::object(), "reaction.type_invalid", "type");
  checkError({{"type", "heart"}}, "reaction.type_invalid", "type");
  checkError({{"type", "LIKE"}}, "reaction.type_invalid", "type");
  checkError({{"type", ""}}, "reaction.type_invalid", "type");
  checkError({{"type", nullptr}}, "reaction.type_invalid", "type");
  checkError({{"type", 1}}, "reaction.type_invalid", "type");
  checkError({{"type", {"like"}}}, "reaction.type_invalid", "type");
  // The type is checked before the request id.
  checkError({{"type", "heart"}, {"requestId", "x"}}, "reaction.type_invalid", "type");

  checkError({{"type", "like"}, {"requestId", "short"}}, "reaction.request_id_invalid", "requestId");
  checkError({{"type", "like"}, {"requestId", std::string(7, 'r')}}, "reaction.request_id_invalid", "requestId");
  checkError({{"type", "like"}, {"requestId", std::string(65, 'r')}}, "reaction.request_id_invalid", "requestId");
  checkError({{"type", "like"}, {"requestId", "has:colon"}}, "reaction.request_id_invalid", "requestId");
  checkError({{"type", "like"}, {"requestId", "with space"}}, "reaction.request_id_invalid", "requestId");
  checkError({{"type", "like"}, {"requestId", "r\xC3\xA9quest-id"}}, "reaction.request_id_invalid", "requestId");
  checkError({{"type", "like"}, {"requestId", 12345678}}, "reaction.request_id_invalid", "requestId");
  checkError({{"type", "like"}, {"requestId", nullptr}}, "reaction.request_id_invalid", "requestId");
}

TEST_CASE("reactions flush: D1 gets the absolute counts of the types that changed") {
  Store s;
  D1 d1;
  CHECK(s.reactions.countUpserts(d1.postId, kNow).empty());

  toggled(s, "r1", "like");
  toggled(s, "r2", "like");
  toggled(s, "r1", "laugh");
  auto first = s.reactions.countUpserts(d1.postId, kNow + 100);
  REQUIRE(first.size() == 2);
  CHECK(first[0].params == Json::array({d1.postId, "laugh", 1, kNow + 100}));
  CHECK(first[1].params == Json::array({d1.postId, "like", 2, kNow + 100}));
  REQUIRE(d1.batch(first));
  s.reactions.acknowledgeFlush(kNow + 100);
  CHECK(d1.counts() == Json{{"laugh", 1}, {"like", 2}});
  CHECK(d1.updatedAt("like") == kNow + 100);

  // Nothing changed since: nothing to write.
  CHECK(s.reactions.countUpserts(d1.postId, kNow + 200).empty());

  // Only the changed type is written, and a count back at 0 is written as 0.
  toggled(s, "r1", "laugh", std::nullopt, kNow + 300);
  toggled(s, "r3", "insightful", std::nullopt, kNow + 300);
  auto second = s.reactions.countUpserts(d1.postId, kNow + 400);
  REQUIRE(second.size() == 2);
  REQUIRE(d1.batch(second));
  s.reactions.acknowledgeFlush(kNow + 400);
  CHECK(d1.counts() == Json{{"insightful", 1}, {"laugh", 0}, {"like", 2}});
  CHECK(d1.updatedAt("like") == kNow + 100);
  CHECK(d1.updatedAt("laugh") == kNow + 400);
}

TEST_CASE("reactions flush: a repeated flush is harmless") {
  Store s;
  D1 d1;
  for (int i = 0; i < 5; ++i) toggled(s, "r" + std::to_string(i), "love");
  auto statements = s.reactions.countUpserts(d1.postId, kNow);
  REQUIRE(statements.size() == 1);
  REQUIRE(d1.batch(statements));
  // A crash before the acknowledge: the alarm runs again and writes the same counts.
  auto again = s.reactions.countUpserts(d1.postId, kNow + 1000);
  REQUIRE(again.size() == 1);
  REQUIRE(d1.batch(again));
  REQUIRE(d1.batch(again));
  s.reactions.acknowledgeFlush(kNow + 1000);
  CHECK(d1.counts() == Json{{"love", 5}});
  CHECK(lattice::jsonInt(d1.db.run("SELECT count(*) AS n FROM reaction_counts", Json::array())["rows"][0], "n") == 1);
  CHECK(s.reactions.countUpserts(d1.postId, kNow + 2000).empty());
}

TEST_CASE("reactions flush: a toggle after the flush started stays dirty") {
  Store s;
  D1 d1;
  toggled(s, "r1", "like");
  auto statements = s.reactions.countUpserts(d1.postId, kNow + 100);
  REQUIRE(statements.size() == 1);

  // While the batch is on its way to D1 another reader reacts, even within the same ms.
  toggled(s, "r2", "like", std::nullopt, kNow + 100);
  REQUIRE(d1.batch(statements));
  s.reactions.acknowledgeFlush(kNow + 100);
  CHECK(d1.counts() == Json{{"like", 1}});

  auto next = s.reactions.countUpserts(d1.postId, kNow + 200);
  REQUIRE(next.size() == 1);
  CHECK(next[0].params == Json::array({d1.postId, "like", 2, kNow + 200}));
  REQUIRE(d1.batch(next));
  s.reactions.acknowledgeFlush(kNow + 200);
  CHECK(d1.counts() == Json{{"like", 2}});
  CHECK(s.reactions.countUpserts(d1.postId, kNow + 300).empty());
}

TEST_CASE("reactions flush: acknowledging another flush, or a failed one, changes nothing") {
  Store s;
  D1 d1;
  toggled(s, "r1", "like");
  auto failedFlush = s.reactions.countUpserts(d1.postId, kNow + 100);
  REQUIRE(failedFlush.size() == 1);
  // The batch failed: no acknowledge. An acknowledge of some other time does not count.
  s.reactions.acknowledgeFlush(kNow + 99);
  s.reactions.acknowledgeFlush(kNow + 101);
  auto retry = s.reactions.countUpserts(d1.postId, kNow + 200);
  REQUIRE(retry.size() == 1);
  // The earlier flush's acknowledge, arriving late, no longer applies either.
  s.reactions.acknowledgeFlush(kNow + 100);
  CHECK(s.reactions.countUpserts(d1.postId, kNow + 300).size() == 1);
  REQUIRE(d1.batch(s.reactions.countUpserts(d1.postId, kNow + 400)));
  s.reactions.acknowledgeFlush(kNow + 400);
  CHECK(s.reactions.countUpserts(d1.postId, kNow + 500).empty());
  CHECK(d1.counts() == Json{{"like", 1}});
}

TEST_CASE("reactions flush: a reaction turned on and off again between flushes writes nothing") {
  Store s;
  D1 d1;
  toggled(s, "r1", "like");
  REQUIRE(d1.batch(s.reactions.countUpserts(d1.postId, kNow)));
  s.reactions.acknowledgeFlush(kNow);

  toggled(s, "r2", "like", std::nullopt, kNow + 10);
  toggled(s, "r2", "like", std::nullopt, kNow + 20);
  CHECK(s.reactions.countUpserts(d1.postId, kNow + 30).empty());
  CHECK(d1.counts() == Json{{"like", 1}});
}
