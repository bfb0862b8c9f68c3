// XML 1.0 text escaping for generated documents (feeds, sitemaps). Pure string work, no IO.
#pragma once

#include <string>
#include <string_view>

namespace lattice::render {

// Appends `text` to `out` so that any input yields well-formed XML 1.0 character data, safe as
// element text and as a double- or single-quoted attribute value:
//   - & < > " ' become &amp; &lt; &gt; &quot; &apos;  (so "]]>" and "</title>" cannot escape);
//   - ill-formed UTF-8 is REPLACED with U+FFFD, one per maximal ill-formed subpart (the same
//     rule as appendValidUtf8() in html-escape.h, which does that work);
//   - characters XML 1.0 forbids even as references are DROPPED: C0 controls other than
//     tab, LF and CR (including NUL), U+FFFE and U+FFFF. (Surrogates cannot occur in valid UTF-8.)
// Tab, LF and CR are kept as raw bytes, so a parser normalises line ends and, inside an
// attribute, turns them into spaces; that is fine for the short values we put in attributes.
void appendXmlEscaped(std::string& out, std::string_view text);

// Returns appendXmlEscaped() applied to `text` as a new string.
std::string escapeXml(std::string_view text);

}  // namespace lattice::render
