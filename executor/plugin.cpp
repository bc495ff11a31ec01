#include "executor/plugin.hpp"

#include <iostream>
#include <iterator>

#include "evidence/validate.hpp"
#include "executor/aws_runner.hpp"
#include "executor/embedded_result_schema.hpp"
#include "labctl/env.hpp"
#include "labctl/log.hpp"

namespace labctl::executor {
namespace {

ExitCode emit(std::ostream& out, const Outcome& outcome) {
  const auto document = to_json(outcome.result);
  // The contract is ours to keep: a result that does not match its schema is a labctl bug.
  const auto errors = evidence::validate_against(evidence::embedded::k_executor_result_schema,
                                                 nlohmann::json::parse(document.dump()));
  if (!errors || !errors->empty()) {
    log::error("executor.contract", "executor: internal error: the result does not match "
                                    "schemas/executor-result.schema.json");
  }
  out << document.dump() << '\n' << std::flush;
  return outcome.code;
}

Outcome rejected(ExitCode code, const std::string& why) {
  return {{"failed", why, nlohmann::json::object(), false, why}, code};
}

}  // namespace

ExitCode run_plugin(const std::string& provider, std::istream& in, std::ostream& out) {
  if (provider != "aws") {
    return emit(out, rejected(ExitCode::usage, "executor: no executor for provider '" + provider +
                                                   "' (only aws)"));
  }
  const std::string text(std::istreambuf_iterator<char>(in), {});
  const auto document = nlohmann::json::parse(text, nullptr, false);
  if (document.is_discarded()) {
    return emit(out, rejected(ExitCode::usage,
                              "executor: stdin is not JSON (want one ExecuteActionRequest)"));
  }
  auto request = parse_request(document);
  if (!request) return emit(out, rejected(ExitCode::usage, "executor: " + request.error().message));
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
  return emit(out, runner(*request, request->context.value("runId", ""), ""));
}

}  // namespace labctl::executor
