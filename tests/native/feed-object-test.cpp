// A reader's FeedDO (src/durable/feed-object.h) through the native driver, as the Worker calls
// it: follows merging previews, unfollows removing exactly that tenant's items, the cap, item
// upserts and deletes, future items hidden, every 400 code, pushes to an open Meadow socket,
// warm reads with no D1 effect, and everything still there after a restart.
#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "test-driver.h"

using lattice::HttpResponse;
using lattice::Json;
using lattice::jsonInt;
using lattice::jsonString;
using lattice::testing::TestWorld;
using lattice::testing::bodyOf;
using lattice::testing::errorOf;

namespace {

constexpr long long kHour = 3600 * 1000;
const std::string kReader = "r_0123456789abcdef01234567";

Json preview(const std::string& tenant, int n, long long publishedAt, long long reactions = 0) {
  const std::string id = "p_" + tenant + "_" + std::to_string(n);
  return {{"post_id", id},
          {"tenant_id", tenant},
          {"subdomain", tenant},
          {"author", "Author of " + tenant},
          {"slug", "post-" + std::to_string(n)},
          {"title", "Post " + std::to_string(n) + " of " + tenant},
          {"description", "A post."},
          {"tags", Json::array({"notes"})},
          {"published_at", publishedAt},
          {"url", "https://" + tenant + ".example.com/blog/post-" + std::to_string(n)},
          {"reactions", reactions},
          {"comments", 0}};
}

struct Meadow {
  TestWorld w;
  explicit Meadow(Json vars = {{"BASE_DOMAIN", "localhost"}}) : w(std::move(vars)) {}

  HttpResponse call(const std::string& method, const std::string& path, const std::optional<Json>& body = std::nullopt,
                    const std::string& reader = kReader, const std::string& name = "feed:" + kReader) {
    Json headers = Json::object();
    if (!reader.empty()) headers["x-lattice-reader"] = reader;
    if (body) headers["content-type"] = "application/json";
    Json request = {{"method", method}, {"path", path}, {"headers", headers}};
    if (body) request["body"] = body->dump();
    return w.callObject("FEED_DO", name, request);
  }
  // Follows `tenant` with `count` posts, one an hour back from `newest`.
  HttpResponse follow(const std::string& tenant, int count, long long newest, long long hourStep = kHour) {
    Json posts = Json::array();
    for (int i = 0; i < count; ++i) posts.push_back(preview(tenant, i, newest - i * hourStep));
    return call("PUT", "/follows/" + tenant, Json{{"subdomain", tenant}, {"display_name", tenant + " blog"}, {"posts", posts}});
  }
  HttpResponse feed(const std::string& query = "") { return call("GET", "/feed" + query); }
  std::vector<std::string> feedIds(const std::string& query = "?limit=50") {
    HttpResponse r = feed(query);
    REQUIRE(r.status == 200);
    std::vector<std::string> out;
    const Json body = bodyOf(r);  // a local: a range-for over a temporary's element dangles
    for (const Json& i : body["items"]) out.push_back(jsonString(i, "post_id"));
    return out;
  }
  // Every item, through all pages.
  std::vector<std::string> allIds(const std::string& sort = "recent") {
    std::vector<std::string> out;
    std::string cursor;
    for (int guard = 0; guard < 200; ++guard) {
      HttpResponse r = feed("?sort=" + sort + "&limit=50" + (cursor.empty() ? "" : "&cursor=" + cursor));
      REQUIRE(r.status == 200);
      const Json body = bodyOf(r);
      for (const Json& i : body["items"]) out.push_back(jsonString(i, "post_id"));
      if (body["next_cursor"].is_null()) break;
      cursor = jsonString(body, "next_cursor");
    }
    return out;
  }
  Json state() { return bodyOf(call("GET", "/state")); }
  std::string code(const HttpResponse& r) { return jsonString(errorOf(r), "code"); }
};

}  // namespace

