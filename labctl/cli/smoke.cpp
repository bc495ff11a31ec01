// `labctl smoke`: CLI11 wiring only; the work is matrix::smoke.
#include <iostream>
#include <memory>

#include "labctl/cli/checks.hpp"
#include "labctl/cli/commands.hpp"
#include "core/error.hpp"
#include "core/process.hpp"
#include "matrix/smoke.hpp"

namespace labctl::cli {
namespace {

struct RawFlags {
  std::string matrix, out, sites, parallel, phase, expect_default_gw, run_id;
};

std::optional<std::string> if_given(const CLI::Option* option, const std::string& value) {
  if (option->count() == 0) return std::nullopt;
  return value;
}

}  // namespace

void register_smoke(CLI::App& app, CommandResult& result, const Seams& seams) {
  auto* smoke = app.add_subcommand(
      "smoke", "Run the directed ping+SSH connectivity matrix (JSON on stdout, table on stderr)");
  auto raw = std::make_shared<RawFlags>();
  smoke->add_option("--matrix", raw->matrix,
                    "Matrix: d3 (onprem,aws,azure,oci) or a matrix of the run's profile");
  smoke->add_option("--out", raw->out, "Also write the matrix JSON to this file (atomically)");
  auto* sites = smoke->add_option("--sites", raw->sites,
                                  "Sites \"name=ip,...\" (default: $CE_MATRIX_SITES, the run's "
                                  "client nodes; with none of them smoke refuses, exit 2)");
  auto* parallel = smoke->add_option(
      "--parallel", raw->parallel,
      "Flows in flight (default: $CE_MATRIX_PARALLELISM, else all flows at once)");
  auto* phase = smoke->add_option("--phase", raw->phase, "Phase label (default: $CE_MATRIX_PHASE, else matrix)");
  auto* gw = smoke->add_option("--expect-default-gw", raw->expect_default_gw,
                               "Expected default gateway, or 'unchanged' against the run's "
                               "baseline (default: $CE_EXPECT_DEFAULT_GW, else unchanged)");
  smoke->add_option("--run-id", raw->run_id,
                    "Run whose client nodes to test (default: the current run)")
      ->check(run_id_check());

  smoke->callback([=, &result, env = seams.env, processes = seams.processes] {
    matrix::SmokeOptions options;
    options.matrix = raw->matrix;
    options.out = raw->out;
    options.sites = if_given(sites, raw->sites);
    options.parallel = if_given(parallel, raw->parallel);
    options.phase = if_given(phase, raw->phase);
    options.expect_default_gw = if_given(gw, raw->expect_default_gw);
    options.run_id = raw->run_id;
    result.code = value_or_throw(matrix::smoke(options, env, processes, std::cout));
  });
}

}  // namespace labctl::cli
