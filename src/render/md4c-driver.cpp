#include "render/md4c-driver.h"

#include "render/url-safety.h"

namespace lattice::render {

std::string attributeText(const MD_ATTRIBUTE& attribute) {
  std::string text;
  if (attribute.text == nullptr) return text;
  for (unsigned i = 0; attribute.substr_offsets[i] < attribute.size; ++i) {
    MD_OFFSET offset = attribute.substr_offsets[i];
    std::string_view part(attribute.text + offset, attribute.substr_offsets[i + 1] - offset);
    switch (attribute.substr_types[i]) {
      case MD_TEXT_ENTITY: text.append(decodeEntities(part)); break;
      case MD_TEXT_NULLCHAR: text.append(kReplacementCharacter); break;
      default: text.append(part); break;
    }
  }
  return text;
}

}  // namespace lattice::render
