#include "durable/live.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <set>

namespace lattice {

namespace {

// seq is assigned by append from live_log_state, never by SQLite, so it is never reused.
constexpr std::string_view kCreateLog = R"(
  CREATE TABLE IF NOT EXISTS live_log (
    seq     INTEGER PRIMARY KEY,
    type    TEXT NOT NULL,
    at      INTEGER NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}'
  ))";

// One row: the newest seq ever appended, kept apart from the log so pruning cannot lose it.
constexpr std::string_view kCreateState = R"(
  CREATE TABLE IF NOT EXISTS live_log_state (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq INTEGER NOT NULL
  ))";

constexpr std::string_view kInitState = "INSERT OR IGNORE INTO live_log_state (id, last_seq) VALUES (1, 0)";

// The counter follows every insert inside the same statement, so an append either stores the
// event and uses its seq or does neither.
constexpr std::string_view kCreateTrigger = R"(
  CREATE TRIGGER IF NOT EXISTS live_log_after_insert AFTER INSERT ON live_log BEGIN
    UPDATE live_log_state SET last_seq = NEW.seq WHERE id = 1 AND last_seq < NEW.seq;
  END)";

constexpr std::string_view kAppend = R"(
  INSERT INTO live_log (seq, type, at, payload)
  SELECT last_seq + 1, ?1, ?2, ?3 FROM live_log_state WHERE id = 1
  RETURNING seq)";

constexpr std::string_view kLastSeq = "SELECT last_seq FROM live_log_state WHERE id = 1";

constexpr std::string_view kOldestSeq = "SELECT min(seq) AS seq FROM live_log";

constexpr std::string_view kSince = R"(
  SELECT seq, type, at, payload FROM live_log WHERE seq > ?1 ORDER BY seq LIMIT ?2)";

constexpr std::string_view kPrune = R"(
  DELETE FROM live_log WHERE seq <= (SELECT last_seq FROM live_log_state WHERE id = 1) - ?1)";

MessageError policy(std::string reason) { return MessageError{kClosePolicyViolation, std::move(reason)}; }

bool isIdChar(char c, bool upper) {
  return (c >= 'a' && c <= 'z') || (upper && c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool validToken(const Json& v, size_t minChars, size_t maxChars, bool upper) {
  if (!v.is_string()) return false;
  const auto& s = v.get_ref<const std::string&>();
  return s.size() >= minChars && s.size() <= maxChars &&
         std::all_of(s.begin(), s.end(), [upper](char c) { return isIdChar(c, upper); });
}

// A JSON integer that fits a long long.
bool isInt(const Json& v) {
  return v.is_number_integer() && !(v.is_number_unsigned() && v.get<unsigned long long>() > LLONG_MAX);
}

bool onlyFields(const Json& j, std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : j.items())
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) return false;
  return true;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// host[:port] as in a Host header or an origin's authority, lower-cased, with the port made
// explicit (`defaultPort` when absent). nullopt for anything else: userinfo, a path, spaces, an
// empty host or port, a port out of range or with a leading zero (never how a browser writes it).
struct Authority {
  std::string host;
  long port = 0;
  bool operator==(const Authority&) const = default;
};

std::optional<Authority> parseAuthority(std::string_view s, long defaultPort) {
  Authority a;
  std::string_view rest;
  if (!s.empty() && s[0] == '[') {  // an IPv6 literal
    size_t close = s.find(']');
    if (close == std::string_view::npos || close < 2) return std::nullopt;
    for (char c : s.substr(1, close - 1)) {
      char l = lower(c);
      if (!((l >= '0' && l <= '9') || (l >= 'a' && l <= 'f') || l == ':' || l == '.')) return std::nullopt;
      a.host += l;
    }
    a.host = "[" + a.host + "]";
    rest = s.substr(close + 1);
  } else {
    size_t colon = s.find(':');
    std::string_view name = s.substr(0, colon);
    if (name.empty() || name.size() > 253) return std::nullopt;
    for (char c : name) {
      char l = lower(c);
      if (!((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '.' || l == '-')) return std::nullopt;
      a.host += l;
    }
    rest = colon == std::string_view::npos ? std::string_view() : s.substr(colon);
  }
  if (rest.empty()) {
    a.port = defaultPort;
    return a;
  }
  if (rest[0] != ':' || rest.size() < 2 || rest.size() > 6 || rest[1] == '0') return std::nullopt;
  long port = 0;
  for (char c : rest.substr(1)) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + (c - '0');
  }
  if (port < 1 || port > 65535) return std::nullopt;
  a.port = port;
  return a;
}

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (lower(s[i]) != prefix[i]) return false;
  return true;
}

}  // namespace

