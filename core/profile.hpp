#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace labctl::profile {

// A lab node: a router or a client at a site.
struct Node {
  std::string name;  // unique within the profile, e.g. aws-router-a
  std::string role;  // router-a (active), router-b (standby), router, client
};

struct Site {
  std::string name;             // onprem, aws, azure, oci, or any [a-z0-9-] name
  std::string provider;         // which provider hosts it
  std::string logical_address;  // the client's address on the shared logical /24
  std::vector<Node> nodes;
  std::string at;               // "file:line: " of the site, for messages about it
};

struct SshEndpoint {
  std::string host;
  int port = 22;
  std::string user;
  std::string jump;  // user@host[:port] of a jump host, empty for none
};

struct AwsImage {
  std::string id;            // ami-..., or empty to resolve owner+name_pattern
  std::string owner;         // e.g. "amazon" (an alias, never an account id in a profile)
  std::string name_pattern;  // e.g. "al2023-ami-2023.*-x86_64"
};

struct AwsSettings {
  std::string region;                // where up creates the lab
  std::vector<std::string> regions;  // allowlist; down --expired scans these (CE_AWS_REGIONS)
  std::string instance_type = "t3.micro";
  AwsImage image;
  std::string operator_cidr;         // SSH ingress source; 0.0.0.0/0 only if allow_any_ssh
  bool allow_any_ssh = false;
  std::string network = "dedicated";  // "dedicated" or "existing"
  std::string subnet_id;              // with network: existing
  std::string vpc_cidr = "10.240.0.0/16";
  std::string subnet_cidr = "10.240.1.0/24";
  std::string ssh_user = "ec2-user";
};

// The azure part of a profile (README, "Azure"). Every resource of a run lives in one resource
// group, `<resource_group_prefix>-<run-id>`, in `region`.
struct AzureImage {  // a Marketplace image reference
  std::string publisher = "Canonical";
  std::string offer = "0001-com-ubuntu-server-jammy";
  std::string sku = "22_04-lts-gen2";
  std::string version = "latest";
};

struct AzureSettings {
  std::string region;        // the location, e.g. "eastus"
  std::string subscription;  // a GUID; AZURE_SUBSCRIPTION_ID wins when set
  std::string shape = "Standard_B1s";  // the VM size
  AzureImage image;
  std::string operator_cidr;  // SSH ingress source; 0.0.0.0/0 only if allow_any_ssh
  bool allow_any_ssh = false;
  std::string resource_group_prefix = "labctl";
  std::string vnet_cidr = "10.241.0.0/16";
  std::string subnet_cidr = "10.241.1.0/24";
  std::string ssh_user = "azureuser";
};

// The oci part of a profile (README, "OCI"). A run's lab is one VCN, its subnet, internet
// gateway, route table and security list, and the instances, in `compartment`.
struct OciSettings {
  std::string region;       // e.g. "us-ashburn-1"; must be the credentials' region
  std::string compartment;  // compartment OCID; empty: the tenancy's root compartment
  std::string availability_domain;  // empty: the region's first, asked of Identity at up
  std::string shape = "VM.Standard.E4.Flex";
  double ocpus = 1;           // shapeConfig of a flexible shape (".Flex"); else unused
  double memory_gbs = 8;
  std::string image;          // image OCID; required for a live up
  std::string operator_cidr;  // SSH ingress source; 0.0.0.0/0 only if allow_any_ssh
  bool allow_any_ssh = false;
  std::string vcn_cidr = "10.242.0.0/16";
  std::string subnet_cidr = "10.242.1.0/24";
  std::string ssh_user = "opc";
};

struct OnpremHost {
  std::string name;  // node name
  std::string role;
  SshEndpoint ssh;
};

struct OnpremSettings {
  std::vector<OnpremHost> hosts;
  std::map<std::string, std::string> fault_commands;  // fault name -> remote command
};

// The remote commands of one node fault (profile key node_faults.<fault>): `inject` puts the
// fault in, `restore` (optional) takes it out again. Both run through the login shell of the
// node's SSH user.
struct NodeFaultCommands {
  std::string inject;
  std::string restore;
  std::string at;  // "file:line: " of the entry, for messages about it
};

// The faults a profile may give node commands for (node_faults keys): the three faults on a
// node's operating system, and stop-active for providers with no API that stops a machine.
[[nodiscard]] const std::vector<std::string>& node_fault_names();

struct LocalSettings {
  std::string subnet = "198.18.0.0/24";  // the clients' shared logical /24
  std::string transit = "198.19.0.0/24"; // router-to-router links
};

struct DeploySettings {
  std::string build_command = "make dist";
  std::string artifact;        // path (relative to the worktree) the build produces
  std::string remote_path = "/tmp/labctl-deploy";
  std::string install_command;
  std::string restart_command;
};

struct Profile {
  std::string name;
  std::string description;
  std::filesystem::path path;           // where it was loaded from
  std::string at;                       // "file:line: " of the profile's top, for messages
  std::vector<std::string> providers;   // default provider list, declared order
  std::string ttl = "4h";
  std::vector<Site> sites;
  std::map<std::string, std::vector<std::string>> matrices;  // name -> site names
  AwsSettings aws;
  OciSettings oci;
  AzureSettings azure;
  OnpremSettings onprem;
  LocalSettings local;
  DeploySettings deploy;
  // node_faults: fault name -> its commands, as given (defaults live with the fault runner,
  // providers/node_faults.hpp).
  std::map<std::string, NodeFaultCommands> node_faults;

  [[nodiscard]] const Site* find_site(const std::string& name) const;
};

// The folder holding the shipped profiles: $LABCTL_PROFILE_DIR, else <exe dir>/../share/labctl/
// profiles, else the source tree's profiles/ (for a build tree).
[[nodiscard]] std::filesystem::path shipped_dir();

// A profile file is at most 1 MiB (README, "Limits"); a larger file, a FIFO or a device is
// refused before it is parsed.
inline constexpr std::size_t k_max_profile_bytes = std::size_t{1} << 20U;

// The names a profile may give a provider (a site's `provider`, the `providers` list). core/
// knows no provider: the registry supplies them (providers::load_profile). `known` are offered
// in messages; `test_only` (lifecycle-test providers) are accepted too.
struct ProviderNames {
  std::vector<std::string> known;
  std::vector<std::string> test_only;
};

// Checks every provider `profile` names against `names`: a usage error
// "file:line: unknown provider \"x\" (did you mean ...) (want a|b|...)" otherwise.
[[nodiscard]] Expected<void> check_provider_names(const Profile& profile,
                                                  const ProviderNames& names);

// Loads a profile by shipped name (minimal, provider, full, soak, local) or by path. Unknown
// and duplicate keys, wrong types, a second YAML document, a missing or empty `sites`,
// malformed addresses, CIDRs and ports, and lists naming an item twice are rejected with
// "file:line: ..." (ExitCode::usage). Provider names are not checked here: see
// check_provider_names.
[[nodiscard]] Expected<Profile> load(const std::string& name_or_path);

// Parses YAML text; `origin` names the file in error messages.
[[nodiscard]] Expected<Profile> parse(const std::string& yaml_text,
                                      const std::filesystem::path& origin);

}  // namespace labctl::profile
