#include "http/json-body.h"

#include <cctype>
#include <string>

#include "http/errors.h"

namespace lattice {

Task<std::variant<Json, HttpResponse>> readJsonBody(Io& io, const HttpRequest& request, size_t max) {
  std::string type = request.header("content-type");
  for (auto& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));  // RFC 9110 §8.3.1
  std::string_view mime = std::string_view(type).substr(0, type.find(';'));
  while (!mime.empty() && mime.back() == ' ') mime.remove_suffix(1);
  if (mime != "application/json")
    co_return errorResponse({415, "request.unsupported_media_type", "send Content-Type: application/json", ""});
  // (Effects are built before co_await: g++ 12 mishandles braced literals inside co_await.)
  Json effect = {{"kind", "body.read"}, {"max", max}};
  Json result = co_await io.perform(std::move(effect));
  if (!jsonBool(result, "ok"))
    co_return errorResponse({400, "request.body_unreadable", "the request body could not be read", ""});
  if (jsonBool(result, "truncated"))
    co_return errorResponse({413, "request.too_large", "the request body is larger than " + std::to_string(max) + " bytes", ""});
  auto parsed = parseJson(jsonString(result, "text"));
  if (!parsed)
    co_return errorResponse({400, "request.malformed_json",
                             "the request body is not valid JSON (or nests deeper than " +
                                 std::to_string(kMaxJsonDepth) + " levels)",
                             ""});
  co_return std::move(*parsed);
}

}  // namespace lattice
