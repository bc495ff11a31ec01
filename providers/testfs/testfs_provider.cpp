#include "providers/testfs/testfs_provider.hpp"

#include <filesystem>
#include <stdexcept>

#include "core/atomic_file.hpp"
#include "core/env.hpp"
#include "core/interrupt.hpp"
#include "core/json_io.hpp"
#include "core/log.hpp"

namespace labctl::providers {
namespace {

namespace fs = std::filesystem;

class TestfsProvider final : public Provider {
 public:
  explicit TestfsProvider(EnvLookup env) : m_env(std::move(env)) {}

  std::string_view name() const override { return "testfs"; }

  Expected<Plan> plan_up(const RunContext& ctx) override {
    Plan plan{"testfs", {}, {}};
    const fs::path dir = root() / ctx.run.run_id;
    for (const auto& site : ctx.profile.sites) {
      if (site.provider != "testfs") continue;
      for (const auto& node : site.nodes) {
        nlohmann::ordered_json params;
        params["path"] = (dir / node.name).string();
        params["role"] = node.role;
        params["tags"] = nlohmann::ordered_json::object();
        for (const auto& [key, value] : ctx.tags.pairs()) params["tags"][key] = value;
        plan.operations.push_back({"create-file", params, true, "file", node.name, ""});
      }
    }
    return plan;
  }

  Expected<void> apply_up(const RunContext& ctx, const Plan& plan) override {
    const auto block_after = env_number("LABCTL_TESTFS_BLOCK_AFTER");
    const auto fail_after = env_number("LABCTL_TESTFS_FAIL_AFTER");
    long created = 0;
    for (const auto& op : plan.operations) {
      if (fail_after && created >= *fail_after) {
        // LABCTL_TESTFS_FAIL_MESSAGE stands in for whatever bytes a cloud puts in its errors.
        return fail(ExitCode::provider, "testfs: injected failure after " +
                                            std::to_string(created) + " resources" +
                                            m_env("LABCTL_TESTFS_FAIL_MESSAGE").value_or(""));
      }
      state::ResourceRecord row;
      row.run_id = ctx.run.run_id;
      row.provider = "testfs";
      row.kind = op.resource_kind;
      row.name = op.resource_name;
      row.request = nlohmann::json(op.params);
      const auto id = ctx.store.record_intent(row);
      if (!id) return std::unexpected(id.error());
      const fs::path path = op.params["path"].get<std::string>();
      std::error_code ec;
      fs::create_directories(path.parent_path(), ec);
      if (auto written = write_file_atomic(path, json_io::dump(op.params["tags"]) + "\n"); !written) {
        return std::unexpected(written.error());
      }
      nlohmann::json attrs{{"node", {{"site", op.resource_name}, {"role", op.params["role"]}}}};
      if (auto marked = ctx.store.mark_created(*id, path.string(), attrs); !marked) {
        return std::unexpected(marked.error());
      }
      ++created;
      if (block_after && created == *block_after) {
        log::info("testfs.block", "testfs: blocking after " + std::to_string(created) +
                                      " resources until interrupted");
        while (ctx.clock.sleep_for(std::chrono::seconds(1))) {
        }
        return fail(ExitCode::interrupted, "testfs: interrupted while blocked");
      }
    }
    return {};
  }

  Expected<void> teardown(const RunContext& ctx,
                          const std::vector<state::ResourceRecord>& rows) override {
    const auto fail_delete = m_env("LABCTL_TESTFS_FAIL_DELETE");
    // A provider that throws (a library's exception, a bug) must not abort the teardown guard
    // or the janitor; the test provider throws on demand to prove it.
    const auto throw_delete = m_env("LABCTL_TESTFS_THROW_DELETE");
    std::size_t failures = 0;
    for (const auto& row : rows) {
      if (throw_delete && *throw_delete == row.name) {
        throw std::runtime_error("testfs: injected exception \xff\xfe for " + row.name);
      }
      const fs::path path = row.cloud_id.empty()
                                ? root() / row.run_id / row.name
                                : fs::path(row.cloud_id);
      if (fail_delete && *fail_delete == row.name) {
        ++failures;
        (void)ctx.store.set_resource_state(row.id, state::k_res_failed,
                                           "testfs: injected delete failure");
        continue;
      }
      std::error_code ec;
      fs::remove(path, ec);
      if (ec) {
        ++failures;
        (void)ctx.store.set_resource_state(row.id, state::k_res_failed, ec.message());
        continue;
      }
      if (auto marked = ctx.store.set_resource_state(row.id, state::k_res_deleted); !marked) {
        return std::unexpected(marked.error());
      }
    }
    std::error_code ec;
    fs::remove(root() / ctx.run.run_id, ec);  // only succeeds once empty
    if (failures > 0) {
      return fail(ExitCode::provider,
                  "testfs: " + std::to_string(failures) + " resource(s) could not be deleted");
    }
    return {};
  }

  Expected<Discovery> discover(const DiscoverQuery& query) override {
    Discovery discovery;
    auto& found = discovery.found;
    std::error_code ec;
    if (!fs::exists(root(), ec)) return discovery;
    for (const auto& run_dir : fs::directory_iterator(root(), ec)) {
      if (!run_dir.is_directory()) continue;
      for (const auto& file : fs::directory_iterator(run_dir.path(), ec)) {
        const auto text = read_file(file.path());
        if (!text) continue;
        const auto tags = nlohmann::json::parse(*text, nullptr, false);
        if (!tags.is_object()) continue;
        Discovered d;
        d.run_id = tags.value(k_tag_run_id, "");
        d.kind = "file";
        d.cloud_id = file.path().string();
        d.ttl_expires_at = tags.value(k_tag_ttl_expires_at, "");
        if (!query.run_id.empty() && d.run_id != query.run_id) continue;
        if (query.expired_only) {
          const auto expires = parse_rfc3339(d.ttl_expires_at);
          if (!expires || *expires > query.now) continue;
        }
        found.push_back(std::move(d));
      }
    }
    return discovery;
  }

 private:
  std::optional<long> env_number(const char* name) const {
    const auto value = m_env(name);
    if (!value || value->empty()) return std::nullopt;
    try {
      return std::stol(*value);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }

  fs::path root() const {
    const auto dir = m_env("LABCTL_TESTFS_DIR");
    return dir && !dir->empty() ? fs::path(*dir) : env::state_dir() / "testfs";
  }

  EnvLookup m_env;
};

}  // namespace

std::unique_ptr<Provider> make_testfs_provider(EnvLookup env) {
  return std::make_unique<TestfsProvider>(std::move(env));
}

}  // namespace labctl::providers
