#include <sstream>
#include <thread>

#include <sys/stat.h>

#include "core/atomic_file.hpp"
#include "core/log.hpp"
#include "providers/local/gateway.hpp"
#include "providers/local/host.hpp"
#include "providers/local/lab_ops.hpp"

namespace labctl::providers::local {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

struct Created {
  std::string cloud_id;
  Json attrs = Json::object();
};

std::vector<std::string> argv_of(const Operation& op) {
  return op.params.at("argv").get<std::vector<std::string>>();
}

mode_t mode_of(const Operation& op) {
  return static_cast<mode_t>(std::stoul(op.params.value("mode", "0644"), nullptr, 8));
}

Expected<void> make_dir(const fs::path& path, mode_t mode) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec || ::chmod(path.c_str(), mode) != 0) {
    return fail(ExitCode::provider, "local: cannot create directory " + path.string() + ": " +
                                        (ec ? ec.message() : std::string("chmod failed")) +
                                        "; check the state directory's permissions");
  }
  return {};
}

// "ssh-ed25519 AAAA... comment" -> "ssh-ed25519 AAAA..."
Expected<std::string> public_key(const std::string& path) {
  auto text = read_file(path);
  if (!text) return std::unexpected(text.error());
  std::istringstream in(*text);
  std::string type, key;
  if (!(in >> type >> key)) {
    return fail(ExitCode::provider, "local: " + path + " holds no public key");
  }
  return type + " " + key;
}

Expected<std::string> assemble(const Operation& op) {
  const std::string kind = op.params.at("assemble");
  std::string content;
  for (const auto& source : op.params.at("sources")) {
    if (kind == "authorized_keys") {
      auto key = public_key(source.get<std::string>());
      if (!key) return std::unexpected(key.error());
      content += *key + "\n";
    } else {  // known_hosts: one line per address, so every client is recognised either way
      auto key = public_key(source.at("key_file").get<std::string>());
      if (!key) return std::unexpected(key.error());
      for (const auto& host : source.at("hosts"))
        content += host.get<std::string>() + " " + *key + "\n";
    }
  }
  return content;
}

Expected<Created> write_file(const Operation& op) {
  const fs::path path = op.params.at("path").get<std::string>();
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);  // the run dir exists; the metadata dir may not
  std::string content;
  if (op.params.contains("assemble")) {
    auto assembled = assemble(op);
    if (!assembled) return std::unexpected(assembled.error());
    content = std::move(*assembled);
  } else {
    content = op.params.at("content").get<std::string>();
  }
  if (auto written = write_file_atomic(path, content, mode_of(op)); !written) {
    return std::unexpected(written.error());
  }
  return Created{path.string()};
}

