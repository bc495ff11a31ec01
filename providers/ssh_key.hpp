#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"

// The SSH key pair of a run's cloud machines. Azure and OCI take the public half as OpenSSH text
// (the VM's osProfile, the instance's ssh_authorized_keys metadata); labctl keeps the private
// half in the run's directory (the run's "ssh" meta, providers/run_key.hpp).
namespace labctl::providers {

struct SshKeyPair {
  std::string private_pem;     // a secret: written 0600, never logged
  std::string public_openssh;  // "ssh-rsa AAAA... <comment>"
};

// A fresh RSA 3072 key pair (Azure's Linux VMs take only ssh-rsa). The private key is traditional
// PEM ("BEGIN RSA PRIVATE KEY"), which OpenSSH reads.
[[nodiscard]] Expected<SshKeyPair> generate_ssh_key(const std::string& comment);

// The OpenSSH public key line ("<type> <base64>") of a private key file's text: an OpenSSH
// private key (its public blob is stored in clear) or a PEM RSA/Ed25519 key. Encrypted or other
// keys are an error (ExitCode::usage) naming `what`, never quoting the key.
[[nodiscard]] Expected<std::string> public_key_of(std::string_view private_key,
                                                  const std::string& what);

}  // namespace labctl::providers::azure
