#include "render/markdown.h"
#include "render/markdown-testing.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "render/html-buffer.h"
#include "render/html-escape.h"
#include "render/md4c-driver.h"
#include "render/url-safety.h"

namespace lattice::render {
namespace {

using testing::RenderOptions;

constexpr unsigned kParserFlags = MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_TASKLISTS |
                                  MD_FLAG_PERMISSIVEURLAUTOLINKS |
                                  MD_FLAG_PERMISSIVEEMAILAUTOLINKS |
                                  MD_FLAG_PERMISSIVEWWWAUTOLINKS | MD_FLAG_NOHTML;

// See permissiveUrlAutolinksAffordable().
constexpr uint64_t kPermissiveAutolinkBudget = 5'000'000;

constexpr size_t kPlainTextLimit = 300;

constexpr auto kAsciiSpace = [] {
  std::array<bool, 256> table{};
  for (unsigned char c : {' ', '\t', '\n', '\r', '\f', '\v'}) table[c] = true;
  return table;
}();

bool isAsciiSpace(char c) { return kAsciiSpace[static_cast<unsigned char>(c)]; }

// The characters md4c 0.4.8 collects as inline marks (see md_collect_marks), as a table: the
// affordability scan below is a pass over every byte of every document.
constexpr auto kMd4cMarkChars = [] {
  std::array<bool, 256> table{};
  for (unsigned char c : {'\\', '*', '_', '`', '&', ';', '<', '>', '[', '!', ']', '\0', '~', '@', ':', '.', '|'}) {
    table[c] = true;
  }
  return table;
}();

bool isMd4cMarkChar(char c) { return kMd4cMarkChars[static_cast<unsigned char>(c)]; }

// Whether text[i] is where md4c would try a bare-URL autolink: the ':' of "://" or the '.' of
// "www." (any case).
bool isAutolinkCandidateAt(std::string_view text, size_t i) {
  if (text[i] == ':') return text.substr(i + 1, 2) == "//";
  return text[i] == '.' && i >= 3 && (text[i - 1] | 0x20) == 'w' && (text[i - 2] | 0x20) == 'w' &&
         (text[i - 3] | 0x20) == 'w';
}

// The bytes permissiveUrlAutolinksAffordable()'s first pass stops at.
constexpr auto kAutolinkScanChars = [] {
  std::array<bool, 256> table{};
  for (unsigned char c : {'\n', ':', '.'}) table[c] = true;
  return table;
}();

// TODO(perf): md4c 0.4.8 analyses each bare "http://" / "www." autolink candidate by walking
// forward over every later unresolved inline mark of the same paragraph, so a paragraph with C
// candidates and M marks costs O(C * M): one 1 MiB paragraph of "www.a.b " takes ~10 s of CPU
// natively (upstream reworked this after 0.4.8, see mity/md4c#220). Until we upgrade,
// estimate that cost per blank-line-separated chunk (inline content never crosses a blank
// line) and, when the sum exceeds kPermissiveAutolinkBudget, parse without the URL/WWW
// permissive autolink extensions. Only bare-URL autolinking is lost; <...> autolinks,
// [text](url) links and e-mail autolinks (whose analysis is local) still work. Ordinary posts
// are orders of magnitude below the budget.
//
// Known and NOT guarded: md4c 0.4.8 also locates the line of every inline link by walking the
// paragraph's lines from its first one, so a single paragraph with L lines and K links costs
// O(K * L) (a 1 MiB paragraph of "[x](/a) *a*" lines: ~2 s natively; 256 KiB: ~0.15 s).
// Bounding post size and upgrading md4c are the fixes.
bool permissiveUrlAutolinksAffordable(std::string_view text) {
  // Every candidate takes at least 3 bytes ("://") and every mark 1, so a document of n bytes
  // costs at most n/3 * n: small documents need no scan.
  const uint64_t size = text.size();
  if (size * size / 3 <= kPermissiveAutolinkBudget) return true;
  // Then a cheap upper bound, in one pass that stops only at '\n', ':' and '.': per chunk, its
  // candidates times its bytes (a chunk's marks are at most its bytes). Lines are split on '\n'
  // alone here, so a chunk may be overestimated, never under. Ordinary posts stop here; the
  // exact count of marks below is only needed near the budget.
  const char* data = text.data();
  uint64_t bound = 0;
  uint64_t chunkCandidates = 0;
  size_t chunkStart = 0;
  size_t lineStart = 0;
  for (size_t i = 0; i < size; ++i) {
    const auto c = static_cast<unsigned char>(data[i]);
    if (!kAutolinkScanChars[c]) continue;
    if (c != '\n') {
      chunkCandidates += isAutolinkCandidateAt(text, i);
    } else {  // a blank line ends the chunk
      size_t k = lineStart;
      while (k < i && (data[k] == ' ' || data[k] == '\t' || data[k] == '\r')) ++k;
      if (k == i) {
        bound += chunkCandidates * (i - chunkStart);
        chunkCandidates = 0;
        chunkStart = i + 1;
      }
      lineStart = i + 1;
    }
  }
  bound += chunkCandidates * (size - chunkStart);
  if (bound <= kPermissiveAutolinkBudget) return true;
  uint64_t total = 0;
  uint64_t candidates = 0;
  uint64_t marks = 0;
  bool lineBlank = true;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;  // CRLF: one line end
    if (c == '\n' || c == '\r') {
      if (lineBlank) {
        total += candidates * marks;
        candidates = 0;
        marks = 0;
      }
      lineBlank = true;
      continue;
    }
    if (c != ' ' && c != '\t') lineBlank = false;
    if (!isMd4cMarkChar(c)) continue;
    ++marks;
    candidates += isAutolinkCandidateAt(text, i);
    if (total + candidates * marks > kPermissiveAutolinkBudget) return false;
  }
  return total + candidates * marks <= kPermissiveAutolinkBudget;
}

// Collapses runs of ASCII whitespace to one space and trims both ends. Word by word, not byte by
// byte: under wasm every std::string call is an uninlined libc++ one (see html-buffer.h).
std::string collapseWhitespace(std::string_view text) {
  std::string result;
  result.reserve(text.size());
  size_t i = 0;
  for (;;) {
    while (i < text.size() && isAsciiSpace(text[i])) ++i;
    const size_t start = i;
    while (i < text.size() && !isAsciiSpace(text[i])) ++i;
    if (i == start) return result;
    if (!result.empty()) result.append(1, ' ');
    result.append(text.data() + start, i - start);
  }
}

// appendEscapedUrl() into the output buffer (once per link or image: not a hot path).
void appendUrl(HtmlBuffer& out, std::string_view url) {
  std::string escaped;
  appendEscapedUrl(escaped, url);
  out.append(escaped);
}

// The md4c callbacks' state. Output goes straight into `html_`; the few constructs
// whose opening tag depends on later content (heading ids, image alt) are finished on leave.
class HtmlRenderer {
 public:
  // `sourceBytes`: the markdown's size. HTML is typically 1.1-1.3x its markdown; reserving that
  // up front spares the output's reallocations and copies (a quarter of the renderer's time).
  HtmlRenderer(const RenderOptions& options, size_t sourceBytes)
      : options_(options), html_(sourceBytes + sourceBytes / 4 + 64) {}

