// URL scheme allowlisting and attribute encoding for links and images in author content.
//
// The security model (DESIGN.md) says URL schemes are checked AFTER entity decoding, against
// an allowlist: http, https, mailto and relative URLs. These helpers implement that check the
// way a browser would see the URL, so encodings such as "&#106;avascript:", "java&#x09;script:"
// or " javascript:" cannot smuggle a script URL past it.

#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lattice::render {

// Decides whether a link/image destination may be emitted.
//
// `decodedUrl` must already have its HTML character references and markdown backslash
// escapes decoded (see decodeEntities()). The URL is first normalised the way the WHATWG URL
// parser does before it looks at the scheme:
//   - leading and trailing C0 controls and spaces (bytes 0x00..0x20) are removed;
//   - every ASCII tab, LF and CR anywhere in the URL is removed ("java\tscript:" is
//     "javascript:").
// Then, if the normalised URL contains a ':' before any '/', '?' or '#', the text before that
// ':' is its scheme, which must be "http", "https" or "mailto" (ASCII case-insensitive).
// Every other scheme -- javascript:, vbscript:, data:, file:, blob:, unknown ones, and
// "schemes" containing characters a real scheme could not contain -- is rejected. URLs
// without a scheme (paths, "?query", "#fragment", "//host/path" protocol-relative) are
// allowed. The empty URL is allowed (it is a relative reference to the current page).
//
// Returns the normalised URL, still unescaped (callers pass it to appendEscapedUrl()), or
// std::nullopt if it must not be emitted.
std::optional<std::string> safeUrl(std::string_view decodedUrl);

// Returns true if `url` (a result of safeUrl()) leaves the site: it is absolute http(s) or
// protocol-relative ("//host"). Used to decide on rel="noopener" for links.
bool isExternalUrl(std::string_view url);

// Decodes HTML character references in `text`:
//   - decimal "&#NNN;" (1..7 digits) and hexadecimal "&#xHHH;" / "&#XHHH;" (1..6 digits);
//     zero, surrogates and code points above U+10FFFF decode to U+FFFD;
//   - named references ("&amp;", "&nbsp;", "&NotEqualTilde;" ...) from the full HTML5 table,
//     which requires the terminating ';' (as CommonMark does).
// Anything that does not match these forms -- unknown names, missing ';', too many digits --
// is left verbatim. Decoding is single-pass: "&amp;lt;" becomes "&lt;", not "<".
std::string decodeEntities(std::string_view text);

// Appends `url` to `out` for use inside a double-quoted href/src attribute, the way
// md4c-html does: ASCII letters, digits and "-_.+!*(),%#@?=;:/$" are copied, '&' becomes
// "&amp;", and every other byte (space, controls, quotes, '<', '>', '\\', non-ASCII UTF-8
// bytes, ...) is percent-encoded as %XX. Existing %XX sequences are kept as they are.
// The result contains no character that could end the attribute or the tag.
void appendEscapedUrl(std::string& out, std::string_view url);

}  // namespace lattice::render
