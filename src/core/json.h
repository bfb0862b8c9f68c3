// nlohmann/json, configured for a core without exceptions: parse with parseJson(), which returns
// a discarded value instead of throwing; never call .at() or get<T>() on unchecked input.
#pragma once

#ifndef JSON_NOEXCEPTION
#define JSON_NOEXCEPTION 1
#endif
#include <nlohmann/json.hpp>

#include <climits>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>

namespace lattice {

using Json = nlohmann::json;

// Arrays and objects nested deeper than this are refused by parseJson(): nlohmann parses
// iteratively but copies and dumps recursively, so a body-sized "[[[[...]]]]" (hundreds of
// thousands deep) would overflow the stack later, far from the parse.
inline constexpr int kMaxJsonDepth = 64;

// True when arrays/objects in `text` nest at most `maxDepth` deep. Brackets inside strings do
// not count; on malformed text the answer does not matter, as the parse fails anyway.
inline bool jsonDepthWithin(std::string_view text, int maxDepth) {
  int depth = 0;
  bool inString = false, escaped = false;
  for (char c : text) {
    if (inString) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > maxDepth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

// Parses `text`; nullopt when it is not valid JSON or nests deeper than kMaxJsonDepth.
inline std::optional<Json> parseJson(std::string_view text) {
  if (!jsonDepthWithin(text, kMaxJsonDepth)) return std::nullopt;
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

// Serialises with invalid UTF-8 replaced (U+FFFD) instead of aborting.
inline std::string dumpJson(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Typed reads that never abort: the fallback when the key is missing or has another type.
inline std::string jsonString(const Json& j, const char* key, std::string fallback = {}) {
  auto it = j.find(key);
  return (it != j.end() && it->is_string()) ? it->get<std::string>() : fallback;
}
// j[key] for an object that has it, else null (never inserts, never throws).
inline const Json& jsonValue(const Json& j, const char* key) {
  static const Json null;
  if (!j.is_object()) return null;
  auto it = j.find(key);
  return it == j.end() ? null : *it;
}

// A float is truncated toward zero and clamped to the range of long long (converting a double
// outside it, such as 1e308 in a body, is undefined behaviour; found by fuzz/json-bodies-fuzz.cpp).
inline long long jsonInt(const Json& j, const char* key, long long fallback = 0) {
  auto it = j.find(key);
  if (it == j.end()) return fallback;
  if (it->is_number_integer()) return it->get<long long>();
  if (it->is_number_float()) {
    const double d = it->get<double>();
    if (std::isnan(d)) return fallback;
    if (d >= 9223372036854775808.0) return LLONG_MAX;  // 2^63
    if (d < -9223372036854775808.0) return LLONG_MIN;
    return static_cast<long long>(d);
  }
  return fallback;
}
inline bool jsonBool(const Json& j, const char* key, bool fallback = false) {
  auto it = j.find(key);
  return (it != j.end() && it->is_boolean()) ? it->get<bool>() : fallback;
}

}  // namespace lattice
