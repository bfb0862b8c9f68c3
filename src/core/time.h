// Time as values: the core never reads a clock; `now` (Unix milliseconds) comes with each request.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lattice {

using UnixMillis = int64_t;

// "2025-03-14T09:30:00Z" (UTC, second precision).
std::string formatIso8601(UnixMillis t);
// "14 March 2025" for pages.
std::string formatHumanDate(UnixMillis t);
// Accepts "YYYY-MM-DDTHH:MM:SSZ", with optional ".fff" and a "+HH:MM"/"-HH:MM" offset, or a bare
// "YYYY-MM-DD" (midnight UTC). nullopt for anything else or an impossible date.
std::optional<UnixMillis> parseIso8601(std::string_view s);

}  // namespace lattice
