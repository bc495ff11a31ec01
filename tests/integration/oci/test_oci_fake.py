"""The OCI fake's own tests: signatures, resources, retry tokens, search, conflicts, model
validation, pagination, faults and the control API. Run with /usr/bin/python3."""
import email.utils
import json
import time
import unittest
from urllib.parse import quote

import oci_harness as h

C = h.COMPARTMENT
TAGS = {"routerd.cloudedge.run_id": "run-1", "routerd.cloudedge.owner": "labctl"}


def vcn_body(**extra):
    body = {"compartmentId": C, "cidrBlocks": ["10.0.0.0/16"], "displayName": "lab",
            "freeformTags": dict(TAGS)}
    body.update(extra)
    return body


class Base(unittest.TestCase):
    fake_args = ()
    fingerprint_flag = True

    def setUp(self):
        self.fake = h.FakeProcess(*self.fake_args, fingerprint_flag=self.fingerprint_flag)
        self.addCleanup(self.fake.stop)

    def ok(self, method, target, payload=None, status=200, **kw):
        got, headers, body = self.fake.call(method, target, payload, **kw)
        self.assertEqual(got, status, body)
        return body, headers

    def vcn(self, **extra):
        return self.ok("POST", "/20160918/vcns", vcn_body(**extra))[0]

    def subnet(self, vcn, cidr="10.0.1.0/24", **extra):
        body = {"compartmentId": C, "vcnId": vcn["id"], "cidrBlock": cidr,
                "freeformTags": dict(TAGS)}
        body.update(extra)
        return self.ok("POST", "/20160918/subnets", body)[0]

    def launch(self, subnet, **extra):
        body = {"compartmentId": C, "availabilityDomain": self.ad(), "shape": "VM.Standard.E4.Flex",
                "shapeConfig": {"ocpus": 1, "memoryInGBs": 4}, "displayName": "r1",
                "sourceDetails": {"sourceType": "image", "imageId": "ocid1.image.oc1..img"},
                "createVnicDetails": {"subnetId": subnet["id"], "assignPublicIp": True,
                                      "skipSourceDestCheck": False},
                "metadata": {"ssh_authorized_keys": "ssh-ed25519 AAAA test"},
                "freeformTags": dict(TAGS)}
        body.update(extra)
        return self.ok("POST", "/20160918/instances", body)[0]

    def ad(self):
        return self.ok("GET", f"/20160918/availabilityDomains?compartmentId={C}")[0][0]["name"]

    def settle(self):
        self.fake.control("POST", "/_fake/settle")

    def search(self, query, status=200, **kw):
        return self.ok("POST", "/20180409/resources", {"type": "Structured", "query": query},
                       status=status, **kw)[0]


class Signatures(Base):
    def test_good_signature_is_answered(self):
        # Given a request signed with the configured key, expect 200 and an opc-request-id.
        body, headers = self.ok("GET", f"/20160918/vcns?compartmentId={C}")
        self.assertEqual(body, [])
        self.assertTrue(headers.get("opc-request-id"))

    def assert_401(self, status, headers, body):
        self.assertEqual(status, 401, body)
        self.assertEqual(body["code"], "NotAuthenticated")
        self.assertTrue(headers.get("opc-request-id"))

    def test_tampered_body_is_refused(self):
        # Given a body changed after signing (same length), expect 401 and nothing created.
        self.assert_401(*self.fake.call("POST", "/20160918/vcns", vcn_body(),
                                        tamper=lambda b: b.replace(b"lab", b"bal")))
        self.settle()
        self.assertEqual(self.fake.control("GET", "/_fake/state")["resources"], [])

    def test_stale_date_is_refused(self):
        stale = email.utils.formatdate(time.time() - 400, usegmt=True)
        self.assert_401(*self.fake.call("GET", f"/20160918/vcns?compartmentId={C}", date=stale))
        fresh = email.utils.formatdate(time.time() - 200, usegmt=True)
        self.ok("GET", f"/20160918/vcns?compartmentId={C}", date=fresh)

    def test_wrong_key_and_wrong_key_id_are_refused(self):
        other = h.Signer(h.new_key(), self.fake.signer.key_id)
        self.assert_401(*self.fake.call("GET", f"/20160918/vcns?compartmentId={C}",
                                        signer=other))
        wrong_id = h.Signer(self.fake.key, f"{h.TENANCY}/{h.USER}/00:11")
        self.assert_401(*self.fake.call("GET", f"/20160918/vcns?compartmentId={C}",
                                        signer=wrong_id))

    def test_missing_signed_headers_are_refused(self):
        # Given a POST whose signature leaves out x-content-sha256, expect 401.
        self.assert_401(*self.fake.call(
            "POST", "/20160918/vcns", vcn_body(),
            signed=["date", "(request-target)", "host", "content-length", "content-type"]))
        # Given a GET that does not sign host, expect 401; unsigned, expect 401.
        self.assert_401(*self.fake.call("GET", f"/20160918/vcns?compartmentId={C}",
                                        signed=["date", "(request-target)"]))
        self.assert_401(*self.fake.raw("GET", f"/20160918/vcns?compartmentId={C}"))

    def test_changed_query_is_refused(self):
        # Given a signature over one request target, expect 401 for another.
        headers = self.fake.signer.headers("GET", f"/20160918/vcns?compartmentId={C}",
                                           self.fake.host)
        self.assert_401(*self.fake.raw("GET", f"/20160918/vcns?compartmentId={C}&limit=1",
                                       headers=headers))


