"""Oracle's TypeScript SDK against the OCI fake (sdk_client.js via node): what the fake holds,
read through Oracle's own client, signer and models. Skipped (77) without node or the npm
packages (tests/fakes/oci/setup-npm.sh)."""
import json
import os
import shutil
import subprocess
import sys
import unittest

import oci_harness as h
from cryptography.hazmat.primitives import serialization

NODE_MODULES = os.path.join(os.path.dirname(h.MODELS), "node_modules")
NODE = shutil.which("node")
if NODE is None or not os.path.isdir(os.path.join(NODE_MODULES, "oci-common")):
    print("node or npm oci-common not found: skipping (run tests/fakes/oci/setup-npm.sh)")
    sys.exit(h.SKIP)

RUN = "sdk-run-1"
TAGS = {"routerd.cloudedge.run_id": RUN}


class OracleSdk(unittest.TestCase):
    def setUp(self):
        self.fake = h.FakeProcess("--op-delay-ms", "0")
        self.addCleanup(self.fake.stop)

    def ok(self, method, target, payload=None):
        status, _, body = self.fake.call(method, target, payload)
        self.assertIn(status, (200, 204), body)
        return body

    def test_sdk_lists_what_the_fake_holds(self):
        # Given a VCN, subnet and router instance made through signed REST (as labctl does),
        # expect Oracle's SDK to sign accepted requests, create a VCN, page through VCNs, read
        # instances, VNICs, availability domains, the compartment and a tag search, and to
        # parse a 404 as NotAuthorizedOrNotFound.
        c = h.COMPARTMENT
        vcn = self.ok("POST", "/20160918/vcns", {"compartmentId": c, "cidrBlocks": ["10.0.0.0/16"],
                                                 "freeformTags": TAGS})
        subnet = self.ok("POST", "/20160918/subnets", {"compartmentId": c, "vcnId": vcn["id"],
                                                       "cidrBlock": "10.0.1.0/24",
                                                       "freeformTags": TAGS})
        ad = self.ok("GET", f"/20160918/availabilityDomains?compartmentId={c}")[0]["name"]
        instance = self.ok("POST", "/20160918/instances", {
            "compartmentId": c, "availabilityDomain": ad, "shape": "VM.Standard.E4.Flex",
            "sourceDetails": {"sourceType": "image", "imageId": "ocid1.image.oc1..img"},
            "createVnicDetails": {"subnetId": subnet["id"], "skipSourceDestCheck": True},
            "freeformTags": TAGS})
        key_file = os.path.join(self.fake.dir.name, "api_key.pem")
        with open(key_file, "wb") as handle:
            handle.write(self.fake.key.private_bytes(serialization.Encoding.PEM,
                                                     serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()))
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NODE_PATH": NODE_MODULES,
               "NODE_EXTRA_CA_CERTS": self.fake.ca,
               "OCI_FAKE_ENDPOINT": f"https://127.0.0.1:{self.fake.port}",
               "OCI_FAKE_KEY_FILE": key_file, "OCI_FAKE_TENANCY": h.TENANCY,
               "OCI_FAKE_USER": h.USER, "OCI_FAKE_FINGERPRINT": self.fake.fingerprint,
               "OCI_FAKE_COMPARTMENT": c, "OCI_FAKE_RUN_ID": RUN}
        run = subprocess.run([NODE, os.path.join(h.HERE, "sdk_client.js")], env=env,
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stderr + run.stdout)
        seen = json.loads(run.stdout)
        self.assertEqual({v["id"] for v in seen["vcns"]}, {vcn["id"], seen["createdVcn"]})
        self.assertTrue(all(v["tags"] == TAGS for v in seen["vcns"]))
        self.assertEqual([(i["id"], i["state"]) for i in seen["instances"]],
                         [(instance["id"], "RUNNING")])
        self.assertEqual([(v["privateIp"], v["skipSourceDestCheck"])
                          for v in seen["instances"][0]["vnics"]], [("10.0.1.2", True)])
        self.assertEqual(len(seen["availabilityDomains"]), 3)
        self.assertEqual(seen["compartment"], c)
        self.assertEqual({s["id"] for s in seen["search"]},
                         {vcn["id"], subnet["id"], instance["id"], seen["createdVcn"]})
        self.assertEqual(seen["notFound"], {"status": 404, "code": "NotAuthorizedOrNotFound",
                                            "requestId": True})
        # The SDK's POST carried its retry token and was verified like any other request.
        log = self.fake.control("GET", "/_fake/log")
        posts = [e for e in log if e["method"] == "POST" and e["path"] == "/20160918/vcns"]
        self.assertEqual([e["status"] for e in posts], [200, 200])
        self.assertEqual(posts[-1].get("retry_token"), f"sdk-{RUN}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
