#include "core/profile.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <list>
#include <set>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/duration.hpp"
#include "core/env.hpp"
#include "core/suggest.hpp"
#include "core/text.hpp"

namespace labctl::profile {
namespace {

// The start of the second YAML document in `text`, if there is one. A parser that stops at the
// second document: yaml-cpp 0.7's LoadAll never returns on some malformed input (the three
// bytes "\n,\n" yield empty documents forever while memory grows; found by fuzz_profile).
class DocumentCounter : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { m_marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
  [[nodiscard]] const std::vector<YAML::Mark>& marks() const { return m_marks; }

 private:
  std::vector<YAML::Mark> m_marks;
};

std::optional<YAML::Mark> second_document(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentCounter counter;
  for (int documents = 0; documents < 2 && parser.HandleNextDocument(counter); ++documents) {
  }
  if (counter.marks().size() < 2) return std::nullopt;
  return counter.marks()[1];
}

namespace fs = std::filesystem;

const std::vector<std::string> k_shipped{"minimal", "provider", "full", "soak", "local"};
const std::vector<std::string> k_roles{"router-a", "router-b", "router", "client"};

// Thrown inside the loader only; parse() turns it into an Error. Keeps the many field reads
// below free of error plumbing while every message still carries file:line.
struct ProfileError {
  std::string message;
};

std::string at_mark(const fs::path& origin, const YAML::Mark& mark) {
  return origin.string() + ":" + std::to_string(mark.line + 1) + ": ";
}

// Checks the whole document before any field is read, because yaml-cpp silently keeps the first
// of two equal keys and shares aliased nodes: every mapping key must be a scalar and unique,
// every scalar valid UTF-8, nesting at most k_max_depth and the walk (aliases counted each time
// they are used) at most k_max_nodes nodes, so an alias bomb costs a bounded time.
class DocumentCheck {
 public:
  explicit DocumentCheck(const fs::path& origin) : m_origin(origin) {}

  void walk(const YAML::Node& node, std::size_t depth = 0) {
    if (++m_nodes > k_max_nodes) {
      throw ProfileError{at_mark(m_origin, node.Mark()) + "the profile has more than " +
                         std::to_string(k_max_nodes) + " nodes (counting aliases)"};
    }
    if (depth > k_max_depth) {
      throw ProfileError{at_mark(m_origin, node.Mark()) + "nested deeper than " +
                         std::to_string(k_max_depth) + " levels"};
    }
    if (node.IsScalar()) {
      if (!text::is_valid_utf8(node.Scalar())) {
        throw ProfileError{at_mark(m_origin, node.Mark()) + "a value is not valid UTF-8"};
      }
    } else if (node.IsSequence()) {
      for (const auto& item : node) walk(item, depth + 1);
    } else if (node.IsMap()) {
      std::set<std::string> keys;
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (!it->first.IsScalar()) {
          throw ProfileError{at_mark(m_origin, it->first.Mark()) + "a key must be a plain name"};
        }
        walk(it->first, depth + 1);
        if (!keys.insert(it->first.Scalar()).second) {
          throw ProfileError{at_mark(m_origin, it->first.Mark()) + "duplicate key \"" +
                             text::printable(it->first.Scalar(), 80) +
                             "\" (each key may appear once in a mapping)"};
        }
        walk(it->second, depth + 1);
      }
    }
  }

 private:
  static constexpr std::size_t k_max_depth = 32;
  static constexpr std::size_t k_max_nodes = 100000;
  const fs::path& m_origin;
  std::size_t m_nodes = 0;
};

// An IPv4 or IPv6 address in its usual text form.
bool is_ip_address(const std::string& text) {
  std::array<unsigned char, 16> buffer{};
  return inet_pton(AF_INET, text.c_str(), buffer.data()) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buffer.data()) == 1;
}

