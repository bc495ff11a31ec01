// The oci part of `up` as a plan (providers/oci/oci_plan.cpp): the exact Core requests in order,
// the profile's values checked before any of them, the placeholders of a dry run without
// credentials (providers/oci/oci_provider.cpp), and the policy statements derived from the plan
// (providers/oci/oci_iam.cpp). No network.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/profile.hpp"
#include "core/state_store.hpp"
#include "core/tags.hpp"
#include "providers/oci/oci_ops.hpp"
#include "providers/oci/oci_provider.hpp"
#include "tests/fakes/manual_clock.hpp"
#include "tests/support/temp_dir.hpp"

namespace labctl::providers::oci {
namespace {

constexpr const char* k_run_id = "20261205T000000Z-cloudedge-plan";
constexpr const char* k_compartment =
    "ocid1.compartment.oc1..aaaaaaaafakelabcompartment0000000000000000000000000";
constexpr const char* k_tenancy = "ocid1.tenancy.oc1..aaaaaaaafaketenancy";
constexpr const char* k_image = "ocid1.image.oc1.iad.aaaaaaaafakeimage";
constexpr const char* k_prefix = "labctl-20261205T000000Z-cloudedge-plan-";

// A one-site oci profile with two routers and a client; `oci` is the body of its oci: block.
std::string profile_yaml(const std::string& oci, const std::string& node = "oci-router-a") {
  return "name: ociplan\n"
         "providers: [oci]\n"
         "ttl: 1h\n"
         "sites:\n"
         "  - name: oci\n"
         "    provider: oci\n"
         "    logical_address: 10.77.60.13\n"
         "    nodes:\n"
         "      - {name: \"" +
         node +
         "\", role: router-a}\n"
         "      - {name: oci-router-b, role: router-b}\n"
         "      - {name: oci-client, role: client}\n"
         "oci:\n" +
         oci;
}

const std::string k_oci = std::string("  region: us-ashburn-1\n") +
                          "  compartment: " + k_compartment + "\n" + "  image: " + k_image + "\n" +
                          "  availability_domain: \"Uocm:US-ASHBURN-AD-2\"\n"
                          "  operator_cidr: 198.51.100.0/24\n";

class OciPlan : public labctl::testing::TempDirTest {
 protected:
  void SetUp() override {
    auto store = state::Store::open(tmp.path() / "state");
    ASSERT_TRUE(store) << store.error().message;
    m_store = std::move(*store);
    m_run.run_id = k_run_id;
    m_run.owner = "unit";
    m_run.purpose = "unit-test";
    m_run.ttl_expires_at = "2026-12-05T01:00:00Z";
  }

  Expected<profile::Profile> parsed(const std::string& yaml) {
    return profile::parse(yaml, "ociplan.yaml");
  }

  RunContext context(bool dry = true) {
    return RunContext{m_run,
                      m_profile,
                      make_tags(m_run.run_id, "unit", m_run.ttl_expires_at, "oci", "unit-test"),
                      *m_store,
                      m_clock,
                      dry};
  }

  Expected<Plan> plan(const std::string& yaml, bool dry = true,
                      const std::string& availability_domain = "Uocm:US-ASHBURN-AD-2") {
    auto loaded = parsed(yaml);
    if (!loaded) return std::unexpected(loaded.error());
    m_profile = *loaded;
    return plan_lab(context(dry),
                    Placement{m_profile.oci.compartment, "us-ashburn-1", availability_domain});
  }

