#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "tests/support/spawn.hpp"

namespace labctl::testing {

// A stand-in for one cloud instance: a network namespace whose eth0 holds `address` (the
// instance's public IP, from a fake's 198.18.0.0/15), a veth to this namespace with a /32 route
// to it (nothing else in this namespace's routing changes), and a real sshd listening on it with
// its own host key and `authorized_key` allowed for root. tests/integration/matrix/netns_lab
// builds its hosts at fixed addresses behind a hub namespace, where a cloud fake on this
// namespace's loopback is out of reach; this one needs the address the fake chose.
// One per process at a time: the namespace is named after this process's pid.
class InstanceStandIn {
 public:
  // Why a stand-in cannot be built here ("" when it can): not root, or sshd, ssh-keygen or ip
  // (iproute2) missing. A test skips with it.
  [[nodiscard]] static std::string unavailable();

  // Builds it with its files (host key, sshd_config, authorized_keys) in `dir`; throws
  // std::runtime_error naming the step that failed, with nothing left behind.
  InstanceStandIn(const std::filesystem::path& dir, std::string address,
                  const std::string& authorized_key);
  // Stops the sshd and anything else in the namespace, then removes the namespace.
  ~InstanceStandIn();
  InstanceStandIn(const InstanceStandIn&) = delete;
  InstanceStandIn& operator=(const InstanceStandIn&) = delete;

  // The known_hosts line that names the stand-in's address with its host key.
  [[nodiscard]] std::string known_hosts_line() const;

 private:
  void build(const std::string& authorized_key);
  void teardown() noexcept;

  std::filesystem::path m_dir;
  std::string m_address;
  std::string m_near;
  std::string m_ns;
  std::string m_veth;
  std::unique_ptr<Spawned> m_sshd;
};

}  // namespace labctl::testing
