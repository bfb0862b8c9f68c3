// Demo data import: buildSeedSql's script, executed into the real schema, yields tenants, posts
// with rendered HTML and tags that the public pages and the API then serve; bad input is refused
// with an error that names the post.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "blog/seed.h"
#include "core/sha256.h"
#include "core/time.h"
#include "test-driver.h"

using lattice::buildSeedSql;
using lattice::Json;
using lattice::testing::TestWorld;
using lattice::testing::has;

namespace {

const long long kNow = 1795000000000;  // 2026-11-18T11:06:40Z

Json tenants() {
  return Json::array({Json{{"subdomain", "demo"},
                           {"display_name", "Notes from the Workbench"},
                           {"description", "Systems notes."},
                           {"tier", "sapling"},
                           {"theme", {{"accent", "#2f6f4f"}, {"font", "serif"}}},
                           {"limits", {{"max_posts", 1000}}}},
                      Json{{"subdomain", "autumn"}, {"display_name", "Windfalls"}}});
}

Json post(const std::string& tenant, const std::string& slug, Json extra = Json::object()) {
  Json p = {{"tenant", tenant},
            {"slug", slug},
            {"title", "Title of " + slug},
            {"status", "published"},
            {"published_at", "2026-03-01T10:00:00Z"},
            {"markdown", "# Heading\n\nSome *text* for " + slug + "."}};
  for (auto& [k, v] : extra.items()) {
    if (v.is_null()) p.erase(k);
    else p[k] = v;
  }
  return p;
}

std::string errorOf(const Json& result) { return lattice::jsonString(result, "error"); }

// Runs buildSeedSql and requires success.
std::string seedSql(const Json& ts, const Json& ps, long long now = kNow) {
  Json r = buildSeedSql(ts, ps, now);
  INFO(r.dump().substr(0, 500));
  REQUIRE(r.contains("sql"));
  REQUIRE_FALSE(r.contains("error"));
  return r["sql"].get<std::string>();
}


}  // namespace

