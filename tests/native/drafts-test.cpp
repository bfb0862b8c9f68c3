// Cross-device drafts (src/durable/drafts.h) on real SQLite: the revision rules of a save
// (created, saved, replayed, conflicts with the server copy), revisions never reused after a
// delete, conditional delete, listing order, and every error code of parseDraftSave.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <variant>

#include "durable/drafts.h"
#include "sqlite-db.h"

using lattice::ApiError;
using lattice::Draft;
using lattice::DraftSave;
using lattice::DraftStore;
using lattice::Json;
using lattice::SaveOutcome;
using lattice::parseDraftSave;
using lattice::testing::SqliteDb;
using lattice::testing::SqliteSql;
using Kind = SaveOutcome::Kind;

namespace {

constexpr long long kNow = 1795000000000;
constexpr size_t kMax = 1 << 20;

struct Store {
  SqliteDb db;
  SqliteSql sql{db};
  DraftStore drafts{sql};
};

DraftSave edit(std::string content, std::string device, std::optional<long long> base = std::nullopt,
               Json metadata = Json::object()) {
  return DraftSave{std::move(content), std::move(metadata), std::move(device), base};
}

ApiError errorOf(const Json& body, size_t maxBytes = kMax) {
  auto r = parseDraftSave(body, maxBytes);
  REQUIRE(std::holds_alternative<ApiError>(r));
  return std::get<ApiError>(r);
}

DraftSave parsed(const Json& body, size_t maxBytes = kMax) {
  auto r = parseDraftSave(body, maxBytes);
  if (auto* e = std::get_if<ApiError>(&r)) FAIL("unexpected error " << e->code << ": " << e->message);
  return std::get<DraftSave>(r);
}

void checkError(const Json& body, int status, const std::string& code, const std::string& field,
                size_t maxBytes = kMax) {
  ApiError e = errorOf(body, maxBytes);
  CHECK(e.status == status);
  CHECK(e.code == code);
  CHECK(e.field == field);
}

Json body(Json extra = Json::object()) {
  Json b = {{"content", "# Draft"}, {"deviceId", "laptop-1"}};
  for (auto& [k, v] : extra.items()) b[k] = v;
  return b;
}

}  // namespace

TEST_CASE("drafts: a first save creates, a save on the stored revision replaces it") {
  Store s;
  SaveOutcome created = s.drafts.save("hello", edit("v1", "laptop", std::nullopt, {{"title", "Hello"}}), kNow);
  REQUIRE(created.kind == Kind::Created);
  CHECK(created.serverHasDraft);
  CHECK(created.draft.slug == "hello");
  CHECK(created.draft.content == "v1");
  CHECK(created.draft.metadata == Json{{"title", "Hello"}});
  CHECK(created.draft.deviceId == "laptop");
  CHECK(created.draft.revision == 1);
  CHECK(created.draft.savedAt == kNow);

  SaveOutcome saved = s.drafts.save("hello", edit("v2", "phone", 1), kNow + 10);
  REQUIRE(saved.kind == Kind::Saved);
  CHECK(saved.draft.content == "v2");
  CHECK(saved.draft.metadata == Json::object());
  CHECK(saved.draft.deviceId == "phone");
  CHECK(saved.draft.revision == 2);
  CHECK(saved.draft.savedAt == kNow + 10);

  auto stored = s.drafts.get("hello");
  REQUIRE(stored);
  CHECK(stored->content == "v2");
  CHECK(stored->revision == 2);
  CHECK_FALSE(s.drafts.get("other"));
}

TEST_CASE("drafts: a stale base is a conflict answered with the server copy, nothing written") {
  Store s;
  s.drafts.save("p", edit("v1", "laptop"), kNow);
  s.drafts.save("p", edit("v2", "laptop", 1), kNow + 1);

  SaveOutcome stale = s.drafts.save("p", edit("phone edit", "phone", 1), kNow + 2);
  REQUIRE(stale.kind == Kind::Conflict);
  CHECK(stale.serverHasDraft);
  CHECK(stale.draft.content == "v2");
  CHECK(stale.draft.revision == 2);
  CHECK(stale.draft.deviceId == "laptop");

  SaveOutcome newer = s.drafts.save("p", edit("from the future", "phone", 7), kNow + 3);
  CHECK(newer.kind == Kind::Conflict);
  CHECK(newer.draft.revision == 2);

  CHECK(s.drafts.get("p")->content == "v2");
  CHECK(s.drafts.get("p")->savedAt == kNow + 1);
}

