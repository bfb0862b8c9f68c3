// Opaque tokens the server hands out and later reads back (page cursors): base64url without
// padding (RFC 4648 §5) of a payload followed by 4 bytes of SHA-256 over a per-use salt and the
// payload. The checksum is not a MAC (the salt is public in the source); it makes a token that
// was truncated, mistyped or edited by hand recognisable, so a client gets a clear 400 instead
// of a silently different page. Tokens must never carry anything a client may not see.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lattice {

// base64url, no padding: 4 characters per 3 bytes, 2 or 3 for a trailing 1 or 2 bytes.
std::string base64UrlEncode(std::string_view bytes);
// The bytes of `text`, or nullopt for anything base64UrlEncode() would not produce: padding,
// characters outside [A-Za-z0-9_-], a length of 1 mod 4, or non-zero unused trailing bits.
std::optional<std::string> base64UrlDecode(std::string_view text);

inline constexpr size_t kSealChecksumBytes = 4;

// base64UrlEncode(payload + first 4 bytes of SHA-256(salt + payload)).
std::string sealToken(std::string_view salt, std::string_view payload);
// The payload of a token sealToken(salt, payload) produced; nullopt when it does not decode or
// its checksum does not match (a token sealed with another salt does not match either).
std::optional<std::string> openToken(std::string_view salt, std::string_view token);

}  // namespace lattice
