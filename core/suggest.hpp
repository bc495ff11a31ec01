#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace labctl {

// The candidate closest to `input` by edit distance, if it is close enough to be a plausible
// typo (distance <= max(1, len/3)); nullopt otherwise.
[[nodiscard]] std::optional<std::string> closest_match(std::string_view input,
                                                       const std::vector<std::string>& candidates);

// " (did you mean \"x\"?)" or "" — for appending to an error message.
[[nodiscard]] std::string did_you_mean(std::string_view input,
                                       const std::vector<std::string>& candidates);

// "a|b|c"
[[nodiscard]] std::string join(const std::vector<std::string>& items, std::string_view sep);

}  // namespace labctl
