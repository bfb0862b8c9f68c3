// The live channel's IO-free rules (src/durable/live.h): every close code and reason of
// parseClientMessage exactly, the 4 KiB boundary, flood control on a virtual clock, the socket
// attachment's round-trip and size, the LiveLog in real SQLite (append, catch-up, prune, reset),
// presence counting and the Origin check of the upgrade.
#include <doctest/doctest.h>

#include <string>
#include <variant>
#include <vector>

#include "durable/live.h"
#include "sqlite-db.h"

using lattice::ClientMessage;
using lattice::FloodDecision;
using lattice::Json;
using lattice::LiveLog;
using lattice::MessageError;
using lattice::SocketState;
using lattice::admit;
using lattice::countReaders;
using lattice::kMaxLiveFrameBytes;
using lattice::originAllowed;
using lattice::parseClientMessage;
using lattice::presenceMessage;
using lattice::testing::SqliteDb;
using lattice::testing::SqliteSql;

namespace {

constexpr long long kNow = 1795000000000;

ClientMessage parsed(const std::string& frame) {
  auto r = parseClientMessage(frame, false);
  if (auto* e = std::get_if<MessageError>(&r)) FAIL("unexpected close " << e->closeCode << " " << e->reason);
  return std::get<ClientMessage>(r);
}

void checkClose(const std::string& frame, int code, const std::string& reason, bool isBinary = false) {
  auto r = parseClientMessage(frame, isBinary);
  REQUIRE(std::holds_alternative<MessageError>(r));
  const auto& e = std::get<MessageError>(r);
  CHECK(e.closeCode == code);
  CHECK(e.reason == reason);
  CHECK(e.reason.size() <= lattice::kMaxCloseReasonBytes);
}

// A frame of exactly `size` bytes: {"type":"ping","pad":"xxxx"} is not valid (unknown field),
// so the padding is JSON whitespace, which a JSON text may carry.
std::string pingOfSize(size_t size) {
  std::string core = R"({"type":"ping"})";
  return core + std::string(size - core.size(), ' ');
}

std::vector<long long> seqs(const std::vector<Json>& events) {
  std::vector<long long> out;
  for (const auto& e : events) out.push_back(lattice::jsonInt(e, "seq"));
  return out;
}

bool isReset(const std::vector<Json>& events, long long seq) {
  return events.size() == 1 && events[0] == Json{{"type", "reset"}, {"seq", seq}};
}

struct Object {
  SqliteDb db;
  SqliteSql sql{db};
  LiveLog log{sql};
};

}  // namespace

TEST_CASE("parseClientMessage: hello, ping and react") {
  auto hello = parsed(R"({"type":"hello"})");
  CHECK(hello.type == ClientMessage::Type::Hello);
  CHECK(!hello.since);
  auto since = parsed(R"({"type":"hello","since":42})");
  CHECK(since.since == 42);
  CHECK(parsed(R"({"type":"hello","since":0})").since == 0);
  CHECK(parsed(R"({"type":"hello","since":9223372036854775807})").since == 9223372036854775807LL);

  CHECK(parsed(R"({"type":"ping"})").type == ClientMessage::Type::Ping);
  CHECK(parsed(" \n{ \"type\" : \"ping\" }\t").type == ClientMessage::Type::Ping);

  auto react = parsed(R"({"type":"react","reaction":"heart"})");
  CHECK(react.type == ClientMessage::Type::React);
  CHECK(react.reaction == "heart");
  CHECK(react.requestId.empty());
  auto withId = parsed(R"({"type":"react","reaction":"thumbs_up-2","requestId":"Req_1-ab"})");
  CHECK(withId.reaction == "thumbs_up-2");
  CHECK(withId.requestId == "Req_1-ab");
  CHECK(parsed(R"({"type":"react","reaction":")" + std::string(32, 'a') + R"("})").reaction.size() == 32);
  CHECK(parsed(R"({"type":"react","reaction":"x","requestId":")" + std::string(64, 'R') + R"("})").requestId.size() ==
        64);
}

