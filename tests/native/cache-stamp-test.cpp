// The tenant stamp: per-slug versions (baseline in steps of kStep, exact inside the window,
// monotonic over long write sequences), unchangedSince, epochs, expiry capped by the next
// scheduled publication, the JSON round trip, and stampQuery on the migrated SQLite schema with
// the triggers of migrations/0003_cache.sql (content_version, the post_changes log and its
// pruning, config_version, public_through / next_publish_at).
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cache-fixture.h"
#include "cache/stamp.h"

using cachetest::Blog;
using lattice::Json;
using lattice::cache::Stamp;

namespace {

constexpr long long kStep = Stamp::kStep;
constexpr long long kWindow = Stamp::kWindow;

// A stamp at `contentVersion` holding the window of a complete log (version -> slugs).
Stamp stampFromLog(long long contentVersion, const std::multimap<long long, std::string>& log) {
  Stamp s;
  s.found = true;
  s.contentVersion = contentVersion;
  for (const auto& [v, slug] : log)
    if (v > contentVersion - kWindow && v <= contentVersion) s.changes.emplace_back(v, slug);
  return s;
}

Stamp stampAt(long long contentVersion, std::vector<std::pair<long long, std::string>> changes = {}) {
  Stamp s;
  s.found = true;
  s.contentVersion = contentVersion;
  s.changes = std::move(changes);
  return s;
}

// The change log of the demo tenant as (version, slug) pairs, in order.
std::vector<std::pair<long long, std::string>> changeLog(Blog& b) {
  std::vector<std::pair<long long, std::string>> out;
  for (const auto& row : b.w.sql("SELECT version, slug FROM post_changes WHERE tenant_id = ?1 ORDER BY version, slug",
                                 {b.tenant}))
    out.emplace_back(lattice::jsonInt(row, "version"), lattice::jsonString(row, "slug"));
  return out;
}

long long configVersion(Blog& b) {
  return lattice::jsonInt(b.w.sql("SELECT config_version FROM tenants WHERE id = ?1", {b.tenant})[0], "config_version");
}

using Log = std::vector<std::pair<long long, std::string>>;

}  // namespace

TEST_CASE("cache-stamp: slugVersion's baseline moves in steps of kStep") {
  CHECK(kStep == 32);
  CHECK(kWindow == 64);
  // An unchanged slug gets the baseline: max(0, (cv - 32) / 32 * 32).
  const std::vector<std::pair<long long, long long>> expected = {
      {0, 0}, {1, 0}, {31, 0}, {32, 0}, {63, 0}, {64, 32}, {95, 32}, {96, 64}, {127, 64}, {128, 96}, {1000, 960}};
  for (auto [cv, baseline] : expected) {
    INFO("content version " << cv);
    CHECK(stampAt(cv).slugVersion("quiet") == baseline);
  }
  // Every unchanged slug shares it.
  Stamp s = stampAt(200, {{190, "busy"}});
  CHECK(s.slugVersion("a") == s.slugVersion("b"));
  CHECK(s.slugVersion("a") == 160);
}

TEST_CASE("cache-stamp: a change inside the window wins over the baseline") {
  Stamp s = stampAt(100, {{40, "old"}, {70, "mid"}, {90, "x"}, {99, "x"}, {100, "new"}});
  CHECK(s.slugVersion("x") == 99);  // the latest change of that slug
  CHECK(s.slugVersion("new") == 100);
  CHECK(s.slugVersion("mid") == 70);
  CHECK(s.slugVersion("old") == 64);  // below the baseline: the baseline
  CHECK(s.slugVersion("other") == 64);
  // Slugs are compared exactly.
  CHECK(s.slugVersion("X") == 64);
  CHECK(s.slugVersion("ne") == 64);
}

