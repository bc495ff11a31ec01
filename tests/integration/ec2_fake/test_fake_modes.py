#!/usr/bin/python3
"""The EC2 fake's behaviour modes (issue 12): what other EC2 implementations, and real EC2's
eventually consistent indexes, do that labctl must survive. Lingering tags, create-time tags
dropped per resource type, DeleteKeyPair ignoring KeyPairId, a filter answered with HTTP 500;
set on the command line or at run time through /_fake/configure."""
import time
import unittest

from fake_harness import FakeProcess, FakeProcessTestCase  # first: skips without botocore
from botocore.exceptions import ClientError

TAGS = [{"Key": "routerd.cloudedge.run_id", "Value": "run-modes"}]
OFF = {"linger_tags_s": 0, "drop_create_tags": [], "ignore_keypair_id": False, "filter_500": []}


def spec(kind):
    return {"ResourceType": kind, "Tags": TAGS}


class ModesTestCase(FakeProcessTestCase):
    """Every mode off and the state reset before each test (a reset keeps the modes)."""

    SETTINGS = {**FakeProcessTestCase.SETTINGS, **OFF}

    def configure(self, values):
        return self.fake.control("POST", "/_fake/configure", values)

    def tag_rows(self, resource_id):
        return self.ec2.describe_tags(Filters=[{"Name": "resource-id",
                                                "Values": [resource_id]}])["Tags"]

    def network(self):
        vpc = self.ec2.create_vpc(CidrBlock="10.7.0.0/16",
                                  TagSpecifications=[spec("vpc")])["Vpc"]["VpcId"]
        subnet = self.ec2.create_subnet(VpcId=vpc, CidrBlock="10.7.1.0/24",
                                        TagSpecifications=[spec("subnet")])["Subnet"]["SubnetId"]
        return vpc, subnet

    def launch(self, subnet):
        images = self.ec2.describe_images(Owners=["amazon"])["Images"]
        image = max(images, key=lambda i: i["CreationDate"])["ImageId"]
        return self.ec2.run_instances(
            ImageId=image, MinCount=1, MaxCount=1, SubnetId=subnet,
            TagSpecifications=[spec("instance"), spec("volume"),
                               spec("network-interface")])["Instances"][0]

    def assertCode(self, code, call, *args, **kwargs):  # noqa: N802  (unittest naming)
        with self.assertRaises(ClientError) as caught:
            call(*args, **kwargs)
        self.assertEqual(caught.exception.response["Error"]["Code"], code)
        return caught.exception


