#include "providers/node_faults.hpp"

#include <array>

#include "core/log.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace labctl::providers {
namespace {

using Json = nlohmann::json;

struct DefaultCommand {
  std::string_view fault;
  std::string_view unit;  // the systemd unit the fault stops and its restore starts
};

// The defaults node_fault_command() documents.
constexpr std::array<DefaultCommand, 3> k_defaults{{
    {"drain", "routerd"},
    {"routerd-bgp-stop", "routerd-bgp"},
    {"heartbeat-stop", "keepalived"},
}};

const char* step_name(NodeFaultStep step) {
  return step == NodeFaultStep::inject ? "inject" : "restore";
}

}  // namespace

bool is_node_fault(std::string_view fault) {
  for (const auto& entry : k_defaults) {
    if (entry.fault == fault) return true;
  }
  return false;
}

Expected<NodeFaultCommand> node_fault_command(const profile::Profile& profile,
                                              const std::string& fault) {
  if (const auto given = profile.node_faults.find(fault); given != profile.node_faults.end()) {
    return NodeFaultCommand{given->second.inject, given->second.restore,
                            given->second.at + "node_faults." + fault};
  }
  for (const auto& entry : k_defaults) {
    if (entry.fault != fault) continue;
    const std::string unit(entry.unit);
    return NodeFaultCommand{"sudo -n systemctl stop " + unit, "sudo -n systemctl start " + unit,
                            "default"};
  }
  return fail(ExitCode::usage,
              "failover: fault '" + fault + "' has no node command: the profile " +
                  profile.name + " gives no node_faults." + fault +
                  ".inject (the remote command that injects it) and it has no default");
}

Expected<ssh::Resolved> strict_ssh_settings(const EnvLookup& env, const Json& run_meta,
                                                const ssh::SettingsLayer& profile) {
  auto resolved = ssh::resolve_settings(env, ssh::layer_from_meta(run_meta), profile);
  if (!resolved) return std::unexpected(resolved.error());
  resolved->session.policy = ssh::HostKeyPolicy::strict;
  return resolved;
}

Json run_ssh_meta(state::Store& store, const std::string& run_id) {
  if (auto stored = store.get_meta(run_id, "ssh"); stored && *stored && (*stored)->is_object()) {
    return **stored;
  }
  return Json::object();
}

Expected<Json> run_node_fault(const NodeFaultTarget& target, const std::string& fault,
                              const NodeFaultCommand& command, NodeFaultStep step,
                              const ssh::SshSettings& settings, Clock& clock) {
  const std::string& remote = step == NodeFaultStep::inject ? command.inject : command.restore;
  const std::string where = "failover: " + std::string(step_name(step)) + " " + fault + " on " +
                            target.provider + " node " + target.node + " (" +
                            ssh::describe(target.endpoint) + ")";
  if (remote.empty()) {
    return fail(ExitCode::usage, "failover: fault '" + fault + "' has no restore command (" +
                                     command.source + "); give node_faults." + fault +
                                     ".restore in the profile");
  }
  auto connected = ssh::connect_session(target.endpoint, -1, settings);
  if (!connected) {
    return fail(ExitCode::provider, where + ": " + connected.error().message);
  }
  const SystemTime started = clock.now();
  log::info("failover.node", where + ": " + text::printable(remote, 200));
  auto result = ssh::exec_blocking(connected->session.get(), remote, k_node_fault_timeout);
  if (!result) return fail(ExitCode::provider, where + ": " + result.error().message);
  const std::string out = text::printable(result->out, k_node_fault_output_bytes);
  const std::string err = text::printable(result->err, k_node_fault_output_bytes);
  if (result->exit_status != 0) {
    return fail(ExitCode::provider,
                where + ": `" + text::printable(remote, 200) + "` (" + command.source +
                    ") exited with " + std::to_string(result->exit_status) + ": " +
                    text::printable(result->err.empty() ? result->out : result->err, 512));
  }
  return Json{{"provider", target.provider},
              {"fault", fault},
              {"step", step_name(step)},
              {"node", target.node},
              {"role", target.role},
              {"address", target.endpoint.host},
              {"port", target.endpoint.port},
              {"user", target.endpoint.user},
              {"hostKey", connected->hostkey_sha256},
              {"command", text::printable(remote, 1024)},
              {"commandSource", command.source},
              {"exitStatus", result->exit_status},
              {"stdout", out},
              {"stderr", err},
              {"outputTruncated", result->truncated},
              {step == NodeFaultStep::inject ? "injectedAt" : "restoredAt",
               format_rfc3339_ms(started)},
              {"finishedAt", format_rfc3339_ms(clock.now())}};
}

}  // namespace labctl::providers