// Why `text` is not an IPv4 network "a.b.c.d/len" with its host bits zero; empty when it is.
std::string ipv4_cidr_problem(const std::string& text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string::npos) return "is not an IPv4 network (no /prefix length)";
  const std::string address = text.substr(0, slash);
  const std::string_view length = std::string_view(text).substr(slash + 1);
  std::uint32_t network = 0;
  if (inet_pton(AF_INET, address.c_str(), &network) != 1) return "is not an IPv4 address/prefix";
  unsigned prefix = 0;
  const auto [end, error] = std::from_chars(length.data(), length.data() + length.size(), prefix);
  if (length.empty() || error != std::errc() || end != length.data() + length.size() ||
      prefix > 32 || (length.size() > 1 && length.front() == '0')) {
    return "has a prefix length that is not 0..32";
  }
  const std::uint32_t host_mask = prefix == 32 ? 0U : (0xFFFFFFFFU >> prefix);
  if ((ntohl(network) & host_mask) != 0) return "has host bits set (give the network address)";
  return {};
}

// Reads one YAML mapping, rejecting keys it was not asked about.
class MapReader {
 public:
  MapReader(const YAML::Node& node, const fs::path& origin, std::string where)
      : m_node(node), m_origin(origin), m_where(std::move(where)) {
    if (!node.IsMap()) throw ProfileError{at(node) + m_where + " must be a mapping"};
  }

  std::string at(const YAML::Node& node) const {
    return m_origin.string() + ":" + std::to_string(node.Mark().line + 1) + ": ";
  }

  const YAML::Node* find(const std::string& key) {
    m_known.push_back(key);
    for (auto it = m_node.begin(); it != m_node.end(); ++it) {
      if (it->first.as<std::string>() == key) {
        m_values.push_back(it->second);
        return &m_values.back();
      }
    }
    return nullptr;
  }

  void read(const std::string& key, std::string& out, bool required = false) {
    const YAML::Node* value = find(key);
    if (value == nullptr) {
      if (required) throw ProfileError{at(m_node) + m_where + ": missing key \"" + key + "\""};
      return;
    }
    if (!value->IsScalar()) throw ProfileError{at(*value) + key + " must be a string"};
    out = value->as<std::string>();
  }

  void read(const std::string& key, int& out) {
    const YAML::Node* value = find(key);
    if (value == nullptr) return;
    try {
      out = value->as<int>();
    } catch (const YAML::Exception&) {
      throw ProfileError{at(*value) + key + " must be an integer"};
    }
  }

  // A number in [min, max] (an OCI shape's ocpus, its memory in GB).
  void read_range(const std::string& key, double& out, double min, double max) {
    const YAML::Node* value = find(key);
    if (value == nullptr) return;
    try {
      out = value->as<double>();
    } catch (const YAML::Exception&) {
      throw ProfileError{at(*value) + key + " must be a number"};
    }
    if (!(out >= min && out <= max)) {  // NaN fails too
      throw ProfileError{at(*value) + key + " " + text::printable(value->Scalar(), 40) +
                         " is out of range (want " + std::to_string(static_cast<int>(min)) +
                         ".." + std::to_string(static_cast<int>(max)) + ")"};
    }
  }

  void read_port(const std::string& key, int& out) {
    read(key, out);
    if (out < 1 || out > 65535) {  // only when given: the default is a valid port
      throw ProfileError{at(*find(key)) + key + " " + std::to_string(out) +
                         " is not a TCP port (want 1..65535)"};
    }
  }

  void read(const std::string& key, bool& out) {
    const YAML::Node* value = find(key);
    if (value == nullptr) return;
    try {
      out = value->as<bool>();
    } catch (const YAML::Exception&) {
      throw ProfileError{at(*value) + key + " must be true or false"};
    }
  }

  void read(const std::string& key, std::vector<std::string>& out) {
    const YAML::Node* value = find(key);
    if (value == nullptr) return;
    if (!value->IsSequence()) throw ProfileError{at(*value) + key + " must be a list"};
    out.clear();
    for (const auto& item : *value) {
      if (!item.IsScalar()) throw ProfileError{at(item) + key + " items must be strings"};
      if (std::find(out.begin(), out.end(), item.Scalar()) != out.end()) {
        throw ProfileError{at(item) + key + " lists \"" + text::printable(item.Scalar(), 80) +
                           "\" twice"};
      }
      out.push_back(item.Scalar());
    }
  }

  // A string key that, when given, must be an IPv4 network (operator_cidr, vpc_cidr, ...).
  void read_cidr(const std::string& key, std::string& out) {
    const YAML::Node* value = find(key);
    if (value == nullptr) return;
    if (!value->IsScalar()) throw ProfileError{at(*value) + key + " must be a string"};
    out = value->Scalar();
    if (const std::string problem = ipv4_cidr_problem(out); !problem.empty()) {
      throw ProfileError{at(*value) + key + " \"" + text::printable(out, 80) + "\" " + problem +
                         " (want a.b.c.d/len, e.g. 198.51.100.0/24)"};
    }
  }

