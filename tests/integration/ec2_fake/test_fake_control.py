#!/usr/bin/python3
"""EC2 fake control API: fault injection, per-credential deny, DryRun, seeding speed, the calls
log, keep-alive, and ENI secondary-IP semantics (AllowReassignment, SourceDestCheck)."""
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from urllib.parse import urlencode

from fake_harness import DUMMY_SECRET, FAKE  # first: skips the test without botocore
from test_fake_behaviour import FakeTestCase
from botocore.exceptions import ReadTimeoutError

EXECUTOR_KEY = "AKIAEXECUTORFAIL0001"


class Faults(FakeTestCase):
    def fault(self, **spec):
        self.fake.control("POST", "/_fake/faults", spec)

    def test_throttle_count_then_success(self):
        self.fault(action="DescribeVpcs", kind="throttle", count=2)
        for _ in range(2):
            err = self.assertCode("RequestLimitExceeded", self.ec2.describe_vpcs)
            self.assertEqual(err.response["ResponseMetadata"]["HTTPStatusCode"], 503)
        self.ec2.describe_vpcs()
        self.ec2.describe_subnets()

    def test_server_error_and_dependency_violation(self):
        self.fault(action="*", kind="server_error", count=1)
        err = self.assertCode("InternalError", self.ec2.describe_regions)
        self.assertEqual(err.response["ResponseMetadata"]["HTTPStatusCode"], 500)
        vpc, _ = self.network()
        group = self.ec2.create_security_group(GroupName="g", Description="d",
                                               VpcId=vpc)["GroupId"]
        self.fault(action="DeleteSecurityGroup", kind="dependency_violation", count=2)
        for _ in range(2):
            self.assertCode("DependencyViolation", self.ec2.delete_security_group, GroupId=group)
        self.ec2.delete_security_group(GroupId=group)

    def test_swallow_answers_success_without_changing_anything(self):
        vpc, subnet = self.network("10.2.0.0/16", "10.2.1.0/24")
        eni = self.ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]
        self.fault(action="AssignPrivateIpAddresses", kind="swallow")
        answer = self.ec2.assign_private_ip_addresses(
            NetworkInterfaceId=eni["NetworkInterfaceId"], PrivateIpAddresses=["10.2.1.77"])
        self.assertEqual(answer["AssignedPrivateIpAddresses"], [{"PrivateIpAddress": "10.2.1.77"}])
        after = self.ec2.describe_network_interfaces(
            NetworkInterfaceIds=[eni["NetworkInterfaceId"]])["NetworkInterfaces"][0]
        self.assertEqual(len(after["PrivateIpAddresses"]), 1)

    def test_hang_past_the_client_timeout(self):
        self.fault(action="DescribeVpcs", kind="hang", hang_seconds=3.0)
        slow = self.fake.client(read_timeout=1)
        try:
            started = time.monotonic()
            with self.assertRaises(ReadTimeoutError):
                slow.describe_vpcs()
            self.assertLess(time.monotonic() - started, 2.8)
            slow.describe_vpcs()
        finally:
            slow.close()

    def test_drop_closes_mid_response_after_doing_the_work(self):
        self.fault(action="CreateVpc", kind="drop")
        conn = http.client.HTTPConnection("127.0.0.1", self.fake.port, timeout=10)
        try:
            body, headers = self.signed({"Action": "CreateVpc", "Version": "2016-11-15",
                                         "CidrBlock": "10.7.0.0/16"})
            conn.request("POST", "/", body=body, headers=headers)
            response = conn.getresponse()
            self.assertEqual(response.status, 200)
            with self.assertRaises((http.client.IncompleteRead, ConnectionError)):
                response.read()
        finally:
            conn.close()
        vpcs = self.ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.7.0.0/16"]}])
        self.assertEqual(len(vpcs["Vpcs"]), 1)

    def post_bytes(self, params, timeout=10):
        """A signed EC2 POST; (status, body bytes) exactly as the fake sent them."""
        body, headers = self.signed(dict(params, Version="2016-11-15"))
        conn = http.client.HTTPConnection("127.0.0.1", self.fake.port, timeout=timeout)
        try:
            conn.request("POST", "/", body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def test_bad_utf8_error_sends_bytes_that_are_not_utf8(self):
        self.fault(action="CreateVpc", kind="bad_utf8_error")
        status, body = self.post_bytes({"Action": "CreateVpc", "CidrBlock": "10.8.0.0/16"})
        self.assertEqual(status, 400)
        self.assertIn(b"<Code>InvalidParameterValue</Code>", body)
        self.assertIn(b"\xff\xfe", body)
        with self.assertRaises(UnicodeDecodeError):
            body.decode("utf-8")
        self.assertEqual(self.ec2.describe_vpcs(Filters=[{"Name": "cidr",
                                                          "Values": ["10.8.0.0/16"]}])["Vpcs"], [])

    def test_drop_id_creates_but_answers_without_ids(self):
        self.fault(action="CreateVpc", kind="drop_id")
        status, body = self.post_bytes({"Action": "CreateVpc", "CidrBlock": "10.9.0.0/16"})
        self.assertEqual(status, 200)
        self.assertNotIn(b"<vpcId>", body)
        self.assertIn(b"<CreateVpcResponse", body)
        vpcs = self.ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.9.0.0/16"]}])
        self.assertEqual(len(vpcs["Vpcs"]), 1)

    def test_bad_utf8_body_spoils_the_ids_of_a_success(self):
        self.fault(action="CreateVpc", kind="bad_utf8_body")
        status, body = self.post_bytes({"Action": "CreateVpc", "CidrBlock": "10.10.0.0/16"})
        self.assertEqual(status, 200)
        self.assertRegex(body, rb"<vpcId>vpc-[0-9a-f]+\xff\xfe")

    def test_same_body_replays_the_first_answer(self):
        self.fault(action="*mutating*", kind="same_body", count=0)
        first = self.post_bytes({"Action": "CreateVpc", "CidrBlock": "10.11.0.0/16"})
        second = self.post_bytes({"Action": "CreateVpc", "CidrBlock": "10.12.0.0/16"})
        third = self.post_bytes({"Action": "CreateInternetGateway"})
        self.assertEqual(first, second)
        self.assertEqual(first, third)
        self.assertEqual(self.ec2.describe_regions()["ResponseMetadata"]["HTTPStatusCode"], 200)
        both = self.ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.11.0.0/16",
                                                                          "10.12.0.0/16"]}])
        self.assertEqual(len(both["Vpcs"]), 2)  # the changes happened; only the answers lie

    def test_alternating_token_pages_forever(self):
        self.fault(action="DescribeTags", kind="alternating_token", count=0)
        tokens = []
        for token in (None, "tokenA", "tokenB", "tokenA"):
            params = {"Action": "DescribeTags", "MaxResults": "5"}
            if token:
                params["NextToken"] = token
            status, body = self.post_bytes(params)
            self.assertEqual(status, 200, body)
            tokens.append(body.split(b"<nextToken>")[1].split(b"</nextToken>")[0])
        self.assertEqual(tokens, [b"tokenA", b"tokenB", b"tokenA", b"tokenB"])

    def test_stall_after_headers_sends_headers_then_nothing(self):
        self.fault(action="DescribeRegions", kind="stall_after_headers", hang_seconds=5.0)
        body, headers = self.signed({"Action": "DescribeRegions", "Version": "2016-11-15"})
        conn = http.client.HTTPConnection("127.0.0.1", self.fake.port, timeout=1)
        try:
            conn.request("POST", "/", body=body, headers=headers)
            response = conn.getresponse()
            self.assertEqual(response.status, 200)
            self.assertGreater(int(response.getheader("Content-Length")), 0)
            with self.assertRaises(TimeoutError):
                response.read()
        finally:
            conn.close()

    def test_unknown_fault_kind_is_refused(self):
        with self.assertRaises(Exception):
            self.fault(action="*", kind="no_such_kind")

    def signed(self, params, key="AKIAFAKEEXAMPLE00001"):
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        body = urlencode(params)
        request = AWSRequest(method="POST", url=self.fake.endpoint + "/", data=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        SigV4Auth(Credentials(key, DUMMY_SECRET), "ec2", "us-east-1").add_auth(request)
        return body, dict(request.headers.items())

    def test_get_query_string_and_chunked_body_with_expect(self):
        body, headers = self.signed({"Action": "DescribeRegions", "Version": "2016-11-15"})
        conn = http.client.HTTPConnection("127.0.0.1", self.fake.port, timeout=10)
        try:
            conn.request("GET", "/?" + body, headers={k: v for k, v in headers.items()
                                                      if k != "Content-Type"})
            response = conn.getresponse()
            self.assertEqual(response.status, 200)
            response.read()
            headers["Transfer-Encoding"] = "chunked"
            headers["Expect"] = "100-continue"
            conn.putrequest("POST", "/")
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.endheaders()
            conn.send(f"{len(body):x}\r\n{body}\r\n0\r\n\r\n".encode())
            response = conn.getresponse()
            while response.status == 100:
                response = conn.getresponse()
            self.assertEqual(response.status, 200)
            self.assertIn(b"regionInfo", response.read())
        finally:
            conn.close()

    def test_keep_alive_reuses_one_connection(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.fake.port, timeout=10)
        try:
            sockets = []
            for _ in range(3):
                body, headers = self.signed({"Action": "DescribeRegions",
                                             "Version": "2016-11-15"})
                conn.request("POST", "/", body=body, headers=headers)
                response = conn.getresponse()
                self.assertEqual(response.status, 200)
                response.read()
                sockets.append(conn.sock)
            self.assertIs(sockets[0], sockets[2])
        finally:
            conn.close()


class DenyAndDryRun(FakeTestCase):
    def test_per_credential_unauthorized_operation(self):
        instance = self.launch()["Instances"][0]
        eni = instance["NetworkInterfaces"][0]["NetworkInterfaceId"]
        self.fake.control("POST", "/_fake/deny", {"access_key_id": EXECUTOR_KEY,
                                                  "actions": ["AssignPrivateIpAddresses"]})
        scoped = self.fake.client(key_id=EXECUTOR_KEY)
        try:
            # AssignPrivateIpAddresses has no DryRun member in the model (nor in EC2).
            err = self.assertCode("UnauthorizedOperation", scoped.assign_private_ip_addresses,
                                  NetworkInterfaceId=eni, SecondaryPrivateIpAddressCount=1)
            self.assertEqual(err.response["ResponseMetadata"]["HTTPStatusCode"], 403)
            self.fake.control("POST", "/_fake/deny", {"access_key_id": EXECUTOR_KEY, "actions": [
                "AssignPrivateIpAddresses", "ModifyNetworkInterfaceAttribute"]})
            self.assertCode("UnauthorizedOperation", scoped.modify_network_interface_attribute,
                            NetworkInterfaceId=eni, SourceDestCheck={"Value": False}, DryRun=True)
            self.assertCode("DryRunOperation", self.ec2.modify_network_interface_attribute,
                            NetworkInterfaceId=eni, SourceDestCheck={"Value": False}, DryRun=True)
            scoped.describe_network_interfaces(NetworkInterfaceIds=[eni])
            self.ec2.assign_private_ip_addresses(NetworkInterfaceId=eni,
                                                 SecondaryPrivateIpAddressCount=1)
            self.fake.control("POST", "/_fake/deny", {"access_key_id": EXECUTOR_KEY,
                                                      "actions": ["*mutating*"]})
            self.assertCode("UnauthorizedOperation", scoped.create_vpc, CidrBlock="10.3.0.0/16")
            scoped.describe_vpcs()
            self.fake.control("POST", "/_fake/deny", {"access_key_id": EXECUTOR_KEY,
                                                      "actions": []})
            scoped.create_vpc(CidrBlock="10.3.0.0/16")
        finally:
            scoped.close()

    def test_dry_run_changes_nothing(self):
        err = self.assertCode("DryRunOperation", self.ec2.create_vpc, CidrBlock="10.4.0.0/16",
                              DryRun=True)
        self.assertEqual(err.response["ResponseMetadata"]["HTTPStatusCode"], 412)
        self.assertEqual(self.ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values":
                                                          ["10.4.0.0/16"]}])["Vpcs"], [])
        self.assertCode("InvalidGroup.NotFound", self.ec2.delete_security_group,
                        GroupId="sg-0123456789abcdef0", DryRun=True)
        calls = self.fake.control("GET", "/_fake/calls")["calls"]
        dry = [c for c in calls if c["dry_run"]]
        self.assertEqual([c["status"] for c in dry], [412, 400])


