#include <iostream>
#include <memory>

#include "labctl/cli/commands.hpp"
#include "core/json_io.hpp"
#include "labctl/lifecycle/up.hpp"
#include "core/run_id.hpp"
#include "providers/registry/registry.hpp"

namespace labctl::cli {

void register_up(CLI::App& app, CommandResult& result, const Seams& seams) {
  auto options = std::make_shared<lifecycle::UpOptions>();
  auto* sub = app.add_subcommand("up", "Provision a tagged lab with a TTL cost guard; prints "
                                       "the run-id on stdout");
  sub->add_option("--profile", options->profile,
                  "minimal|provider|full|soak|local, or a path to a profile .yaml")
      ->required();
  sub->add_option("--provider", options->providers,
                  "Comma-separated providers (default: the profile's)");
  sub->add_option("--ttl", options->ttl, "Lab lifetime: N, Ns, Nm, Nh, Nd or 1h30m "
                                         "(default: the profile's, else 4h; max CE_TTL_MAX)");
  sub->add_option("--scenario", options->scenario, "Scenario name (default: the profile name)")
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            const auto checked = check_scenario(value, "");
            return checked ? std::string() : checked.error().message;
          },
          "SCENARIO"));
  sub->add_option("--provider-order", options->provider_order,
                  "declared|cost-optimized|slow-first|fast-first (env CE_PROVIDER_ORDER)");
  sub->add_flag("--keep", options->keep, "On failure, leave the partial lab for inspection");
  sub->add_flag("--check-permissions", options->check_permissions,
                "Send the aws plan's mutating calls with DryRun=true (live credentials; creates "
                "nothing, records no run); JSON summary on stdout, exit 4 if any is denied");
  sub->callback([options, &result, seams] {
    const auto provider_seams = providers::provider_seams(seams);
    if (options->check_permissions) {
      const auto report =
          value_or_throw(lifecycle::check_up_permissions(*options, provider_seams));
      std::cout << json_io::dump(report.summary) << '\n' << std::flush;
      result.code = report.code;
      return;
    }
    const std::string run_id = value_or_throw(lifecycle::run_up(*options, provider_seams));
    std::cout << run_id << '\n' << std::flush;
    result.code = ExitCode::ok;
  });
}

}  // namespace labctl::cli
