#include "http/http.h"

#include <cctype>

namespace lattice {

namespace {
int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

std::optional<std::string> percentDecode(std::string_view s, bool plusIsSpace) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hexValue(s[i + 1]), lo = hexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plusIsSpace) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::string_view> bearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() < kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return std::nullopt;
  return authorization.substr(kScheme.size());
}

std::string percentEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string HttpRequest::header(std::string_view name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

std::optional<std::string> HttpRequest::queryParam(std::string_view name) const {
  std::string_view q = query;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    if (key != name) continue;
    std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    return percentDecode(value, /*plusIsSpace=*/true);
  }
  return std::nullopt;
}

std::optional<int> HttpRequest::intParam(std::string_view name, int fallback, int lo, int hi) const {
  auto raw = queryParam(name);
  if (!raw) return fallback;
  if (raw->empty() || raw->size() > 6) return std::nullopt;
  int n = 0;
  for (char c : *raw) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n < lo || n > hi) return std::nullopt;
  return n;
}

std::optional<HttpRequest> HttpRequest::fromJson(const Json& j) {
  if (!j.is_object()) return std::nullopt;
  HttpRequest r;
  r.method = jsonString(j, "method");
  std::string url = jsonString(j, "url");
  if (r.method.empty() || url.empty()) return std::nullopt;
  if (auto it = j.find("headers"); it != j.end() && it->is_object()) {
    for (auto& [k, v] : it->items())
      if (v.is_string()) r.headers[lower(k)] = v.get<std::string>();
  }
  // url is absolute: scheme://authority/path?query#fragment
  size_t schemeEnd = url.find("://");
  if (schemeEnd == std::string::npos) return std::nullopt;
  r.scheme = lower(std::string_view(url).substr(0, schemeEnd));
  size_t pathStart = url.find('/', schemeEnd + 3);
  std::string rest = pathStart == std::string::npos ? "/" : url.substr(pathStart);
  if (size_t hash = rest.find('#'); hash != std::string::npos) rest.resize(hash);
  size_t qm = rest.find('?');
  r.path = rest.substr(0, qm);
  if (qm != std::string::npos) r.query = rest.substr(qm + 1);
  // The URL's authority: on Workers it is the Host the client sent (request.url is built from
  // it); forwarding headers such as X-Forwarded-Host are never consulted.
  r.host = lower(std::string_view(url).substr(
      schemeEnd + 3, (pathStart == std::string::npos ? url.size() : pathStart) - schemeEnd - 3));
  return r;
}

HttpResponse& HttpResponse::set(std::string name, std::string value) {
  for (auto& [k, v] : headers) {
    if (lower(k) == lower(name)) {
      v = std::move(value);
      return *this;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

HttpResponse& HttpResponse::remove(std::string_view name) {
  std::erase_if(headers, [&](const auto& h) { return lower(h.first) == lower(name); });
  return *this;
}

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (lower(k) == lower(name)) return v;
  return {};
}

Json HttpResponse::toJson() const {
  Json h = Json::array();
  for (const auto& [k, v] : headers) h.push_back({k, v});
  return {{"status", status}, {"headers", std::move(h)}, {"body", body}};
}

HttpResponse HttpResponse::fromJson(const Json& j) {
  HttpResponse r;
  r.status = static_cast<int>(jsonInt(j, "status", 500));
  r.body = jsonString(j, "body");
  if (auto it = j.find("headers"); it != j.end()) {
    if (it->is_array()) {
      for (const auto& pair : *it)
        if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string())
          r.headers.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
    } else if (it->is_object()) {
      for (auto& [k, v] : it->items())
        if (v.is_string()) r.headers.emplace_back(k, v.get<std::string>());
    }
  }
  return r;
}

}  // namespace lattice
