#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/env.hpp"
#include "core/error.hpp"
#include "ssh/endpoint.hpp"

namespace labctl::matrix {

// The first of `names` that is set and non-empty; nullopt when none is.
[[nodiscard]] std::optional<std::string> first_set(const EnvLookup& env,
                                                   const std::vector<std::string>& names);

// One matrix site: a client host we test from and to.
struct Site {
  std::string name;
  std::string ip;  // the configured logical address (what peers must see)
  // How we reach the client's sshd; empty host when unknown (its flows then fail with `ssh_error`).
  ssh::Endpoint ssh;
  std::optional<ssh::Endpoint> jump;
  std::string ssh_error;        // why `ssh` could not be resolved
  std::string expect_hostname;  // empty: no hostname expectation
};

// Parses the original's site spec "s=ip,...": split on ',', name before the first '=', all
// whitespace removed, empty items skipped. Rejects (ExitCode::usage) an empty name or ip,
// name == ip, and fewer than 2 sites. Duplicate names are allowed, as in the original.
[[nodiscard]] Expected<std::vector<Site>> parse_sites(const std::string& spec);

// SITE upper-cased with '-' -> '_', the form used in per-site variable names.
[[nodiscard]] std::string env_site_key(const std::string& site);

// The first of CE_<S>_CLIENT_EXPECT_HOSTNAME, <S>_CLIENT_EXPECT_HOSTNAME, CE_<S>_EXPECT_HOSTNAME,
// <S>_EXPECT_HOSTNAME; empty when none is set.
[[nodiscard]] std::string expected_hostname(const EnvLookup& env, const std::string& site);

// SSH endpoints as the run's state knows them (site -> endpoint, jump), overridden by env.
struct StateEndpoint {
  ssh::Endpoint ssh;
  std::optional<ssh::Endpoint> jump;
};

// Fills ssh/jump/expect_hostname of every site. Precedence (flag > env > state > default):
// host CE_<S>_CLIENT_SSH_HOST > <S>_CLIENT_SSH_HOST > state; user from the host text, else
// CE_<S>_CLIENT_SSH_USER > <S>_CLIENT_SSH_USER > state > `default_user`; jump
// CE_<S>_CLIENT_SSH_JUMP > <S>_CLIENT_SSH_JUMP > state (its user defaults to the site's user).
void resolve_endpoints(std::vector<Site>& sites, const EnvLookup& env,
                       const std::map<std::string, StateEndpoint>& from_state,
                       const std::string& default_user);

}  // namespace labctl::matrix
