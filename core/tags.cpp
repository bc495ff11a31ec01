#include "core/tags.hpp"

#include <limits>

#include "core/text.hpp"

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

Expected<void> check_tag_value(std::string_view value, std::string_view what,
                               std::size_t max_chars) {
  const auto refuse = [&](const std::string& why) {
    return fail(ExitCode::usage,
                (what.empty() ? std::string() : std::string(what) + ": ") + "\"" +
                    text::printable(value, 80) + "\" " + why);
  };
  if (!text::is_valid_utf8(value)) return refuse("is not valid UTF-8");
  // printable() changes valid UTF-8 only where it escapes a control character.
  if (text::printable(value, std::numeric_limits<std::size_t>::max()) != value) {
    return refuse("holds control characters (newlines, tabs, escape sequences)");
  }
  std::size_t chars = 0;
  for (const char c : value) {
    if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) ++chars;  // not a continuation byte
  }
  if (chars > max_chars) {
    return refuse("is " + std::to_string(chars) + " characters long; the limit is " +
                  std::to_string(max_chars));
  }
  return {};
}

}  // namespace labctl
