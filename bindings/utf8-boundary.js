// Appended to both modules' glue (--post-js, CMakeLists.txt); the C++ half and the why are in
// utf8-boundary.h. Module.utf8Call(fn, text): writes `text` into wasm memory as UTF-8, calls
// fn(address, size), which returns the address of a Utf8View, and returns that result as a string.
var utf8Encoder = new TextEncoder();
var utf8Decoder = new TextDecoder("utf-8", { ignoreBOM: true });
Module["utf8Call"] = function (fn, text) {
  var capacity = text.length * 3; // a UTF-16 code unit is at most 3 bytes of UTF-8
  var address = Module["_lattice_utf8_input"](capacity); // may grow memory: take the views after
  var written = utf8Encoder.encodeInto(text, Module["HEAPU8"].subarray(address, address + capacity)).written;
  var view = fn(address, written) >>> 2;
  var heap32 = Module["HEAPU32"];
  var data = heap32[view];
  return utf8Decoder.decode(Module["HEAPU8"].subarray(data, data + heap32[view + 1]));
};