TEST_CASE("seed: the script loads tenants, posts with rendered HTML, and post_tags") {
  Json ps = Json::array({post("demo", "hello", {{"tags", {"intro", "meta"}}, {"description", "First."}}),
                         post("demo", "later-draft", {{"status", "draft"}, {"published_at", nullptr}}),
                         post("demo", "old-news", {{"status", "archived"}, {"updated_at", "2026-04-01T00:00:00Z"}}),
                         post("autumn", "hello",
                              {{"tags", {"garden"}}, {"published_at", "2026-05-01T08:00:00+01:00"}})});
  TestWorld w;
  w.execScript(seedSql(tenants(), ps));

  CHECK(w.count("tenants") == 2);
  CHECK(w.count("posts") == 4);
  CHECK(w.count("post_tags") == 3);

  Json demo = w.sql("SELECT * FROM tenants WHERE subdomain = 'demo'")[0];
  CHECK(demo["id"] == "tn_" + lattice::sha256Hex("demo").substr(0, 20));
  CHECK(demo["display_name"] == "Notes from the Workbench");
  CHECK(demo["description"] == "Systems notes.");
  CHECK(demo["tier"] == "sapling");
  CHECK(*lattice::parseJson(demo["theme"].get<std::string>()) == Json{{"accent", "#2f6f4f"}, {"font", "serif"}});
  CHECK(*lattice::parseJson(demo["limits"].get<std::string>()) == Json{{"max_posts", 1000}});
  CHECK(demo["created_at"] == kNow);
  Json autumn = w.sql("SELECT * FROM tenants WHERE subdomain = 'autumn'")[0];
  CHECK(autumn["tier"] == "seedling");  // the default
  CHECK(autumn["theme"] == "{}");

  Json hello = w.sql("SELECT * FROM posts WHERE tenant_id = ?1 AND slug = 'hello'", Json::array({demo["id"]}))[0];
  CHECK(hello["id"] == "p_" + lattice::sha256Hex("demo/hello").substr(0, 20));
  CHECK(hello["title"] == "Title of hello");
  CHECK(hello["description"] == "First.");
  CHECK(hello["status"] == "published");
  CHECK(hello["published_at"] == *lattice::parseIso8601("2026-03-01T10:00:00Z"));
  CHECK(hello["version"] == 1);
  CHECK(hello["storage_location"] == "d1");
  CHECK(hello["markdown"] == "# Heading\n\nSome *text* for hello.");
  CHECK(hello["content_hash"] == lattice::sha256Hex("# Heading\n\nSome *text* for hello."));
  CHECK(has(hello["html"].get<std::string>(), "<h1 id=\"heading\">Heading</h1>"));
  CHECK(has(hello["html"].get<std::string>(), "<em>text</em>"));
  CHECK(hello["word_count"].get<long long>() > 0);
  CHECK(*lattice::parseJson(hello["tags"].get<std::string>()) == Json::array({"intro", "meta"}));
  // Created no later than published; updated at `now` unless the post says otherwise.
  CHECK(hello["created_at"] == hello["published_at"]);
  CHECK(hello["updated_at"] == kNow);
  Json old = w.sql("SELECT * FROM posts WHERE slug = 'old-news'")[0];
  CHECK(old["updated_at"] == *lattice::parseIso8601("2026-04-01T00:00:00Z"));
  CHECK(old["created_at"] == *lattice::parseIso8601("2026-03-01T10:00:00Z"));
  Json draft = w.sql("SELECT * FROM posts WHERE slug = 'later-draft'")[0];
  CHECK(draft["published_at"].is_null());
  CHECK(draft["created_at"] == kNow);
  // A description is derived from the text when none is given.
  CHECK(has(draft["description"].get<std::string>(), "Some text for later-draft"));

  CHECK(w.sql("SELECT tag FROM post_tags WHERE post_id = ?1 ORDER BY tag", Json::array({hello["id"]})) ==
        Json::array({Json{{"tag", "intro"}}, Json{{"tag", "meta"}}}));
  CHECK(w.sql("SELECT tenant_id FROM post_tags WHERE tag = 'garden'")[0]["tenant_id"] == autumn["id"]);

  // The seeded data serves like any other.
  auto list = w.request("GET", "demo.localhost:8787", "/blog");
  REQUIRE(list.status == 200);
  CHECK(has(list.body, "href=\"/blog/hello\""));
  CHECK_FALSE(has(list.body, "later-draft"));
  CHECK_FALSE(has(list.body, "old-news"));
  auto page = w.request("GET", "demo.localhost:8787", "/blog/hello");
  CHECK(page.status == 200);
  CHECK(has(page.body, "<title>Title of hello · Notes from the Workbench</title>"));
  CHECK(has(page.body, "<body class=\"serif\">"));
  CHECK(has(page.body, "--accent:#2f6f4f"));
  CHECK(w.request("GET", "demo.localhost:8787", "/tags/meta").status == 200);
  CHECK(has(w.request("GET", "autumn.localhost:8787", "/blog/hello").body, "Windfalls"));
  // And the owner API can edit it: the seeded post is at version 1.
  auto token = w.mintToken(demo["id"].get<std::string>());
  auto put = w.api("PUT", "demo.localhost:8787", "/api/posts/hello", token, Json{{"title", "Edited"}, {"version", 1}});
  CHECK(put.status == 200);
}

TEST_CASE("seed: the script is deterministic") {
  Json ps = Json::array({post("demo", "a"), post("autumn", "b", {{"tags", {"x"}}})});
  CHECK(seedSql(tenants(), ps) == seedSql(tenants(), ps));
  CHECK(seedSql(tenants(), ps, kNow) != seedSql(tenants(), ps, kNow + 1));
  CHECK(seedSql(tenants(), Json::array()) != "");
}

TEST_CASE("seed: a markdown containing ?1 and quotes survives verbatim") {
  const std::string markdown =
      "It's ?1 and ?15 and ?3 -- '' and \"q\" and ?\n\n"
      "    code ?2 'x'\n\n"
      "A backslash \\ and a ?1? and 'quoted ?14'.";
  const std::string title = "Don't ?2 'me'";
  const std::string description = "?1 isn't ?4";
  Json ps = Json::array(
      {post("demo", "tricky", {{"markdown", markdown}, {"title", title}, {"description", description}})});
  TestWorld w;
  w.execScript(seedSql(tenants(), ps));
  Json row = w.sql("SELECT * FROM posts WHERE slug = 'tricky'")[0];
  CHECK(row["markdown"] == markdown);
  CHECK(row["title"] == title);
  CHECK(row["description"] == description);
  CHECK(row["content_hash"] == lattice::sha256Hex(markdown));
  CHECK(row["slug"] == "tricky");
  CHECK(row["status"] == "published");
  CHECK(row["version"] == 1);
  CHECK(has(row["html"].get<std::string>(), "?15"));
  CHECK(has(row["html"].get<std::string>(), "code ?2 &#39;x&#39;"));
  // Tenant fields with quotes and placeholders too.
  Json ts = Json::array({Json{{"subdomain", "quote"}, {"display_name", "O'Brien's ?1 blog"}, {"description", "'?2'"}}});
  TestWorld w2;
  w2.execScript(seedSql(ts, Json::array()));
  Json t = w2.sql("SELECT display_name, description FROM tenants")[0];
  CHECK(t["display_name"] == "O'Brien's ?1 blog");
  CHECK(t["description"] == "'?2'");
}

