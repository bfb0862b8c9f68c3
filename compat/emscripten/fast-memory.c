// memcpy and memset a word at a time, for both wasm modules (CMakeLists.txt). Linking at -Oz
// makes emscripten 3.1.6 pick its size-optimised libc (libc-optz), whose memcpy and memset move
// one byte per loop turn: the markdown renderer's copies (its input, every run of output text)
// and md4c's spent about a tenth of a render there. These replace them (libc-optz's memcpy is a
// weak alias; its memset object is then never pulled in). LLVM does not turn the loops below
// back into calls in functions named memcpy/memset, and the file is built with -fno-builtin.
#include <stddef.h>
#include <stdint.h>

void* memcpy(void* restrict dest, const void* restrict src, size_t n) {
  unsigned char* d = dest;
  const unsigned char* s = src;
  for (; n >= 8; n -= 8, d += 8, s += 8) {
    uint64_t word;
    __builtin_memcpy(&word, s, 8);  // one unaligned i64 load and store
    __builtin_memcpy(d, &word, 8);
  }
  while (n--) *d++ = *s++;
  return dest;
}

void* memset(void* dest, int c, size_t n) {
  unsigned char* d = dest;
  const uint64_t word = 0x0101010101010101ull * (unsigned char)c;
  for (; n >= 8; n -= 8, d += 8) __builtin_memcpy(d, &word, 8);
  while (n--) *d++ = (unsigned char)c;
  return dest;
}
