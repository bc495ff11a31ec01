#pragma once

#include <string>
#include <utility>
#include <vector>

namespace labctl {

inline constexpr const char* k_tag_run_id = "routerd.cloudedge.run_id";
inline constexpr const char* k_tag_owner = "routerd.cloudedge.owner";
inline constexpr const char* k_tag_ttl_expires_at = "routerd.cloudedge.ttl_expires_at";
inline constexpr const char* k_tag_provider = "routerd.cloudedge.provider";
inline constexpr const char* k_tag_purpose = "routerd.cloudedge.purpose";

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

}  // namespace labctl