  // Call after reading every key: any other key is an error with a suggestion.
  void reject_unknown() const {
    for (auto it = m_node.begin(); it != m_node.end(); ++it) {
      const std::string key = it->first.as<std::string>();
      if (std::find(m_known.begin(), m_known.end(), key) == m_known.end()) {
        throw ProfileError{at(it->first) + "unknown key \"" + key + "\" in " + m_where +
                           did_you_mean(key, m_known)};
      }
    }
  }

  const fs::path& origin() const { return m_origin; }

 private:
  YAML::Node m_node;
  const fs::path& m_origin;
  std::string m_where;
  std::vector<std::string> m_known;
  std::list<YAML::Node> m_values;
};

void check_one_of(const MapReader& reader, const YAML::Node& node, const std::string& what,
                  const std::string& value, const std::vector<std::string>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
    throw ProfileError{reader.at(node) + "unknown " + what + " \"" + value + "\"" +
                       did_you_mean(value, allowed) + " (want " + join(allowed, "|") + ")"};
  }
}

Node read_node(const YAML::Node& yaml, const fs::path& origin) {
  MapReader r(yaml, origin, "node");
  Node node;
  r.read("name", node.name, true);
  r.read("role", node.role, true);
  r.reject_unknown();
  check_one_of(r, yaml, "role", node.role, k_roles);
  return node;
}

Site read_site(const YAML::Node& yaml, const fs::path& origin) {
  MapReader r(yaml, origin, "site");
  Site site;
  r.read("name", site.name, true);
  r.read("provider", site.provider, true);
  r.read("logical_address", site.logical_address);
  if (!site.logical_address.empty() && !is_ip_address(site.logical_address)) {
    throw ProfileError{r.at(*r.find("logical_address")) + "logical_address \"" +
                       text::printable(site.logical_address, 80) +
                       "\" is not an IPv4 or IPv6 address"};
  }
  if (const auto* nodes = r.find("nodes")) {
    if (!nodes->IsSequence()) throw ProfileError{r.at(*nodes) + "nodes must be a list"};
    for (const auto& item : *nodes) site.nodes.push_back(read_node(item, origin));
  }
  r.reject_unknown();
  site.at = r.at(yaml);
  return site;
}

void read_aws(const YAML::Node& yaml, const fs::path& origin, AwsSettings& aws) {
  MapReader r(yaml, origin, "aws");
  r.read("region", aws.region);
  r.read("regions", aws.regions);
  r.read("instance_type", aws.instance_type);
  if (const auto* image = r.find("image")) {
    MapReader ir(*image, origin, "aws.image");
    ir.read("id", aws.image.id);
    ir.read("owner", aws.image.owner);
    ir.read("name", aws.image.name_pattern);
    ir.reject_unknown();
    if (aws.image.id.empty() && (aws.image.owner.empty() || aws.image.name_pattern.empty())) {
      throw ProfileError{ir.at(*image) + "aws.image needs either id, or owner and name"};
    }
  }
  r.read_cidr("operator_cidr", aws.operator_cidr);
  r.read("allow_any_ssh", aws.allow_any_ssh);
  r.read("network", aws.network);
  r.read("subnet_id", aws.subnet_id);
  r.read_cidr("vpc_cidr", aws.vpc_cidr);
  r.read_cidr("subnet_cidr", aws.subnet_cidr);
  r.read("ssh_user", aws.ssh_user);
  r.reject_unknown();
  check_one_of(r, yaml, "aws.network", aws.network, {"dedicated", "existing"});
  if (aws.regions.empty() && !aws.region.empty()) aws.regions.push_back(aws.region);
  if (!aws.region.empty() &&
      std::find(aws.regions.begin(), aws.regions.end(), aws.region) == aws.regions.end()) {
    throw ProfileError{r.at(yaml) + "aws.region \"" + aws.region +
                       "\" is not in the aws.regions allowlist"};
  }
}