TEST_CASE("seed: a post of an unknown tenant is an error naming it") {
  Json r = buildSeedSql(tenants(), Json::array({post("demo", "fine"), post("ghost", "hello")}), kNow);
  CHECK_FALSE(r.contains("sql"));
  CHECK(errorOf(r) == "ghost/hello: unknown tenant");
  // Tenants are matched exactly: no case folding.
  CHECK(errorOf(buildSeedSql(tenants(), Json::array({post("Demo", "hello")}), kNow)) == "Demo/hello: unknown tenant");
}

TEST_CASE("seed: an invalid post is an error naming tenant, slug and code") {
  struct Case {
    Json post;
    std::string where, code;
  };
  for (const Case& c : {Case{post("demo", "Bad Slug"), "demo/Bad Slug", "post.slug_invalid"},
                        Case{post("demo", ""), "demo/", "post.slug_invalid"},
                        Case{post("demo", "no-title", {{"title", nullptr}}), "demo/no-title", "post.title_missing"},
                        Case{post("demo", "blank", {{"title", "  "}}), "demo/blank", "post.title_missing"},
                        Case{post("autumn", "st", {{"status", "live"}}), "autumn/st", "post.status_invalid"},
                        Case{post("demo", "when", {{"published_at", "2026-02-30"}}), "demo/when",
                             "post.published_at_invalid"},
                        Case{post("demo", "tags", {{"tags", {"Not OK"}}}), "demo/tags", "post.tags_invalid"},
                        Case{post("demo", "md", {{"markdown", 5}}), "demo/md", "post.markdown_invalid"},
                        Case{post("demo", "big", {{"markdown", std::string((1 << 20) + 1, 'b')}}), "demo/big",
                             "post.markdown_too_large"}}) {
    INFO(c.where);
    Json r = buildSeedSql(tenants(), Json::array({post("demo", "fine"), c.post}), kNow);
    CHECK_FALSE(r.contains("sql"));
    const std::string e = errorOf(r);
    CHECK(e.rfind(c.where + ": " + c.code + ": ", 0) == 0);
  }
  Json r = buildSeedSql(tenants(), Json::array({post("demo", "upd", {{"updated_at", "last week"}})}), kNow);
  CHECK(errorOf(r) == "demo/upd: updated_at is not an ISO 8601 time");
  CHECK(errorOf(buildSeedSql(tenants(), Json::array({"not an object"}), kNow)) == "each post must be an object");
}

TEST_CASE("seed: two posts with one slug in a tenant are an error, not a silent loss") {
  Json ps = Json::array({post("demo", "twin", {{"title", "First"}}), post("demo", "twin", {{"title", "Second"}})});
  Json r = buildSeedSql(tenants(), ps, kNow);
  CHECK_FALSE(r.contains("sql"));
  CHECK(errorOf(r) == "demo/twin: duplicate slug");
  // The same slug in two tenants is fine.
  TestWorld w;
  w.execScript(seedSql(tenants(), Json::array({post("demo", "twin"), post("autumn", "twin")})));
  CHECK(w.count("posts") == 2);
}

TEST_CASE("seed: invalid tenants are errors") {
  auto withTenant = [](Json t) { return buildSeedSql(Json::array({t}), Json::array(), kNow); };
  const std::vector<std::string> invalid = {"",      "Demo", "DEMO",    "-demo", "demo-", "de_mo",
                                            "a.b",   "a b",  "demo:80", "demo.", "démo",  std::string(64, 'a')};
  for (const std::string& sub : invalid) {
    INFO("subdomain '" << sub << "'");
    Json r = withTenant(Json{{"subdomain", sub}});
    CHECK_FALSE(r.contains("sql"));
    CHECK(errorOf(r) == "invalid tenant subdomain '" + sub + "'");
  }
  CHECK(withTenant(Json{{"subdomain", std::string(63, 'a')}}).contains("sql"));
  CHECK(errorOf(withTenant(Json{{"subdomain", "demo"}, {"tier", "gold"}})) == "tenant demo: invalid tier 'gold'");
  CHECK(errorOf(withTenant(Json{{"display_name", "no subdomain"}})) == "invalid tenant subdomain ''");
  CHECK(errorOf(buildSeedSql(Json::array({"demo"}), Json::array(), kNow)) == "each tenant must be an object");
  CHECK(errorOf(buildSeedSql(Json::object(), Json::array(), kNow)) == "tenants and posts must be arrays");
  CHECK(errorOf(buildSeedSql(Json::array(), Json(nullptr), kNow)) == "tenants and posts must be arrays");
}