TEST_CASE("feed object: following merges the author's previews; repeating it is harmless") {
  Meadow m;
  HttpResponse r = m.follow("alpha", 50, m.w.now - kHour);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(bodyOf(r) == Json{{"following", true}, {"added", 50}});
  Json follows = bodyOf(m.call("GET", "/follows"))["following"];
  REQUIRE(follows.size() == 1);
  CHECK(follows[0] == Json{{"tenant_id", "alpha"}, {"subdomain", "alpha"}, {"display_name", "alpha blog"}, {"followed_at", m.w.now}});

  HttpResponse page = m.feed();
  REQUIRE(page.status == 200);
  Json body = bodyOf(page);
  CHECK(body["sort"] == "recent");
  REQUIRE(body["items"].size() == 20);  // the default limit
  CHECK(body["items"][0] == preview("alpha", 0, m.w.now - kHour));
  CHECK_FALSE(body["items"][0].contains("score"));
  CHECK(body["next_cursor"].is_string());
  CHECK(m.allIds().size() == 50);

  // Following again (e.g. a retried request) adds nothing and keeps followed_at.
  m.w.now += 1000;
  HttpResponse again = m.follow("alpha", 50, m.w.now - kHour - 1000);
  CHECK(bodyOf(again)["added"] == 0);
  CHECK(bodyOf(m.call("GET", "/follows"))["following"][0]["followed_at"] == m.w.now - 1000);
  CHECK(m.state()["items"] == 50);
  CHECK(m.state()["follows"] == 1);
}

TEST_CASE("feed object: unfollowing removes exactly that tenant's items") {
  Meadow m;
  REQUIRE(m.follow("alpha", 10, m.w.now - 1000, kHour).status == 200);
  REQUIRE(m.follow("beta", 10, m.w.now - 2000, kHour).status == 200);
  CHECK(m.allIds().size() == 20);
  HttpResponse r = m.call("DELETE", "/follows/alpha");
  REQUIRE(r.status == 200);
  CHECK(bodyOf(r) == Json{{"following", false}, {"removed", 10}});
  std::vector<std::string> left = m.allIds();
  CHECK(left.size() == 10);
  for (const auto& id : left) CHECK(id.rfind("p_beta_", 0) == 0);
  Json follows = bodyOf(m.call("GET", "/follows"))["following"];
  REQUIRE(follows.size() == 1);
  CHECK(follows[0]["tenant_id"] == "beta");
  // Unfollowing again, or a tenant never followed, removes nothing.
  CHECK(bodyOf(m.call("DELETE", "/follows/alpha"))["removed"] == 0);
  CHECK(bodyOf(m.call("DELETE", "/follows/gamma"))["removed"] == 0);
  // New posts of an unfollowed tenant are not stored.
  HttpResponse late = m.call("POST", "/items", Json{{"item", preview("alpha", 99, m.w.now)}});
  CHECK(bodyOf(late) == Json{{"stored", false}, {"new", false}});
}

TEST_CASE("feed object: the cap keeps the newest FEED_MAX_ITEMS and refuses older ones when full") {
  Meadow m(Json{{"BASE_DOMAIN", "localhost"}, {"FEED_MAX_ITEMS", "50"}});
  REQUIRE(m.follow("alpha", 50, m.w.now - kHour, 2 * kHour).status == 200);  // odd hours back
  // Beta's 50 interleave: 25 of them are newer than alpha's oldest 25.
  HttpResponse beta = m.follow("beta", 50, m.w.now - 2 * kHour, 2 * kHour);  // even hours back
  REQUIRE(beta.status == 200);
  CHECK(bodyOf(beta)["added"] == 25);
  CHECK(m.state()["items"] == 50);
  std::vector<std::string> ids = m.allIds();
  REQUIRE(ids.size() == 50);
  CHECK(ids.front() == "p_alpha_0");
  CHECK(ids.back() == "p_beta_24");  // 50 hours back; everything older was evicted
  // Older than everything in a full feed: not stored.
  HttpResponse old = m.call("POST", "/items", Json{{"item", preview("alpha", 200, m.w.now - 1000 * kHour)}});
  CHECK(bodyOf(old) == Json{{"stored", false}, {"new", false}});
  // Newer: stored, and the oldest goes.
  HttpResponse fresh = m.call("POST", "/items", Json{{"item", preview("beta", 300, m.w.now)}});
  CHECK(bodyOf(fresh) == Json{{"stored", true}, {"new", true}});
  ids = m.allIds();
  CHECK(ids.size() == 50);
  CHECK(ids.front() == "p_beta_300");
  CHECK(ids.back() == "p_alpha_24");  // p_beta_24 (50 hours) was the oldest
  // FEED_MAX_ITEMS outside 50-5000 keeps the default.
  CHECK(lattice::Config::fromVars(Json{{"FEED_MAX_ITEMS", "49"}}).feedMaxItems == 500);
  CHECK(lattice::Config::fromVars(Json{{"FEED_MAX_ITEMS", "5001"}}).feedMaxItems == 500);
  CHECK(lattice::Config::fromVars(Json{{"FEED_MAX_ITEMS", "5000"}}).feedMaxItems == 5000);
  CHECK(lattice::Config::fromVars(Json{{"FEED_MAX_ITEMS", "x"}}).feedMaxItems == 500);
}