std::variant<ClientMessage, MessageError> parseClientMessage(std::string_view frame, bool isBinary) {
  if (frame.size() > kMaxLiveFrameBytes) return MessageError{kCloseMessageTooBig, "frame.too_big"};
  if (isBinary) return policy("frame.binary");
  std::optional<Json> parsed = parseJson(frame);
  if (!parsed) return policy("frame.not_json");
  const Json& j = *parsed;
  if (!j.is_object()) return policy("message.not_object");

  const Json& type = jsonValue(j, "type");
  if (!type.is_string()) return policy("message.type_unknown");
  ClientMessage m;
  if (type == "hello") {
    m.type = ClientMessage::Type::Hello;
    if (!onlyFields(j, {"type", "since"})) return policy("message.field_invalid");
    if (auto it = j.find("since"); it != j.end()) {
      if (!isInt(*it) || it->get<long long>() < 0) return policy("message.field_invalid");
      m.since = it->get<long long>();
    }
  } else if (type == "ping") {
    m.type = ClientMessage::Type::Ping;
    if (!onlyFields(j, {"type"})) return policy("message.field_invalid");
  } else if (type == "react") {
    m.type = ClientMessage::Type::React;
    if (!onlyFields(j, {"type", "reaction", "requestId"})) return policy("message.field_invalid");
    const Json& reaction = jsonValue(j, "reaction");
    if (!validToken(reaction, 1, kMaxReactionChars, /*upper=*/false)) return policy("message.field_invalid");
    m.reaction = reaction.get<std::string>();
    if (auto it = j.find("requestId"); it != j.end()) {
      if (!validToken(*it, kMinRequestIdChars, kMaxRequestIdChars, /*upper=*/true)) return policy("message.field_invalid");
      m.requestId = it->get<std::string>();
    }
  } else {
    return policy("message.type_unknown");
  }
  return m;
}

SocketState SocketState::opened(std::string readerId, long long lastSeq, long long now) {
  SocketState s;
  s.readerId = std::move(readerId);
  s.lastSeq = lastSeq;
  s.tokens = kFloodBurst;
  s.refilledAt = now;
  s.strikes = 0;
  return s;
}

Json SocketState::toJson() const {
  return {{"readerId", readerId}, {"lastSeq", lastSeq}, {"tokens", tokens}, {"refilledAt", refilledAt},
          {"strikes", strikes}};
}

std::optional<SocketState> SocketState::fromJson(const Json& json) {
  if (!json.is_object()) return std::nullopt;
  const Json& readerId = jsonValue(json, "readerId");
  const Json& lastSeq = jsonValue(json, "lastSeq");
  const Json& tokens = jsonValue(json, "tokens");
  const Json& refilledAt = jsonValue(json, "refilledAt");
  const Json& strikes = jsonValue(json, "strikes");
  if (!readerId.is_string() || readerId.get_ref<const std::string&>().size() > kMaxReaderIdBytes) return std::nullopt;
  if (!isInt(lastSeq) || lastSeq.get<long long>() < 0) return std::nullopt;
  if (!tokens.is_number()) return std::nullopt;
  const double t = tokens.get<double>();
  if (!std::isfinite(t) || t < 0 || t > kFloodBurst) return std::nullopt;
  if (!isInt(refilledAt)) return std::nullopt;
  if (!isInt(strikes) || strikes.get<long long>() < 0 || strikes.get<long long>() > kFloodMaxStrikes)
    return std::nullopt;
  SocketState s;
  s.readerId = readerId.get<std::string>();
  s.lastSeq = lastSeq.get<long long>();
  s.tokens = t;
  s.refilledAt = refilledAt.get<long long>();
  s.strikes = static_cast<int>(strikes.get<long long>());
  return s;
}

FloodDecision admit(SocketState& state, long long now) {
  if (now > state.refilledAt) {
    // The difference is taken in double: two arbitrary long longs (refilledAt is whatever the
    // attachment held) can overflow one (found by fuzz/websocket-fuzz.cpp).
    const double elapsedMs = static_cast<double>(now) - static_cast<double>(state.refilledAt);
    const double refill = elapsedMs * kFloodRatePerSecond / 1000.0;
    state.tokens = std::min(kFloodBurst, std::max(0.0, state.tokens) + refill);
    state.refilledAt = now;
  }
  if (state.tokens >= kFloodBurst) state.strikes = 0;  // quiet long enough: forgiven
  if (state.tokens >= 1) {
    state.tokens -= 1;
    return FloodDecision::Accept;
  }
  state.strikes = std::min(state.strikes + 1, kFloodMaxStrikes);
  return state.strikes >= kFloodMaxStrikes ? FloodDecision::Close : FloodDecision::Drop;
}