class SeedAndCalls(FakeTestCase):
    def test_seed_sixteen_regions_of_fifty_instances_fast(self):
        regions = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1",
                   "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
                   "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1",
                   "ap-southeast-2", "sa-east-1"]
        batches = [{"region": r, "instances": [{"count": 50, "state": "running", "tags": {
            "routerd.cloudedge.run_id": "old", "routerd.cloudedge.ttl_expires_at":
                "2020-01-01T00:00:00Z"}}], "security_groups": [{"name": "old-sg"}],
            "key_pairs": [{"name": "old-kp"}]} for r in regions]
        started = time.monotonic()
        self.fake.control("POST", "/_fake/seed", {"regions": batches})
        self.assertLess(time.monotonic() - started, 1.0)
        state = self.fake.control("GET", "/_fake/state")["regions"]
        self.assertEqual(sorted(state), sorted(regions))
        self.assertEqual({len(s["instances"]) for s in state.values()}, {50})
        self.assertEqual(state["eu-west-1"]["volumes"][0]["tags"]["routerd.cloudedge.run_id"],
                         "old")
        eu = self.fake.client(region="eu-west-1")
        try:
            found = eu.describe_instances(Filters=[{"Name": "tag-key", "Values": [
                "routerd.cloudedge.ttl_expires_at"]}], MaxResults=1000)
            self.assertEqual(sum(len(r["Instances"]) for r in found["Reservations"]), 50)
        finally:
            eu.close()

    def test_calls_log_records_requests_without_secrets(self):
        self.ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": ["vpc-1"]}])
        calls = self.fake.control("GET", "/_fake/calls")["calls"]
        last = calls[-1]
        self.assertEqual((last["action"], last["region"], last["status"], last["dry_run"]),
                         ("DescribeVpcs", "us-east-1", 200, False))
        self.assertEqual(last["params"]["Filter.1.Name"], "vpc-id")
        self.assertEqual(last["access_key_id"], "AKIAFAKEEXAMPLE00001")
        self.assertIsInstance(last["time"], float)
        self.assertNotIn(DUMMY_SECRET, json.dumps(calls))
        self.fake.control("POST", "/_fake/calls/clear")
        self.assertEqual(self.fake.control("GET", "/_fake/calls")["calls"], [])


