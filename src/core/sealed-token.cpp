#include "core/sealed-token.h"

#include <cstdint>

#include "core/sha256.h"

namespace lattice {

namespace {

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

std::string checksum(std::string_view salt, std::string_view payload) {
  std::string salted(salt);
  salted.append(payload);
  const auto digest = sha256(salted);
  return std::string(reinterpret_cast<const char*>(digest.data()), kSealChecksumBytes);
}

}  // namespace

std::string base64UrlEncode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t n = (uint32_t{uint8_t(bytes[i])} << 16) | (uint32_t{uint8_t(bytes[i + 1])} << 8) | uint8_t(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(kBase64Url[(n >> shift) & 63]);
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = uint32_t{uint8_t(bytes[i])} << 16;
    if (rest == 2) n |= uint32_t{uint8_t(bytes[i + 1])} << 8;
    out.push_back(kBase64Url[(n >> 18) & 63]);
    out.push_back(kBase64Url[(n >> 12) & 63]);
    if (rest == 2) out.push_back(kBase64Url[(n >> 6) & 63]);
  }
  return out;
}

std::optional<std::string> base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int v = base64UrlValue(c);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  // Left-over bits must be zero, so that each byte string has exactly one spelling.
  if (bits > 0 && (buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string sealToken(std::string_view salt, std::string_view payload) {
  std::string bytes(payload);
  bytes.append(checksum(salt, payload));
  return base64UrlEncode(bytes);
}

std::optional<std::string> openToken(std::string_view salt, std::string_view token) {
  auto bytes = base64UrlDecode(token);
  if (!bytes || bytes->size() < kSealChecksumBytes) return std::nullopt;
  const std::string_view all(*bytes);
  const std::string_view payload = all.substr(0, all.size() - kSealChecksumBytes);
  if (checksum(salt, payload) != all.substr(payload.size())) return std::nullopt;
  return std::string(payload);
}

}  // namespace lattice