TEST_CASE("feed object: items are upserted in place and deleted") {
  Meadow m;
  REQUIRE(m.follow("alpha", 3, m.w.now - kHour).status == 200);
  Json item = preview("alpha", 10, m.w.now - 10);
  CHECK(bodyOf(m.call("POST", "/items", Json{{"item", item}})) == Json{{"stored", true}, {"new", true}});
  item["title"] = "Edited";
  item["reactions"] = 12;
  item["comments"] = 4;
  CHECK(bodyOf(m.call("POST", "/items", Json{{"item", item}})) == Json{{"stored", true}, {"new", false}});
  Json first = bodyOf(m.feed())["items"][0];
  CHECK(first == item);
  CHECK(m.state()["items"] == 4);
  // The same post id under another tenant is not taken over.
  REQUIRE(m.follow("beta", 0, m.w.now).status == 200);
  Json impostor = item;
  impostor["tenant_id"] = "beta";
  CHECK(bodyOf(m.call("POST", "/items", Json{{"item", impostor}}))["stored"] == false);
  CHECK(bodyOf(m.feed())["items"][0]["tenant_id"] == "alpha");

  CHECK(bodyOf(m.call("DELETE", "/items/" + jsonString(item, "post_id"))) == Json{{"removed", true}});
  CHECK(bodyOf(m.call("DELETE", "/items/" + jsonString(item, "post_id"))) == Json{{"removed", false}});
  CHECK(m.state()["items"] == 3);
}

TEST_CASE("feed object: items published in the future are stored but not shown until then") {
  Meadow m;
  REQUIRE(m.follow("alpha", 2, m.w.now - kHour).status == 200);
  const std::string socket = m.w.connectObject("FEED_DO", "feed:" + kReader, "/live", {{"x-lattice-reader", kReader}});
  REQUIRE(!socket.empty());
  Json later = preview("alpha", 7, m.w.now + kHour);
  CHECK(bodyOf(m.call("POST", "/items", Json{{"item", later}})) == Json{{"stored", true}, {"new", true}});
  CHECK(m.feedIds() == std::vector<std::string>{"p_alpha_0", "p_alpha_1"});
  CHECK(m.allIds("relevance").size() == 2);
  CHECK(m.w.messagesOf(socket).empty());  // not pushed before it is visible
  m.w.now += kHour;
  CHECK(m.feedIds() == std::vector<std::string>{"p_alpha_7", "p_alpha_0", "p_alpha_1"});
}

