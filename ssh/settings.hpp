#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/env.hpp"
#include "core/error.hpp"
#include "ssh/session.hpp"

namespace labctl::ssh {

// The one resolver of SSH settings (matrix, deploy and the providers all call it). For each
// setting the first source that has it wins:
//
//   env  >  run metadata (the run's "ssh" meta, written by `up`)  >  profile  >  default
//
//   key file     env SSH_KEY_FILE; run/profile key_file; default none (the agent, then ~/.ssh
//                ids)
//   agent        env SSH_AUTH_SOCK only; default none
//   known_hosts  env CE_SSH_KNOWN_HOSTS, then CE_SSH_USER_KNOWN_HOSTS_FILE; run/profile
//                known_hosts; default $HOME/.ssh/known_hosts
//   strictness   env CE_SSH_STRICT_HOST_KEY_CHECKING (yes | accept-new | no); default yes
//   user         env CE_SSH_USER, then SSH_USER, then CLIENT_SSH_USER; run/profile user;
//                default ubuntu
//   connect      env CE_SSH_CONNECT_TIMEOUT (whole seconds, 1..3600); default 8 (SshSettings)
//
// A variable set to "" counts as unset. A bad number is a usage error naming the variable
// (never replaced by the default). Jump hosts and command timeouts are not settings here: a
// jump host belongs to a node (its endpoint in the run's state, CE_<SITE>_CLIENT_SSH_JUMP, an
// onprem inventory host), and each command carries its own bound.

// The SSH values one source (the run's meta, a profile) supplies; "" = not set by it.
struct SettingsLayer {
  std::string key_file;
  std::string known_hosts;
  std::string user;
};

// The string fields key_file, known_hosts and user of a run's "ssh" meta object; anything
// missing or not a string is unset.
[[nodiscard]] SettingsLayer layer_from_meta(const nlohmann::json& meta);

struct Resolved {
  SshSettings session;  // key, agent, known_hosts, strictness, connect timeout
  std::string user;     // the login user of nodes whose endpoint names none
};

inline constexpr long k_max_connect_timeout_s = 3600;

// Resolves every setting above; ExitCode::usage for a bad CE_SSH_CONNECT_TIMEOUT.
[[nodiscard]] Expected<Resolved> resolve_settings(const EnvLookup& env, const SettingsLayer& run,
                                                  const SettingsLayer& profile);

}  // namespace labctl::ssh
