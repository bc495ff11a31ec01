#pragma once

#include <string>

#include "core/error.hpp"
#include "providers/provider.hpp"

// One SSH key per run serves every cloud of it: deploy, the matrix and node faults read one key
// file from the run's "ssh" meta ({key_file, user}), whichever provider made it.
namespace labctl::providers {

// The run's SSH public key (OpenSSH text) for the machines `provider` is about to create. When
// another provider of the run recorded a key already, its public half; otherwise a fresh RSA
// 3072 pair (providers/ssh_key.hpp), its private key written 0600 into
// <state>/runs/<run-id>/<provider>/ (both directories 0700) and recorded as the run's "ssh" meta
// {key_file, user: `ssh_user`}. The private key is never logged.
[[nodiscard]] Expected<std::string> run_public_key(const RunContext& ctx,
                                                   const std::string& provider,
                                                   const std::string& ssh_user);

}  // namespace labctl::providers