TEST_CASE("cache-stamp: slugVersion never decreases and changes with every write to the slug") {
  // 300 writes to random slugs (a few renames among them log two slugs at one version); at every
  // version each slug's value must be >= its previous one, and > it when that slug was written.
  std::mt19937 rng(20261128);
  const std::vector<std::string> slugs = {"a", "b", "c", "d", "e", "f", "g", "h", "rare"};
  std::multimap<long long, std::string> log;
  std::map<std::string, long long> last;
  for (const auto& s : slugs) last[s] = stampFromLog(1, log).slugVersion(s);
  for (long long cv = 2; cv <= 301; ++cv) {
    std::set<std::string> written;
    // "rare" is written only three times, so it lives on the baseline for long stretches.
    std::string slug = cv == 50 || cv == 180 || cv == 181 ? "rare" : slugs[rng() % (slugs.size() - 1)];
    written.insert(slug);
    log.emplace(cv, slug);
    if (rng() % 10 == 0) {  // a rename: the old slug is logged at the same version
      std::string other = slugs[rng() % (slugs.size() - 1)];
      written.insert(other);
      log.emplace(cv, other);
    }
    Stamp s = stampFromLog(cv, log);
    for (const auto& slug2 : slugs) {
      long long v = s.slugVersion(slug2);
      INFO("version " << cv << " slug " << slug2 << " was " << last[slug2] << " now " << v);
      CHECK(v >= last[slug2]);
      if (written.count(slug2)) CHECK(v > last[slug2]);
      CHECK(v <= cv);
      last[slug2] = v;
    }
  }
}

TEST_CASE("cache-stamp: an unwritten slug's version changes at most once per kStep writes") {
  std::multimap<long long, std::string> log;
  log.emplace(10, "quiet");
  long long lastChangeAt = 10, value = stampFromLog(10, log).slugVersion("quiet");
  int changes = 0;
  for (long long cv = 11; cv <= 400; ++cv) {
    log.emplace(cv, "busy");
    long long v = stampFromLog(cv, log).slugVersion("quiet");
    if (v != value) {
      INFO("changed at " << cv << ", previous change at " << lastChangeAt);
      CHECK(cv - lastChangeAt >= kStep);
      CHECK(v % kStep == 0);  // on the baseline
      lastChangeAt = cv;
      value = v;
      ++changes;
    }
  }
  // Neither frozen nor churning: about one change per step over 390 writes.
  CHECK(changes >= 390 / kStep - 1);
  CHECK(changes <= 390 / kStep + 1);
  // A slug written recently keeps its version for at least kStep unrelated writes.
  std::multimap<long long, std::string> recent;
  recent.emplace(100, "fresh");
  const long long at100 = stampFromLog(100, recent).slugVersion("fresh");
  CHECK(at100 == 100);
  for (long long cv = 101; cv <= 100 + kStep; ++cv) {
    recent.emplace(cv, "busy");
    INFO(cv);
    CHECK(stampFromLog(cv, recent).slugVersion("fresh") == 100);
  }
}

TEST_CASE("cache-stamp: unchangedSince") {
  Stamp s = stampAt(100, {{60, "gone"}, {80, "p"}, {95, "q"}, {95, "q-renamed"}, {100, "r"}});
  SUBCASE("read at or after the stamp's version: current") {
    CHECK(s.unchangedSince("p", 100));
    CHECK(s.unchangedSince("r", 100));
    CHECK(s.unchangedSince("p", 150));  // a copy newer than this location's stamp
  }
  SUBCASE("a later change to that slug: not current") {
    CHECK_FALSE(s.unchangedSince("p", 79));
    CHECK(s.unchangedSince("p", 80));  // read by the write itself (or after it)
    CHECK_FALSE(s.unchangedSince("q", 90));
    CHECK_FALSE(s.unchangedSince("q-renamed", 94));
    CHECK_FALSE(s.unchangedSince("r", 99));
  }
  SUBCASE("changes to other slugs only: current") {
    CHECK(s.unchangedSince("untouched", 37));
    CHECK(s.unchangedSince("untouched", 99));
    CHECK(s.unchangedSince("p", 81));
    CHECK(s.unchangedSince("gone", 61));
  }
  SUBCASE("older than the window: cannot tell, so not current") {
    CHECK(s.unchangedSince("untouched", 100 - kWindow + 1));
    CHECK_FALSE(s.unchangedSince("untouched", 100 - kWindow));
    CHECK_FALSE(s.unchangedSince("untouched", 0));
    CHECK_FALSE(s.unchangedSince("untouched", -5));
  }
  SUBCASE("a young tenant whose whole log fits the window") {
    Stamp young = stampAt(5, {{2, "a"}, {3, "b"}, {4, "a"}, {5, "c"}});
    CHECK(young.unchangedSince("b", 3));
    CHECK_FALSE(young.unchangedSince("a", 3));
    CHECK(young.unchangedSince("never", 1));
  }
}

