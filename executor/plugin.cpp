#include "executor/plugin.hpp"

#include <iostream>

#include "core/json_schema.hpp"
#include "executor/aws_runner.hpp"
#include "executor/embedded_result_schema.hpp"
#include "core/atomic_file.hpp"
#include "core/env.hpp"
#include "core/json_io.hpp"
#include "core/log.hpp"
#include "core/text.hpp"

namespace labctl::executor {
namespace {

ExitCode emit(std::ostream& out, const Outcome& outcome) {
  const auto document = to_json(outcome.result);
  // The contract is ours to keep: a result that does not match its schema is a labctl bug.
  const auto errors = json_schema::validate_against(embedded::k_executor_result_schema,
                                                 nlohmann::json(document));
  if (!errors || !errors->empty()) {
    log::error("executor.contract", "executor: internal error: the result does not match "
                                    "schemas/executor-result.schema.json");
  }
  out << json_io::dump(document) << '\n' << std::flush;
  return outcome.code;
}

Outcome rejected(ExitCode code, const std::string& why) {
  return {{"failed", why, nlohmann::json::object(), false, why}, code};
}

}  // namespace

ExitCode run_plugin(const std::string& provider, std::istream& in, std::ostream& out) {
  if (provider != "aws") {
    return emit(out, rejected(ExitCode::usage, "executor: no executor for provider '" +
                                                   text::printable(provider, 64) + "' (only aws)"));
  }
  // Every failure to read the request is still answered with one result document.
  const auto text = read_stream(in, "executor: stdin");
  if (!text) return emit(out, rejected(ExitCode::usage, text.error().message));
  auto request = read_request(*text, "executor: stdin (want one ExecuteActionRequest)");
  if (!request) return emit(out, rejected(ExitCode::usage, request.error().message));
  if (request->provider != provider) {
    return emit(out, rejected(ExitCode::refused,
                              "hard stop: request for provider '" + request->provider +
                                  "' sent to the " + provider + " executor"));
  }
  const bool live = !env::dry_run();
  if (request->mode == k_mode_execute && !live) {
    return emit(out, rejected(ExitCode::refused,
                              "executor: mode execute refused: CE_DRY_RUN is not 0 (dry-run is "
                              "the default; pass CE_DRY_RUN=0 in the executor's environment to "
                              "mutate)"));
  }
  log::info("executor.request", "executor: " + request->action + " " + request->mode + " key=" +
                                    request->idempotency_key);
  const auto runner = make_aws_runner(live);
  try {
    return emit(out, runner(*request, request->context.value("runId", ""), ""));
  } catch (const std::exception& e) {
    // A labctl bug, but the contract still gets its one result.
    return emit(out, rejected(ExitCode::provider,
                              "executor: internal error: " + text::printable(e.what())));
  }
}

}  // namespace labctl::executor