TEST_CASE("drafts: a save without a base over an existing draft is a conflict") {
  Store s;
  s.drafts.save("p", edit("laptop text", "laptop"), kNow);
  SaveOutcome r = s.drafts.save("p", edit("phone text", "phone"), kNow + 1);
  REQUIRE(r.kind == Kind::Conflict);
  CHECK(r.serverHasDraft);
  CHECK(r.draft.content == "laptop text");
  CHECK(s.drafts.get("p")->content == "laptop text");

  // The same device with other content is no replay either.
  CHECK(s.drafts.save("p", edit("laptop text, longer", "laptop"), kNow + 2).kind == Kind::Conflict);
}

TEST_CASE("drafts: a save based on a draft deleted elsewhere is a conflict without a server copy") {
  Store s;
  s.drafts.save("p", edit("v1", "laptop"), kNow);
  REQUIRE(s.drafts.remove("p"));
  SaveOutcome r = s.drafts.save("p", edit("phone edit", "phone", 1), kNow + 1);
  REQUIRE(r.kind == Kind::Conflict);
  CHECK_FALSE(r.serverHasDraft);
  CHECK(r.draft.content.empty());
  CHECK(r.draft.revision == 0);
  CHECK_FALSE(s.drafts.get("p"));

  // A base on a draft that never existed is the same conflict.
  CHECK_FALSE(s.drafts.save("never", edit("x", "phone", 3), kNow).serverHasDraft);
  CHECK(s.drafts.list().empty());
}

TEST_CASE("drafts: repeating the last save (a lost response) is a replay that writes nothing") {
  Store s;
  s.drafts.save("p", edit("v1", "laptop"), kNow);
  const auto save = edit("v2", "laptop", 1, {{"title", "T"}, {"tags", {"a", "b"}}});
  SaveOutcome first = s.drafts.save("p", save, kNow + 1);
  REQUIRE(first.kind == Kind::Saved);

  SaveOutcome again = s.drafts.save("p", save, kNow + 99);
  REQUIRE(again.kind == Kind::Replayed);
  CHECK(again.serverHasDraft);
  CHECK(again.draft.revision == first.draft.revision);
  CHECK(again.draft.savedAt == kNow + 1);  // not rewritten
  CHECK(s.drafts.save("p", save, kNow + 100).kind == Kind::Replayed);

  // A repeat of a create (no base) by the device that created it is a replay too.
  s.drafts.save("q", edit("new", "phone"), kNow);
  SaveOutcome createdAgain = s.drafts.save("q", edit("new", "phone"), kNow + 5);
  CHECK(createdAgain.kind == Kind::Replayed);
  CHECK(createdAgain.draft.revision == s.drafts.get("q")->revision);

  SUBCASE("another device, other content or other metadata is a conflict, not a replay") {
    CHECK(s.drafts.save("p", edit("v2", "phone", 1, save.metadata), kNow + 2).kind == Kind::Conflict);
    CHECK(s.drafts.save("p", edit("v2!", "laptop", 1, save.metadata), kNow + 2).kind == Kind::Conflict);
    CHECK(s.drafts.save("p", edit("v2", "laptop", 1, {{"title", "T"}}), kNow + 2).kind == Kind::Conflict);
  }
  SUBCASE("after a further save the old request is stale") {
    REQUIRE(s.drafts.save("p", edit("v3", "laptop", first.draft.revision), kNow + 2).kind == Kind::Saved);
    SaveOutcome late = s.drafts.save("p", save, kNow + 3);
    CHECK(late.kind == Kind::Conflict);
    CHECK(late.draft.content == "v3");
  }
}

TEST_CASE("drafts: revisions come from one counter and are never reused after delete and recreate") {
  Store s;
  std::set<long long> seen;
  auto fresh = [&](long long revision) {
    CHECK(seen.insert(revision).second);
    return revision;
  };
  long long a = fresh(s.drafts.save("a", edit("a1", "laptop"), kNow).draft.revision);
  long long b = fresh(s.drafts.save("b", edit("b1", "laptop"), kNow).draft.revision);
  a = fresh(s.drafts.save("a", edit("a2", "laptop", a), kNow).draft.revision);
  CHECK(b < a);

  auto removed = s.drafts.remove("a");
  REQUIRE(removed);
  CHECK(removed->revision == a);
  SaveOutcome recreated = s.drafts.save("a", edit("a again", "phone"), kNow + 1);
  REQUIRE(recreated.kind == Kind::Created);
  fresh(recreated.draft.revision);
  CHECK(recreated.draft.revision > a);

  // A device still holding the old revision cannot overwrite the new draft.
  SaveOutcome old = s.drafts.save("a", edit("stale laptop", "laptop", a), kNow + 2);
  CHECK(old.kind == Kind::Conflict);
  CHECK(old.draft.content == "a again");

  // The counter lives in the database: a new DraftStore over the same storage goes on from it.
  DraftStore reopened(s.sql);
  CHECK(reopened.save("c", edit("c", "laptop"), kNow).draft.revision == recreated.draft.revision + 1);
}

