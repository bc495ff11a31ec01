#include "core/profile.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>

#include "tests/support/temp_dir.hpp"

namespace labctl::profile {
namespace {

// The names the registry would supply (core/ knows no provider; see providers/registry).
const ProviderNames k_names{{"aws", "oci", "azure", "onprem", "local"}, {"testfs"}};

// Parses and checks provider names, as providers::load_profile does.
Expected<Profile> parse_text(const std::string& text) {
  auto parsed = parse(text, "lab.yaml");
  if (!parsed) return parsed;
  if (auto names = check_provider_names(*parsed, k_names); !names) {
    return std::unexpected(names.error());
  }
  return parsed;
}

// A site list that satisfies the loader, for tests about other keys (one line, so the line
// numbers of what follows move by one).
const std::string k_sites = "sites: [{name: a, provider: aws}]\n";

void expect_error(const std::string& text, const std::string& fragment) {
  const auto parsed = parse_text(text);
  ASSERT_FALSE(parsed) << "accepted:\n" << text;
  EXPECT_EQ(parsed.error().code, ExitCode::usage);
  EXPECT_NE(parsed.error().message.find(fragment), std::string::npos)
      << "message: " << parsed.error().message << "\nwanted: " << fragment;
}

TEST(ShippedProfiles, AllLoadWithTheOriginalDefaults) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> expected{
      {"minimal", {"onprem", "aws"}},
      {"provider", {"aws"}},
      {"full", {"aws", "oci", "azure", "onprem"}},
      {"soak", {"aws", "oci", "azure", "onprem"}},
      {"local", {"local"}}};
  for (const auto& [name, providers] : expected) {
    const auto loaded = load(name);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->name, name);
    EXPECT_EQ(loaded->providers, providers) << name;
    ASSERT_TRUE(loaded->matrices.contains("d3")) << name;
    EXPECT_EQ(loaded->matrices.at("d3").size(), 4u) << name;
  }
}

TEST(ShippedProfiles, UnknownNameSuggests) {
  const auto loaded = load("ful");
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("did you mean \"full\""), std::string::npos);
}

// Given a device, a FIFO without a writer or an oversized file as --profile, expect a usage
// error before any parsing: quickly, without blocking or growing memory.
TEST(LoadProfile, RefusesDevicesFifosAndOversizedFiles) {
  labctl::testing::TempDir tmp;
  const auto fifo = tmp.path() / "lab.yaml";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const auto big = tmp.path() / "big.yaml";
  labctl::testing::write_text(big, "name: x\n# " + std::string(k_max_profile_bytes, 'x') + "\n");
  for (const std::string& path : {std::string("/dev/zero"), fifo.string(), big.string()}) {
    const auto started = std::chrono::steady_clock::now();
    const auto loaded = load(path);
    ASSERT_FALSE(loaded) << path;
    EXPECT_EQ(loaded.error().code, ExitCode::usage);
    EXPECT_NE(loaded.error().message.find("profile " + path + ": cannot read"),
              std::string::npos)
        << loaded.error().message;
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  }
}

TEST(ParseProfile, UnknownKeyHasFileLineAndSuggestion) {
  expect_error("name: x\n" + k_sites + "aws:\n  regoin: us-east-1\n",
               "lab.yaml:4: unknown key \"regoin\" in aws (did you mean \"region\"?)");
}

TEST(ParseProfile, WrongTypesHaveFileLine) {
  expect_error("name: x\nproviders: aws\n" + k_sites, "lab.yaml:2: providers must be a list");
  expect_error("name: x\n" + k_sites + "aws:\n  allow_any_ssh: maybe\n",
               "lab.yaml:4: allow_any_ssh must be true or false");
  expect_error("name: x\n" + k_sites +
                   "onprem:\n  hosts:\n    - name: h\n      role: router\n      ssh:\n"
                   "        host: h.example\n        port: twenty-two\n",
               "lab.yaml:9: port must be an integer");
}

