// Post markdown (src/render/markdown.h) with an oracle on the HTML: whatever the author writes,
// the output has no <script, no on* attribute, and every href/src has a scheme a browser would
// resolve to http, https or mailto, or none (relative). Beyond that it must be the renderer's
// documented shape: only the elements and attributes it emits, properly nested, valid UTF-8,
// unique heading ids, a plain-text excerpt of at most 300 bytes.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "fuzz-support.h"
#include "render/html-escape.h"
#include "render/markdown.h"

using namespace lattice::fuzz;

namespace {

bool allowedAttribute(std::string_view tag, std::string_view attr) {
  if (tag.size() == 2 && tag[0] == 'h' && tag[1] >= '1' && tag[1] <= '6') return attr == "id";
  if (tag == "ol") return attr == "start";
  if (tag == "li") return attr == "class";
  if (tag == "input") return attr == "type" || attr == "disabled" || attr == "checked";
  if (tag == "code") return attr == "class";
  if (tag == "th" || tag == "td") return attr == "style";
  if (tag == "a") return attr == "href" || attr == "title" || attr == "rel";
  if (tag == "img") return attr == "src" || attr == "alt" || attr == "title" || attr == "loading";
  return false;
}

bool allowedElement(std::string_view tag) {
  static const std::set<std::string_view> kElements = {
      "p",  "h1", "h2", "h3",    "h4",    "h5",    "h6", "blockquote", "ul",     "ol",  "li", "input",
      "hr", "pre", "code", "table", "thead", "tbody", "tr", "th",         "td",     "em",  "strong",
      "del", "a",  "img", "br"};
  return kElements.count(tag) != 0;
}

void checkUrl(const Tag& tag, const Attribute& attr) {
  check(attr.value.has_value(), "href/src without a value", tag.source);
  const std::string scheme = browserScheme(*attr.value);
  check(scheme.empty() || scheme == "http" || scheme == "https" || scheme == "mailto",
        "a URL scheme outside the allowlist", tag.source);
}

void checkHtml(std::string_view html) {
  check(!containsNoCase(html, "<script"), "<script in the output", html);
  check(lattice::render::isValidUtf8(html), "ill-formed UTF-8 in the output", html);
  NestingCheck nesting;
  std::set<std::string> ids;
  scanHtml(
      html,
      [&](const Tag& tag) {
        check(allowedElement(tag.name), "an element the renderer does not emit", tag.source);
        nesting.onTag(tag);
        for (const Attribute& attr : tag.attributes) {
          check(!startsWithNoCase(attr.name, "on"), "an on* attribute", tag.source);
          check(allowedAttribute(tag.name, attr.name), "an attribute the renderer does not emit", tag.source);
          if (attr.name == "href" || attr.name == "src") checkUrl(tag, attr);
          if (attr.name == "style")
            check(attr.value == "text-align:left" || attr.value == "text-align:center" ||
                      attr.value == "text-align:right",
                  "an unexpected style", tag.source);
          if (attr.name == "id") {
            check(attr.value && !attr.value->empty(), "an empty heading id", tag.source);
            check(ids.insert(*attr.value).second, "a duplicate heading id", tag.source);
          }
        }
      },
      [](std::string_view) {});
  nesting.finish(html);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view markdown(reinterpret_cast<const char*>(data), size);
  const lattice::render::RenderedMarkdown out = lattice::render::renderMarkdown(markdown);
  check(out.ok, "renderMarkdown failed on an input md4c accepts", markdown);
  checkHtml(out.html);
  check(out.plainText.size() <= 300, "plainText over 300 bytes", out.plainText);
  check(lattice::render::isValidUtf8(out.plainText), "ill-formed UTF-8 in plainText", out.plainText);
  for (const auto& h : out.headings) {
    check(h.level >= 1 && h.level <= 6, "a heading level outside 1..6", h.text);
    check(!h.id.empty(), "an empty heading id", h.text);
  }
  return 0;
}
