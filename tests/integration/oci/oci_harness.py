"""Starts the OCI fake (tests/fakes/oci) as a subprocess for a test, with an API key generated
for the test, and signs requests to it the way OCI documents (draft-cavage HTTP signatures,
rsa-sha256). Run with /usr/bin/python3 (Debian's python3-cryptography). Importing this module is
the gate: without cryptography or without the extracted SDK models (OCI_FAKE_MODELS, written by
tests/fakes/oci/setup-npm.sh) the test exits 77 (CTest: skipped)."""
import base64
import email.utils
import hashlib
import http.client
import importlib.util
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.normpath(os.path.join(HERE, "..", "..", "fakes", "oci", "oci_fake.py"))
SKIP = 77
MODELS = os.environ.get("OCI_FAKE_MODELS", "")

if importlib.util.find_spec("cryptography") is None:
    print("cryptography is not importable by this python: skipping (use /usr/bin/python3 with "
          "Debian's python3-cryptography)")
    sys.exit(SKIP)
if not MODELS or not os.path.exists(MODELS):
    print(f"OCI SDK models not found at {MODELS!r}: skipping (run tests/fakes/oci/setup-npm.sh "
          "BUILD_DIR)")
    sys.exit(SKIP)

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: E402

TENANCY = "ocid1.tenancy.oc1..aaaaaaaafaketenancy000000000000000000000000000000000000"
USER = "ocid1.user.oc1..aaaaaaaafakeuser00000000000000000000000000000000000000000"
COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaafakelabcompartment0000000000000000000000000"


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def fingerprint(key):
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashlib.md5(der).hexdigest()  # noqa: S324  (OCI's key fingerprint is MD5)
    return ":".join(digest[i:i + 2] for i in range(0, 32, 2))


class Signer:
    """Signs as OCI's SDKs do: date (request-target) host, plus content-length content-type
    x-content-sha256 for bodies."""

    def __init__(self, key, key_id):
        self.key = key
        self.key_id = key_id

    def headers(self, method, target, host, body=b"", date=None, signed=None,
                content_type="application/json"):
        headers = {"date": date or email.utils.formatdate(usegmt=True), "host": host}
        names = ["date", "(request-target)", "host"]
        if method in ("POST", "PUT", "PATCH"):
            headers["content-length"] = str(len(body))
            headers["content-type"] = content_type
            headers["x-content-sha256"] = base64.b64encode(hashlib.sha256(body).digest()).decode()
            names += ["content-length", "content-type", "x-content-sha256"]
        names = signed or names
        lines = [f"(request-target): {method.lower()} {target}" if n == "(request-target)"
                 else f"{n}: {headers[n]}" for n in names]
        signature = base64.b64encode(self.key.sign("\n".join(lines).encode(), padding.PKCS1v15(),
                                                   hashes.SHA256())).decode()
        headers["authorization"] = (f'Signature version="1",keyId="{self.key_id}",'
                                    f'algorithm="rsa-sha256",headers="{" ".join(names)}",'
                                    f'signature="{signature}"')
        return headers


class FakeProcess:
    """The fake on an ephemeral port with a fresh API key; stop() ends exactly that process."""

    _shared_key = None  # one API key per test process: RSA key generation is slow

    def __init__(self, *extra_args, fingerprint_flag=True):
        """`fingerprint_flag` False: the fake derives the fingerprint from the public key."""
        self.dir = tempfile.TemporaryDirectory(prefix="ocifake-")
        if FakeProcess._shared_key is None:
            FakeProcess._shared_key = new_key()
        self.key = FakeProcess._shared_key
        self.fingerprint = fingerprint(self.key)
        public = os.path.join(self.dir.name, "api_key_public.pem")
        with open(public, "wb") as handle:
            handle.write(self.key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        port_file = os.path.join(self.dir.name, "port")
        self.tls_dir = os.path.join(self.dir.name, "tls")
        self.proc = subprocess.Popen(
            [sys.executable, FAKE, "--port", "0", "--port-file", port_file, "--tls-dir",
             self.tls_dir, "--models", MODELS, "--tenancy", TENANCY, "--user", USER,
             *(["--fingerprint", self.fingerprint] if fingerprint_flag else []),
             "--public-key", public, "--compartment", COMPARTMENT, "--op-delay-ms", "50",
             "--log", os.path.join(self.dir.name, "log"), *extra_args], stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the OCI fake did not start")
            time.sleep(0.02)
        with open(port_file, encoding="ascii") as handle:
            self.port = int(handle.read())
        self.host = f"127.0.0.1:{self.port}"
        self.ca = os.path.join(self.tls_dir, "ca.pem")
        self.context = ssl.create_default_context(cafile=self.ca)
        self.signer = Signer(self.key, f"{TENANCY}/{USER}/{self.fingerprint}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.dir.cleanup()

    def raw(self, method, target, body=None, headers=None, timeout=30):
        """(status, headers dict (lower-case names), parsed JSON body or None)."""
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context,
                                           timeout=timeout)
        try:
            conn.request(method, target, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            parsed = json.loads(data) if data else None
            return response.status, {k.lower(): v for k, v in response.getheaders()}, parsed
        finally:
            conn.close()

    def call(self, method, target, payload=None, signer=None, tamper=None, extra=None, **sign):
        """A signed request; `payload` is sent as JSON; `tamper(bytes) -> bytes` changes the
        body after signing."""
        body = json.dumps(payload).encode() if payload is not None else b""
        headers = (signer or self.signer).headers(method, target, self.host, body, **sign)
        headers.update(extra or {})
        if tamper:
            body = tamper(body)
        return self.raw(method, target, body if method in ("POST", "PUT") else None, headers)

    def control(self, method, path, payload=None):
        body = json.dumps(payload).encode() if payload is not None else None
        status, _, data = self.raw(method, path, body, {"Content-Type": "application/json"})
        if status != 200:
            raise RuntimeError(f"{method} {path}: {status} {data}")
        return data