MessageError floodClose() { return policy(std::string(kFloodReason)); }

LiveLog::LiveLog(Sql& sql) : sql_(sql) {
  // Failures surface on first use: append answers -1 and lastSeq 0.
  sql_.exec(kCreateLog);
  sql_.exec(kCreateState);
  sql_.exec(kInitState);
  sql_.exec(kCreateTrigger);
}

long long LiveLog::append(std::string_view type, const Json& payload, long long now) {
  if (!payload.is_object()) return -1;
  Json rest = payload;
  rest.erase("seq");
  rest.erase("type");
  rest.erase("at");
  SqlRows r = sql_.exec(kAppend, Json::array({std::string(type), now, dumpJson(rest)}));
  return r.ok && !r.rows.empty() ? jsonInt(r.rows[0], "seq", -1) : -1;
}

std::vector<Json> LiveLog::since(long long seq, size_t max) {
  const long long last = lastSeq();
  if (seq == last) return {};
  const std::vector<Json> reset{Json{{"type", "reset"}, {"seq", last}}};
  if (seq > last || seq < 0) return reset;

  // Every event after seq must still be kept: the oldest kept one is at most seq + 1.
  SqlRows oldest = sql_.exec(kOldestSeq);
  if (!oldest.ok || oldest.rows.empty() || !oldest.rows[0]["seq"].is_number_integer() ||
      oldest.rows[0]["seq"].get<long long>() > seq + 1)
    return reset;

  // One row more than allowed tells "too many" apart from "exactly max".
  SqlRows r = sql_.exec(kSince, Json::array({seq, static_cast<long long>(std::min<unsigned long long>(max, LLONG_MAX - 1) + 1)}));
  if (!r.ok || r.rows.size() > max) return reset;
  std::vector<Json> out;
  out.reserve(r.rows.size());
  for (const auto& row : r.rows) {
    Json event = Json::object();
    if (auto payload = parseJson(jsonString(row, "payload", "{}")); payload && payload->is_object())
      event = std::move(*payload);
    event["seq"] = jsonInt(row, "seq");
    event["type"] = jsonString(row, "type");
    event["at"] = jsonInt(row, "at");
    out.push_back(std::move(event));
  }
  // Seqs are contiguous (pruning only removes the oldest), so a short answer means the log
  // could not be read in full; never hand out a catch-up with a hole.
  if (out.empty() || jsonInt(out.back(), "seq") != last) return reset;
  return out;
}

void LiveLog::prune(size_t keepLast) {
  sql_.exec(kPrune, Json::array({static_cast<long long>(std::min<unsigned long long>(keepLast, LLONG_MAX))}));
}

long long LiveLog::lastSeq() {
  SqlRows r = sql_.exec(kLastSeq);
  return r.ok && !r.rows.empty() ? jsonInt(r.rows[0], "last_seq") : 0;
}

Json presenceMessage(int readingNow, long long seq) {
  return {{"type", "presence"}, {"reading", std::max(0, readingNow)}, {"seq", seq}};
}

int countReaders(const std::vector<SocketState>& sockets) {
  std::set<std::string_view> readers;
  int anonymous = 0;
  for (const auto& s : sockets) {
    if (s.readerId.empty()) ++anonymous;
    else readers.insert(s.readerId);
  }
  return anonymous + static_cast<int>(readers.size());
}

bool originAllowed(std::string_view origin, std::string_view host) {
  long defaultPort = 0;
  std::string_view authority;
  if (startsWithNoCase(origin, "https://")) {
    defaultPort = 443;
    authority = origin.substr(8);
  } else if (startsWithNoCase(origin, "http://")) {
    defaultPort = 80;
    authority = origin.substr(7);
  } else {
    return false;  // empty, "null", ws:, file: ...
  }
  auto fromOrigin = parseAuthority(authority, defaultPort);
  auto fromHost = parseAuthority(host, defaultPort);
  return fromOrigin && fromHost && *fromOrigin == *fromHost;
}

}  // namespace lattice
