#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/exit_code.hpp"
#include "core/json_schema.hpp"

// routerd's provider-action executor contract (provideraction.routerd.net/v1alpha1): one
// ExecuteActionRequest in, one ExecuteActionResult out. schemas/executor-request.schema.json and
// schemas/executor-result.schema.json are its machine-readable form (embedded by
// providers/CMakeLists.txt). It lives with the provider interface so a provider implements its
// actions without knowing the gate (executor/) that journals them.
namespace labctl::providers {

inline constexpr const char* k_api_version = "provideraction.routerd.net/v1alpha1";

inline constexpr const char* k_assign = "assign-secondary-ip";
inline constexpr const char* k_unassign = "unassign-secondary-ip";
inline constexpr const char* k_forwarding_on = "ensure-forwarding-enabled";
inline constexpr const char* k_forwarding_off = "ensure-forwarding-disabled";

inline constexpr const char* k_mode_dry_run = "dry-run";
inline constexpr const char* k_mode_execute = "execute";

// nicRef is the NIC the provider names it by: the ENI id on AWS, the ARM resource id on Azure;
// address the secondary private IPv4 ("" for forwarding actions).
struct Target {
  std::string nic_ref;
  std::string address;
  std::string region;
};

struct ActionRequest {
  std::string action;
  std::string provider;
  std::string provider_ref;
  Target target;
  nlohmann::json parameters = nlohmann::json::object();
  std::string mode = k_mode_dry_run;
  std::string idempotency_key;
  nlohmann::json context = nlohmann::json::object();  // allowlisted: runId, ...
  // Asked after the prior state is described and just before the action's mutating step: a
  // reason stops the action as a hard stop with nothing sent. The executor's gate sets it in
  // execute mode (this process still holds the run's lease — no machine took the run over
  // while this one was silent — and a capture's epoch is still current); empty: no check.
  std::function<std::optional<std::string>()> before_mutation;
};

struct ActionResult {
  std::string status;  // succeeded | failed | skipped
  std::string message;
  nlohmann::json observed = nlohmann::json::object();
  bool undo_available = false;
  std::string error;
};

// What one action did: the contract's result, and the exit code it maps to (ok; provider for a
// failed call; refused for a hard stop — runbook §8 — which is also a failed result).
struct Outcome {
  ActionResult result;
  ExitCode code = ExitCode::ok;
};

// The outcomes every provider's actions build (runbook §8): an action that ran (`status`
// succeeded/skipped), one that failed (`code`: provider for a call that failed clearly, refused
// for a hard stop), the tag fence — `resource_id` must carry routerd.cloudedge.run_id ==
// `run_id` (empty `run_id`: some lab run's), else a hard stop naming what it carries — and an
// ambiguous result (a mutation that may or may not have happened: a hard stop, never retried;
// `noun` is what the operator inspects, "ENI" or "NIC").
[[nodiscard]] Outcome action_finished(std::string status, std::string message,
                                      nlohmann::json observed, bool undo_available = false);
[[nodiscard]] Outcome action_failed(ExitCode code, const std::string& message,
                                    nlohmann::json observed = {});
[[nodiscard]] std::optional<Outcome> action_tag_fence(
    const std::string& resource_id, const std::map<std::string, std::string>& tags,
    const std::string& run_id);
[[nodiscard]] Outcome action_ambiguous(const std::string& what, std::string_view noun,
                                       const nlohmann::json& observed);
// The hard stop `request.before_mutation` asks for, if any (every provider's actions ask it
// between their describe and their step).
[[nodiscard]] std::optional<Outcome> mutation_fence(const ActionRequest& request);

// Performs one request against its provider, read-only in dry-run mode. `run_id` is the run
// whose tags the target must carry (empty: some lab run's). `credentials_profile` non-empty:
// with that shared credentials profile instead of the usual chain (the executor-fail fault's
// scoped identity). A runner holds no reference to the Provider that made it.
using ActionRunner = std::function<Outcome(const ActionRequest& request, const std::string& run_id,
                                           const std::string& credentials_profile)>;

// The most actions one ActionPlan may hold (README, "Limits").
inline constexpr std::size_t k_max_plan_actions = 100000;

// Turns ExecuteActionRequest documents into ActionRequests: the schema (compiled once, so a
// large plan is validated at the cost of its rows), then the rules it cannot say — the IP
// actions need an address, a capture (assign-secondary-ip) needs its ownershipEpoch, an
// idempotency key has no control character (C1 included). Every error is ExitCode::usage and
// names what is wrong; nothing the document says is trusted before it passed.
class RequestParser {
 public:
  [[nodiscard]] static Expected<RequestParser> create();
  [[nodiscard]] Expected<ActionRequest> parse(const nlohmann::json& document);

 private:
  explicit RequestParser(json_schema::SchemaValidator schema) : m_schema(std::move(schema)) {}
  json_schema::SchemaValidator m_schema;
};

// One request document, checked as RequestParser does.
[[nodiscard]] Expected<ActionRequest> parse_request(const nlohmann::json& document);

// The one way a request from outside is read: `text` parsed with json_io's size and depth
// limits, then checked and converted as RequestParser does. `what` names the input in errors.
[[nodiscard]] Expected<ActionRequest> read_request(std::string_view text, std::string_view what);

// An imported ActionPlan ({apiVersion, kind: ActionPlan, runId, actions: [requests]}, as
// `labctl action plan` writes it) or one ExecuteActionRequest (then run_id is its
// context.runId, if any).
struct ActionPlan {
  std::string run_id;  // "" when the document names none
  std::vector<ActionRequest> actions;
};

// Reads a plan the same way: bounded parse, the envelope (closed: an unknown key is an error;
// at most k_max_plan_actions actions; runId a run id), then every action; the first bad action
// fails the whole plan ("actions[i]: ..."), so nothing of a bad plan is ever stored.
[[nodiscard]] Expected<ActionPlan> read_plan(std::string_view text, std::string_view what);

[[nodiscard]] nlohmann::ordered_json to_json(const ActionRequest& request);
[[nodiscard]] nlohmann::ordered_json to_json(const ActionResult& result);

// The errors of `document` against schemas/executor-result.schema.json (empty: it matches).
[[nodiscard]] Expected<std::vector<json_schema::ValidationError>> result_schema_errors(
    const nlohmann::json& document);

[[nodiscard]] nlohmann::json target_json(const Target& target);
[[nodiscard]] Target target_from_json(const nlohmann::json& target);

// The undo of `action` (assign -> unassign, forwarding on -> off); "" when it has none.
[[nodiscard]] std::string undo_action_of(const std::string& action);

}  // namespace labctl::providers
