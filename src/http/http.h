// Plain HTTP values crossing the core's boundary. The shim converts a Workers Request into
// `HttpRequest` (headers lower-cased, body not yet read) and an `HttpResponse` back.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.h"

namespace lattice {

struct HttpRequest {
  std::string method;
  std::string scheme = "https";
  std::string host;   // the request URL's authority, i.e. the Host sent (never X-Forwarded-Host)
  std::string path;   // percent-decoding is left to the router, segment by segment
  std::string query;  // without '?'
  std::map<std::string, std::string> headers;  // lower-case names

  std::string header(std::string_view name) const;
  // The value of query parameter `name` (percent-decoded), or nullopt.
  std::optional<std::string> queryParam(std::string_view name) const;
  // Query parameter `name` as an integer of at most 6 digits within [lo, hi]; `fallback` when
  // absent, nullopt when present but anything else.
  std::optional<int> intParam(std::string_view name, int fallback, int lo, int hi) const;

  // {method, url, headers} as sent by the shim; nullopt when malformed.
  static std::optional<HttpRequest> fromJson(const Json& j);
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  HttpResponse& set(std::string name, std::string value);
  HttpResponse& remove(std::string_view name);
  std::string header(std::string_view name) const;
  Json toJson() const;
  static HttpResponse fromJson(const Json& j);
};

// Percent-decodes `s`; nullopt for malformed escapes. '+' stays '+' unless `plusIsSpace`.
std::optional<std::string> percentDecode(std::string_view s, bool plusIsSpace = false);
// Percent-encodes everything but unreserved characters (RFC 3986).
std::string percentEncode(std::string_view s);

// The credentials of an `Authorization: Bearer <token>` header value (the scheme is
// case-insensitive, RFC 9110 §11.1); nullopt for any other scheme.
std::optional<std::string_view> bearerToken(std::string_view authorization);

}  // namespace lattice