TEST_CASE("feed object: relevance pages carry scores and a cursor of their own") {
  Meadow m;
  REQUIRE(m.follow("alpha", 30, m.w.now - kHour).status == 200);
  Json busy = preview("alpha", 29, m.w.now - 30 * kHour, 400);  // old but busy
  REQUIRE(bodyOf(m.call("POST", "/items", Json{{"item", busy}}))["new"] == false);
  HttpResponse r = m.feed("?sort=relevance&limit=10");
  REQUIRE(r.status == 200);
  Json body = bodyOf(r);
  CHECK(body["sort"] == "relevance");
  REQUIRE(body["items"].size() == 10);
  // E = 400 at 30 hours old (3.998 · 2^-1.25 ≈ 1.68) outranks a quiet post an hour old (≈ 0.97).
  CHECK(body["items"][0]["post_id"] == "p_alpha_29");
  CHECK(body["items"][0]["score"].get<double>() == doctest::Approx(1.681).epsilon(0.001));
  CHECK(body["items"][1]["post_id"] == "p_alpha_0");
  for (size_t i = 1; i < body["items"].size(); ++i)
    CHECK(body["items"][i - 1]["score"].get<double>() >= body["items"][i]["score"].get<double>());
  std::vector<std::string> all = m.allIds("relevance");
  CHECK(all.size() == 30);
  CHECK(std::set<std::string>(all.begin(), all.end()).size() == 30);
}

