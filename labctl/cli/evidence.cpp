// `labctl evidence collect`: CLI11 wiring only; the work is evidence::collect.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "evidence/collect.hpp"
#include "labctl/lifecycle/provider_state.hpp"
#include "labctl/cli/checks.hpp"
#include "labctl/cli/commands.hpp"
#include "core/error.hpp"

namespace labctl::cli {
namespace {

// Flags as CLI11 fills them; a flag's presence is read from its Option, so an explicit empty
// value (--commit "") reaches the core and is rejected there with a clear message.
struct RawFlags {
  std::string out, run_id, scenario, commit, result;
  std::vector<std::string> matrix;  // --matrix-json, up to twice: before, after
  std::string matrix_before, cloud_ingress, provider_state, timing, protocol, l2_loop, scenarios;
};

template <class T>
std::optional<T> if_given(const CLI::Option* option, const std::string& value) {
  if (option->count() == 0) return std::nullopt;
  return T(value);
}

}  // namespace

void register_evidence(CLI::App& app, CommandResult& result, const Seams& seams) {
  auto* evidence = app.add_subcommand("evidence", "Evidence bundles: `evidence collect --out DIR`");
  auto* collect = evidence->add_subcommand(
      "collect",
      "Assemble, validate and write an evidence bundle (result.json, summary.md, "
      "report.html, input copies, timeline.json, MANIFEST.sha256). Prints \"evidence schema "
      "OK\" and the result.json path. Exit 0 pass, 1 fail or invalid, 2 usage, 4 refused");
  auto raw = std::make_shared<RawFlags>();
  collect->add_option("--out", raw->out, "Bundle directory (created if missing)");
  auto* run_id =
      collect->add_option("--run-id", raw->run_id, "Run (default: the latest active run)")
          ->check(run_id_check());
  auto* scenario =
      collect->add_option("--scenario", raw->scenario, "Scenario id (default: the run's)");
  auto* commit = collect->add_option("--commit", raw->commit,
                                     "Commit under test (default: git rev-parse HEAD)");
  collect
      ->add_option("--matrix-json", raw->matrix,
                   "Connectivity matrix JSON (default: the run's latest smoke). Give it twice "
                   "(before, then after the fault) to show both matrices side by side; the "
                   "last one is judged")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  auto* matrix_before = collect->add_option(
      "--matrix-before-json", raw->matrix_before,
      "Connectivity matrix JSON of the smoke before the fault, shown beside --matrix-json");
  auto* ingress = collect->add_option("--cloud-ingress-matrix-json", raw->cloud_ingress,
                                      "Cloud-ingress matrix JSON");
  auto* provider_state = collect->add_option(
      "--provider-state-json", raw->provider_state,
      "Provider state JSON (default, live mode: each provider of the run judges its state from "
      "its cloud's describes; this file, when given, wins and nothing is described)");
  auto* timing = collect->add_option("--timing-json", raw->timing,
                                     "Failover timing JSON (default: the run's latest)");
  auto* protocol = collect->add_option("--protocol-json", raw->protocol, "Protocol probe JSON");
  auto* l2_loop = collect->add_option("--l2-loop-json", raw->l2_loop, "L2 loop probe JSON");
  auto* result_flag =
      collect->add_option("--result", raw->result,
                          "fail: record a failure; pass: refused unless the evidence supports it");
  auto* scenarios = collect->add_option(
      "--scenarios", raw->scenarios,
      "Scenarios file (default: $CE_ACCEPTANCE_SCENARIOS, else the built-in scenarios)");

  collect->callback([=, &result] {
    evidence::CollectOptions options;
    options.out_dir = raw->out;
    options.run_id = if_given<std::string>(run_id, raw->run_id);
    options.scenario = if_given<std::string>(scenario, raw->scenario);
    options.commit = if_given<std::string>(commit, raw->commit);
    options.result = if_given<std::string>(result_flag, raw->result);
    if (raw->matrix.size() > 2 || (raw->matrix.size() == 2 && matrix_before->count() > 0)) {
      throw ErrorException(
          {ExitCode::usage,
           "evidence collect: give one matrix before the fault and one after: --matrix-json "
           "at most twice (before, after), or --matrix-before-json with one --matrix-json"});
    }
    if (!raw->matrix.empty()) options.matrix_json = raw->matrix.back();
    options.matrix_before_json =
        raw->matrix.size() == 2 ? std::optional<std::filesystem::path>(raw->matrix.front())
                                : if_given<std::filesystem::path>(matrix_before, raw->matrix_before);
    options.cloud_ingress_json = if_given<std::filesystem::path>(ingress, raw->cloud_ingress);
    options.provider_state_json =
        if_given<std::filesystem::path>(provider_state, raw->provider_state);
    options.timing_json = if_given<std::filesystem::path>(timing, raw->timing);
    options.protocol_json = if_given<std::filesystem::path>(protocol, raw->protocol);
    options.l2_loop_json = if_given<std::filesystem::path>(l2_loop, raw->l2_loop);
    options.scenarios_file = if_given<std::filesystem::path>(scenarios, raw->scenarios);
    if (!options.provider_state_json) {
      options.provider_state =
          value_or_throw(lifecycle::judge_provider_states(options.run_id.value_or(""), seams));
    }

    const auto outcome =
        value_or_throw(evidence::collect(options, *seams.processes, *seams.clock));
    // Two lines, as the original printed them: scripts that read the second line keep working.
    std::cout << "evidence schema OK\n" << outcome.result_path.string() << '\n' << std::flush;
    result.code = outcome.result == "pass" ? ExitCode::ok : ExitCode::check_failed;
  });
  evidence->callback([collect] {
    if (!collect->parsed()) {
      throw ErrorException({ExitCode::usage, "evidence: expected subcommand 'collect'"});
    }
  });
}

}  // namespace labctl::cli