class SecondaryAddresses(FakeTestCase):
    def enis(self):
        vpc, subnet = self.network("10.5.0.0/16", "10.5.1.0/24")
        created = self.fake.control("POST", "/_fake/seed", {"network_interfaces": [
            {"subnet_id": subnet, "tags": {"n": "a"}}, {"subnet_id": subnet}]})
        return created["created"]["us-east-1"]["network_interfaces"]

    def addresses(self, eni):
        found = self.ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])
        return [p["PrivateIpAddress"] for p in found["NetworkInterfaces"][0]["PrivateIpAddresses"]]

    def test_allow_reassignment_semantics(self):
        first, second = self.enis()
        self.ec2.assign_private_ip_addresses(NetworkInterfaceId=first,
                                             PrivateIpAddresses=["10.5.1.50"])
        self.assertCode("InvalidParameterValue", self.ec2.assign_private_ip_addresses,
                        NetworkInterfaceId=second, PrivateIpAddresses=["10.5.1.50"])
        self.assertIn("10.5.1.50", self.addresses(first))
        moved = self.ec2.assign_private_ip_addresses(
            NetworkInterfaceId=second, PrivateIpAddresses=["10.5.1.50"], AllowReassignment=True)
        self.assertEqual(moved["AssignedPrivateIpAddresses"], [{"PrivateIpAddress": "10.5.1.50"}])
        self.assertNotIn("10.5.1.50", self.addresses(first))
        self.assertIn("10.5.1.50", self.addresses(second))
        primary = self.addresses(first)[0]
        self.assertCode("InvalidParameterValue", self.ec2.assign_private_ip_addresses,
                        NetworkInterfaceId=second, PrivateIpAddresses=[primary],
                        AllowReassignment=True)
        self.assertCode("InvalidParameterValue", self.ec2.assign_private_ip_addresses,
                        NetworkInterfaceId=second, PrivateIpAddresses=["10.6.0.9"])
        self.assertCode("InvalidParameterValue", self.ec2.unassign_private_ip_addresses,
                        NetworkInterfaceId=first, PrivateIpAddresses=["10.5.1.50"])
        self.ec2.unassign_private_ip_addresses(NetworkInterfaceId=second,
                                               PrivateIpAddresses=["10.5.1.50"])
        self.assertEqual(len(self.addresses(second)), 1)

    def test_source_dest_check_round_trip(self):
        first, _ = self.enis()

        def check():
            return self.ec2.describe_network_interface_attribute(
                NetworkInterfaceId=first, Attribute="sourceDestCheck")["SourceDestCheck"]["Value"]
        self.assertTrue(check())
        self.ec2.modify_network_interface_attribute(NetworkInterfaceId=first,
                                                    SourceDestCheck={"Value": False})
        self.assertFalse(check())
        self.ec2.modify_network_interface_attribute(NetworkInterfaceId=first,
                                                    SourceDestCheck={"Value": True})
        self.assertTrue(check())


class Lifetime(unittest.TestCase):
    def test_fake_exits_when_its_parent_dies(self):
        # Given a parent shell that starts the fake and exits, expect the fake to follow it.
        with tempfile.TemporaryDirectory(prefix="ec2fake-orphan-") as tmp:
            port_file = os.path.join(tmp, "port")
            script = (f'"{sys.executable}" "{FAKE}" --port 0 --port-file "{port_file}" & '
                      f'echo $!; while [ ! -f "{port_file}" ]; do sleep 0.05; done')
            pid = int(subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                                     timeout=60, check=True).stdout.strip())
            deadline = time.monotonic() + 15
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            alive = _alive(pid)
            if alive:
                os.kill(pid, signal.SIGTERM)
            self.assertFalse(alive, "the orphaned fake kept running")


def _alive(pid):
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            return not any(line.startswith("State:") and "Z" in line for line in status)
    except FileNotFoundError:
        return False


del FakeTestCase  # imported for subclassing only; not a test case of this module

if __name__ == "__main__":
    unittest.main()
