#!/usr/bin/python3
"""EC2 fake behaviour held to EC2's: validation errors, paging, ClientToken idempotency,
dependency rules, filters, instance lifecycle. Requests go through botocore's client."""
import time
import unittest
import xml.etree.ElementTree as ET

from fake_harness import FakeProcessTestCase  # first: skips the test without botocore
from botocore.exceptions import ClientError

NS = "{http://ec2.amazonaws.com/doc/2016-11-15/}"


class FakeTestCase(FakeProcessTestCase):
    """Assertions and small networks the behaviour tests share."""

    def assertCode(self, code, call, *args, **kwargs):  # noqa: N802  (unittest naming)
        with self.assertRaises(ClientError) as caught:
            call(*args, **kwargs)
        self.assertEqual(caught.exception.response["Error"]["Code"], code)
        return caught.exception

    def network(self, cidr="10.1.0.0/16", subnet_cidr="10.1.1.0/24"):
        vpc = self.ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        subnet = self.ec2.create_subnet(VpcId=vpc, CidrBlock=subnet_cidr)["Subnet"]["SubnetId"]
        return vpc, subnet

    def image(self):
        images = self.ec2.describe_images(Owners=["amazon"])["Images"]
        return max(images, key=lambda i: i["CreationDate"])["ImageId"]

    def launch(self, **extra):
        args = {"ImageId": self.image(), "MinCount": 1, "MaxCount": 1, **extra}
        return self.ec2.run_instances(**args)

    def settle(self):
        self.fake.control("POST", "/_fake/settle")


class Validation(FakeTestCase):
    def error(self, params):
        status, body = self.fake.raw({"Version": "2016-11-15", **params})
        root = ET.fromstring(body)
        self.assertEqual(root.tag, "Response")
        self.assertIsNotNone(root.findtext("RequestID"))
        return status, root.findtext("Errors/Error/Code"), root.findtext("Errors/Error/Message")

    def test_unknown_parameter_has_real_error_shape(self):
        status, code, message = self.error({"Action": "DescribeVpcs", "VpcId.1": "vpc-1",
                                            "Filter.1.Nme": "x"})
        self.assertEqual((status, code), (400, "UnknownParameter"))
        self.assertIn("Filter.1.Nme", message)

    def test_missing_required_member(self):
        status, code, message = self.error({"Action": "RunInstances", "ImageId": "ami-1",
                                            "MaxCount": "1"})
        self.assertEqual((status, code), (400, "MissingParameter"))
        self.assertIn("MinCount", message)

    def test_wrong_primitive_types(self):
        for params in ({"Action": "DescribeInstances", "MaxResults": "ten"},
                       {"Action": "DescribeInstances", "DryRun": "maybe"},
                       {"Action": "CreateKeyPair", "KeyName": "k", "KeyType": "dsa"}):
            self.assertEqual(self.error(params)[:2], (400, "InvalidParameterValue"), params)

    def test_nested_names_follow_the_ec2_serialisation(self):
        status, _ = self.fake.raw({
            "Action": "CreateVpc", "Version": "2016-11-15", "CidrBlock": "10.9.0.0/16",
            "TagSpecification.1.ResourceType": "vpc", "TagSpecification.1.Tag.1.Key": "k",
            "TagSpecification.1.Tag.1.Value": "v"})
        self.assertEqual(status, 200)
        wrong = self.error({"Action": "CreateVpc", "CidrBlock": "10.8.0.0/16",
                            "TagSpecifications.1.ResourceType": "vpc"})
        self.assertEqual(wrong[1], "UnknownParameter")

    def test_unknown_action_and_missing_auth(self):
        self.assertEqual(self.error({"Action": "LaunchRockets"})[:2], (400, "InvalidAction"))
        self.assertEqual(self.error({"Action": "DescribeHosts"})[1], "UnsupportedOperation")
        status, body = self.fake.raw({"Action": "DescribeVpcs", "Version": "2016-11-15"},
                                     sign=False)
        self.assertEqual(status, 401)
        self.assertIn("<Code>AuthFailure</Code>", body)

    def test_response_xml_uses_model_location_names(self):
        self.launch(TagSpecifications=[{"ResourceType": "instance",
                                     "Tags": [{"Key": "a", "Value": "b"}]}])
        status, body = self.fake.raw({"Action": "DescribeInstances", "Version": "2016-11-15"})
        self.assertEqual(status, 200)
        root = ET.fromstring(body)
        self.assertEqual(root.tag, NS + "DescribeInstancesResponse")
        item = root.find(f"{NS}reservationSet/{NS}item/{NS}instancesSet/{NS}item")
        self.assertTrue(item.findtext(NS + "instanceId").startswith("i-"))
        self.assertEqual(item.findtext(f"{NS}tagSet/{NS}item/{NS}key"), "a")
        self.assertIsNotNone(item.find(f"{NS}networkInterfaceSet/{NS}item/"
                                       f"{NS}privateIpAddressesSet"))
        self.assertIn(item.findtext(NS + "sourceDestCheck"), ("true",))


