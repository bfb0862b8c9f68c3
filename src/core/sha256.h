// SHA-256 (FIPS 180-4), used for API token hashes and content hashes. Pure, no IO.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace lattice {

std::array<uint8_t, 32> sha256(std::string_view data);
// Lower-case hex of sha256(data): 64 characters.
std::string sha256Hex(std::string_view data);

}  // namespace lattice
