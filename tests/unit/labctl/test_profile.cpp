#include "labctl/profile.hpp"

#include <gtest/gtest.h>

namespace labctl::profile {
namespace {

Expected<Profile> parse_text(const std::string& text) { return parse(text, "lab.yaml"); }

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
      {"soak", {"aws", "oci", "azure", "onprem"}}};
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

TEST(ParseProfile, UnknownKeyHasFileLineAndSuggestion) {
  expect_error("name: x\naws:\n  regoin: us-east-1\n",
               "lab.yaml:3: unknown key \"regoin\" in aws (did you mean \"region\"?)");
}

TEST(ParseProfile, WrongTypesHaveFileLine) {
  expect_error("name: x\nproviders: aws\n", "lab.yaml:2: providers must be a list");
  expect_error("name: x\naws:\n  allow_any_ssh: maybe\n",
               "lab.yaml:3: allow_any_ssh must be true or false");
  expect_error("name: x\nonprem:\n  hosts:\n    - name: h\n      role: router\n      ssh:\n"
               "        host: h.example\n        port: twenty-two\n",
               "lab.yaml:8: port must be an integer");
}

TEST(ParseProfile, SemanticErrors) {
  expect_error("description: no name\n", "missing key \"name\"");
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
  expect_error("name: x\nttl: 0h\n", "ttl:");
  expect_error("name: x\naws:\n  region: eu-west-1\n  regions: [us-east-1]\n",
               "not in the aws.regions allowlist");
  expect_error("name: [unclosed\n", "lab.yaml:");
}

TEST(ParseProfile, TypedSettings) {
  const auto parsed = parse_text(
      "name: x\nttl: 1h30m\naws:\n  region: us-east-1\n  image: {owner: amazon, name: al2023-*}\n"
      "  operator_cidr: 198.51.100.0/24\n  network: existing\n  subnet_id: subnet-1\n");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->ttl, "1h30m");
  EXPECT_EQ(parsed->aws.regions, std::vector<std::string>{"us-east-1"});
  EXPECT_EQ(parsed->aws.image.name_pattern, "al2023-*");
  EXPECT_EQ(parsed->aws.network, "existing");
}

}  // namespace
}  // namespace labctl::profile
