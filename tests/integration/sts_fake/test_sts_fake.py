"""sts_fake_behaviour: the STS fake (tests/fakes/sts) against botocore's own STS client and raw
requests: botocore's requests pass the fake's model validation and its answers parse with
botocore's sts model; invalid parameters, unsigned or mis-scoped AssumeRole, a wrong web
identity token and injected faults are answered as STS does; no token is ever recorded.
Run with /usr/bin/python3 (Debian's python3-botocore); exits 77 (skipped) without botocore."""
import http.client
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
from urllib.parse import urlencode

if importlib.util.find_spec("botocore") is None:
    print("botocore is not importable by this python: skipping")
    sys.exit(77)

import botocore.session  # noqa: E402
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.normpath(os.path.join(HERE, "..", "..", "fakes", "sts", "sts_fake.py"))
KEY_ID, SECRET = "AKIAFAKESTSPYTEST001", "sts-fake-python-test-secret"
TOKEN = "CANARY-PY-WEB-TOKEN-0123456789"
ROLE = "arn:aws:iam::123456789012:role/lab-ci"


class StsFakeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory(prefix="stsfake-")
        port_file = os.path.join(cls.dir.name, "port")
        cls.proc = subprocess.Popen(
            [sys.executable, FAKE, "--port", "0", "--port-file", port_file, "--verify-secret",
             f"{KEY_ID}={SECRET}", "--web-identity-token", TOKEN], stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while not os.path.exists(port_file):
            if cls.proc.poll() is not None or time.monotonic() > deadline:
                cls.tearDownClass()
                raise RuntimeError("the STS fake did not start")
            time.sleep(0.02)
        with open(port_file, encoding="ascii") as handle:
            cls.port = int(handle.read())
        cls.endpoint = f"http://127.0.0.1:{cls.port}"

    @classmethod
    def tearDownClass(cls):
        if cls.proc.poll() is None:
            cls.proc.terminate()
            cls.proc.wait(timeout=10)
        cls.dir.cleanup()

    def client(self, key_id=KEY_ID, secret=SECRET):
        session = botocore.session.get_session()
        return session.create_client("sts", region_name="us-east-1", endpoint_url=self.endpoint,
                                     aws_access_key_id=key_id, aws_secret_access_key=secret)

    def raw(self, params, sign=True, service="sts"):
        """POSTs form `params` (Version added unless given), SigV4-signed for `service`."""
        body = urlencode({"Version": "2011-06-15", **params})
        request = AWSRequest(method="POST", url=self.endpoint + "/", data=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        if sign:
            SigV4Auth(Credentials(KEY_ID, SECRET), service, "us-east-1").add_auth(request)
        status, answer = self.request("POST", "/", body, dict(request.headers.items()))
        return status, answer.decode()

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def calls(self):
        return json.loads(self.request("GET", "/_fake/calls")[1])["calls"]

    def control(self, path, payload):
        return self.request("POST", path, json.dumps(payload))[0]

    def test_botocore_assume_role_round_trip(self):
        answer = self.client().assume_role(RoleArn=ROLE, RoleSessionName="py-test",
                                           DurationSeconds=900, ExternalId="ext-1")
        credentials = answer["Credentials"]
        self.assertTrue(credentials["AccessKeyId"].startswith("ASIAFAKESTS"))
        self.assertTrue(credentials["SessionToken"])
        self.assertEqual(answer["AssumedRoleUser"]["Arn"],
                         "arn:aws:sts::123456789012:assumed-role/lab-ci/py-test")
        last = self.calls()[-1]
        self.assertEqual((last["action"], last["status"], last["access_key_id"]),
                         ("AssumeRole", 200, KEY_ID))

    def test_botocore_web_identity_is_unsigned_and_checked(self):
        client = self.client()
        answer = client.assume_role_with_web_identity(RoleArn=ROLE, RoleSessionName="py-web",
                                                      WebIdentityToken=TOKEN)
        self.assertIn("Credentials", answer)
        self.assertFalse(self.calls()[-1]["signed"])
        with self.assertRaises(ClientError) as caught:
            client.assume_role_with_web_identity(RoleArn=ROLE, RoleSessionName="py-web",
                                                 WebIdentityToken="wrong-token")
        self.assertEqual(caught.exception.response["Error"]["Code"], "InvalidIdentityToken")
        self.assertNotIn(TOKEN, json.dumps(self.calls()))

    def test_requests_are_validated_against_the_model(self):
        good = {"Action": "AssumeRole", "RoleArn": ROLE, "RoleSessionName": "ok-name"}
        for change, code in (({"Bogus": "1"}, "UnknownParameter"),
                             ({"DurationSeconds": "60"}, "InvalidParameterValue"),
                             ({"DurationSeconds": "ten"}, "InvalidParameterValue"),
                             ({"RoleSessionName": "has space"}, "ValidationError"),
                             ({"RoleArn": "lab-ci-role-but-no-arn"}, "ValidationError"),
                             ({"Version": "2011-06-14"}, "InvalidAction")):
            status, body = self.raw({**good, **change})
            self.assertEqual(status, 400, (change, body))
            self.assertIn(f"<Code>{code}</Code>", body)
            self.assertIn("<ErrorResponse", body)
        status, body = self.raw({"Action": "AssumeRole", "RoleArn": ROLE})
        self.assertIn("<Code>MissingParameter</Code>", body)
        status, body = self.raw(good, sign=False)
        self.assertEqual(status, 401, body)
        status, body = self.raw(good, service="ec2")
        self.assertEqual(status, 403, body)
        self.assertIn("<Code>SignatureDoesNotMatch</Code>", body)
        status, body = self.raw({"Action": "GetSessionToken"})
        self.assertIn("<Code>UnsupportedOperation</Code>", body)
        status, body = self.raw(good)
        self.assertEqual(status, 200, body)

    def test_faults(self):
        good = {"Action": "AssumeRole", "RoleArn": ROLE, "RoleSessionName": "ok-name"}
        self.assertEqual(self.control("/_fake/faults", {"kind": "error", "code": "Throttling",
                                                        "status": 400}), 200)
        status, body = self.raw(good)
        self.assertEqual(status, 400)
        self.assertIn("<Code>Throttling</Code>", body)
        self.control("/_fake/faults", {"kind": "garbage"})
        self.assertEqual(self.raw(good), (200, "<<<not xml"))
        self.control("/_fake/faults", {"kind": "no_session_token"})
        status, body = self.raw(good)
        self.assertNotIn("SessionToken", body)
        self.assertEqual(self.raw(good)[0], 200)
        self.assertEqual(self.control("/_fake/faults", {"kind": "nonsense"}), 400)


if __name__ == "__main__":
    unittest.main(verbosity=1)
