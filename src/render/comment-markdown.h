// Markdown -> safe HTML for reader comments: a deliberately tiny subset of what posts get
// (markdown.h), because comments are written by anyone holding a reader token.
//
// Security (DESIGN.md "Security model"): raw HTML is never passed through, every URL is checked
// after entity decoding, and the output contains only the elements p, br, em, strong, code, pre
// and a, with no attributes but href and rel on a. All text goes through html-escape.h.

#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lattice::render {

// Renders a comment. Supported: paragraphs; line breaks (every newline inside a paragraph is a
// <br>, as readers expect of a comment box, not only the CommonMark hard breaks); *emphasis*,
// **strong**, `code`; fenced and indented code blocks (<pre><code>, the info string dropped);
// [text](url) links, <url> autolinks and bare http(s)://, www. and e-mail autolinks.
//
// Everything else is shown as the text it was written as: raw HTML is escaped; headings, block
// quotes, lists, thematic breaks and setext underlines keep their markers as literal text
// (their line-start markers are backslash-escaped before parsing, outside fenced code); tables
// and strikethrough are not enabled; an image is shown as the text "![alt](url)".
//
// Links: only absolute http://, https:// and mailto: URLs (checked by commentUrl()) become
// <a href=".." rel="ugc nofollow noopener">; any other link -- relative, protocol-relative,
// javascript:, data:, ... in any encoding -- renders its text without the <a>. Link titles are
// dropped.
//
// Ill-formed UTF-8 is replaced with U+FFFD; CR LF and lone CR count as LF. Bound the input
// before calling (comments are at most 5,000 code points): md4c 0.4.8 is superlinear in the
// number of bare autolinks per paragraph (see markdown.cpp), harmless at that size.
std::string renderCommentHtml(std::string_view body);

// The URL a comment link may point to: safeUrl() (url-safety.h) of the entity-decoded URL,
// and then only if it starts with "http://", "https://" or "mailto:" (ASCII case-insensitive).
// nullopt for everything else, including relative and protocol-relative URLs.
std::optional<std::string> commentUrl(std::string_view decodedUrl);

}  // namespace lattice::render