// Given an unknown provider in a site or in the providers list, expect the line of the site
// (or of the profile's top), a suggestion, and the names offered: test-only names are accepted
// everywhere but offered only for sites, as before the names moved to the registry.
TEST(CheckProviderNames, PointsAtTheLineAndSuggests) {
  expect_error("name: x\nsites:\n  - name: a\n    provider: awss\n",
               "lab.yaml:3: unknown provider \"awss\" (did you mean \"aws\"?) "
               "(want aws|oci|azure|onprem|local|testfs)");
  expect_error("name: x\nproviders: [aws, ocj]\n" + k_sites,
               "lab.yaml:1: unknown provider \"ocj\" (did you mean \"oci\"?) "
               "(want aws|oci|azure|onprem|local)");
  EXPECT_TRUE(parse_text("name: x\nproviders: [testfs]\nsites: [{name: a, provider: testfs}]\n"));
  const auto unchecked = parse("name: x\nsites:\n  - name: a\n    provider: aswx\n", "lab.yaml");
  EXPECT_TRUE(unchecked) << "parse leaves provider names to check_provider_names";
}

TEST(ParseProfile, SemanticErrors) {
  expect_error("description: no name\n" + k_sites, "missing key \"name\"");
  expect_error("name: x\nsites:\n  - name: a\n    provider: aswx\n", "unknown provider");
  expect_error("name: x\nsites:\n  - name: a\n    provider: aws\n    nodes:\n"
               "      - {name: n, role: boss}\n",
               "lab.yaml:6: unknown role \"boss\"");
  expect_error("name: x\nsites:\n  - name: a\n    provider: aws\n    nodes:\n"
               "      - {name: n, role: client}\n  - name: b\n    provider: aws\n    nodes:\n"
               "      - {name: n, role: client}\n",
               "node \"n\" is declared twice");
  expect_error("name: x\nsites:\n  - {name: onprem, provider: onprem}\nmatrices:\n"
               "  d3: [onprem, onprme]\n",
               "names unknown site \"onprme\" (did you mean \"onprem\"?)");
  expect_error("name: x\nttl: 0h\n" + k_sites, "ttl:");
  expect_error("name: x\n" + k_sites + "aws:\n  region: eu-west-1\n  regions: [us-east-1]\n",
               "not in the aws.regions allowlist");
  expect_error("name: [unclosed\n", "lab.yaml:");
}

TEST(ParseProfile, TypedSettings) {
  const auto parsed = parse_text(
      "name: x\nttl: 1h30m\n" + k_sites +
      "aws:\n  region: us-east-1\n  image: {owner: amazon, name: al2023-*}\n"
      "  operator_cidr: 198.51.100.0/24\n  network: existing\n  subnet_id: subnet-1\n");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->ttl, "1h30m");
  EXPECT_EQ(parsed->aws.regions, std::vector<std::string>{"us-east-1"});
  EXPECT_EQ(parsed->aws.image.name_pattern, "al2023-*");
  EXPECT_EQ(parsed->aws.network, "existing");
}

// Given node_faults entries, expect them typed with their line; given an unknown fault name, a
// stray key, a missing or empty inject or a non-mapping, expect file:line errors.
TEST(ParseProfile, NodeFaults) {
  const auto parsed = parse_text(
      "name: x\n" + k_sites +
      "node_faults:\n  drain: {inject: touch /run/drained, restore: rm /run/drained}\n"
      "  heartbeat-stop:\n    inject: sudo -n systemctl stop vrrpd\n");
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->node_faults.size(), 2u);
  EXPECT_EQ(parsed->node_faults.at("drain").inject, "touch /run/drained");
  EXPECT_EQ(parsed->node_faults.at("drain").restore, "rm /run/drained");
  EXPECT_EQ(parsed->node_faults.at("drain").at, "lab.yaml:4: ");
  EXPECT_EQ(parsed->node_faults.at("heartbeat-stop").restore, "");
  expect_error("name: x\n" + k_sites + "node_faults:\n  drian: {inject: a}\n",
               "lab.yaml:4: unknown node fault \"drian\" in node_faults (did you mean "
               "\"drain\"?)");
  expect_error("name: x\n" + k_sites + "node_faults:\n  drain: {inject: a, undo: b}\n",
               "lab.yaml:4: unknown key \"undo\" in node_faults.drain");
  expect_error("name: x\n" + k_sites + "node_faults:\n  drain: {restore: b}\n",
               "node_faults.drain: missing key \"inject\"");
  expect_error("name: x\n" + k_sites + "node_faults:\n  drain: {inject: \"\"}\n",
               "node_faults.drain.inject is empty");
  expect_error("name: x\n" + k_sites + "node_faults: [drain]\n",
               "lab.yaml:3: node_faults must be a mapping");
  expect_error("name: x\n" + k_sites + "node_faults:\n  drain: touch x\n",
               "node_faults.drain must be a mapping");
}

