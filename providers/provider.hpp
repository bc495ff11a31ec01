#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/profile.hpp"
#include "core/state_store.hpp"
#include "core/tags.hpp"
#include "providers/action_contract.hpp"

namespace labctl::providers {

// One call a provider will make. Dry-run prints exactly these; live mode sends exactly these,
// substituting placeholders like "{{sg:lab}}" with ids learnt from earlier operations.
struct Operation {
  std::string action;                 // API action or local step: "RunInstances", "netns add"
  nlohmann::ordered_json params = nlohmann::ordered_json::object();
  bool mutating = true;
  std::string resource_kind;          // what it creates ("" for none), recorded as intent first
  std::string resource_name;          // logical name within the run
  std::string region;
};

struct Plan {
  std::string provider;
  std::vector<Operation> operations;
  std::vector<std::string> notes;  // human remarks printed with the plan (e.g. stub warnings)
};

// Everything a provider needs to bring up or tear down its part of one run.
struct RunContext {
  const state::RunRecord& run;
  const profile::Profile& profile;
  Tags tags;  // the five routerd.cloudedge.* tags, provider set to this provider
  state::Store& store;
  Clock& clock;
  bool dry_run = true;
  // Teardown only: every row was adopted moments ago by this process from a scan that found it
  // by its run-id tag (the janitor), so that scan was the tag fence; the provider need not
  // describe the rows again before its first delete. Rows known from state are always fenced.
  bool rows_found_by_tag = false;
};

// A resource found by its tags (live), whether or not this machine's state knows it.
struct Discovered {
  std::string run_id;
  std::string kind;
  std::string cloud_id;
  std::string region;
  std::string ttl_expires_at;  // from the tag; may be empty if the tag is missing/garbled
};

// What a discovery found. A provider whose tag index can list resources that no longer exist
// (EC2's DescribeTags keeps a deleted resource's tags for a while) confirms every hit with the
// resource's own describe: `found` holds the hits that exist, `confirmed_gone` counts the ones
// the describe showed gone (always 0 for a provider without such an index).
struct Discovery {
  std::vector<Discovered> found;
  std::size_t confirmed_gone = 0;
};

struct DiscoverQuery {
  std::string run_id;         // non-empty: resources of this run only
  bool expired_only = false;  // true: resources whose ttl_expires_at tag is before `now`
  SystemTime now;
  const profile::Profile* profile = nullptr;  // for region allowlists; may be null
  // Where the run's recorded resources live (their regions); when non-empty a provider looks
  // there only, instead of its whole allowlist. A run is created in one region, so this keeps
  // a janitor tearing down many runs from scanning every region once per run.
  std::vector<std::string> locations;
};

// Which fault to inject, and where.
struct FaultRequest {
  std::string fault;  // stop-active, drain, routerd-bgp-stop, heartbeat-stop, ...
  std::string node;   // empty: the run's active router
};

// A provider family member (DESIGN.md "Providers"). Concrete classes stay private to their .cpp;
// make_provider() in registry.cpp is the only way to get one.
class Provider {
 public:
  virtual ~Provider() = default;
  [[nodiscard]] virtual std::string_view name() const = 0;

  // Builds the bring-up plan for this provider's part of the profile. No network, no state.
  [[nodiscard]] virtual Expected<Plan> plan_up(const RunContext& ctx) = 0;

  // Executes the plan (live mode only). Every mutating operation is recorded with
  // Store::record_intent before it is sent and marked created after. Returns on the first
  // failure; the caller's guard tears down whatever the state says exists.
  [[nodiscard]] virtual Expected<void> apply_up(const RunContext& ctx, const Plan& plan) = 0;

  // Deletes the given resources of one run (state rows not yet deleted, newest first), in the
  // provider's dependency order, with retries. Marks each row deleted or failed in the store.
  // "Already gone" counts as deleted. Returns an error if any resource could not be deleted.
  [[nodiscard]] virtual Expected<void> teardown(const RunContext& ctx,
                                                const std::vector<state::ResourceRecord>& rows) = 0;