TEST_CASE("seed: sqlLiteral") {
  using lattice::sqlLiteral;
  CHECK(sqlLiteral(Json(nullptr)) == "NULL");
  CHECK(sqlLiteral(Json(42)) == "42");
  CHECK(sqlLiteral(Json(-1795000000000LL)) == "-1795000000000");
  CHECK(sqlLiteral(Json("plain")) == "'plain'");
  CHECK(sqlLiteral(Json("it's")) == "'it''s'");
  CHECK(sqlLiteral(Json("''")) == "''''''");
  CHECK(sqlLiteral(Json("?1")) == "'?1'");
  CHECK(sqlLiteral(Json::array({"a'b"})) == "'[\"a''b\"]'");
  TestWorld w;
  for (const std::string& s : {std::string("it's"), std::string("''"), std::string("a\nb"), std::string("é ☃ ?1 --"),
                               std::string("\\'; DROP TABLE posts; --")}) {
    INFO(s);
    CHECK(w.sql("SELECT " + sqlLiteral(Json(s)) + " AS v")[0]["v"] == s);
  }
  CHECK(w.count("posts") == 0);
}

namespace {

// The demo folder's front matter, as scripts/lib/seed.mjs reads it.
Json readDemoPost(const std::string& tenant, const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  Json p = {{"tenant", tenant}, {"slug", file.stem().string()}};
  if (text.rfind("---\n", 0) != 0) return p;
  size_t end = text.find("\n---\n", 3);
  if (end == std::string::npos) return p;
  std::istringstream front(text.substr(4, end - 4));
  for (std::string line; std::getline(front, line);) {
    size_t i = line.find(": ");
    if (i == std::string::npos) continue;
    std::string key = line.substr(0, i), value = line.substr(i + 2);
    if (key == "tags") {
      Json tags = Json::array();
      std::istringstream list(value);
      for (std::string t; std::getline(list, t, ',');) {
        t.erase(0, t.find_first_not_of(' '));
        t.erase(t.find_last_not_of(' ') + 1);
        if (!t.empty()) tags.push_back(t);
      }
      p["tags"] = tags;
    } else {
      p[key] = value;
    }
  }
  p["markdown"] = text.substr(end + 5);
  return p;
}

}  // namespace

TEST_CASE("seed: the demo folder seeds cleanly and serves") {
  const std::filesystem::path demo = std::filesystem::path(LATTICE_MIGRATIONS_DIR) / ".." / "demo";
  if (!std::filesystem::exists(demo / "tenants.json")) {
    MESSAGE("no demo folder; skipped");
    return;
  }
  std::ifstream in(demo / "tenants.json");
  std::stringstream ss;
  ss << in.rdbuf();
  auto ts = lattice::parseJson(ss.str());
  REQUIRE(ts);
  Json ps = Json::array();
  for (const auto& t : *ts) {
    std::string sub = t.value("subdomain", "");
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(demo / "posts" / sub))
      if (e.path().extension() == ".md") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) ps.push_back(readDemoPost(sub, f));
  }
  REQUIRE(ps.size() > 0);
  TestWorld w;
  w.execScript(seedSql(*ts, ps));
  CHECK(w.count("tenants") == static_cast<long long>(ts->size()));
  CHECK(w.count("posts") == static_cast<long long>(ps.size()));
  // Every published, already-public post has a page; every seeded markdown hashes to its hash.
  for (const auto& row : w.sql("SELECT p.slug, t.subdomain, p.markdown, p.content_hash, p.status, p.published_at "
                               "FROM posts p JOIN tenants t ON t.id = p.tenant_id")) {
    INFO(row["subdomain"].get<std::string>() << "/" << row["slug"].get<std::string>());
    CHECK(row["content_hash"] == lattice::sha256Hex(row["markdown"].get<std::string>()));
    const bool visible = row["status"] == "published" && row["published_at"].is_number_integer() &&
                         row["published_at"].get<long long>() <= w.now;
    auto r = w.request("GET", row["subdomain"].get<std::string>() + ".localhost:8787",
                       "/blog/" + row["slug"].get<std::string>());
    CHECK(r.status == (visible ? 200 : 404));
    CHECK_FALSE(has(lattice::testing::withoutLiveScript(r.body), "<script"));
  }
}
