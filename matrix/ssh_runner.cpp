#include "matrix/ssh_runner.hpp"

#include <algorithm>
#include <condition_variable>
#include <future>
#include <map>
#include <random>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "ssh/host.hpp"

namespace labctl::matrix {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// Runs on each source once: its hostname and the gateway of its first default route.
constexpr const char* k_source_facts_script =
    "PATH=$PATH:/sbin:/usr/sbin; printf 'hostname=%s\\n' \"$(uname -n)\"; "
    "set -- $(ip route show default 2>/dev/null); "
    "while [ $# -gt 1 ]; do if [ \"$1\" = via ]; then printf 'default_gw=%s\\n' \"$2\"; break; fi; "
    "shift; done";

// Runs on dst over the nested session: what dst sees of the connection.
// One printf, so the answer leaves dst's sshd as one packet (no Nagle wait for a second one).
constexpr const char* k_destination_script =
    "set -- $SSH_CONNECTION; printf 'hostname=%s\\npeer_ip=%s\\n' \"$(uname -n)\" \"$1\"";

// Runs on src per flow: src's address towards dst, then the ping (its exit status is ours).
std::string flow_script(const std::string& dst_ip, int count, int timeout_s) {
  const std::string dst = shell_quote(dst_ip);
  return "PATH=$PATH:/sbin:/usr/sbin; set -- $(ip route get " + dst +
         " 2>/dev/null); while [ $# -gt 1 ]; do if [ \"$1\" = src ]; then "
         "printf 'path_src_ip=%s\\n' \"$2\"; break; fi; shift; done; ping -c " +
         std::to_string(count) + " -W " + std::to_string(timeout_s) + " -n " + dst;
}

std::map<std::string, std::string> key_values(const std::string& text) {
  std::map<std::string, std::string> values;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const auto eq = line.find('=');
    if (eq != std::string::npos && eq > 0) values.emplace(line.substr(0, eq), line.substr(eq + 1));
  }
  return values;
}

std::string last_line(const std::string& text) {
  std::string last;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) last = line;
  }
  return last;
}

void add_error(Observation& seen, const std::string& text) {
  seen.error += (seen.error.empty() ? "" : "; ") + text;
}

// At most `limit` holders at once; a Hold waits for a free slot and frees it when destroyed.
// The limit only shrinks: `shrink` is how a server's refusals teach it a lower one.
class Gate {
 public:
  explicit Gate(int limit) : m_limit(limit) {}
  class Hold {
   public:
    explicit Hold(Gate& gate) : m_gate(gate) {
      std::unique_lock lock(m_gate.m_mutex);
      m_gate.m_changed.wait(lock, [this] { return m_gate.m_in_use < m_gate.m_limit; });
      ++m_gate.m_in_use;
    }
    ~Hold() {
      {
        std::lock_guard lock(m_gate.m_mutex);
        --m_gate.m_in_use;
      }
      m_gate.m_changed.notify_one();
    }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;

   private:
    Gate& m_gate;
  };

  // Called by a holder whose attempt the server dropped: fewer than the holders in flight were
  // accepted, so allow one less than that from now on (never below one).
  void shrink() {
    std::lock_guard lock(m_mutex);
    m_limit = std::max(1, std::min(m_limit, m_in_use) - 1);
  }

 private:
  std::mutex m_mutex;
  std::condition_variable m_changed;
  int m_limit;
  int m_in_use = 0;
};

struct SourceFacts {
  ssh::SshExpected<std::string> hostkey;  // the connection's outcome
  std::string hostname;
  std::string default_gw;
  std::string error;  // the facts command failed
};

// Everything shared by the flows of one run: the host sessions and per-source facts.
class Engine {
 public:
  Engine(const SshRunnerOptions& options, const std::vector<Site>& sites)
      : m_options(options), m_sites(sites), m_nested_ssh(options.ssh) {
    // Over a tunnel that is already open, the handshake is not a reachability probe: a busy
    // destination gets the command timeout rather than the connect timeout.
    m_nested_ssh.connect_timeout_s =
        std::max<long>(options.ssh.connect_timeout_s, options.command_timeout_s);
    for (std::size_t i = 0; i < sites.size(); ++i) {
      m_handshakes.push_back(std::make_unique<Gate>(std::max(options.max_handshakes_per_host, 1)));
    }
  }

