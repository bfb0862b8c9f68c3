#include "app/context.h"

namespace lattice {

std::string Context::newId(std::string_view prefix, int index) const {
  std::string id(prefix);
  size_t start = static_cast<size_t>(index) * 20;
  if (random.size() >= start + 20) {
    id += random.substr(start, 20);
  } else {
    // Not enough host randomness (a driver bug); derive deterministically rather than fail.
    id += random.size() >= 20 ? random.substr(0, 20) : std::string(20, '0');
  }
  return id;
}

}  // namespace lattice