// Starts a daemon (it forks into the background) and learns its pid from its pid file.
Expected<Created> start_daemon(const Operation& op, const fs::path& meta_file, LabEnv& env) {
  if (auto started = run_checked(env.runner, argv_of(op)); !started) {
    return std::unexpected(started.error());
  }
  const fs::path pid_file = op.params.at("pid_file").get<std::string>();
  const std::string match = op.params.at("match");
  for (int i = 0; i < 100; ++i) {
    if (const auto pid = read_pid_file(pid_file); pid && process_matches(*pid, match)) {
      if (auto noted = add_metadata_pid(meta_file, *pid, match); !noted) {
        return std::unexpected(noted.error());
      }
      return Created{std::to_string(*pid),
                     {{"pid", *pid}, {"netns", op.params.at("netns")}, {"match", match}}};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return fail(ExitCode::provider, "local: `" + join_argv(argv_of(op)) +
                                      "` started but wrote no live pid to " + pid_file.string() +
                                      " within 10 s");
}

Expected<void> wait_vrrp(const Operation& op, LabEnv& env) {
  const std::string address = op.params.at("address");
  const auto routers = op.params.at("routers").get<std::vector<std::string>>();
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(op.params.value("timeout_ms", 15000));
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& ns : routers) {
      if (netns_holds_address(env.runner, ns, address)) return {};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return fail(ExitCode::provider, "local: site " + op.params.at("site").get<std::string>() +
                                      ": no router took the VRRP address " + address +
                                      " in time; is keepalived working? (try `keepalived -t -f "
                                      "<config>` on the site's config)");
}

Expected<Created> execute(const Operation& op, const Topology& topo, LabEnv& env) {
  if (op.action == "mkdir") {
    const fs::path path = op.params.at("path").get<std::string>();
    for (const fs::path& dir : {path.parent_path().parent_path(), path.parent_path(), path}) {
      if (auto made = make_dir(dir, mode_of(op)); !made) return std::unexpected(made.error());
    }
    return Created{path.string()};
  }
  if (op.action == "write file") return write_file(op);
  if (op.action == "start keepalived" || op.action == "start sshd") {
    return start_daemon(op, topo.meta_file, env);
  }
  if (op.action == "wait vrrp") {
    if (auto waited = wait_vrrp(op, env); !waited) return std::unexpected(waited.error());
    return Created{};
  }
  if (auto ran = run_checked(env.runner, argv_of(op)); !ran) return std::unexpected(ran.error());
  if (op.action == "netns add") {
    Created created{op.params.at("netns")};
    created.attrs["netns"] = op.params.at("netns");
    if (op.params.contains("node")) created.attrs["node"] = Json(op.params["node"]);
    return created;
  }
  if (op.action == "link add") {
    const std::string ns = op.params.at("netns"), link = op.params.at("link");
    return Created{ns.empty() ? link : ns + "/" + link};
  }
  if (op.action == "ssh-keygen") return Created{op.params.at("path")};
  return Created{};
}

}  // namespace

Expected<void> apply_lab(const RunContext& ctx, const Plan& plan, const Topology& topo,
                         LabEnv& env) {
  // Two labs whose run hashes pick the same management /24 would route over each other.
  const std::string mgmt = format_ipv4(topo.mgmt.base) + "/24";
  auto in_use = run_checked(env.runner, {"ip", "-4", "-o", "addr", "show", "to", mgmt});
  if (!in_use) return std::unexpected(in_use.error());
  if (!in_use->out.empty()) {
    return fail(ExitCode::refused, "up: the local lab's management range " + mgmt +
                                       " is already used on this host (another lab?); take "
                                       "that lab down first (`ip -4 addr show to " +
                                       mgmt + "`)");
  }
  std::size_t done = 0;
  for (const auto& op : plan.operations) {
    std::optional<long long> id;
    if (!op.resource_kind.empty()) {
      state::ResourceRecord row;
      row.run_id = ctx.run.run_id;
      row.provider = "local";
      row.kind = op.resource_kind;
      row.name = op.resource_name;
      row.request = Json(op.params);
      auto recorded = ctx.store.record_intent(row);
      if (!recorded) return std::unexpected(recorded.error());
      id = *recorded;
    }
    auto created = execute(op, topo, env);
    if (!created) {
      return fail(created.error().code,
                  created.error().message + " (operation " + std::to_string(done + 1) + "/" +
                      std::to_string(plan.operations.size()) + ": " + op.action + ")");
    }
    if (id) {
      if (auto marked = ctx.store.mark_created(*id, created->cloud_id, created->attrs); !marked) {
        return std::unexpected(marked.error());
      }
    }
    ++done;
  }
  const Json ssh{{"key_file", (topo.run_dir / "id_ed25519").string()},
                 {"known_hosts", (topo.run_dir / "known_hosts").string()},
                 {"user", "root"}};
  if (auto meta = ctx.store.set_meta(ctx.run.run_id, "ssh", ssh); !meta) {
    return std::unexpected(meta.error());
  }
  log::info("local.up", "local: lab " + topo.short_id + " is up (" +
                            std::to_string(topo.sites.size()) + " sites, " + std::to_string(done) +
                            " operations)");
  return {};
}

}  // namespace labctl::providers::local
