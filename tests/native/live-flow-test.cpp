// The live channel of a post through the Worker and its PostMetaDO: the upgrade's checks,
// broadcasts with sequence numbers, catch-up, presence, and sockets closed for bad frames or a
// flood while the object keeps serving the others. (The native driver keeps sockets as the
// hibernation API does: by tag, with their attachment, so every event starts from storage.)
#include <doctest/doctest.h>

#include "cache-fixture.h"

using namespace cachetest;
using lattice::jsonString;
using lattice::testing::bodyOf;

namespace {

const std::string kOrigin = "http://demo.localhost:8787";

struct Live : Blog {
  std::string postId;
  Live() {
    postId = jsonString(add("p"), "id");
    add("draft", "draft", "");
  }
  std::string open() {
    HttpResponse refused;
    std::string id = w.connect(kDemo, "/api/posts/p/live", kOrigin, &refused);
    INFO(refused.body);
    REQUIRE(!id.empty());
    return id;
  }
  std::string reader(const std::string& name) {
    HttpResponse r = w.request("POST", kDemo, "/api/readers", {{"content-type", "application/json"}},
                               Json{{"name", name}}.dump());
    REQUIRE(r.status == 201);
    return jsonString(bodyOf(r), "token");
  }
  HttpResponse react(const std::string& token, const std::string& type) {
    return w.request("POST", kDemo, "/api/posts/p/reactions",
                     {{"authorization", "Bearer " + token}, {"content-type", "application/json"}},
                     Json{{"type", type}}.dump());
  }
  // The messages of `type` socket `id` received.
  std::vector<Json> of(const std::string& id, const std::string& type) {
    std::vector<Json> out;
    for (const Json& m : w.messagesOf(id))
      if (jsonString(m, "type") == type) out.push_back(m);
    return out;
  }
};

}  // namespace

TEST_CASE("live: the upgrade needs WebSocket, this blog's Origin and a public post") {
  Live l;
  HttpResponse refused;
  CHECK(l.w.connect(kDemo, "/api/posts/p/live", "https://evil.example", &refused).empty());
  CHECK(refused.status == 403);
  CHECK(jsonString(errorOf(refused), "code") == "live.origin_forbidden");
  for (const std::string origin : {"", "null", "http://demo.localhost:8787.evil.com", "http://autumn.localhost:8787"}) {
    INFO(origin);
    CHECK(l.w.connect(kDemo, "/api/posts/p/live", origin, &refused).empty());
    CHECK(jsonString(errorOf(refused), "code") == "live.origin_forbidden");
  }
  HttpResponse plain = l.w.request("GET", kDemo, "/api/posts/p/live", {{"origin", kOrigin}});
  CHECK(plain.status == 426);
  CHECK(jsonString(errorOf(plain), "code") == "live.upgrade_required");
  CHECK(l.w.connect(kDemo, "/api/posts/draft/live", kOrigin, &refused).empty());
  CHECK(jsonString(errorOf(refused), "code") == "post.not_found");
  CHECK(l.w.request("POST", kDemo, "/api/posts/p/live").status == 405);
  // A client cannot pass itself off as the owner through the upgrade's headers.
  std::string id = l.w.connect(kDemo, "/api/posts/p/live", kOrigin, nullptr, {{"x-lattice-owner", "1"}, {"x-lattice-reader", "r_forged"}});
  REQUIRE(!id.empty());
  CHECK(jsonString(l.w.sockets.at(id).attachment, "readerId") == "");
  CHECK(l.w.sockets.size() == 1);
}

TEST_CASE("live: readers see reactions, comments and presence as they happen, with sequence numbers") {
  Live l;
  const std::string a = l.open();
  CHECK(l.of(a, "presence").back()["reading"] == 1);
  const std::string b = l.open();
  CHECK(l.of(a, "presence").back()["reading"] == 2);
  CHECK(l.of(b, "presence").back()["reading"] == 2);

  const std::string ada = l.reader("Ada");
  REQUIRE(l.react(ada, "like").status == 200);
  for (const auto& id : {a, b}) {
    auto events = l.of(id, "reactions");
    REQUIRE(events.size() == 1);
    CHECK(events[0]["counts"]["like"] == 1);
    CHECK(events[0]["seq"] == 1);
  }
  HttpResponse c = l.w.request("POST", kDemo, "/api/posts/p/comments",
                               {{"authorization", "Bearer " + ada}, {"content-type", "application/json"}},
                               R"({"body":"hello *world*"})");
  REQUIRE(c.status == 201);
  auto comments = l.of(b, "comment");
  REQUIRE(comments.size() == 1);
  CHECK(comments[0]["seq"] == 2);
  CHECK(jsonString(comments[0]["comment"], "html") == "<p>hello <em>world</em></p>\n");
  CHECK_FALSE(comments[0]["comment"].contains("reader_id"));
  // The owner hides it: readers get the placeholder.
  const std::string commentId = jsonString(comments[0]["comment"], "id");
  REQUIRE(l.w.api("PUT", kDemo, "/api/posts/p/comments/" + commentId, l.token, Json{{"hidden", true}}).status == 200);
  auto updates = l.of(a, "comment_update");
  REQUIRE(updates.size() == 1);
  CHECK(updates[0]["comment"]["hidden"] == true);
  CHECK_FALSE(updates[0]["comment"].contains("body"));

  // One leaves: the other sees presence drop.
  l.w.socketClose(b);
  CHECK(l.of(a, "presence").back()["reading"] == 1);
  // Ping is answered by the runtime, without waking the object.
  const long long before = l.w.counters["ws.list"];
  l.w.socketSend(a, R"({"type":"ping"})");
  CHECK(l.w.messagesOf(a).back() == Json({{"type", "pong"}}));
  CHECK(l.w.counters["ws.list"] == before);
}