void read_azure(const YAML::Node& yaml, const fs::path& origin, AzureSettings& azure) {
  MapReader r(yaml, origin, "azure");
  r.read("region", azure.region);
  r.read("subscription", azure.subscription);
  r.read("shape", azure.shape);
  if (const auto* image = r.find("image")) {
    MapReader ir(*image, origin, "azure.image");
    ir.read("publisher", azure.image.publisher);
    ir.read("offer", azure.image.offer);
    ir.read("sku", azure.image.sku);
    ir.read("version", azure.image.version);
    ir.reject_unknown();
  }
  r.read_cidr("operator_cidr", azure.operator_cidr);
  r.read("allow_any_ssh", azure.allow_any_ssh);
  r.read("resource_group_prefix", azure.resource_group_prefix);
  r.read_cidr("vnet_cidr", azure.vnet_cidr);
  r.read_cidr("subnet_cidr", azure.subnet_cidr);
  r.read("ssh_user", azure.ssh_user);
  r.reject_unknown();
}

void read_oci(const YAML::Node& yaml, const fs::path& origin, OciSettings& oci) {
  MapReader r(yaml, origin, "oci");
  r.read("region", oci.region);
  r.read("compartment", oci.compartment);
  r.read("availability_domain", oci.availability_domain);
  r.read("shape", oci.shape);
  r.read_range("ocpus", oci.ocpus, 1, 64);
  r.read_range("memory_gbs", oci.memory_gbs, 1, 1024);
  r.read("image", oci.image);
  r.read_cidr("operator_cidr", oci.operator_cidr);
  r.read("allow_any_ssh", oci.allow_any_ssh);
  r.read_cidr("vcn_cidr", oci.vcn_cidr);
  r.read_cidr("subnet_cidr", oci.subnet_cidr);
  r.read("ssh_user", oci.ssh_user);
  r.reject_unknown();
}

SshEndpoint read_ssh(const YAML::Node& yaml, const fs::path& origin) {
  MapReader r(yaml, origin, "ssh");
  SshEndpoint ssh;
  r.read("host", ssh.host, true);
  r.read_port("port", ssh.port);
  r.read("user", ssh.user);
  r.read("jump", ssh.jump);
  r.reject_unknown();
  return ssh;
}

void read_onprem(const YAML::Node& yaml, const fs::path& origin, OnpremSettings& onprem) {
  MapReader r(yaml, origin, "onprem");
  if (const auto* hosts = r.find("hosts")) {
    if (!hosts->IsSequence()) throw ProfileError{r.at(*hosts) + "onprem.hosts must be a list"};
    for (const auto& item : *hosts) {
      MapReader hr(item, origin, "onprem host");
      OnpremHost host;
      hr.read("name", host.name, true);
      hr.read("role", host.role, true);
      const auto* ssh = hr.find("ssh");
      if (ssh == nullptr) throw ProfileError{hr.at(item) + "onprem host: missing key \"ssh\""};
      host.ssh = read_ssh(*ssh, origin);
      hr.reject_unknown();
      check_one_of(hr, item, "role", host.role, k_roles);
      onprem.hosts.push_back(std::move(host));
    }
  }
  if (const auto* commands = r.find("fault_commands")) {
    if (!commands->IsMap()) {
      throw ProfileError{r.at(*commands) + "onprem.fault_commands must be a mapping"};
    }
    for (auto it = commands->begin(); it != commands->end(); ++it) {
      if (!it->second.IsScalar()) {
        throw ProfileError{r.at(it->second) + "onprem.fault_commands values must be strings"};
      }
      onprem.fault_commands[it->first.Scalar()] = it->second.Scalar();
    }
  }
  r.reject_unknown();
}

// node_faults: a mapping of fault name -> {inject, restore?}.
void read_node_faults(const YAML::Node& yaml, const fs::path& origin,
                      std::map<std::string, NodeFaultCommands>& out) {
  if (!yaml.IsMap()) {
    throw ProfileError{at_mark(origin, yaml.Mark()) + "node_faults must be a mapping of fault "
                                                      "name -> {inject, restore}"};
  }
  const auto& names = node_fault_names();
  for (auto it = yaml.begin(); it != yaml.end(); ++it) {
    const std::string name = it->first.as<std::string>();
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      throw ProfileError{at_mark(origin, it->first.Mark()) + "unknown node fault \"" +
                         text::printable(name, 80) + "\" in node_faults" +
                         did_you_mean(name, names) + " (want " + join(names, "|") + ")"};
    }
    MapReader r(it->second, origin, "node_faults." + name);
    NodeFaultCommands commands;
    r.read("inject", commands.inject, true);
    r.read("restore", commands.restore);
    r.reject_unknown();
    if (commands.inject.empty()) {
      throw ProfileError{r.at(it->second) + "node_faults." + name + ".inject is empty (give "
                                                                    "the command that injects it)"};
    }
    commands.at = r.at(it->second);
    out[name] = std::move(commands);
  }
}