  RenderedMarkdown takeResult() {
    finishPlainText();
    result_.html = html_.take();
    return std::move(result_);
  }

  void enterBlock(MD_BLOCKTYPE type, const void* detail) {
    breakPlainText();
    spans_.enterBlock();
    HtmlBuffer& out = html_;
    switch (type) {
      case MD_BLOCK_DOC: break;
      case MD_BLOCK_QUOTE: out.append("<blockquote>\n"); break;
      case MD_BLOCK_UL: out.append("<ul>\n"); break;
      case MD_BLOCK_OL: {
        unsigned start = static_cast<const MD_BLOCK_OL_DETAIL*>(detail)->start;
        if (start == 1) {
          out.append("<ol>\n");
        } else {
          out.append("<ol start=\"").append(std::to_string(start)).append("\">\n");
        }
        break;
      }
      case MD_BLOCK_LI: {
        auto li = static_cast<const MD_BLOCK_LI_DETAIL*>(detail);
        if (li->is_task) {
          out.append("<li class=\"task\"><input type=\"checkbox\" disabled");
          if (li->task_mark == 'x' || li->task_mark == 'X') out.append(" checked");
          out.append(">");
        } else {
          out.append("<li>");
        }
        break;
      }
      case MD_BLOCK_HR: out.append("<hr>\n"); break;
      case MD_BLOCK_H:
        inHeading_ = true;
        headingStart_ = out.size();
        headingText_.clear();
        break;
      case MD_BLOCK_CODE: {
        auto code = static_cast<const MD_BLOCK_CODE_DETAIL*>(detail);
        inCodeBlock_ = true;
        out.append("<pre><code");
        if (code->lang.text != nullptr) {
          out.append(" class=\"language-");
          appendEscapedHtml(out, attributeText(code->lang));
          out.append("\"");
        }
        out.append(">");
        break;
      }
      // Only without MD_FLAG_NOHTML (RenderOptions::allowRawHtml); its text comes as MD_TEXT_HTML.
      case MD_BLOCK_HTML: break;
      case MD_BLOCK_P: out.append("<p>"); break;
      case MD_BLOCK_TABLE: out.append("<table>\n"); break;
      case MD_BLOCK_THEAD: out.append("<thead>\n"); break;
      case MD_BLOCK_TBODY: out.append("<tbody>\n"); break;
      case MD_BLOCK_TR: out.append("<tr>\n"); break;
      case MD_BLOCK_TH: openCell("th", static_cast<const MD_BLOCK_TD_DETAIL*>(detail)); break;
      case MD_BLOCK_TD: openCell("td", static_cast<const MD_BLOCK_TD_DETAIL*>(detail)); break;
    }
  }

