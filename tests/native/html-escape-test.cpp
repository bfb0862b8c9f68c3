// Tests for render/html-escape.h: HTML escaping, UTF-8 hygiene and heading slugs.

#include <doctest/doctest.h>

#include "render/html-escape.h"

namespace lattice::render {
namespace {

TEST_CASE("escape: the five HTML-significant characters become references") {
  CHECK(escapeHtml("&<>\"'") == "&amp;&lt;&gt;&quot;&#39;");
  CHECK(escapeHtml("a & b < c > d \"e\" 'f'") ==
        "a &amp; b &lt; c &gt; d &quot;e&quot; &#39;f&#39;");
}

TEST_CASE("escape: everything else is copied byte for byte") {
  CHECK(escapeHtml("") == "");
  CHECK(escapeHtml("plain text, 100% = fine; /path?x=1#y") == "plain text, 100% = fine; /path?x=1#y");
  CHECK(escapeHtml("caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80") ==
        "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80");
  CHECK(escapeHtml("&amp;") == "&amp;amp;");  // already-escaped text is escaped again
  std::string withNul("a\0b", 3);
  CHECK(escapeHtml(withNul) == withNul);
}

TEST_CASE("escape: appendEscapedHtml appends and does not clear") {
  std::string out = "<p>";
  appendEscapedHtml(out, "x<y");
  appendEscapedHtml(out, "");
  out += "</p>";
  CHECK(out == "<p>x&lt;y</p>");
}

TEST_CASE("escape: escaped text cannot break out of a quoted attribute") {
  std::string hostile = "\" onmouseover=\"alert(1)' onfocus='alert(2)";
  std::string escaped = escapeHtml(hostile);
  CHECK(escaped.find('"') == std::string::npos);
  CHECK(escaped.find('\'') == std::string::npos);
  CHECK(escaped.find('<') == std::string::npos);
  CHECK(escaped.find('>') == std::string::npos);
}

TEST_CASE("escape: appendUtf8 encodes code points and replaces invalid ones") {
  auto encode = [](char32_t cp) {
    std::string out;
    appendUtf8(out, cp);
    return out;
  };
  CHECK(encode(U'A') == "A");
  CHECK(encode(0xE9) == "\xC3\xA9");
  CHECK(encode(0x20AC) == "\xE2\x82\xAC");
  CHECK(encode(0x1F600) == "\xF0\x9F\x98\x80");
  CHECK(encode(0x10FFFF) == "\xF4\x8F\xBF\xBF");
  CHECK(encode(0) == "\xEF\xBF\xBD");
  CHECK(encode(0xD800) == "\xEF\xBF\xBD");
  CHECK(encode(0xDFFF) == "\xEF\xBF\xBD");
  CHECK(encode(0x110000) == "\xEF\xBF\xBD");
}

TEST_CASE("escape: appendValidUtf8 replaces ill-formed sequences with U+FFFD") {
  auto repair = [](std::string_view text) {
    std::string out;
    appendValidUtf8(out, text);
    return out;
  };
  const std::string fffd = "\xEF\xBF\xBD";
  CHECK(repair("ok \xC3\xA9 \xF0\x9F\x98\x80") == "ok \xC3\xA9 \xF0\x9F\x98\x80");
  CHECK(repair("a\x80z") == "a" + fffd + "z");                  // stray continuation
  CHECK(repair("a\xC0\xAFz") == "a" + fffd + fffd + "z");       // overlong '/'
  CHECK(repair("a\xED\xA0\x80z") == "a" + fffd + fffd + fffd + "z");  // surrogate
  CHECK(repair("a\xF4\x90\x80\x80z") == "a" + fffd + fffd + fffd + fffd + "z");  // > U+10FFFF
  CHECK(repair("a\xE2\x82z") == "a" + fffd + "z");              // truncated: one U+FFFD
  CHECK(repair("a\xE2\x82") == "a" + fffd);                     // truncated at the end
  CHECK(repair("\xFF\xFE") == fffd + fffd);
  CHECK(repair("\xE2\x82<") == fffd + "<");  // an ASCII byte is never swallowed

  CHECK(isValidUtf8(""));
  CHECK(isValidUtf8("plain \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  CHECK_FALSE(isValidUtf8("\xC3"));
  CHECK_FALSE(isValidUtf8("\xC0\x80"));
  CHECK_FALSE(isValidUtf8("\xED\xBF\xBF"));
}

TEST_CASE("escape: slugifyHeading lowercases ASCII and joins words with '-'") {
  CHECK(slugifyHeading("Hello, World!") == "hello-world");
  CHECK(slugifyHeading("  --Foo__Bar--  ") == "foo-bar");
  CHECK(slugifyHeading("C++ & Rust: a comparison") == "c-rust-a-comparison");
  CHECK(slugifyHeading("2024 Recap (part 2)") == "2024-recap-part-2");
  CHECK(slugifyHeading("already-a-slug") == "already-a-slug");
  CHECK(slugifyHeading("He said \"hi\" & 'bye' <b>") == "he-said-hi-bye-b");
  CHECK(slugifyHeading("\"><script>alert(1)</script>") == "script-alert-1-script");
  CHECK(slugifyHeading("tab\there\nnewline") == "tab-here-newline");
}

TEST_CASE("escape: slugifyHeading keeps non-ASCII letters and drops Unicode punctuation") {
  CHECK(slugifyHeading("\xC3\x9C" "ber Caf\xC3\xA9") == "\xC3\x9C" "ber-caf\xC3\xA9");  // Über Café
  CHECK(slugifyHeading("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xE3\x83\x86\xE3\x82\xB9\xE3\x83\x88") ==
        "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E-\xE3\x83\x86\xE3\x82\xB9\xE3\x83\x88");  // 日本語 テスト
  // 「見出し」: CJK brackets (U+300C/U+300D) are separators and get trimmed.
  CHECK(slugifyHeading("\xE3\x80\x8C\xE8\xA6\x8B\xE5\x87\xBA\xE3\x81\x97\xE3\x80\x8D") ==
        "\xE8\xA6\x8B\xE5\x87\xBA\xE3\x81\x97");
  CHECK(slugifyHeading("a\xC2\xA0" "b") == "a-b");                  // no-break space
  CHECK(slugifyHeading("a\xE2\x80\x94" "b") == "a-b");              // em dash
  CHECK(slugifyHeading("\xE2\x80\x9Cquoted\xE2\x80\x9D") == "quoted");  // curly quotes
  CHECK(slugifyHeading("a\xFF" "b") == "a-b");                      // ill-formed byte
  CHECK(slugifyHeading("\xF0\x9F\x9A\x80 Launch") == "\xF0\x9F\x9A\x80-launch");  // emoji kept
}

TEST_CASE("escape: slugifyHeading falls back to 'section'") {
  CHECK(slugifyHeading("") == "section");
  CHECK(slugifyHeading("!!! ??? ---") == "section");
  CHECK(slugifyHeading("\xE2\x80\x94\xE2\x80\x94") == "section");
  CHECK(slugifyHeading(" ") == "section");
}

TEST_CASE("escape: slugifyHeading output is attribute- and fragment-safe") {
  std::string slug = slugifyHeading("a \"b\" 'c' <d> &e; f\tg\nh");
  CHECK(slug == "a-b-c-d-e-f-g-h");
  for (char c : slug) {
    CHECK(c != ' ');
    CHECK(c != '"');
    CHECK(c != '\'');
    CHECK(c != '<');
    CHECK(c != '&');
  }
}

}  // namespace
}  // namespace lattice::render
