#include "labctl/tags.hpp"

namespace labctl {

std::vector<std::pair<std::string, std::string>> Tags::pairs() const {
  return {{k_tag_run_id, run_id},
          {k_tag_owner, owner},
          {k_tag_ttl_expires_at, ttl_expires_at},
          {k_tag_provider, provider},
          {k_tag_purpose, purpose}};
}

Tags make_tags(const std::string& run_id, const std::string& owner,
               const std::string& ttl_expires_at, const std::string& provider,
               const std::string& purpose) {
  return Tags{run_id, owner, ttl_expires_at, provider, purpose};
}

}  // namespace labctl