  void leaveBlock(MD_BLOCKTYPE type, const void* detail) {
    breakPlainText();
    HtmlBuffer& out = html_;
    // Whatever md4c left open inside the block ends with it (see SpanStack): an image whose
    // leave never came, then the spans.
    if (imageDepth_ > 0) {
      imageDepth_ = 0;
      finishImage();
    }
    spans_.leaveBlock(out);
    switch (type) {
      case MD_BLOCK_DOC: break;
      case MD_BLOCK_QUOTE: out.append("</blockquote>\n"); break;
      case MD_BLOCK_UL: out.append("</ul>\n"); break;
      case MD_BLOCK_OL: out.append("</ol>\n"); break;
      case MD_BLOCK_LI: out.append("</li>\n"); break;
      case MD_BLOCK_HR: break;
      case MD_BLOCK_H:
        finishHeading(static_cast<const MD_BLOCK_H_DETAIL*>(detail)->level);
        break;
      case MD_BLOCK_CODE:
        inCodeBlock_ = false;
        out.append("</code></pre>\n");
        break;
      case MD_BLOCK_HTML: break;
      case MD_BLOCK_P: out.append("</p>\n"); break;
      case MD_BLOCK_TABLE: out.append("</table>\n"); break;
      case MD_BLOCK_THEAD: out.append("</thead>\n"); break;
      case MD_BLOCK_TBODY: out.append("</tbody>\n"); break;
      case MD_BLOCK_TR: out.append("</tr>\n"); break;
      case MD_BLOCK_TH: out.append("</th>\n"); break;
      case MD_BLOCK_TD: out.append("</td>\n"); break;
    }
  }

  void enterSpan(MD_SPANTYPE type, const void* detail) {
    // Inside an image only the text survives (it becomes the alt attribute), like md4c-html.
    if (imageDepth_ > 0) {
      if (type == MD_SPAN_IMG) ++imageDepth_;
      return;
    }
    HtmlBuffer& out = html_;
    switch (type) {
      case MD_SPAN_EM:
        out.append("<em>");
        spans_.open(type, "</em>");
        break;
      case MD_SPAN_STRONG:
        out.append("<strong>");
        spans_.open(type, "</strong>");
        break;
      case MD_SPAN_CODE:
        out.append("<code>");
        spans_.open(type, "</code>");
        break;
      case MD_SPAN_DEL:
        out.append("<del>");
        spans_.open(type, "</del>");
        break;
      case MD_SPAN_A:
        spans_.open(type, openLink(static_cast<const MD_SPAN_A_DETAIL*>(detail)) ? "</a>" : "");
        break;
      case MD_SPAN_IMG: {
        auto image = static_cast<const MD_SPAN_IMG_DETAIL*>(detail);
        imageDepth_ = 1;
        imageSrc_ = checkedUrl(image->src);
        imageHasTitle_ = image->title.text != nullptr;
        imageTitle_ = attributeText(image->title);
        imageAlt_.clear();
        break;
      }
      // Extensions we do not enable; should they ever appear, render their content only.
      case MD_SPAN_LATEXMATH:
      case MD_SPAN_LATEXMATH_DISPLAY:
      case MD_SPAN_WIKILINK:
      case MD_SPAN_U: break;
    }
  }