class Vcns(Base):
    def test_create_get_list_delete(self):
        vcn = self.vcn()
        self.assertEqual(vcn["lifecycleState"], "PROVISIONING")
        self.assertEqual(vcn["freeformTags"], TAGS)
        self.settle()
        got, headers = self.ok("GET", f"/20160918/vcns/{vcn['id']}")
        self.assertEqual(got["lifecycleState"], "AVAILABLE")
        self.assertTrue(headers.get("etag"))
        listed = self.ok("GET", f"/20160918/vcns?compartmentId={C}")[0]
        self.assertEqual([v["id"] for v in listed], [vcn["id"]])
        # The VCN's default route table and security list exist and go with it.
        tables = self.ok("GET", f"/20160918/routeTables?compartmentId={C}&vcnId={vcn['id']}")[0]
        self.assertEqual([t["id"] for t in tables], [vcn["defaultRouteTableId"]])
        self.ok("DELETE", f"/20160918/vcns/{vcn['id']}", status=204)
        self.assertEqual(self.ok("GET", f"/20160918/vcns/{vcn['id']}")[0]["lifecycleState"],
                         "TERMINATING")
        self.settle()
        status, _, body = self.fake.call("GET", f"/20160918/vcns/{vcn['id']}")
        self.assertEqual((status, body["code"]), (404, "NotAuthorizedOrNotFound"))
        self.assertEqual(self.fake.control("GET", "/_fake/state")["resources"], [])

    def test_retry_token_makes_create_idempotent(self):
        token = {"opc-retry-token": "lab-run-1-vcn"}
        first = self.ok("POST", "/20160918/vcns", vcn_body(), extra=token)[0]
        again = self.ok("POST", "/20160918/vcns", vcn_body(), extra=token)[0]
        self.assertEqual(first["id"], again["id"])
        self.assertEqual(len(self.ok("GET", f"/20160918/vcns?compartmentId={C}")[0]), 1)
        # Given the same token with another body, expect 409 and still one VCN.
        status, _, body = self.fake.call("POST", "/20160918/vcns",
                                         vcn_body(displayName="other"), extra=token)
        self.assertEqual((status, body["code"]), (409, "InvalidatedRetryToken"))
        self.assertEqual(len(self.ok("GET", f"/20160918/vcns?compartmentId={C}")[0]), 1)

    def test_delete_in_use_is_a_conflict(self):
        vcn = self.vcn()
        subnet = self.subnet(vcn)
        status, _, body = self.fake.call("DELETE", f"/20160918/vcns/{vcn['id']}")
        self.assertEqual((status, body["code"]), (409, "Conflict"))
        self.assertIn(subnet["id"], body["message"])
        gateway = self.ok("POST", "/20160918/internetGateways",
                          {"compartmentId": C, "vcnId": vcn["id"], "isEnabled": True})[0]
        self.ok("PUT", f"/20160918/routeTables/{vcn['defaultRouteTableId']}",
                {"routeRules": [{"destination": "0.0.0.0/0", "destinationType": "CIDR_BLOCK",
                                 "networkEntityId": gateway["id"]}]})
        status, _, body = self.fake.call("DELETE", f"/20160918/internetGateways/{gateway['id']}")
        self.assertEqual((status, body["code"]), (409, "Conflict"))
        self.ok("DELETE", f"/20160918/subnets/{subnet['id']}", status=204)
        self.ok("PUT", f"/20160918/routeTables/{vcn['defaultRouteTableId']}", {"routeRules": []})
        self.ok("DELETE", f"/20160918/internetGateways/{gateway['id']}", status=204)
        self.settle()
        self.ok("DELETE", f"/20160918/vcns/{vcn['id']}", status=204)

    def test_bodies_are_held_to_the_sdk_models(self):
        # Given a field CreateVcnDetails lacks, expect 400 InvalidParameter naming it.
        status, _, body = self.fake.call("POST", "/20160918/vcns", vcn_body(cidrs=["x"]))
        self.assertEqual((status, body["code"]), (400, "InvalidParameter"))
        self.assertIn("body.cidrs", body["message"])
        body = vcn_body()
        del body["compartmentId"]
        status, _, answer = self.fake.call("POST", "/20160918/vcns", body)
        self.assertEqual((status, answer["code"]), (400, "MissingParameter"))
        status, _, answer = self.fake.call("POST", "/20160918/vcns", vcn_body(displayName=7))
        self.assertEqual((status, answer["code"]), (400, "InvalidParameter"))
        rule = {"protocol": "6", "source": "0.0.0.0/0", "sourceType": "NOT_A_TYPE"}
        vcn = self.vcn()
        status, _, answer = self.fake.call("POST", "/20160918/securityLists", {
            "compartmentId": C, "vcnId": vcn["id"], "ingressSecurityRules": [rule],
            "egressSecurityRules": []})
        self.assertEqual((status, answer["code"]), (400, "InvalidParameter"))
        self.assertIn("sourceType", answer["message"])

    def test_pagination(self):
        for index in range(3):
            self.vcn(cidrBlocks=[f"10.{index}.0.0/16"])
        first, headers = self.ok("GET", f"/20160918/vcns?compartmentId={C}&limit=2")
        self.assertEqual(len(first), 2)
        page = headers["opc-next-page"]
        second, headers = self.ok("GET", f"/20160918/vcns?compartmentId={C}&limit=2&page={page}")
        self.assertEqual(len(second), 1)
        self.assertNotIn("opc-next-page", headers)
        self.assertEqual(len({v["id"] for v in first + second}), 3)


