// CommonMark conformance: every example of the CommonMark spec (npm package commonmark-spec,
// node_modules/commonmark-spec/spec.txt) rendered by our renderer in its test-only
// spec mode (render/markdown-testing.h: raw HTML passed through, plain CommonMark, no URL
// filtering, no heading ids / rel / loading decorations) and by md4c's own HTML renderer
// (md4c-html.c, built into this test only), both compared with the spec's expected HTML after
// the same normalisation.
//
// The gate: every example md4c-html passes, ours passes too (our renderer sits on md4c's
// parser, so what md4c gets wrong we inherit; what md4c-html gets right and we do not is our
// bug). Prints "CommonMark: ours N/652, md4c M/652" and one line per example ours fails.
//
// The package ships spec.txt (and index.js, which extracts the examples with a regex), not a
// spec.json: the examples are extracted here the same way, and "→" is replaced with a tab in
// both the markdown and the HTML as the spec's own test runner (spec_tests.py) does.

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "render/markdown-testing.h"
#include "render/url-safety.h"

extern "C" {
#include "md4c-html.h"
}

#ifndef LATTICE_COMMONMARK_SPEC
#error "LATTICE_COMMONMARK_SPEC (path to commonmark-spec/spec.txt) must be defined by CMake"
#endif
#ifndef LATTICE_SOURCE_DIR
#error "LATTICE_SOURCE_DIR must be defined by CMake"
#endif

namespace lattice::render {
namespace {

struct SpecExample {
  int number = 0;
  std::string section;
  std::string markdown;
  std::string html;
};

std::string replaceAll(std::string text, std::string_view from, std::string_view to) {
  size_t pos = 0;
  while ((pos = text.find(from, pos)) != std::string::npos) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
  return text;
}

// commonmark-spec's index.js, line for line: CRLF/CR -> LF, everything from a line
// "<!-- END TESTS -->" on is dropped; an example is a line of 32 backticks + " example", the
// markdown, a line ".", the HTML, a line of 32 backticks; any other line starting with 1-6 '#'
// names the current section (the rest after spaces).
std::vector<SpecExample> parseSpec(std::string text) {
  text = replaceAll(replaceAll(std::move(text), "\r\n", "\n"), "\r", "\n");
  if (size_t end = text.find("\n<!-- END TESTS -->"); end != std::string::npos) text.resize(end + 1);

  const std::string fence(32, '`');
  std::vector<SpecExample> examples;
  std::string section;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line == fence + " example") {
      SpecExample example;
      bool inHtml = false;
      bool closed = false;
      while (std::getline(in, line)) {
        if (!inHtml && line == ".") {
          inHtml = true;
        } else if (inHtml && line == fence) {
          closed = true;
          break;
        } else {
          (inHtml ? example.html : example.markdown).append(line).append("\n");
        }
      }
      if (!closed) break;
      example.number = static_cast<int>(examples.size()) + 1;
      example.section = section;
      example.markdown = replaceAll(std::move(example.markdown), "\xE2\x86\x92", "\t");  // → U+2192
      example.html = replaceAll(std::move(example.html), "\xE2\x86\x92", "\t");
      examples.push_back(std::move(example));
      continue;
    }
    size_t hashes = 0;
    while (hashes < line.size() && hashes < 6 && line[hashes] == '#') ++hashes;
    if (hashes > 0) {
      size_t start = hashes;
      while (start < line.size() && line[start] == ' ') ++start;
      section = line.substr(start);
    }
  }
  return examples;
}

// ---------------------------------------------------------------------------------------
// HTML normalisation, after the CommonMark spec's test/normalize.py (which its spec_tests.py
// applies to expected and actual output before comparing):
//   - tags: names lowercased; attributes sorted by name then value, values entity-decoded and
//     re-escaped, always double-quoted, valueless attributes bare; "<br />" == "<br>" (the
//     self-closing slash is dropped);
//   - text: character references decoded and <, >, &, " re-escaped (so "&#39;" == "'",
//     "&quot;" == '"'); outside <pre>, runs of whitespace become one space; whitespace right
//     after a block-level start tag, around a block-level end tag and before a block-level tag
//     is dropped, and newlines right after <br> too;
//   - comments, <!declarations>, <?processing instructions?>, CDATA and the contents of
//     <script>/<style> are kept verbatim (text in the last two has whitespace collapsed).
// Differences from normalize.py: Python's \s also matches non-ASCII spaces (U+00A0) in text,
// here only ASCII whitespace collapses; normalize.py leaves a raw '"' or '>' in text as is,
// here text is escaped uniformly. Both apply to both sides alike.

bool isHtmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

char lowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool isAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool isBlockTag(std::string_view tag) {
  static const std::vector<std::string_view> kBlock = {
      "address", "article", "aside", "audio", "blockquote", "body", "button", "canvas", "caption",
      "col", "colgroup", "dd", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer",
      "form", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr", "html",
      "iframe", "li", "map", "noscript", "object", "ol", "output", "p", "pre", "progress",
      "script", "section", "style", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
      "video"};
  return std::find(kBlock.begin(), kBlock.end(), tag) != kBlock.end();
}

void appendEscapedText(std::string& out, std::string_view text, bool attribute) {
  for (char c : text) {
    switch (c) {
      case '&': out.append("&amp;"); break;
      case '<': out.append("&lt;"); break;
      case '>': out.append("&gt;"); break;
      case '"': out.append("&quot;"); break;
      case '\'':
        if (attribute) {
          out.append("&#x27;");
          break;
        }
        [[fallthrough]];
      default: out.push_back(c);
    }
  }
}

std::string collapseSpaces(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (isHtmlSpace(c)) {
      space = true;
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  if (space) out.push_back(' ');
  return out;
}

void trimLeft(std::string& s) {
  size_t i = 0;
  while (i < s.size() && isHtmlSpace(s[i])) ++i;
  s.erase(0, i);
}
void trimRight(std::string& s) {
  while (!s.empty() && isHtmlSpace(s.back())) s.pop_back();
}

class HtmlNormalizer {
 public:
  std::string run(std::string_view html) {
    size_t i = 0;
    while (i < html.size()) {
      if (html[i] != '<') {
        size_t next = html.find('<', i + 1);
        if (next == std::string_view::npos) next = html.size();
        data(html.substr(i, next - i), true);
        i = next;
        continue;
      }
      std::string_view rest = html.substr(i);
      if (rest.starts_with("<!--")) {
        size_t end = html.find("-->", i + 4);
        end = end == std::string_view::npos ? html.size() : end + 3;
        verbatim(html.substr(i, end - i), "comment");
        i = end;
      } else if (rest.starts_with("<![CDATA[")) {
        size_t end = html.find("]]>", i);
        end = end == std::string_view::npos ? html.size() : end + 3;
        verbatim(html.substr(i, end - i), "decl");
        i = end;
      } else if (rest.starts_with("<!") || rest.starts_with("<?")) {
        size_t end = html.find('>', i);
        end = end == std::string_view::npos ? html.size() : end + 1;
        verbatim(html.substr(i, end - i), rest[1] == '?' ? "pi" : "decl");
        i = end;
      } else if (rest.size() > 2 && rest[1] == '/' && isAsciiLetter(rest[2])) {
        size_t end = html.find('>', i);
        if (end == std::string_view::npos) end = html.size();
        size_t nameEnd = i + 2;
        while (nameEnd < end && !isHtmlSpace(html[nameEnd]) && html[nameEnd] != '/') ++nameEnd;
        endTag(lowered(html.substr(i + 2, nameEnd - i - 2)));
        i = end + 1;
      } else if (rest.size() > 1 && isAsciiLetter(rest[1])) {
        i = startTag(html, i);
      } else {
        data("<", false);
        ++i;
      }
    }
    return output_;
  }

 private:
  static std::string lowered(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = lowerAscii(c);
    return out;
  }

  void verbatim(std::string_view text, const char* kind) {
    output_.append(text);
    last_ = kind;
  }

  // Text between tags: references decoded, then whitespace rules, then re-escaped.
  void data(std::string_view raw, bool decode) {
    std::string text = decode ? decodeEntities(raw) : std::string(raw);
    bool afterTag = last_ == "endtag" || last_ == "starttag";
    bool afterBlockTag = afterTag && isBlockTag(lastTag_);
    if (afterTag && lastTag_ == "br") {
      size_t n = 0;
      while (n < text.size() && text[n] == '\n') ++n;
      text.erase(0, n);
    }
    if (!inPre_) text = collapseSpaces(text);
    if (afterBlockTag && !inPre_) {
      if (last_ == "starttag") {
        trimLeft(text);
      } else {
        trimLeft(text);
        trimRight(text);
      }
    }
    appendEscapedText(output_, text, false);
    last_ = "data";
  }

  void endTag(const std::string& tag) {
    if (tag == "pre") {
      inPre_ = false;
    } else if (isBlockTag(tag)) {
      trimRight(output_);
    }
    output_.append("</").append(tag).append(">");
    lastTag_ = tag;
    last_ = "endtag";
  }

  // Parses the start tag at html[pos] == '<'; returns the index after it.
  size_t startTag(std::string_view html, size_t pos) {
    size_t i = pos + 1;
    size_t nameStart = i;
    while (i < html.size() && !isHtmlSpace(html[i]) && html[i] != '/' && html[i] != '>') ++i;
    std::string tag = lowered(html.substr(nameStart, i - nameStart));
    std::vector<std::pair<std::string, std::optional<std::string>>> attributes;
    bool selfClosing = false;
    while (i < html.size()) {
      while (i < html.size() && (isHtmlSpace(html[i]) || html[i] == '/')) {
        selfClosing = html[i] == '/';
        ++i;
      }
      if (i >= html.size() || html[i] == '>') break;
      selfClosing = false;
      size_t attrStart = i;
      while (i < html.size() && !isHtmlSpace(html[i]) && html[i] != '/' && html[i] != '>' && html[i] != '=') ++i;
      std::string name = lowered(html.substr(attrStart, i - attrStart));
      size_t look = i;
      while (look < html.size() && isHtmlSpace(html[look])) ++look;
      if (look < html.size() && html[look] == '=') {
        i = look + 1;
        while (i < html.size() && isHtmlSpace(html[i])) ++i;
        std::string value;
        if (i < html.size() && (html[i] == '"' || html[i] == '\'')) {
          char quote = html[i];
          size_t end = html.find(quote, i + 1);
          if (end == std::string_view::npos) end = html.size();
          value = std::string(html.substr(i + 1, end - i - 1));
          i = end + 1;
        } else {
          size_t start = i;
          while (i < html.size() && !isHtmlSpace(html[i]) && html[i] != '>') ++i;
          value = std::string(html.substr(start, i - start));
        }
        attributes.emplace_back(std::move(name), decodeEntities(value));
      } else {
        attributes.emplace_back(std::move(name), std::nullopt);
      }
    }
    size_t end = i < html.size() ? i + 1 : html.size();

    if (tag == "pre") inPre_ = true;
    if (isBlockTag(tag)) trimRight(output_);
    std::sort(attributes.begin(), attributes.end());
    output_.append("<").append(tag);
    for (const auto& [name, value] : attributes) {
      output_.append(" ").append(name);
      if (value) {
        output_.append("=\"");
        appendEscapedText(output_, *value, true);
        output_.append("\"");
      }
    }
    output_.append(">");
    lastTag_ = tag;
    last_ = selfClosing ? "endtag" : "starttag";

    // <script> and <style> hold raw text up to their end tag.
    if (!selfClosing && (tag == "script" || tag == "style")) {
      std::string closing = "</" + tag;
      size_t close = end;
      for (; close < html.size(); ++close) {
        if (html[close] == '<' && lowered(html.substr(close, closing.size())) == closing) break;
      }
      if (close > end) data(html.substr(end, close - end), false);
      return close;
    }
    return end;
  }

  std::string output_;
  std::string last_ = "starttag";
  std::string lastTag_;
  bool inPre_ = false;
};

std::string normalizeHtml(std::string_view html) { return HtmlNormalizer().run(html); }

// ---------------------------------------------------------------------------------------

std::string md4cHtml(std::string_view markdown) {
  std::string out;
  int rc = md_html(
      markdown.data(), static_cast<MD_SIZE>(markdown.size()),
      [](const MD_CHAR* text, MD_SIZE size, void* self) { static_cast<std::string*>(self)->append(text, size); },
      &out, MD_DIALECT_COMMONMARK, 0);
  if (rc != 0) return "<md4c failed>";
  return out;
}

std::string oneLine(std::string_view text, size_t limit = 70) {
  std::string out;
  for (char c : text.substr(0, limit)) {
    if (c == '\n') out.append("\\n");
    else if (c == '\t') out.append("\\t");
    else out.push_back(c);
  }
  if (text.size() > limit) out.append("...");
  return out;
}

// Why two normalised outputs differ: the first differing position with a little context.
std::string firstDifference(std::string_view expected, std::string_view actual) {
  size_t i = 0;
  while (i < expected.size() && i < actual.size() && expected[i] == actual[i]) ++i;
  size_t from = i > 20 ? i - 20 : 0;
  return "at " + std::to_string(i) + ": expected \"" + oneLine(expected.substr(from), 60) + "\" got \"" +
         oneLine(actual.substr(from), 60) + "\"";
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// ---------------------------------------------------------------------------------------

TEST_CASE("commonmark: the normaliser") {
  CHECK(normalizeHtml("<p>a<br />\nb</p>\n") == normalizeHtml("<p>a<br>\nb</p>"));
  CHECK(normalizeHtml("<p>it&#39;s &quot;x&quot;</p>") == normalizeHtml("<p>it's \"x\"</p>"));
  CHECK(normalizeHtml("<a title=\"t\" href=\"/u\">x</a>") == normalizeHtml("<A HREF='/u' title=t>x</A>"));
  CHECK(normalizeHtml("<ul>\n<li>a</li>\n</ul>\n") == "<ul><li>a</li></ul>");
  CHECK(normalizeHtml("<pre><code>a\n  b\n</code></pre>") == "<pre><code>a\n  b\n</code></pre>");
  CHECK(normalizeHtml("<p>a  \n b</p>") == "<p>a b</p>");
  CHECK(normalizeHtml("<!-- x  y -->") == "<!-- x  y -->");
  // Real differences survive.
  CHECK(normalizeHtml("<p>a</p>") != normalizeHtml("<p>b</p>"));
  CHECK(normalizeHtml("<em>a</em>") != normalizeHtml("<strong>a</strong>"));
  CHECK(normalizeHtml("<a href=\"/a\">x</a>") != normalizeHtml("<a href=\"/b\">x</a>"));
  CHECK(normalizeHtml("<p>a b</p>") != normalizeHtml("<p>ab</p>"));
}

TEST_CASE("commonmark: the spec-mode switches are reachable from tests only") {
  // Production code must not be able to turn raw HTML on: only the renderer itself may include
  // the test-only header.
  namespace fs = std::filesystem;
  const fs::path root = LATTICE_SOURCE_DIR;
  std::vector<std::string> offenders;
  for (const char* dir : {"src", "bindings", "worker-shim"}) {
    for (const auto& entry : fs::recursive_directory_iterator(root / dir)) {
      if (!entry.is_regular_file()) continue;
      std::string name = entry.path().filename().string();
      if (name == "markdown.cpp" || name == "markdown-testing.h") continue;
      if (readFile(entry.path().string()).find("#include \"render/markdown-testing.h\"") != std::string::npos) {
        offenders.push_back(fs::relative(entry.path(), root).string());
      }
    }
  }
  for (const auto& path : offenders) MESSAGE("includes render/markdown-testing.h: " << path);
  CHECK(offenders.empty());
}

TEST_CASE("commonmark: spec examples, ours against md4c-html") {
  const std::string specPath = LATTICE_COMMONMARK_SPEC;
  std::string spec = readFile(specPath);
  if (spec.empty()) {
    FAIL("CommonMark spec not found at " << specPath
                                         << ": run `npm ci` (the devDependency commonmark-spec provides it; scripts/test does this)");
    return;
  }
  std::vector<SpecExample> examples = parseSpec(spec);
  REQUIRE(examples.size() >= 600);  // 652 in commonmark-spec 0.31.2

  const auto specMode = testing::RenderOptions::commonMarkSpec();
  auto extensionsMode = specMode;  // production's GFM extensions on (informational)
  extensionsMode.commonMarkOnly = false;

  size_t ours = 0, md4c = 0, oursWithExtensions = 0, production = 0;
  std::vector<std::string> regressions;  // md4c passes, ours fails: the gate
  std::vector<std::string> inherited;    // both fail
  for (const SpecExample& example : examples) {
    const std::string expected = normalizeHtml(example.html);
    auto rendered = testing::renderMarkdown(example.markdown, specMode);
    const std::string oursHtml = normalizeHtml(rendered.html);
    const bool oursPass = rendered.ok && oursHtml == expected;
    const bool md4cPass = normalizeHtml(md4cHtml(example.markdown)) == expected;
    ours += oursPass;
    md4c += md4cPass;
    oursWithExtensions += normalizeHtml(testing::renderMarkdown(example.markdown, extensionsMode).html) == expected;
    production += normalizeHtml(renderMarkdown(example.markdown).html) == expected;
    if (!oursPass) {
      std::string line = "  #" + std::to_string(example.number) + " [" + example.section + "] " +
                         (md4cPass ? "OURS ONLY " : "md4c too ") + firstDifference(expected, oursHtml);
      (md4cPass ? regressions : inherited).push_back(line);
    }
  }

  std::printf("CommonMark: ours %zu/%zu, md4c %zu/%zu (commonmark-spec spec.txt, md4c-html %s)\n", ours,
              examples.size(), md4c, examples.size(), "0.4.8");
  std::printf("  informational: ours with production's GFM extensions %zu/%zu, production renderer as shipped "
              "(raw HTML escaped, URLs filtered, ids, rel, lazy) %zu/%zu\n",
              oursWithExtensions, examples.size(), production, examples.size());
  if (!inherited.empty()) std::printf("Failing in ours and in md4c-html (md4c's parser; not gated):\n");
  for (const auto& line : inherited) std::printf("%s\n", line.c_str());
  if (!regressions.empty()) std::printf("Failing in ours although md4c-html passes:\n");
  for (const auto& line : regressions) std::printf("%s\n", line.c_str());
  std::fflush(stdout);

  CHECK_MESSAGE(regressions.empty(), regressions.size() << " spec example(s) md4c-html passes fail in ours (listed above)");
}

}  // namespace
}  // namespace lattice::render
