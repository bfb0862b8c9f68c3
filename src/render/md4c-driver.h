// What the two markdown renderers (markdown.h for posts, comment-markdown.h for comments) share
// around md4c: how attribute text is rebuilt, and running md4c with a renderer object.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "md4c.h"

namespace lattice::render {

inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Rebuilds an md4c attribute (link destination, title, code info) as plain text: entity
// substrings decoded, NUL as U+FFFD. md4c has already removed backslash escapes.
std::string attributeText(const MD_ATTRIBUTE& attribute);

// The spans a renderer has open, so that its output is well-formed whatever md4c reports:
// md4c 0.4.8 does not always pair its span callbacks (found by fuzz/markdown-fuzz.cpp and
// fuzz/comment-markdown-fuzz.cpp). A bare URL autolink that swallows an emphasis closer
// ("*x http://a.b/c*d") enters <em> and never leaves it, which left the rest of the page in
// italics; a span entered inside an image's alt text can be left after the image, which gave a
// stray </em>. So: a leave closes its span (and whatever was opened inside it) only if it is
// open, and the end of a block closes every span still open in that block.
class SpanStack {
 public:
  // A block begins: spans opened from now on belong to it.
  void enterBlock() { bases_.push_back(open_.size()); }
  // A block ends: appends the closing tags of the spans still open in it.
  template <typename Out>
  void leaveBlock(Out& out) {
    closeDownTo(bases_.empty() ? 0 : bases_.back(), out);
    if (!bases_.empty()) bases_.pop_back();
  }
  // A span was entered; `closeTag` (a literal, "" when no element was emitted) ends it.
  void open(MD_SPANTYPE type, std::string_view closeTag) { open_.push_back(Span{type, closeTag}); }
  // md4c left a span of `type`: closes the innermost open one, if any (a stray leave is ignored).
  template <typename Out>
  void close(MD_SPANTYPE type, Out& out) {
    const size_t base = bases_.empty() ? 0 : bases_.back();
    for (size_t i = open_.size(); i > base; --i) {
      if (open_[i - 1].type == type) {
        closeDownTo(i - 1, out);
        return;
      }
    }
  }

 private:
  struct Span {
    MD_SPANTYPE type;
    std::string_view closeTag;
  };
  template <typename Out>
  void closeDownTo(size_t size, Out& out) {
    while (open_.size() > size) {
      out.append(open_.back().closeTag);
      open_.pop_back();
    }
  }
  std::vector<Span> open_;
  std::vector<size_t> bases_;  // open_.size() when each open block began
};

// Runs md4c over `source` with `flags`, calling `renderer`'s enterBlock(type, detail),
// leaveBlock(type, detail), enterSpan(type, detail), leaveSpan(type) and text(type, text).
// False when md4c fails (out of memory) or `source` is too large for MD_SIZE.
//
// A std::string, not a view: md4c 0.4.8 reads one byte past the end of its input (a document
// ending in a list-number-like "1": md_is_container_mark looks at the byte after the digits for
// '.' or ')'). A string's terminating NUL makes that byte defined and never a marker; with a
// view into a larger buffer it would be the caller's next byte ("1" of "1." became a list), or
// past the allocation (found by fuzz/markdown-fuzz.cpp under ASan).
template <typename Renderer>
bool parseWith(const std::string& source, unsigned flags, Renderer& renderer) {
  if constexpr (sizeof(size_t) > sizeof(MD_SIZE)) {
    if (source.size() > static_cast<size_t>(static_cast<MD_SIZE>(-1))) return false;
  }
  MD_PARSER parser = {};
  parser.abi_version = 0;
  parser.flags = flags;
  parser.enter_block = [](MD_BLOCKTYPE type, void* detail, void* self) {
    static_cast<Renderer*>(self)->enterBlock(type, detail);
    return 0;
  };
  parser.leave_block = [](MD_BLOCKTYPE type, void* detail, void* self) {
    static_cast<Renderer*>(self)->leaveBlock(type, detail);
    return 0;
  };
  parser.enter_span = [](MD_SPANTYPE type, void* detail, void* self) {
    static_cast<Renderer*>(self)->enterSpan(type, detail);
    return 0;
  };
  parser.leave_span = [](MD_SPANTYPE type, void*, void* self) {
    static_cast<Renderer*>(self)->leaveSpan(type);
    return 0;
  };
  parser.text = [](MD_TEXTTYPE type, const MD_CHAR* text, MD_SIZE size, void* self) {
    static_cast<Renderer*>(self)->text(type, std::string_view(text, size));
    return 0;
  };
  return md_parse(source.data(), static_cast<MD_SIZE>(source.size()), &parser, &renderer) == 0;
}

}  // namespace lattice::render
