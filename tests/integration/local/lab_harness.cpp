#include "tests/integration/local/lab_harness.hpp"

#include <unistd.h>

#include "core/run_id.hpp"
#include "core/tags.hpp"
#include "core/time.hpp"
#include "providers/local/host.hpp"

namespace labctl::testing {
namespace {

namespace fs = std::filesystem;

std::string next_scenario(const std::string& scenario) {
  static int counter = 0;
  return scenario + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

}  // namespace

std::string live_lab_unavailable() {
  if (::geteuid() != 0) return "needs root to create network namespaces";
  for (const char* tool :
       {"ip", "keepalived", "sshd", "ssh-keygen", "ping", "ssh", "unshare", "sysctl"}) {
    if (providers::local::find_program(tool) == tool) return std::string("needs ") + tool;
  }
  return {};
}

int run_command(const std::vector<std::string>& argv, std::string* out,
                std::chrono::milliseconds timeout) {
  ProcessRequest request;
  request.argv = argv;
  request.timeout = timeout;
  auto result = system_process_runner()->run(request);
  if (!result) return -1;
  if (out) *out = result->out + result->err;
  return result->exit_code;
}

LabHarness::LabHarness(const std::string& scenario, const std::string& profile_yaml,
                       long long ttl_seconds)
    : m_meta_dir(m_tmp.path() / "meta") {
  auto store = state::Store::open(m_tmp.path() / "state");
  if (!store) throw std::runtime_error(store.error().message);
  m_store = std::move(*store);
  auto loaded = profile_yaml.empty()
                    ? profile::load(fs::path(LABCTL_SOURCE_DIR) / "profiles" / "local.yaml")
                    : profile::parse(profile_yaml, "test.yaml");
  if (!loaded) throw std::runtime_error(loaded.error().message);
  m_profile = std::move(*loaded);

  const SystemTime now = system_clock()->now();
  m_run.run_id = make_run_id(now, next_scenario(scenario));
  m_run.profile = m_profile.name;
  m_run.scenario = scenario;
  m_run.providers = {"local"};
  m_run.provider_order = "declared";
  m_run.owner = "labctl-test";
  m_run.purpose = "labctl-test";
  m_run.ttl_seconds = ttl_seconds;
  m_run.ttl_text = std::to_string(ttl_seconds) + "s";
  m_run.ttl_expires_at = format_rfc3339(now + std::chrono::seconds(ttl_seconds));
  m_run.created_at = format_rfc3339(now);
  m_run.dry_run = false;
  auto id = m_store->insert_run(m_run);
  if (!id) throw std::runtime_error(id.error().message);
  m_run.run_id = *id;
  m_provider = providers::make_local_provider({system_process_runner(), m_meta_dir});
}

LabHarness::~LabHarness() {
  const auto rows = live_rows();
  if (!rows.empty()) (void)m_provider->teardown(ctx(), rows);
}

providers::RunContext LabHarness::ctx() {
  return {m_run,
          m_profile,
          make_tags(m_run.run_id, m_run.owner, m_run.ttl_expires_at, "local", m_run.purpose),
          *m_store,
          *system_clock(),
          false};
}

std::vector<state::ResourceRecord> LabHarness::live_rows() {
  std::vector<state::ResourceRecord> rows;
  auto all = m_store->resources(m_run.run_id);
  if (!all) return rows;
  for (auto it = all->rbegin(); it != all->rend(); ++it) {
    if (it->state != state::k_res_deleted) rows.push_back(*it);
  }
  return rows;
}

std::string LabHarness::netns_of(const std::string& node) {
  auto all = m_store->resources(m_run.run_id);
  if (!all) return {};
  for (const auto& row : *all) {
    if (row.kind == "netns" && row.name == node) return row.cloud_id;
  }
  return {};
}

std::vector<pid_t> LabHarness::recorded_pids() {
  std::vector<pid_t> pids;
  auto all = m_store->resources(m_run.run_id);
  if (!all) return pids;
  for (const auto& row : *all) {
    if (row.kind == "process" && !row.cloud_id.empty()) {
      pids.push_back(static_cast<pid_t>(std::stol(row.cloud_id)));
    }
  }
  return pids;
}

}  // namespace labctl::testing