// Given a key written twice (yaml-cpp silently keeps the first), expect file:line of the second
// at every level: top, site, nested mapping, fault commands.
TEST(ParseProfile, DuplicateKeysAreErrorsWithFileLine) {
  expect_error("name: x\nname: y\n" + k_sites, "lab.yaml:2: duplicate key \"name\"");
  expect_error("name: x\nsites:\n  - name: a\n    provider: aws\n    provider: onprem\n",
               "lab.yaml:5: duplicate key \"provider\"");
  expect_error("name: x\n" + k_sites + "aws:\n  image: {owner: amazon, owner: me, name: n}\n",
               "lab.yaml:4: duplicate key \"owner\"");
  expect_error("name: x\n" + k_sites + "onprem:\n  fault_commands:\n    stop: a\n    stop: b\n",
               "lab.yaml:6: duplicate key \"stop\"");
  expect_error("name: x\n" + k_sites + "sites: []\n", "lab.yaml:3: duplicate key \"sites\"");
}

TEST(ParseProfile, SitesAreRequiredAndNotEmpty) {
  expect_error("name: x\nproviders: [aws]\n", "lab.yaml:1: profile: missing key \"sites\"");
  expect_error("name: x\nsites: []\n", "lab.yaml:2: sites must be a list of at least one site");
  expect_error("name: x\nsites: {a: b}\n", "lab.yaml:2: sites must be a list");
}

TEST(ParseProfile, LogicalAddressesAreParsed) {
  const auto site = [](const std::string& address) {
    return "name: x\nsites:\n  - name: a\n    provider: aws\n    logical_address: " + address +
           "\n";
  };
  for (const std::string bad : {"999.1.2.3", "10.0.0", "10.0.0.1/24", "banana", "1.2.3.4.5",
                                "010.0.0.1", "'10.0.0.1 '", "::g"}) {
    expect_error(site(bad), "lab.yaml:5: logical_address");
  }
  for (const std::string good : {"10.77.60.10", "198.18.0.11", "fd00::1", "'::1'"}) {
    const auto parsed = parse_text(site(good));
    EXPECT_TRUE(parsed) << good << ": " << parsed.error().message;
  }
}

TEST(ParseProfile, CidrsAreNetworksWithAPrefix) {
  for (const std::string bad : {"banana", "198.51.100.0", "198.51.100.0/33", "198.51.100.1/24",
                                "198.51.100.0/024", "198.51.100.0/", "198.51.100.0/x",
                                "999.0.0.0/8", "fd00::/8", "0.0.0.0/00"}) {
    expect_error("name: x\n" + k_sites + "aws:\n  operator_cidr: '" + bad + "'\n",
                 "lab.yaml:4: operator_cidr");
  }
  expect_error("name: x\n" + k_sites + "aws:\n  vpc_cidr: 10.240.0.0/99\n", "lab.yaml:4: vpc_cidr");
  expect_error("name: x\n" + k_sites + "aws:\n  subnet_cidr: nope\n", "lab.yaml:4: subnet_cidr");
  expect_error("name: x\n" + k_sites + "local:\n  subnet: 198.18.0.1/24\n", "lab.yaml:4: subnet");
  expect_error("name: x\n" + k_sites + "local:\n  transit: 300.19.0.0/24\n",
               "lab.yaml:4: transit");
  for (const std::string good : {"198.51.100.0/24", "0.0.0.0/0", "203.0.113.7/32"}) {
    const auto parsed = parse_text("name: x\n" + k_sites + "aws:\n  operator_cidr: " + good + "\n");
    ASSERT_TRUE(parsed) << good << ": " << parsed.error().message;
    EXPECT_EQ(parsed->aws.operator_cidr, good);
  }
}