  profile::Profile m_profile;
  std::unique_ptr<state::Store> m_store;
  state::RunRecord m_run;
  labctl::testing::ManualClock m_clock;
};

const nlohmann::ordered_json& body(const Operation& op) { return op.params.at("body"); }

// Given a one-site profile, expect one POST per resource in dependency order — VCN, internet
// gateway, route table, security list, subnet, then one instance per node — on Core's
// collection paths, each with its logical retry resource and the run's display name.
TEST_F(OciPlan, CreatesEveryResourceInOrder) {
  auto made = plan(profile_yaml(k_oci));
  ASSERT_TRUE(made) << made.error().message;
  const std::vector<std::tuple<std::string, std::string, std::string, std::string>> want{
      {"vcn", "/vcns", "vcn", "vcn"},
      {"internetGateway", "/internetGateways", "internet-gateway", "internet-gateway"},
      {"routeTable", "/routeTables", "route-table", "route-table"},
      {"securityList", "/securityLists", "security-list", "security-list"},
      {"subnet", "/subnets", "subnet", "subnet"},
      {"instance", "/instances", "oci-router-a", "instance/oci-router-a"},
      {"instance", "/instances", "oci-router-b", "instance/oci-router-b"},
      {"instance", "/instances", "oci-client", "instance/oci-client"},
  };
  EXPECT_EQ(made->provider, "oci");
  ASSERT_EQ(made->operations.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    const auto& op = made->operations[i];
    const auto& [kind, path, name, retry] = want[i];
    EXPECT_EQ(op.action, "POST") << i;
    EXPECT_TRUE(op.mutating) << i;
    EXPECT_EQ(op.resource_kind, kind) << i;
    EXPECT_EQ(op.resource_name, name) << i;
    EXPECT_EQ(op.region, "us-ashburn-1") << i;
    EXPECT_EQ(op.params.at("service"), "core") << i;
    EXPECT_EQ(op.params.at("path"), path) << i;
    EXPECT_EQ(op.params.at("retryToken"), retry) << i;
    EXPECT_EQ(body(op).at("compartmentId"), k_compartment) << i;
    EXPECT_EQ(body(op).at("displayName"), k_prefix + name) << i;
  }
}

// Given the plan, expect the network bodies as Oracle's models have them: the VCN's CIDR, the
// gateway enabled, a default route to the gateway, SSH only from the operator CIDR plus
// everything from inside the VCN and path MTU discovery in, all out, and a public subnet using
// the lab's route table and security list (placeholders for OCIDs not known yet).
TEST_F(OciPlan, NetworkBodiesFollowOraclesModels) {
  auto made = plan(profile_yaml(k_oci));
  ASSERT_TRUE(made) << made.error().message;
  const auto& ops = made->operations;
  EXPECT_EQ(body(ops[0]).at("cidrBlocks"), nlohmann::ordered_json::array({"10.242.0.0/16"}));
  EXPECT_EQ(body(ops[1]).at("vcnId"), "{{vcn}}");
  EXPECT_EQ(body(ops[1]).at("isEnabled"), true);
  EXPECT_EQ(body(ops[2]).at("routeRules").dump(),
            R"([{"destination":"0.0.0.0/0","destinationType":"CIDR_BLOCK",)"
            R"("networkEntityId":"{{internetGateway}}","description":"the internet, through )"
            R"(the gateway"}])");
  const auto& ingress = body(ops[3]).at("ingressSecurityRules");
  ASSERT_EQ(ingress.size(), 3u);
  EXPECT_EQ(ingress[0].at("protocol"), "6");
  EXPECT_EQ(ingress[0].at("source"), "198.51.100.0/24");
  EXPECT_EQ(ingress[0].at("tcpOptions").dump(), R"({"destinationPortRange":{"min":22,"max":22}})");
  EXPECT_EQ(ingress[1].at("protocol"), "all");
  EXPECT_EQ(ingress[1].at("source"), "10.242.0.0/16");
  EXPECT_EQ(ingress[2].at("icmpOptions").dump(), R"({"type":3,"code":4})");
  EXPECT_EQ(body(ops[3]).at("egressSecurityRules").dump(),
            R"([{"protocol":"all","destination":"0.0.0.0/0","destinationType":"CIDR_BLOCK"}])");
  EXPECT_EQ(body(ops[4]).at("cidrBlock"), "10.242.1.0/24");
  EXPECT_EQ(body(ops[4]).at("routeTableId"), "{{routeTable}}");
  EXPECT_EQ(body(ops[4]).at("securityListIds"),
            nlohmann::ordered_json::array({"{{securityList}}"}));
  EXPECT_EQ(body(ops[4]).at("prohibitPublicIpOnVnic"), false);
}

