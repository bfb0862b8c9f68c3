// Markdown -> safe HTML for posts, using md4c's parser and our own HTML renderer.
//
// Security (DESIGN.md "Security model"): raw HTML in the source is never passed through --
// it is rendered as escaped text -- and every link/image URL is checked against the scheme
// allowlist in url-safety.h after entity decoding. All text and attribute values go through
// html-escape.h. Input size limits are the caller's job: bound the markdown before calling
// (the renderer itself is linear-time and works on any size md4c accepts, < 4 GiB).

#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace lattice::render {

// One heading of a rendered document, in document order.
struct Heading {
  int level;         // 1..6
  std::string id;    // the unique id emitted on the <hN> element (no leading '#')
  std::string text;  // plain text, entities decoded, NOT HTML-escaped; whitespace collapsed
};

// The result of renderMarkdown().
struct RenderedMarkdown {
  // False only if md4c failed (e.g. out of memory) or the input is too large for md4c
  // (>= 4 GiB); all other fields are then empty.
  bool ok = false;
  // The HTML fragment (no <html>/<body>), UTF-8. Ill-formed UTF-8 in the input has been
  // replaced with U+FFFD.
  std::string html;
  // Every heading, in document order, with the ids used in `html`.
  std::vector<Heading> headings;
  // Number of runs of non-whitespace characters (ASCII whitespace separates words; block
  // boundaries and line breaks separate words too) in the visible text, EXCLUDING fenced and
  // indented code blocks and image alt text. Inline `code` is counted. Scripts written
  // without spaces (CJK) count each run as one word.
  size_t wordCount = 0;
  // The start of the visible text (same text as wordCount counts), whitespace collapsed to
  // single spaces, at most 300 bytes, cut at a UTF-8 boundary and, when the text goes on,
  // at the last word boundary if there is one. Plain text: entities decoded, NOT escaped --
  // escape it when putting it in a <meta name="description"> or similar.
  std::string plainText;
};

// Renders CommonMark plus the GFM extensions tables, strikethrough, task lists and
// permissive (bare URL, www., e-mail) autolinks. Raw HTML is never passed through: it is
// rendered as escaped text. ok=false only if md4c fails (e.g. out of memory).
//
// Output follows md4c-html / the CommonMark reference renderer, with these differences:
//   - headings carry ids: <h2 id="slug">, slug = slugifyHeading(text), made unique within the
//     document by appending -2, -3, ... (skipping any id already taken);
//   - ' is escaped as &#39; in text and attributes;
//   - table cell alignment is style="text-align:left|center|right" (not align=);
//   - task list items are <li class="task"><input type="checkbox" disabled[ checked]>;
//   - a link whose URL fails safeUrl() renders its content without the <a>; an image whose
//     URL fails renders its alt text as plain (escaped) text;
//   - links to absolute http(s) or protocol-relative URLs get rel="noopener";
//   - images get loading="lazy": <img src=".." alt=".."[ title=".."] loading="lazy">;
//   - a UTF-8 byte order mark at the very start of the input is skipped.
//
// Cost guard: md4c 0.4.8 is quadratic in the number of bare "http://" / "www." autolinks per
// paragraph. When a document's estimated cost of those is excessive (thousands of bare URLs
// in one paragraph -- never an ordinary post) they are left as plain text; <...> autolinks,
// [text](url) links and e-mail autolinks are unaffected. md4c 0.4.8 is also O(links x lines)
// within one paragraph, which is not guarded: keep posts bounded (see markdown.cpp).
//
// The CommonMark conformance test renders through testing::renderMarkdown() (markdown-testing.h),
// whose default options are exactly this function's behaviour.
RenderedMarkdown renderMarkdown(std::string_view markdown);

}  // namespace lattice::render
