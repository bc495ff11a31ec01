#pragma once

#include <string>
#include <vector>

#include "core/action_journal.hpp"
#include "providers/registry/registry.hpp"
#include "core/error.hpp"

// What `labctl action ...` does, behind the CLI wiring (labctl/cli/action.cpp). Each command
// opens the state database, resolves the run, holds the run's lease while it changes the
// journal, and prints its result on stdout. Providers are built with the command's `seams`
// (whose clock the gate stamps with).
namespace labctl::executor {

struct PlanOptions {
  std::string run_id;      // default: the latest active run
  std::string eni;         // the ENI that captures the address
  std::string address;     // the /32 to capture
  std::string region;      // default: the region the run recorded for the ENI, else AWS_REGION
  std::string seize_from;  // the ENI holding the address now (a seize: AllowReassignment)
  std::string out;         // write the plan here (atomically) instead of stdout
};
// Builds the capture plan (ensure-forwarding-enabled, assign-secondary-ip with the next epoch)
// for the run's action provider, describes the ENI read-only to report what each action would do (stderr), prints the
// ActionPlan. Refused (exit 4) when the ENI is not the run's.
[[nodiscard]] Expected<ExitCode> run_action_plan(const PlanOptions& options,
                                                 const providers::ProviderSeams& seams);

// Imports an ActionPlan or one ExecuteActionRequest from `file` ("-": stdin) into the journal.
[[nodiscard]] Expected<ExitCode> run_action_import(const std::string& file,
                                                   const std::string& run_id, bool json,
                                                   const providers::ProviderSeams& seams);

[[nodiscard]] Expected<ExitCode> run_action_approve(const std::string& key, const std::string& by);
[[nodiscard]] Expected<ExitCode> run_action_execute(const std::string& key, bool approved,
                                                    const providers::ProviderSeams& seams);
[[nodiscard]] Expected<ExitCode> run_action_undo(const std::string& key,
                                                 const providers::ProviderSeams& seams);

// The journal rows of `run_id` (every run's when empty); one row by key.
[[nodiscard]] Expected<std::vector<journal::ActionRow>> action_rows(const std::string& run_id);
[[nodiscard]] Expected<journal::ActionRow> action_row(const std::string& key);

}  // namespace labctl::executor
