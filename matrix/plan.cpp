#include "matrix/plan.hpp"

#include <algorithm>
#include <charconv>
#include <map>

#include "core/env.hpp"
#include "core/profile.hpp"
#include "core/run_lookup.hpp"
#include "ssh/settings.hpp"

namespace labctl::matrix {
namespace {

const std::vector<std::string> k_d3_sites = {"onprem", "aws", "azure", "oci"};

std::string json_string(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<ssh::Endpoint> jump_endpoint(const std::string& text) {
  if (text.empty()) return std::nullopt;
  auto parsed = ssh::parse_endpoint(text, "the run's jump host");
  return parsed ? std::optional<ssh::Endpoint>(*parsed) : std::nullopt;
}

// Client nodes of the run: resources whose attrs hold {"node": {"role": "client", ...}}.
Expected<std::pair<std::vector<Site>, std::map<std::string, StateEndpoint>>> run_sites(
    RunContext& run) {
  auto resources = run.store->resources(run.run.run_id);
  if (!resources) return std::unexpected(resources.error());
  std::vector<Site> sites;
  std::map<std::string, StateEndpoint> endpoints;
  for (const auto& resource : *resources) {
    if (resource.state == state::k_res_deleted || !resource.attrs.is_object()) continue;
    const auto node = resource.attrs.find("node");
    if (node == resource.attrs.end() || !node->is_object()) continue;
    if (json_string(*node, "role") != "client") continue;
    const std::string name = json_string(*node, "site");
    if (name.empty()) continue;
    Site site;
    site.name = name;
    site.ip = json_string(*node, "logical_address");
    sites.push_back(std::move(site));
    const auto ssh = node->find("ssh");
    if (ssh == node->end() || !ssh->is_object()) continue;
    StateEndpoint endpoint;
    endpoint.ssh.host = json_string(*ssh, "host");
    endpoint.ssh.user = json_string(*ssh, "user");
    if (const auto port = ssh->find("port"); port != ssh->end() && port->is_number_integer()) {
      endpoint.ssh.port = port->get<int>();
    }
    endpoint.jump = jump_endpoint(json_string(*ssh, "jump"));
    endpoints[name] = endpoint;
  }
  return std::pair{std::move(sites), std::move(endpoints)};
}

// The site names of matrix `name`: d3, or one of the run's profile matrices.
Expected<std::vector<std::string>> matrix_sites(const std::string& name, RunContext* run) {
  if (name == "d3") return k_d3_sites;
  std::string known = "d3";
  if (run != nullptr) {
    const std::string source = run->run.profile_path.empty() ? run->run.profile : run->run.profile_path;
    auto profile = profile::load(source);
    if (!profile) return std::unexpected(profile.error());
    if (const auto it = profile->matrices.find(name); it != profile->matrices.end()) return it->second;
    for (const auto& entry : profile->matrices) {
      if (entry.first != "d3") known += ", " + entry.first;
    }
  } else {
    known += "; matrices of a profile need --run-id or a current run";
  }
  return fail(ExitCode::usage, "smoke: unknown matrix: " + name + " (known: " + known + ")");
}

// Keeps the sites named by the matrix, in its order.
Expected<std::vector<Site>> select_sites(const std::vector<Site>& sites,
                                         const std::vector<std::string>& names,
                                         const std::string& matrix) {
  std::vector<Site> selected;
  std::string missing;
  for (const auto& name : names) {
    const auto it = std::find_if(sites.begin(), sites.end(), [&](const Site& s) { return s.name == name; });
    if (it == sites.end()) {
      missing += (missing.empty() ? "" : ", ") + name;
    } else {
      selected.push_back(*it);
    }
  }
  if (!missing.empty()) {
    return fail(ExitCode::usage, "smoke: matrix " + matrix + " needs sites the run has no client for: " + missing);
  }
  return selected;
}

// Where the runs are: CE_STATE_DIR from `env`, else the default state directory.
std::filesystem::path state_dir(const EnvLookup& env) {
  const auto dir = first_set(env, {"CE_STATE_DIR"});
  return dir ? std::filesystem::path(*dir) : env::state_dir();
}

Expected<int> env_positive(const EnvLookup& env, const char* name, int fallback) {
  const auto value = first_set(env, {name});
  return value ? parse_positive(*value, name) : Expected<int>(fallback);
}

nlohmann::json meta(RunContext* run, const char* key) {
  if (run == nullptr) return nlohmann::json::object();
  auto value = run->store->get_meta(run->run.run_id, key);
  return value && *value ? **value : nlohmann::json::object();
}

// The engine's options: the SSH settings (ssh/settings.hpp) and the matrix's own bounds.
Expected<SshRunnerOptions> runner_options(const EnvLookup& env, ssh::SshSettings settings) {
  SshRunnerOptions options;
  options.ssh = std::move(settings);
  auto count = env_positive(env, "CE_MATRIX_PING_COUNT", 3);
  auto ping_timeout = env_positive(env, "CE_MATRIX_PING_TIMEOUT", 2);
  auto command_timeout = env_positive(env, "CE_MATRIX_COMMAND_TIMEOUT", 60);
  for (const auto* value : {&count, &ping_timeout, &command_timeout}) {
    if (!*value) return std::unexpected(value->error());
  }
  options.ping_count = *count;
  options.ping_timeout_s = *ping_timeout;
  options.command_timeout_s = *command_timeout;
  return options;
}

}  // namespace

Expected<int> parse_positive(const std::string& text, const std::string& what) {
  int value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size() || value <= 0) {
    return fail(ExitCode::usage, "bad " + what + ": " + text + " (want positive integer)");
  }
  return value;
}

Expected<std::optional<RunContext>> find_run(const SmokeOptions& options, const EnvLookup& env) {
  const bool sites_given = options.sites || first_set(env, {"CE_MATRIX_SITES"});
  if (options.run_id.empty() && sites_given) return std::nullopt;
  auto store = state::Store::open_existing(env);
  if (!store) return std::unexpected(store.error());
  if (!*store) {
    if (options.run_id.empty()) return std::nullopt;
    return fail(ExitCode::usage, "smoke: --run-id " + options.run_id + ": no state database in " +
                                     state_dir(env).string() +
                                     " (set CE_STATE_DIR to where `labctl up` ran)");
  }
  auto run = state::find_run_or_latest(**store, options.run_id, "smoke",
                                       state::MissingRun::none_if_no_id);
  if (!run) return std::unexpected(run.error());
  if (!*run) return std::nullopt;
  return RunContext{std::move(*store), std::move(**run)};
}

Expected<MatrixPlan> resolve_plan(const SmokeOptions& options, const EnvLookup& env, RunContext* run) {
  MatrixPlan plan;
  // The run's nodes give SSH endpoints even when the sites themselves come from a flag.
  std::vector<Site> state_sites;
  std::map<std::string, StateEndpoint> endpoints;
  if (run != nullptr) {
    auto from_state = run_sites(*run);
    if (!from_state) return std::unexpected(from_state.error());
    state_sites = std::move(from_state->first);
    endpoints = std::move(from_state->second);
  }
  const auto env_sites = first_set(env, {"CE_MATRIX_SITES"});
  if (options.sites || (env_sites && (run == nullptr || options.run_id.empty()))) {
    auto parsed = parse_sites(options.sites ? *options.sites : *env_sites);
    if (!parsed) return std::unexpected(parsed.error());
    plan.sites = std::move(*parsed);
  } else if (run != nullptr) {
    plan.sites = std::move(state_sites);
    if (!options.matrix.empty()) {
      auto names = matrix_sites(options.matrix, run);
      if (!names) return std::unexpected(names.error());
      auto selected = select_sites(plan.sites, *names, options.matrix);
      if (!selected) return std::unexpected(selected.error());
      plan.sites = std::move(*selected);
    }
    if (plan.sites.size() < 2) {
      return fail(ExitCode::usage, "need at least 2 sites for a directed matrix (run " +
                                       run->run.run_id + " has " + std::to_string(plan.sites.size()) +
                                       " client node(s) in its state)");
    }
  } else {
    // The original fell back to made-up d3 addresses (10.77.60.10-13) here and failed every
    // flow against hosts that were not there: a refusal that says what to give is honest.
    return fail(ExitCode::usage,
                "smoke: no sites to test: no run is current in " + state_dir(env).string() +
                    " and neither --sites nor CE_MATRIX_SITES is set (give --run-id RUN for a "
                    "run's client nodes, or --sites \"name=ip,name=ip,...\", or set "
                    "CE_MATRIX_SITES)");
  }
  if (!options.matrix.empty()) {  // validates the name whatever the site source
    auto names = matrix_sites(options.matrix, run);
    if (!names) return std::unexpected(names.error());
  }

  if (options.parallel) {
    auto parallel = parse_positive(*options.parallel, "--parallel");
    if (!parallel) return std::unexpected(parallel.error());
    plan.parallelism = *parallel;
  } else if (const auto value = first_set(env, {"CE_MATRIX_PARALLELISM"})) {
    auto parallel = parse_positive(*value, "CE_MATRIX_PARALLELISM");
    if (!parallel) return std::unexpected(parallel.error());
    plan.parallelism = *parallel;
  }
  plan.phase = options.phase ? *options.phase : first_set(env, {"CE_MATRIX_PHASE"}).value_or("matrix");
  plan.gateway.value = options.expect_default_gw
                           ? *options.expect_default_gw
                           : first_set(env, {"CE_EXPECT_DEFAULT_GW"}).value_or("unchanged");
  plan.runner = first_set(env, {"MATRIX_RUNNER"}).value_or("");

  // No profile field is an SSH setting of the matrix: env > the run's "ssh" meta > default.
  auto ssh = ssh::resolve_settings(env, ssh::layer_from_meta(meta(run, "ssh")), {});
  if (!ssh) return std::unexpected(ssh.error());
  auto runner = runner_options(env, ssh->session);
  if (!runner) return std::unexpected(runner.error());
  plan.ssh = std::move(*runner);
  resolve_endpoints(plan.sites, env, endpoints, ssh->user);

  if (run != nullptr) {
    plan.run_id = run->run.run_id;
    const nlohmann::json baseline = meta(run, "matrix.default_gw_baseline");
    for (const auto& [site, gw] : baseline.items()) {
      if (gw.is_string()) plan.gateway.baseline[site] = gw.get<std::string>();
    }
    plan.record_baseline = std::any_of(plan.sites.begin(), plan.sites.end(), [&](const Site& s) {
      return !plan.gateway.baseline.contains(s.name);
    });
  }
  return plan;
}

}  // namespace labctl::matrix
