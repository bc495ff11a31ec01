#include <iostream>
#include <memory>
#include <string>

#include "labctl/cli/checks.hpp"
#include "labctl/cli/commands.hpp"
#include "core/error.hpp"
#include "core/json_io.hpp"
#include "executor/iam.hpp"
#include "core/env.hpp"
#include "core/state_store.hpp"
#include "providers/registry/registry.hpp"

namespace labctl::cli {
namespace {

struct IamPolicyOptions {
  std::string profile;
  std::string provider = "aws";
  bool executor = false;
  std::string run_id;
};

}  // namespace

void register_iam_policy(CLI::App& app, CommandResult& result, const Seams& seams) {
  auto options = std::make_shared<IamPolicyOptions>();
  auto* sub = app.add_subcommand(
      "iam-policy",
      "Print the least-privilege policy JSON for a profile's cloud operations (AWS IAM policy, "
      "Azure custom role)");
  sub->add_option("--profile", options->profile,
                  "minimal|provider|full|soak|local, or a path to a profile .yaml");
  sub->add_option("--provider", options->provider,
                  "aws (IAM policy, default) or azure (custom role definition)");
  sub->add_flag("--executor", options->executor,
                "The executor's least-privilege policy for one run's ENIs (with --run-id)");
  sub->add_option("--run-id", options->run_id, "The run the executor policy is for")
      ->check(run_id_check());
  sub->callback([options, &result, seams] {
    if (options->executor || !options->run_id.empty()) {
      if (!options->executor || options->run_id.empty() || !options->profile.empty()) {
        throw ErrorException(Error{ExitCode::usage,
                                   "iam-policy: use either --profile P, or --executor --run-id ID"});
      }
      const auto policy = value_or_throw(
          executor::executor_policy(options->run_id, providers::provider_seams(seams)));
      std::cout << json_io::dump(policy, 2) << '\n' << std::flush;
      result.code = ExitCode::ok;
      return;
    }
    if (options->profile.empty()) {
      throw ErrorException(Error{ExitCode::usage, "iam-policy: --profile is required"});
    }
    const auto profile = value_or_throw(providers::load_profile(options->profile));
    const auto store = value_or_throw(state::Store::open(env::process()));
    const auto provider = value_or_throw(
        providers::make_provider(options->provider, providers::provider_seams(seams)));
    const auto policy = value_or_throw(provider->least_privilege_policy(profile, *store));
    std::cout << json_io::dump(policy, 2) << '\n' << std::flush;
    result.code = ExitCode::ok;
  });
}

}  // namespace labctl::cli