class LingerTags(ModesTestCase):
    # Given linger_tags_s=1, expect a deleted security group to describe as NotFound while
    # DescribeTags still lists its tag, and the tag to vanish after the second.
    def test_deleted_resource_keeps_tags_for_a_while(self):
        self.configure({"linger_tags_s": 1})
        vpc, _ = self.network()
        group = self.ec2.create_security_group(GroupName="g", Description="d", VpcId=vpc,
                                               TagSpecifications=[spec("security-group")])
        group_id = group["GroupId"]
        self.ec2.delete_security_group(GroupId=group_id)
        self.assertCode("InvalidGroup.NotFound", self.ec2.describe_security_groups,
                        GroupIds=[group_id])
        filtered = self.ec2.describe_security_groups(
            Filters=[{"Name": "tag:routerd.cloudedge.run_id", "Values": ["run-modes"]}])
        self.assertEqual(filtered["SecurityGroups"], [])
        rows = self.tag_rows(group_id)
        self.assertEqual([(r["ResourceType"], r["Key"]) for r in rows],
                         [("security-group", "routerd.cloudedge.run_id")])
        by_key = self.ec2.describe_tags(Filters=[{"Name": "key",
                                                  "Values": ["routerd.cloudedge.run_id"]}])
        self.assertIn(group_id, [r["ResourceId"] for r in by_key["Tags"]])
        time.sleep(1.2)
        self.assertEqual(self.tag_rows(group_id), [])

    # Given linger_tags_s and an instance that terminated and vanished, expect the tags of the
    # instance, its ENI and its root volume listed while none of them describes any more.
    def test_vanished_instance_and_its_children_linger(self):
        self.configure({"linger_tags_s": 30, "run_delay_ms": 0, "terminated_visible_s": 0})
        _, subnet = self.network()
        instance = self.launch(subnet)
        eni = instance["NetworkInterfaces"][0]["NetworkInterfaceId"]
        volume = instance["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
        self.ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
        self.fake.control("POST", "/_fake/settle")
        self.assertCode("InvalidInstanceID.NotFound", self.ec2.describe_instances,
                        InstanceIds=[instance["InstanceId"]])
        self.assertCode("InvalidNetworkInterfaceID.NotFound",
                        self.ec2.describe_network_interfaces, NetworkInterfaceIds=[eni])
        self.assertCode("InvalidVolume.NotFound", self.ec2.describe_volumes, VolumeIds=[volume])
        for resource_id, kind in ((instance["InstanceId"], "instance"),
                                  (eni, "network-interface"), (volume, "volume")):
            self.assertEqual([r["ResourceType"] for r in self.tag_rows(resource_id)], [kind])

    # Given the mode off (the default), expect a deleted resource's tags gone at once.
    def test_off_forgets_tags_at_once(self):
        vpc, subnet = self.network()
        self.ec2.delete_subnet(SubnetId=subnet)
        self.assertEqual(self.tag_rows(subnet), [])
        self.assertEqual(len(self.tag_rows(vpc)), 1)


class DropCreateTags(ModesTestCase):
    # Given drop_create_tags [network-interface], expect RunInstances to tag the instance and
    # its volume but not its ENI, and CreateTags on the ENI to work afterwards.
    def test_run_instances_leaves_the_eni_untagged(self):
        self.configure({"drop_create_tags": ["network-interface"]})
        _, subnet = self.network()
        instance = self.launch(subnet)
        eni = instance["NetworkInterfaces"][0]["NetworkInterfaceId"]
        volume = instance["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
        self.assertEqual(instance["Tags"], TAGS)
        described = self.ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])
        self.assertEqual(described["NetworkInterfaces"][0]["TagSet"], [])
        self.assertEqual(self.tag_rows(eni), [])
        self.assertEqual(len(self.tag_rows(volume)), 1)
        self.ec2.create_tags(Resources=[eni], Tags=TAGS)
        self.assertEqual(len(self.tag_rows(eni)), 1)

    # Given drop_create_tags for every type of a Create* with TagSpecifications, expect each
    # created untagged; the types not listed keep their tags.
    def test_every_create_with_tag_specifications(self):
        self.configure({"drop_create_tags": ["vpc", "key-pair", "internet-gateway",
                                             "route-table", "security-group", "volume"]})
        vpc, subnet = self.network()
        created = {
            "vpc": vpc,
            "key-pair": self.ec2.create_key_pair(
                KeyName="k", KeyType="ed25519",
                TagSpecifications=[spec("key-pair")])["KeyPairId"],
            "internet-gateway": self.ec2.create_internet_gateway(
                TagSpecifications=[spec("internet-gateway")])["InternetGateway"]
            ["InternetGatewayId"],
            "route-table": self.ec2.create_route_table(
                VpcId=vpc, TagSpecifications=[spec("route-table")])["RouteTable"]["RouteTableId"],
            "security-group": self.ec2.create_security_group(
                GroupName="g", Description="d", VpcId=vpc,
                TagSpecifications=[spec("security-group")])["GroupId"],
        }
        for kind, resource_id in created.items():
            self.assertEqual(self.tag_rows(resource_id), [], kind)
        self.assertEqual(len(self.tag_rows(subnet)), 1)
        instance = self.launch(subnet)
        volume = instance["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
        self.assertEqual(self.tag_rows(volume), [])
        self.assertEqual(len(self.tag_rows(instance["NetworkInterfaces"][0]
                                           ["NetworkInterfaceId"])), 1)

    # Given a resource type the fake does not know, expect the configure call refused and the
    # modes unchanged.
    def test_unknown_type_is_refused(self):
        with self.assertRaises(RuntimeError) as caught:
            self.configure({"drop_create_tags": ["network-interfaces"]})
        self.assertIn("400", str(caught.exception))
        self.assertEqual(self.fake.control("GET", "/_fake/configure")["drop_create_tags"], [])


class IgnoreKeyPairId(ModesTestCase):
    def key_names(self):
        return [k["KeyName"] for k in self.ec2.describe_key_pairs()["KeyPairs"]]

    # Given ignore_keypair_id, expect DeleteKeyPair by KeyPairId alone to succeed and delete
    # nothing, and by KeyName to delete.
    def test_delete_by_id_is_a_silent_no_op(self):
        self.configure({"ignore_keypair_id": True})
        key_id = self.ec2.create_key_pair(KeyName="lab", KeyType="ed25519")["KeyPairId"]
        self.ec2.delete_key_pair(KeyPairId=key_id)
        self.assertEqual(self.key_names(), ["lab"])
        self.ec2.delete_key_pair(KeyName="lab")
        self.assertEqual(self.key_names(), [])

    # Given the mode off, expect DeleteKeyPair by KeyPairId to delete (EC2's behaviour).
    def test_off_deletes_by_id(self):
        key_id = self.ec2.create_key_pair(KeyName="lab", KeyType="ed25519")["KeyPairId"]
        self.ec2.delete_key_pair(KeyPairId=key_id)
        self.assertEqual(self.key_names(), [])


class Filter500(ModesTestCase):
    # Given filter_500 [network-interface.network-interface-id], expect every DescribeInstances
    # using it to answer 500 InternalError (retries too), other filters to work, and the
    # requests to be logged with status 500.
    def test_named_filter_answers_internal_error(self):
        self.configure({"filter_500": ["network-interface.network-interface-id"]})
        refused = [{"Name": "network-interface.network-interface-id", "Values": ["eni-1"]}]
        for _ in range(2):
            err = self.assertCode("InternalError", self.ec2.describe_instances, Filters=refused)
            self.assertEqual(err.response["ResponseMetadata"]["HTTPStatusCode"], 500)
        self.ec2.describe_instances(Filters=[{"Name": "instance-id", "Values": ["i-1"]}])
        self.ec2.describe_network_interfaces(
            Filters=[{"Name": "attachment.instance-id", "Values": ["i-1"]}])
        statuses = [c["status"] for c in self.fake.control("GET", "/_fake/calls")["calls"]
                    if c["action"] == "DescribeInstances"]
        self.assertEqual(statuses, [500, 500, 200])


class Configuration(unittest.TestCase):
    # Given every mode on the command line, expect GET /_fake/config, /_fake/configure and the
    # state dump to report them, and the modes to act (a key pair deleted by id survives).
    def test_command_line_flags(self):
        fake = FakeProcess("--linger-tags-s", "2.5", "--drop-create-tags", "network-interface",
                           "--drop-create-tags", "volume", "--ignore-keypair-id",
                           "--filter-500", "instance-id", "--filter-500", "key-name")
        try:
            expected = {"linger_tags_s": 2.5, "drop_create_tags": ["network-interface", "volume"],
                        "ignore_keypair_id": True, "filter_500": ["instance-id", "key-name"]}
            for config in (fake.control("GET", "/_fake/config"),
                           fake.control("GET", "/_fake/configure"),
                           fake.control("GET", "/_fake/state")["config"]):
                self.assertEqual({k: config[k] for k in expected}, expected)
            ec2 = fake.client()
            key_id = ec2.create_key_pair(KeyName="k", KeyType="ed25519")["KeyPairId"]
            ec2.delete_key_pair(KeyPairId=key_id)
            self.assertEqual(len(ec2.describe_key_pairs()["KeyPairs"]), 1)
            ec2.close()
        finally:
            fake.stop()

    # Given an unknown key or a bad value, expect 400 and nothing changed.
    def test_bad_configuration_is_refused(self):
        fake = FakeProcess()
        try:
            for body in ({"linger_tag_s": 3}, {"linger_tags_s": -1},
                         {"ignore_keypair_id": "yes"}, {"filter_500": "instance-id"},
                         {"linger_tags_s": 3, "filter_500": [""]}):
                with self.assertRaises(RuntimeError, msg=str(body)):
                    fake.control("POST", "/_fake/configure", body)
            config = fake.control("GET", "/_fake/config")
            self.assertEqual({k: config[k] for k in OFF}, OFF)
        finally:
            fake.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