TEST_CASE("feed object: bad requests get 400 with an exact code and change nothing") {
  Meadow m;
  REQUIRE(m.follow("alpha", 30, m.w.now - kHour).status == 200);
  const Json before = m.state();  // items and follows; reads change last_read_at
  for (const std::string q : {"?sort=new", "?sort=", "?sort=RECENT"}) {
    INFO(q);
    HttpResponse r = m.feed(q);
    CHECK(r.status == 400);
    CHECK(m.code(r) == "feed.invalid_sort");
  }
  for (const std::string q : {"?limit=0", "?limit=51", "?limit=abc", "?limit=-1", "?limit=1.5", "?limit=", "?limit=%2010"}) {
    INFO(q);
    HttpResponse r = m.feed(q);
    CHECK(r.status == 400);
    CHECK(m.code(r) == "feed.invalid_limit");
  }
  CHECK(bodyOf(m.feed("?limit=50"))["items"].size() == 30);
  CHECK(bodyOf(m.feed("?limit=1"))["items"].size() == 1);
  const std::string recentCursor = jsonString(bodyOf(m.feed("?limit=5")), "next_cursor");
  const std::string relevanceCursor = jsonString(bodyOf(m.feed("?sort=relevance&limit=5")), "next_cursor");
  REQUIRE(!recentCursor.empty());
  REQUIRE(!relevanceCursor.empty());
  std::string tampered = recentCursor;
  tampered[3] = tampered[3] == 'A' ? 'B' : 'A';
  for (const std::string& q : std::vector<std::string>{"?cursor=zzz", "?cursor=" + tampered, "?cursor=" + recentCursor + "x",
                              "?sort=relevance&cursor=" + recentCursor, "?sort=recent&cursor=" + relevanceCursor,
                              "?cursor=" + std::string(300, 'A')}) {
    INFO(q);
    HttpResponse r = m.feed(q);
    CHECK(r.status == 400);
    CHECK(m.code(r) == "feed.invalid_cursor");
  }
  CHECK(m.feed("?cursor=" + recentCursor).status == 200);
  CHECK(m.feed("?sort=relevance&cursor=" + relevanceCursor).status == 200);
  m.w.now += kHour;
  HttpResponse expired = m.feed("?sort=relevance&cursor=" + relevanceCursor);
  CHECK(expired.status == 400);
  CHECK(m.code(expired) == "feed.cursor_expired");

  // Invalid items, one field at a time.
  std::vector<std::pair<std::string, Json>> bad;
  auto with = [&](const std::string& field, Json value) {
    Json p = preview("alpha", 500, m.w.now);
    if (value.is_discarded()) p.erase(field);
    else p[field] = std::move(value);
    bad.emplace_back(field, p);
  };
  with("title", std::string(301, 't'));
  with("title", "");
  with("title", "bad\x01title");
  with("description", std::string(1001, 'd'));
  with("tags", Json::array({"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}));
  with("tags", Json::array({std::string(51, 'x')}));
  with("tags", Json::array({3}));
  with("url", "javascript:alert(1)");
  with("url", "https://x.example/" + std::string(2040, 'u'));
  with("post_id", "p/1");
  with("post_id", std::string(65, 'p'));
  with("tenant_id", 7);
  with("subdomain", "Alpha");
  with("published_at", -1);
  with("published_at", "yesterday");
  with("published_at", 1.5);
  with("reactions", -1);
  with("comments", "3");
  with("author", Json(Json::value_t::discarded));
  with("extra", true);
  for (const auto& [field, item] : bad) {
    INFO(field << " " << item.dump().substr(0, 120));
    HttpResponse r = m.call("POST", "/items", Json{{"item", item}});
    CHECK(r.status == 400);
    CHECK(m.code(r) == "feed.invalid_item");
    CHECK(jsonString(errorOf(r), "field") == "item." + field);
  }
  CHECK(m.code(m.call("POST", "/items", Json{{"item", "x"}})) == "feed.invalid_item");
  CHECK(m.code(m.call("POST", "/items", Json{{"post", preview("alpha", 1, 1)}})) == "feed.invalid_item");
  // A follow with one bad post stores neither the follow nor any post.
  Json posts = Json::array({preview("gamma", 1, m.w.now), preview("gamma", 2, m.w.now)});
  posts[1]["title"] = std::string(400, 'x');
  HttpResponse follow = m.call("PUT", "/follows/gamma", Json{{"subdomain", "gamma"}, {"display_name", "G"}, {"posts", posts}});
  CHECK(follow.status == 400);
  CHECK(m.code(follow) == "feed.invalid_item");
  CHECK(jsonString(errorOf(follow), "field") == "posts[1].title");
  Json other = Json::array({preview("delta", 1, m.w.now)});
  CHECK(m.code(m.call("PUT", "/follows/gamma", Json{{"subdomain", "gamma"}, {"display_name", "G"}, {"posts", other}})) == "feed.invalid_item");
  Json tooMany = Json::array();
  for (int i = 0; i < 51; ++i) tooMany.push_back(preview("gamma", i, m.w.now));
  CHECK(m.code(m.call("PUT", "/follows/gamma", Json{{"subdomain", "gamma"}, {"display_name", "G"}, {"posts", tooMany}})) == "feed.invalid_item");
  CHECK(m.code(m.call("PUT", "/follows/gamma", Json{{"subdomain", "Gamma!"}, {"display_name", "G"}, {"posts", Json::array()}})) == "feed.invalid_follow");
  CHECK(m.code(m.call("PUT", "/follows/gamma", Json{{"subdomain", "gamma"}, {"display_name", ""}, {"posts", Json::array()}})) == "feed.invalid_follow");
  CHECK(m.code(m.call("PUT", "/follows/gamma", Json{{"subdomain", "gamma"}, {"display_name", "G"}, {"posts", Json::array()}, {"x", 1}})) == "feed.invalid_follow");
  CHECK(m.code(m.call("PUT", "/follows/ga%20mma", Json{{"subdomain", "gamma"}, {"display_name", "G"}, {"posts", Json::array()}})) == "feed.invalid_follow");
  CHECK(m.code(m.call("DELETE", "/items/bad%20id")) == "feed.invalid_item");
  CHECK(m.state()["items"] == before["items"]);
  CHECK(m.state()["follows"] == before["follows"]);
  CHECK(bodyOf(m.call("GET", "/follows"))["following"].size() == 1);

  // The caller must name this feed's reader.
  HttpResponse noReader = m.call("GET", "/feed", std::nullopt, "");
  CHECK(noReader.status == 400);
  CHECK(m.code(noReader) == "object.reader_missing");
  HttpResponse other2 = m.call("GET", "/feed", std::nullopt, "r_someoneelse");
  CHECK(other2.status == 400);
  CHECK(m.code(other2) == "object.identity_mismatch");
  CHECK(m.call("GET", "/nope").status == 404);
}

TEST_CASE("feed object: new items are pushed to open Meadow sockets; pings answered, anything else closes") {
  Meadow m;
  REQUIRE(m.follow("alpha", 5, m.w.now - kHour).status == 200);
  const std::string name = "feed:" + kReader;
  HttpResponse refused;
  CHECK(m.w.connectObject("FEED_DO", name, "/live", {{"x-lattice-reader", "r_other"}}, &refused).empty());
  CHECK(m.code(refused) == "object.identity_mismatch");
  HttpResponse plain = m.call("GET", "/live");
  CHECK(plain.status == 426);
  CHECK(m.code(plain) == "live.upgrade_required");

  const std::string a = m.w.connectObject("FEED_DO", name, "/live", {{"x-lattice-reader", kReader}});
  const std::string b = m.w.connectObject("FEED_DO", name, "/live", {{"x-lattice-reader", kReader}});
  REQUIRE(!a.empty());
  REQUIRE(!b.empty());
  Json item = preview("alpha", 42, m.w.now);
  REQUIRE(bodyOf(m.call("POST", "/items", Json{{"item", item}}))["new"] == true);
  for (const auto& s : {a, b}) {
    auto got = m.w.messagesOf(s);
    REQUIRE(got.size() == 1);
    CHECK(got[0] == Json{{"type", "item"}, {"item", item}});
  }
  // An update in place, or a back-dated new item, is not pushed.
  item["reactions"] = 3;
  REQUIRE(bodyOf(m.call("POST", "/items", Json{{"item", item}}))["new"] == false);
  REQUIRE(bodyOf(m.call("POST", "/items", Json{{"item", preview("alpha", 43, m.w.now - 30 * kHour)}}))["new"] == true);
  CHECK(m.w.messagesOf(a).size() == 1);
  // Deletions are pushed.
  REQUIRE(bodyOf(m.call("DELETE", "/items/p_alpha_42"))["removed"] == true);
  CHECK(m.w.messagesOf(a).back() == Json{{"type", "removed"}, {"post_id", "p_alpha_42"}});
  // Pings: the exact frame by the runtime, another spelling by the object.
  m.w.socketSend(a, R"({"type":"ping"})");
  m.w.socketSend(a, R"({ "type": "ping" })");
  CHECK(m.w.messagesOf(a).size() == 4);
  CHECK(m.w.messagesOf(a).back() == Json{{"type", "pong"}});
  CHECK(m.w.sockets.at(a).closeCode == 0);
  // Anything else closes that socket only.
  m.w.socketSend(a, R"({"type":"hello"})");
  CHECK(m.w.sockets.at(a).closeCode == 1008);
  CHECK(m.w.sockets.at(a).closeReason == "message.type_unknown");
  m.w.socketSend(b, "", 10);
  CHECK(m.w.sockets.at(b).closeCode == 1008);
  CHECK(m.w.sockets.at(b).closeReason == "frame.binary");
  const std::string c = m.w.connectObject("FEED_DO", name, "/live", {{"x-lattice-reader", kReader}});
  m.w.socketSend(c, std::string(5000, ' '));
  CHECK(m.w.sockets.at(c).closeCode == 1009);
  const std::string d = m.w.connectObject("FEED_DO", name, "/live", {{"x-lattice-reader", kReader}});
  m.w.socketSend(d, "not json");
  CHECK(m.w.sockets.at(d).closeReason == "frame.not_json");
  // A socket the client closed is simply gone.
  m.w.socketClose(d);
  REQUIRE(bodyOf(m.call("POST", "/items", Json{{"item", preview("alpha", 44, m.w.now)}}))["new"] == true);
  CHECK(m.w.messagesOf(d).size() == 0);
}

TEST_CASE("feed object: a warm feed read performs no D1 effect") {
  Meadow m;
  REQUIRE(m.follow("alpha", 50, m.w.now - kHour).status == 200);
  int d1 = 0;
  m.w.fault = [&](const Json& effect) -> std::optional<Json> {
    if (jsonString(effect, "kind").rfind("d1.", 0) == 0) ++d1;
    return std::nullopt;
  };
  const auto before = m.w.counters;
  CHECK(m.allIds("recent").size() == 50);
  CHECK(m.allIds("relevance").size() == 50);
  CHECK(m.call("GET", "/state").status == 200);
  CHECK(m.call("GET", "/follows").status == 200);
  CHECK(d1 == 0);
  CHECK(m.w.counters["d1.query"] == (before.count("d1.query") ? before.at("d1.query") : 0));
  CHECK(m.w.counters["d1.batch"] == (before.count("d1.batch") ? before.at("d1.batch") : 0));
  CHECK(m.state()["last_read_at"] == m.w.now);
}

TEST_CASE("feed object: a rebuild replaces follows and items wholesale") {
  Meadow m;
  REQUIRE(m.follow("alpha", 5, m.w.now - kHour).status == 200);
  CHECK(m.state()["synced_at"].is_null());
  CHECK(m.state()["last_read_at"].is_null());
  Json posts = Json::array();
  for (int i = 0; i < 4; ++i) posts.push_back(preview("beta", i, m.w.now - i * kHour));
  for (int i = 0; i < 3; ++i) posts.push_back(preview("gamma", i, m.w.now - i * kHour - 1));
  Json follows = Json::array({Json{{"tenant_id", "beta"}, {"subdomain", "beta"}, {"display_name", "Beta"}, {"followed_at", 5}},
                              Json{{"tenant_id", "gamma"}, {"subdomain", "gamma"}, {"display_name", "Gamma"}, {"followed_at", 6}}});
  // Posts of a tenant not in `follows`: refused, nothing changes.
  Json stray = posts;
  stray.push_back(preview("alpha", 9, m.w.now));
  HttpResponse bad = m.call("POST", "/rebuild", Json{{"follows", follows}, {"posts", stray}});
  CHECK(bad.status == 400);
  CHECK(m.code(bad) == "feed.invalid_item");
  CHECK(m.state()["items"] == 5);
  Json dup = follows;
  dup.push_back(follows[0]);
  CHECK(m.code(m.call("POST", "/rebuild", Json{{"follows", dup}, {"posts", posts}})) == "feed.invalid_follow");

  HttpResponse r = m.call("POST", "/rebuild", Json{{"follows", follows}, {"posts", posts}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(bodyOf(r) == Json{{"follows", 2}, {"items", 7}, {"evicted", 0}});
  Json state = m.state();
  CHECK(state["items"] == 7);
  CHECK(state["follows"] == 2);
  CHECK(state["synced_at"] == m.w.now);
  Json list = bodyOf(m.call("GET", "/follows"))["following"];
  REQUIRE(list.size() == 2);
  CHECK(list[0]["tenant_id"] == "gamma");  // newest follow first
  CHECK(list[0]["followed_at"] == 6);
  for (const auto& id : m.allIds()) CHECK(id.rfind("p_alpha_", 0) != 0);
}

TEST_CASE("feed object: everything survives a restart, cursors included") {
  std::map<std::string, std::unique_ptr<lattice::testing::SqliteDb>> storage;
  std::string recentCursor, relevanceCursor;
  std::vector<std::string> before, beforeRelevance;
  long long now = 0;
  {
    Meadow m;
    REQUIRE(m.follow("alpha", 40, m.w.now - kHour).status == 200);
    REQUIRE(m.follow("beta", 10, m.w.now - 2 * kHour).status == 200);
    before = m.allIds();
    beforeRelevance = m.allIds("relevance");
    recentCursor = jsonString(bodyOf(m.feed("?limit=10")), "next_cursor");
    relevanceCursor = jsonString(bodyOf(m.feed("?sort=relevance&limit=10")), "next_cursor");
    now = m.w.now;
    storage = std::move(m.w.objects);
  }
  Meadow fresh;  // a new engine and driver: only the objects' SQLite carries over
  fresh.w.now = now + 60 * 1000;
  fresh.w.objects = std::move(storage);
  CHECK(fresh.allIds() == before);
  CHECK(fresh.allIds("relevance").size() == beforeRelevance.size());
  CHECK(bodyOf(fresh.call("GET", "/follows"))["following"].size() == 2);
  HttpResponse next = fresh.feed("?limit=10&cursor=" + recentCursor);
  REQUIRE(next.status == 200);
  CHECK(bodyOf(next)["items"][0]["post_id"] == before[10]);
  HttpResponse nextRelevance = fresh.feed("?sort=relevance&limit=10&cursor=" + relevanceCursor);
  REQUIRE(nextRelevance.status == 200);
  CHECK(bodyOf(nextRelevance)["items"][0]["post_id"] == beforeRelevance[10]);
  CHECK(fresh.state()["last_read_at"] == fresh.w.now);
}
