#include "providers/registry/registry.hpp"

#include <algorithm>

#include "core/suggest.hpp"
#include "providers/aws/aws_provider.hpp"
#include "providers/azure/azure_provider.hpp"
#include "providers/local/local_provider.hpp"
#include "providers/oci/oci_provider.hpp"
#include "providers/onprem/onprem_provider.hpp"
#include "providers/testfs/testfs_provider.hpp"

namespace labctl::providers {
namespace {

// Where a provider stands in an ordering mode; k_unranked keeps its declared place after the
// ranked ones.
constexpr int k_unranked = 100;

struct Entry {
  const char* name;
  std::unique_ptr<Provider> (*make)(const ProviderSeams& seams);
  bool test_only;  // a lifecycle-test provider: asked for by name, never offered
  int cost_rank;   // cost-optimized / slow-first: lower comes first
  int speed_rank;  // fast-first: lower comes first
  bool machine_local;  // its resources live on the machine that made them (namespaces, pids)
};

std::unique_ptr<Provider> make_aws(const ProviderSeams& seams) {
  return make_aws_provider(seams.aws_clients, seams.seams.env, seams.seams.clock,
                           seams.seams.processes);
}
std::unique_ptr<Provider> make_oci(const ProviderSeams& seams) {
  return make_oci_provider(seams.oci_clients, seams.seams.env);
}
std::unique_ptr<Provider> make_azure(const ProviderSeams& seams) {
  return make_azure_provider(seams.azure_clients, seams.seams.env);
}
std::unique_ptr<Provider> make_onprem(const ProviderSeams& seams) {
  return make_onprem_provider(seams.seams.env);
}
std::unique_ptr<Provider> make_local(const ProviderSeams& seams) {
  return make_local_provider(LocalOptions{seams.seams.processes, {}});
}
std::unique_ptr<Provider> make_testfs(const ProviderSeams& seams) {
  return make_testfs_provider(seams.seams.env);
}

// The one table of built-in providers. `testfs` is a lifecycle-test provider (files in a
// directory); it is not listed in known_names() and must be asked for by name.
constexpr Entry k_providers[] = {
    {"aws", make_aws, false, 3, 1, false},
    {"oci", make_oci, false, 2, 3, false},
    {"azure", make_azure, false, 4, 2, false},
    {"onprem", make_onprem, false, 1, 4, false},
    {"local", make_local, false, 0, 0, true},
    {"testfs", make_testfs, true, k_unranked, k_unranked, false},
};

int rank_of(const std::string& name, int Entry::* rank) {
  for (const auto& entry : k_providers) {
    if (name == entry.name) return entry.*rank;
  }
  return k_unranked;
}

}  // namespace

const std::vector<std::string>& known_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> offered;
    for (const auto& entry : k_providers) {
      if (!entry.test_only) offered.emplace_back(entry.name);
    }
    return offered;
  }();
  return names;
}

bool machine_local(std::string_view name) {
  for (const auto& entry : k_providers) {
    if (name == entry.name) return entry.machine_local;
  }
  return false;
}

std::vector<std::string> discoverable_names() {
  std::vector<std::string> names;
  for (const auto& entry : k_providers) names.emplace_back(entry.name);
  return names;
}

ProviderSeams provider_seams(Seams seams) {
  auto clients = aws::Ec2ClientFactories::from_env(seams.env, seams.clock, seams.processes);
  auto azure_clients = azure::ArmClientFactory::from_env(seams.env, seams.clock);
  auto oci_clients = oci::OciClientFactory::from_env(seams.env, seams.clock);
  return ProviderSeams{std::move(seams), std::move(clients), std::move(azure_clients),
                       std::move(oci_clients)};
}

Expected<std::unique_ptr<Provider>> make_provider(std::string_view name,
                                                  const ProviderSeams& seams) {
  for (const auto& entry : k_providers) {
    if (name == entry.name) return entry.make(seams);
  }
  return fail(ExitCode::usage, "unknown provider: " + std::string(name) +
                                   did_you_mean(name, known_names()) +
                                   " (want: " + join(known_names(), " ") + ")");
}

Expected<std::vector<std::string>> order_providers(const std::vector<std::string>& providers,
                                                   const std::string& mode) {
  static const std::vector<std::string> k_modes{"declared", "cost-optimized", "slow-first",
                                                "fast-first"};
  int Entry::* rank = nullptr;
  if (mode.empty() || mode == "declared") {
    return providers;
  } else if (mode == "cost-optimized" || mode == "slow-first") {
    rank = &Entry::cost_rank;
  } else if (mode == "fast-first") {
    rank = &Entry::speed_rank;
  } else {
    return fail(ExitCode::usage, "unknown provider order: " + mode + did_you_mean(mode, k_modes) +
                                     " (want " + join(k_modes, "|") + ")");
  }
  std::vector<std::string> ordered = providers;
  std::ranges::stable_sort(ordered, [&](const std::string& a, const std::string& b) {
    return rank_of(a, rank) < rank_of(b, rank);
  });
  return ordered;
}

profile::ProviderNames profile_names() {
  profile::ProviderNames names{known_names(), {}};
  for (const auto& entry : k_providers) {
    if (entry.test_only) names.test_only.emplace_back(entry.name);
  }
  return names;
}

Expected<profile::Profile> load_profile(const std::string& name_or_path) {
  auto loaded = profile::load(name_or_path);
  if (!loaded) return std::unexpected(loaded.error());
  if (auto checked = profile::check_provider_names(*loaded, profile_names()); !checked) {
    return std::unexpected(checked.error());
  }
  return loaded;
}

}  // namespace labctl::providers
