#include "matrix/site.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <string_view>

#include "core/text.hpp"

namespace labctl::matrix {
namespace {

std::string strip_spaces(std::string text) {
  std::erase_if(text, [](unsigned char c) { return std::isspace(c) != 0; });
  return text;
}

}  // namespace

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::optional<std::string> first_set(const EnvLookup& env, const std::vector<std::string>& names) {
  for (const auto& name : names) {
    if (auto value = env(name); value && !value->empty()) return value;
  }
  return std::nullopt;
}

Expected<Endpoint> parse_endpoint(const std::string& text, const std::string& what) {
  Endpoint endpoint;
  std::string rest = strip_spaces(text);
  if (const auto at = rest.rfind('@'); at != std::string::npos) {
    endpoint.user = rest.substr(0, at);
    rest = rest.substr(at + 1);
  }
  // A bracketed IPv6 literal keeps its colons: [::1]:2222.
  std::string port_text;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string::npos) {
      return fail(ExitCode::usage, what + ": unclosed '[' in '" + text + "'");
    }
    if (close + 1 < rest.size() && rest[close + 1] == ':') port_text = rest.substr(close + 2);
    rest = rest.substr(1, close - 1);
  } else if (const auto colon = rest.find(':');
             colon != std::string::npos && rest.find(':', colon + 1) == std::string::npos) {
    port_text = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  if (!port_text.empty()) {
    const auto [ptr, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), endpoint.port);
    if (ec != std::errc{} || ptr != port_text.data() + port_text.size() || endpoint.port <= 0 ||
        endpoint.port > 65535) {
      return fail(ExitCode::usage, what + ": bad port '" + port_text + "' in '" + text +
                                       "' (want [user@]host[:port])");
    }
  }
  if (rest.empty()) {
    return fail(ExitCode::usage, what + ": empty host in '" + text + "' (want [user@]host[:port])");
  }
  endpoint.host = rest;
  return endpoint;
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

std::string default_site_spec(const EnvLookup& env) {
  const auto ip = [&](const char* name, const char* fallback) {
    return first_set(env, {name}).value_or(fallback);
  };
  return "onprem=" + ip("ONPREM_CLIENT_IP", "10.77.60.10") +
         ",aws=" + ip("AWS_CLIENT_IP", "10.77.60.11") +
         ",azure=" + ip("AZURE_CLIENT_IP", "10.77.60.12") +
         ",oci=" + ip("OCI_CLIENT_IP", "10.77.60.13");
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
      auto parsed = parse_endpoint(*host, host_var);
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
      auto parsed = parse_endpoint(*jump, jump_var);
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