  void leaveSpan(MD_SPANTYPE type) {
    if (imageDepth_ > 0) {
      if (type == MD_SPAN_IMG && --imageDepth_ == 0) finishImage();
      return;
    }
    HtmlBuffer& out = html_;
    switch (type) {
      case MD_SPAN_EM:
      case MD_SPAN_STRONG:
      case MD_SPAN_CODE:
      case MD_SPAN_DEL:
      case MD_SPAN_A: spans_.close(type, out); break;
      case MD_SPAN_IMG:  // handled above: imageDepth_ > 0 whenever an image is open
      case MD_SPAN_LATEXMATH:
      case MD_SPAN_LATEXMATH_DISPLAY:
      case MD_SPAN_WIKILINK:
      case MD_SPAN_U: break;
    }
  }

  void text(MD_TEXTTYPE type, std::string_view text) {
    switch (type) {
      case MD_TEXT_NULLCHAR: addText(kReplacementCharacter); break;
      case MD_TEXT_BR: addBreak("<br>\n"); break;
      case MD_TEXT_SOFTBR: addBreak("\n"); break;
      case MD_TEXT_ENTITY: addText(decodeEntities(text)); break;
      // MD_TEXT_HTML cannot occur with MD_FLAG_NOHTML; if it ever did, it is escaped like
      // everything else. Never emit author text verbatim -- except in the test-only
      // allowRawHtml mode (markdown-testing.h), where an image's alt text still gets it escaped,
      // like the CommonMark reference renderer.
      case MD_TEXT_HTML:
        if (options_.allowRawHtml && imageDepth_ == 0) {
          if (inHeading_) headingText_.append(text);
          html_.append(text);
          break;
        }
        addText(text);
        break;
      case MD_TEXT_NORMAL:
      case MD_TEXT_CODE:
      case MD_TEXT_LATEXMATH: addText(text); break;
    }
  }

 private:
  void openCell(const char* tag, const MD_BLOCK_TD_DETAIL* cell) {
    HtmlBuffer& out = html_;
    out.append("<").append(tag);
    switch (cell->align) {
      case MD_ALIGN_LEFT: out.append(" style=\"text-align:left\""); break;
      case MD_ALIGN_CENTER: out.append(" style=\"text-align:center\""); break;
      case MD_ALIGN_RIGHT: out.append(" style=\"text-align:right\""); break;
      case MD_ALIGN_DEFAULT: break;
    }
    out.append(">");
  }

  // The URL to emit for a link or image destination, or nullopt when it must not be emitted.
  std::optional<std::string> checkedUrl(const MD_ATTRIBUTE& url) const {
    std::string decoded = attributeText(url);
    if (!options_.checkUrls) return decoded;
    return safeUrl(decoded);
  }

  // Emits the <a> and returns true, or nothing and false when the URL is unsafe (the link's
  // text is then rendered without it).
  bool openLink(const MD_SPAN_A_DETAIL* link) {
    std::optional<std::string> href = checkedUrl(link->href);
    if (!href) return false;
    HtmlBuffer& out = html_;
    out.append("<a href=\"");
    appendUrl(out, *href);
    out.append("\"");
    if (link->title.text != nullptr) {
      out.append(" title=\"");
      appendEscapedHtml(out, attributeText(link->title));
      out.append("\"");
    }
    if (options_.noopenerRel && isExternalUrl(*href)) out.append(" rel=\"noopener\"");
    out.append(">");
    return true;
  }

