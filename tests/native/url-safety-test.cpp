// Tests for render/url-safety.h: scheme allowlisting after entity decoding, the entity
// decoder itself, and URL attribute encoding.

#include <doctest/doctest.h>

#include "render/url-safety.h"

namespace lattice::render {
namespace {

bool allowed(std::string_view url) { return safeUrl(url).has_value(); }

TEST_CASE("url: http, https and mailto are allowed in any case") {
  CHECK(safeUrl("http://example.com/a?b=c#d") == "http://example.com/a?b=c#d");
  CHECK(safeUrl("https://example.com") == "https://example.com");
  CHECK(safeUrl("HTTPS://EXAMPLE.COM") == "HTTPS://EXAMPLE.COM");
  CHECK(safeUrl("HtTp://x") == "HtTp://x");
  CHECK(safeUrl("mailto:someone@example.com") == "mailto:someone@example.com");
  CHECK(safeUrl("MAILTO:someone@example.com") == "MAILTO:someone@example.com");
}

TEST_CASE("url: relative URLs are allowed") {
  CHECK(safeUrl("/posts/hello") == "/posts/hello");
  CHECK(safeUrl("posts/hello.html") == "posts/hello.html");
  CHECK(safeUrl("../up") == "../up");
  CHECK(safeUrl("?page=2") == "?page=2");
  CHECK(safeUrl("#section") == "#section");
  CHECK(safeUrl("//cdn.example.com/x.png") == "//cdn.example.com/x.png");
  CHECK(safeUrl("") == "");
  // A ':' after the first '/', '?' or '#' is not a scheme delimiter.
  CHECK(safeUrl("/a:b") == "/a:b");
  CHECK(safeUrl("?x=javascript:alert(1)") == "?x=javascript:alert(1)");
  CHECK(safeUrl("#javascript:alert(1)") == "#javascript:alert(1)");
  CHECK(safeUrl("path/javascript:alert(1)") == "path/javascript:alert(1)");
}

TEST_CASE("url: dangerous and unknown schemes are rejected") {
  CHECK_FALSE(allowed("javascript:alert(1)"));
  CHECK_FALSE(allowed("JaVaScRiPt:alert(1)"));
  CHECK_FALSE(allowed("JAVASCRIPT:alert(1)"));
  CHECK_FALSE(allowed("vbscript:msgbox(1)"));
  CHECK_FALSE(allowed("data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="));
  CHECK_FALSE(allowed("data:image/png;base64,iVBORw0KGgo="));
  CHECK_FALSE(allowed("file:///etc/passwd"));
  CHECK_FALSE(allowed("blob:https://example.com/uuid"));
  CHECK_FALSE(allowed("ftp://example.com"));
  CHECK_FALSE(allowed("unknown:thing"));
  CHECK_FALSE(allowed("tel:+123"));  // not on the allowlist either
  // Not real schemes, but we reject rather than guess how a browser parses them.
  CHECK_FALSE(allowed("java script:alert(1)"));
  CHECK_FALSE(allowed("%6Aavascript:alert(1)"));
  CHECK_FALSE(allowed("\\javascript:alert(1)"));
  CHECK_FALSE(allowed("java\x01script:alert(1)"));
  CHECK_FALSE(allowed(":nothing"));
}

TEST_CASE("url: leading/trailing controls and embedded tab/newline are removed first") {
  CHECK_FALSE(allowed(" javascript:alert(1)"));
  CHECK_FALSE(allowed("\t\n\r\x01\x1F javascript:alert(1)"));
  CHECK_FALSE(allowed(std::string_view("\0javascript:alert(1)", 20)));
  CHECK_FALSE(allowed("java\tscript:alert(1)"));
  CHECK_FALSE(allowed("java\nscript:alert(1)"));
  CHECK_FALSE(allowed("java\rscript:alert(1)"));
  CHECK_FALSE(allowed("j\ta\nv\ra\tscript\t:alert(1)"));
  CHECK_FALSE(allowed("javascript\n:alert(1)"));
  // ... and the normalised URL is what gets returned.
  CHECK(safeUrl("  https://exa\tmple.com/a\nb  ") == "https://example.com/ab");
  CHECK(safeUrl("\x01/x\x02") == "/x");
  CHECK(safeUrl("   ") == "");
  // "ht\ttp:" is "http:" to a browser, so it is allowed (and returned as "http:").
  CHECK(safeUrl("ht\ttp://example.com") == "http://example.com");
}

TEST_CASE("url: entity-encoded schemes are caught once decoded") {
  auto allowedAfterDecoding = [](std::string_view raw) { return allowed(decodeEntities(raw)); };
  CHECK_FALSE(allowedAfterDecoding("&#106;avascript:alert(1)"));
  CHECK_FALSE(allowedAfterDecoding("&#0000106;avascript:alert(1)"));
  CHECK_FALSE(allowedAfterDecoding("&#x6A;avascript:alert(1)"));
  CHECK_FALSE(allowedAfterDecoding("&#X6a;avascript:alert(1)"));
  CHECK_FALSE(allowedAfterDecoding("java&#x09;script:alert(1)"));
  CHECK_FALSE(allowedAfterDecoding("java&#10;script:alert(1)"));
  CHECK_FALSE(allowedAfterDecoding("java&Tab;script:alert(1)"));
  CHECK_FALSE(allowedAfterDecoding("java&NewLine;script:alert(1)"));
  CHECK_FALSE(allowedAfterDecoding("javascript&colon;alert(1)"));
  CHECK_FALSE(allowedAfterDecoding("javascript&#58;alert(1)"));
  CHECK_FALSE(allowedAfterDecoding("&#32;javascript:alert(1)"));
  CHECK(allowedAfterDecoding("https://example.com/?a=1&amp;b=2"));
  CHECK(decodeEntities("https://example.com/?a=1&amp;b=2") == "https://example.com/?a=1&b=2");
}

TEST_CASE("url: decodeEntities decodes numeric references") {
  CHECK(decodeEntities("&#65;&#x42;&#X43;") == "ABC");
  CHECK(decodeEntities("&#233;") == "\xC3\xA9");
  CHECK(decodeEntities("&#x1F600;") == "\xF0\x9F\x98\x80");
  CHECK(decodeEntities("&#9999999;") == "\xEF\xBF\xBD");   // 7 digits, beyond U+10FFFF
  CHECK(decodeEntities("&#0;") == "\xEF\xBF\xBD");
  CHECK(decodeEntities("&#x0;") == "\xEF\xBF\xBD");
  CHECK(decodeEntities("&#xD800;") == "\xEF\xBF\xBD");
  CHECK(decodeEntities("&#x10FFFF;") == "\xF4\x8F\xBF\xBF");
  CHECK(decodeEntities("&#x110000;") == "\xEF\xBF\xBD");
  // Outside CommonMark's digit limits, or malformed: left verbatim.
  CHECK(decodeEntities("&#12345678;") == "&#12345678;");
  CHECK(decodeEntities("&#x1234567;") == "&#x1234567;");
  CHECK(decodeEntities("&#;") == "&#;");
  CHECK(decodeEntities("&#x;") == "&#x;");
  CHECK(decodeEntities("&#65") == "&#65");
  CHECK(decodeEntities("&#6 5;") == "&#6 5;");
}

TEST_CASE("url: decodeEntities decodes named references from the HTML5 table") {
  CHECK(decodeEntities("&amp;&lt;&gt;&quot;&apos;") == "&<>\"'");
  CHECK(decodeEntities("&nbsp;") == "\xC2\xA0");
  CHECK(decodeEntities("&copy; 2024") == "\xC2\xA9 2024");
  CHECK(decodeEntities("&AElig;") == "\xC3\x86");
  CHECK(decodeEntities("&NotEqualTilde;") == "\xE2\x89\x82\xCC\xB8");  // two code points
  // Unknown names, missing ';' and too-short names are left alone.
  CHECK(decodeEntities("&bogus;") == "&bogus;");
  CHECK(decodeEntities("&amp") == "&amp");
  CHECK(decodeEntities("&a;") == "&a;");
  CHECK(decodeEntities("AT&T; R&D") == "AT&T; R&D");
  CHECK(decodeEntities("&;") == "&;");
  CHECK(decodeEntities("&") == "&");
  CHECK(decodeEntities("") == "");
  // Single pass: the output of one reference is not decoded again.
  CHECK(decodeEntities("&amp;lt;") == "&lt;");
  CHECK(decodeEntities("a &amp;&amp; b &#38;#60;") == "a && b &#60;");
  CHECK(decodeEntities("&&amp;") == "&&");
}

TEST_CASE("url: appendEscapedUrl percent-encodes like md4c-html") {
  auto encode = [](std::string_view url) {
    std::string out;
    appendEscapedUrl(out, url);
    return out;
  };
  CHECK(encode("https://example.com/a-b_c.d~e?x=1&y=2#f") ==
        "https://example.com/a-b_c.d%7Ee?x=1&amp;y=2#f");
  CHECK(encode("/a b") == "/a%20b");
  CHECK(encode("/\"><script>") == "/%22%3E%3Cscript%3E");
  CHECK(encode("/it's") == "/it%27s");
  CHECK(encode("/caf\xC3\xA9") == "/caf%C3%A9");
  CHECK(encode("/already%20encoded") == "/already%20encoded");
  CHECK(encode("/back\\slash") == "/back%5Cslash");
  CHECK(encode(std::string_view("/\0\x7F", 3)) == "/%00%7F");
  CHECK(encode("mailto:a@b.c") == "mailto:a@b.c");
}

TEST_CASE("url: isExternalUrl recognises absolute http(s) and protocol-relative URLs") {
  CHECK(isExternalUrl("http://example.com"));
  CHECK(isExternalUrl("HTTPS://example.com"));
  CHECK(isExternalUrl("//example.com"));
  CHECK(isExternalUrl("\\\\example.com"));
  CHECK(isExternalUrl("/\\example.com"));
  CHECK_FALSE(isExternalUrl("/local"));
  CHECK_FALSE(isExternalUrl("#frag"));
  CHECK_FALSE(isExternalUrl("mailto:a@b.c"));
  CHECK_FALSE(isExternalUrl(""));
}

}  // namespace
}  // namespace lattice::render