TEST_CASE("cache-stamp: epochs name the versions a page depends on") {
  Stamp s = stampAt(100, {{90, "p"}});
  s.configVersion = 7;
  s.publicThrough = 1790000000000;
  CHECK(s.postEpoch("p") == "p90-k7");
  CHECK(s.postEpoch("other") == "p64-k7");
  CHECK(s.listEpoch() == "c100-k7-t1790000000000");
  Stamp next = s;
  next.configVersion = 8;
  CHECK(next.postEpoch("p") != s.postEpoch("p"));
  CHECK(next.listEpoch() != s.listEpoch());
  // Time passing a publication: the lists change; of the posts, only the one that went live.
  s.scheduled = {"later"};
  CHECK(s.postEpoch("later") == "p64-k7-s");
  next = s;
  next.publicThrough += 1;
  next.scheduled.clear();
  CHECK(next.postEpoch("later") != s.postEpoch("later"));
  CHECK(next.postEpoch("other") == s.postEpoch("other"));
  CHECK(next.listEpoch() != s.listEpoch());
  // Too many scheduled posts to list: every post epoch carries public_through instead.
  next = s;
  next.scheduledTruncated = true;
  next.scheduled.clear();
  CHECK(next.postEpoch("other") == "p64-k7-t1790000000000");
  next = s;
  next.contentVersion = 101;  // a write to another post: lists change, this post does not
  next.changes.emplace_back(101, "q");
  CHECK(next.postEpoch("p") == s.postEpoch("p"));
  CHECK(next.listEpoch() != s.listEpoch());
}

TEST_CASE("cache-stamp: expiresAt is now + TTL, capped by the next scheduled publication") {
  const long long now = 1795000000000;
  Stamp s = stampAt(10);
  CHECK(s.expiresAt(now, 30) == now + 30000);
  CHECK(s.expiresAt(now, 3600) == now + 3600000);
  s.nextPublishAt = now + 5000;
  CHECK(s.expiresAt(now, 30) == now + 5000);
  s.nextPublishAt = now + 30000;
  CHECK(s.expiresAt(now, 30) == now + 30000);
  s.nextPublishAt = now + 30001;
  CHECK(s.expiresAt(now, 30) == now + 30000);
}

TEST_CASE("cache-stamp: toJson/fromJson round trip") {
  Stamp s = stampAt(123, {{100, "a"}, {123, "b-c"}});
  s.tenantId = "tn_demo";
  s.subdomain = "demo";
  s.configVersion = 4;
  s.publicThrough = 1790000000000;
  s.nextPublishAt = 1799000000000;
  s.scheduled = {"soon", "later"};
  auto back = Stamp::fromJson(lattice::parseJson(lattice::dumpJson(s.toJson())).value());
  REQUIRE(back.has_value());
  CHECK(back->found);
  CHECK(back->tenantId == "tn_demo");
  CHECK(back->subdomain == "demo");
  CHECK(back->contentVersion == 123);
  CHECK(back->configVersion == 4);
  CHECK(back->publicThrough == 1790000000000);
  REQUIRE(back->nextPublishAt.has_value());
  CHECK(*back->nextPublishAt == 1799000000000);
  CHECK(back->changes == s.changes);
  CHECK(back->scheduled == s.scheduled);
  CHECK_FALSE(back->scheduledTruncated);
  CHECK(back->toJson() == s.toJson());
  CHECK(back->postEpoch("b-c") == s.postEpoch("b-c"));

  Stamp missing;  // "no such tenant", no scheduled post
  auto m = Stamp::fromJson(missing.toJson());
  REQUIRE(m.has_value());
  CHECK_FALSE(m->found);
  CHECK_FALSE(m->nextPublishAt.has_value());
  CHECK(m->changes.empty());
}

