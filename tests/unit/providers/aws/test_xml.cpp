#include "providers/aws/xml.hpp"

#include <gtest/gtest.h>

#include "core/text.hpp"

namespace labctl::providers::aws {
namespace {

TEST(Xml, ItemsAndTextByPath) {
  auto document = std::make_shared<pugi::xml_document>();
  ASSERT_TRUE(document->load_string(
      R"(<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
           <requestId>req-1</requestId>
           <reservationSet>
             <item><instancesSet><item><instanceId>i-1</instanceId>
               <instanceState><name>running</name></instanceState></item></instancesSet></item>
             <item><instancesSet><item><instanceId>i-2</instanceId></item></instancesSet></item>
           </reservationSet>
           <nextToken>t2</nextToken>
         </DescribeInstancesResponse>)"));
  const Ec2Response response(document);
  EXPECT_EQ(response.request_id(), "req-1");
  EXPECT_EQ(response.text("nextToken"), "t2");
  const auto reservations = response.items("reservationSet/item");
  ASSERT_EQ(reservations.size(), 2U);
  EXPECT_EQ(text_at(reservations[0], "instancesSet/item/instanceState/name"), "running");
  EXPECT_EQ(text_at(reservations[1], "instancesSet/item/instanceId"), "i-2");
  EXPECT_TRUE(response.items("missing/item").empty());
  EXPECT_EQ(response.text("missing"), "");
}

// Given ids and names holding bytes that are not UTF-8, expect the readers to hand out valid
// UTF-8 (U+FFFD for the bad bytes), so nothing downstream stores or serialises raw bytes.
TEST(Xml, TextIsAlwaysUtf8) {
  auto document = std::make_shared<pugi::xml_document>();
  const std::string body =
      "<CreateVpcResponse><requestId>r\xff</requestId><vpc><vpcId>vpc-1\xfe\x80</vpcId></vpc>"
      "</CreateVpcResponse>";
  ASSERT_TRUE(document->load_buffer(body.data(), body.size()));
  const Ec2Response response(document);
  EXPECT_EQ(response.text("vpc/vpcId"), "vpc-1\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_TRUE(::labctl::text::is_valid_utf8(response.request_id()));
  EXPECT_TRUE(::labctl::text::is_valid_utf8(text_of_any(response.root(), {"requestId"})));
}

}  // namespace
}  // namespace labctl::providers::aws