class Compute(Base):
    def test_instance_lifecycle_vnics_and_private_ips(self):
        vcn = self.vcn()
        subnet = self.subnet(vcn)
        instance = self.launch(subnet)
        self.assertEqual(instance["lifecycleState"], "PROVISIONING")
        self.settle()
        self.assertEqual(self.ok("GET", f"/20160918/instances/{instance['id']}")[0]
                         ["lifecycleState"], "RUNNING")
        attachments = self.ok("GET", f"/20160918/vnicAttachments?compartmentId={C}"
                                     f"&instanceId={instance['id']}")[0]
        self.assertEqual([a["lifecycleState"] for a in attachments], ["ATTACHED"])
        vnic_id = attachments[0]["vnicId"]
        vnic = self.ok("PUT", f"/20160918/vnics/{vnic_id}", {"skipSourceDestCheck": True})[0]
        self.assertTrue(vnic["skipSourceDestCheck"])
        self.assertEqual(vnic["privateIp"], "10.0.1.2")
        self.assertTrue(vnic["publicIp"].startswith("198.18."))
        other = self.launch(subnet, displayName="r2")
        self.settle()
        other_vnic = self.ok("GET", f"/20160918/vnicAttachments?compartmentId={C}"
                                    f"&instanceId={other['id']}")[0][0]["vnicId"]
        secondary = self.ok("POST", "/20160918/privateIps",
                            {"vnicId": vnic_id, "ipAddress": "10.0.1.50",
                             "freeformTags": dict(TAGS)})[0]
        status, _, body = self.fake.call("POST", "/20160918/privateIps",
                                         {"vnicId": other_vnic, "ipAddress": "10.0.1.50"})
        self.assertEqual((status, body["code"]), (409, "Conflict"))
        moved = self.ok("PUT", f"/20160918/privateIps/{secondary['id']}",
                        {"vnicId": other_vnic})[0]
        self.assertEqual(moved["vnicId"], other_vnic)
        found = self.ok("GET", f"/20160918/privateIps?subnetId={subnet['id']}"
                               "&ipAddress=10.0.1.50")[0]
        self.assertEqual([(p["id"], p["vnicId"]) for p in found], [(secondary["id"], other_vnic)])
        self.ok("DELETE", f"/20160918/privateIps/{secondary['id']}", status=204)
        self.assertEqual(len(self.ok("GET", f"/20160918/privateIps?vnicId={other_vnic}")[0]), 1)
        stopped = self.ok("POST", f"/20160918/instances/{instance['id']}?action=STOP")[0]
        self.assertEqual(stopped["lifecycleState"], "STOPPING")
        self.settle()
        self.assertEqual(self.ok("GET", f"/20160918/instances/{instance['id']}")[0]
                         ["lifecycleState"], "STOPPED")
        # A subnet with VNICs in it cannot go.
        status, _, body = self.fake.call("DELETE", f"/20160918/subnets/{subnet['id']}")
        self.assertEqual((status, body["code"]), (409, "Conflict"))
        for item in (instance, other):
            self.ok("DELETE", f"/20160918/instances/{item['id']}?preserveBootVolume=false",
                    status=204)
        self.settle()
        self.assertEqual(self.ok("GET", f"/20160918/instances/{instance['id']}")[0]
                         ["lifecycleState"], "TERMINATED")
        self.ok("DELETE", f"/20160918/subnets/{subnet['id']}", status=204)
        kinds = {r["type"] for r in self.fake.control("GET", "/_fake/state")["resources"]}
        self.assertNotIn("BootVolume", kinds)
        self.assertNotIn("Vnic", kinds)

    def test_preserved_boot_volume_is_left_behind(self):
        # Given a terminate that preserves the boot volume, expect a BootVolume to remain.
        subnet = self.subnet(self.vcn())
        instance = self.launch(subnet)
        self.settle()
        self.ok("DELETE", f"/20160918/instances/{instance['id']}?preserveBootVolume=true",
                status=204)
        self.settle()
        kinds = [r["type"] for r in self.fake.control("GET", "/_fake/state")["resources"]]
        self.assertIn("BootVolume", kinds)

    def test_identity(self):
        compartment = self.ok("GET", f"/20160918/compartments/{C}")[0]
        self.assertEqual((compartment["id"], compartment["lifecycleState"]), (C, "ACTIVE"))
        status, _, body = self.fake.call("GET", "/20160918/compartments/ocid1.compartment.oc1..x")
        self.assertEqual((status, body["code"]), (404, "NotAuthorizedOrNotFound"))
        self.assertEqual(len(self.ok("GET", f"/20160918/availabilityDomains?compartmentId={C}")
                             [0]), 3)