Profile read_profile(const YAML::Node& root, const fs::path& origin) {
  MapReader r(root, origin, "profile");
  Profile p;
  p.path = origin;
  p.at = r.at(root);
  r.read("name", p.name, true);
  r.read("description", p.description);
  r.read("providers", p.providers);
  r.read("ttl", p.ttl);
  const auto* sites = r.find("sites");
  if (sites == nullptr) {
    throw ProfileError{r.at(root) + "profile: missing key \"sites\" (the lab's sites, each "
                                    "with name, provider and nodes)"};
  }
  if (!sites->IsSequence() || sites->size() == 0) {
    throw ProfileError{r.at(*sites) + "sites must be a list of at least one site"};
  }
  for (const auto& item : *sites) p.sites.push_back(read_site(item, origin));
  if (const auto* matrices = r.find("matrices")) {
    if (!matrices->IsMap()) throw ProfileError{r.at(*matrices) + "matrices must be a mapping"};
    for (auto it = matrices->begin(); it != matrices->end(); ++it) {
      // Copies: yaml-cpp's iterator hands out a temporary proxy, so a reference into
      // it->second would dangle in the loop below.
      const std::string name = it->first.as<std::string>();
      const YAML::Node list = it->second;
      if (!list.IsSequence()) {
        throw ProfileError{r.at(list) + "matrix \"" + name + "\" must be a list of site names"};
      }
      auto& matrix_sites = p.matrices[name];
      for (const auto& site : list) {
        if (!site.IsScalar()) throw ProfileError{r.at(site) + "matrix site names must be strings"};
        if (std::find(matrix_sites.begin(), matrix_sites.end(), site.Scalar()) !=
            matrix_sites.end()) {
          throw ProfileError{r.at(site) + "matrix \"" + name + "\" lists site \"" +
                             site.Scalar() + "\" twice"};
        }
        matrix_sites.push_back(site.Scalar());
      }
    }
  }
  if (const auto* aws = r.find("aws")) read_aws(*aws, origin, p.aws);
  if (const auto* oci = r.find("oci")) read_oci(*oci, origin, p.oci);
  if (const auto* azure = r.find("azure")) read_azure(*azure, origin, p.azure);
  if (const auto* onprem = r.find("onprem")) read_onprem(*onprem, origin, p.onprem);
  if (const auto* faults = r.find("node_faults")) read_node_faults(*faults, origin, p.node_faults);
  if (const auto* local = r.find("local")) {
    MapReader lr(*local, origin, "local");
    lr.read_cidr("subnet", p.local.subnet);
    lr.read_cidr("transit", p.local.transit);
    lr.reject_unknown();
  }
  if (const auto* deploy = r.find("deploy")) {
    MapReader dr(*deploy, origin, "deploy");
    dr.read("build_command", p.deploy.build_command);
    dr.read("artifact", p.deploy.artifact);
    dr.read("remote_path", p.deploy.remote_path);
    dr.read("install_command", p.deploy.install_command);
    dr.read("restart_command", p.deploy.restart_command);
    dr.reject_unknown();
  }
  r.reject_unknown();

  // Cross-field checks, each pointing at the profile's top line (the fields are known).
  if (auto ttl = parse_duration(p.ttl); !ttl) {
    throw ProfileError{r.at(root) + "ttl: " + ttl.error().message};
  }
  std::set<std::string> node_names, site_names;
  for (const auto& site : p.sites) {
    if (!site_names.insert(site.name).second) {
      throw ProfileError{r.at(root) + "site \"" + site.name + "\" is declared twice"};
    }
    for (const auto& node : site.nodes) {
      if (!node_names.insert(node.name).second) {
        throw ProfileError{r.at(root) + "node \"" + node.name + "\" is declared twice"};
      }
    }
  }
  const std::vector<std::string> declared(site_names.begin(), site_names.end());
  for (const auto& [matrix, members] : p.matrices) {
    for (const auto& site : members) {
      if (!site_names.contains(site)) {
        throw ProfileError{r.at(root) + "matrix \"" + matrix + "\" names unknown site \"" +
                           site + "\"" + did_you_mean(site, declared)};
      }
    }
  }
  return p;
}

