// Meadow's page cursors (src/feed/cursor.h) and the sealed tokens they share with comment
// cursors (src/core/sealed-token.h): round trips, every tampered or malformed form refused, and
// pages that stay free of duplicates and gaps while new items arrive and scores change, for
// both sorts, read through FeedStore on a real SQLite.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "core/sealed-token.h"
#include "durable/comments.h"
#include "durable/feed-store.h"
#include "feed/cursor.h"
#include "sqlite-db.h"

using lattice::FeedPage;
using lattice::FeedStore;
using lattice::Json;
using lattice::feed::FeedCursor;
using lattice::feed::Preview;
using lattice::feed::Sort;
using lattice::feed::decodeCursor;
using lattice::feed::encodeCursor;
using lattice::feed::recentCursor;
using lattice::feed::relevanceCursor;
using lattice::testing::SqliteDb;
using lattice::testing::SqliteSql;

namespace {

constexpr long long kNow = 1795000000000;
constexpr long long kHour = 3600 * 1000;

Preview item(const std::string& id, long long publishedAt, long long reactions = 0, const std::string& tenant = "t1") {
  Preview p;
  p.postId = id;
  p.tenantId = tenant;
  p.subdomain = "demo";
  p.author = "Ada";
  p.slug = id;
  p.title = "Post " + id;
  p.publishedAt = publishedAt;
  p.url = "https://demo.example.com/blog/" + id;
  p.reactions = reactions;
  return p;
}

struct Feed {
  SqliteDb db;
  SqliteSql sql{db};
  FeedStore store{sql, 500};
  int snapshots = 0;
  std::string nextSnapshot() {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016x", ++snapshots);
    return buf;
  }
  FeedPage page(Sort sort, const std::optional<std::string>& cursor, int limit, long long now) {
    std::optional<FeedCursor> after;
    if (cursor) {
      after = decodeCursor(*cursor);
      REQUIRE(after);
    }
    return sort == Sort::Recent ? store.recent(after, limit, now) : store.relevance(after, limit, now, nextSnapshot());
  }
};

std::vector<std::string> ids(const FeedPage& page) {
  std::vector<std::string> out;
  for (const auto& i : page.items) out.push_back(i.preview.postId);
  return out;
}

}  // namespace

TEST_CASE("sealed tokens: base64url round trips at every length, one spelling per byte string") {
  std::string bytes;
  for (int n = 0; n < 40; ++n) {
    const std::string text = lattice::base64UrlEncode(bytes);
    CHECK(text.find_first_of("+/=") == std::string::npos);
    auto back = lattice::base64UrlDecode(text);
    REQUIRE(back);
    CHECK(*back == bytes);
    bytes.push_back(static_cast<char>(n * 37 + 200));
  }
  CHECK(lattice::base64UrlEncode("\xfb\xff") == "-_8");
  CHECK_FALSE(lattice::base64UrlDecode("A"));      // 1 mod 4
  CHECK_FALSE(lattice::base64UrlDecode("AB=="));   // padding
  CHECK_FALSE(lattice::base64UrlDecode("AB+/"));   // the other alphabet
  CHECK_FALSE(lattice::base64UrlDecode("AF"));     // non-zero unused bits: "AA" is the spelling
  CHECK(lattice::base64UrlDecode("AA") == std::string(1, '\0'));
  auto sealed = lattice::sealToken("salt:", "payload");
  CHECK(lattice::openToken("salt:", sealed) == std::string("payload"));
  CHECK_FALSE(lattice::openToken("other:", sealed));
}

TEST_CASE("sealed tokens: comment cursors are byte-for-byte what they were before the helper existed") {
  // Computed independently: base64url(be64(42) + sha256("lattice.comment-cursor:" + be64(42))[:4]).
  CHECK(lattice::commentCursor(42) == "AAAAAAAAACo0drqI");
  CHECK(lattice::parseCommentCursor("AAAAAAAAACo0drqI") == 42);
  CHECK_FALSE(lattice::parseCommentCursor("AAAAAAAAACo0drqJ"));
}

TEST_CASE("feed cursor: both kinds round-trip") {
  for (const FeedCursor& c : {recentCursor(kNow, "p_abc"), recentCursor(0, "x"), recentCursor(-5, std::string(64, 'z')),
                              recentCursor(kNow, "A-_9"), relevanceCursor("00ff00ff00ff00ff", 1),
                              relevanceCursor("0123456789abcdef", 4294967295LL)}) {
    const std::string text = encodeCursor(c);
    INFO(text);
    CHECK(text.size() <= lattice::feed::kMaxCursorChars);
    auto back = decodeCursor(text);
    REQUIRE(back);
    CHECK(*back == c);
  }
  CHECK(encodeCursor(recentCursor(kNow, "p1")) != encodeCursor(recentCursor(kNow, "p2")));
}