class Search(Base):
    def test_search_by_freeform_tag(self):
        vcn = self.vcn()
        self.vcn(cidrBlocks=["10.9.0.0/16"], freeformTags={"routerd.cloudedge.run_id": "run-2"})
        query = ("query all resources where (freeformTags.key = 'routerd.cloudedge.run_id' "
                 "&& freeformTags.value = 'run-1')")
        found = self.search(query)["items"]
        self.assertEqual([(f["identifier"], f["resourceType"]) for f in found],
                         [(vcn["id"], "Vcn")])
        # Key and value of different tags do not make a match.
        crossed = self.search("query vcn resources where (freeformTags.key = "
                              "'routerd.cloudedge.owner' && freeformTags.value = 'run-1')")
        self.assertEqual(crossed["items"], [])
        live = self.search("query vcn resources where lifecycleState != 'TERMINATED' && "
                           "freeformTags.key = 'routerd.cloudedge.run_id'")["items"]
        self.assertEqual(len(live), 2)

    def test_unsupported_queries_are_refused(self):
        for query in ("query all resources where displayName =~ 'lab'",
                      "query all resources where timeCreated > '2020-01-01'",
                      "query widget resources", "select * from resources"):
            with self.subTest(query=query):
                status, _, body = self.fake.call("POST", "/20180409/resources",
                                                 {"type": "Structured", "query": query})
                self.assertEqual((status, body["code"]), (400, "InvalidParameter"))

    def test_linger_search_returns_deleted_resources(self):
        self.fake.control("POST", "/_fake/faults", {"linger_search_s": 30})
        vcn = self.vcn()
        self.settle()
        self.ok("DELETE", f"/20160918/vcns/{vcn['id']}", status=204)
        self.settle()
        query = "query vcn resources where freeformTags.value = 'run-1'"
        self.assertEqual([f["identifier"] for f in self.search(query)["items"]], [vcn["id"]])
        self.fake.control("POST", "/_fake/faults", {"linger_search_s": 0})
        self.assertEqual(self.search(query)["items"], [])


