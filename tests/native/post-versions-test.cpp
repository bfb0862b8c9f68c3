// The version history store of the PostContentDO (src/durable/post-versions.h) on real SQLite:
// recording, repeats, conflicts, order, the bound, text parts and the report's validation codes.
#include <doctest/doctest.h>

#include "core/sha256.h"
#include "durable/post-versions.h"
#include "sqlite-db.h"

using lattice::ApiError;
using lattice::Json;
using lattice::PostVersion;
using lattice::VersionStore;
using lattice::testing::SqliteDb;
using lattice::testing::SqliteSql;

namespace {

PostVersion version(long long n, const std::string& markdown, const std::string& title = "") {
  PostVersion v;
  v.version = n;
  v.createdAt = 1795000000000 + n * 1000;
  v.title = title.empty() ? "Title " + std::to_string(n) : title;
  v.description = "About " + std::to_string(n);
  v.markdown = markdown;
  v.sha256 = lattice::sha256Hex(markdown);
  v.bytes = static_cast<long long>(markdown.size());
  return v;
}

Json report(long long n, const std::string& markdown) {
  return {{"version", n},
          {"created_at", 1795000000000},
          {"title", "T"},
          {"description", "D"},
          {"markdown", markdown},
          {"sha256", lattice::sha256Hex(markdown)}};
}

std::string codeOf(const std::variant<PostVersion, ApiError>& r) {
  auto* e = std::get_if<ApiError>(&r);
  return e ? e->code : "";
}

}  // namespace

TEST_CASE("versions: recorded, listed newest first, each with its own text") {
  SqliteDb db;
  SqliteSql sql(db);
  VersionStore store(sql);
  CHECK_FALSE(store.newest().has_value());
  CHECK(store.list().empty());
  CHECK(store.record(version(1, "first")) == VersionStore::Outcome::Recorded);
  CHECK(store.record(version(3, "third")) == VersionStore::Outcome::Recorded);
  CHECK(store.record(version(2, "second")) == VersionStore::Outcome::Recorded);  // reports may arrive late
  CHECK(store.newest() == 3);
  auto list = store.list();
  REQUIRE(list.size() == 3);
  CHECK(list[0].version == 3);
  CHECK(list[1].version == 2);
  CHECK(list[2].version == 1);
  CHECK(list[0].markdown.empty());  // listings carry no text
  Json j = list[0].toJson(false);
  CHECK(j["created_at"] == "2026-11-18T11:06:43Z");
  CHECK(j["bytes"] == 5);
  CHECK(j["sha256"] == lattice::sha256Hex("third"));
  CHECK(j["title"] == "Title 3");
  CHECK_FALSE(j.contains("markdown"));

  auto two = store.get(2);
  REQUIRE(two);
  CHECK(two->markdown == "second");
  CHECK(two->description == "About 2");
  CHECK(two->toJson(true)["markdown"] == "second");
  CHECK_FALSE(store.get(4).has_value());
}

TEST_CASE("versions: a repeated report changes nothing; the same version with other text is a conflict") {
  SqliteDb db;
  SqliteSql sql(db);
  VersionStore store(sql);
  REQUIRE(store.record(version(1, "text", "Original")) == VersionStore::Outcome::Recorded);
  CHECK(store.record(version(1, "text", "Original")) == VersionStore::Outcome::Repeated);
  CHECK(store.record(version(1, "text", "Renamed")) == VersionStore::Outcome::Repeated);
  CHECK(store.record(version(1, "other text")) == VersionStore::Outcome::Conflict);
  REQUIRE(store.list().size() == 1);
  CHECK(store.get(1)->markdown == "text");
  CHECK(store.get(1)->title == "Original");
}

TEST_CASE("versions: the newest 100 are kept, and texts nothing refers to are dropped") {
  SqliteDb db;
  SqliteSql sql(db);
  VersionStore store(sql);
  for (int n = 1; n <= 130; ++n) REQUIRE(store.record(version(n, "text " + std::to_string(n))) == VersionStore::Outcome::Recorded);
  auto list = store.list();
  REQUIRE(list.size() == lattice::kMaxVersions);
  CHECK(list.front().version == 130);
  CHECK(list.back().version == 31);
  CHECK_FALSE(store.get(30).has_value());
  CHECK(store.get(31)->markdown == "text 31");
  CHECK(store.textParts() == 100);
  // A late report of a version older than the kept window is not kept either.
  store.record(version(5, "late"));
  CHECK(store.list().size() == lattice::kMaxVersions);
  CHECK_FALSE(store.get(5).has_value());
}