TEST_CASE("cache-stamp: fromJson rejects what is not a stamp") {
  for (const char* text : {"null", "[]", "\"stamp\"", "42", "{}", "{\"found\":true}", "{\"content_version\":3}"}) {
    INFO(text);
    CHECK_FALSE(Stamp::fromJson(lattice::parseJson(text).value()).has_value());
  }
  CHECK_FALSE(lattice::parseJson("{\"found\":true,\"content_version\":").has_value());
  // Malformed change entries are dropped, well-formed ones kept.
  auto s = Stamp::fromJson(lattice::parseJson(R"({"found":true,"content_version":9,"next_publish_at":"soon",
      "changes":[[8,"a"],[8],["9","b"],[9,7],"x",[9,"c"]]})").value());
  REQUIRE(s.has_value());
  CHECK(s->changes == Log{{8, "a"}, {9, "c"}});
  CHECK_FALSE(s->nextPublishAt.has_value());
}

TEST_CASE("cache-stamp: stampQuery for an unknown tenant says so") {
  Blog b;
  Stamp s = b.stamp("nobody");
  CHECK_FALSE(s.found);
  CHECK(s.contentVersion == 0);
  Stamp demo = b.stamp();
  CHECK(demo.found);
  CHECK(demo.tenantId == b.tenant);
  CHECK(demo.subdomain == "demo");
  CHECK(demo.contentVersion == 1);  // a new tenant
  CHECK(demo.configVersion == 1);
  CHECK(demo.publicThrough == 0);
  CHECK_FALSE(demo.nextPublishAt.has_value());
  CHECK(demo.changes.empty());
}

TEST_CASE("cache-stamp: API writes bump content_version once and log the slugs they touch") {
  Blog b;
  REQUIRE(b.contentVersion() == 1);
  b.add("first");
  CHECK(b.contentVersion() == 2);
  CHECK(changeLog(b) == Log{{2, "first"}});

  b.put("first", {{"markdown", "edited"}});
  CHECK(b.contentVersion() == 3);
  CHECK(changeLog(b) == Log{{2, "first"}, {3, "first"}});

  b.put("first", {{"slug", "renamed"}});  // both addresses change
  CHECK(b.contentVersion() == 4);
  CHECK(changeLog(b) == Log{{2, "first"}, {3, "first"}, {4, "first"}, {4, "renamed"}});

  b.add("second", "draft", "");
  CHECK(b.contentVersion() == 5);
  b.remove("renamed");
  CHECK(b.contentVersion() == 6);
  CHECK(changeLog(b) == Log{{2, "first"}, {3, "first"}, {4, "first"}, {4, "renamed"}, {5, "second"}, {6, "renamed"}});

  // Writes that change nothing bump nothing: a taken slug, a version conflict, a missing post.
  auto taken = b.w.api("POST", cachetest::kDemo, "/api/posts", b.token,
                       Json{{"slug", "second"}, {"title", "T"}, {"markdown", "m"}});
  CHECK(taken.status == 409);
  auto conflict = b.w.api("PUT", cachetest::kDemo, "/api/posts/second", b.token, Json{{"title", "T"}, {"version", 99}});
  CHECK(conflict.status == 409);
  CHECK(b.w.api("DELETE", cachetest::kDemo, "/api/posts/nothing", b.token).status == 404);
  CHECK(b.contentVersion() == 6);
  CHECK(changeLog(b).size() == 6);

  // The stamp read through stampQuery sees all of it.
  Stamp s = b.stamp();
  CHECK(s.contentVersion == 6);
  Log fromStamp = s.changes;
  std::sort(fromStamp.begin(), fromStamp.end());
  CHECK(fromStamp == changeLog(b));
  CHECK(s.slugVersion("renamed") == 6);
  CHECK(s.slugVersion("first") == 4);
  CHECK(s.slugVersion("second") == 5);
  CHECK(s.slugVersion("never") == 0);
}