// Given two routers and a client, expect each launch to boot the profile's image in its
// availability domain with the run's key in metadata and a public address on the lab subnet,
// and skipSourceDestCheck on the routers' VNICs only (a client does not forward).
TEST_F(OciPlan, InstancesBootTheImageAndOnlyRoutersSkipSourceDestCheck) {
  auto made = plan(profile_yaml(k_oci));
  ASSERT_TRUE(made) << made.error().message;
  for (std::size_t i = 5; i < 8; ++i) {
    const auto& launch = body(made->operations[i]);
    EXPECT_EQ(launch.at("availabilityDomain"), "Uocm:US-ASHBURN-AD-2");
    EXPECT_EQ(launch.at("shape"), "VM.Standard.E4.Flex");
    EXPECT_EQ(launch.at("sourceDetails").dump(),
              std::string(R"({"sourceType":"image","imageId":")") + k_image + "\"}");
    EXPECT_EQ(launch.at("metadata").dump(), R"({"ssh_authorized_keys":"{{ssh_public_key}}"})");
    const auto& vnic = launch.at("createVnicDetails");
    EXPECT_EQ(vnic.at("subnetId"), "{{subnet}}");
    EXPECT_EQ(vnic.at("assignPublicIp"), true);
    const bool router = made->operations[i].resource_name != "oci-client";
    EXPECT_EQ(vnic.contains("skipSourceDestCheck"), router) << i;
    if (router) {
      EXPECT_EQ(vnic.at("skipSourceDestCheck"), true) << i;
    }
  }
}

// Given a flexible shape, expect shapeConfig with the profile's OCPUs and memory; given a fixed
// shape, expect none (OCI refuses shapeConfig for a fixed shape).
TEST_F(OciPlan, ShapeConfigOnlyForFlexibleShapes) {
  auto flex = plan(profile_yaml(k_oci + "  ocpus: 2\n  memory_gbs: 16\n"));
  ASSERT_TRUE(flex) << flex.error().message;
  EXPECT_EQ(body(flex->operations[5]).at("shapeConfig").dump(),
            R"({"ocpus":2.0,"memoryInGBs":16.0})");
  auto fixed = plan(profile_yaml(k_oci + "  shape: VM.Standard2.1\n"));
  ASSERT_TRUE(fixed) << fixed.error().message;
  EXPECT_EQ(body(fixed->operations[5]).at("shape"), "VM.Standard2.1");
  EXPECT_FALSE(body(fixed->operations[5]).contains("shapeConfig"));
}

// Given the plan, expect every create (and every instance's VNIC) to carry the five
// routerd.cloudedge.* freeform tags and Name, and instances their role too.
TEST_F(OciPlan, EveryResourceCarriesTheRunTags) {
  auto made = plan(profile_yaml(k_oci));
  ASSERT_TRUE(made) << made.error().message;
  const auto five = make_tags(k_run_id, "unit", "2026-12-05T01:00:00Z", "oci", "unit-test");
  for (const auto& op : made->operations) {
    std::vector<const nlohmann::ordered_json*> tag_sets{&body(op).at("freeformTags")};
    if (op.resource_kind == "instance") {
      tag_sets.push_back(&body(op).at("createVnicDetails").at("freeformTags"));
    }
    for (const auto* tags : tag_sets) {
      for (const auto& [key, value] : five.pairs()) {
        EXPECT_EQ(tags->value(key, ""), value) << op.resource_name << " " << key;
      }
      if (op.resource_kind == "instance") {
        EXPECT_EQ(tags->value("Name", ""), op.resource_name);
        EXPECT_EQ(tags->value("role", ""), op.resource_name == "oci-client"     ? "client"
                                           : op.resource_name == "oci-router-a" ? "router-a"
                                                                                : "router-b");
        EXPECT_EQ(tags->size(), 7u);
      } else {
        EXPECT_EQ(tags->value("Name", ""), k_prefix + op.resource_name);
        EXPECT_EQ(tags->size(), 6u);
      }
    }
  }
}

