// Profiles through the loader (core/profile.hpp: profile::parse is what profile::load calls on
// the file's text; all yaml-cpp access sits behind it). Properties: YAML never escapes as an
// exception; a refused profile names the file; an accepted profile has sites, providers
// without duplicates, a TTL that parses, SSH ports in range, and every matrix names known sites.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.hpp"
#include "core/duration.hpp"
#include "core/profile.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using labctl::fuzz::check;
  namespace profile = labctl::profile;
  const std::string yaml(labctl::fuzz::as_text(data, size));

  const auto parsed = profile::parse(yaml, "fuzz.yaml");
  if (!parsed) {
    check(parsed.error().code == labctl::ExitCode::usage, "a bad profile is a usage error");
    check(parsed.error().message.find("fuzz.yaml") != std::string::npos,
          "a bad profile's error names the file");
    return 0;
  }
  const profile::Profile& p = *parsed;
  check(!p.sites.empty(), "an accepted profile has sites");
  check(labctl::parse_duration(p.ttl).has_value(), "an accepted profile's ttl parses");
  for (std::size_t i = 0; i < p.providers.size(); ++i) {
    check(std::count(p.providers.begin(), p.providers.end(), p.providers[i]) == 1,
          "an accepted profile lists each provider once");
  }
  for (const auto& host : p.onprem.hosts) {
    check(host.ssh.port > 0 && host.ssh.port < 65536, "SSH ports are in 1..65535");
  }
  for (const auto& [name, sites] : p.matrices) {
    for (const auto& site : sites) {
      check(p.find_site(site) != nullptr, "a matrix names only the profile's sites");
    }
  }
  return 0;
}
