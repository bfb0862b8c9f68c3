// Tests for render/comment-markdown.h: the exact HTML of the small comment subset, the blocks
// shown as text, and a corpus of hostile inputs checked with a strict scanner of the output
// (only p, br, em, strong, code, pre, a; only href and rel on a; only http(s)/mailto hrefs).

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "render/comment-markdown.h"

namespace lattice::render {
namespace {

std::string lower(std::string_view text) {
  std::string result(text);
  for (char& c : result)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return result;
}

// Checks every tag of `html`; returns the problems found (empty when the output is safe).
std::vector<std::string> problems(const std::string& html) {
  static const std::set<std::string> kAllowed = {"p", "br", "em", "strong", "code", "pre", "a"};
  std::vector<std::string> found;
  size_t pos = 0;
  while ((pos = html.find('<', pos)) != std::string::npos) {
    size_t end = html.find('>', pos);
    if (end == std::string::npos) {
      found.push_back("unterminated tag");
      break;
    }
    std::string tag = html.substr(pos + 1, end - pos - 1);
    if (tag.find('<') != std::string::npos) found.push_back("'<' inside a tag: " + tag);
    // No event handler attribute (" on...=") inside any tag.
    std::string lowerTag = lower(tag);
    for (size_t at = 0; (at = lowerTag.find_first_of(" \t\n/", at)) != std::string::npos; ++at) {
      size_t i = at + 1;
      if (lowerTag.compare(i, 2, "on") != 0) continue;
      i += 2;
      while (i < lowerTag.size() && lowerTag[i] >= 'a' && lowerTag[i] <= 'z') ++i;
      while (i < lowerTag.size() && lowerTag[i] == ' ') ++i;
      if (i < lowerTag.size() && lowerTag[i] == '=') found.push_back("event handler attribute: " + tag);
    }
    bool closing = !tag.empty() && tag[0] == '/';
    if (closing) tag.erase(0, 1);
    size_t nameEnd = tag.find(' ');
    std::string name = lower(tag.substr(0, nameEnd));
    if (!kAllowed.count(name)) found.push_back("tag not allowed: " + name);
    std::string rest = nameEnd == std::string::npos ? "" : tag.substr(nameEnd);
    if (closing && !rest.empty()) found.push_back("attributes on an end tag: " + tag);
    if (!closing && name != "a" && !rest.empty()) found.push_back("attributes on " + name + ": " + rest);
    if (!closing && name == "a") {
      // Exactly: href="..." rel="ugc nofollow noopener", the value free of quotes and spaces.
      const std::string prefix = " href=\"";
      const std::string suffix = "\" rel=\"ugc nofollow noopener\"";
      if (rest.rfind(prefix, 0) != 0 || rest.size() < prefix.size() + suffix.size() ||
          rest.compare(rest.size() - suffix.size(), suffix.size(), suffix) != 0) {
        found.push_back("bad <a> attributes: " + rest);
      } else {
        std::string href = rest.substr(prefix.size(), rest.size() - prefix.size() - suffix.size());
        if (href.find_first_of("\"' <>\t\n") != std::string::npos) found.push_back("bad href: " + href);
        std::string l = lower(href);
        if (l.rfind("http://", 0) != 0 && l.rfind("https://", 0) != 0 && l.rfind("mailto:", 0) != 0)
          found.push_back("scheme not allowed: " + href);
      }
    }
    pos = end + 1;
  }
  std::string l = lower(html);
  if (l.find("<script") != std::string::npos) found.push_back("<script");
  return found;
}

void checkSafe(std::string_view body) {
  std::string html = renderCommentHtml(body);
  INFO("input: " << body);
  INFO("html:  " << html);
  CHECK(problems(html).empty());
  for (const auto& p : problems(html)) MESSAGE(p);
}

}  // namespace

TEST_CASE("comment markdown: the supported subset, exactly") {
  CHECK(renderCommentHtml("Hello") == "<p>Hello</p>\n");
  CHECK(renderCommentHtml("one\n\ntwo") == "<p>one</p>\n<p>two</p>\n");
  CHECK(renderCommentHtml("line one\nline two") == "<p>line one<br>\nline two</p>\n");
  CHECK(renderCommentHtml("hard  \nbreak") == "<p>hard<br>\nbreak</p>\n");
  CHECK(renderCommentHtml("*em* _em_ **strong** `x < y`") ==
        "<p><em>em</em> <em>em</em> <strong>strong</strong> <code>x &lt; y</code></p>\n");
  CHECK(renderCommentHtml("```js\nlet a = \"<b>\";\n# not a heading\n```") ==
        "<pre><code>let a = &quot;&lt;b&gt;&quot;;\n# not a heading\n</code></pre>\n");
  CHECK(renderCommentHtml("~~~\n> quoted\n- item\n~~~\n") == "<pre><code>&gt; quoted\n- item\n</code></pre>\n");
  CHECK(renderCommentHtml("para\n\n    indented code\n    # still code") ==
        "<p>para</p>\n<pre><code>indented code\n# still code\n</code></pre>\n");
  CHECK(renderCommentHtml("[site](https://example.com/a?b=1&c=2)") ==
        "<p><a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"ugc nofollow noopener\">site</a></p>\n");
  CHECK(renderCommentHtml("<https://example.com>") ==
        "<p><a href=\"https://example.com\" rel=\"ugc nofollow noopener\">https://example.com</a></p>\n");
  CHECK(renderCommentHtml("see http://example.com/x now") ==
        "<p>see <a href=\"http://example.com/x\" rel=\"ugc nofollow noopener\">http://example.com/x</a> now</p>\n");
  CHECK(renderCommentHtml("www.example.com") ==
        "<p><a href=\"http://www.example.com\" rel=\"ugc nofollow noopener\">www.example.com</a></p>\n");
  CHECK(renderCommentHtml("mail me@example.com") ==
        "<p>mail <a href=\"mailto:me@example.com\" rel=\"ugc nofollow noopener\">me@example.com</a></p>\n");
  CHECK(renderCommentHtml("[m](MAILTO:me@example.com)") ==
        "<p><a href=\"MAILTO:me@example.com\" rel=\"ugc nofollow noopener\">m</a></p>\n");
  CHECK(renderCommentHtml("a\r\nb\rc") == "<p>a<br>\nb<br>\nc</p>\n");
  CHECK(renderCommentHtml("") == "");
}

TEST_CASE("comment markdown: other blocks are shown as the text they were written as") {
  CHECK(renderCommentHtml("# Title") == "<p># Title</p>\n");
  CHECK(renderCommentHtml("###### six") == "<p>###### six</p>\n");
  CHECK(renderCommentHtml("Title\n=====") == "<p>Title<br>\n=====</p>\n");
  CHECK(renderCommentHtml("Title\n---") == "<p>Title<br>\n---</p>\n");
  CHECK(renderCommentHtml("> quote") == "<p>&gt; quote</p>\n");
  CHECK(renderCommentHtml("- one\n- two") == "<p>- one<br>\n- two</p>\n");
  CHECK(renderCommentHtml("* one\n+ two") == "<p>* one<br>\n+ two</p>\n");
  CHECK(renderCommentHtml("1. one\n2) two") == "<p>1. one<br>\n2) two</p>\n");
  CHECK(renderCommentHtml("***") == "<p>***</p>\n");
  CHECK(renderCommentHtml("_ _ _") == "<p>_ _ _</p>\n");
  CHECK(renderCommentHtml("| a | b |\n|---|---|\n| 1 | 2 |") == "<p>| a | b |<br>\n|---|---|<br>\n| 1 | 2 |</p>\n");
  CHECK(renderCommentHtml("~~gone~~") == "<p>~~gone~~</p>\n");
  CHECK(renderCommentHtml("![cat](https://example.com/cat.png)") == "<p>![cat](https://example.com/cat.png)</p>\n");
  CHECK(renderCommentHtml("<b>bold</b>") == "<p>&lt;b&gt;bold&lt;/b&gt;</p>\n");
  CHECK(renderCommentHtml("<div>\nblock\n</div>") == "<p>&lt;div&gt;<br>\nblock<br>\n&lt;/div&gt;</p>\n");
  // Emphasis at the start of a line is not a list marker and still works.
  CHECK(renderCommentHtml("*not a list*") == "<p><em>not a list</em></p>\n");
  CHECK(renderCommentHtml("#hashtag") == "<p>#hashtag</p>\n");
  CHECK(renderCommentHtml("2024. A year") == "<p>2024. A year</p>\n");
}

TEST_CASE("comment markdown: relative and dangerous links render their text only") {
  CHECK(renderCommentHtml("[x](/admin)") == "<p>x</p>\n");
  CHECK(renderCommentHtml("[x](admin)") == "<p>x</p>\n");
  CHECK(renderCommentHtml("[x](#top)") == "<p>x</p>\n");
  CHECK(renderCommentHtml("[x](//evil.example)") == "<p>x</p>\n");
  CHECK(renderCommentHtml("[x](javascript:alert(1))") == "<p>x</p>\n");
  CHECK(renderCommentHtml("[x](&#106;avascript:alert(1))") == "<p>x</p>\n");
  CHECK(renderCommentHtml("[x](java&#x09;script:alert(1))") == "<p>x</p>\n");
  CHECK(renderCommentHtml("[x](data:text/html;base64,PHNjcmlwdD4=)") == "<p>x</p>\n");
  CHECK(renderCommentHtml("[x](VBScript:msgbox(1))") == "<p>x</p>\n");
  CHECK(renderCommentHtml("<javascript:alert(1)>") == "<p>javascript:alert(1)</p>\n");  // an autolink, refused
  CHECK(renderCommentHtml("[x]\n\n[x]: javascript:alert(1)") == "<p>x</p>\n");

  CHECK(commentUrl("https://a.example").value() == "https://a.example");
  CHECK(commentUrl(" HTTP://a.example ").value() == "HTTP://a.example");
  CHECK(commentUrl("mailto:a@b.example").value() == "mailto:a@b.example");
  CHECK_FALSE(commentUrl("/relative"));
  CHECK_FALSE(commentUrl("//host/x"));
  CHECK_FALSE(commentUrl("ftp://a.example"));
  CHECK_FALSE(commentUrl("http:/a.example"));
  CHECK_FALSE(commentUrl("java\nscript:alert(1)"));
  CHECK_FALSE(commentUrl(""));
}

TEST_CASE("comment markdown: hostile inputs produce only allowed tags, attributes and schemes") {
  const std::vector<std::string> corpus = {
      "<script>alert(1)</script>",
      "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
      "<scr<script>ipt>alert(1)</script>",
      "<img src=x onerror=alert(1)>",
      "<svg onload=alert(1)>",
      "<a href=\"javascript:alert(1)\">x</a>",
      "<iframe src=\"https://evil.example\"></iframe>",
      "<style>body{display:none}</style>",
      "![x](javascript:alert(1))",
      "![x\" onerror=\"alert(1)](https://example.com/x.png)",
      "![x](https://example.com/x.png \"t\\\" onload=\\\"alert(1)\")",
      "[x](https://example.com \"title\\\" onmouseover=\\\"alert(1)\")",
      "[x](https://example.com/\" onmouseover=\"alert(1))",
      "[x](<https://example.com/\" onmouseover=\"alert(1)>)",
      "[x](javascript:alert(1))",
      "[x](JaVaScRiPt:alert(1))",
      "[x](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
      "[x](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1))",
      "[x](&#0000106avascript:alert(1))",
      "[x](jav&Tab;ascript:alert(1))",
      "[x](jav&NewLine;ascript:alert(1))",
      "[x](%20javascript:alert(1))",
      "[x](\\javascript:alert(1))",
      "[x](javascript&colon;alert(1))",
      "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
      "[x](DATA:text/html,<script>alert(1)</script>)",
      "[x](vbscript:msgbox(1))",
      "[x](&#118;bscript:msgbox(1))",
      "[x](file:///etc/passwd)",
      "<javascript:alert(1)>",
      "<data:text/html,hi>",
      "[x][r]\n\n[r]: javascript:alert(1)",
      "[x][r]\n\n[r]: <data:text/html,x> \"t\"",
      "[**bold [inner](javascript:x)**](https://ok.example)",
      "[a ![b](https://x.example/i.png) c](https://ok.example)",
      "![a [b](javascript:x) c](https://ok.example/i.png)",
      "*<em onclick=alert(1)>x</em>*",
      "`<script>alert(1)</script>`",
      "```\n</code></pre><script>alert(1)</script>\n```",
      "```\"><script>alert(1)</script>\n```",
      "    <script>alert(1)</script>",
      "# <script>alert(1)</script>",
      "> <img src=x onerror=alert(1)>",
      "- [x](javascript:alert(1))\n- <b onmouseover=alert(1)>",
      "| a |\n|---|\n| <script>x</script> |",
      "&lt;script&gt;alert(1)&lt;/script&gt;",
      "&#60;script&#62;alert(1)&#60;/script&#62;",
      "<!-- x --><script>x</script>",
      "<![CDATA[<script>x</script>]]>",
      "http://evil.example/\"onmouseover=\"alert(1)",
      "www.evil.example/<script>alert(1)</script>",
      "a@b.example\"onclick=\"alert(1)",
      std::string("nul\0<script>", 12),
      "\xC0\xBCscript\xC0\xBE",
      "\xEF\xBC\x9Cscript\xEF\xBC\x9E",
      "[x](https://ok.example/\x01\x7F)",
  };
  for (const auto& body : corpus) checkSafe(body);

  // Deep nesting and many links stay safe and well-formed.
  std::string nested;
  for (int i = 0; i < 200; ++i) nested += "[*_**`";
  nested += "x](javascript:1)";
  checkSafe(nested);
  std::string many;
  for (int i = 0; i < 500; ++i) many += "[a](https://e.example/" + std::to_string(i) + ") www.x.example javascript:x ";
  checkSafe(many);
}

}  // namespace lattice::render
