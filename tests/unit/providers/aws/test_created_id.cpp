#include "providers/aws/created_id.hpp"

#include <gtest/gtest.h>

namespace labctl::providers::aws {
namespace {

Ec2Response parse(const std::string& body) {
  auto document = std::make_shared<pugi::xml_document>();
  EXPECT_TRUE(document->load_buffer(body.data(), body.size())) << body;
  return Ec2Response(document);
}

std::string run_instances_answer(std::initializer_list<const char*> ids) {
  std::string items;
  for (const char* id : ids)
    items += std::string("<item><instanceId>") + id + "</instanceId></item>";
  return "<RunInstancesResponse><instancesSet>" + items + "</instancesSet></RunInstancesResponse>";
}

const QueryParams k_one_instance{{"MinCount", "1"}, {"MaxCount", "1"}};

TEST(CreatedId, ShapeIsPrefixAndEightOrSeventeenHexDigits) {
  EXPECT_TRUE(is_resource_id("i-0123456789abcdef0", "i-"));
  EXPECT_TRUE(is_resource_id("vpc-0a1b2c3d", "vpc-"));
  EXPECT_TRUE(is_resource_id("rtbassoc-0123456789abcdef0", id_prefix("route-table-association")));
  EXPECT_FALSE(is_resource_id("", "i-"));
  EXPECT_FALSE(is_resource_id("i-", "i-"));
  EXPECT_FALSE(is_resource_id("vpc-0123456789abcdef0", "i-"));
  EXPECT_FALSE(is_resource_id("i-0123456789ABCDEF0", "i-"));    // upper case
  EXPECT_FALSE(is_resource_id("i-0123456789abcdef", "i-"));     // 16 digits
  EXPECT_FALSE(is_resource_id("i-0123456789abcdef0\n", "i-"));  // trailing junk
  EXPECT_FALSE(is_resource_id("i-../../../etc/pass", "i-"));
  EXPECT_FALSE(is_resource_id("i-0123456789abcdef0", ""));
  for (const char* kind : {"instance", "vpc", "subnet", "security-group", "internet-gateway",
                           "route-table", "key-pair", "network-interface", "volume"}) {
    EXPECT_FALSE(id_prefix(kind).empty()) << kind;
  }
}

TEST(CreatedId, ReadsTheIdOfEachCreate) {
  const auto vpc = read_created("CreateVpc", "us-east-1", {},
                                parse("<CreateVpcResponse><vpc><vpcId>vpc-0123456789abcdef0"
                                      "</vpcId></vpc></CreateVpcResponse>"),
                                {});
  ASSERT_TRUE(vpc.has_value()) << vpc.error().describe();
  EXPECT_EQ(vpc->id, "vpc-0123456789abcdef0");
  const auto instance = read_created("RunInstances", "us-east-1", k_one_instance,
                                     parse(run_instances_answer({"i-0123456789abcdef0"})), {});
  ASSERT_TRUE(instance.has_value()) << instance.error().describe();
  EXPECT_EQ(instance->id, "i-0123456789abcdef0");
}

// Given 200 answers without the id, with an id of another kind, with bytes that are not hex,
// expect an ambiguous failure (AmbiguousAnswer, exit 3) naming the action.
TEST(CreatedId, MissingOrMalformedIdIsAmbiguous) {
  for (const std::string& body :
       {std::string("<CreateSubnetResponse><subnet/></CreateSubnetResponse>"),
        std::string("<CreateSubnetResponse><subnet><subnetId>vpc-0123456789abcdef0</subnetId>"
                    "</subnet></CreateSubnetResponse>"),
        std::string("<CreateSubnetResponse><subnet><subnetId>subnet-\xff\xfe</subnetId>"
                    "</subnet></CreateSubnetResponse>")}) {
    const auto created = read_created("CreateSubnet", "us-east-1", {}, parse(body), {});
    ASSERT_FALSE(created.has_value()) << body;
    EXPECT_EQ(created.error().code, "AmbiguousAnswer");
    EXPECT_EQ(created.error().to_error().code, ExitCode::provider);
    EXPECT_NE(created.error().describe().find("CreateSubnet (us-east-1)"), std::string::npos);
  }
}

// Given an id the run already holds, or two instances with one id, or a count other than the
// MaxCount asked for, expect an ambiguous failure.
TEST(CreatedId, RepeatedIdsAndWrongCountsAreAmbiguous) {
  const auto again =
      read_created("RunInstances", "us-east-1", k_one_instance,
                   parse(run_instances_answer({"i-0123456789abcdef0"})), {"i-0123456789abcdef0"});
  ASSERT_FALSE(again.has_value());
  EXPECT_NE(again.error().message.find("already holds"), std::string::npos);
  const QueryParams two{{"MinCount", "2"}, {"MaxCount", "2"}};
  const auto twins =
      read_created("RunInstances", "us-east-1", two,
                   parse(run_instances_answer({"i-0123456789abcdef0", "i-0123456789abcdef0"})), {});
  EXPECT_FALSE(twins.has_value());
  const auto extra =
      read_created("RunInstances", "us-east-1", k_one_instance,
                   parse(run_instances_answer({"i-0123456789abcdef0", "i-0123456789abcdef1"})), {});
  EXPECT_FALSE(extra.has_value());
  const auto none = read_created("RunInstances", "us-east-1", k_one_instance,
                                 parse(run_instances_answer({})), {});
  EXPECT_FALSE(none.has_value());
}

// Given a key pair answer naming another key (e.g. a path), expect an ambiguous failure: the
// private key's file name comes from the request, never from the answer.
TEST(CreatedId, KeyPairMustBeTheOneRequested) {
  const QueryParams params{{"KeyName", "labctl-run"}};
  const auto created = read_created(
      "CreateKeyPair", "us-east-1", params,
      parse("<CreateKeyPairResponse><keyPairId>key-0123456789abcdef0</keyPairId><keyName>../../x"
            "</keyName></CreateKeyPairResponse>"),
      {});
  ASSERT_FALSE(created.has_value());
  const auto good = read_created(
      "CreateKeyPair", "us-east-1", params,
      parse("<CreateKeyPairResponse><keyPairId>key-0123456789abcdef0</keyPairId><keyName>"
            "labctl-run</keyName></CreateKeyPairResponse>"),
      {});
  ASSERT_TRUE(good.has_value()) << good.error().describe();
  EXPECT_EQ(good->attrs["keyName"], "labctl-run");
}

// Given a rule or an attachment, expect the parent's id from the request (nothing to check).
TEST(CreatedId, ImplicitMutationsTakeTheParentFromTheRequest) {
  const auto rule = read_created("AuthorizeSecurityGroupIngress", "us-east-1",
                                 {{"GroupId", "sg-0123456789abcdef0"}},
                                 parse("<AuthorizeSecurityGroupIngressResponse/>"), {});
  ASSERT_TRUE(rule.has_value());
  EXPECT_EQ(rule->id, "sg-0123456789abcdef0");
  EXPECT_EQ(rule->attrs["implicit"], true);
}

}  // namespace
}  // namespace labctl::providers::aws
