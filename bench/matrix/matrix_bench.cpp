// Matrix benchmark: on a namespace lab of 4, 8 and 16 sites, times `labctl smoke` (the libssh
// engine, in-process) against a baseline doing what the original harness did per flow:
// `ssh src ping ...` then `ssh src "ssh dst ..."` with the OpenSSH client, at parallelism 1 and
// at parallelism = number of flows, in the same run. Prints a table of times and ratios.
// Each lab is warmed up once (both sides, untimed); each measurement is repeated --repeat times
// with the two sides' order alternating, and the medians are compared. A ratio is printed only
// when both sides did the same work (equal pass counts in every repetition); otherwise the row
// says why there is none.
//
// Usage (root): labctl_matrix_bench [--sites 4,8,16] [--serial-baseline-max 8] [--labctl-only 1]
//   [--repeat 3]
//   --serial-baseline-max N: run the (slow) parallelism-1 baseline only for labs of <= N sites.
//   --labctl-only 1: time labctl alone (no baseline).
//   --full-only 1: only the runs at parallelism = number of flows.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <iostream>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "core/process.hpp"
#include "matrix/smoke.hpp"
#include "tests/integration/matrix/netns_lab.hpp"

namespace {

using labctl::testing::NetnsLab;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<std::string> site_names(int count) {
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) names.push_back("s" + std::to_string(i + 1));
  return names;
}

// Silences our stderr (the per-flow lines) while a run is timed.
class QuietStderr {
 public:
  QuietStderr() : m_saved(::dup(2)) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 2);
    ::close(null);
  }
  ~QuietStderr() {
    ::dup2(m_saved, 2);
    ::close(m_saved);
  }
  QuietStderr(const QuietStderr&) = delete;
  QuietStderr& operator=(const QuietStderr&) = delete;

 private:
  int m_saved;
};

struct Timed {
  double seconds = 0;
  int passed = 0;
  std::string first_error;  // of a failing flow, for the table's footnote
};

Timed run_labctl(const NetnsLab& lab, const std::vector<std::string>& sites, int parallel) {
  std::map<std::string, std::string> env = {
      {"CE_SSH_USER", "root"}, {"SSH_KEY_FILE", lab.key_file().string()},
      {"CE_SSH_KNOWN_HOSTS", lab.known_hosts().string()}, {"CE_MATRIX_PING_COUNT", "1"},
      {"CE_MATRIX_PING_TIMEOUT", "1"}, {"CE_STATE_DIR", (lab.dir() / "state").string()}};
  for (const auto& site : sites) {
    env["CE_" + labctl::matrix::env_site_key(site) + "_CLIENT_SSH_HOST"] = lab.address(site);
  }
  labctl::matrix::SmokeOptions options;
  options.sites = lab.sites_spec(sites);
  options.parallel = std::to_string(parallel);
  std::ostringstream out;
  const auto start = Clock::now();
  {
    QuietStderr quiet;
    std::ignore = labctl::matrix::smoke(
        options,
        [&env](const std::string& n) -> std::optional<std::string> {
          const auto it = env.find(n);
          if (it == env.end()) return std::nullopt;
          return it->second;
        },
        labctl::system_process_runner(), out);
  }
  Timed timed{seconds_since(start), 0, {}};
  const auto matrix = nlohmann::json::parse(out.str(), nullptr, false);
  if (matrix.is_discarded()) return timed;
  timed.passed = matrix["summary"]["passed"].get<int>();
  for (const auto& flow : matrix["flows"]) {
    if (flow["result"] != "pass") {
      timed.first_error = flow["src"].get<std::string>() + "->" + flow["dst"].get<std::string>() +
                          ": " + flow["error"].get<std::string>();
      break;
    }
  }
  return timed;
}

// The original's per-flow work with the OpenSSH client: one session for the ping, one session
// whose command opens a nested session to dst (the key is reachable on src: namespaces share the
// filesystem, as a copied key would be on a real host).
Timed run_baseline(const NetnsLab& lab, const std::vector<std::string>& sites, int parallel) {
  const std::vector<std::string> ssh_opts = {
      "-i", lab.key_file().string(), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
      "-o", "UserKnownHostsFile=" + lab.known_hosts().string(), "-o", "ConnectTimeout=8",
      "-o", "LogLevel=ERROR"};
  std::string nested = "ssh";
  for (const auto& opt : ssh_opts) nested += " '" + opt + "'";
  std::vector<std::pair<std::string, std::string>> flows;
  for (const auto& src : sites) {
    for (const auto& dst : sites) {
      if (src != dst) flows.emplace_back(src, dst);
    }
  }
  std::atomic<std::size_t> next{0};
  std::atomic<int> passed{0};
  const auto ssh = [&](const std::string& host, const std::string& command) {
    labctl::ProcessRequest request;
    request.argv = {"ssh"};
    request.argv.insert(request.argv.end(), ssh_opts.begin(), ssh_opts.end());
    request.argv.push_back("root@" + host);
    request.argv.push_back(command);
    const auto result = labctl::system_process_runner()->run(request);
    return result && result->exit_code == 0;
  };
  const auto start = Clock::now();
  {
    std::vector<std::jthread> workers;
    for (int w = 0; w < parallel; ++w) {
      workers.emplace_back([&] {
        for (std::size_t i = next++; i < flows.size(); i = next++) {
          const auto& [src, dst] = flows[i];
          const bool pinged = ssh(lab.address(src), "ping -c 1 -W 1 -n " + lab.address(dst));
          const bool sshed = ssh(lab.address(src),
                                 nested + " root@" + lab.address(dst) +
                                     " 'uname -n; set -- $SSH_CONNECTION; echo $1'; ip route show default");
          if (pinged && sshed) ++passed;
        }
      });
    }
  }
  return {seconds_since(start), passed.load(), {}};
}