class Faults(Base):
    def test_throttle_and_5xx(self):
        self.fake.control("POST", "/_fake/faults", {"throttle_every": 2})
        target = f"/20160918/vcns?compartmentId={C}"
        statuses = [self.fake.call("GET", target)[0] for _ in range(4)]
        self.assertEqual(statuses, [200, 429, 200, 429])
        self.fake.control("POST", "/_fake/faults", {"throttle_every": 0, "fail_5xx_every": 1})
        status, headers, body = self.fake.call("GET", target)
        self.assertEqual((status, body["code"]), (500, "InternalServerError"))
        self.assertTrue(headers.get("opc-request-id"))

    def test_conflict_on_delete_and_drop_tags(self):
        self.fake.control("POST", "/_fake/faults", {"conflict_on_delete": 1,
                                                    "drop_tags": ["Vcn"]})
        vcn = self.vcn()
        self.assertEqual(vcn["freeformTags"], {})
        status, _, body = self.fake.call("DELETE", f"/20160918/vcns/{vcn['id']}")
        self.assertEqual((status, body["code"]), (409, "IncorrectState"))
        self.ok("DELETE", f"/20160918/vcns/{vcn['id']}", status=204)

    def test_bad_fault_keys_change_nothing(self):
        before = self.fake.control("GET", "/_fake/faults")
        status, _, _ = self.fake.raw("POST", "/_fake/faults",
                                     json.dumps({"throttle_every": 3, "nope": 1}).encode())
        self.assertEqual(status, 400)
        self.assertEqual(self.fake.control("GET", "/_fake/faults"), before)

    def test_reset_and_hang(self):
        self.fake.control("POST", "/_fake/faults", {"reset_path": ["/vcns"],
                                                    "hang_path": ["/subnets"]})
        with self.assertRaises((ConnectionError, OSError)):
            self.fake.call("GET", f"/20160918/vcns?compartmentId={C}")
        headers = self.fake.signer.headers("GET", f"/20160918/subnets?compartmentId={C}",
                                           self.fake.host)
        with self.assertRaises(OSError):  # socket.timeout is an OSError
            self.fake.raw("GET", f"/20160918/subnets?compartmentId={C}", headers=headers,
                          timeout=0.5)
        statuses = [e["status"] for e in self.fake.control("GET", "/_fake/log")]
        self.assertEqual(statuses, ["reset", "hang"])


class Control(Base):
    fake_args = ("--op-delay-ms", "0")
    fingerprint_flag = False  # the fake computes it; keyId below must match the test's own

    def test_seed_state_and_log(self):
        created = self.fake.control("POST", "/_fake/seed", {"resources": [
            {"type": "Vcn", "name": "foreign", "details": {
                "compartmentId": C, "cidrBlocks": ["172.16.0.0/16"],
                "freeformTags": {"owner": "someone-else"}}},
            {"type": "Subnet", "name": "sub", "details": {
                "compartmentId": C, "vcnId": "${foreign}", "cidrBlock": "172.16.1.0/24"}}]})
        state = self.fake.control("GET", "/_fake/state")
        self.assertEqual(state["models"]["oci-core"], state["models"]["oci-identity"])
        self.assertEqual(state["keyId"], self.fake.signer.key_id)
        by_id = {r["id"]: r for r in state["resources"]}
        self.assertEqual(by_id[created["created"]["foreign"]]["lifecycleState"], "AVAILABLE")
        self.assertEqual(by_id[created["created"]["sub"]]["type"], "Subnet")
        # A bad seed changes nothing.
        status, _, _ = self.fake.raw("POST", "/_fake/seed", json.dumps({"resources": [
            {"type": "Vcn", "details": {"compartmentId": C, "cidrBlocks": ["10.0.0.0/16"]}},
            {"type": "Vcn", "details": {"compartmentId": C, "bogus": 1}}]}).encode())
        self.assertEqual(status, 400)
        self.assertEqual(len(self.fake.control("GET", "/_fake/state")["resources"]),
                         len(state["resources"]))
        self.ok("GET", f"/20160918/vcns?compartmentId={quote(C)}")
        log = self.fake.control("GET", "/_fake/log")
        self.assertEqual([(e["method"], e["path"], e["status"]) for e in log],
                         [("GET", "/20160918/vcns", 200)])
        self.assertNotIn("authorization", json.dumps(log).lower())
        self.fake.control("POST", "/_fake/log/clear")
        self.assertEqual(self.fake.control("GET", "/_fake/log"), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