  // Lists live resources by tag (empty for providers with nothing to discover). A hit that can
  // be confirmed neither present nor gone is an error naming it (ExitCode::provider).
  [[nodiscard]] virtual Expected<Discovery> discover(const DiscoverQuery& query) = 0;

  // Injects a fault into a live run (failover) and returns what was done. Default: "provider X
  // cannot do fault Y" (ExitCode::usage), never a silent success.
  [[nodiscard]] virtual Expected<nlohmann::json> inject_fault(const RunContext& ctx,
                                                              const FaultRequest& request);

  // Takes an injected fault out again (failover --restore, --restore-after): the node faults'
  // restore commands. Default: "provider X cannot restore fault Y" (ExitCode::usage).
  [[nodiscard]] virtual Expected<nlohmann::json> restore_fault(const RunContext& ctx,
                                                               const FaultRequest& request);

  // The node holding `site`'s gateway address right now (the active router), "" while no
  // router holds it. Failover timing polls it to detect the switch. Default: not available.
  [[nodiscard]] virtual Expected<std::string> gateway_holder(const RunContext& ctx,
                                                             const std::string& site);

  // The provider's judgement of its part of a live run from the cloud's own view (evidence's
  // providers.<name>.providerState), read-only: {"providerState": "pass"|"fail"|"na",
  // "detail": {...the facts it rests on...}}. An error means the cloud could not be asked.
  // Default: "na", with the detail "provider X does not judge its state".
  [[nodiscard]] virtual Expected<nlohmann::json> provider_state(const RunContext& ctx);

  // ---- Provider-specific checks labctl/ asks for through the interface ----
  // Each default fails with ExitCode::usage "provider X does not support <thing>".

  // Sends every mutating call of `plan` (this provider's up plan) as a permission check that
  // creates nothing, and reports per call: summary {"checks":[...]}, code ok (all allowed),
  // refused (any denied) or provider.
  struct PermissionReport {
    nlohmann::json summary;
    ExitCode code = ExitCode::ok;
  };
  [[nodiscard]] virtual Expected<PermissionReport> check_permissions(const Plan& plan);

  // The least-privilege cloud policy for this provider's part of `profile` (`store` only backs
  // the placeholder plan context; nothing is written to it).
  [[nodiscard]] virtual Expected<nlohmann::ordered_json> least_privilege_policy(
      const profile::Profile& profile, state::Store& store);
  // ---- end of the provider-specific checks ----

  // ---- Provider actions: what the gated executor (executor/) asks of a provider ----
  // The gate owns the journal, approval, epochs and hard stops; the provider only performs one
  // contract request (providers/action_contract.hpp). Each default fails with ExitCode::usage
  // "provider X does not support <thing>".

  // True when this provider performs provider actions (the gate refuses a plan for any other:
  // "hard stop: provider X has no actions").
  [[nodiscard]] virtual bool has_actions() const;

  // The runner of this provider's actions, with undo semantics as the contract says: it
  // describes the prior state before a mutation and returns it in observed (an undo's
  // parameters). `live` false: it mutates nothing whatever a request's mode says.
  [[nodiscard]] virtual Expected<ActionRunner> action_runner(bool live);

  // `iam-policy --executor`: the least-privilege policy of the executor for run `run_id`'s
  // action targets (its routers' NICs and any the journal targeted). Reads `store` only.
  [[nodiscard]] virtual Expected<nlohmann::ordered_json> executor_policy(state::Store& store,
                                                                         const std::string& run_id);

  // `preflight`: describes `target` read-only and checks it can be captured by run `run_id`.
  // Returns the preflight document without its collectedAt ("checks": [{name, status, detail}],
  // "result": "pass" | "fail"); the caller stamps, stores and prints it.
  [[nodiscard]] virtual Expected<nlohmann::ordered_json> preflight(const std::string& run_id,
                                                                   const Target& target);
  // ---- end of the provider actions ----
};

}  // namespace labctl::providers