std::vector<int> parse_list(const std::string& text) {
  std::vector<int> values;
  std::istringstream items(text);
  for (std::string item; std::getline(items, item, ',');) values.push_back(std::stoi(item));
  return values;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

// Repeated runs of both sides; `same_work` is false, with `why`, once any repetition's pass
// counts differ.
struct Compared {
  std::vector<double> ours;
  std::vector<double> base;
  Timed last_ours;
  Timed last_base;
  bool same_work = true;
  std::string why;
};

}  // namespace

int main(int argc, char** argv) {
  if (auto why = NetnsLab::unavailable()) {
    std::cerr << "labctl_matrix_bench: " << *why << "\n";
    return 77;
  }
  std::vector<int> sizes = {4, 8, 16};
  int serial_max = 8;
  bool labctl_only = false;
  bool full_only = false;
  int repeat = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--sites") sizes = parse_list(argv[i + 1]);
    if (flag == "--serial-baseline-max") serial_max = std::stoi(argv[i + 1]);
    if (flag == "--labctl-only") labctl_only = std::string(argv[i + 1]) == "1";
    if (flag == "--full-only") full_only = std::string(argv[i + 1]) == "1";
    if (flag == "--repeat") repeat = std::max(1, std::stoi(argv[i + 1]));
  }
  std::printf("%-6s %-6s %-8s %12s %12s %8s   (medians of %d)\n", "sites", "flows", "parallel",
              "labctl_s", "baseline_s", "ratio", repeat);
  std::map<int, double> full_parallel_time;
  std::map<int, bool> full_parallel_complete;  // every flow passed in every repetition
  for (const int size : sizes) {
    const auto names = site_names(size);
    std::vector<NetnsLab::HostSpec> hosts;
    for (const auto& name : names) hosts.push_back({name, false, false});
    NetnsLab lab(hosts);
    lab.enter_hub();
    const int flows = size * (size - 1);
    // Warm-up, untimed: the first connections pay for sshd's and the page cache's cold start.
    std::ignore = run_labctl(lab, names, flows);
    if (!labctl_only) std::ignore = run_baseline(lab, names, flows);
    for (const int parallel : {1, flows}) {
      if (full_only && parallel == 1) continue;
      const bool with_baseline = !labctl_only && !(parallel == 1 && size > serial_max);
      Compared runs;
      for (int rep = 0; rep < repeat; ++rep) {
        // Alternate which side goes first, so neither always meets the warmer (or more
        // loaded) machine.
        const bool ours_first = rep % 2 == 0;
        if (with_baseline && !ours_first) runs.last_base = run_baseline(lab, names, parallel);
        runs.last_ours = run_labctl(lab, names, parallel);
        if (with_baseline && ours_first) runs.last_base = run_baseline(lab, names, parallel);
        runs.ours.push_back(runs.last_ours.seconds);
        if (parallel == flows) {
          const bool complete = runs.last_ours.passed == flows;
          full_parallel_complete[size] = rep == 0 ? complete : full_parallel_complete[size] && complete;
        }
        if (!with_baseline) continue;
        runs.base.push_back(runs.last_base.seconds);
        if (runs.same_work && runs.last_ours.passed != runs.last_base.passed) {
          runs.same_work = false;
          runs.why = "no ratio: different work in repetition " + std::to_string(rep + 1) +
                     " (passed: labctl " + std::to_string(runs.last_ours.passed) + ", baseline " +
                     std::to_string(runs.last_base.passed) + ")";
        }
      }
      const double ours_s = median(runs.ours);
      if (parallel == flows) full_parallel_time[size] = ours_s;
      if (!runs.last_ours.first_error.empty()) {
        std::printf("  first failure: %s\n", runs.last_ours.first_error.c_str());
      }
      if (!with_baseline) {
        std::printf("%-6d %-6d %-8d %12.3f %12s %8s   (labctl %d/%d passed)\n", size, flows,
                    parallel, ours_s, "skipped", "-", runs.last_ours.passed, flows);
        continue;
      }
      const double base_s = median(runs.base);
      if (runs.same_work) {
        std::printf("%-6d %-6d %-8d %12.3f %12.3f %7.1fx   (passed: labctl %d/%d, baseline %d/%d)\n",
                    size, flows, parallel, ours_s, base_s, base_s / ours_s, runs.last_ours.passed,
                    flows, runs.last_base.passed, flows);
      } else {
        std::printf("%-6d %-6d %-8d %12.3f %12.3f %8s   %s\n", size, flows, parallel, ours_s,
                    base_s, "-", runs.why.c_str());
      }
      std::fflush(stdout);
    }
  }
  if (full_parallel_time.contains(4) && full_parallel_time.contains(16)) {
    // Different sizes by design: comparable only when each lab passed all of its flows.
    if (full_parallel_complete[4] && full_parallel_complete[16]) {
      std::printf("labctl full parallelism, 16 sites vs 4 sites: %.2fx the time (target <= 2x)\n",
                  full_parallel_time[16] / full_parallel_time[4]);
    } else {
      std::printf("labctl full parallelism, 16 sites vs 4 sites: no ratio (a lab did not pass all "
                  "its flows: 4 sites %s, 16 sites %s)\n",
                  full_parallel_complete[4] ? "complete" : "incomplete",
                  full_parallel_complete[16] ? "complete" : "incomplete");
    }
  }
  return 0;
}