TEST_CASE("feed cursor: tampered, truncated, foreign and malformed cursors are refused") {
  const std::string good = encodeCursor(recentCursor(kNow, "p_abcdef"));
  // Every single-character change is caught by the checksum (or the alphabet).
  for (size_t i = 0; i < good.size(); ++i) {
    for (char c : std::string("AQz9-_")) {
      if (good[i] == c) continue;
      std::string bad = good;
      bad[i] = c;
      INFO(bad);
      CHECK_FALSE(decodeCursor(bad));
    }
  }
  CHECK_FALSE(decodeCursor(good.substr(0, good.size() - 1)));
  CHECK_FALSE(decodeCursor(good + "A"));
  CHECK_FALSE(decodeCursor(""));
  CHECK_FALSE(decodeCursor("not a cursor"));
  CHECK_FALSE(decodeCursor(std::string(200, 'A')));
  CHECK_FALSE(decodeCursor(lattice::commentCursor(5)));  // another kind of token
  // Well sealed, wrong content: version, sort, id, rank.
  const std::string salt = "lattice.feed-cursor:";
  std::string recent = std::string("\x01\x01", 2) + std::string(8, '\0') + "p1";
  CHECK(decodeCursor(lattice::sealToken(salt, recent)));
  std::string v2 = recent;
  v2[0] = 2;
  CHECK_FALSE(decodeCursor(lattice::sealToken(salt, v2)));
  std::string sort3 = recent;
  sort3[1] = 3;
  CHECK_FALSE(decodeCursor(lattice::sealToken(salt, sort3)));
  CHECK_FALSE(decodeCursor(lattice::sealToken(salt, std::string("\x01\x01", 2) + std::string(8, '\0'))));  // no id
  CHECK_FALSE(decodeCursor(lattice::sealToken(salt, std::string("\x01\x01", 2) + std::string(8, '\0') + "p 1")));
  std::string rank0 = std::string("\x01\x02", 2) + std::string(8, '\x11') + std::string(4, '\0');
  CHECK_FALSE(decodeCursor(lattice::sealToken(salt, rank0)));
  CHECK_FALSE(decodeCursor(lattice::sealToken(salt, rank0 + "x")));
  CHECK_FALSE(decodeCursor(lattice::sealToken("lattice.comment-cursor:", recent)));
}

TEST_CASE("feed cursor: recent pages have no duplicates or gaps while new items arrive") {
  Feed f;
  std::vector<Preview> items;
  for (int i = 0; i < 60; ++i) items.push_back(item("p" + std::to_string(100 + i), kNow - (i / 2 + 1) * kHour, i));
  REQUIRE(f.store.merge(items).ok);
  FeedPage first = f.page(Sort::Recent, std::nullopt, 20, kNow);
  REQUIRE(first.items.size() == 20);
  REQUIRE(first.nextCursor);
  // Newer items arrive, and engagement changes on some not yet shown.
  std::vector<Preview> newer;
  for (int i = 0; i < 20; ++i) newer.push_back(item("n" + std::to_string(i), kNow - i * 1000));
  REQUIRE(f.store.merge(newer).ok);
  REQUIRE(f.store.merge({item("p150", kNow - 26 * kHour, 99999)}).ok);
  std::vector<std::string> seen = ids(first);
  std::optional<std::string> cursor = first.nextCursor;
  int pages = 1;
  while (cursor) {
    FeedPage next = f.page(Sort::Recent, cursor, 20, kNow + 1000);
    for (const auto& id : ids(next)) seen.push_back(id);
    cursor = next.nextCursor;
    REQUIRE(++pages < 10);
  }
  CHECK(pages == 3);
  // Exactly the 60 items that were there, newest first, each once; none of the new ones.
  std::vector<std::string> expected;
  for (int i = 0; i < 60; ++i) expected.push_back("p" + std::to_string(100 + i));
  std::sort(expected.begin(), expected.end(), [&](const std::string& a, const std::string& b) {
    const int ia = std::stoi(a.substr(1)) - 100, ib = std::stoi(b.substr(1)) - 100;
    return ia / 2 != ib / 2 ? ia / 2 < ib / 2 : a > b;
  });
  CHECK(seen == expected);
}