// Given the same run planned twice, expect the same retry resources (so the same
// opc-retry-token: a rerun after a crash cannot create twice) and a distinct one per create.
TEST_F(OciPlan, RetryTokensAreStableAndDistinct) {
  auto first = plan(profile_yaml(k_oci));
  auto second = plan(profile_yaml(k_oci));
  ASSERT_TRUE(first && second);
  std::set<std::string> tokens;
  for (std::size_t i = 0; i < first->operations.size(); ++i) {
    const std::string a =
        retry_token(k_run_id, first->operations[i].params.at("retryToken").get<std::string>());
    const std::string b =
        retry_token(k_run_id, second->operations[i].params.at("retryToken").get<std::string>());
    EXPECT_EQ(a, b) << i;
    tokens.insert(a);
  }
  EXPECT_EQ(tokens.size(), first->operations.size());
}

// Given no operator CIDR, expect a usage error naming oci.operator_cidr; given 0.0.0.0/0
// without allow_any_ssh, expect a refusal; given allow_any_ssh alone, SSH from anywhere.
TEST_F(OciPlan, OperatorCidrIsRequiredUnlessSshIsOpenOnPurpose) {
  const std::string base = std::string("  compartment: ") + k_compartment + "\n";
  auto missing = plan(profile_yaml(base));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ExitCode::usage);
  EXPECT_NE(missing.error().message.find("oci.operator_cidr is required"), std::string::npos);

  auto world = plan(profile_yaml(base + "  operator_cidr: 0.0.0.0/0\n"));
  ASSERT_FALSE(world);
  EXPECT_EQ(world.error().code, ExitCode::refused);
  EXPECT_NE(world.error().message.find("oci.allow_any_ssh"), std::string::npos);

  auto open = plan(profile_yaml(base + "  allow_any_ssh: true\n"));
  ASSERT_TRUE(open) << open.error().message;
  EXPECT_EQ(body(open->operations[3]).at("ingressSecurityRules")[0].at("source"), "0.0.0.0/0");
}

// Given malformed OCIDs, a subnet outside the VCN, a bad shape or a bad node name, expect a
// usage error naming the key before any request exists.
TEST_F(OciPlan, ProfileValuesAreCheckedFirst) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"  compartment: ocid1.vcn.oc1..aaaa\n", "oci.compartment"},
      {"  compartment: \"ocid1.compartment.oc1..a/../b\"\n", "oci.compartment"},
      {"  image: ocid1.instance.oc1.iad.aaaa\n", "oci.image"},
      {"  subnet_cidr: 10.9.1.0/24\n", "oci.subnet_cidr"},
      {"  vcn_cidr: 10.242.1.0/24\n  subnet_cidr: 10.242.0.0/16\n", "oci.subnet_cidr"},
      {"  shape: \"VM Standard\"\n", "oci.shape"},
      {"  ssh_user: Root\n", "oci.ssh_user"},
  };
  for (const auto& [extra, key] : cases) {
    auto made = plan(profile_yaml("  operator_cidr: 198.51.100.0/24\n" + extra));
    ASSERT_FALSE(made) << extra;
    EXPECT_EQ(made.error().code, ExitCode::usage) << extra;
    EXPECT_NE(made.error().message.find(key), std::string::npos) << made.error().message;
  }
  auto node = plan(profile_yaml(k_oci, "oci router"));
  ASSERT_FALSE(node);
  EXPECT_EQ(node.error().code, ExitCode::usage);
  EXPECT_NE(node.error().message.find("cannot name an OCI instance"), std::string::npos);
}