TEST_CASE("drafts: two devices alternating, each saving on what it last saw") {
  Store s;
  long long base = s.drafts.save("p", edit("0", "laptop"), kNow).draft.revision;
  for (int i = 1; i <= 6; ++i) {
    const std::string device = i % 2 ? "phone" : "laptop";
    SaveOutcome r = s.drafts.save("p", edit(std::to_string(i), device, base), kNow + i);
    REQUIRE(r.kind == Kind::Saved);
    CHECK(r.draft.revision > base);
    CHECK(r.draft.deviceId == device);
    base = r.draft.revision;
  }
  CHECK(s.drafts.get("p")->content == "6");

  // Both edit revision `base`: the first wins, the second gets the first one's copy.
  SaveOutcome laptop = s.drafts.save("p", edit("laptop wins", "laptop", base), kNow + 10);
  SaveOutcome phone = s.drafts.save("p", edit("phone loses", "phone", base), kNow + 11);
  CHECK(laptop.kind == Kind::Saved);
  REQUIRE(phone.kind == Kind::Conflict);
  CHECK(phone.draft.content == "laptop wins");
  // The phone merges and saves on the revision it was shown.
  CHECK(s.drafts.save("p", edit("merged", "phone", phone.draft.revision), kNow + 12).kind == Kind::Saved);
}

TEST_CASE("drafts: remove with ifRevision deletes only that revision") {
  Store s;
  long long r1 = s.drafts.save("p", edit("v1", "laptop"), kNow).draft.revision;
  long long r2 = s.drafts.save("p", edit("v2", "laptop", r1), kNow).draft.revision;
  CHECK_FALSE(s.drafts.remove("p", r1));
  CHECK(s.drafts.get("p"));
  auto removed = s.drafts.remove("p", r2);
  REQUIRE(removed);
  CHECK(removed->content == "v2");
  CHECK_FALSE(s.drafts.get("p"));
  CHECK_FALSE(s.drafts.remove("p"));
}

TEST_CASE("drafts: list is newest saved first; list JSON omits content and carries the title") {
  Store s;
  s.drafts.save("old", edit("o", "laptop", std::nullopt, {{"title", "Old one"}}), kNow);
  s.drafts.save("new", edit("nnn", "laptop"), kNow + 2000);
  long long mid = s.drafts.save("mid", edit("m", "laptop"), kNow + 1000).draft.revision;
  s.drafts.save("tie", edit("t", "laptop"), kNow + 2000);  // same time as "new", later revision

  auto all = s.drafts.list();
  REQUIRE(all.size() == 4);
  CHECK(all[0].slug == "tie");
  CHECK(all[1].slug == "new");
  CHECK(all[2].slug == "mid");
  CHECK(all[3].slug == "old");

  // Saving "mid" again moves it to the front.
  s.drafts.save("mid", edit("m2", "phone", mid), kNow + 3000);
  CHECK(s.drafts.list().front().slug == "mid");

  Json listed = all[3].toJson(false);
  CHECK(listed == Json{{"slug", "old"},
                       {"metadata", {{"title", "Old one"}}},
                       {"device_id", "laptop"},
                       {"revision", all[3].revision},
                       {"saved_at", kNow},
                       {"bytes", 1},
                       {"title", "Old one"}});
  Json full = all[1].toJson(true);
  CHECK(full["content"] == "nnn");
  CHECK(full["bytes"] == 3);
  CHECK_FALSE(full.contains("title"));
}

TEST_CASE("parseDraftSave: a valid body") {
  DraftSave d = parsed({{"content", ""},
                        {"deviceId", "Phone_2-a"},
                        {"baseRevision", 12},
                        {"metadata", {{"title", "T"}, {"description", "D"}, {"tags", {"a", "b-2"}}}}});
  CHECK(d.content.empty());
  CHECK(d.deviceId == "Phone_2-a");
  CHECK(d.baseRevision == 12);
  CHECK(d.metadata["tags"] == Json{"a", "b-2"});

  DraftSave plain = parsed(body({{"baseRevision", nullptr}}));
  CHECK(plain.metadata == Json::object());
  CHECK_FALSE(plain.baseRevision);
  CHECK(parsed(body({{"deviceId", std::string(64, 'x')}})).deviceId.size() == 64);
  CHECK(parsed(body({{"metadata", {{"title", std::string(200, 'x')}}}})).metadata["title"].size() == 1);
  CHECK(parsed(body({{"metadata", {{"tags", Json::array()}}}})).metadata["tags"].empty());
}