  Observation observe(const Flow& flow) {
    const Site& src = m_sites.at(flow.src);
    const Site& dst = m_sites.at(flow.dst);
    Observation seen;
    if (!src.ssh_error.empty()) {
      seen.error = "src " + src.name + ": " + src.ssh_error;
      return seen;
    }
    const auto host = host_for(src);
    const SourceFacts& facts = facts_for(flow.src, *host);
    if (!facts.hostkey) {
      seen.error = "src " + src.name + ": " + facts.hostkey.error().message;
      if (facts.hostkey.error().kind == ssh::SshErrorKind::host_key) {
        seen.src_identity_error = facts.hostkey.error().message;
      }
      return seen;
    }
    seen.src_hostkey_sha256 = *facts.hostkey;
    seen.src_hostname = facts.hostname;
    seen.default_gw = facts.default_gw;
    if (!facts.error.empty()) add_error(seen, facts.error);

    const auto ping_budget = std::chrono::seconds(m_options.ping_count + m_options.ping_timeout_s +
                                                  m_options.command_timeout_s);
    auto ping = host->exec(flow_script(dst.ip, m_options.ping_count, m_options.ping_timeout_s),
                           ping_budget);
    const auto ssh_start = SteadyClock::now();
    observe_destination(*host, flow.dst, seen);
    seen.ssh_ms = std::chrono::duration<double, std::milli>(SteadyClock::now() - ssh_start).count();

    const auto pinged = ping.get();
    if (!pinged) {
      add_error(seen, "ping: " + pinged.error().message);
      return seen;
    }
    seen.ping_ms = pinged->elapsed_ms;
    seen.ping_ok = pinged->exit_status == 0;
    seen.path_src_ip = key_values(pinged->out)["path_src_ip"];
    if (!seen.ping_ok) {
      add_error(seen, "ping exit " + std::to_string(pinged->exit_status) + ": " +
                          last_line(pinged->out + pinged->err));
    }
    return seen;
  }

 private:
  // The nested hop: src's sshd connects to dst:22 and our session runs over that channel.
  void observe_destination(ssh::SessionHost& host, std::size_t dst_index, Observation& seen) {
    const Site& dst = m_sites.at(dst_index);
    const ssh::Endpoint target{.host = dst.ip, .port = 22, .user = dst.ssh.user};
    auto session = connect_destination(host, dst_index, target);
    if (!session) {
      add_error(seen, "ssh: " + session.error().message);
      if (session.error().kind == ssh::SshErrorKind::host_key) {
        seen.dst_identity_error = session.error().message;
      }
      return;
    }
    seen.dst_hostkey_sha256 = session->hostkey_sha256;
    const auto ran = ssh::exec_blocking(session->session.get(), k_destination_script,
                                        std::chrono::seconds(m_options.command_timeout_s));
    if (!ran) {
      add_error(seen, "ssh " + ssh::describe(target) + ": " + ran.error().message);
      return;
    }
    auto values = key_values(ran->out);
    seen.dst_hostname = values["hostname"];
    seen.peer_ip = values["peer_ip"];
    seen.ssh_ok = ran->exit_status == 0;
    if (!seen.ssh_ok) {
      add_error(seen, "ssh " + ssh::describe(target) + ": script exit " +
                          std::to_string(ran->exit_status) + ": " + last_line(ran->err));
    }
  }

