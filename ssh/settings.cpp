#include "ssh/settings.hpp"

#include <initializer_list>
#include <optional>

namespace labctl::ssh {
namespace {

// The first of `names` set to a non-empty value.
std::optional<std::string> from_env(const EnvLookup& env,
                                    std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (auto value = env(name); value && !value->empty()) return value;
  }
  return std::nullopt;
}

// env > run > profile > fallback for one string setting.
std::string pick(const EnvLookup& env, std::initializer_list<const char*> names,
                 const std::string& run, const std::string& profile, const std::string& fallback) {
  if (auto value = from_env(env, names)) return *value;
  if (!run.empty()) return run;
  if (!profile.empty()) return profile;
  return fallback;
}

std::string text_of(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

SettingsLayer layer_from_meta(const nlohmann::json& meta) {
  return {text_of(meta, "key_file"), text_of(meta, "known_hosts"), text_of(meta, "user")};
}

Expected<Resolved> resolve_settings(const EnvLookup& env, const SettingsLayer& run,
                                    const SettingsLayer& profile) {
  auto timeout = env::whole_number(env, "CE_SSH_CONNECT_TIMEOUT", SshSettings{}.connect_timeout_s,
                                   1, k_max_connect_timeout_s);
  if (!timeout) return std::unexpected(timeout.error());
  Resolved resolved;
  SshSettings& session = resolved.session;
  session.key_file = pick(env, {"SSH_KEY_FILE"}, run.key_file, profile.key_file, "");
  session.agent_socket = from_env(env, {"SSH_AUTH_SOCK"}).value_or("");
  const std::string home = from_env(env, {"HOME"}).value_or("/root");
  session.known_hosts = pick(env, {"CE_SSH_KNOWN_HOSTS", "CE_SSH_USER_KNOWN_HOSTS_FILE"},
                             run.known_hosts, profile.known_hosts, home + "/.ssh/known_hosts");
  session.policy =
      parse_host_key_policy(from_env(env, {"CE_SSH_STRICT_HOST_KEY_CHECKING"}).value_or("yes"));
  session.connect_timeout_s = static_cast<long>(*timeout);
  resolved.user =
      pick(env, {"CE_SSH_USER", "SSH_USER", "CLIENT_SSH_USER"}, run.user, profile.user, "ubuntu");
  return resolved;
}

}  // namespace labctl::ssh
