#include "executor/plugin.hpp"

#include <iostream>

#include "core/atomic_file.hpp"
#include "core/env.hpp"
#include "core/json_io.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "providers/registry/registry.hpp"

namespace labctl::executor {
namespace {

ExitCode emit(std::ostream& out, const providers::Outcome& outcome) {
  const auto document = providers::to_json(outcome.result);
  // The contract is ours to keep: a result that does not match its schema is a labctl bug.
  const auto errors = providers::result_schema_errors(nlohmann::json(document));
  if (!errors || !errors->empty()) {
    log::error("executor.contract", "executor: internal error: the result does not match "
                                    "schemas/executor-result.schema.json");
  }
  out << json_io::dump(document) << '\n' << std::flush;
  return outcome.code;
}

providers::Outcome rejected(ExitCode code, const std::string& why) {
  return {{"failed", why, nlohmann::json::object(), false, why}, code};
}

}  // namespace

ExitCode run_plugin(const std::string& provider, std::istream& in, std::ostream& out,
                    const providers::ProviderSeams& seams) {
  auto made = providers::make_provider(provider, seams);
  if (!made || !(*made)->has_actions()) {
    return emit(out, rejected(ExitCode::usage, "executor: provider '" +
                                                   text::printable(provider, 64) +
                                                   "' has no actions"));
  }
  // Every failure to read the request is still answered with one result document.
  const auto text = read_stream(in, "executor: stdin");
  if (!text) return emit(out, rejected(ExitCode::usage, text.error().message));
  auto request = providers::read_request(*text, "executor: stdin (want one ExecuteActionRequest)");
  if (!request) return emit(out, rejected(ExitCode::usage, request.error().message));
  if (request->provider != provider) {
    return emit(out, rejected(ExitCode::refused,
                              "hard stop: request for provider '" + request->provider +
                                  "' sent to the " + provider + " executor"));
  }
  const bool live = !env::dry_run();
  if (request->mode == providers::k_mode_execute && !live) {
    return emit(out, rejected(ExitCode::refused,
                              "executor: mode execute refused: CE_DRY_RUN is not 0 (dry-run is "
                              "the default; pass CE_DRY_RUN=0 in the executor's environment to "
                              "mutate)"));
  }
  log::info("executor.request", "executor: " + request->action + " " + request->mode + " key=" +
                                    request->idempotency_key);
  const auto runner = (*made)->action_runner(live);
  if (!runner) return emit(out, rejected(runner.error().code, runner.error().message));
  try {
    return emit(out, (*runner)(*request, request->context.value("runId", ""), ""));
  } catch (const std::exception& e) {
    // A labctl bug, but the contract still gets its one result.
    return emit(out, rejected(ExitCode::provider,
                              "executor: internal error: " + text::printable(e.what())));
  }
}

}  // namespace labctl::executor
