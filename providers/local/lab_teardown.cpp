#include <algorithm>
#include <cstdlib>
#include <set>
#include <thread>

#include "core/log.hpp"
#include "core/time.hpp"
#include "providers/local/host.hpp"
#include "providers/local/lab_ops.hpp"

namespace labctl::providers::local {
namespace {

namespace fs = std::filesystem;

std::string request_text(const state::ResourceRecord& row, const char* key) {
  if (row.request.contains(key) && row.request[key].is_string()) return row.request[key];
  return {};
}

// The row's target: the confirmed id when known, else what the intent said it would create.
std::string target(const state::ResourceRecord& row, const char* request_key) {
  return row.cloud_id.empty() ? request_text(row, request_key) : row.cloud_id;
}

// Deletion order: processes keep namespaces alive, links live in namespaces, files in the run
// directory; the metadata file goes last so a half-failed teardown stays discoverable.
int phase(const state::ResourceRecord& row, const fs::path& meta_file) {
  if (row.kind == "process") return 0;
  if (row.kind == "link") return 1;
  if (row.kind == "netns") return 2;
  if (row.kind == "file") return target(row, "path") == meta_file.string() ? 5 : 3;
  return 4;
}

Expected<void> delete_process(const state::ResourceRecord& row) {
  std::optional<pid_t> pid;
  if (!row.cloud_id.empty()) {
    char* end = nullptr;
    const long value = std::strtol(row.cloud_id.c_str(), &end, 10);
    if (*end != '\0' || value <= 1) {
      return fail(ExitCode::provider,
                  "local: process row " + row.name + " has no pid (\"" + row.cloud_id + "\")");
    }
    pid = static_cast<pid_t>(value);
  } else if (const auto file = request_text(row, "pid_file"); !file.empty()) {
    pid = read_pid_file(file);  // intent only: the daemon may have started before the SIGKILL
  }
  if (!pid) return {};
  const std::string match = request_text(row, "match");
  return stop_process(*pid, match.empty() ? row.run_id : match);
}

Expected<void> delete_link(const state::ResourceRecord& row, LabEnv& env) {
  std::string ns = request_text(row, "netns"), link = request_text(row, "link");
  if (link.empty()) link = row.cloud_id;  // discovered: a root-namespace link by name
  if (!ns.empty() ? !netns_exists(ns) : !host_link_exists(link)) return {};
  std::vector<std::string> argv{"ip"};
  if (!ns.empty()) argv.insert(argv.end(), {"-n", ns});
  argv.insert(argv.end(), {"link", "del", link});
  auto deleted = run_checked(env.runner, argv);
  if (deleted) return {};
  // Deleting one end of a veth removes its peer: "Cannot find device" means already gone.
  std::vector<std::string> show{"ip"};
  if (!ns.empty()) show.insert(show.end(), {"-n", ns});
  show.insert(show.end(), {"link", "show", "dev", link});
  if (!run_checked(env.runner, show)) return {};
  return std::unexpected(deleted.error());
}

Expected<void> delete_netns(const state::ResourceRecord& row, LabEnv& env) {
  const std::string ns = target(row, "netns");
  if (ns.empty() || !netns_exists(ns)) return {};
  kill_netns_processes(env.runner, ns);
  auto deleted = run_checked(env.runner, {"ip", "netns", "del", ns});
  if (!deleted && netns_exists(ns)) return std::unexpected(deleted.error());
  return {};
}

// Paths are removed only when they name the run: a damaged row can never delete anything else.
Expected<void> delete_path(const state::ResourceRecord& row) {
  const std::string path = target(row, "path");
  if (path.empty()) return {};
  if (path.find(row.run_id) == std::string::npos) {
    return fail(ExitCode::refused,
                "local: refusing to delete " + path + ": the path does not name run " + row.run_id);
  }
  std::error_code ec;
  if (row.kind == "dir") {
    fs::remove_all(path, ec);
    const fs::path parent = fs::path(path).parent_path();
    if (!ec && parent.filename() == row.run_id) fs::remove(parent, ec);  // only when empty
    ec.clear();
  } else {
    fs::remove(path, ec);
    if (const auto pub = request_text(row, "public_key"); !ec && !pub.empty()) fs::remove(pub, ec);
  }
  if (ec) return fail(ExitCode::provider, "local: cannot delete " + path + ": " + ec.message());
  return {};
}

Expected<void> delete_row(const state::ResourceRecord& row, LabEnv& env) {
  if (row.kind == "process") return delete_process(row);
  if (row.kind == "link") return delete_link(row, env);
  if (row.kind == "netns") return delete_netns(row, env);
  return delete_path(row);
}

// What is still on the host under the run's names after teardown.
std::vector<std::string> leftovers(const std::string& run_id, const fs::path& meta_file) {
  std::vector<std::string> left;
  for (const auto& ns : netns_with_prefix(netns_prefix(run_id))) left.push_back("netns " + ns);
  for (const auto& link : host_links_with_prefix(host_link_prefix(run_id))) {
    left.push_back("link " + link);
  }
  std::error_code ec;
  if (fs::exists(meta_file, ec)) left.push_back("file " + meta_file.string());
  return left;
}

}  // namespace

Expected<void> teardown_lab(const RunContext& ctx, const std::vector<state::ResourceRecord>& rows,
                            LabEnv& env) {
  const std::string& run_id = ctx.run.run_id;
  const fs::path meta_file = env.meta_dir / (run_id + ".json");
  std::vector<state::ResourceRecord> ordered = rows;
  std::stable_sort(ordered.begin(), ordered.end(), [&](const auto& a, const auto& b) {
    const int pa = phase(a, meta_file), pb = phase(b, meta_file);
    return pa != pb ? pa < pb : a.id > b.id;
  });
  std::vector<std::string> errors;
  for (const auto& row : ordered) {
    if (phase(row, meta_file) == 5 && !errors.empty()) {
      (void)ctx.store.set_resource_state(row.id, state::k_res_failed,
                                         "kept until the rest of the lab is gone");
      continue;
    }
    (void)ctx.store.set_resource_state(row.id, state::k_res_deleting);
    auto deleted = delete_row(row, env);
    if (!deleted) {
      errors.push_back(row.kind + " " + row.name + ": " + deleted.error().message);
      (void)ctx.store.set_resource_state(row.id, state::k_res_failed, deleted.error().message);
      continue;
    }
    if (auto marked = ctx.store.set_resource_state(row.id, state::k_res_deleted); !marked) {
      return std::unexpected(marked.error());
    }
  }
  if (errors.empty()) {
    // The kernel destroys a deleted namespace (and the veths into it) asynchronously.
    for (int i = 0; i < 30 && !leftovers(run_id, meta_file).empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    for (const auto& left : leftovers(run_id, meta_file)) {
      errors.push_back(left + " is still there after teardown");
    }
  }
  if (!errors.empty()) {
    std::string message = "local: run " + run_id + " not fully torn down:";
    for (const auto& e : errors) message += "\n    " + e;
    return fail(ExitCode::provider, message);
  }
  log::info("local.down", "local: lab " + short_id(run_id) + " removed (" +
                              std::to_string(rows.size()) + " resources)");
  return {};
}

Expected<std::vector<Discovered>> discover_labs(const DiscoverQuery& query, LabEnv& env) {
  std::vector<Discovered> found;
  std::error_code ec;
  for (fs::directory_iterator it(env.meta_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".json") continue;
    auto meta = read_metadata(it->path());
    if (!meta) {
      log::warn("local.discover", meta.error().message);
      continue;
    }
    const std::string run_id = (*meta)["run_id"].get<std::string>();
    const std::string ttl = meta->value("ttl_expires_at", "");
    if (!query.run_id.empty() && run_id != query.run_id) continue;
    if (query.expired_only) {
      const auto expires = parse_rfc3339(ttl);
      if (!expires || *expires > query.now) continue;
    }
    const auto add = [&](const std::string& kind, const std::string& id) {
      found.push_back({run_id, kind, id, "", ttl});
    };
    for (const auto& entry : meta->value("pids", nlohmann::json::array())) {
      const pid_t pid = entry.value("pid", 0);
      if (process_matches(pid, entry.value("match", run_id))) add("process", std::to_string(pid));
    }
    std::set<std::string> netns;
    for (const auto& ns : meta->value("netns", std::vector<std::string>{})) {
      if (netns_exists(ns)) netns.insert(ns);
    }
    for (const auto& ns : netns_with_prefix(netns_prefix(run_id))) netns.insert(ns);
    for (const auto& ns : netns) add("netns", ns);
    std::set<std::string> links;
    for (const auto& link : meta->value("links", std::vector<std::string>{})) {
      if (host_link_exists(link)) links.insert(link);
    }
    for (const auto& link : host_links_with_prefix(host_link_prefix(run_id))) links.insert(link);
    for (const auto& link : links) add("link", link);
    for (const auto& dir : meta->value("dirs", std::vector<std::string>{})) {
      std::error_code exists_ec;
      if (fs::exists(dir, exists_ec)) add("dir", dir);
    }
    add("file", it->path().string());
  }
  return found;
}

}  // namespace labctl::providers::local