TEST_CASE("parseDraftSave: every error code, exactly") {
  checkError(Json::array(), 400, "request.not_object", "");
  checkError("text", 400, "request.not_object", "");
  checkError(body({{"slug", "x"}}), 400, "request.unknown_field", "slug");
  checkError(body({{"device_id", "x"}}), 400, "request.unknown_field", "device_id");

  checkError({{"deviceId", "laptop"}}, 400, "draft.content_invalid", "content");
  checkError(body({{"content", nullptr}}), 400, "draft.content_invalid", "content");
  checkError(body({{"content", 12}}), 400, "draft.content_invalid", "content");
  checkError(body({{"content", std::string("bad \xC3\x28 utf-8")}}), 400, "draft.content_invalid", "content");
  checkError(body({{"content", std::string("surrogate \xED\xA0\x80")}}), 400, "draft.content_invalid", "content");

  checkError(body({{"metadata", nullptr}}), 400, "draft.metadata_invalid", "metadata");
  checkError(body({{"metadata", Json::array()}}), 400, "draft.metadata_invalid", "metadata");
  checkError(body({{"metadata", {{"title", std::string(16 * 1024, 'x')}}}}), 400, "draft.metadata_invalid",
             "metadata");
  checkError(body({{"metadata", {{"title", std::string(201, 'x')}}}}), 400, "draft.metadata_invalid",
             "metadata.title");
  checkError(body({{"metadata", {{"title", 5}}}}), 400, "draft.metadata_invalid", "metadata.title");
  checkError(body({{"metadata", {{"description", std::string(501, 'x')}}}}), 400, "draft.metadata_invalid",
             "metadata.description");
  checkError(body({{"metadata", {{"tags", {"Upper"}}}}}), 400, "draft.metadata_invalid", "metadata.tags");
  checkError(body({{"metadata", {{"tags", "a"}}}}), 400, "draft.metadata_invalid", "metadata.tags");
  checkError(body({{"metadata", {{"tags", Json(std::vector<std::string>(11, "t"))}}}}), 400,
             "draft.metadata_invalid", "metadata.tags");
  ApiError unknownKey = errorOf(body({{"metadata", {{"cover", "x.png"}}}}));
  CHECK(unknownKey.code == "draft.metadata_invalid");
  CHECK(unknownKey.field == "metadata.cover");
  CHECK(unknownKey.message.find("cover") != std::string::npos);

  checkError({{"content", "x"}}, 400, "draft.device_invalid", "deviceId");
  checkError(body({{"deviceId", ""}}), 400, "draft.device_invalid", "deviceId");
  checkError(body({{"deviceId", std::string(65, 'x')}}), 400, "draft.device_invalid", "deviceId");
  checkError(body({{"deviceId", "has space"}}), 400, "draft.device_invalid", "deviceId");
  checkError(body({{"deviceId", "d\xC3\xA9vice"}}), 400, "draft.device_invalid", "deviceId");
  checkError(body({{"deviceId", 7}}), 400, "draft.device_invalid", "deviceId");

  checkError(body({{"baseRevision", 0}}), 400, "draft.revision_invalid", "baseRevision");
  checkError(body({{"baseRevision", -3}}), 400, "draft.revision_invalid", "baseRevision");
  checkError(body({{"baseRevision", 1.5}}), 400, "draft.revision_invalid", "baseRevision");
  checkError(body({{"baseRevision", "4"}}), 400, "draft.revision_invalid", "baseRevision");
  checkError(body({{"baseRevision", 18446744073709551615ULL}}), 400, "draft.revision_invalid", "baseRevision");
}

TEST_CASE("parseDraftSave: content + metadata bytes up to maxBytes pass, one more is 413") {
  const Json metadata = {{"title", "T"}};
  const size_t metadataBytes = lattice::dumpJson(metadata).size();  // {"title":"T"}
  const size_t max = 100;
  const std::string fits(max - metadataBytes, 'x');
  CHECK(parsed(body({{"content", fits}, {"metadata", metadata}}), max).content == fits);
  checkError(body({{"content", fits + "x"}, {"metadata", metadata}}), 413, "draft.too_large", "content", max);

  // Without metadata the stored "{}" counts.
  CHECK(parsed(body({{"content", std::string(max - 2, 'x')}}), max).content.size() == max - 2);
  checkError(body({{"content", std::string(max - 1, 'x')}}), 413, "draft.too_large", "content", max);
  // Size is checked before the metadata's keys and the content's encoding.
  checkError(body({{"content", std::string(max, 'x')}, {"metadata", {{"bogus", 1}}}}), 413, "draft.too_large",
             "content", max);
  checkError(body({{"content", std::string(max, '\xFF')}}), 413, "draft.too_large", "content", max);
}
