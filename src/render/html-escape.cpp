#include "render/html-escape.h"

#include <array>
#include <cstdint>
#include <cstring>

namespace lattice::render {
namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

// One step of a UTF-8 decoder. `length` is the number of bytes consumed: the whole sequence
// when `valid`, otherwise the maximal ill-formed subpart (always >= 1), which the caller
// replaces with a single U+FFFD.
struct Utf8Step {
  char32_t codePoint;
  size_t length;
  bool valid;
};

// Decodes the sequence starting at text[pos] (pos < text.size()), following the
// well-formedness table of Unicode 3.9 / the WHATWG UTF-8 decoder.
Utf8Step decodeUtf8At(std::string_view text, size_t pos) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(pos);
  if (lead < 0x80) return {lead, 1, true};

  size_t needed;
  char32_t codePoint;
  unsigned char lower = 0x80, upper = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    needed = 1;
    codePoint = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    needed = 2;
    codePoint = lead & 0x0F;
    if (lead == 0xE0) lower = 0xA0;   // no overlongs
    if (lead == 0xED) upper = 0x9F;   // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    needed = 3;
    codePoint = lead & 0x07;
    if (lead == 0xF0) lower = 0x90;   // no overlongs
    if (lead == 0xF4) upper = 0x8F;   // nothing above U+10FFFF
  } else {
    return {0xFFFD, 1, false};        // continuation byte, C0/C1 or F5..FF as a lead
  }

  size_t length = 1;
  for (size_t k = 0; k < needed; ++k) {
    size_t i = pos + length;
    if (i >= text.size()) return {0xFFFD, length, false};
    unsigned char c = byte(i);
    if (c < lower || c > upper) return {0xFFFD, length, false};
    lower = 0x80;
    upper = 0xBF;
    codePoint = (codePoint << 6) | (c & 0x3F);
    ++length;
  }
  return {codePoint, length, true};
}

bool isAsciiAlnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Non-ASCII code points that slugifyHeading() treats as word separators.
bool isUnicodeSeparator(char32_t cp) {
  return cp == 0x00A0 || (cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x3000 && cp <= 0x303F) ||
         cp == 0xFEFF || cp == 0xFFFD;
}

}  // namespace

void appendEscapedHtml(std::string& out, std::string_view text) { detail::appendEscapedHtml(out, text); }

std::string escapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  appendEscapedHtml(out, text);
  return out;
}

void appendUtf8(std::string& out, char32_t cp) {
  if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
    out.append(kReplacementCharacter);
  } else if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void appendValidUtf8(std::string& out, std::string_view text) {
  size_t start = 0;  // start of the pending well-formed run
  size_t i = 0;
  while (i < text.size()) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    Utf8Step step = decodeUtf8At(text, i);
    if (!step.valid) {
      out.append(text.data() + start, i - start);
      out.append(kReplacementCharacter);
      start = i + step.length;
    }
    i += step.length;
  }
  out.append(text.data() + start, text.size() - start);
}

std::optional<size_t> printableCodePoints(std::string_view text, std::string_view allowedControls) {
  if (!isValidUtf8(text)) return std::nullopt;
  size_t codePoints = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80) ++codePoints;
    if ((c < 0x20 || c == 0x7F) && allowedControls.find(static_cast<char>(c)) == std::string_view::npos)
      return std::nullopt;
    // C1 controls U+0080..U+009F are C2 80..C2 9F in UTF-8.
    if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9F) return std::nullopt;
  }
  return codePoints;
}

bool isValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    // ASCII fast path: eight bytes at a time.
    while (i + 8 <= text.size()) {
      uint64_t word;
      std::memcpy(&word, text.data() + i, 8);
      if ((word & 0x8080808080808080ULL) != 0) break;
      i += 8;
    }
    if (i >= text.size()) break;
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    Utf8Step step = decodeUtf8At(text, i);
    if (!step.valid) return false;
    i += step.length;
  }
  return true;
}

std::string slugifyHeading(std::string_view text) {
  std::string slug;
  slug.reserve(text.size());
  bool pendingDash = false;
  auto beginWordChar = [&]() {
    if (pendingDash && !slug.empty()) slug.push_back('-');
    pendingDash = false;
  };

  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (isAsciiAlnum(c)) {
        beginWordChar();
        slug.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
      } else {
        pendingDash = true;
      }
      ++i;
      continue;
    }
    Utf8Step step = decodeUtf8At(text, i);
    if (!step.valid || isUnicodeSeparator(step.codePoint)) {
      pendingDash = true;
    } else {
      beginWordChar();
      slug.append(text.data() + i, step.length);
    }
    i += step.length;
  }

  if (slug.empty()) return "section";
  return slug;
}

}  // namespace lattice::render