TEST_CASE("parseClientMessage: every close code and reason, exactly") {
  checkClose("anything", 1008, "frame.binary", /*isBinary=*/true);
  checkClose(R"({"type":"ping"})", 1008, "frame.binary", /*isBinary=*/true);
  checkClose("", 1008, "frame.not_json");
  checkClose("hello", 1008, "frame.not_json");
  checkClose(R"({"type":"ping")", 1008, "frame.not_json");
  checkClose(R"({"type":"ping"} {})", 1008, "frame.not_json");
  checkClose("{\"type\":\"\xff\"}", 1008, "frame.not_json");  // not UTF-8
  checkClose(std::string(65, '[') + std::string(65, ']'), 1008, "frame.not_json");  // too deep
  checkClose("[]", 1008, "message.not_object");
  checkClose(R"("ping")", 1008, "message.not_object");
  checkClose("null", 1008, "message.not_object");
  checkClose("42", 1008, "message.not_object");

  checkClose("{}", 1008, "message.type_unknown");
  checkClose(R"({"type":null})", 1008, "message.type_unknown");
  checkClose(R"({"type":1})", 1008, "message.type_unknown");
  checkClose(R"({"type":["ping"]})", 1008, "message.type_unknown");
  checkClose(R"({"type":"PING"})", 1008, "message.type_unknown");
  checkClose(R"({"type":"subscribe"})", 1008, "message.type_unknown");
  checkClose(R"({"since":3})", 1008, "message.type_unknown");

  checkClose(R"({"type":"ping","x":1})", 1008, "message.field_invalid");
  checkClose(R"({"type":"hello","reaction":"heart"})", 1008, "message.field_invalid");
  checkClose(R"({"type":"hello","since":-1})", 1008, "message.field_invalid");
  checkClose(R"({"type":"hello","since":1.5})", 1008, "message.field_invalid");
  checkClose(R"({"type":"hello","since":"3"})", 1008, "message.field_invalid");
  checkClose(R"({"type":"hello","since":null})", 1008, "message.field_invalid");
  checkClose(R"({"type":"hello","since":18446744073709551615})", 1008, "message.field_invalid");
  checkClose(R"({"type":"react"})", 1008, "message.field_invalid");
  checkClose(R"({"type":"react","reaction":""})", 1008, "message.field_invalid");
  checkClose(R"({"type":"react","reaction":"Heart"})", 1008, "message.field_invalid");
  checkClose(R"({"type":"react","reaction":"he art"})", 1008, "message.field_invalid");
  checkClose(R"({"type":"react","reaction":7})", 1008, "message.field_invalid");
  checkClose(R"({"type":"react","reaction":")" + std::string(33, 'a') + R"("})", 1008, "message.field_invalid");
  checkClose(R"({"type":"react","reaction":"heart","requestId":""})", 1008, "message.field_invalid");
  checkClose(R"({"type":"react","reaction":"heart","requestId":"short-7"})", 1008, "message.field_invalid");
  checkClose(R"({"type":"react","reaction":"heart","requestId":"abcd:efgh"})", 1008, "message.field_invalid");
  checkClose(R"({"type":"react","reaction":"heart","requestId":5})", 1008, "message.field_invalid");
  checkClose(R"({"type":"react","reaction":"heart","requestId":")" + std::string(65, 'r') + R"("})", 1008,
             "message.field_invalid");
  checkClose(R"({"type":"react","reaction":"heart","since":1})", 1008, "message.field_invalid");

  auto flood = lattice::floodClose();
  CHECK(flood.closeCode == 1008);
  CHECK(flood.reason == "flood");
}

TEST_CASE("parseClientMessage: the 4 KiB boundary") {
  CHECK(kMaxLiveFrameBytes == 4096);
  CHECK(pingOfSize(4096).size() == 4096);
  CHECK(parsed(pingOfSize(4096)).type == ClientMessage::Type::Ping);
  checkClose(pingOfSize(4097), 1009, "frame.too_big");
  // Size comes first: an oversized binary or malformed frame is "too big", not anything else.
  checkClose(std::string(4097, 'x'), 1009, "frame.too_big");
  checkClose(std::string(4097, '\0'), 1009, "frame.too_big", /*isBinary=*/true);
  checkClose(std::string(1 << 20, '['), 1009, "frame.too_big");
  checkClose(std::string(4096, 'x'), 1008, "frame.not_json");
}

