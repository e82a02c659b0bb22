// Wall-clock time as the protocol shows it: milliseconds since the epoch, RFC 3339 UTC.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/types.hpp"

namespace parley {

TimeMs now_ms();
// 2026-11-22T23:45:01.123Z
std::string format_rfc3339(TimeMs ms);
// Accepts YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM); nullopt for anything else.
std::optional<TimeMs> parse_rfc3339(std::string_view text);

}  // namespace parley
