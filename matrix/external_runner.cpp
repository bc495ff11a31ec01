#include "matrix/external_runner.hpp"

#include <chrono>
#include <map>
#include <sstream>

namespace labctl::matrix {
namespace {

using SteadyClock = std::chrono::steady_clock;

double ms_since(SteadyClock::time_point start) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
}

// key=value lines; the first occurrence of a key wins, as in the original.
std::map<std::string, std::string> parse_key_values(const std::string& text) {
  std::map<std::string, std::string> values;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto eq = line.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    values.emplace(line.substr(0, eq), line.substr(eq + 1));
  }
  return values;
}

// "<op> op: exit N: <last stderr line>", or the start error.
std::string op_error(const std::string& op, const Expected<ProcessResult>& result) {
  if (!result) return op + " op: " + result.error().message;
  std::string text = op + " op: exit " + std::to_string(result->exit_code);
  if (result->term_signal != 0) text += " (signal " + std::to_string(result->term_signal) + ")";
  std::string last;
  std::istringstream lines(result->err);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) last = line;
  }
  if (!last.empty()) text += ": " + last;
  return text;
}

ProcessRequest runner_call(std::vector<std::string> argv) {
  ProcessRequest request;
  request.argv = std::move(argv);
  return request;
}

}  // namespace

ExternalRunner::ExternalRunner(std::string runner, std::shared_ptr<ProcessRunner> processes)
    : m_runner(std::move(runner)), m_processes(std::move(processes)) {}

Observation ExternalRunner::observe(const Site& src, const Site& dst) {
  Observation seen;
  auto start = SteadyClock::now();
  const auto ping = m_processes->run(runner_call({m_runner, "ping", src.name, dst.ip}));
  seen.ping_ms = ms_since(start);
  seen.ping_ok = ping && ping->exit_code == 0;
  std::string errors = seen.ping_ok ? "" : op_error("ping", ping);

  start = SteadyClock::now();
  const auto ssh = m_processes->run(runner_call({m_runner, "ssh", src.name, dst.ip, dst.name}));
  seen.ssh_ms = ms_since(start);
  seen.ssh_ok = ssh && ssh->exit_code == 0;
  if (!seen.ssh_ok) errors += (errors.empty() ? "" : "; ") + op_error("ssh", ssh);
  if (ssh) {
    auto values = parse_key_values(ssh->out);
    seen.peer_ip = values["peer_ip"];
    seen.path_src_ip = values["path_src_ip"];
    seen.default_gw = values["default_gw"];
    seen.src_hostname = values["src_hostname"];
    seen.dst_hostname = values["dst_hostname"];
    seen.src_hostkey_sha256 = values["src_hostkey_sha256"];
    seen.dst_hostkey_sha256 = values["dst_hostkey_sha256"];
    seen.src_identity_error = values["src_identity_error"];
    seen.dst_identity_error = values["dst_identity_error"];
  }
  seen.error = std::move(errors);
  return seen;
}

std::vector<Observation> ExternalRunner::run(const std::vector<Site>& sites,
                                             const std::vector<Flow>& flows, int parallelism,
                                             const FlowDone& on_done) {
  std::vector<Observation> seen(flows.size());
  for_each_bounded(
      flows.size(), parallelism,
      [&](std::size_t i) { seen[i] = observe(sites.at(flows[i].src), sites.at(flows[i].dst)); },
      [&](std::size_t i) { on_done(i, seen[i]); });
  return seen;
}

}  // namespace labctl::matrix