TEST_CASE("cache-stamp: a version-preserving UPDATE (a tier move) logs and bumps nothing") {
  Blog b;
  b.add("p");
  const long long cv = b.contentVersion();
  const Log log = changeLog(b);
  b.w.sql("UPDATE posts SET storage_location = 'r2' WHERE slug = 'p'");
  b.w.sql("UPDATE posts SET storage_location = 'r2_archived', last_accessed_at = 5, view_count = view_count + 1");
  CHECK(b.contentVersion() == cv);
  CHECK(changeLog(b) == log);
  // A version bump made in SQL counts like an API write.
  b.w.sql("UPDATE posts SET html = '<p>x</p>', version = version + 1 WHERE slug = 'p'");
  CHECK(b.contentVersion() == cv + 1);
  CHECK(changeLog(b).back() == std::make_pair(cv + 1, std::string("p")));
  // Setting version to itself is no change either.
  b.w.sql("UPDATE posts SET version = version WHERE slug = 'p'");
  CHECK(b.contentVersion() == cv + 1);
}

TEST_CASE("cache-stamp: the change log is pruned to 128 versions, the stamp carries 64") {
  Blog b;
  b.add("a");
  b.add("b");
  for (int i = 0; i < 200; ++i)
    b.w.sql("UPDATE posts SET version = version + 1 WHERE slug = ?1", {i % 3 == 0 ? "a" : "b"});
  const long long cv = b.contentVersion();
  CHECK(cv == 1 + 2 + 200);
  auto range = b.w.sql("SELECT MIN(version) AS lo, MAX(version) AS hi, COUNT(*) AS n FROM post_changes WHERE tenant_id = ?1",
                       {b.tenant})[0];
  CHECK(lattice::jsonInt(range, "hi") == cv);
  CHECK(lattice::jsonInt(range, "lo") == cv - 127);
  CHECK(lattice::jsonInt(range, "n") == 128);

  Stamp s = b.stamp();
  CHECK(s.contentVersion == cv);
  REQUIRE(s.changes.size() == size_t(kWindow));
  for (const auto& [v, slug] : s.changes) {
    INFO(v << " " << slug);
    CHECK(v > cv - kWindow);
    CHECK(v <= cv);
  }
  // The last write (i = 199) went to "b", the one before it (i = 198) to "a".
  CHECK(s.slugVersion("b") == cv);
  CHECK(s.slugVersion("a") == cv - 1);

  // Pruning is per tenant: another tenant's log is untouched.
  const std::string other = b.w.addTenant("other");
  b.w.sql("INSERT INTO posts (id, tenant_id, slug, title, status, created_at, updated_at, content_hash) "
          "VALUES ('p_other', ?1, 'x', 'X', 'draft', 0, 0, '')",
          {other});
  CHECK(b.w.sql("SELECT version, slug FROM post_changes WHERE tenant_id = ?1", {other}) ==
        Json::array({Json{{"version", 2}, {"slug", "x"}}}));
  CHECK(b.contentVersion() == cv);
}

