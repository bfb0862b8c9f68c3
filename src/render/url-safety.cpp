#include "render/url-safety.h"

#include "render/html-escape.h"

extern "C" {
#include "entity.h"  // md4c's HTML5 named character reference table (C header, no guards)
}

namespace lattice::render {
namespace {

char asciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equalsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (asciiLower(a[i]) != asciiLower(b[i])) return false;
  }
  return true;
}

bool startsWithIgnoreAsciiCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         equalsIgnoreAsciiCase(text.substr(0, prefix.size()), prefix);
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isHexDigit(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool isAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isAsciiAlnum(char c) { return isAsciiAlpha(c) || isDigit(c); }

unsigned hexValue(char c) {
  if (isDigit(c)) return static_cast<unsigned>(c - '0');
  return static_cast<unsigned>(asciiLower(c) - 'a' + 10);
}

// Tries to decode one character reference starting at text[pos] == '&'. On success appends
// the decoded text to `out` and returns the number of bytes consumed; returns 0 otherwise.
size_t decodeOneEntity(std::string_view text, size_t pos, std::string& out) {
  size_t i = pos + 1;
  if (i < text.size() && text[i] == '#') {
    ++i;
    bool hex = i < text.size() && (text[i] == 'x' || text[i] == 'X');
    if (hex) ++i;
    size_t digitsStart = i;
    size_t maxDigits = hex ? 6 : 7;  // CommonMark limits; both fit comfortably in 32 bits
    char32_t codePoint = 0;
    while (i < text.size() && i - digitsStart < maxDigits &&
           (hex ? isHexDigit(text[i]) : isDigit(text[i]))) {
      unsigned digit = hex ? hexValue(text[i]) : static_cast<unsigned>(text[i] - '0');
      codePoint = codePoint * (hex ? 16 : 10) + digit;
      ++i;
    }
    if (i == digitsStart || i >= text.size() || text[i] != ';') return 0;
    appendUtf8(out, codePoint);  // maps 0, surrogates and > U+10FFFF to U+FFFD
    return i + 1 - pos;
  }

  // Named: &[A-Za-z][A-Za-z0-9]{1,47}; (the shape md4c recognises), then a table lookup.
  size_t nameStart = i;
  if (i >= text.size() || !isAsciiAlpha(text[i])) return 0;
  while (i < text.size() && i - nameStart < 48 && isAsciiAlnum(text[i])) ++i;
  if (i - nameStart < 2 || i >= text.size() || text[i] != ';') return 0;
  size_t length = i + 1 - pos;  // entity_lookup wants "&name;" including both delimiters
  const struct entity* found = entity_lookup(text.data() + pos, length);
  if (found == nullptr) return 0;
  appendUtf8(out, found->codepoints[0]);
  if (found->codepoints[1] != 0) appendUtf8(out, found->codepoints[1]);
  return length;
}

}  // namespace

std::optional<std::string> safeUrl(std::string_view decodedUrl) {
  // Browsers strip leading and trailing "C0 control or space".
  size_t begin = 0;
  size_t end = decodedUrl.size();
  while (begin < end && static_cast<unsigned char>(decodedUrl[begin]) <= 0x20) ++begin;
  while (end > begin && static_cast<unsigned char>(decodedUrl[end - 1]) <= 0x20) --end;

  // ... and remove every ASCII tab or newline before parsing.
  std::string url;
  url.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) {
    char c = decodedUrl[i];
    if (c == '\t' || c == '\n' || c == '\r') continue;
    url.push_back(c);
  }

  size_t delimiter = url.find_first_of(":/?#");
  if (delimiter == std::string::npos || url[delimiter] != ':') {
    return url;  // relative: path, ?query, #fragment, //host (protocol-relative), or empty
  }
  std::string_view scheme(url.data(), delimiter);
  if (equalsIgnoreAsciiCase(scheme, "http") || equalsIgnoreAsciiCase(scheme, "https") ||
      equalsIgnoreAsciiCase(scheme, "mailto")) {
    return url;
  }
  return std::nullopt;
}

bool isExternalUrl(std::string_view url) {
  if (startsWithIgnoreAsciiCase(url, "http:") || startsWithIgnoreAsciiCase(url, "https:")) {
    return true;
  }
  // Browsers treat '\' like '/' in http(s) URLs, so "\\host" and "/\host" are
  // protocol-relative too (even though appendEscapedUrl() percent-encodes the backslash).
  auto isSlash = [](char c) { return c == '/' || c == '\\'; };
  return url.size() >= 2 && isSlash(url[0]) && isSlash(url[1]);
}

std::string decodeEntities(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t start = 0;  // start of the pending verbatim run
  size_t i = text.find('&');
  while (i != std::string_view::npos) {
    std::string decoded;
    size_t consumed = decodeOneEntity(text, i, decoded);
    if (consumed == 0) {
      i = text.find('&', i + 1);
      continue;
    }
    out.append(text.data() + start, i - start);
    out.append(decoded);
    start = i + consumed;
    i = text.find('&', start);
  }
  out.append(text.data() + start, text.size() - start);
  return out;
}

void appendEscapedUrl(std::string& out, std::string_view url) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  static constexpr std::string_view kKept = "-_.+!*(),%#@?=;:/$";
  auto kept = [](char c) { return isAsciiAlnum(c) || kKept.find(c) != std::string_view::npos; };
  size_t i = 0;
  while (i < url.size()) {
    // Runs of kept bytes are appended whole: fewer string calls, which are slow under wasm.
    const size_t start = i;
    while (i < url.size() && kept(url[i])) ++i;
    out.append(url.data() + start, i - start);
    if (i == url.size()) return;
    const auto byte = static_cast<unsigned char>(url[i++]);
    if (byte == '&') {
      out.append("&amp;");
    } else {
      const char escaped[3] = {'%', kHex[byte >> 4], kHex[byte & 0xF]};
      out.append(escaped, 3);
    }
  }
}

}  // namespace lattice::render
