#pragma once

#include <memory>

#include "core/env.hpp"
#include "providers/provider.hpp"
#include "ssh/session.hpp"

namespace labctl::providers {

// Pre-provisioned hosts from the profile's onprem inventory: nothing to create or delete. `env`
// supplies the SSH settings (onprem_ssh_settings).
[[nodiscard]] std::unique_ptr<Provider> make_onprem_provider(EnvLookup env);

// The SSH settings onprem connects with, given the run's "ssh" meta (`meta`): those of
// ssh/settings.hpp (env > run meta > default; no profile field is an SSH setting here: an
// inventory host's user and jump belong to its endpoint), except that host keys are always
// checked strictly whatever CE_SSH_STRICT_HOST_KEY_CHECKING says: an unknown or changed key
// fails closed, since these are machines we did not create. ExitCode::usage for a bad number.
[[nodiscard]] Expected<ssh::SshSettings> onprem_ssh_settings(const EnvLookup& env,
                                                             const nlohmann::json& meta);

}  // namespace labctl::providers
