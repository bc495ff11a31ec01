#include "matrix/site.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "core/text.hpp"

namespace labctl::matrix {
namespace {

std::string strip_spaces(std::string text) {
  std::erase_if(text, [](unsigned char c) { return std::isspace(c) != 0; });
  return text;
}

}  // namespace

std::optional<std::string> first_set(const EnvLookup& env, const std::vector<std::string>& names) {
  for (const auto& name : names) {
    if (auto value = env(name); value && !value->empty()) return value;
  }
  return std::nullopt;
}

namespace {

// A site's address reaches a remote shell (quoted) and ping's argument list, and names the
// direct-tcpip target: an IPv4/IPv6 address or a DNS name, never an option ("-f") or bytes
// that are not text.
bool is_host_or_address(std::string_view ip) {
  if (ip.empty() || ip.size() > 253 || ip.front() == '-') return false;
  return std::all_of(ip.begin(), ip.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == ':' ||
           c == '-' || c == '_';
  });
}

}  // namespace

Expected<std::vector<Site>> parse_sites(const std::string& spec) {
  std::vector<Site> sites;
  std::size_t start = 0;
  while (start <= spec.size()) {
    auto end = spec.find(',', start);
    if (end == std::string::npos) end = spec.size();
    const std::string pair = spec.substr(start, end - start);
    start = end + 1;
    const std::string item = strip_spaces(pair);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    const std::string name = eq == std::string::npos ? item : item.substr(0, eq);
    const std::string ip = eq == std::string::npos ? std::string() : item.substr(eq + 1);
    if (name.empty() || ip.empty() || name == ip) {
      return fail(ExitCode::usage, "bad site spec entry: '" + pair + "' (want site=ip)");
    }
    if (!is_host_or_address(ip)) {
      return fail(ExitCode::usage, "bad site spec entry: '" + text::printable(pair, 80) +
                                       "': the address is not an IP address or host name "
                                       "(letters, digits, '.', ':', '-', '_'; want site=ip)");
    }
    Site site;
    site.name = name;
    site.ip = ip;
    sites.push_back(std::move(site));
  }
  if (sites.size() < 2) {
    return fail(ExitCode::usage, "need at least 2 sites for a directed matrix");
  }
  return sites;
}

std::string env_site_key(const std::string& site) {
  std::string key = site;
  for (char& c : key) {
    c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return key;
}

std::string expected_hostname(const EnvLookup& env, const std::string& site) {
  const std::string key = env_site_key(site);
  return first_set(env, {"CE_" + key + "_CLIENT_EXPECT_HOSTNAME", key + "_CLIENT_EXPECT_HOSTNAME",
                         "CE_" + key + "_EXPECT_HOSTNAME", key + "_EXPECT_HOSTNAME"})
      .value_or("");
}

void resolve_endpoints(std::vector<Site>& sites, const EnvLookup& env,
                       const std::map<std::string, StateEndpoint>& from_state,
                       const std::string& default_user) {
  for (Site& site : sites) {
    const std::string key = env_site_key(site.name);
    site.expect_hostname = expected_hostname(env, site.name);
    const auto state = from_state.find(site.name);
    const auto user = first_set(env, {"CE_" + key + "_CLIENT_SSH_USER", key + "_CLIENT_SSH_USER"})
                          .value_or(state != from_state.end() && !state->second.ssh.user.empty()
                                        ? state->second.ssh.user
                                        : default_user);
    const std::string host_var = "CE_" + key + "_CLIENT_SSH_HOST";
    if (const auto host = first_set(env, {host_var, key + "_CLIENT_SSH_HOST"})) {
      auto parsed = ssh::parse_endpoint(*host, host_var);
      if (parsed) {
        site.ssh = *parsed;
      } else {
        site.ssh_error = parsed.error().message;
      }
    } else if (state != from_state.end() && !state->second.ssh.host.empty()) {
      site.ssh = state->second.ssh;
    } else {
      site.ssh_error = "no " + host_var + " or " + key + "_CLIENT_SSH_HOST in env and no node for site '" +
                       site.name + "' in the run's state; set one, or MATRIX_RUNNER for offline use";
    }
    if (site.ssh.user.empty()) site.ssh.user = user;

    const std::string jump_var = "CE_" + key + "_CLIENT_SSH_JUMP";
    if (const auto jump = first_set(env, {jump_var, key + "_CLIENT_SSH_JUMP"})) {
      auto parsed = ssh::parse_endpoint(*jump, jump_var);
      if (parsed) {
        site.jump = *parsed;
      } else if (site.ssh_error.empty()) {
        site.ssh_error = parsed.error().message;
      }
    } else if (state != from_state.end() && state->second.jump) {
      site.jump = state->second.jump;
    }
    if (site.jump && site.jump->user.empty()) site.jump->user = site.ssh.user;
  }
}

}  // namespace labctl::matrix
