"""Starts the EC2 fake as a subprocess for a test and talks to it (EC2 via botocore, control
API via JSON). Run with /usr/bin/python3 (botocore from Debian's python3-botocore); test modules
import this before botocore, since importing it exits 77 (skipped) when botocore is missing."""
import http.client
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "fakes", "ec2"))
FAKE = os.path.join(FAKE_DIR, "ec2_fake.py")

SKIP = 77


def require_botocore():
    """Exits 77 (CTest: skipped) when this interpreter has no botocore."""
    if importlib.util.find_spec("botocore") is None:
        print("botocore is not importable by this python: skipping (use /usr/bin/python3 with "
              "Debian's python3-botocore)")
        sys.exit(SKIP)


# Importing this module is the gate: without botocore the test reports "skipped", not "failed".
require_botocore()

DUMMY_KEY_ID = "AKIAFAKEEXAMPLE00001"
DUMMY_SECRET = "fake/secret/for/tests/only/0000000000000"


class FakeProcess:
    """The fake on an ephemeral port; stop() terminates exactly the process it started."""

    def __init__(self, *extra_args):
        self.dir = tempfile.TemporaryDirectory(prefix="ec2fake-")
        port_file = os.path.join(self.dir.name, "port")
        self.log = os.path.join(self.dir.name, "fake.log")
        self.proc = subprocess.Popen(
            [sys.executable, FAKE, "--port", "0", "--port-file", port_file, "--log", self.log,
             "--strict-render", *extra_args], stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the EC2 fake did not start")
            time.sleep(0.02)
        with open(port_file, encoding="ascii") as handle:
            self.port = int(handle.read())
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.dir.cleanup()

    def control(self, method, path, payload=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            body = json.dumps(payload).encode() if payload is not None else None
            conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            data = json.loads(response.read() or b"{}")
            if response.status != 200:
                raise RuntimeError(f"{method} {path}: {response.status} {data}")
            return data
        finally:
            conn.close()

    def client(self, region="us-east-1", key_id=DUMMY_KEY_ID, secret=DUMMY_SECRET, token=None,
               read_timeout=30, max_attempts=1):
        import botocore.config
        import botocore.session
        session = botocore.session.Session()
        config = botocore.config.Config(read_timeout=read_timeout, connect_timeout=5,
                                        retries={"total_max_attempts": max_attempts})
        return session.create_client("ec2", region_name=region, endpoint_url=self.endpoint,
                                     aws_access_key_id=key_id, aws_secret_access_key=secret,
                                     aws_session_token=token, config=config)

    def raw(self, params, region="us-east-1", key_id=DUMMY_KEY_ID, secret=DUMMY_SECRET,
            sign=True):
        """POSTs form params exactly as given (bypassing client-side validation).

        Returns (HTTP status, body text)."""
        from urllib.parse import urlencode
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        body = urlencode(params)
        request = AWSRequest(method="POST", url=self.endpoint + "/", data=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        if sign:
            SigV4Auth(Credentials(key_id, secret), "ec2", region).add_auth(request)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("POST", "/", body=body, headers=dict(request.headers.items()))
            response = conn.getresponse()
            return response.status, response.read().decode()
        finally:
            conn.close()


class FakeProcessTestCase(unittest.TestCase):
    """One fake per class (self.fake, and self.ec2 its botocore client), its state reset and
    SETTINGS applied through the control API before each test. The default run delay of a minute
    means instances change state only through settle() unless a test shortens it."""

    SETTINGS = {"run_delay_ms": 60000, "terminated_visible_s": 60}

    @classmethod
    def setUpClass(cls):
        cls.fake = FakeProcess()
        cls.ec2 = cls.fake.client()

    @classmethod
    def tearDownClass(cls):
        cls.ec2.close()
        cls.fake.stop()

    def setUp(self):
        self.fake.control("POST", "/_fake/reset")
        self.fake.control("POST", "/_fake/config", self.SETTINGS)
