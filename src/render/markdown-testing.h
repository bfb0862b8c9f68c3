// Test-only knobs for renderMarkdown(), for the CommonMark conformance test
// (tests/native/commonmark-test.cpp) and nothing else.
//
// Production renders through renderMarkdown(markdown) in markdown.h, which is
// renderMarkdown(markdown, RenderOptions{}): the defaults below ARE the production behaviour.
// Only tests include this header; tests/native/commonmark-test.cpp fails if anything under
// src/ (other than the renderer itself) or bindings/ includes it, so no request, config value
// or binding can switch raw HTML on.

#pragma once

#include <string_view>

#include "render/markdown.h"

namespace lattice::render::testing {

struct RenderOptions {
  // Pass raw HTML blocks and inline HTML through verbatim, as CommonMark specifies. Production:
  // off (md4c parses with MD_FLAG_NOHTML and the text is escaped).
  bool allowRawHtml = false;
  // Parse plain CommonMark (md4c's MD_DIALECT_COMMONMARK): no tables, strikethrough, task lists
  // or permissive (bare URL, www., e-mail) autolinks. Production: off (they are on).
  bool commonMarkOnly = false;
  // Check link and image URLs against the scheme allowlist (url-safety.h). Off: every
  // destination is emitted as written (entity-decoded, then attribute-encoded).
  bool checkUrls = true;
  // Production decorations that the spec's expected HTML does not have: <hN id="...">,
  // rel="noopener" on external links, loading="lazy" on images.
  bool headingIds = true;
  bool noopenerRel = true;
  bool lazyImages = true;

  // What the CommonMark spec's examples expect: raw HTML, plain CommonMark, no URL filtering,
  // no decorations.
  static RenderOptions commonMarkSpec() {
    RenderOptions o;
    o.allowRawHtml = true;
    o.commonMarkOnly = true;
    o.checkUrls = false;
    o.headingIds = false;
    o.noopenerRel = false;
    o.lazyImages = false;
    return o;
  }
};

RenderedMarkdown renderMarkdown(std::string_view markdown, const RenderOptions& options);

}  // namespace lattice::render::testing
