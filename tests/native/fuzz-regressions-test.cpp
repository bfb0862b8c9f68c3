// Regression tests for what the fuzz targets (fuzz/, scripts/fuzz) found: each case feeds the
// exact input the fuzzer saved (or the smallest input showing the same bug) and checks the fixed
// behaviour. Named after the bug, with the target that found it.

#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "render/markdown.h"

namespace lattice {
namespace {

// fuzz_markdown, input "0" (crash-b6589fc6ab0dc82cf12099d1c2d40ab994e8410c): md4c 0.4.8's
// md_is_container_mark reads the byte after a trailing list-number-like run of digits, looking
// for '.' or ')'. renderMarkdown passed md4c the caller's view, so that byte was past the
// allocation (ASan: heap-buffer-overflow) or, for a view into a larger buffer, the caller's next
// character: "1" out of "1." became an ordered list. md4c now parses an owned, NUL-terminated copy.
TEST_CASE("fuzz regression: a view ending in digits is not read past (md4c container mark)") {
  const std::string exact = "0";
  const render::RenderedMarkdown fromExact = render::renderMarkdown(exact);
  REQUIRE(fromExact.ok);
  CHECK(fromExact.html == "<p>0</p>\n");

  for (std::string buffer : {"1.", "7)", "123456789."}) {
    const std::string_view view = std::string_view(buffer).substr(0, buffer.size() - 1);
    const render::RenderedMarkdown r = render::renderMarkdown(view);
    REQUIRE(r.ok);
    CHECK(r.html == "<p>" + std::string(view) + "</p>\n");
  }
  // Ill-formed UTF-8 took the other path (a repaired copy) and was never affected.
  const std::string bad = "\xff" "2.";
  const render::RenderedMarkdown r = render::renderMarkdown(std::string_view(bad).substr(0, 2));
  CHECK(r.html == "<p>\xEF\xBF\xBD" "2</p>\n");
}

}  // namespace
}  // namespace lattice
