#include <algorithm>

#include <gtest/gtest.h>

#include "providers/local/lab_ops.hpp"
#include "providers/local/lab_plan.hpp"
#include "tests/unit/providers/local/local_fixture.hpp"

namespace labctl::providers::local {
namespace {

namespace fs = std::filesystem;

// Records every command; before a creating command runs, checks that its intent row is
// already in the store. ssh-keygen is emulated (a dummy public key) so later steps can read it.
class RecordingRunner final : public ProcessRunner {
 public:
  RecordingRunner(state::Store& store, std::string run_id)
      : m_store(store), m_run_id(std::move(run_id)) {}

  Expected<ProcessResult> run(const ProcessRequest& request) override {
    const auto& argv = request.argv;
    commands.push_back(argv);
    const auto has = [&](const char* word) {
      return std::find(argv.begin(), argv.end(), word) != argv.end();
    };
    // netns add, link add ... type veth|bridge, ssh-keygen: the commands that create resources.
    const bool netns_add = argv.size() > 2 && argv[1] == "netns" && argv[2] == "add";
    const bool link_add = has("link") && has("add") && has("type");
    const bool creates = argv[0] == "ssh-keygen" || netns_add || link_add;
    if (creates && !intent_recorded(argv)) missing_intent.push_back(argv);
    if (argv[0] == "ssh-keygen") {
      const std::string path = argv.back();
      testing::write_text(path, "dummy private key\n");
      testing::write_text(path + ".pub", "ssh-ed25519 AAAAdummy" + path + " comment\n");
    }
    return ProcessResult{0, 0, false, "", ""};
  }

  std::vector<std::vector<std::string>> commands;
  std::vector<std::vector<std::string>> missing_intent;

 private:
  bool intent_recorded(const std::vector<std::string>& argv) {
    auto rows = m_store.resources(m_run_id);
    if (!rows) return false;
    return std::any_of(rows->begin(), rows->end(), [&](const state::ResourceRecord& row) {
      return row.state == state::k_res_intent && row.request.contains("argv") &&
             row.request["argv"].get<std::vector<std::string>>() == argv;
    });
  }

  state::Store& m_store;
  std::string m_run_id;
};

using LocalApply = LocalFixture;

// Given the plan up to the daemons, expect every command sent exactly as planned, in order,
// each creation preceded by its intent row, and every row created at the end.
TEST_F(LocalApply, SendsExactlyThePlanWithIntentBeforeEachCreation) {
  auto plan = provider_->plan_up(ctx());
  ASSERT_TRUE(plan) << plan.error().message;
  const auto first_daemon =
      std::find_if(plan->operations.begin(), plan->operations.end(),
                   [](const Operation& op) { return op.action.starts_with("start "); });
  Plan partial{plan->provider, {plan->operations.begin(), first_daemon}, {}};
  auto topo =
      build_topology(run_.run_id, profile_, tmp.path() / "state" / "runs" / run_.run_id / "local",
                     tmp.path() / "meta");
  ASSERT_TRUE(topo);
  RecordingRunner runner(*store_, run_.run_id);
  LabEnv env{runner, tmp.path() / "meta"};
  auto applied = apply_lab(ctx(), partial, *topo, env);
  ASSERT_TRUE(applied) << applied.error().message;

  std::vector<std::vector<std::string>> planned;
  for (const auto& op : partial.operations) {
    if (op.params.contains("argv")) planned.push_back(op.params["argv"]);
  }
  ASSERT_FALSE(runner.commands.empty());
  EXPECT_EQ(runner.commands.front()[0], "ip");  // the management-range check comes first
  const std::vector<std::vector<std::string>> sent(runner.commands.begin() + 1,
                                                   runner.commands.end());
  EXPECT_EQ(sent, planned);
  EXPECT_TRUE(runner.missing_intent.empty())
      << ::testing::PrintToString(runner.missing_intent.front());
  auto rows = store_->resources(run_.run_id);
  ASSERT_TRUE(rows);
  for (const auto& row : *rows) EXPECT_EQ(row.state, state::k_res_created) << row.name;

  const fs::path dir = tmp.path() / "state" / "runs" / run_.run_id / "local";
  EXPECT_EQ(fs::status(dir).permissions() & fs::perms::all, fs::perms::owner_all);
  const std::string known = testing::read_text(dir / "known_hosts");
  EXPECT_NE(known.find("198.18.0.11 ssh-ed25519 AAAAdummy"), std::string::npos) << known;
  EXPECT_EQ(fs::status(dir / "known_hosts").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  const auto ssh = store_->get_meta(run_.run_id, "ssh");
  ASSERT_TRUE(ssh && *ssh);
  EXPECT_EQ((**ssh)["key_file"], (dir / "id_ed25519").string());
  EXPECT_EQ((**ssh)["user"], "root");
}

}  // namespace
}  // namespace labctl::providers::local
