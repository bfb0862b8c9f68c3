#include "render/comment-markdown.h"

#include <vector>

#include "render/html-escape.h"
#include "render/md4c-driver.h"
#include "render/url-safety.h"

namespace lattice::render {
namespace {

// No tables, strikethrough or task lists; raw HTML as text; bare URLs autolinked.
constexpr unsigned kCommentParserFlags = MD_FLAG_NOHTML | MD_FLAG_PERMISSIVEURLAUTOLINKS |
                                         MD_FLAG_PERMISSIVEEMAILAUTOLINKS |
                                         MD_FLAG_PERMISSIVEWWWAUTOLINKS;

constexpr std::string_view kLinkRel = "ugc nofollow noopener";

char asciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool startsWithIgnoreAsciiCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (asciiLower(text[i]) != prefix[i]) return false;
  return true;
}

bool isSpaceOrTab(char c) { return c == ' ' || c == '\t'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

// True when `rest` (a line after its indentation) is only `c`, at least `min` of it, with
// spaces and tabs allowed between (`spaced`) or only after the run.
bool isRunOf(std::string_view rest, char c, size_t min, bool spaced) {
  size_t count = 0;
  bool trailing = false;
  for (char ch : rest) {
    if (ch == c && !trailing) {
      ++count;
    } else if (isSpaceOrTab(ch)) {
      if (!spaced) trailing = true;
    } else {
      return false;
    }
  }
  return count >= min;
}

// Appends one line (without its '\n') outside fenced code, escaping the marker that would make
// it a heading, block quote, list item, thematic break or setext underline. A line that starts
// with a backslash escape can be none of those, so escaping the first marker is enough; the
// other characters of a thematic break are escaped too so they cannot pair up as emphasis.
void appendNeutralLine(std::string& out, std::string_view line, size_t indentBytes) {
  std::string_view rest = line.substr(indentBytes);
  out.append(line.substr(0, indentBytes));
  if (rest.empty()) return;
  const char c = rest[0];
  auto escapeAll = [&](char marker) {
    for (char ch : rest) {
      if (ch == marker) out.push_back('\\');
      out.push_back(ch);
    }
  };
  if ((c == '*' || c == '_' || c == '-') && isRunOf(rest, c, 3, true)) return escapeAll(c);
  if ((c == '=' || c == '-') && isRunOf(rest, c, 1, false)) return escapeAll(c);  // setext
  bool escapeFirst = false;
  if (c == '>') {
    escapeFirst = true;
  } else if (c == '#') {
    size_t n = 0;
    while (n < rest.size() && rest[n] == '#') ++n;
    escapeFirst = n <= 6 && (n == rest.size() || isSpaceOrTab(rest[n]));
  } else if (c == '-' || c == '+' || c == '*') {
    escapeFirst = rest.size() == 1 || isSpaceOrTab(rest[1]);
  } else if (isDigit(c)) {
    size_t n = 0;
    while (n < rest.size() && n < 10 && isDigit(rest[n])) ++n;
    if (n <= 9 && n < rest.size() && (rest[n] == '.' || rest[n] == ')') &&
        (n + 1 == rest.size() || isSpaceOrTab(rest[n + 1]))) {
      out.append(rest.substr(0, n)).push_back('\\');
      out.append(rest.substr(n));
      return;
    }
  }
  if (escapeFirst) out.push_back('\\');
  out.append(rest);
}

// Backslash-escapes the line-start markers of the blocks comments do not have (see
// appendNeutralLine), leaving fenced code blocks and indented lines (code, or paragraph
// continuations) as they are. Expects '\n' line endings. Only cosmetic: the renderer below
// never emits a heading, quote or list element even if one got through.
std::string neutraliseBlocks(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16 + 16);
  char fenceChar = 0;  // '`' or '~' while inside a fenced code block
  size_t fenceLength = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);

    size_t columns = 0, bytes = 0;
    while (bytes < line.size() && isSpaceOrTab(line[bytes]) && columns < 4) {
      columns = line[bytes] == '\t' ? (columns / 4 + 1) * 4 : columns + 1;
      ++bytes;
    }
    std::string_view rest = line.substr(bytes);
    size_t run = 0;
    while (run < rest.size() && (rest[run] == '`' || rest[run] == '~') && rest[run] == rest[0]) ++run;

    if (columns >= 4) {
      out.append(line);
    } else if (fenceChar != 0) {
      if (run >= fenceLength && rest[0] == fenceChar &&
          rest.find_first_not_of(" \t", run) == std::string_view::npos) {
        fenceChar = 0;
      }
      out.append(line);
    } else if (run >= 3 && (rest[0] == '~' || rest.find('`', run) == std::string_view::npos)) {
      fenceChar = rest[0];
      fenceLength = run;
      out.append(line);
    } else {
      appendNeutralLine(out, line, bytes);
    }
    if (end == text.size()) break;
    out.push_back('\n');
    pos = end + 1;
  }
  return out;
}

// The md4c callbacks' state: an allowlist renderer. Every block and span not in the subset
// emits no element of its own, only its (escaped) text.
class CommentRenderer {
 public:
  std::string take() { return std::move(out_); }

