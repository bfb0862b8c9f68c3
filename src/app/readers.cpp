#include "app/readers.h"

#include <cctype>

#include "app/limiter-client.h"
#include "app/routes.h"
#include "app/tenant-directory.h"
#include "cache/store.h"
#include "core/sha256.h"
#include "http/errors.h"
#include "http/json-body.h"
#include "render/html-escape.h"

namespace lattice {

namespace {

constexpr size_t kMaxNameChars = 50;
constexpr size_t kMaxReaderBodyBytes = 1024;
constexpr int kReaderKvTtlSeconds = 7 * 86400;
constexpr std::string_view kTokenPrefix = "rdr_";

std::string kvReaderKey(std::string_view tokenHash) { return "reader:" + std::string(tokenHash); }

bool wellFormedReaderToken(std::string_view token) {
  if (token.size() != kTokenPrefix.size() + 64 || token.substr(0, kTokenPrefix.size()) != kTokenPrefix) return false;
  for (char c : token.substr(kTokenPrefix.size()))
    if (!std::isxdigit(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c))) return false;
  return true;
}

std::variant<std::string, ApiError> parseReaderName(const Json& body) {
  const ApiError invalid{400, "reader.name_invalid", "name must be 1-50 characters, with no control characters", "name"};
  if (!body.is_object()) return ApiError{400, "request.not_object", "the body must be a JSON object", ""};
  for (const auto& [key, value] : body.items())
    if (key != "name") return ApiError{400, "request.unknown_field", "unknown field '" + key + "'", key};
  const Json name = jsonValue(body, "name");
  if (!name.is_string()) return invalid;
  std::string_view s = name.get_ref<const std::string&>();
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  auto n = render::printableCodePoints(s);
  if (!n || *n == 0 || *n > kMaxNameChars) return invalid;
  return std::string(s);
}

ReaderAuth readerFailure(HttpResponse r) {
  ReaderAuth a;
  a.failure = std::move(r);
  return a;
}

HttpResponse invalidReaderToken() {
  HttpResponse r = errorResponse({401, "reader.invalid_token", "the reader token is not valid; sign up again", ""});
  r.set("www-authenticate", "Bearer realm=\"lattice-readers\"");
  return r;
}

}  // namespace

std::string clientAddress(const HttpRequest& request) {
  std::string ip = request.header("cf-connecting-ip");
  if (ip.empty() || ip.size() > 64) return "unknown";
  for (auto& c : ip) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ip.find(':') == std::string::npos) return ip;
  // IPv6: the first four groups (a /64), expanding a "::" that falls within them.
  std::vector<std::string> head;
  size_t gap = ip.find("::");
  std::string before = gap == std::string::npos ? ip : ip.substr(0, gap);
  size_t start = 0;
  while (start <= before.size() && !before.empty()) {
    size_t end = before.find(':', start);
    if (end == std::string::npos) end = before.size();
    head.push_back(before.substr(start, end - start));
    start = end + 1;
    if (end == before.size()) break;
  }
  while (head.size() < 4) head.push_back("0");
  return head[0] + ":" + head[1] + ":" + head[2] + ":" + head[3] + "::/64";
}

Task<ReaderAuth> verifyReader(Context& cx) {
  const std::string auth = cx.request.header("authorization");
  if (auth.empty()) co_return ReaderAuth{};
  const std::optional<std::string_view> bearer = bearerToken(auth);
  if (!bearer) co_return readerFailure(invalidReaderToken());
  const std::string token(*bearer);
  if (token.rfind("lat_", 0) == 0) {
    ReaderAuth owner;
    owner.ownerToken = true;
    co_return owner;
  }
  if (!wellFormedReaderToken(token)) co_return readerFailure(invalidReaderToken());
  const std::string hash = sha256Hex(token);
  const std::string key = kvReaderKey(hash);
  std::optional<std::string> kept = co_await cache::kvGet(cx.io, key);
  if (kept) {
    auto j = parseJson(*kept);
    if (j && !jsonString(*j, "id").empty()) {
      cx.io.metric("readers.kv_hit");
      ReaderAuth a;
      a.reader = Reader{jsonString(*j, "id"), jsonString(*j, "name")};
      co_return a;
    }
  }
  SqlStatement q{"SELECT id, name FROM readers WHERE token_hash = ?1", Json::array({hash})};
  D1Result r = co_await cx.io.query(std::move(q));
  if (!r.ok) co_return readerFailure(storageFailure(cx, "reader lookup", r.error));
  if (r.rows.empty()) co_return readerFailure(invalidReaderToken());
  ReaderAuth a;
  a.reader = Reader{jsonString(r.rows[0], "id"), jsonString(r.rows[0], "name")};
  Json entry = {{"id", a.reader->id}, {"name", a.reader->name}};
  cx.afterResponse.push_back(cache::kvPut(cx.io, key, dumpJson(entry), kReaderKvTtlSeconds));
  co_return a;
}

Task<HttpResponse> handleReadersApi(Context& cx) {
  if (cx.request.method != "POST") {
    HttpResponse r = errorResponse({405, "request.method_not_allowed", "allowed: POST", ""});
    r.set("allow", "POST");
    co_return r;
  }
  auto body = co_await readJsonBody(cx.io, cx.request, kMaxReaderBodyBytes);
  if (auto* failure = std::get_if<HttpResponse>(&body)) co_return std::move(*failure);
  auto name = parseReaderName(std::get<Json>(body));
  if (auto* error = std::get_if<ApiError>(&name)) co_return errorResponse(*error);

  // Checked before anything is written: a refused sign-up stores nothing.
  if (auto refused = co_await takeLimit(cx, "signup:" + clientAddress(cx.request), cx.config.readerSignupsPerMinute,
                                        "sign-ups from this address"))
    co_return std::move(*refused);

  const std::string token = std::string(kTokenPrefix) + cx.random;
  const std::string hash = sha256Hex(token);
  Reader reader{"r_" + sha256Hex("reader-id:" + token).substr(0, 24), std::get<std::string>(name)};
  SqlStatement insert{"INSERT INTO readers (id, name, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
                      Json::array({reader.id, reader.name, hash, cx.now})};
  D1Result r = co_await cx.io.query(std::move(insert));
  if (!r.ok) co_return storageFailure(cx, "reader sign-up", r.error);
  cx.io.metric("readers.created");
  Json kept = {{"id", reader.id}, {"name", reader.name}};
  cx.afterResponse.push_back(cache::kvPut(cx.io, kvReaderKey(hash), dumpJson(kept), kReaderKvTtlSeconds));
  Json answer = {{"token", token}, {"reader", kept}};
  HttpResponse created = jsonResponse(201, answer);
  created.set("cache-control", "private, no-store");
  co_return created;
}

}  // namespace lattice
