// The markdown renderer's output buffer: appends that compile to a bounds check and a memcpy.
//
// Why not std::string: the Debian emscripten's libc++ declares basic_string<char> an extern
// template and ships its members built without inlining, so under wasm every append or push_back
// was a call into a chain of uninlined one-line helpers (size(), __is_long(), __get_pointer()...):
// about a fifth of a render. The storage is still a std::string, handed over without a copy.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

namespace lattice::render {

class HtmlBuffer {
 public:
  explicit HtmlBuffer(size_t capacity = 0) { grow(capacity); }

  // Inline: the runs of text (appendEscapedHtml()), where the time goes.
  HtmlBuffer& append(const char* data, size_t size) {
    if (size > capacity_ - size_) grow(size);
    std::memcpy(data_ + size_, data, size);
    size_ += size;
    return *this;
  }
  // A call: tags and entities, from many call sites (inlined, they cost ~1 KB gzip of wasm).
  [[gnu::noinline]] HtmlBuffer& append(std::string_view text) { return append(text.data(), text.size()); }
  // Inserts `text` at byte `at` (<= size()), moving what follows.
  void insert(size_t at, std::string_view text) {
    if (text.size() > capacity_ - size_) grow(text.size());
    std::memmove(data_ + at + text.size(), data_ + at, size_ - at);
    std::memcpy(data_ + at, text.data(), text.size());
    size_ += text.size();
  }
  size_t size() const { return size_; }

  // The contents; the buffer is left empty.
  std::string take() {
    storage_.resize(size_);
    std::string out = std::move(storage_);
    storage_ = std::string();
    data_ = nullptr;
    size_ = capacity_ = 0;
    return out;
  }

 private:
  [[gnu::noinline]] void grow(size_t more) {
    storage_.resize(std::max(capacity_ * 2, size_ + more));
    data_ = storage_.data();
    capacity_ = storage_.size();
  }

  std::string storage_;  // its size is the capacity; bytes past size_ are not output
  char* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace lattice::render
