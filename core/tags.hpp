#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace labctl {

inline constexpr const char* k_tag_run_id = "routerd.cloudedge.run_id";
inline constexpr const char* k_tag_owner = "routerd.cloudedge.owner";
inline constexpr const char* k_tag_ttl_expires_at = "routerd.cloudedge.ttl_expires_at";
inline constexpr const char* k_tag_provider = "routerd.cloudedge.provider";
inline constexpr const char* k_tag_purpose = "routerd.cloudedge.purpose";

// EC2 accepts tag values of at most 256 Unicode characters.
inline constexpr std::size_t k_max_tag_value_chars = 256;

// The five routerd.cloudedge.* tags every resource of a run carries from its creation on.
// Built only by make_tags, so every provider stamps the same set.
struct Tags {
  std::string run_id;
  std::string owner;
  std::string ttl_expires_at;  // RFC3339 UTC
  std::string provider;
  std::string purpose;

  // In the fixed order run_id, owner, ttl_expires_at, provider, purpose.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> pairs() const;
};

[[nodiscard]] Tags make_tags(const std::string& run_id, const std::string& owner,
                             const std::string& ttl_expires_at, const std::string& provider,
                             const std::string& purpose);

// Checks a value from outside (an env var, a flag) that labctl will store as a tag value or in
// a state row: valid UTF-8, no control characters (C0, DEL, C1), at most `max_chars`
// characters. The error (ExitCode::usage) shows the value escaped and names `what` ("CE_OWNER",
// "--by") unless it is empty.
[[nodiscard]] Expected<void> check_tag_value(std::string_view value, std::string_view what,
                                             std::size_t max_chars = k_max_tag_value_chars);

}  // namespace labctl
