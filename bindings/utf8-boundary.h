// The UTF-8 string boundary of both wasm modules (the JS half is utf8-boundary.js, appended to
// each module's glue). A string goes in as UTF-8 bytes that the runtime's TextEncoder writes
// straight into wasm memory, at the buffer lattice_utf8_input() hands out, and comes back as the
// address of a Utf8View that the runtime's TextDecoder reads: no per-byte JS loops, unlike
// embind's std::string conversion (which measures, copies and NUL-scans every byte in JS).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lattice::bindings {

// Where a boundary function's result lies in wasm memory: valid until the next result.
struct Utf8View {
  uint32_t data;
  uint32_t size;
};

// The input a boundary function receives as (address, size).
inline std::string_view utf8Input(uintptr_t data, uint32_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Keeps `result` until the next call and returns the address of its Utf8View, for JS to read.
uintptr_t utf8Result(std::string result);

}  // namespace lattice::bindings
