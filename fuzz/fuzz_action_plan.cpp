// Action plans and ExecuteActionRequests: `labctl action import` (providers::read_plan on the
// file's text), providers::read_request, and `labctl executor aws` (executor::run_plugin, stdin
// to stdout). The
// process environment points every AWS call at a closed loopback port, so a request the plugin
// accepts fails at the transport; nothing leaves the machine and nothing is mutated (dry-run).
// Properties: a request read_plan accepts serialises (to_json) and parses back to the same
// request; a capture (assign-secondary-ip) carries an integer ownershipEpoch (a string "1", 1e300
// or none would escape the stale-action fence); read_request agrees with read_plan on a single
// request; the plugin writes exactly one line, a JSON result that is valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "executor/plugin.hpp"
#include "fuzz/fuzz_check.hpp"
#include "core/json_io.hpp"
#include "core/text.hpp"
#include "providers/action_contract.hpp"

namespace {

namespace executor = labctl::executor;
namespace providers = labctl::providers;
using labctl::fuzz::check;

void check_import(std::string_view text) {
  const auto plan = providers::read_plan(text, "action import fuzz.json");
  if (!plan) {
    check(plan.error().code == labctl::ExitCode::usage, "a bad plan is a usage error");
    return;
  }
  for (const auto& request : plan->actions) {
    if (request.action == providers::k_assign) {
      const auto epoch = request.parameters.find("ownershipEpoch");
      check(epoch != request.parameters.end() && epoch->is_number_integer(),
            "an accepted capture has an integer ownershipEpoch");
    }
    const std::string dumped = labctl::json_io::dump(providers::to_json(request));
    check(labctl::text::is_valid_utf8(dumped), "a request serialises to valid UTF-8");
    const auto again = providers::read_request(dumped, "request");
    check(again.has_value(), "a serialised request is accepted again");
    check(again->action == request.action && again->provider == request.provider &&
              again->target.nic_ref == request.target.nic_ref &&
              again->target.address == request.target.address &&
              again->parameters == request.parameters && again->mode == request.mode &&
              again->idempotency_key == request.idempotency_key,
          "a request round-trips through to_json");
  }
  if (const auto single = providers::read_request(text, "request"); single) {
    check(plan->actions.size() == 1 &&
              plan->actions.front().idempotency_key == single->idempotency_key,
          "read_plan reads a single request as read_request does");
  }
}

void check_plugin(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::ostringstream out;
  static const auto seams = providers::provider_seams(labctl::Seams::system());
  (void)executor::run_plugin("aws", in, out, seams);
  const std::string written = out.str();
  check(!written.empty() && written.back() == '\n' && written.find('\n') == written.size() - 1,
        "the plugin writes exactly one line");
  check(labctl::text::is_valid_utf8(written), "the plugin's result is valid UTF-8");
  const auto result = labctl::json_io::parse(written, "plugin result");
  check(result.has_value() && result->is_object(), "the plugin's result is a JSON object");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Dry-run, no instance metadata, static fake credentials, every endpoint a closed local port,
  // one attempt: a request that gets as far as AWS fails fast and locally.
  ::unsetenv("CE_DRY_RUN");
  ::setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  ::setenv("AWS_ACCESS_KEY_ID", "AKIAFUZZFUZZFUZZFUZZ", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "fuzz-secret-not-a-real-key", 1);
  ::setenv("AWS_REGION", "us-east-1", 1);
  ::setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1", 1);
  ::setenv("AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:1", 1);
  ::setenv("CE_AWS_MAX_ATTEMPTS", "1", 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = labctl::fuzz::as_text(data, size);
  check_import(text);
  check_plugin(text);
  return 0;
}