TEST_CASE("flood control: burst, refill, strikes, close") {
  SocketState s = SocketState::opened("reader-1", 0, kNow);
  long long t = kNow;
  // A burst of 20 at one instant is fine.
  for (int i = 0; i < 20; ++i) CHECK(admit(s, t) == FloodDecision::Accept);
  // The 21st is dropped with a strike.
  CHECK(admit(s, t) == FloodDecision::Drop);
  CHECK(s.strikes == 1);
  // 100 ms later one token has come back.
  t += 100;
  CHECK(admit(s, t) == FloodDecision::Accept);
  CHECK(admit(s, t) == FloodDecision::Drop);
  CHECK(s.strikes == 2);
  // 10 messages per second, evenly spaced, are sustainable forever.
  for (int i = 0; i < 100; ++i) {
    t += 100;
    CHECK(admit(s, t) == FloodDecision::Accept);
  }
  CHECK(s.strikes == 2);  // not yet forgiven: the bucket never refilled
  // Three more drops: the fifth strike closes.
  CHECK(admit(s, t) == FloodDecision::Drop);
  CHECK(admit(s, t) == FloodDecision::Drop);
  CHECK(s.strikes == 4);
  CHECK(admit(s, t) == FloodDecision::Close);
  CHECK(admit(s, t) == FloodDecision::Close);  // and stays closed if asked again
}

TEST_CASE("flood control: a quiet bucket forgives strikes; a clock going backwards refills nothing") {
  SocketState s = SocketState::opened("", 0, kNow);
  long long t = kNow;
  for (int i = 0; i < 20; ++i) admit(s, t);
  for (int i = 0; i < 4; ++i) CHECK(admit(s, t) == FloodDecision::Drop);
  CHECK(s.strikes == 4);
  // 1.9 s refills 19 tokens: not full, strikes stay.
  CHECK(admit(s, t + 1900) == FloodDecision::Accept);
  CHECK(s.strikes == 4);
  // Two seconds of quiet after that: full again, forgiven.
  t += 1900 + 2000;
  CHECK(admit(s, t) == FloodDecision::Accept);
  CHECK(s.strikes == 0);
  CHECK(s.tokens == doctest::Approx(19));

  // Time going backwards neither refills nor moves refilledAt back.
  SocketState b = SocketState::opened("", 0, kNow);
  for (int i = 0; i < 20; ++i) admit(b, kNow);
  CHECK(admit(b, kNow - 60000) == FloodDecision::Drop);
  CHECK(b.refilledAt == kNow);
  CHECK(admit(b, kNow + 100) == FloodDecision::Accept);

  // A steady 11 messages per second is closed within seconds.
  SocketState f = SocketState::opened("", 0, kNow);
  long long at = kNow;
  int sent = 0;
  FloodDecision d = FloodDecision::Accept;
  while (d != FloodDecision::Close && sent < 1000) {
    at += 1000 / 11;
    d = admit(f, at);
    ++sent;
  }
  CHECK(d == FloodDecision::Close);
  CHECK(at - kNow < 30000);
}

TEST_CASE("socket state: attachment round-trip and size bound") {
  SocketState s = SocketState::opened("reader-abc", 17, kNow);
  admit(s, kNow);
  admit(s, kNow + 33);
  s.strikes = 3;
  Json j = s.toJson();
  auto back = SocketState::fromJson(*lattice::parseJson(lattice::dumpJson(j)));
  REQUIRE(back);
  CHECK(back->readerId == "reader-abc");
  CHECK(back->lastSeq == 17);
  CHECK(back->tokens == doctest::Approx(s.tokens));
  CHECK(back->refilledAt == kNow + 33);
  CHECK(back->strikes == 3);
  CHECK(back->toJson() == j);

  // The largest state allowed stays under 2 KiB (and readerIds that need escaping too).
  SocketState big = SocketState::opened(std::string(lattice::kMaxReaderIdBytes, '"'), 9223372036854775807LL, -1);
  big.tokens = 0.1234567890123;
  big.strikes = lattice::kFloodMaxStrikes;
  CHECK(lattice::dumpJson(big.toJson()).size() <= lattice::kMaxSocketStateBytes);
  CHECK(SocketState::fromJson(big.toJson()));

  // Anything insane does not read back.
  auto broken = [&](const char* key, Json value) {
    Json k = s.toJson();
    k[key] = std::move(value);
    return !SocketState::fromJson(k);
  };
  CHECK(!SocketState::fromJson(Json::array()));
  CHECK(!SocketState::fromJson(Json::object()));
  CHECK(broken("readerId", nullptr));
  CHECK(broken("readerId", std::string(lattice::kMaxReaderIdBytes + 1, 'r')));
  CHECK(broken("lastSeq", -1));
  CHECK(broken("lastSeq", "1"));
  CHECK(broken("tokens", -0.5));
  CHECK(broken("tokens", 20.5));
  CHECK(broken("tokens", "5"));
  CHECK(broken("refilledAt", 1.5));
  CHECK(broken("strikes", 6));
  CHECK(broken("strikes", -1));
  Json missing = s.toJson();
  missing.erase("strikes");
  CHECK(!SocketState::fromJson(missing));
  CHECK(SocketState::fromJson(s.toJson()));  // the lambda copies, s is intact
}

