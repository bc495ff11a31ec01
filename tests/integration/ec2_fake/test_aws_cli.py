#!/usr/bin/python3
"""aws_cli_parses_fake: Debian's aws CLI against the fake for every EC2 action labctl uses.

Given the fake in --verify-secret mode for dummy credentials, expect every CLI call to be
accepted (so its SigV4 signatures verify), exit 0 and print JSON with the expected ids, tags and
states. Exits 77 (skipped) when the aws CLI is missing.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from fake_harness import DUMMY_KEY_ID, DUMMY_SECRET, FakeProcess

AWS = "/usr/bin/aws" if os.path.exists("/usr/bin/aws") else shutil.which("aws")


class AwsCliParsesFake(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = FakeProcess("--verify-secret", f"{DUMMY_KEY_ID}={DUMMY_SECRET}",
                               "--run-delay-ms", "100")
        cls.home = tempfile.TemporaryDirectory(prefix="ec2fake-home-")
        cls.env = {"PATH": "/usr/bin:/bin", "HOME": cls.home.name, "LANG": "C.UTF-8",
                   "AWS_ACCESS_KEY_ID": DUMMY_KEY_ID, "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET,
                   "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/dev/null",
                   "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_PAGER": "",
                   "AWS_MAX_ATTEMPTS": "1"}

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()
        cls.home.cleanup()

    def run_cli(self, *args):
        cmd = [AWS, "--endpoint-url", self.fake.endpoint, "--region", "us-east-1", "--output",
               "json", "ec2", *args]
        return subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)

    def aws(self, *args):
        done = self.run_cli(*args)
        self.assertEqual(done.returncode, 0, f"aws ec2 {' '.join(args)}: {done.stderr}")
        return json.loads(done.stdout) if done.stdout.strip() else {}

    def test_every_action_labctl_uses(self):
        tag = "Key=routerd.cloudedge.run_id,Value=run-cli"
        key = self.aws("create-key-pair", "--key-name", "kp-cli", "--key-type", "ed25519",
                       "--tag-specifications", f"ResourceType=key-pair,Tags=[{{{tag}}}]")
        self.assertIn("PRIVATE KEY", key["KeyMaterial"])
        self.assertEqual(key["Tags"][0]["Value"], "run-cli")
        pairs = self.aws("describe-key-pairs", "--key-names", "kp-cli")["KeyPairs"]
        self.assertEqual(pairs[0]["KeyPairId"], key["KeyPairId"])

        vpc = self.aws("create-vpc", "--cidr-block", "10.20.0.0/16")["Vpc"]
        self.assertEqual(vpc["State"], "available")
        vpcs = self.aws("describe-vpcs", "--vpc-ids", vpc["VpcId"])["Vpcs"]
        self.assertEqual(vpcs[0]["CidrBlock"], "10.20.0.0/16")
        subnet = self.aws("create-subnet", "--vpc-id", vpc["VpcId"], "--cidr-block",
                          "10.20.1.0/24")["Subnet"]
        self.assertEqual(self.aws("describe-subnets", "--filters",
                                  f"Name=vpc-id,Values={vpc['VpcId']}")["Subnets"][0]["SubnetId"],
                         subnet["SubnetId"])
        igw = self.aws("create-internet-gateway")["InternetGateway"]["InternetGatewayId"]
        self.aws("attach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id",
                 vpc["VpcId"])
        gws = self.aws("describe-internet-gateways", "--internet-gateway-ids", igw)
        self.assertEqual(gws["InternetGateways"][0]["Attachments"][0]["VpcId"], vpc["VpcId"])
        rtb = self.aws("create-route-table", "--vpc-id", vpc["VpcId"])["RouteTable"]
        self.assertEqual(self.aws("create-route", "--route-table-id", rtb["RouteTableId"],
                                  "--destination-cidr-block", "0.0.0.0/0", "--gateway-id",
                                  igw)["Return"], True)
        assoc = self.aws("associate-route-table", "--route-table-id", rtb["RouteTableId"],
                         "--subnet-id", subnet["SubnetId"])
        self.assertEqual(assoc["AssociationState"]["State"], "associated")
        tables = self.aws("describe-route-tables", "--filters",
                          f"Name=association.subnet-id,Values={subnet['SubnetId']}")
        self.assertEqual(tables["RouteTables"][0]["RouteTableId"], rtb["RouteTableId"])

        group = self.aws("create-security-group", "--group-name", "lab-cli-sg", "--description",
                         "lab", "--vpc-id", vpc["VpcId"], "--tag-specifications",
                         f"ResourceType=security-group,Tags=[{{{tag}}}]")["GroupId"]
        rule = self.aws("authorize-security-group-ingress", "--group-id", group, "--protocol",
                        "tcp", "--port", "22", "--cidr", "198.18.0.0/24")
        self.assertTrue(rule["Return"])
        groups = self.aws("describe-security-groups", "--filters",
                          "Name=group-name,Values=lab-cli-sg")["SecurityGroups"]
        self.assertEqual(groups[0]["IpPermissions"][0]["IpRanges"][0]["CidrIp"], "198.18.0.0/24")

        image = self._newest_image()
        specs = [f"ResourceType={kind},Tags=[{{{tag}}},{{Key=Name,Value=node}}]"
                 for kind in ("instance", "volume", "network-interface")]
        launch = ["run-instances", "--image-id", image, "--instance-type", "t3.micro",
                  "--count", "6", "--subnet-id", subnet["SubnetId"], "--security-group-ids",
                  group, "--key-name", "kp-cli", "--client-token", "cli-token-1",
                  "--tag-specifications", *specs]
        reservation = self.aws(*launch)
        again = self.aws(*launch)
        self.assertEqual(again["ReservationId"], reservation["ReservationId"])
        ids = [i["InstanceId"] for i in reservation["Instances"]]
        self.assertEqual(len(ids), 6)
        self.assertEqual(reservation["Instances"][0]["State"]["Name"], "pending")
        time.sleep(0.3)
        self._describe_paged(ids)

        eni = reservation["Instances"][0]["NetworkInterfaces"][0]["NetworkInterfaceId"]
        other = reservation["Instances"][1]["NetworkInterfaces"][0]["NetworkInterfaceId"]
        enis = self.aws("describe-network-interfaces", "--network-interface-ids", eni)
        self.assertEqual(enis["NetworkInterfaces"][0]["TagSet"][0]["Value"], "run-cli")
        self.aws("assign-private-ip-addresses", "--network-interface-id", other,
                 "--private-ip-addresses", "10.20.1.200")
        refused = self.run_cli("assign-private-ip-addresses", "--network-interface-id", eni,
                               "--private-ip-addresses", "10.20.1.200")
        self.assertEqual(refused.returncode, 254)
        self.assertIn("InvalidParameterValue", refused.stderr)
        self.aws("assign-private-ip-addresses", "--network-interface-id", eni,
                 "--private-ip-addresses", "10.20.1.200", "--allow-reassignment")
        addresses = self._addresses(eni)
        self.assertIn("10.20.1.200", addresses)
        self.assertNotIn("10.20.1.200", self._addresses(other))
        self.aws("unassign-private-ip-addresses", "--network-interface-id", eni,
                 "--private-ip-addresses", "10.20.1.200")
        self.assertNotIn("10.20.1.200", self._addresses(eni))
        self.aws("modify-network-interface-attribute", "--network-interface-id", eni,
                 "--no-source-dest-check")
        self.assertFalse(self._eni(eni)["SourceDestCheck"])
        self.aws("modify-network-interface-attribute", "--network-interface-id", eni,
                 "--source-dest-check")
        self.assertTrue(self._eni(eni)["SourceDestCheck"])

        volumes = self.aws("describe-volumes", "--filters",
                           f"Name=attachment.instance-id,Values={ids[0]}")["Volumes"]
        self.assertEqual(volumes[0]["Tags"][0]["Value"], "run-cli")
        self.aws("create-tags", "--resources", ids[0], "--tags", "Key=role,Value=router")
        tags = self.aws("describe-tags", "--filters", f"Name=resource-id,Values={ids[0]}")
        self.assertIn({"Key": "role", "ResourceId": ids[0], "ResourceType": "instance",
                       "Value": "router"}, tags["Tags"])
        self.aws("delete-tags", "--resources", ids[0], "--tags", "Key=role")
        tags = self.aws("describe-tags", "--filters", f"Name=resource-id,Values={ids[0]}")
        self.assertNotIn("role", [t["Key"] for t in tags["Tags"]])
        self.assertEqual(len(self.aws("describe-regions")["Regions"]) >= 16, True)

        stopping = self.aws("stop-instances", "--instance-ids", ids[0])["StoppingInstances"]
        self.assertEqual(stopping[0]["CurrentState"]["Name"], "stopping")
        gone = self.aws("terminate-instances", "--instance-ids", *ids)["TerminatingInstances"]
        self.assertEqual({g["CurrentState"]["Name"] for g in gone}, {"shutting-down"})
        time.sleep(0.3)
        self._dry_run_reports_would_succeed(group)
        self.aws("delete-security-group", "--group-id", group)
        self.aws("delete-key-pair", "--key-name", "kp-cli")
        self.aws("disassociate-route-table", "--association-id", assoc["AssociationId"])
        self.aws("delete-route-table", "--route-table-id", rtb["RouteTableId"])
        self.aws("detach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id",
                 vpc["VpcId"])
        self.aws("delete-internet-gateway", "--internet-gateway-id", igw)
        self.aws("delete-subnet", "--subnet-id", subnet["SubnetId"])
        self.aws("delete-vpc", "--vpc-id", vpc["VpcId"])
        self.assertEqual(self.aws("describe-vpcs", "--filters", "Name=is-default,Values=false")
                         ["Vpcs"], [])

    def _newest_image(self):
        images = self.aws("describe-images", "--owners", "amazon", "--filters",
                          "Name=name,Values=al2023-ami-2023.*-x86_64")["Images"]
        self.assertGreaterEqual(len(images), 2)
        return max(images, key=lambda i: i["CreationDate"])["ImageId"]

    def _describe_paged(self, ids):
        listed = self.aws("describe-instances", "--filters",
                          "Name=tag:routerd.cloudedge.run_id,Values=run-cli",
                          "Name=instance-state-name,Values=running", "--page-size", "5",
                          "--max-items", "1")
        # MaxResults counts instances, --max-items counts reservations (the paginator's key):
        # one reservation of six instances arrives as five, then one.
        first = [i["InstanceId"] for r in listed["Reservations"] for i in r["Instances"]]
        self.assertEqual(len(first), 5)
        rest = self.aws("describe-instances", "--filters",
                        "Name=tag:routerd.cloudedge.run_id,Values=run-cli", "--page-size", "5",
                        "--starting-token", listed["NextToken"])
        second = [i["InstanceId"] for r in rest["Reservations"] for i in r["Instances"]]
        self.assertEqual(sorted(first + second), sorted(ids))
        calls = self.fake.control("GET", "/_fake/calls")["calls"]
        paged = [c for c in calls if c["action"] == "DescribeInstances"]
        self.assertTrue(any(c["params"].get("NextToken") for c in paged))

    def _eni(self, eni):
        return self.aws("describe-network-interfaces", "--network-interface-ids",
                        eni)["NetworkInterfaces"][0]

    def _addresses(self, eni):
        return [p["PrivateIpAddress"] for p in self._eni(eni)["PrivateIpAddresses"]]

    def _dry_run_reports_would_succeed(self, group):
        done = self.run_cli("delete-security-group", "--group-id", group, "--dry-run")
        self.assertIn(done.returncode, (254, 255))
        self.assertIn("DryRunOperation", done.stderr)

    def test_bogus_parameter_is_rejected_raw(self):
        status, body = self.fake.raw({"Action": "DescribeInstances", "Version": "2016-11-15",
                                      "BogusThing": "1"}, secret=DUMMY_SECRET)
        self.assertEqual(status, 400)
        self.assertIn("<Code>UnknownParameter</Code>", body)
        self.assertIn("BogusThing", body)


if __name__ == "__main__":
    if AWS is None:
        print("aws CLI not found: skipping")
        sys.exit(77)
    unittest.main()