TEST_CASE("live: a reconnecting reader catches up from its last seq; too far behind gets a reset") {
  Live l;
  const std::string ada = l.reader("Ada");
  for (int i = 0; i < 5; ++i) REQUIRE(l.react(ada, i % 2 ? "love" : "like").status == 200);
  const std::string s = l.open();
  l.w.socketSend(s, R"({"type":"hello","since":2})");
  auto missed = l.of(s, "reactions");
  REQUIRE(missed.size() == 3);
  CHECK(missed[0]["seq"] == 3);
  CHECK(missed[2]["seq"] == 5);
  CHECK(missed[2]["counts"]["like"] == 1);
  CHECK(l.of(s, "presence").back()["seq"] == 5);
  // A seq from the future (e.g. the object's storage was reset) is a reset, never silence.
  l.w.socketSend(s, R"({"type":"hello","since":99})");
  auto resets = l.of(s, "reset");
  REQUIRE(resets.size() == 1);
  CHECK(resets[0]["seq"] == 5);
}

TEST_CASE("live: malformed, oversized and binary frames close only their socket, with 1008/1009") {
  Live l;
  const std::string good = l.open();
  struct Bad {
    std::string frame;
    long long binary;
    int code;
    std::string reason;
  };
  const std::vector<Bad> cases = {
      {"not json", -1, 1008, "frame.not_json"},
      {"[1,2]", -1, 1008, "message.not_object"},
      {R"({"type":"shout"})", -1, 1008, "message.type_unknown"},
      {R"({"type":"hello","since":-1})", -1, 1008, "message.field_invalid"},
      {R"({"type":"ping","extra":1})", -1, 1008, "message.field_invalid"},
      {std::string(5000, 'x'), -1, 1009, "frame.too_big"},
      {"", 10, 1008, "frame.binary"},
      {"", 100000, 1009, "frame.too_big"},
  };
  for (const auto& c : cases) {
    INFO(c.reason);
    const std::string s = l.open();
    l.w.socketSend(s, c.frame, c.binary);
    CHECK(l.w.sockets.at(s).closeCode == c.code);
    CHECK(l.w.sockets.at(s).closeReason == c.reason);
  }
  CHECK(l.w.sockets.at(good).closeCode == 0);
  CHECK(l.of(good, "presence").back()["reading"] == 1);
  // The object still serves the good socket.
  REQUIRE(l.react(l.reader("Ada"), "like").status == 200);
  CHECK(l.of(good, "reactions").size() == 1);
  // A socket whose attachment does not read back is closed, not trusted.
  const std::string odd = l.open();
  l.w.sockets.at(odd).attachment = Json{{"readerId", 7}};
  l.w.socketSend(odd, R"({"type":"hello"})");
  CHECK(l.w.sockets.at(odd).closeReason == "state.invalid");
}

TEST_CASE("live: a socket that floods is closed with 1008 \"flood\"; a burst now and then is fine") {
  Live l;
  const std::string calm = l.open(), flood = l.open();
  for (int i = 0; i < 20; ++i) l.w.socketSend(calm, R"({"type":"hello"})");
  CHECK(l.w.sockets.at(calm).closeCode == 0);
  for (int i = 0; i < 40 && l.w.sockets.at(flood).closeCode == 0; ++i) l.w.socketSend(flood, R"({"type":"hello"})");
  CHECK(l.w.sockets.at(flood).closeCode == 1008);
  CHECK(l.w.sockets.at(flood).closeReason == "flood");
  l.w.now += 3000;  // quiet: the bucket refills and strikes are forgiven
  for (int i = 0; i < 20; ++i) l.w.socketSend(calm, R"({"type":"hello"})");
  CHECK(l.w.sockets.at(calm).closeCode == 0);
}

TEST_CASE("live: reactions over the socket need a reader; anonymous sockets get an error message") {
  Live l;
  const std::string s = l.open();
  l.w.socketSend(s, R"({"type":"react","reaction":"like","requestId":"abcdefgh"})");
  auto errors = l.of(s, "error");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0]["code"] == "reader.missing_token");
  CHECK(l.w.sockets.at(s).closeCode == 0);
  // With a reader token on the upgrade (non-browser clients can send one), the toggle works.
  const std::string ada = l.reader("Ada");
  const std::string r = l.w.connect(kDemo, "/api/posts/p/live", kOrigin, nullptr, {{"authorization", "Bearer " + ada}});
  REQUIRE(!r.empty());
  l.w.socketSend(r, R"({"type":"react","reaction":"like","requestId":"abcdefgh"})");
  CHECK(l.of(s, "reactions").back()["counts"]["like"] == 1);
  l.w.socketSend(r, R"({"type":"react","reaction":"nope"})");
  CHECK(l.of(r, "error").back()["code"] == "reaction.type_invalid");
}