TEST_CASE("live log: append and catch-up") {
  Object o;
  CHECK(o.log.lastSeq() == 0);
  CHECK(o.log.since(0, 10).empty());
  CHECK(o.log.append("reaction", {{"reaction", "heart"}, {"count", 3}}, kNow) == 1);
  CHECK(o.log.append("comment", {{"id", "c1"}, {"seq", 99}, {"type", "spoof"}, {"at", 5}}, kNow + 1) == 2);
  CHECK(o.log.append("presence", Json::object(), kNow + 2) == 3);
  CHECK(o.log.append("bad", Json::array(), kNow) == -1);
  CHECK(o.log.append("bad", "text", kNow) == -1);
  CHECK(o.log.lastSeq() == 3);  // failed appends use no seq

  auto all = o.log.since(0, 10);
  REQUIRE(all.size() == 3);
  CHECK(all[0] == Json{{"seq", 1}, {"type", "reaction"}, {"at", kNow}, {"reaction", "heart"}, {"count", 3}});
  CHECK(all[1] == Json{{"seq", 2}, {"type", "comment"}, {"at", kNow + 1}, {"id", "c1"}});  // reserved keys win
  CHECK(all[2] == Json{{"seq", 3}, {"type", "presence"}, {"at", kNow + 2}});
  CHECK(seqs(o.log.since(1, 10)) == std::vector<long long>{2, 3});
  CHECK(seqs(o.log.since(2, 2)) == std::vector<long long>{3});
  CHECK(o.log.since(3, 10).empty());  // up to date

  // Exactly `max` pending is a catch-up; one more is a reset, never a partial catch-up.
  CHECK(seqs(o.log.since(0, 3)) == std::vector<long long>{1, 2, 3});
  CHECK(isReset(o.log.since(0, 2), 3));
  CHECK(isReset(o.log.since(2, 0), 3));
  // A seq from the future (say, storage was reset) or a negative one: reset.
  CHECK(isReset(o.log.since(4, 10), 3));
  CHECK(isReset(o.log.since(-1, 10), 3));

  LiveLog reopened(o.sql);  // kept in storage, not in memory
  CHECK(reopened.lastSeq() == 3);
  CHECK(reopened.append("reaction", Json::object(), kNow) == 4);
}

TEST_CASE("live log: prune keeps the newest and never reuses a seq") {
  Object o;
  for (int i = 1; i <= 600; ++i) REQUIRE(o.log.append("reaction", {{"n", i}}, kNow + i) == i);
  o.log.prune(lattice::kLiveLogKeep);
  CHECK(lattice::jsonInt(o.db.run("SELECT count(*) AS n FROM live_log", Json::array())["rows"][0], "n") == 500);
  // seq 100 was pruned: a client that saw 99 cannot catch up; one that saw 100 can.
  CHECK(isReset(o.log.since(99, 1000), 600));
  auto fromHundred = o.log.since(100, 1000);
  REQUIRE(fromHundred.size() == 500);
  CHECK(lattice::jsonInt(fromHundred.front(), "seq") == 101);
  CHECK(lattice::jsonInt(fromHundred.front(), "n") == 101);
  CHECK(lattice::jsonInt(fromHundred.back(), "seq") == 600);
  CHECK(seqs(o.log.since(598, 1000)) == std::vector<long long>{599, 600});

  o.log.prune(500);  // nothing more to prune
  CHECK(o.log.since(100, 1000).size() == 500);

  // Even with everything pruned, the next seq goes on from the last.
  o.log.prune(0);
  CHECK(o.log.lastSeq() == 600);
  CHECK(o.log.since(600, 10).empty());
  CHECK(isReset(o.log.since(599, 10), 600));
  CHECK(o.log.append("reaction", Json::object(), kNow) == 601);
  CHECK(seqs(o.log.since(600, 10)) == std::vector<long long>{601});
  CHECK(isReset(o.log.since(0, 10000), 601));
}

