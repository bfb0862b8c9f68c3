#include "utf8-boundary.h"

#include <emscripten/emscripten.h>

namespace lattice::bindings {
namespace {

std::string input;   // grows to the largest input seen, never shrinks
std::string output;  // the last result, until the next one
Utf8View view;

}  // namespace

uintptr_t utf8Result(std::string result) {
  output = std::move(result);
  view = {static_cast<uint32_t>(reinterpret_cast<uintptr_t>(output.data())), static_cast<uint32_t>(output.size())};
  return reinterpret_cast<uintptr_t>(&view);
}

}  // namespace lattice::bindings

// The buffer the next input is written to: at least `capacity` bytes. May grow wasm memory, so
// JS takes its views of the memory after this call.
extern "C" EMSCRIPTEN_KEEPALIVE char* lattice_utf8_input(uint32_t capacity) {
  auto& input = lattice::bindings::input;
  if (input.size() < capacity) input.resize(capacity);
  return input.data();
}