TEST_CASE("cache-stamp: config_version bumps on the tenant's shown settings only") {
  Blog b;
  CHECK(configVersion(b) == 1);
  b.w.sql("UPDATE tenants SET display_name = 'New name' WHERE id = ?1", {b.tenant});
  CHECK(configVersion(b) == 2);
  b.w.sql("UPDATE tenants SET theme = '{\"accent\":\"#000000\"}' WHERE id = ?1", {b.tenant});
  CHECK(configVersion(b) == 3);
  b.w.sql("UPDATE tenants SET description = 'd' WHERE id = ?1", {b.tenant});
  b.w.sql("UPDATE tenants SET tier = 'oak' WHERE id = ?1", {b.tenant});
  b.w.sql("UPDATE tenants SET limits = '{\"posts\":5}' WHERE id = ?1", {b.tenant});
  CHECK(configVersion(b) == 6);
  // Not: the tenant's timestamps, content writes, or other tenants' settings.
  b.w.sql("UPDATE tenants SET updated_at = updated_at + 1 WHERE id = ?1", {b.tenant});
  b.add("p");
  b.put("p", {{"title", "Another"}});
  b.w.addTenant("other");
  b.w.sql("UPDATE tenants SET display_name = 'x' WHERE id = 'tn_other'");
  CHECK(configVersion(b) == 6);
  CHECK(b.stamp().configVersion == 6);
  // Nor does a config change touch the content version.
  const long long cv = b.contentVersion();
  b.w.sql("UPDATE tenants SET display_name = 'Again' WHERE id = ?1", {b.tenant});
  CHECK(b.contentVersion() == cv);
}

TEST_CASE("cache-stamp: public_through and next_publish_at follow published posts and the clock") {
  Blog b;
  const long long now = b.w.now;  // 2026-11-18
  b.add("old", "published", "2026-01-01T00:00:00Z");
  b.add("recent", "published", "2026-11-01T00:00:00Z");
  b.add("soon", "published", "2026-12-01T00:00:00Z");
  b.add("later", "published", "2027-06-01T00:00:00Z");
  b.add("draft-dated", "draft", "2026-11-10T00:00:00Z");
  b.add("draft-future", "draft", "2026-11-20T00:00:00Z");
  b.add("archived", "archived", "2026-11-15T00:00:00Z");
  const long long recent = 1793491200000;  // 2026-11-01T00:00:00Z
  const long long soon = 1796083200000;    // 2026-12-01T00:00:00Z
  const long long later = 1811808000000;   // 2027-06-01T00:00:00Z
  REQUIRE(recent < now);
  REQUIRE(soon > now);

  Stamp s = b.stamp();
  CHECK(s.publicThrough == recent);
  REQUIRE(s.nextPublishAt.has_value());
  CHECK(*s.nextPublishAt == soon);
  CHECK(s.scheduled == std::vector<std::string>{"soon", "later"});  // not drafts, not archived
  CHECK_FALSE(s.scheduledTruncated);
  CHECK(s.expiresAt(now, 30) == now + 30000);
  CHECK(s.expiresAt(soon - 1000, 30) == soon);

  b.w.now = soon - 1;
  CHECK(b.stamp().publicThrough == recent);
  b.w.now = soon;  // the moment it goes live it is public
  s = b.stamp();
  CHECK(s.publicThrough == soon);
  CHECK(*s.nextPublishAt == later);
  CHECK(s.scheduled == std::vector<std::string>{"later"});
  b.w.now = later + 1;
  s = b.stamp();
  CHECK(s.publicThrough == later);
  CHECK_FALSE(s.nextPublishAt.has_value());

  // Unpublishing the newest public post moves public_through back.
  b.put("later", {{"status", "draft"}});
  CHECK(b.stamp().publicThrough == soon);
}

TEST_CASE("cache-stamp: more scheduled posts than the stamp lists make post epochs time-based") {
  Blog b;
  for (int i = 0; i <= Stamp::kMaxScheduled; ++i)
    b.add("s" + std::to_string(i), "published", "2030-01-01T00:00:00Z");
  Stamp s = b.stamp();
  CHECK(s.scheduledTruncated);
  CHECK(s.scheduled.empty());
  CHECK(s.postEpoch("s1").find("-t") != std::string::npos);
  b.put("s0", {{"status", "draft"}});  // back to exactly kMaxScheduled: listed again
  s = b.stamp();
  CHECK_FALSE(s.scheduledTruncated);
  CHECK(s.scheduled.size() == size_t(Stamp::kMaxScheduled));
  CHECK(s.postEpoch("s1") == "p" + std::to_string(s.slugVersion("s1")) + "-k" + std::to_string(s.configVersion) + "-s");
}
