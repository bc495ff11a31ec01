// Provider lists (core/provider_order.hpp: --providers, CE_AWS_REGIONS-style CSVs;
// providers/registry: the names and their orders). The input is "<order mode>\0<csv>". Properties: split items are
// non-empty, trimmed and unique; an accepted order is a permutation of its input; the registry
// answers any name with a provider of that name or a usage error, never a crash.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_check.hpp"
#include "core/provider_order.hpp"
#include "providers/provider.hpp"
#include "providers/registry/registry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using labctl::fuzz::check;
  const auto fields = labctl::fuzz::split_fields<2>(labctl::fuzz::as_text(data, size));
  const std::string mode(fields.parts[0]);
  const std::string csv(fields.parts[1]);

  const std::vector<std::string> names = labctl::split_provider_list(csv);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    check(!name.empty(), "split items are non-empty");
    check(name.front() != ' ' && name.front() != '\t' && name.back() != ' ' && name.back() != '\t',
          "split items are trimmed");
    check(name.find(',') == std::string::npos, "split items hold no separator");
    check(std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), name) ==
              names.begin() + static_cast<std::ptrdiff_t>(i),
          "split items are unique");
  }

  if (const auto ordered = labctl::providers::order_providers(names, mode)) {
    check(std::is_permutation(ordered->begin(), ordered->end(), names.begin(), names.end()),
          "an order is a permutation of the providers");
  } else {
    check(ordered.error().code == labctl::ExitCode::usage, "an unknown mode is a usage error");
  }

  // One set of seams for every input: the real process edges; building a provider sends nothing.
  static const auto seams = labctl::providers::provider_seams(labctl::Seams::system());
  for (const auto& name : names) {
    if (auto provider = labctl::providers::make_provider(name, seams)) {
      check((*provider)->name() == name, "the registry returns the provider asked for");
    } else {
      check(provider.error().code == labctl::ExitCode::usage, "an unknown name is a usage error");
    }
  }
  return 0;
}