TEST_CASE("versions: one text shared by versions that did not change it (a status-only write)") {
  SqliteDb db;
  SqliteSql sql(db);
  VersionStore store(sql);
  store.record(version(1, "same words"));
  store.record(version(2, "same words"));
  store.record(version(3, "new words"));
  CHECK(store.textParts() == 2);
  CHECK(store.get(1)->markdown == "same words");
  CHECK(store.get(2)->markdown == "same words");
}

TEST_CASE("versions: large markdown is stored in parts well under the 2 MB row limit, never split inside a character") {
  SqliteDb db;
  SqliteSql sql(db);
  VersionStore store(sql);
  // 1 MiB of text with 3- and 4-byte characters everywhere, offset so cuts land mid-character.
  std::string big = "x";
  while (big.size() < (1u << 20)) big += "€😀ab";
  REQUIRE(store.record(version(1, big)) == VersionStore::Outcome::Recorded);
  Json parts = db.run("SELECT length(CAST(body AS BLOB)) AS n FROM version_texts ORDER BY part", Json::array())["rows"];
  REQUIRE(parts.size() >= 4);
  for (const auto& p : parts) CHECK(p["n"].get<long long>() <= static_cast<long long>(lattice::kTextPartBytes));
  auto back = store.get(1);
  REQUIRE(back);
  CHECK(back->markdown == big);
  for (auto piece : lattice::splitText(big, lattice::kTextPartBytes))
    CHECK((static_cast<unsigned char>(piece.front()) & 0xC0) != 0x80);

  // Text that is not UTF-8 still splits (at the limit) and comes back whole.
  std::string junk(10, static_cast<char>(0x80));
  auto pieces = lattice::splitText(junk, 4);
  CHECK(pieces.size() == 3);
  CHECK(std::string(pieces[0]) + std::string(pieces[1]) + std::string(pieces[2]) == junk);
  CHECK(lattice::splitText("", 4).size() == 1);
}

TEST_CASE("versions: a stored text that no longer matches its hash is reported, not served") {
  SqliteDb db;
  SqliteSql sql(db);
  VersionStore store(sql);
  store.record(version(1, "honest"));
  db.run("UPDATE version_texts SET body = 'tamper'", Json::array());
  bool corrupt = false;
  CHECK_FALSE(store.get(1, &corrupt).has_value());
  CHECK(corrupt);
}

TEST_CASE("versions: report validation codes") {
  const size_t max = 1 << 20;
  CHECK(std::holds_alternative<PostVersion>(lattice::parseVersionReport(report(1, "ok"), max)));
  CHECK(codeOf(lattice::parseVersionReport(Json::array(), max)) == "request.not_object");
  Json extra = report(1, "ok");
  extra["status"] = "published";
  CHECK(codeOf(lattice::parseVersionReport(extra, max)) == "request.unknown_field");
  for (Json bad : {Json(0), Json(-1), Json("1"), Json(1.5), Json(nullptr)}) {
    Json r = report(1, "ok");
    r["version"] = bad;
    CHECK(codeOf(lattice::parseVersionReport(r, max)) == "version.invalid");
  }
  Json noTitle = report(1, "ok");
  noTitle.erase("title");
  CHECK(codeOf(lattice::parseVersionReport(noTitle, max)) == "version.invalid");
  Json badTime = report(1, "ok");
  badTime["created_at"] = "yesterday";
  CHECK(codeOf(lattice::parseVersionReport(badTime, max)) == "version.invalid");
  Json wrongHash = report(1, "ok");
  wrongHash["sha256"] = lattice::sha256Hex("not ok");
  CHECK(codeOf(lattice::parseVersionReport(wrongHash, max)) == "version.invalid");
  Json upper = report(1, "ok");
  std::string h = upper["sha256"];
  for (auto& c : h) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  upper["sha256"] = h;
  CHECK(codeOf(lattice::parseVersionReport(upper, max)) == "version.invalid");
  auto tooBig = lattice::parseVersionReport(report(1, std::string(11, 'x')), 10);
  CHECK(codeOf(tooBig) == "post.markdown_too_large");
  CHECK(std::get<ApiError>(tooBig).status == 413);
}

TEST_CASE("versions: version numbers in paths") {
  CHECK(lattice::parseVersionNumber("1") == 1);
  CHECK(lattice::parseVersionNumber("4096") == 4096);
  CHECK(lattice::parseVersionNumber("999999999999999") == 999999999999999LL);
  for (const char* bad : {"", "0", "01", "-1", "1.0", "1e3", "abc", "1000000000000000", " 1"})
    CHECK_FALSE(lattice::parseVersionNumber(bad).has_value());
}