fs::path exe_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

}  // namespace

const std::vector<std::string>& node_fault_names() {
  static const std::vector<std::string> names{"drain", "routerd-bgp-stop", "heartbeat-stop",
                                              "stop-active"};
  return names;
}

const Site* Profile::find_site(const std::string& site_name) const {
  for (const auto& site : sites) {
    if (site.name == site_name) return &site;
  }
  return nullptr;
}

fs::path shipped_dir() {
  if (const auto dir = env::get("LABCTL_PROFILE_DIR"); dir && !dir->empty()) return *dir;
  std::error_code ec;
  const fs::path installed = exe_dir() / ".." / "share" / "labctl" / "profiles";
  if (fs::is_directory(installed, ec)) return installed;
  return fs::path(LABCTL_SOURCE_DIR) / "profiles";
}

Expected<Profile> parse(const std::string& yaml_text, const fs::path& origin) {
  if (yaml_text.size() > k_max_profile_bytes) {
    return fail(ExitCode::usage, origin.string() + ": " + std::to_string(yaml_text.size()) +
                                     " bytes, more than the profile limit of " +
                                     std::to_string(k_max_profile_bytes));
  }
  try {
    if (const auto second = second_document(yaml_text)) {
      return fail(ExitCode::usage, at_mark(origin, *second) +
                                       "a second YAML document (---): a profile is one document");
    }
    const YAML::Node document = YAML::Load(yaml_text);
    if (!document || document.IsNull()) {
      return fail(ExitCode::usage, origin.string() + ": the profile is empty");
    }
    DocumentCheck(origin).walk(document);
    return read_profile(document, origin);
  } catch (const ProfileError& e) {
    return fail(ExitCode::usage, e.message);
  } catch (const YAML::Exception& e) {
    return fail(ExitCode::usage, origin.string() + ":" + std::to_string(e.mark.line + 1) +
                                     ": " + e.msg);
  }
}

Expected<void> check_provider_names(const Profile& profile, const ProviderNames& names) {
  const auto unknown = [](const std::string& at, const std::string& value,
                          const std::vector<std::string>& allowed) {
    return fail(ExitCode::usage, at + "unknown provider \"" + value + "\"" +
                                     did_you_mean(value, allowed) + " (want " +
                                     join(allowed, "|") + ")");
  };
  std::vector<std::string> any = names.known;
  any.insert(any.end(), names.test_only.begin(), names.test_only.end());
  for (const auto& site : profile.sites) {
    if (std::ranges::find(any, site.provider) == any.end()) {
      return unknown(site.at, site.provider, any);
    }
  }
  for (const auto& provider : profile.providers) {
    if (std::ranges::find(any, provider) == any.end()) {
      return unknown(profile.at, provider, names.known);
    }
  }
  return {};
}

Expected<Profile> load(const std::string& name_or_path) {
  const bool looks_like_path = name_or_path.find('/') != std::string::npos ||
                               name_or_path.ends_with(".yaml") || name_or_path.ends_with(".yml");
  fs::path path;
  if (looks_like_path) {
    path = name_or_path;
  } else {
    if (std::find(k_shipped.begin(), k_shipped.end(), name_or_path) == k_shipped.end()) {
      return fail(ExitCode::usage, "unknown profile: " + name_or_path +
                                       did_you_mean(name_or_path, k_shipped) + " (want " +
                                       join(k_shipped, "|") + ", or a path to a .yaml file)");
    }
    path = shipped_dir() / (name_or_path + ".yaml");
  }
  auto text = read_file(path, k_max_profile_bytes);
  if (!text) {
    return fail(ExitCode::usage, "profile " + name_or_path + ": " + text.error().message);
  }
  return parse(*text, path);
}

}  // namespace labctl::profile
