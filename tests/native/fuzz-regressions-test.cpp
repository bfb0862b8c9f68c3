// Regression tests for what the fuzz targets (fuzz/, scripts/fuzz) found: each case feeds the
// exact input the fuzzer saved (or the smallest input showing the same bug) and checks the fixed
// behaviour. Named after the bug, with the target that found it.

#include <doctest/doctest.h>

#include <climits>
#include <string>
#include <string_view>

#include "core/json.h"
#include "durable/live.h"
#include "render/comment-markdown.h"
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

// fuzz_json_bodies, fuzz/corpus/json_bodies/numbers.json ({"limit": 1e308, ...}): jsonInt
// converted any JSON float with static_cast<long long>, undefined behaviour outside the range of
// long long (UBSan: "1e+308 is outside the range of representable values"). It now clamps;
// floats in range are truncated toward zero as before.
TEST_CASE("fuzz regression: jsonInt clamps floats outside the range of long long") {
  const Json j = *parseJson(R"({"limit": 1e308, "low": -1e308, "edge": 9223372036854775807.0,
                                "neg": -9223372036854775808.0, "half": 1.9, "minus": -1.9, "s": "7"})");
  CHECK(jsonInt(j, "limit") == LLONG_MAX);
  CHECK(jsonInt(j, "low") == LLONG_MIN);
  CHECK(jsonInt(j, "edge") == LLONG_MAX);  // the double nearest 2^63 - 1 is 2^63
  CHECK(jsonInt(j, "neg") == LLONG_MIN);
  CHECK(jsonInt(j, "half") == 1);
  CHECK(jsonInt(j, "minus") == -1);
  CHECK(jsonInt(j, "s", 5) == 5);
  CHECK(jsonInt(j, "absent", 5) == 5);
}

// fuzz_websocket, fuzz/corpus/websocket/attachment-edge (an attachment with refilledAt
// -9223372036854775808, then admit() at now = 0): the refill computed now - refilledAt in long
// long, a signed overflow (UBSan). The difference is now taken in double: a clock that moved
// forward by any amount refills the bucket completely.
TEST_CASE("fuzz regression: admit() does not overflow on an extreme refilledAt") {
  auto state = SocketState::fromJson(*parseJson(
      R"({"readerId":"","lastSeq":0,"tokens":0,"refilledAt":-9223372036854775808,"strikes":5})"));
  REQUIRE(state.has_value());
  CHECK(admit(*state, 0) == FloodDecision::Accept);
  CHECK(state->tokens == doctest::Approx(kFloodBurst - 1));
  CHECK(state->strikes == 0);
  CHECK(state->refilledAt == 0);

  auto late = SocketState::opened("r", 0, LLONG_MIN);
  CHECK(admit(late, LLONG_MAX) == FloodDecision::Accept);
  CHECK(late.refilledAt == LLONG_MAX);
}

size_t count(std::string_view text, std::string_view needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string_view::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// fuzz_markdown, crash-52a0add892c377ff29f628c380c0a04b300d3b27 (oracle: an element left open):
// md4c 0.4.8 enters <em> and never leaves it when a bare URL autolink swallows the closing '*'
// ("*x http://a.b/c*d"), so the post's HTML ended with <em> open and the browser carried the
// italics on past the article. Spans still open at the end of their block are closed now.
TEST_CASE("fuzz regression: an emphasis whose closer an autolink swallowed is closed with its block") {
  const std::string input = "*\xc0www.example.com http://a.b/c?d*=e&f=g\xff\xff user@example.com <mailto:x@y.z> "
                            "https://x.y/'\"<>";
  const std::string out = render::renderMarkdown(input).html;
  CHECK(count(out, "<em>") == 1);
  CHECK(count(out, "</em>") == 1);
  CHECK(out.substr(out.size() - 18) == "&lt;&gt;</em></p>\n");

  CHECK(render::renderMarkdown("*x http://a.b/c*d").html ==
        "<p><em>x <a href=\"http://a.b/c*d\" rel=\"noopener\">http://a.b/c*d</a></em></p>\n");
  CHECK(render::renderCommentHtml("*x http://a.b/c*d") ==
        "<p><em>x <a href=\"http://a.b/c*d\" rel=\"ugc nofollow noopener\">http://a.b/c*d</a></em></p>\n");
  CHECK(render::renderMarkdown("**x www.a.b/c**d *y*").html ==
        "<p><strong>x <a href=\"http://www.a.b/c**d\" rel=\"noopener\">www.a.b/c**d</a> <em>y</em></strong></p>\n");
}

// fuzz_comment_markdown, crash-be548623cafe7502630301c2e8b9a5880143af97 (oracle: a closing tag
// that matches no open element): md4c 0.4.8 reported the end of an emphasis it had begun inside
// an image's alt text (where the comment renderer emits no element) after the image, so the
// comment had a stray </em>. A leave for a span that is not open is ignored now.
TEST_CASE("fuzz regression: a comment gets no closing tag for a span it never opened") {
  const std::string input("![alt](/y/y.png[[[[[![/y.png[[[[[![a[[_[)< \x0b" "\x00" "h\x00" ")<[[la[[_[)< \x0b" "\x00" "h\x00" ")<[[lp",
                          70);
  REQUIRE(input.size() == 70);
  const std::string out = render::renderCommentHtml(input);
  CHECK(out.find("<em>") == std::string::npos);
  CHECK(out.find("</em>") == std::string::npos);
  CHECK(out.substr(0, 42) == "<p>![alt](/y/y.png[[[[[![/y.png[[[[[![a[[_");
  CHECK(out.substr(out.size() - 9) == "[[lp</p>\n");
}

}  // namespace
}  // namespace lattice
