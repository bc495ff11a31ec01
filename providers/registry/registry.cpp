#include "providers/registry/registry.hpp"

#include "core/suggest.hpp"
#include "providers/aws/aws_provider.hpp"
#include "providers/local/local_provider.hpp"
#include "providers/onprem/onprem_provider.hpp"
#include "providers/stub_provider.hpp"
#include "providers/testfs/testfs_provider.hpp"

namespace labctl::providers {
namespace {

struct Entry {
  const char* name;
  std::unique_ptr<Provider> (*make)();
};

std::unique_ptr<Provider> make_oci() { return make_stub_provider("oci"); }
std::unique_ptr<Provider> make_azure() { return make_stub_provider("azure"); }

// The one table of built-in providers. `testfs` is a lifecycle-test provider (files in a
// directory); it is not listed in known_names() and must be asked for by name.
constexpr Entry k_providers[] = {
    {"aws", make_aws_provider},
    {"oci", make_oci},
    {"azure", make_azure},
    {"onprem", make_onprem_provider},
    {"local", make_local_provider},
    {"testfs", make_testfs_provider},
};

}  // namespace

const std::vector<std::string>& known_names() {
  static const std::vector<std::string> names{"aws", "oci", "azure", "onprem", "local"};
  return names;
}

std::vector<std::string> discoverable_names() {
  std::vector<std::string> names;
  for (const auto& entry : k_providers) names.emplace_back(entry.name);
  return names;
}

Expected<std::unique_ptr<Provider>> make_provider(std::string_view name) {
  for (const auto& entry : k_providers) {
    if (name == entry.name) return entry.make();
  }
  return fail(ExitCode::usage, "unknown provider: " + std::string(name) +
                                   did_you_mean(name, known_names()) +
                                   " (want: " + join(known_names(), " ") + ")");
}

}  // namespace labctl::providers