// Given no image and no availability domain, expect a dry-run plan with "{{image}}" and
// "{{availability_domain}}" and a note for each; a live plan refuses the missing image naming
// oci.image.
TEST_F(OciPlan, MissingImageAndDomainArePlaceholdersInDryRunOnly) {
  const std::string yaml = profile_yaml(std::string("  compartment: ") + k_compartment +
                                        "\n  operator_cidr: 198.51.100.0/24\n");
  auto dry = plan(yaml, true, "");
  ASSERT_TRUE(dry) << dry.error().message;
  EXPECT_EQ(body(dry->operations[5]).at("sourceDetails").at("imageId"), "{{image}}");
  EXPECT_EQ(body(dry->operations[5]).at("availabilityDomain"), "{{availability_domain}}");
  std::string notes;
  for (const auto& note : dry->notes) notes += note + "\n";
  EXPECT_NE(notes.find("{{image}}: oci.image is not set"), std::string::npos) << notes;
  EXPECT_NE(notes.find("{{availability_domain}}: the region's first"), std::string::npos) << notes;

  auto live = plan(yaml, false, "");
  ASSERT_FALSE(live);
  EXPECT_EQ(live.error().code, ExitCode::usage);
  EXPECT_NE(live.error().message.find("oci.image is required"), std::string::npos);
}

// Given a provider without OCI credentials, expect a dry plan anyway, the compartment a
// placeholder and a note saying why; a live plan fails with the credentials' usage error.
TEST_F(OciPlan, ProviderDryRunWithoutCredentialsShowsCompartmentPlaceholder) {
  const EnvLookup no_env = [](const std::string&) { return std::optional<std::string>{}; };
  auto clock = std::make_shared<labctl::testing::ManualClock>();
  auto provider = make_oci_provider(oci::OciClientFactory::from_env(no_env, clock), no_env);
  auto loaded = parsed(profile_yaml("  operator_cidr: 198.51.100.0/24\n"));
  ASSERT_TRUE(loaded) << loaded.error().message;
  m_profile = *loaded;
  auto dry = provider->plan_up(context(true));
  ASSERT_TRUE(dry) << dry.error().message;
  EXPECT_EQ(body(dry->operations[0]).at("compartmentId"), "{{compartment}}");
  ASSERT_FALSE(dry->notes.empty());
  EXPECT_NE(dry->notes.back().find("the plan shows {{compartment}}"), std::string::npos)
      << dry->notes.back();

  auto live = provider->plan_up(context(false));
  ASSERT_FALSE(live);
  EXPECT_EQ(live.error().code, ExitCode::usage);
}

// Given a plan in a compartment and one in the root compartment, expect manage statements for
// the two families the plan creates in, scoped to that compartment (or the tenancy), and the
// note that freeform tags cannot condition a policy.
TEST_F(OciPlan, PolicyStatementsFollowThePlan) {
  auto made = plan(profile_yaml(k_oci));
  ASSERT_TRUE(made) << made.error().message;
  const auto policy = policy_statements(*made, Placement{k_compartment, "us-ashburn-1", ""});
  const std::string in = std::string(" in compartment id ") + k_compartment;
  std::set<std::string> statements;
  for (const auto& s : policy.at("statements")) statements.insert(s.get<std::string>());
  for (const std::string& want :
       {"Allow group labctl-lab-operators to manage virtual-network-family" + in,
        "Allow group labctl-lab-operators to manage instance-family" + in,
        "Allow group labctl-lab-operators to manage volume-family" + in,
        std::string("Allow group labctl-lab-operators to inspect all-resources in tenancy")}) {
    EXPECT_TRUE(statements.contains(want)) << want;
  }
  EXPECT_NE(policy.at("notes").dump().find("defined tags only"), std::string::npos);

  const auto root = policy_statements(*made, Placement{k_tenancy, "us-ashburn-1", ""});
  EXPECT_EQ(root.at("statements")[0],
            "Allow group labctl-lab-operators to manage instance-family in tenancy");
}

}  // namespace
}  // namespace labctl::providers::oci