TEST_CASE("presence: message and distinct readers") {
  CHECK(presenceMessage(3, 17) == Json{{"type", "presence"}, {"reading", 3}, {"seq", 17}});
  CHECK(presenceMessage(-1, 0) == Json{{"type", "presence"}, {"reading", 0}, {"seq", 0}});

  CHECK(countReaders({}) == 0);
  auto socket = [](std::string reader) { return SocketState::opened(std::move(reader), 0, kNow); };
  // Alice on two tabs counts once; Bob once; two anonymous sockets count twice.
  CHECK(countReaders({socket("alice"), socket("bob"), socket("alice"), socket(""), socket("")}) == 4);
  CHECK(countReaders({socket("alice"), socket("alice"), socket("alice")}) == 1);
  CHECK(countReaders({socket(""), socket(""), socket("")}) == 3);
  CHECK(countReaders({socket("Alice"), socket("alice")}) == 2);  // ids are exact
}

TEST_CASE("originAllowed: same host, http or https, nothing else") {
  CHECK(originAllowed("http://demo.localhost:8787", "demo.localhost:8787"));
  CHECK(originAllowed("https://demo.example.com", "demo.example.com"));
  CHECK(originAllowed("http://demo.example.com", "demo.example.com"));
  // Case of scheme and host does not matter.
  CHECK(originAllowed("HTTPS://Demo.Example.COM", "demo.example.com"));
  CHECK(originAllowed("https://demo.example.com", "DEMO.example.com"));
  // A default port may be written on either side.
  CHECK(originAllowed("https://demo.example.com:443", "demo.example.com"));
  CHECK(originAllowed("https://demo.example.com", "demo.example.com:443"));
  CHECK(originAllowed("http://demo.example.com", "demo.example.com:80"));
  CHECK(originAllowed("http://127.0.0.1:8787", "127.0.0.1:8787"));
  CHECK(originAllowed("http://[::1]:8787", "[::1]:8787"));

  // Ports.
  CHECK(!originAllowed("http://demo.localhost:8788", "demo.localhost:8787"));
  CHECK(!originAllowed("http://demo.localhost", "demo.localhost:8787"));
  CHECK(!originAllowed("http://demo.localhost:8787", "demo.localhost"));
  CHECK(!originAllowed("https://demo.example.com:80", "demo.example.com"));
  CHECK(!originAllowed("http://demo.example.com:443", "demo.example.com"));
  CHECK(!originAllowed("http://demo.localhost:", "demo.localhost"));
  CHECK(!originAllowed("http://demo.localhost:0", "demo.localhost:0"));
  CHECK(!originAllowed("http://demo.localhost:65536", "demo.localhost:65536"));
  CHECK(!originAllowed("http://demo.localhost:08787", "demo.localhost:8787"));  // never how browsers write it
  CHECK(!originAllowed("http://demo.localhost:8787", "demo.localhost:08787"));

  // Empty, null and other schemes.
  CHECK(!originAllowed("", "demo.localhost"));
  CHECK(!originAllowed("null", "demo.localhost"));
  CHECK(!originAllowed("ws://demo.localhost", "demo.localhost"));
  CHECK(!originAllowed("file://demo.localhost", "demo.localhost"));
  CHECK(!originAllowed("demo.localhost", "demo.localhost"));
  CHECK(!originAllowed("//demo.localhost", "demo.localhost"));
  CHECK(!originAllowed("http://demo.localhost", ""));
  CHECK(!originAllowed("http://", ""));

  // Lookalikes and other hosts.
  CHECK(!originAllowed("http://demo.localhost.evil.com", "demo.localhost"));
  CHECK(!originAllowed("http://evil.com", "demo.localhost"));
  CHECK(!originAllowed("http://evildemo.localhost", "demo.localhost"));
  CHECK(!originAllowed("http://other.localhost", "demo.localhost"));
  CHECK(!originAllowed("http://localhost", "demo.localhost"));
  CHECK(!originAllowed("http://demo.localhost", "localhost"));
  CHECK(!originAllowed("http://demo.localhost@evil.com", "demo.localhost"));
  CHECK(!originAllowed("http://evil.com@demo.localhost", "demo.localhost"));
  CHECK(!originAllowed("http://demo.localhost/", "demo.localhost"));
  CHECK(!originAllowed("http://demo.localhost/path", "demo.localhost"));
  CHECK(!originAllowed("http://demo.localhost?x", "demo.localhost"));
  CHECK(!originAllowed("http://demo.localhost.", "demo.localhost"));
  CHECK(!originAllowed("http://demo.localhost ", "demo.localhost"));
  CHECK(!originAllowed(" http://demo.localhost", "demo.localhost"));
  CHECK(!originAllowed(std::string("http://demo.localhost\0.evil.com", 31), "demo.localhost"));
  CHECK(!originAllowed("http://demo.localhost:8787.evil.com", "demo.localhost:8787"));
}
