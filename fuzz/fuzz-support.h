// What the fuzz targets share: a failed oracle aborts (libFuzzer keeps the input as a crash), and
// a small scanner for the HTML our renderers emit, strict enough to be an oracle for it.
//
// The renderers' output is well-formed by construction (src/render/), so the scanner does not
// try to be a browser: it accepts exactly the shapes they emit and refuses everything else.
//   <name attr="value" flag>  </name>   lower-case names, double-quoted values, nothing else
//   text between tags: no '<' or '>' of its own
//   '&' (in text and values) only as &amp; &lt; &gt; &quot; &#39;
// A browser decodes those five references in an attribute value before it parses a URL, and
// nothing else can appear, so the URL a browser would follow is exactly the decoded value.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lattice::fuzz {

// Reports a failed oracle with the offending output and aborts, so libFuzzer saves the input.
[[noreturn]] inline void fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "\n*** ORACLE FAILED: %s\n*** near: %.*s\n", what,
               static_cast<int>(detail.size() > 400 ? 400 : detail.size()), detail.data());
  std::abort();
}

inline void check(bool ok, const char* what, std::string_view detail) {
  if (!ok) fail(what, detail);
}

inline char asciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

inline bool startsWithNoCase(std::string_view s, std::string_view lowerPrefix) {
  if (s.size() < lowerPrefix.size()) return false;
  for (size_t i = 0; i < lowerPrefix.size(); ++i)
    if (asciiLower(s[i]) != lowerPrefix[i]) return false;
  return true;
}

inline bool containsNoCase(std::string_view s, std::string_view lowerNeedle) {
  for (size_t i = 0; i + lowerNeedle.size() <= s.size(); ++i)
    if (startsWithNoCase(s.substr(i), lowerNeedle)) return true;
  return false;
}

struct Attribute {
  std::string name;
  std::optional<std::string> value;  // decoded; nullopt for a bare attribute such as `disabled`
};

struct Tag {
  std::string name;
  bool closing = false;
  std::vector<Attribute> attributes;
  std::string_view source;  // the tag as written, for reports
};

// Decodes the five references the escaper writes; any other '&' fails the oracle.
inline std::string decodeEscaped(std::string_view text, std::string_view context) {
  static constexpr std::pair<std::string_view, char> kRefs[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
  std::string out;
  for (size_t i = 0; i < text.size();) {
    if (text[i] != '&') {
      out.push_back(text[i++]);
      continue;
    }
    bool matched = false;
    for (const auto& [ref, c] : kRefs) {
      if (text.substr(i, ref.size()) == ref) {
        out.push_back(c);
        i += ref.size();
        matched = true;
        break;
      }
    }
    check(matched, "an '&' that is not one of the escaper's five references", context);
  }
  return out;
}

inline bool isNameChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

// Splits `html` into tags and text, calling onTag(const Tag&) and onText(std::string_view decoded).
template <typename OnTag, typename OnText>
void scanHtml(std::string_view html, OnTag onTag, OnText onText) {
  size_t i = 0;
  while (i < html.size()) {
    size_t lt = html.find('<', i);
    std::string_view text = html.substr(i, lt == std::string_view::npos ? std::string_view::npos : lt - i);
    check(text.find('>') == std::string_view::npos, "a raw '>' in text", text);
    onText(decodeEscaped(text, text));
    if (lt == std::string_view::npos) break;

    size_t gt = html.find('>', lt);
    check(gt != std::string_view::npos, "a '<' that starts no tag", html.substr(lt));
    const std::string_view source = html.substr(lt, gt + 1 - lt);
    std::string_view s = source.substr(1, source.size() - 2);  // between < and >
    Tag tag;
    tag.source = source;
    if (!s.empty() && s[0] == '/') {
      tag.closing = true;
      s.remove_prefix(1);
    }
    size_t n = 0;
    while (n < s.size() && isNameChar(s[n])) ++n;
    check(n > 0 && s[0] >= 'a' && s[0] <= 'z', "a tag without a lower-case name", source);
    tag.name = std::string(s.substr(0, n));
    s.remove_prefix(n);
    while (!s.empty()) {
      check(s[0] == ' ', "attributes not separated by one space", source);
      s.remove_prefix(1);
      size_t a = 0;
      while (a < s.size() && isNameChar(s[a])) ++a;
      check(a > 0, "an attribute without a lower-case name", source);
      Attribute attr;
      attr.name = std::string(s.substr(0, a));
      s.remove_prefix(a);
      if (!s.empty() && s[0] == '=') {
        check(s.size() >= 2 && s[1] == '"', "an attribute value that is not double-quoted", source);
        size_t close = s.find('"', 2);
        check(close != std::string_view::npos, "an unterminated attribute value", source);
        attr.value = decodeEscaped(s.substr(2, close - 2), source);
        s.remove_prefix(close + 1);
      }
      tag.attributes.push_back(std::move(attr));
    }
    check(!tag.closing || tag.attributes.empty(), "a closing tag with attributes", source);
    onTag(tag);
    i = gt + 1;
  }
}

// The scheme a browser would see in `url` (an attribute value, references decoded), lower-cased;
// "" for a URL without one (relative, including "//host"). WHATWG URL: strip leading and
// trailing C0 controls and spaces, remove tabs and newlines, then scheme = ALPHA *(ALPHA / DIGIT
// / "+" / "-" / ".") followed by ':'.
inline std::string browserScheme(std::string_view url) {
  std::string s;
  size_t begin = 0, end = url.size();
  while (begin < end && static_cast<unsigned char>(url[begin]) <= 0x20) ++begin;
  while (end > begin && static_cast<unsigned char>(url[end - 1]) <= 0x20) --end;
  for (size_t i = begin; i < end; ++i)
    if (url[i] != '\t' && url[i] != '\n' && url[i] != '\r') s.push_back(url[i]);
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (s.empty() || !alpha(s[0])) return "";
  size_t i = 1;
  while (i < s.size() && (alpha(s[i]) || (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '-' || s[i] == '.')) ++i;
  if (i == s.size() || s[i] != ':') return "";
  std::string scheme;
  for (size_t k = 0; k < i; ++k) scheme.push_back(asciiLower(s[k]));
  return scheme;
}

// Elements that have no closing tag in the renderers' output.
inline bool isVoidElement(std::string_view name) {
  return name == "br" || name == "hr" || name == "img" || name == "input";
}

// Checks nesting: every closing tag closes the innermost open element, and all are closed at the
// end. Call open/close per tag, then finish().
struct NestingCheck {
  std::vector<std::string> open;
  void onTag(const Tag& tag) {
    if (isVoidElement(tag.name)) {
      check(!tag.closing, "a closing tag for a void element", tag.source);
      return;
    }
    if (!tag.closing) {
      open.push_back(tag.name);
      return;
    }
    check(!open.empty() && open.back() == tag.name, "a closing tag that does not match the open element",
          tag.source);
    open.pop_back();
  }
  void finish(std::string_view html) {
    check(open.empty(), "an element left open at the end", open.empty() ? html : std::string_view(open.back()));
  }
};

}  // namespace lattice::fuzz
