#include <algorithm>
#include <iomanip>
#include <sstream>
#include <string_view>

#include "deploy/deploy.hpp"
#include "core/text.hpp"

namespace labctl::deploy {
namespace {

std::string text_of(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

Expected<std::vector<Target>> run_targets(state::Store& store, const std::string& run_id,
                                          const std::string& default_user) {
  auto rows = store.resources(run_id);
  if (!rows) return std::unexpected(rows.error());
  std::vector<Target> targets;
  for (const auto& row : *rows) {
    if (row.state == state::k_res_deleted || !row.attrs.is_object()) continue;
    const auto node = row.attrs.find("node");
    if (node == row.attrs.end() || !node->is_object()) continue;
    const auto ssh = node->find("ssh");
    if (ssh == node->end() || !ssh->is_object() || text_of(*ssh, "host").empty()) continue;
    Target target;
    target.name = text_of(*node, "name");
    if (target.name.empty()) target.name = row.name;
    target.site = text_of(*node, "site");
    target.role = text_of(*node, "role");
    target.ssh.host = text_of(*ssh, "host");
    target.ssh.user = text_of(*ssh, "user");
    if (target.ssh.user.empty()) target.ssh.user = default_user;
    if (const auto port = ssh->find("port"); port != ssh->end() && port->is_number_integer()) {
      target.ssh.port = port->get<int>();
    }
    if (const std::string jump = text_of(*ssh, "jump"); !jump.empty()) {
      auto parsed = ssh::parse_endpoint(jump, "the jump host of node " + target.name);
      if (!parsed) return std::unexpected(parsed.error());
      if (parsed->user.empty()) parsed->user = target.ssh.user;
      target.jump = *parsed;
    }
    targets.push_back(std::move(target));
  }
  return targets;
}

Expected<ssh::Resolved> ssh_for_run(const EnvLookup& env, const nlohmann::json& meta) {
  return ssh::resolve_settings(env, ssh::layer_from_meta(meta), {});
}

std::string remote_file(const Request& request) {
  std::string dir = request.settings.remote_path;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir + "/" + request.artifact.filename().string();
}

std::string remote_command(const Request& request, const Target& target,
                           const std::string& command) {
  return "cd " + shell_quote(request.settings.remote_path) +
         " && export LABCTL_ARTIFACT=" + shell_quote(remote_file(request)) +
         " LABCTL_NODE=" + shell_quote(target.name) + " && " + command;
}

nlohmann::ordered_json plan_json(const Request& request) {
  nlohmann::ordered_json plan;
  plan["dryRun"] = true;
  plan["artifact"] = request.artifact.string();
  plan["remotePath"] = request.settings.remote_path;
  plan["remoteFile"] = remote_file(request);
  plan["installCommand"] = request.settings.install_command;
  plan["restartCommand"] = request.settings.restart_command;
  plan["nodes"] = nlohmann::ordered_json::array();
  for (const auto& target : request.targets) {
    nlohmann::ordered_json node;
    node["node"] = target.name;
    node["site"] = target.site;
    node["role"] = target.role;
    node["ssh"] = ssh::describe(target.ssh);
    if (target.jump) node["jump"] = ssh::describe(*target.jump);
    plan["nodes"].push_back(std::move(node));
  }
  return plan;
}

nlohmann::ordered_json summary_json(const Request& request,
                                    const std::vector<NodeResult>& results) {
  nlohmann::ordered_json out;
  std::size_t passed = 0;
  out["artifact"] = request.artifact.filename().string();
  out["remoteFile"] = remote_file(request);
  out["nodes"] = nlohmann::ordered_json::array();
  for (const auto& r : results) {
    if (r.ok) ++passed;
    nlohmann::ordered_json node;
    node["node"] = r.node;
    node["site"] = r.site;
    node["ssh"] = r.endpoint;
    node["result"] = r.ok ? "pass" : "fail";
    node["step"] = r.step;
    node["seconds"] = r.seconds;
    if (!r.hostkey_sha256.empty()) node["hostKey"] = r.hostkey_sha256;
    if (!r.error.empty()) node["error"] = r.error;
    if (!r.output_tail.empty()) node["outputTail"] = r.output_tail;
    out["nodes"].push_back(std::move(node));
  }
  out["summary"] = {
      {"total", results.size()}, {"passed", passed}, {"failed", results.size() - passed}};
  out["result"] = passed == results.size() ? "pass" : "fail";
  return out;
}

std::string results_table(const std::vector<NodeResult>& results) {
  std::ostringstream out;
  out << std::left << std::setw(20) << "NODE" << std::setw(26) << "SSH" << std::setw(6) << "RESULT"
      << std::setw(9) << " STEP"
      << "DETAIL\n";
  for (const auto& r : results) {
    out << std::setw(20) << r.node << std::setw(26) << r.endpoint << std::setw(6)
        << (r.ok ? "ok" : "FAIL") << " " << std::setw(8) << r.step << (r.ok ? "" : r.error) << "\n";
  }
  return out.str();
}

std::string tail_lines(const std::string& text, std::size_t lines) {
  std::size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  for (std::size_t seen = 0; pos > 0; --pos) {
    if (text[pos - 1] == '\n' && ++seen == lines) break;
  }
  return text.substr(pos);
}

std::string printable_tail(const std::string& text, std::size_t lines) {
  const std::string tail = tail_lines(text, lines);
  std::string out;
  for (std::size_t start = 0; start <= tail.size();) {
    const std::size_t end = std::min(tail.find('\n', start), tail.size());
    if (start > 0) out += '\n';
    out += text::printable(std::string_view(tail).substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace labctl::deploy