  void finishImage() {
    HtmlBuffer& out = html_;
    if (!imageSrc_) {
      appendEscapedHtml(out, imageAlt_);  // unsafe source: the alt text is all that is left
      return;
    }
    out.append("<img src=\"");
    appendUrl(out, *imageSrc_);
    out.append("\" alt=\"");
    appendEscapedHtml(out, imageAlt_);
    out.append("\"");
    if (imageHasTitle_) {
      out.append(" title=\"");
      appendEscapedHtml(out, imageTitle_);
      out.append("\"");
    }
    out.append(options_.lazyImages ? " loading=\"lazy\">" : ">");
  }

  void finishHeading(unsigned level) {
    if (level < 1 || level > 6) level = level < 1 ? 1 : 6;
    inHeading_ = false;
    std::string text = collapseWhitespace(headingText_);
    std::string base = slugifyHeading(text);
    std::string id = base;
    if (usedIds_.count(id) != 0) {
      // Resume where the last collision on this base stopped, so n identical headings cost
      // O(n) rather than O(n^2).
      size_t& suffix = nextSuffix_.try_emplace(base, 2).first->second;
      do {
        id = base + "-" + std::to_string(suffix++);
      } while (usedIds_.count(id) != 0);
    }
    usedIds_.insert(id);

    char digit = static_cast<char>('0' + level);
    std::string open = "<h";
    open.push_back(digit);
    if (options_.headingIds) {
      open.append(" id=\"");
      appendEscapedHtml(open, id);
      open.append("\"");
    }
    open.append(">");
    // Only the heading's own content follows headingStart_, so this moves little.
    html_.insert(headingStart_, open);
    html_.append("</h").append(std::string_view(&digit, 1)).append(">\n");

    result_.headings.push_back(Heading{static_cast<int>(level), std::move(id), std::move(text)});
  }

  void addText(std::string_view text) {
    if (inHeading_) headingText_.append(text);
    if (imageDepth_ > 0) {
      imageAlt_.append(text);
      return;
    }
    appendEscapedHtml(html_, text);
    if (!inCodeBlock_) addPlainText(text);
  }

  void addBreak(const char* html) {
    if (inHeading_) headingText_.push_back(' ');
    if (imageDepth_ > 0) {
      imageAlt_.push_back(' ');
      return;
    }
    html_.append(html);
    breakPlainText();
  }

  // Word counting and the plain-text excerpt.
  // Word runs are handled whole: this sees every byte of visible text. Once the excerpt is
  // full only words are counted, in a loop the compiler can vectorise.
  void addPlainText(std::string_view text) {
    if (plainFull_) {
      countWords(text);
      return;
    }
    const char* data = text.data();
    const size_t size = text.size();
    size_t i = 0;
    while (i < size) {
      if (isAsciiSpace(data[i])) {
        breakPlainText();
        ++i;
        continue;
      }
      size_t end = i + 1;
      while (end < size && !isAsciiSpace(data[end])) ++end;
      bool continuesWord = inWord_;
      if (!inWord_) {
        ++result_.wordCount;
        inWord_ = true;
      }
      if (!plainFull_) appendPlainRun(text.substr(i, end - i), continuesWord);
      i = end;
    }
  }

  void countWords(std::string_view text) {
    if (text.empty()) return;
    const auto* data = reinterpret_cast<const unsigned char*>(text.data());
    const size_t size = text.size();
    // ASCII whitespace is exactly ' ' and '\t' .. '\r' (9..13), as isAsciiSpace().
    auto space = [](unsigned char c) -> size_t { return (c == ' ') | (static_cast<unsigned char>(c - 9) < 5); };
    size_t starts = (!space(data[0]) && !inWord_) ? 1 : 0;
    for (size_t i = 1; i < size; ++i) starts += space(data[i - 1]) & (space(data[i]) ^ 1);
    result_.wordCount += starts;
    inWord_ = !space(data[size - 1]);
    if (!inWord_) pendingSpace_ = true;
  }