  // A session to `target` through a tunnel from `host`. sshd drops connections beyond its
  // MaxStartups (10 unauthenticated by default) before the banner, which a full matrix provokes
  // (N-1 sources reach each destination at once): such a drop is retried with a short, growing
  // backoff for as long as one connect timeout. The budget is time, not a count of attempts,
  // because how many drops a flow meets depends on how slow every handshake is on that host.
  ssh::SshExpected<ssh::Connected> connect_destination(ssh::SessionHost& host, std::size_t dst,
                                                       const ssh::Endpoint& target) {
    const auto deadline = SteadyClock::now() +
                          std::chrono::seconds(std::max(m_options.ssh.connect_timeout_s, 1L));
    for (int attempt = 1;; ++attempt) {
      Gate& gate = *m_handshakes.at(dst);
      {
        Gate::Hold hold(gate);
        auto fd = host.open_tunnel(target.host, target.port).get();
        if (!fd) return std::unexpected(fd.error());
        auto session = ssh::connect_session(target, *fd, m_nested_ssh);
        const std::string text = session ? std::string() : session.error().message;
        const bool dropped = !session && session.error().kind == ssh::SshErrorKind::error &&
                             (text.find("disconnected") != std::string::npos ||
                              text.find("onnection reset") != std::string::npos ||
                              text.find("onnection closed") != std::string::npos);
        if (!dropped || SteadyClock::now() >= deadline) return session;
        gate.shrink();
      }
      // Outside the gate, so the holders the server did accept finish first. Jitter spreads the
      // retries of flows that were dropped together.
      thread_local std::minstd_rand jitter(std::random_device{}());
      std::this_thread::sleep_for(
          std::chrono::milliseconds(100 * std::min(attempt, 5) + jitter() % 200));
    }
  }

  std::shared_ptr<ssh::SessionHost> host_for(const Site& site) {
    std::lock_guard lock(m_mutex);
    std::shared_ptr<ssh::SessionHost> via;
    std::string key = ssh::describe(site.ssh);
    if (site.jump) {
      const std::string jump_key = ssh::describe(*site.jump);
      auto& jump = m_hosts[jump_key];
      if (!jump) jump = std::make_shared<ssh::SessionHost>(*site.jump, nullptr, m_options.ssh, m_options.max_sessions);
      via = jump;
      key += " via " + jump_key;
    }
    auto& host = m_hosts[key];
    if (!host) host = std::make_shared<ssh::SessionHost>(site.ssh, via, m_options.ssh, m_options.max_sessions);
    return host;
  }

  // The first flow of a source gathers its facts; the others wait for them.
  const SourceFacts& facts_for(std::size_t src, ssh::SessionHost& host) {
    std::promise<SourceFacts> promise;
    std::shared_future<SourceFacts> future;
    bool first = false;
    {
      std::lock_guard lock(m_mutex);
      auto& slot = m_facts[src];
      if (!slot.valid()) {
        slot = promise.get_future().share();
        first = true;
      }
      future = slot;
    }
    if (first) promise.set_value(gather_facts(host));
    return future.get();
  }

  SourceFacts gather_facts(ssh::SessionHost& host) const {
    SourceFacts facts{host.wait_connected(), {}, {}, {}};
    if (!facts.hostkey) return facts;
    const auto ran =
        host.exec(k_source_facts_script, std::chrono::seconds(m_options.command_timeout_s)).get();
    if (!ran) {
      facts.error = "facts of " + ssh::describe(host.endpoint()) + ": " + ran.error().message;
      return facts;
    }
    auto values = key_values(ran->out);
    facts.hostname = values["hostname"];
    facts.default_gw = values["default_gw"];
    return facts;
  }

  const SshRunnerOptions& m_options;
  const std::vector<Site>& m_sites;
  std::mutex m_mutex;
  std::map<std::string, std::shared_ptr<ssh::SessionHost>> m_hosts;
  std::map<std::size_t, std::shared_future<SourceFacts>> m_facts;
  ssh::SshSettings m_nested_ssh;                    // settings of the nested sessions
  std::vector<std::unique_ptr<Gate>> m_handshakes;  // per destination site
};

}  // namespace

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

std::vector<Observation> SshRunner::run(const std::vector<Site>& sites,
                                        const std::vector<Flow>& flows, int parallelism,
                                        const FlowDone& on_done) {
  ssh::ensure_libssh_initialized();
  std::vector<Observation> seen(flows.size());
  Engine engine(m_options, sites);
  for_each_bounded(
      flows.size(), parallelism, [&](std::size_t i) { seen[i] = engine.observe(flows[i]); },
      [&](std::size_t i) { on_done(i, seen[i]); });
  return seen;
}

}  // namespace labctl::matrix
