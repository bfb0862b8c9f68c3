#include "render/xml-escape.h"

#include "render/html-escape.h"

namespace lattice::render {

void appendXmlEscaped(std::string& out, std::string_view text) {
  // Repair the encoding first (rarely needed), so the loop below only sees well-formed UTF-8
  // and can recognise U+FFFE/U+FFFF by their bytes without decoding.
  std::string repaired;
  if (!isValidUtf8(text)) {
    appendValidUtf8(repaired, text);
    text = repaired;
  }

  size_t start = 0;  // start of the pending run copied unchanged
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::string_view replacement;
    size_t skip = 1;
    switch (c) {
      case '&': replacement = "&amp;"; break;
      case '<': replacement = "&lt;"; break;
      case '>': replacement = "&gt;"; break;
      case '"': replacement = "&quot;"; break;
      case '\'': replacement = "&apos;"; break;
      case '\t': case '\n': case '\r': continue;
      case 0xEF:  // U+FFFE is EF BF BE, U+FFFF is EF BF BF: dropped
        if (i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xBF &&
            (static_cast<unsigned char>(text[i + 2]) & 0xFE) == 0xBE) {
          skip = 3;
          break;
        }
        continue;
      default:
        if (c >= 0x20) continue;
        break;  // other C0 control: dropped
    }
    out.append(text.data() + start, i - start);
    out.append(replacement);
    i += skip - 1;
    start = i + 1;
  }
  out.append(text.data() + start, text.size() - start);
}

std::string escapeXml(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  appendXmlEscaped(out, text);
  return out;
}

}  // namespace lattice::render