  void enterBlock(MD_BLOCKTYPE type, const void*) {
    spans_.enterBlock();
    switch (type) {
      case MD_BLOCK_P: out_.append("<p>"); break;
      case MD_BLOCK_H: out_.append("<p>"); break;  // only if neutraliseBlocks missed one
      case MD_BLOCK_CODE:
        inCode_ = true;
        out_.append("<pre><code>");
        break;
      default: break;
    }
  }

  void leaveBlock(MD_BLOCKTYPE type, const void*) {
    // What md4c left open inside the block ends with it (see SpanStack).
    if (imageDepth_ > 0) {
      imageDepth_ = 0;
      finishImage();
    }
    spans_.leaveBlock(out_);
    switch (type) {
      case MD_BLOCK_P:
      case MD_BLOCK_H: out_.append("</p>\n"); break;
      case MD_BLOCK_CODE:
        inCode_ = false;
        out_.append("</code></pre>\n");
        break;
      case MD_BLOCK_LI: out_.append("<br>\n"); break;
      default: break;
    }
  }

  void enterSpan(MD_SPANTYPE type, const void* detail) {
    if (imageDepth_ > 0) {  // inside an image only the alt text survives
      if (type == MD_SPAN_IMG) ++imageDepth_;
      return;
    }
    switch (type) {
      case MD_SPAN_EM:
        out_.append("<em>");
        spans_.open(type, "</em>");
        break;
      case MD_SPAN_STRONG:
        out_.append("<strong>");
        spans_.open(type, "</strong>");
        break;
      case MD_SPAN_CODE:
        out_.append("<code>");
        spans_.open(type, "</code>");
        break;
      case MD_SPAN_A: {
        auto link = static_cast<const MD_SPAN_A_DETAIL*>(detail);
        std::optional<std::string> href = commentUrl(attributeText(link->href));
        if (href) {
          out_.append("<a href=\"");
          appendEscapedUrl(out_, *href);
          out_.append("\" rel=\"").append(kLinkRel).append("\">");
        }
        spans_.open(type, href ? "</a>" : "");
        break;
      }
      case MD_SPAN_IMG:
        imageDepth_ = 1;
        imageSrc_ = attributeText(static_cast<const MD_SPAN_IMG_DETAIL*>(detail)->src);
        out_.append("![");
        break;
      default: break;
    }
  }

  void leaveSpan(MD_SPANTYPE type) {
    if (imageDepth_ > 0) {
      if (type == MD_SPAN_IMG && --imageDepth_ == 0) finishImage();
      return;
    }
    switch (type) {
      case MD_SPAN_EM:
      case MD_SPAN_STRONG:
      case MD_SPAN_CODE:
      case MD_SPAN_A: spans_.close(type, out_); break;
      default: break;
    }
  }

  void text(MD_TEXTTYPE type, std::string_view text) {
    switch (type) {
      case MD_TEXT_NULLCHAR: appendEscapedHtml(out_, kReplacementCharacter); break;
      case MD_TEXT_BR:
      case MD_TEXT_SOFTBR:
        if (imageDepth_ > 0 || inCode_) out_.push_back(' ');
        else out_.append("<br>\n");
        break;
      case MD_TEXT_ENTITY: appendEscapedHtml(out_, decodeEntities(text)); break;
      default: appendEscapedHtml(out_, text); break;  // never author text verbatim
    }
  }

 private:
  void finishImage() {
    out_.append("](");
    appendEscapedHtml(out_, imageSrc_);
    out_.append(")");
  }

  std::string out_;
  bool inCode_ = false;
  SpanStack spans_;  // em, strong, code and a elements open outside images
  int imageDepth_ = 0;
  std::string imageSrc_;
};

}  // namespace

std::optional<std::string> commentUrl(std::string_view decodedUrl) {
  std::optional<std::string> url = safeUrl(decodedUrl);
  if (!url) return std::nullopt;
  if (startsWithIgnoreAsciiCase(*url, "http://") || startsWithIgnoreAsciiCase(*url, "https://") ||
      startsWithIgnoreAsciiCase(*url, "mailto:")) {
    return url;
  }
  return std::nullopt;
}

std::string renderCommentHtml(std::string_view body) {
  if (body.substr(0, kUtf8Bom.size()) == kUtf8Bom) body.remove_prefix(kUtf8Bom.size());
  std::string text;
  text.reserve(body.size());
  appendValidUtf8(text, body);
  std::string normalised;
  normalised.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r') {
      normalised.push_back(text[i]);
    } else if (i + 1 >= text.size() || text[i + 1] != '\n') {
      normalised.push_back('\n');
    }
  }
  const std::string source = neutraliseBlocks(normalised);
  CommentRenderer renderer;
  if (!parseWith(source, kCommentParserFlags, renderer)) {
    // md4c failed (out of memory): the text, escaped, is still a safe rendering.
    return "<p>" + escapeHtml(normalised) + "</p>\n";
  }
  return renderer.take();
}

}  // namespace lattice::render