  // Appends a run of non-space bytes to the excerpt, after the pending space if any, up to
  // kPlainTextLimit; `continuesWord`: the run continues a word begun by an earlier text piece.
  void appendPlainRun(std::string_view run, bool continuesWord) {
    std::string& plain = result_.plainText;
    size_t space = (pendingSpace_ && !plain.empty()) ? 1 : 0;
    if (plain.size() + space + 1 > kPlainTextLimit) {
      plainFull_ = true;
      plainCutMidWord_ = continuesWord;
      return;
    }
    if (space != 0) plain.push_back(' ');
    pendingSpace_ = false;
    size_t room = kPlainTextLimit - plain.size();
    if (run.size() <= room) {
      plain.append(run);
      return;
    }
    plain.append(run.substr(0, room));
    plainFull_ = true;
    plainCutMidWord_ = true;
  }

  void breakPlainText() {
    inWord_ = false;
    pendingSpace_ = true;
  }

  void finishPlainText() {
    std::string& plain = result_.plainText;
    if (!plainFull_) return;
    // Drop a UTF-8 sequence the byte limit cut in half.
    size_t end = plain.size();
    size_t lead = end;
    while (lead > 0 && (static_cast<unsigned char>(plain[lead - 1]) & 0xC0) == 0x80) --lead;
    if (lead > 0) {
      unsigned char c = static_cast<unsigned char>(plain[lead - 1]);
      size_t expected = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      if (c >= 0x80 && end - (lead - 1) < expected) plain.resize(lead - 1);
    }
    // Prefer ending at a word boundary when the limit fell inside a word.
    if (plainCutMidWord_) {
      size_t space = plain.rfind(' ');
      if (space != std::string::npos && space > 0) plain.resize(space);
    }
  }

  const RenderOptions& options_;
  RenderedMarkdown result_;
  HtmlBuffer html_;  // result_.html, until takeResult()

  bool inCodeBlock_ = false;

  bool inHeading_ = false;
  size_t headingStart_ = 0;
  std::string headingText_;
  std::unordered_set<std::string> usedIds_;
  std::unordered_map<std::string, size_t> nextSuffix_;  // next "-N" to try per slug

  // The elements of spans open outside images (em, strong, code, del, a).
  SpanStack spans_;

  int imageDepth_ = 0;  // > 0 while inside an image's alt text (images can nest)
  std::optional<std::string> imageSrc_;
  bool imageHasTitle_ = false;
  std::string imageTitle_;
  std::string imageAlt_;

  bool inWord_ = false;
  bool pendingSpace_ = false;
  bool plainFull_ = false;
  bool plainCutMidWord_ = false;
};

}  // namespace

RenderedMarkdown renderMarkdown(std::string_view markdown) {
  return testing::renderMarkdown(markdown, RenderOptions{});
}

namespace testing {

RenderedMarkdown renderMarkdown(std::string_view markdown, const RenderOptions& options) {
  if (markdown.substr(0, kUtf8Bom.size()) == kUtf8Bom) markdown.remove_prefix(kUtf8Bom.size());

  // md4c and our escaping are byte-oriented; make sure what we emit is well-formed UTF-8. The
  // copy is also what md4c parses: it must own a terminating NUL (see parseWith()).
  std::string source;
  if (isValidUtf8(markdown)) {
    source.assign(markdown);
  } else {
    source.reserve(markdown.size() + 16);
    appendValidUtf8(source, markdown);
  }
  HtmlRenderer renderer(options, source.size());
  unsigned flags = kParserFlags;
  if (options.commonMarkOnly) flags = MD_DIALECT_COMMONMARK | MD_FLAG_NOHTML;
  if (options.allowRawHtml) flags &= ~static_cast<unsigned>(MD_FLAG_NOHTML);
  if (!options.commonMarkOnly && !permissiveUrlAutolinksAffordable(source)) {
    flags &= ~static_cast<unsigned>(MD_FLAG_PERMISSIVEURLAUTOLINKS | MD_FLAG_PERMISSIVEWWWAUTOLINKS);
  }
  if (!parseWith(source, flags, renderer)) return RenderedMarkdown{};
  RenderedMarkdown result = renderer.takeResult();
  result.ok = true;
  return result;
}

}  // namespace testing

}  // namespace lattice::render