class Paging(FakeTestCase):
    def test_describe_instances_pages_by_max_results(self):
        self.launch(MinCount=12, MaxCount=12)
        seen, token, pages = [], None, 0
        while True:
            kwargs = {"MaxResults": 5, **({"NextToken": token} if token else {})}
            page = self.ec2.describe_instances(**kwargs)
            seen += [i["InstanceId"] for r in page["Reservations"] for i in r["Instances"]]
            pages += 1
            token = page.get("NextToken")
            if not token:
                break
        self.assertEqual((pages, len(seen), len(set(seen))), (3, 12, 12))

    def test_bounds_and_combination_rules(self):
        self.assertCode("InvalidParameterValue", self.ec2.describe_instances, MaxResults=4)
        instance = self.launch()["Instances"][0]["InstanceId"]
        self.assertCode("InvalidParameterCombination", self.ec2.describe_instances,
                        InstanceIds=[instance], MaxResults=5)
        self.assertCode("InvalidParameterValue", self.ec2.describe_instances, MaxResults=5,
                        NextToken="garbage")

    def test_describe_tags_pages(self):
        self.launch(MinCount=3, MaxCount=3, TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "k", "Value": "v"}]}])
        paginator = self.ec2.get_paginator("describe_tags")
        pages = list(paginator.paginate(Filters=[{"Name": "key", "Values": ["k"]}],
                                        PaginationConfig={"PageSize": 5}))
        self.assertEqual(sum(len(p["Tags"]) for p in pages), 3)


class Idempotency(FakeTestCase):
    def test_same_token_same_parameters_returns_original(self):
        first = self.launch(ClientToken="tok-1", MinCount=2, MaxCount=2)
        again = self.launch(ClientToken="tok-1", MinCount=2, MaxCount=2)
        self.assertEqual(first["ReservationId"], again["ReservationId"])
        self.assertEqual(len(self.fake.control("GET", "/_fake/state")["regions"]["us-east-1"]
                             ["instances"]), 2)

    def test_same_token_different_parameters_is_a_mismatch(self):
        self.launch(ClientToken="tok-2")
        self.assertCode("IdempotentParameterMismatch", self.launch, ClientToken="tok-2",
                        InstanceType="t3.small")

    def test_min_max_count(self):
        self.assertEqual(len(self.launch(MinCount=1, MaxCount=3)["Instances"]), 3)
        self.assertCode("InvalidParameterValue", self.launch, MinCount=3, MaxCount=2)


