// TTLs (core/duration.hpp: --ttl, --max-ttl, profile `ttl`) and RFC 3339 times
// (core/time.hpp: the ttl_expires_at tag the janitor reads back from the cloud).
// Properties: an accepted TTL is positive and bounded, and its formatted form parses back to
// the same duration; an accepted time formats to a form that parses back to the same second.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.hpp"
#include "core/duration.hpp"
#include "core/time.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using labctl::fuzz::check;
  const auto input = labctl::fuzz::as_text(data, size);

  if (const auto ttl = labctl::parse_duration(input)) {
    check(ttl->count() > 0, "an accepted TTL is positive");
    check(*ttl <= std::chrono::hours(24 * 366 * 100), "an accepted TTL is at most ~100 years");
    const std::string shown = labctl::format_duration(*ttl);
    const auto again = labctl::parse_duration(shown);
    check(again.has_value() && *again == *ttl, "format_duration output parses back equal");
  } else {
    check(!ttl.error().message.empty(), "a refused TTL says why");
  }

  if (const auto time = labctl::parse_rfc3339(input)) {
    const auto again = labctl::parse_rfc3339(labctl::format_rfc3339(*time));
    check(again.has_value(), "format_rfc3339 output parses");
    check(std::chrono::floor<std::chrono::seconds>(*again) ==
              std::chrono::floor<std::chrono::seconds>(*time),
          "format_rfc3339 output parses back to the same second");
  }
  return 0;
}