TEST_CASE("feed cursor: relevance pages follow the frozen ranking while items arrive and scores change") {
  Feed f;
  std::vector<Preview> items;
  for (int i = 0; i < 60; ++i) items.push_back(item("p" + std::to_string(100 + i), kNow - (i + 1) * kHour, (i * 37) % 50));
  REQUIRE(f.store.merge(items).ok);
  FeedPage first = f.page(Sort::Relevance, std::nullopt, 20, kNow);
  REQUIRE(first.items.size() == 20);
  REQUIRE(first.nextCursor);
  CHECK(f.store.snapshotCount() == 1);
  for (size_t i = 1; i < first.items.size(); ++i) CHECK(*first.items[i - 1].score >= *first.items[i].score);
  // What an unchanged feed would show, for comparison: the full ranking at kNow.
  std::vector<std::string> ranking;
  {
    Feed g;
    REQUIRE(g.store.merge(items).ok);
    FeedPage all = g.store.relevance(std::nullopt, 100, kNow, "00000000000000aa");
    CHECK_FALSE(all.nextCursor);
    ranking = ids(all);
  }
  REQUIRE(ranking.size() == 60);
  // 20 newer items arrive (they would rank first now), engagement of unseen items changes a
  // lot, and one unseen item is deleted.
  std::vector<Preview> newer;
  for (int i = 0; i < 20; ++i) newer.push_back(item("n" + std::to_string(i), kNow - i * 1000, 500));
  REQUIRE(f.store.merge(newer).ok);
  const std::string deleted = ranking[45];
  const std::string boosted = ranking[59];
  Preview boostedItem = *std::find_if(items.begin(), items.end(), [&](const Preview& p) { return p.postId == boosted; });
  boostedItem.reactions = 1000000;
  REQUIRE(f.store.merge({boostedItem}).ok);
  REQUIRE(f.store.remove(deleted));
  std::vector<std::string> seen = ids(first);
  std::optional<std::string> cursor = first.nextCursor;
  int pages = 1;
  while (cursor) {
    FeedPage next = f.page(Sort::Relevance, cursor, 20, kNow + 10 * 60 * 1000);
    REQUIRE_FALSE(next.error);
    for (const auto& id : ids(next)) seen.push_back(id);
    cursor = next.nextCursor;
    REQUIRE(++pages < 10);
  }
  CHECK(pages == 3);
  std::vector<std::string> expected;
  for (const auto& id : ranking)
    if (id != deleted) expected.push_back(id);
  CHECK(seen == expected);  // the frozen order: no duplicates, no gaps, the new items not mixed in
  std::set<std::string> unique(seen.begin(), seen.end());
  CHECK(unique.size() == seen.size());
}

TEST_CASE("feed cursor: relevance snapshots expire after an hour and are pruned") {
  Feed f;
  std::vector<Preview> items;
  for (int i = 0; i < 30; ++i) items.push_back(item("p" + std::to_string(100 + i), kNow - i * kHour, i));
  REQUIRE(f.store.merge(items).ok);
  FeedPage first = f.page(Sort::Relevance, std::nullopt, 10, kNow);
  REQUIRE(first.nextCursor);
  FeedPage late = f.page(Sort::Relevance, first.nextCursor, 10, kNow + FeedStore::kSnapshotTtlMs);
  REQUIRE(late.error);
  CHECK(late.error->status == 400);
  CHECK(late.error->code == "feed.cursor_expired");
  CHECK(f.page(Sort::Relevance, first.nextCursor, 10, kNow + FeedStore::kSnapshotTtlMs - 1).items.size() == 10);
  // A snapshot nobody stored (another feed's, or pruned) is expired too.
  FeedPage unknown = f.store.relevance(relevanceCursor("ffffffffffffffff", 10), 10, kNow, "x");
  REQUIRE(unknown.error);
  CHECK(unknown.error->code == "feed.cursor_expired");
  // Many first pages keep at most kMaxSnapshots; an hour later the next one prunes the rest.
  for (int i = 0; i < 40; ++i) f.page(Sort::Relevance, std::nullopt, 10, kNow + i);
  CHECK(f.store.snapshotCount() == FeedStore::kMaxSnapshots);
  f.page(Sort::Relevance, std::nullopt, 10, kNow + 2 * FeedStore::kSnapshotTtlMs);
  CHECK(f.store.snapshotCount() == 1);
  // A feed that fits on one page stores no snapshot at all.
  Feed small;
  REQUIRE(small.store.merge({item("a", kNow), item("b", kNow - 1)}).ok);
  FeedPage all = small.page(Sort::Relevance, std::nullopt, 20, kNow);
  CHECK(all.items.size() == 2);
  CHECK_FALSE(all.nextCursor);
  CHECK(small.store.snapshotCount() == 0);
}
