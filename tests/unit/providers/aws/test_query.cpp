#include "providers/aws/query.hpp"

#include <gtest/gtest.h>

namespace labctl::providers::aws {
namespace {

TEST(Query, UriEncodeKeepsOnlyUnreserved) {
  EXPECT_EQ(uri_encode("aZ09-_.~"), "aZ09-_.~");
  EXPECT_EQ(uri_encode("a b+c/d=e&f*"), "a%20b%2Bc%2Fd%3De%26f%2A");
  EXPECT_EQ(uri_encode("/a b/", /*keep_slash=*/true), "/a%20b/");
  EXPECT_EQ(uri_encode("\xC3\xA9"), "%C3%A9");
}

TEST(Query, ListsFiltersAndTagsAreNumberedFromOne) {
  QueryParams params;
  params.add_list("InstanceId", {"i-1", "i-2"})
      .add_filters({{"tag:routerd.cloudedge.run_id", {"r1"}},
                    {"instance-state-name", {"running", "stopped"}}})
      .add_filters({{"vpc-id", {"vpc-9"}}});
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"InstanceId.1", "i-1"},
      {"InstanceId.2", "i-2"},
      {"Filter.1.Name", "tag:routerd.cloudedge.run_id"},
      {"Filter.1.Value.1", "r1"},
      {"Filter.2.Name", "instance-state-name"},
      {"Filter.2.Value.1", "running"},
      {"Filter.2.Value.2", "stopped"},
      {"Filter.3.Name", "vpc-id"},
      {"Filter.3.Value.1", "vpc-9"}};
  EXPECT_EQ(params.entries(), expected);
}

TEST(Query, TagSpecificationsAndTags) {
  QueryParams params;
  params.add_tag_specification("instance", {{"Name", "r1"}, {"role", "router"}})
      .add_tag_specification("volume", {{"Name", "r1"}});
  EXPECT_EQ(*params.find("TagSpecification.1.ResourceType"), "instance");
  EXPECT_EQ(*params.find("TagSpecification.1.Tag.2.Key"), "role");
  EXPECT_EQ(*params.find("TagSpecification.2.ResourceType"), "volume");
  EXPECT_EQ(*params.find("TagSpecification.2.Tag.1.Value"), "r1");
  QueryParams tags;
  tags.add_tags({{"k", "v"}});
  EXPECT_EQ(tags.form_encode(), "Tag.1.Key=k&Tag.1.Value=v");
}

TEST(Query, JsonFlattensLikeTheQueryProtocol) {
  const auto json = nlohmann::ordered_json::parse(R"({
    "ImageId": "ami-1", "MinCount": 1, "DryRun": true, "Skipped": null,
    "TagSpecification": [{"ResourceType": "instance", "Tag": [{"Key": "a", "Value": "b"}]}],
    "Placement": {"AvailabilityZone": "us-east-1a"}})");
  QueryParams params;
  params.add_json(json);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"ImageId", "ami-1"},
      {"MinCount", "1"},
      {"DryRun", "true"},
      {"TagSpecification.1.ResourceType", "instance"},
      {"TagSpecification.1.Tag.1.Key", "a"},
      {"TagSpecification.1.Tag.1.Value", "b"},
      {"Placement.AvailabilityZone", "us-east-1a"}};
  EXPECT_EQ(params.entries(), expected);
}

TEST(Query, FormEncodeKeepsOrderAndEncodesValues) {
  QueryParams params{{"Action", "CreateTags"}, {"Tag.1.Value", "a b/c"}};
  EXPECT_EQ(params.form_encode(), "Action=CreateTags&Tag.1.Value=a%20b%2Fc");
  params.set("Action", "DeleteTags");
  params.set("New", "1");
  params.erase("Tag.1.Value");
  EXPECT_EQ(params.form_encode(), "Action=DeleteTags&New=1");
  EXPECT_TRUE(params.has_prefix("Ne"));
  EXPECT_EQ(params.find("Missing"), nullptr);
}

}  // namespace
}  // namespace labctl::providers::aws