class Dependencies(FakeTestCase):
    def test_teardown_order_is_enforced(self):
        vpc, subnet = self.network()
        group = self.ec2.create_security_group(GroupName="lab", Description="d",
                                               VpcId=vpc)["GroupId"]
        igw = self.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        self.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        instance = self.launch(SubnetId=subnet, SecurityGroupIds=[group])["Instances"][0]
        self.assertCode("DependencyViolation", self.ec2.delete_security_group, GroupId=group)
        self.ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
        # shutting-down still holds the group, like EC2
        self.assertCode("DependencyViolation", self.ec2.delete_security_group, GroupId=group)
        self.assertCode("DependencyViolation", self.ec2.delete_subnet, SubnetId=subnet)
        self.assertCode("DependencyViolation", self.ec2.delete_internet_gateway,
                        InternetGatewayId=igw)
        self.assertCode("DependencyViolation", self.ec2.delete_vpc, VpcId=vpc)
        self.settle()
        self.ec2.delete_security_group(GroupId=group)
        self.ec2.delete_subnet(SubnetId=subnet)
        self.ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        self.ec2.delete_internet_gateway(InternetGatewayId=igw)
        self.ec2.delete_vpc(VpcId=vpc)
        again = self.ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
        self.assertEqual(again["TerminatingInstances"][0]["CurrentState"]["Name"], "terminated")

    def test_group_rules_and_references(self):
        vpc, _ = self.network()
        routers = self.ec2.create_security_group(GroupName="routers", Description="d",
                                                 VpcId=vpc)["GroupId"]
        ssh = self.ec2.create_security_group(GroupName="ssh", Description="d",
                                             VpcId=vpc)["GroupId"]
        rules = self.ec2.authorize_security_group_ingress(GroupId=routers, IpPermissions=[
            {"IpProtocol": "112", "UserIdGroupPairs": [{"GroupId": routers}]},
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
             "UserIdGroupPairs": [{"GroupId": ssh}]}])["SecurityGroupRules"]
        self.assertEqual(rules[1]["ReferencedGroupInfo"]["GroupId"], ssh)
        self.assertCode("InvalidPermission.Duplicate", self.ec2.authorize_security_group_ingress,
                        GroupId=routers, IpPermissions=[
                            {"IpProtocol": "112", "UserIdGroupPairs": [{"GroupId": routers}]}])
        self.assertCode("DependencyViolation", self.ec2.delete_security_group, GroupId=ssh)
        self.ec2.revoke_security_group_ingress(GroupId=routers, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
             "UserIdGroupPairs": [{"GroupId": ssh}]}])
        self.ec2.delete_security_group(GroupId=ssh)
        default = self.ec2.describe_security_groups(Filters=[
            {"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}])
        self.assertCode("CannotDelete", self.ec2.delete_security_group,
                        GroupId=default["SecurityGroups"][0]["GroupId"])

    def test_not_found_codes_and_lenient_key_delete(self):
        self.ec2.delete_key_pair(KeyName="never-existed")
        cases = [(self.ec2.describe_instances, {"InstanceIds": ["i-0123456789abcdef0"]},
                  "InvalidInstanceID.NotFound"),
                 (self.ec2.delete_security_group, {"GroupId": "sg-0123456789abcdef0"},
                  "InvalidGroup.NotFound"),
                 (self.ec2.describe_key_pairs, {"KeyNames": ["nope"]}, "InvalidKeyPair.NotFound"),
                 (self.ec2.delete_vpc, {"VpcId": "vpc-0123456789abcdef0"},
                  "InvalidVpcID.NotFound"),
                 (self.ec2.delete_subnet, {"SubnetId": "subnet-0123456789abcdef0"},
                  "InvalidSubnetID.NotFound"),
                 (self.ec2.describe_network_interfaces,
                  {"NetworkInterfaceIds": ["eni-0123456789abcdef0"]},
                  "InvalidNetworkInterfaceID.NotFound")]
        for call, kwargs, code in cases:
            self.assertCode(code, call, **kwargs)
        self.assertCode("InvalidInstanceID.Malformed", self.ec2.terminate_instances,
                        InstanceIds=["i-xyz"])
        self.assertCode("InvalidGroupId.Malformed", self.ec2.describe_security_groups,
                        GroupIds=["vpc-0123456789abcdef0"])


class FiltersAndLifecycle(FakeTestCase):
    def tagged(self, value, count=1):
        return self.launch(MinCount=count, MaxCount=count, TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "routerd.cloudedge.run_id",
                                                   "Value": value}, {"Key": "role",
                                                                     "Value": "router"}]}])

    def ids(self, **kwargs):
        page = self.ec2.describe_instances(**kwargs)
        return sorted(i["InstanceId"] for r in page["Reservations"] for i in r["Instances"])

    def test_tag_filters(self):
        alpha = [i["InstanceId"] for i in self.tagged("run-alpha", 2)["Instances"]]
        beta = [i["InstanceId"] for i in self.tagged("run-beta")["Instances"]]
        self.launch()
        key = "tag:routerd.cloudedge.run_id"
        self.assertEqual(self.ids(Filters=[{"Name": key, "Values": ["run-alpha"]}]),
                         sorted(alpha))
        self.assertEqual(self.ids(Filters=[{"Name": key, "Values": ["run-*"]}]),
                         sorted(alpha + beta))
        self.assertEqual(self.ids(Filters=[{"Name": key, "Values": ["run-beta", "x"]},
                                           {"Name": "tag-key", "Values": ["role"]}]), beta)
        self.assertEqual(self.ids(Filters=[{"Name": "tag-key", "Values": ["nope"]}]), [])
        self.assertCode("InvalidParameterValue", self.ec2.describe_instances,
                        Filters=[{"Name": "colour", "Values": ["x"]}])

    def test_eni_and_volume_filters(self):
        instance = self.tagged("run-f")["Instances"][0]
        eni = instance["NetworkInterfaces"][0]["NetworkInterfaceId"]
        found = self.ec2.describe_network_interfaces(Filters=[
            {"Name": "attachment.instance-id", "Values": [instance["InstanceId"]]}])
        self.assertEqual([e["NetworkInterfaceId"] for e in found["NetworkInterfaces"]], [eni])
        self.assertEqual(self.ids(Filters=[{"Name": "network-interface.network-interface-id",
                                            "Values": [eni]}]), [instance["InstanceId"]])
        volumes = self.ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id",
                                                      "Values": [instance["InstanceId"]]}])
        self.assertEqual(len(volumes["Volumes"]), 1)

    def test_lifecycle_and_terminated_visibility(self):
        self.fake.control("POST", "/_fake/config", {"run_delay_ms": 1000,
                                                    "terminated_visible_s": 0.5})
        instance = self.launch()["Instances"][0]["InstanceId"]

        def state():
            return self.ec2.describe_instances(InstanceIds=[instance])[
                "Reservations"][0]["Instances"][0]["State"]["Name"]
        self.assertEqual(state(), "pending")
        time.sleep(1.2)
        self.assertEqual(state(), "running")
        self.ec2.stop_instances(InstanceIds=[instance])
        self.assertEqual(state(), "stopping")
        self.settle()
        self.assertEqual(state(), "stopped")
        self.ec2.terminate_instances(InstanceIds=[instance])
        self.settle()
        self.assertEqual(state(), "terminated")
        time.sleep(0.6)
        self.assertCode("InvalidInstanceID.NotFound", self.ec2.describe_instances,
                        InstanceIds=[instance])

    def test_key_pairs_eni_and_public_addresses(self):
        public = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFake lab"
        imported = self.ec2.import_key_pair(KeyName="imported", PublicKeyMaterial=public.encode(),
                                            TagSpecifications=[{"ResourceType": "key-pair", "Tags":
                                                                [{"Key": "k", "Value": "v"}]}])
        listed = self.ec2.describe_key_pairs(Filters=[{"Name": "tag:k", "Values": ["v"]}])
        self.assertEqual([k["KeyPairId"] for k in listed["KeyPairs"]], [imported["KeyPairId"]])
        self.assertEqual(listed["KeyPairs"][0]["KeyType"], "ed25519")
        self.assertCode("InvalidKeyPair.Duplicate", self.ec2.import_key_pair, KeyName="imported",
                        PublicKeyMaterial=public.encode())
        created = self.ec2.create_key_pair(KeyName="made", KeyType="rsa")
        self.assertIn("PRIVATE KEY-----", created["KeyMaterial"])

        vpc, subnet = self.network()
        self.ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
        eni = self.ec2.create_network_interface(SubnetId=subnet, TagSpecifications=[
            {"ResourceType": "network-interface", "Tags": [{"Key": "k", "Value": "v"}]}])
        self.assertEqual(eni["NetworkInterface"]["TagSet"], [{"Key": "k", "Value": "v"}])
        instance = self.launch(SubnetId=subnet, MetadataOptions={"HttpTokens": "required"})[
            "Instances"][0]
        self.assertTrue(instance["PublicIpAddress"].startswith("198.1"))
        self.assertEqual(instance["MetadataOptions"]["HttpTokens"], "required")
        self.settle()
        statuses = self.ec2.describe_instance_status(InstanceIds=[instance["InstanceId"]])
        self.assertEqual(statuses["InstanceStatuses"][0]["InstanceState"]["Name"], "running")
        self.ec2.stop_instances(InstanceIds=[instance["InstanceId"]])
        self.settle()
        stopped = self.ec2.describe_instances(InstanceIds=[instance["InstanceId"]])
        self.assertNotIn("PublicIpAddress", stopped["Reservations"][0]["Instances"][0])

    def test_image_resolution_by_owner_and_name(self):
        images = self.ec2.describe_images(Owners=["amazon"], Filters=[
            {"Name": "name", "Values": ["al2023-ami-2023.*-kernel-6.1-x86_64"]}])["Images"]
        newest = max(images, key=lambda i: i["CreationDate"])
        self.assertEqual(newest["Name"], "al2023-ami-2023.4.20240319.1-kernel-6.1-x86_64")
        self.assertEqual(self.ec2.describe_images(Owners=["444455556666"])["Images"][0]
                         ["Name"][:9], "debian-12")


if __name__ == "__main__":
    unittest.main()
