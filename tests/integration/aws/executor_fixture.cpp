#include "tests/integration/aws/executor_fixture.hpp"

#include "core/state_store.hpp"

namespace labctl::testing {
namespace {

const char* k_aws_cli = "/usr/bin/aws";

}  // namespace

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

CommandOutput ExecutorTest::run(const std::vector<std::string>& args,
                                std::map<std::string, std::string> extra) {
  for (const auto& [k, v] : run_env) extra.try_emplace(k, v);
  auto out = live(args, std::move(extra));
  transcript += out.out + out.err;
  return out;
}

CommandOutput ExecutorTest::run_stdin(const std::vector<std::string>& args,
                                      const std::string& input,
                                      std::map<std::string, std::string> extra) {
  for (const auto& [k, v] : run_env) extra.try_emplace(k, v);
  auto out = live_stdin(args, input, std::move(extra));
  transcript += out.out + out.err;
  return out;
}

std::unique_ptr<Spawned> ExecutorTest::spawn_run(const std::vector<std::string>& args,
                                                 std::map<std::string, std::string> extra) const {
  for (const auto& [k, v] : run_env) extra.try_emplace(k, v);
  for (const auto& [k, v] : aws_env()) extra.try_emplace(k, v);
  return spawn(args, std::move(extra));
}

std::map<std::string, std::string> ExecutorTest::machine_env(const std::string& name) const {
  EXPECT_FALSE(state_url.empty())
      << "machine " << name << ": machines share state only through CE_STATE_URL (PostgreSQL)";
  const auto dir = tmp.path() / name;
  std::filesystem::create_directories(dir);
  return {{"CE_STATE_DIR", dir.string()}, {"CE_MACHINE", name}};
}

void StoreExecutorTest::SetUp() {
  ExecutorTest::SetUp();
  if (IsSkipped() || HasFatalFailure()) return;
  std::string why;
  auto url = state_url_for(GetParam(), &why);
  if (!url) GTEST_SKIP() << "no PostgreSQL server: " << why;
  state_url = *url;
}

ExecutorTest::Lab ExecutorTest::up_lab() {
  const auto up = run({"up", "--profile", "provider", "--provider", "aws"});
  EXPECT_EQ(up.code, 0) << up.err;
  Lab lab;
  lab.run_id = up.out.substr(0, up.out.find('\n'));
  for (const auto& row : show(lab.run_id).value("resources", nlohmann::json::array())) {
    const auto attrs = row.value("attrs", nlohmann::json::object());
    const std::string eni_id = attrs.value("eniId", "");
    const std::string name = row.value("name", "");
    if (name == "aws-router-a") lab.eni_a = eni_id;
    if (name == "aws-router-b") lab.eni_b = eni_id;
    if (name == "aws-client") lab.eni_client = eni_id;
  }
  EXPECT_FALSE(lab.eni_a.empty() || lab.eni_b.empty() || lab.eni_client.empty())
      << show(lab.run_id).dump();
  return lab;
}

std::filesystem::path ExecutorTest::plan(const Lab& lab, const std::string& eni_id,
                                         const std::string& seize_from) {
  const auto file = tmp.path() / ("plan" + std::to_string(++m_plans) + ".json");
  std::vector<std::string> args{"action", "plan",      "--run-id", lab.run_id, "--eni",
                                eni_id,   "--address", k_address,  "--out",    file.string()};
  if (!seize_from.empty()) {
    args.push_back("--seize-from");
    args.push_back(seize_from);
  }
  const auto planned = run(args);
  EXPECT_EQ(planned.code, 0) << planned.err;
  return file;
}

nlohmann::json ExecutorTest::action_request(const std::string& action, const std::string& eni_id,
                                            const std::string& address,
                                            const nlohmann::json& parameters,
                                            const std::string& mode, const std::string& key,
                                            const std::string& run_id) {
  nlohmann::json target{{"nicRef", eni_id}, {"region", "us-east-1"}};
  if (!address.empty()) target["address"] = address;
  nlohmann::json spec{{"action", action},         {"provider", "aws"}, {"target", target},
                      {"parameters", parameters}, {"mode", mode},      {"idempotencyKey", key}};
  if (!run_id.empty()) spec["context"] = {{"runId", run_id}};
  return {{"apiVersion", "provideraction.routerd.net/v1alpha1"},
          {"kind", "ExecuteActionRequest"},
          {"spec", spec}};
}

nlohmann::json ExecutorTest::big_plan(const std::string& run_id, const std::string& eni_id, int rows,
                        const std::string& prefix) {
  nlohmann::json actions = nlohmann::json::array();
  for (int i = 0; i < rows; ++i) {
    const std::string address =
        "10.240." + std::to_string(2 + i / 250) + "." + std::to_string(1 + i % 250);
    actions.push_back(action_request(
        "assign-secondary-ip", eni_id, address, {{"ownershipEpoch", 1}}, "dry-run",
        run_id + "/" + prefix + "/" + std::to_string(i), run_id));
  }
  return {{"apiVersion", "provideraction.routerd.net/v1alpha1"},
          {"kind", "ActionPlan"},
          {"runId", run_id},
          {"actions", actions}};
}

ExecutorTest::CaptureKeys ExecutorTest::keys_of(const std::filesystem::path& plan_file) {
  const auto document = nlohmann::json::parse(read_text(plan_file), nullptr, false);
  CaptureKeys keys;
  keys.plan_file = plan_file;
  for (const auto& action : document.value("actions", nlohmann::json::array())) {
    const std::string name = action["spec"].value("action", "");
    const std::string key = action["spec"].value("idempotencyKey", "");
    if (name == "ensure-forwarding-enabled") keys.forwarding = key;
    if (name == "assign-secondary-ip") keys.assign = key;
  }
  return keys;
}

ExecutorTest::CaptureKeys ExecutorTest::import_plan(const Lab& lab, const std::string& eni_id,
                                                    const std::string& seize_from) {
  const auto file = plan(lab, eni_id, seize_from);
  auto keys = keys_of(file);
  EXPECT_FALSE(keys.forwarding.empty() || keys.assign.empty()) << read_text(file);
  const auto imported = run({"action", "import", file.string()});
  EXPECT_EQ(imported.code, 0) << imported.err;
  return keys;
}

ExecutorTest::CaptureKeys ExecutorTest::approved_assign(const Lab& lab, const std::string& eni_id,
                                                        const std::string& seize_from) {
  auto keys = import_plan(lab, eni_id, seize_from);
  const auto approved = run({"action", "approve", keys.assign, "--by", "tester"});
  EXPECT_EQ(approved.code, 0) << approved.err;
  return keys;
}

ExecutorTest::CaptureKeys ExecutorTest::capture(const Lab& lab, const std::string& eni_id,
                                                const std::string& seize_from) {
  const auto keys = import_plan(lab, eni_id, seize_from);
  for (const auto& key : {keys.forwarding, keys.assign}) {
    const auto executed = approve_and_execute(key);
    EXPECT_EQ(executed.code, 0) << key << ": " << executed.out << executed.err;
  }
  return keys;
}

CommandOutput ExecutorTest::approve_and_execute(const std::string& key) {
  const auto approved = run({"action", "approve", key, "--by", "tester"});
  EXPECT_EQ(approved.code, 0) << approved.err;
  return run({"action", "execute", key, "--approved"});
}

nlohmann::json ExecutorTest::journal_rows(const std::string& run_id) {
  const auto out = run({"action", "list", "--run-id", run_id, "--json"});
  EXPECT_EQ(out.code, 0) << out.err;
  return nlohmann::json::parse(out.out, nullptr, false);
}

nlohmann::json ExecutorTest::journal_row(const std::string& key) {
  const auto out = run({"action", "show", key, "--json"});
  EXPECT_EQ(out.code, 0) << out.err;
  return nlohmann::json::parse(out.out, nullptr, false);
}

std::size_t ExecutorTest::journal_count(const std::string& run_id) const {
  auto location = state::StateLocation::local(state_dir);
  location.url = state_url;
  auto store = state::Store::open_existing(location);
  if (!store || !*store) {
    ADD_FAILURE() << "counting journal rows: cannot open the state " << location.describe()
                  << ": " << (store ? "no state.db yet" : store.error().message);
    return 0;
  }
  state::Statement count((*store)->db(),
                         "SELECT COUNT(*) FROM action_executions WHERE run_id = ?");
  count.bind(1, run_id);
  const auto row = count.step();
  if (!row || !*row) {
    ADD_FAILURE() << "counting journal rows in " << location.describe() << ": "
                  << (row ? "no result row" : row.error().message);
    return 0;
  }
  return static_cast<std::size_t>(count.integer(0));
}

nlohmann::json ExecutorTest::eni(const std::string& eni_id) const {
  const auto state = fake_get("/_fake/state?region=us-east-1");
  for (const auto& item : state["regions"]["us-east-1"]["network_interfaces"]) {
    if (item.value("NetworkInterfaceId", "") == eni_id) return item;
  }
  ADD_FAILURE() << "the fake has no ENI " << eni_id;
  return nlohmann::json::object();
}

std::vector<std::string> ExecutorTest::secondary_ips(const std::string& eni_id) const {
  std::vector<std::string> ips;
  for (const auto& ip : eni(eni_id).value("PrivateIpAddresses", nlohmann::json::array())) {
    if (!ip.value("Primary", false)) ips.push_back(ip.value("PrivateIpAddress", ""));
  }
  return ips;
}

bool ExecutorTest::source_dest_check(const std::string& eni_id) const {
  return eni(eni_id).value("SourceDestCheck", true);
}

std::string ExecutorTest::seed_foreign_eni() const {
  const auto seeded =
      fake_post("/_fake/seed", {{"region", "us-east-1"}, {"instances", {{{"count", 1}}}}});
  const std::string foreign = seeded["created"]["us-east-1"]["instances"][0];
  for (const auto& i : instances()) {
    if (i.value("InstanceId", "") == foreign) {
      return i["NetworkInterfaces"][0].value("NetworkInterfaceId", "");
    }
  }
  ADD_FAILURE() << "the seeded instance " << foreign << " has no ENI";
  return "";
}

std::size_t ExecutorTest::mutating_eni_calls() const {
  return calls("AssignPrivateIpAddresses") + calls("UnassignPrivateIpAddresses") +
         calls("ModifyNetworkInterfaceAttribute");
}

bool ExecutorTest::aws_cli_available() { return std::filesystem::exists(k_aws_cli); }

CommandOutput ExecutorTest::aws_cli(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{k_aws_cli,   "--endpoint-url", endpoint, "--region",
                                "us-east-1", "--output",       "json",   "ec2"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto out = run_command(argv,
                               {{"AWS_ACCESS_KEY_ID", k_access_key},
                                {"AWS_SECRET_ACCESS_KEY", k_canary_secret},
                                {"AWS_SESSION_TOKEN", "\x01unset"},
                                {"AWS_PROFILE", "\x01unset"},
                                {"AWS_EC2_METADATA_DISABLED", "true"},
                                {"AWS_CONFIG_FILE", "/dev/null"},
                                {"AWS_SHARED_CREDENTIALS_FILE", "/dev/null"},
                                {"AWS_PAGER", ""}},
                               tmp.path());
  EXPECT_EQ(out.code, 0) << "aws ec2 " << args.front() << ": " << out.err;
  return out;
}

}  // namespace labctl::testing
