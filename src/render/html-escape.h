// HTML text escaping, UTF-8 hygiene and heading slugs for rendered author content.
//
// Everything here is pure string work: no allocation beyond the returned strings, no IO,
// no exceptions. The escaping functions are the one place that decides which characters
// are dangerous in HTML output, so every renderer in src/render/ goes through them.

#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "render/html-buffer.h"

namespace lattice::render {

// Appends `text` to `out` with the five HTML-significant characters replaced by character
// references: & -> &amp;  < -> &lt;  > -> &gt;  " -> &quot;  ' -> &#39;.
// The result is safe as element text and as the value of a double- OR single-quoted
// attribute. It is NOT safe as an unquoted attribute value, inside <script>/<style>, or as a
// URL (use appendEscapedUrl() from url-safety.h for href/src). All other bytes are copied
// unchanged; no UTF-8 validation is done here (see appendValidUtf8()).
void appendEscapedHtml(std::string& out, std::string_view text);
// The same into the markdown renderer's buffer, inline: the renderer's hottest loop after md4c's
// own parsing, compiled with it (CMakeLists.txt: LATTICE_SPEED_SOURCES).
inline void appendEscapedHtml(HtmlBuffer& out, std::string_view text);

// Returns appendEscapedHtml() applied to `text` as a new string.
std::string escapeHtml(std::string_view text);

// Appends the UTF-8 encoding of `codePoint` to `out`. Zero, UTF-16 surrogates
// (U+D800..U+DFFF) and values above U+10FFFF are not valid characters in our output and are
// written as U+FFFD REPLACEMENT CHARACTER instead.
void appendUtf8(std::string& out, char32_t codePoint);

// Appends `text` to `out`, replacing every ill-formed UTF-8 sequence (overlong forms,
// surrogates, code points above U+10FFFF, stray continuation bytes, truncated sequences) with
// U+FFFD, one replacement per maximal ill-formed subpart as the WHATWG Encoding standard's
// decoder does. Well-formed input is copied byte for byte.
void appendValidUtf8(std::string& out, std::string_view text);

// Returns true if `text` is well-formed UTF-8 (so appendValidUtf8() would copy it unchanged).
bool isValidUtf8(std::string_view text);

// The number of code points in `text` when it is well-formed UTF-8 without control characters
// (C0, DEL, C1) other than those listed in `allowedControls` (ASCII only, e.g. "\n\t");
// nullopt otherwise.
std::optional<size_t> printableCodePoints(std::string_view text, std::string_view allowedControls = {});

// Turns heading text (plain, already entity-decoded) into a fragment identifier:
//   - ASCII letters are lowercased; ASCII digits are kept;
//   - every run of other ASCII characters (space, punctuation, '_', '-', controls) becomes a
//     single '-', and leading/trailing '-' are trimmed;
//   - non-ASCII characters are KEPT as-is (not case-folded), so "Über Café" -> "Über-café" and
//     CJK headings get readable ids instead of all becoming "section". Exceptions, treated as
//     separators like ASCII punctuation: U+00A0 NO-BREAK SPACE, U+2000..U+206F (Unicode spaces,
//     dashes, quotes, general punctuation), U+3000..U+303F (CJK spaces and punctuation),
//     U+FEFF, U+FFFD, and any ill-formed UTF-8 byte;
//   - an empty result becomes "section".
// The result never contains ASCII whitespace, quotes, '<', '>' or '&', but callers still
// attribute-escape it. Uniqueness within a document is the caller's job (see markdown.h).
std::string slugifyHeading(std::string_view text);

namespace detail {

inline constexpr auto kNeedsEscape = [] {
  std::array<bool, 256> table{};
  for (unsigned char c : {'&', '<', '>', '"', '\''}) table[c] = true;
  return table;
}();

// Runs of bytes that need no escaping are copied whole; the table keeps the scan branch-light.
template <typename Out>
inline void appendEscapedHtml(Out& out, std::string_view text) {
  const char* data = text.data();
  const size_t size = text.size();
  size_t start = 0;
  size_t i = 0;
  for (;;) {
    while (i < size && !kNeedsEscape[static_cast<unsigned char>(data[i])]) ++i;
    out.append(data + start, i - start);
    if (i == size) return;
    switch (data[i]) {
      case '&': out.append("&amp;"); break;
      case '<': out.append("&lt;"); break;
      case '>': out.append("&gt;"); break;
      case '"': out.append("&quot;"); break;
      default: out.append("&#39;"); break;
    }
    start = ++i;
  }
}

}  // namespace detail

inline void appendEscapedHtml(HtmlBuffer& out, std::string_view text) { detail::appendEscapedHtml(out, text); }

}  // namespace lattice::render
