// Tests for render/markdown.h: exact HTML for ordinary constructs, heading ids, word counts
// and excerpts, and a corpus of hostile inputs checked with a small HTML tag scanner.

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "render/html-escape.h"
#include "render/markdown.h"
#include "render/url-safety.h"

namespace lattice::render {
namespace {

std::string html(std::string_view markdown) {
  RenderedMarkdown rendered = renderMarkdown(markdown);
  REQUIRE(rendered.ok);
  return rendered.html;
}

std::string lower(std::string_view text) {
  std::string result(text);
  for (char& c : result) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return result;
}

// ---------------------------------------------------------------------------------------
// A deliberately small, strict HTML scanner for the renderer's output. Every '<' in our
// output must start a tag from the allowlist (text '<' is always escaped), every attribute
// must be on that tag's allowlist, and attribute values must be double-quoted. Anything
// else is reported as a problem.

struct Tag {
  std::string name;  // lowercased; "/p" for an end tag
  std::vector<std::pair<std::string, std::string>> attributes;  // raw (still escaped) values
};

struct ScanResult {
  std::vector<Tag> tags;
  std::vector<std::string> problems;
};

bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

ScanResult scanHtml(std::string_view html) {
  ScanResult result;
  size_t i = 0;
  while ((i = html.find('<', i)) != std::string_view::npos) {
    Tag tag;
    size_t j = i + 1;
    bool end = j < html.size() && html[j] == '/';
    if (end) ++j;
    size_t nameStart = j;
    while (j < html.size() && isNameChar(html[j])) ++j;
    if (j == nameStart) {
      result.problems.push_back("'<' not starting a tag at " + std::to_string(i));
      i = j;
      continue;
    }
    tag.name = (end ? "/" : "") + lower(html.substr(nameStart, j - nameStart));
    while (true) {
      while (j < html.size() && html[j] == ' ') ++j;
      if (j >= html.size()) {
        result.problems.push_back("unterminated tag " + tag.name);
        break;
      }
      if (html[j] == '>') {
        ++j;
        break;
      }
      size_t attrStart = j;
      while (j < html.size() && isNameChar(html[j])) ++j;
      if (j == attrStart) {
        result.problems.push_back("bad character in tag " + tag.name + ": " + std::string(1, html[j]));
        ++j;
        continue;
      }
      std::string name = lower(html.substr(attrStart, j - attrStart));
      std::string value;
      if (j < html.size() && html[j] == '=') {
        ++j;
        if (j >= html.size() || html[j] != '"') {
          result.problems.push_back("attribute " + name + " is not double-quoted");
          continue;
        }
        size_t close = html.find('"', j + 1);
        if (close == std::string_view::npos) {
          result.problems.push_back("unterminated attribute " + name);
          break;
        }
        value = std::string(html.substr(j + 1, close - j - 1));
        j = close + 1;
      }
      tag.attributes.emplace_back(std::move(name), std::move(value));
    }
    result.tags.push_back(std::move(tag));
    i = j;
  }
  return result;
}

const std::set<std::string>& allowedAttributes(const std::string& tag) {
  static const std::set<std::string> none;
  static const std::set<std::string> a = {"href", "title", "rel"};
  static const std::set<std::string> img = {"src", "alt", "title", "loading"};
  static const std::set<std::string> ol = {"start"};
  static const std::set<std::string> li = {"class"};
  static const std::set<std::string> input = {"type", "disabled", "checked"};
  static const std::set<std::string> code = {"class"};
  static const std::set<std::string> heading = {"id"};
  static const std::set<std::string> cell = {"style"};
  static const std::set<std::string> plain = {
      "p", "ul", "blockquote", "pre", "hr", "table", "thead", "tbody", "tr",
      "em", "strong", "del", "br", "/p", "/ul", "/ol", "/li", "/blockquote", "/pre", "/code",
      "/table", "/thead", "/tbody", "/tr", "/th", "/td", "/em", "/strong", "/del", "/a",
      "/h1", "/h2", "/h3", "/h4", "/h5", "/h6"};
  static const std::set<std::string> unknown = {"<unknown>"};
  if (tag == "a") return a;
  if (tag == "img") return img;
  if (tag == "ol") return ol;
  if (tag == "li") return li;
  if (tag == "input") return input;
  if (tag == "code") return code;
  if (tag.size() == 2 && tag[0] == 'h' && tag[1] >= '1' && tag[1] <= '6') return heading;
  if (tag == "th" || tag == "td") return cell;
  if (plain.count(tag) != 0) return none;
  return unknown;
}

// Normalises a URL attribute value the way a browser would before looking at its scheme.
std::string browserView(std::string_view escapedValue) {
  std::string decoded = decodeEntities(escapedValue);
  std::string result;
  for (char c : decoded) {
    if (static_cast<unsigned char>(c) <= 0x20) continue;
    result.push_back(c);
  }
  return lower(result);
}

// Asserts everything we promise about the safety of rendered HTML.
void checkSafe(std::string_view markdown) {
  RenderedMarkdown rendered = renderMarkdown(markdown);
  INFO("markdown: ", std::string(markdown));
  INFO("html: ", rendered.html);
  REQUIRE(rendered.ok);
  std::string html = lower(rendered.html);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<img src=x") == std::string::npos);
  CHECK(html.find("<iframe") == std::string::npos);
  CHECK(html.find("<svg") == std::string::npos);
  CHECK(html.find("<style") == std::string::npos);

  ScanResult scan = scanHtml(rendered.html);
  for (const std::string& problem : scan.problems) FAIL_CHECK(problem);
  for (const Tag& tag : scan.tags) {
    const std::set<std::string>& allowed = allowedAttributes(tag.name);
    CHECK_MESSAGE(allowed.count("<unknown>") == 0, "unexpected tag <", tag.name, ">");
    for (const auto& [name, value] : tag.attributes) {
      CHECK_MESSAGE(name.rfind("on", 0) != 0, "event handler attribute ", name);
      CHECK_MESSAGE(allowed.count(name) != 0, "unexpected attribute ", name, " on <", tag.name, ">");
      if (name == "href" || name == "src") {
        std::string url = browserView(value);
        CHECK_MESSAGE(url.find("javascript:") == std::string::npos, name, "=", value);
        CHECK_MESSAGE(url.find("vbscript:") == std::string::npos, name, "=", value);
        CHECK_MESSAGE(url.rfind("data:", 0) != 0, name, "=", value);
      }
      if (name == "style") {
        CHECK((value == "text-align:left" || value == "text-align:center" ||
               value == "text-align:right"));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Exact output for ordinary constructs.

TEST_CASE("render: paragraphs and inline spans") {
  CHECK(html("Hello *em* **strong** `code` ~~del~~") ==
        "<p>Hello <em>em</em> <strong>strong</strong> <code>code</code> <del>del</del></p>\n");
  CHECK(html("one\n\ntwo\n") == "<p>one</p>\n<p>two</p>\n");
  CHECK(html("") == "");
  CHECK(html("`a < b && c`") == "<p><code>a &lt; b &amp;&amp; c</code></p>\n");
  CHECK(html("it's \"quoted\"") == "<p>it&#39;s &quot;quoted&quot;</p>\n");
}

TEST_CASE("render: hard and soft line breaks") {
  CHECK(html("a  \nb") == "<p>a<br>\nb</p>\n");
  CHECK(html("a\\\nb") == "<p>a<br>\nb</p>\n");
  CHECK(html("a\nb") == "<p>a\nb</p>\n");
}

TEST_CASE("render: headings get ids") {
  CHECK(html("# Title") == "<h1 id=\"title\">Title</h1>\n");
  CHECK(html("### Third *level*") == "<h3 id=\"third-level\">Third <em>level</em></h3>\n");
  CHECK(html("Setext\n======") == "<h1 id=\"setext\">Setext</h1>\n");
  CHECK(html("Two\n---") == "<h2 id=\"two\">Two</h2>\n");
  CHECK(html("###### Six") == "<h6 id=\"six\">Six</h6>\n");
  CHECK(html("# !!!") == "<h1 id=\"section\">!!!</h1>\n");
}

TEST_CASE("render: lists") {
  CHECK(html("- a\n- b\n") == "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n");
  CHECK(html("1. a\n2. b\n") == "<ol>\n<li>a</li>\n<li>b</li>\n</ol>\n");
  CHECK(html("3. x\n4. y\n") == "<ol start=\"3\">\n<li>x</li>\n<li>y</li>\n</ol>\n");
  CHECK(html("0. zero\n") == "<ol start=\"0\">\n<li>zero</li>\n</ol>\n");
  // Like md4c-html (and unlike cmark), no newline right after <li>.
  CHECK(html("- a\n\n- b\n") == "<ul>\n<li><p>a</p>\n</li>\n<li><p>b</p>\n</li>\n</ul>\n");
  CHECK(html("- a\n  - b\n") == "<ul>\n<li>a<ul>\n<li>b</li>\n</ul>\n</li>\n</ul>\n");
}

TEST_CASE("render: task lists") {
  CHECK(html("- [ ] todo\n- [x] done\n- [X] also\n- plain\n") ==
        "<ul>\n"
        "<li class=\"task\"><input type=\"checkbox\" disabled>todo</li>\n"
        "<li class=\"task\"><input type=\"checkbox\" disabled checked>done</li>\n"
        "<li class=\"task\"><input type=\"checkbox\" disabled checked>also</li>\n"
        "<li>plain</li>\n"
        "</ul>\n");
}

TEST_CASE("render: blockquote and horizontal rule") {
  CHECK(html("> quoted\n> text") == "<blockquote>\n<p>quoted\ntext</p>\n</blockquote>\n");
  CHECK(html("---") == "<hr>\n");
  CHECK(html("a\n\n***\n\nb") == "<p>a</p>\n<hr>\n<p>b</p>\n");
}

TEST_CASE("render: code blocks") {
  CHECK(html("```cpp extra words\nint a<b;\n```\n") ==
        "<pre><code class=\"language-cpp\">int a&lt;b;\n</code></pre>\n");
  CHECK(html("```\nplain\n```") == "<pre><code>plain\n</code></pre>\n");
  CHECK(html("    indented <x>\n") == "<pre><code>indented &lt;x&gt;\n</code></pre>\n");
  CHECK(html("~~~ c&#43;&#43;\nx\n~~~") == "<pre><code class=\"language-c++\">x\n</code></pre>\n");
  CHECK(html("```\n*not em* &amp;\n```") == "<pre><code>*not em* &amp;amp;\n</code></pre>\n");
}

TEST_CASE("render: tables with alignment") {
  CHECK(html("| a | b | c | d |\n|:--|--:|:-:|---|\n| 1 | 2 | 3 | 4 |\n") ==
        "<table>\n<thead>\n<tr>\n"
        "<th style=\"text-align:left\">a</th>\n"
        "<th style=\"text-align:right\">b</th>\n"
        "<th style=\"text-align:center\">c</th>\n"
        "<th>d</th>\n"
        "</tr>\n</thead>\n<tbody>\n<tr>\n"
        "<td style=\"text-align:left\">1</td>\n"
        "<td style=\"text-align:right\">2</td>\n"
        "<td style=\"text-align:center\">3</td>\n"
        "<td>4</td>\n"
        "</tr>\n</tbody>\n</table>\n");
}

TEST_CASE("render: links") {
  CHECK(html("[x](https://example.com \"T\")") ==
        "<p><a href=\"https://example.com\" title=\"T\" rel=\"noopener\">x</a></p>\n");
  CHECK(html("[x](/local)") == "<p><a href=\"/local\">x</a></p>\n");
  CHECK(html("[x](#frag)") == "<p><a href=\"#frag\">x</a></p>\n");
  CHECK(html("[x](//cdn.example.com/a)") ==
        "<p><a href=\"//cdn.example.com/a\" rel=\"noopener\">x</a></p>\n");
  CHECK(html("[x](mailto:a@example.com)") == "<p><a href=\"mailto:a@example.com\">x</a></p>\n");
  CHECK(html("[x](</a b>)") == "<p><a href=\"/a%20b\">x</a></p>\n");
  CHECK(html("[x](/q?a=1&b=2)") == "<p><a href=\"/q?a=1&amp;b=2\">x</a></p>\n");
  CHECK(html("[x](/q?a=1&amp;b=2)") == "<p><a href=\"/q?a=1&amp;b=2\">x</a></p>\n");
  CHECK(html("[x](/caf\xC3\xA9)") == "<p><a href=\"/caf%C3%A9\">x</a></p>\n");
  CHECK(html("[x](/a\\_b)") == "<p><a href=\"/a_b\">x</a></p>\n");
  CHECK(html("[x]()") == "<p><a href=\"\">x</a></p>\n");
  CHECK(html("[*rich* `text`](/r)") == "<p><a href=\"/r\"><em>rich</em> <code>text</code></a></p>\n");
  CHECK(html("[ref]\n\n[ref]: /target 'Title'") ==
        "<p><a href=\"/target\" title=\"Title\">ref</a></p>\n");
  CHECK(html("[x](/t \"it's &amp; <b>\")") ==
        "<p><a href=\"/t\" title=\"it&#39;s &amp; &lt;b&gt;\">x</a></p>\n");
}

TEST_CASE("render: images") {
  CHECK(html("![alt *text*](/i.png \"t\")") ==
        "<p><img src=\"/i.png\" alt=\"alt text\" title=\"t\" loading=\"lazy\"></p>\n");
  CHECK(html("![a \"q\" & b](https://img.example.com/x.png)") ==
        "<p><img src=\"https://img.example.com/x.png\" alt=\"a &quot;q&quot; &amp; b\" loading=\"lazy\"></p>\n");
  CHECK(html("![outer ![inner](/in.png) [link](/l)](/out.png)") ==
        "<p><img src=\"/out.png\" alt=\"outer inner link\" loading=\"lazy\"></p>\n");
  CHECK(html("[![logo](/logo.png)](/home)") ==
        "<p><a href=\"/home\"><img src=\"/logo.png\" alt=\"logo\" loading=\"lazy\"></a></p>\n");
}

TEST_CASE("render: autolinks") {
  CHECK(html("<https://example.com/a>") ==
        "<p><a href=\"https://example.com/a\" rel=\"noopener\">https://example.com/a</a></p>\n");
  CHECK(html("<someone@example.com>") ==
        "<p><a href=\"mailto:someone@example.com\">someone@example.com</a></p>\n");
  CHECK(html("see https://example.com/x.") ==
        "<p>see <a href=\"https://example.com/x\" rel=\"noopener\">https://example.com/x</a>.</p>\n");
  CHECK(html("see www.example.com now") ==
        "<p>see <a href=\"http://www.example.com\" rel=\"noopener\">www.example.com</a> now</p>\n");
  CHECK(html("mail someone@example.com") ==
        "<p>mail <a href=\"mailto:someone@example.com\">someone@example.com</a></p>\n");
  // md4c recognises bare ftp:// URLs, but ftp is not on our allowlist: text only.
  CHECK(html("ftp://example.com/file") == "<p>ftp://example.com/file</p>\n");
}

TEST_CASE("render: entities and NUL") {
  CHECK(html("&copy; &amp; &#65; &#x42; &lt;b&gt; &bogus; AT&T") ==
        "<p>\xC2\xA9 &amp; A B &lt;b&gt; &amp;bogus; AT&amp;T</p>\n");
  CHECK(html("&#0; &#xD800;") == "<p>\xEF\xBF\xBD \xEF\xBF\xBD</p>\n");
  CHECK(html(std::string_view("a\0b", 3)) == "<p>a\xEF\xBF\xBD" "b</p>\n");
  CHECK(html("\\*not em\\* \\<x\\>") == "<p>*not em* &lt;x&gt;</p>\n");
}

TEST_CASE("render: raw HTML is escaped, never passed through") {
  CHECK(html("<script>alert(1)</script>") == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n");
  CHECK(html("hi <b>bold</b>") == "<p>hi &lt;b&gt;bold&lt;/b&gt;</p>\n");
  CHECK(html("<div>\nblock\n</div>") == "<p>&lt;div&gt;\nblock\n&lt;/div&gt;</p>\n");
  CHECK(html("<!-- comment -->") == "<p>&lt;!-- comment --&gt;</p>\n");
}

TEST_CASE("render: input hygiene (BOM, ill-formed UTF-8)") {
  CHECK(html("\xEF\xBB\xBF# Title") == "<h1 id=\"title\">Title</h1>\n");
  RenderedMarkdown rendered = renderMarkdown("bad \xC0\xAF bytes \xFF and \xE2\x82");
  REQUIRE(rendered.ok);
  CHECK(isValidUtf8(rendered.html));
  CHECK(rendered.html == "<p>bad \xEF\xBF\xBD\xEF\xBF\xBD bytes \xEF\xBF\xBD and \xEF\xBF\xBD</p>\n");
}

// ---------------------------------------------------------------------------------------
// Headings, word count, plain text.

TEST_CASE("render: heading ids are unique and headings are collected") {
  RenderedMarkdown rendered =
      renderMarkdown("# Foo\n\n## Foo\n\n### Foo 2\n\n# Foo\n\n## &amp; `code` *em*\n\n# !!!\n\n# ???");
  REQUIRE(rendered.ok);
  REQUIRE(rendered.headings.size() == 7);
  CHECK(rendered.headings[0].level == 1);
  CHECK(rendered.headings[0].id == "foo");
  CHECK(rendered.headings[1].level == 2);
  CHECK(rendered.headings[1].id == "foo-2");
  CHECK(rendered.headings[2].level == 3);
  CHECK(rendered.headings[2].id == "foo-2-2");  // "foo-2" was taken by the second "Foo"
  CHECK(rendered.headings[2].text == "Foo 2");
  CHECK(rendered.headings[3].id == "foo-3");
  CHECK(rendered.headings[4].id == "code-em");
  CHECK(rendered.headings[4].text == "& code em");
  CHECK(rendered.headings[5].id == "section");
  CHECK(rendered.headings[6].id == "section-2");
  CHECK(rendered.html.find("<h3 id=\"foo-2-2\">Foo 2</h3>") != std::string::npos);
  CHECK(rendered.html.find("<h2 id=\"code-em\">&amp; <code>code</code> <em>em</em></h2>") !=
        std::string::npos);
}

TEST_CASE("render: heading ids stay unique over many duplicates") {
  std::string markdown;
  for (int i = 0; i < 200; ++i) {
    markdown += (i % 3 == 0) ? "## Repeat\n\n" : (i % 3 == 1) ? "## Repeat 2\n\n" : "## repeat-3\n\n";
  }
  RenderedMarkdown rendered = renderMarkdown(markdown);
  REQUIRE(rendered.ok);
  REQUIRE(rendered.headings.size() == 200);
  std::set<std::string> ids;
  for (const Heading& heading : rendered.headings) {
    CHECK(ids.insert(heading.id).second);
    CHECK(rendered.html.find("id=\"" + heading.id + "\"") != std::string::npos);
  }
}

TEST_CASE("render: heading text with quotes and markup is escaped everywhere") {
  RenderedMarkdown rendered = renderMarkdown("## He said \"hi\" & 'bye' <b>\n");
  REQUIRE(rendered.ok);
  CHECK(rendered.html ==
        "<h2 id=\"he-said-hi-bye-b\">He said &quot;hi&quot; &amp; &#39;bye&#39; &lt;b&gt;</h2>\n");
  REQUIRE(rendered.headings.size() == 1);
  CHECK(rendered.headings[0].text == "He said \"hi\" & 'bye' <b>");
  checkSafe("# \"><img src=x onerror=alert(1)>\n");
  checkSafe("Title \" onmouseover=\"alert(1)\n===\n");
}

TEST_CASE("render: word count skips code blocks but counts inline code") {
  RenderedMarkdown rendered = renderMarkdown(
      "# Title here\n\none two  three\n\n```\nnot counted at all\n```\n\n"
      "- four\n- `five`\n\n**six**seven ![alt text](/x.png) eight&amp;nine\n\n| a | b |\n|---|---|\n| c | d |\n");
  REQUIRE(rendered.ok);
  // Title here / one two three / four five / sixseven eight&nine / a b c d
  CHECK(rendered.wordCount == 13);
  CHECK(rendered.plainText == "Title here one two three four five sixseven eight&nine a b c d");
}

TEST_CASE("render: plain text excerpt is bounded and ends cleanly") {
  std::string markdown;
  for (int i = 0; i < 200; ++i) markdown += "word" + std::to_string(i) + " ";
  RenderedMarkdown rendered = renderMarkdown(markdown);
  REQUIRE(rendered.ok);
  CHECK(rendered.wordCount == 200);
  CHECK(rendered.plainText.size() <= 300);
  CHECK(rendered.plainText.size() > 250);
  CHECK(rendered.plainText.back() != ' ');
  std::string full;
  for (int i = 0; i < 200; ++i) full += (i ? " word" : "word") + std::to_string(i);
  CHECK(full.rfind(rendered.plainText, 0) == 0);                   // a prefix ...
  CHECK(full[rendered.plainText.size()] == ' ');                   // ... ending at a word

  std::string accents;
  for (int i = 0; i < 400; ++i) accents += "\xC3\xA9";  // one 800-byte word
  RenderedMarkdown single = renderMarkdown(accents);
  REQUIRE(single.ok);
  CHECK(single.wordCount == 1);
  CHECK(single.plainText.size() == 300);
  CHECK(isValidUtf8(single.plainText));

  std::string threeByte;
  for (int i = 0; i < 200; ++i) threeByte += "\xE6\x97\xA5";  // 600 bytes, 300 % 3 == 0
  threeByte = "a" + threeByte;                                 // shift to cut mid-sequence
  RenderedMarkdown shifted = renderMarkdown(threeByte);
  REQUIRE(shifted.ok);
  CHECK(shifted.plainText.size() == 298);
  CHECK(isValidUtf8(shifted.plainText));
}

TEST_CASE("render: plain text is decoded, not escaped") {
  RenderedMarkdown rendered = renderMarkdown("a &lt;b&gt; &amp; \"c\"\n");
  REQUIRE(rendered.ok);
  CHECK(rendered.plainText == "a <b> & \"c\"");
  CHECK(rendered.wordCount == 4);
}

// ---------------------------------------------------------------------------------------
// Hostile input.

TEST_CASE("render: script and event-handler HTML is neutralised") {
  CHECK(html("<script>alert(1)</script>\n") == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n");
  CHECK(html("x <script>alert(1)</script> y") ==
        "<p>x &lt;script&gt;alert(1)&lt;/script&gt; y</p>\n");
  CHECK(html("<img src=x onerror=alert(1)>") == "<p>&lt;img src=x onerror=alert(1)&gt;</p>\n");
  const char* inputs[] = {
      "<script>alert(1)</script>",
      "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
      "text <script>alert(1)</script> text",
      "<img src=x onerror=alert(1)>",
      "<svg onload=alert(1)>",
      "<iframe src=javascript:alert(1)></iframe>",
      "<a href=\"javascript:alert(1)\">x</a>",
      "<style>body{display:none}</style>",
      "<!-- <script>alert(1)</script> -->",
      "<![CDATA[<script>alert(1)</script>]]>",
      "<?php echo 1; ?>",
      "&lt;script&gt;alert(1)&lt;/script&gt;",
      "&#60;script&#62;alert(1)&#60;/script&#62;",
      "`<script>alert(1)</script>`",
      "```\n<script>alert(1)</script>\n```",
      "    <script>alert(1)</script>",
      "> <script>alert(1)</script>",
      "- <script>alert(1)</script>",
      "| <script> | <img src=x onerror=alert(1)> |\n|---|---|\n| <svg onload=alert(1)> | x |",
      "# <script>alert(1)</script>",
      "*<script>*alert(1)</script>",
      "[<script>alert(1)</script>](/x)",
      "![<script>alert(1)</script>](/x.png)",
      "<scr<script>ipt>alert(1)</script>",
  };
  for (const char* input : inputs) checkSafe(input);
}

TEST_CASE("render: javascript: and other dangerous link URLs render text only") {
  CHECK(html("[x](javascript:alert(1))") == "<p>x</p>\n");
  CHECK(html("[x](JaVaScRiPt:alert(1))") == "<p>x</p>\n");
  CHECK(html("[x](&#106;avascript:alert(1))") == "<p>x</p>\n");
  CHECK(html("[x](&#x6A;avascript:alert(1))") == "<p>x</p>\n");
  CHECK(html("[x](java&#x09;script:alert(1))") == "<p>x</p>\n");
  CHECK(html("[x](<java\tscript:alert(1)>)") == "<p>x</p>\n");
  CHECK(html("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)") == "<p>x</p>\n");
  CHECK(html("[x](vbscript:msgbox(1))") == "<p>x</p>\n");
  CHECK(html("[*rich* text](javascript:alert(1))") == "<p><em>rich</em> text</p>\n");
  CHECK(html("<javascript:alert(1)>") == "<p>javascript:alert(1)</p>\n");
  CHECK(html("[x][r]\n\n[r]: javascript:alert(1)") == "<p>x</p>\n");

  const char* inputs[] = {
      "[x](javascript:alert(1))",
      "[x](JaVaScRiPt:alert(1))",
      "[x](JAVASCRIPT:alert(1))",
      "[x](&#106;avascript:alert(1))",
      "[x](&#0000106;avascript:alert(1))",
      "[x](&#x6A;avascript:alert(1))",
      "[x](&#X6a;&#x61;vascript:alert(1))",
      "[x](&#x6A&#x61vascript:alert(1))",
      "[x](java&#x09;script:alert(1))",
      "[x](java&#10;script:alert(1))",
      "[x](java&#13;script:alert(1))",
      "[x](java&Tab;script:alert(1))",
      "[x](java&NewLine;script:alert(1))",
      "[x](javascript&colon;alert(1))",
      "[x](javascript&#58;alert(1))",
      "[x](&#32;javascript:alert(1))",
      "[x](&#0;javascript:alert(1))",
      "[x](<java\tscript:alert(1)>)",
      "[x](java\tscript:alert(1))",
      "[x](<javascript:alert(1)>)",
      "[x](<  javascript:alert(1)>)",
      "[x](\\javascript:alert(1))",
      "[x](%6Aavascript:alert(1))",
      "[x](javascript://%0Aalert(1))",
      "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
      "[x](vbscript:msgbox(1))",
      "[x](file:///etc/passwd)",
      "[x](javascript:alert(1) \"title\")",
      "[x][r]\n\n[r]: javascript:alert(1)",
      "[x][r]\n\n[r]: <java\tscript:alert(1)>",
      "[r]\n\n[r]: &#106;avascript:alert(1)",
      "<javascript:alert(1)>",
      "<JAVASCRIPT:alert(1)>",
      "<vbscript:msgbox(1)>",
      "<data:text/html,<script>alert(1)</script>>",
      "javascript:alert(1)",
      "www.javascript:alert(1)",
      "[![x](javascript:alert(1))](javascript:alert(2))",
      "[a](javascript:alert(1))[b](/ok)",
  };
  for (const char* input : inputs) checkSafe(input);
}

TEST_CASE("render: dangerous image URLs render the alt text only") {
  CHECK(html("![x](javascript:alert(1))") == "<p>x</p>\n");
  CHECK(html("![a <b> \"c\"](data:image/svg+xml;base64,PHN2Zz4=)") ==
        "<p>a &lt;b&gt; &quot;c&quot;</p>\n");
  const char* inputs[] = {
      "![x](javascript:alert(1))",
      "![x](&#106;avascript:alert(1))",
      "![x](<java\tscript:alert(1)>)",
      "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
      "![x](vbscript:msgbox(1))",
      "![\" onerror=\"alert(1)](/x.png)",
      "![x](/x.png \"\\\" onerror=alert(1)\")",
      "![x](/x.png\" onerror=\"alert(1))",
      "![x](</x.png\" onerror=\"alert(1)>)",
  };
  for (const char* input : inputs) checkSafe(input);
}

TEST_CASE("render: link titles and destinations cannot break out of attributes") {
  CHECK(html("[x](http://a \"\\\" onmouseover=alert(1)\")") ==
        "<p><a href=\"http://a\" title=\"&quot; onmouseover=alert(1)\" rel=\"noopener\">x</a></p>\n");
  CHECK(html("[x](http://a 'it\\'s' )") ==
        "<p><a href=\"http://a\" title=\"it&#39;s\" rel=\"noopener\">x</a></p>\n");
  CHECK(html("[x](</a\" onmouseover=\"alert(1)>)") ==
        "<p><a href=\"/a%22%20onmouseover=%22alert(1)\">x</a></p>\n");
  const char* inputs[] = {
      "[x](http://a \"\\\" onmouseover=alert(1)\")",
      "[x](http://a '\\' onmouseover=alert(1)')",
      "[x](http://a (\\\" onmouseover=alert\\(1\\)))",
      "[x](http://a \"&quot; onmouseover=alert(1)\")",
      "[x](http://a \"&#34; onmouseover=alert(1)\")",
      "[x](</a\" onmouseover=\"alert(1)>)",
      "[x](/a&quot;onmouseover=alert(1))",
      "[x](/a&#x22;&#x3E;&#x3C;script&#x3E;)",
      "[x](/'onmouseover='alert(1))",
      "[x](/a>b<script>)",
      "[x]\n\n[x]: /a \"\\\" onclick=alert(1)\"",
      "<http://a.example/\"onmouseover=\"alert(1)>",
      "https://a.example/\"onmouseover=\"alert(1)",
      "www.a.example/'onmouseover='alert(1)",
      "someone@a.example\"onmouseover=\"alert(1)",
  };
  for (const char* input : inputs) checkSafe(input);
}

TEST_CASE("render: code fence info strings are attribute-escaped") {
  CHECK(html("```\"><script>alert(1)</script>\nx\n```") ==
        "<pre><code class=\"language-&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\">x\n</code></pre>\n");
  const char* inputs[] = {
      "```\"><script>\nx\n```",
      "```\" onmouseover=\"alert(1)\nx\n```",
      "```js\" onmouseover=\"alert(1)\nx\n```",
      "```&quot;&gt;&lt;script&gt;\nx\n```",
      "~~~'><img src=x onerror=alert(1)>\nx\n~~~",
  };
  for (const char* input : inputs) checkSafe(input);
}

TEST_CASE("render: a mixed document with every construct is safe") {
  checkSafe(
      "# Title\n\nSome *em*, **strong**, `code`, ~~del~~ and a [link](https://example.com \"t\").\n\n"
      "- [ ] task\n- [x] done\n\n3. three\n4. four\n\n> quote\n\n```js\nlet a = '<b>';\n```\n\n"
      "| a | b |\n|:-:|--:|\n| 1 | 2 |\n\n![img](/i.png \"title\") www.example.com a@b.example\n\n"
      "line  \nbreak\n\n---\n");
}

// ---------------------------------------------------------------------------------------
// Size.

TEST_CASE("render: a 1 MiB document renders") {
  const std::string block =
      "## Section heading\n\n"
      "Paragraph with *emphasis*, **strong**, `code`, a [link](https://example.com/path?q=1) "
      "and www.example.org plus someone@example.com.\n\n"
      "- item one\n- [x] item two\n\n"
      "```cpp\nint main() { return 0; }\n```\n\n"
      "| a | b |\n|---|:-:|\n| 1 | 2 |\n\n"
      "> quoted <script>alert(1)</script> &amp; &#65;\n\n";
  std::string markdown;
  while (markdown.size() < (1u << 20)) markdown += block;
  RenderedMarkdown rendered = renderMarkdown(markdown);
  REQUIRE(rendered.ok);
  size_t blocks = markdown.size() / block.size();
  CHECK(rendered.headings.size() == blocks);
  CHECK(rendered.headings.back().id == "section-heading-" + std::to_string(blocks));
  CHECK(rendered.wordCount > 0);
  CHECK(rendered.plainText.size() <= 300);
  CHECK(lower(rendered.html).find("<script") == std::string::npos);
  CHECK(rendered.html.find("<a href=\"http://www.example.org\" rel=\"noopener\">") != std::string::npos);
}

TEST_CASE("render: pathological inputs complete") {
  // md4c and the renderer must stay (near) linear on these; a quadratic case would take
  // seconds at this size.
  auto repeat = [](std::string_view unit, size_t bytes) {
    std::string s;
    while (s.size() < bytes) s += unit;
    return s;
  };
  const size_t kSize = 128 * 1024;
  const char* units[] = {"[", "*a", ">", "a_", "`", "<", "&#", "![", "[](", "_a_ ", "1. ", "*",
                         "# a\n", "- [ ] a\n", "|a", "~~a", "&amp;", "\\*"};
  for (const char* unit : units) {
    RenderedMarkdown rendered = renderMarkdown(repeat(unit, kSize));
    CHECK_MESSAGE(rendered.ok, unit);
  }

  // md4c 0.4.8 is quadratic in bare-URL autolinks per paragraph; the renderer's cost guard
  // leaves them as text instead (see markdown.cpp).
  RenderedMarkdown wwws = renderMarkdown(repeat("www.a.example ", kSize));
  REQUIRE(wwws.ok);
  CHECK(wwws.html.find("<a ") == std::string::npos);
  RenderedMarkdown urls = renderMarkdown(repeat("http://a.example ", kSize));
  REQUIRE(urls.ok);
  CHECK(urls.html.find("<a ") == std::string::npos);
  // One paragraph of CRLF lines is one chunk too (the guard once took each CRLF for a blank line).
  RenderedMarkdown crlf = renderMarkdown(repeat("www.a.example x\r\n", kSize));
  REQUIRE(crlf.ok);
  CHECK(crlf.html.find("<a ") == std::string::npos);
  // ... while the same links spread over ordinary paragraphs are still linked.
  RenderedMarkdown spread = renderMarkdown(repeat("www.a.example http://b.example\n\n", 64 * 1024));
  REQUIRE(spread.ok);
  CHECK(spread.html.find("<a href=\"http://www.a.example\" rel=\"noopener\">") != std::string::npos);
  CHECK(spread.html.find("<a href=\"http://b.example\" rel=\"noopener\">") != std::string::npos);
}

}  // namespace
}  // namespace lattice::render
