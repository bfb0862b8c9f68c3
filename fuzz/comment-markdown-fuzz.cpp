// Reader comments (src/render/comment-markdown.h), written by anyone with a reader token. The
// oracle is the post one (no <script, no on*, allowlisted schemes) tightened to the comment
// contract: only p, br, em, strong, code, pre and a; no attribute but href and rel on a; every
// href absolute http, https or mailto (relative links are not allowed in comments); rel exactly
// "ugc nofollow noopener"; properly nested, valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz-support.h"
#include "render/comment-markdown.h"
#include "render/html-escape.h"

using namespace lattice::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const std::string html = lattice::render::renderCommentHtml(body);

  check(!containsNoCase(html, "<script"), "<script in the output", html);
  check(lattice::render::isValidUtf8(html), "ill-formed UTF-8 in the output", html);
  NestingCheck nesting;
  scanHtml(
      html,
      [&](const Tag& tag) {
        const std::string& n = tag.name;
        check(n == "p" || n == "br" || n == "em" || n == "strong" || n == "code" || n == "pre" || n == "a",
              "an element outside the comment subset", tag.source);
        nesting.onTag(tag);
        if (tag.closing) return;
        if (n != "a") {
          check(tag.attributes.empty(), "an attribute on an element other than a", tag.source);
          return;
        }
        bool href = false, rel = false;
        for (const Attribute& attr : tag.attributes) {
          check(!startsWithNoCase(attr.name, "on"), "an on* attribute", tag.source);
          check(attr.value.has_value(), "a bare attribute on a", tag.source);
          if (attr.name == "href") {
            href = true;
            const std::string scheme = browserScheme(*attr.value);
            check(scheme == "http" || scheme == "https" || scheme == "mailto",
                  "a comment link that is not absolute http, https or mailto", tag.source);
          } else if (attr.name == "rel") {
            rel = true;
            check(*attr.value == "ugc nofollow noopener", "an unexpected rel", tag.source);
          } else {
            fail("an attribute on a other than href and rel", tag.source);
          }
        }
        check(href && rel, "a link without href or rel", tag.source);
      },
      [](std::string_view) {});
  nesting.finish(html);

  // commentUrl() on its own: whatever it accepts starts with an allowed scheme.
  if (auto url = lattice::render::commentUrl(body)) {
    const std::string scheme = browserScheme(*url);
    check(scheme == "http" || scheme == "https" || scheme == "mailto", "commentUrl accepted another scheme", *url);
  }
  return 0;
}