TEST(ParseProfile, SshPortsAreTcpPorts) {
  const auto host = [](const std::string& port) {
    return "name: x\n" + k_sites + "onprem:\n  hosts:\n    - name: h\n      role: router\n" +
           "      ssh: {host: h.example, port: " + port + "}\n";
  };
  for (const std::string bad : {"70000", "0", "-1", "65536"}) {
    expect_error(host(bad), "lab.yaml:7: port " + bad + " is not a TCP port");
  }
  expect_error(host("99999999999"), "lab.yaml:7: port must be an integer");
  const auto parsed = parse_text(host("2222"));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->onprem.hosts.at(0).ssh.port, 2222);
}

TEST(ParseProfile, OneDocumentOnly) {
  expect_error("name: x\n" + k_sites + "---\nname: y\n", "lab.yaml:3: a second YAML document");  // the --- line
  expect_error("name: x\n" + k_sites + "...\n---\n", "a second YAML document");
  expect_error("", "lab.yaml: the profile is empty");
  const auto leading_marker = parse_text("---\nname: x\n" + k_sites);
  EXPECT_TRUE(leading_marker) << leading_marker.error().message;
  // Found by fuzz_profile: yaml-cpp's LoadAll never returns on these (endless empty documents).
  for (const std::string& never_ends : std::vector<std::string>{"\n,\n", ",", "name: x\n,\n"}) {
    const auto profile = parse_text(never_ends);
    EXPECT_FALSE(profile) << never_ends;
  }
}

TEST(ParseProfile, ListsNameEachItemOnce) {
  expect_error("name: x\nproviders: [aws, aws]\n" + k_sites, "lab.yaml:2: providers lists \"aws\" twice");
  expect_error("name: x\n" + k_sites + "aws:\n  regions: [us-east-1, eu-west-1, us-east-1]\n",
               "lab.yaml:4: regions lists \"us-east-1\" twice");
  expect_error("name: x\nsites:\n  - {name: a, provider: aws}\n  - {name: b, provider: aws}\n"
               "matrices:\n  d2: [a, b, a]\n",
               "lab.yaml:6: matrix \"d2\" lists site \"a\" twice");
}

// Given hostile shapes (ill-formed UTF-8, a non-scalar key, deep nesting, an alias bomb, more
// than the size limit), expect a usage error, quickly, and never a crash.
TEST(ParseProfile, HostileDocumentsAreRefused) {
  expect_error("name: \"x\xff\xfe\"\n" + k_sites, "lab.yaml:1: a value is not valid UTF-8");
  expect_error("name: x\n" + k_sites + "? [a, b]\n: c\n", "a key must be a plain name");
  expect_error("name: x\n" + k_sites + "matrices: " + std::string(40, '[') + std::string(40, ']') +
                   "\n",
               "nested deeper than");
  expect_error("name: x\n" + k_sites + "deep: " + std::string(100000, '[') +
                   std::string(100000, ']') + "\n",
               "lab.yaml:");
  std::string bomb = "name: x\n" + k_sites + "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) bomb += (j ? ", *a" : "*a") + std::to_string(i - 1);
    bomb += "]\n";
  }
  expect_error(bomb, "nodes (counting aliases)");
  expect_error("name: x\n" + k_sites + "# " + std::string(k_max_profile_bytes, 'x') + "\n",
               "more than the profile limit");
}

}  // namespace
}  // namespace labctl::profile
