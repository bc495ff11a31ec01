#!/usr/bin/python3
"""sigv4_reference: the botocore reference signer is deterministic, reproduces AWS's published
SigV4 examples, and its signatures are accepted by the fake in --verify-secret mode."""
import http.client
import json
import os
import subprocess
import sys
import time
import unittest

from fake_harness import FAKE_DIR, FakeProcess

REFERENCE = os.path.join(FAKE_DIR, "sigv4_reference.py")
EXAMPLE_KEY = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
FORM = "Content-Type: application/x-www-form-urlencoded; charset=utf-8"


def reference(*args):
    done = subprocess.run([sys.executable, REFERENCE, *args], capture_output=True, text=True,
                          check=True, timeout=60)
    return done.stdout.strip(), done.stderr


def signed(url, body, region="us-east-1", token=None, timestamp="20150830T123600Z",
           key=EXAMPLE_KEY):
    args = ["--method", "POST", "--url", url, "--body", body, "--header", FORM, "--region",
            region, "--service", "ec2", "--access-key", key[0], "--secret", key[1],
            "--timestamp", timestamp, "--json"]
    if token:
        args += ["--session-token", token]
    return json.loads(reference(*args)[0])


class SigV4Reference(unittest.TestCase):
    def test_published_get_vanilla_example(self):
        # AWS's SigV4 test suite 'get-vanilla' request and its published signature.
        out, err = reference("--method", "GET", "--url", "https://example.amazonaws.com/",
                             "--region", "us-east-1", "--service", "service", "--access-key",
                             EXAMPLE_KEY[0], "--secret", EXAMPLE_KEY[1])
        self.assertEqual(out, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
                              "service/aws4_request, SignedHeaders=host;x-amz-date, Signature="
                              "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        self.assertIn("host:example.amazonaws.com\nx-amz-date:20150830T123600Z", err)

    def test_published_iam_list_users_example(self):
        # The IAM ListUsers example of AWS's "signing process" documentation.
        out, _ = reference("--method", "GET", "--url",
                           "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
                           "--header", FORM, "--region", "us-east-1", "--service", "iam",
                           "--access-key", EXAMPLE_KEY[0], "--secret", EXAMPLE_KEY[1])
        self.assertTrue(out.endswith("Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c4"
                                     "00e06b5924a6f2b5d7"), out)

    def test_deterministic_and_token_is_signed(self):
        body = "Action=DescribeRegions&Version=2016-11-15"
        first = signed("http://127.0.0.1:4566/", body)
        self.assertEqual(first, signed("http://127.0.0.1:4566/", body))
        with_token = signed("http://127.0.0.1:4566/", body, token="FwoGZXIvYXdzEXAMPLETOKEN")
        self.assertIn("x-amz-security-token", with_token["authorization"])
        self.assertNotEqual(first["authorization"], with_token["authorization"])
        self.assertIn("x-amz-security-token:FwoGZXIvYXdzEXAMPLETOKEN",
                      with_token["canonical_request"])

    def test_fake_accepts_reference_signatures_and_rejects_tampering(self):
        fake = FakeProcess("--verify-secret", f"{EXAMPLE_KEY[0]}={EXAMPLE_KEY[1]}")
        try:
            url = fake.endpoint + "/"
            body = "Action=DescribeRegions&Version=2016-11-15"
            for token in (None, "FwoGZXIvYXdzEXAMPLETOKEN"):
                good = signed(url, body, "eu-west-1", token)
                self.assertEqual(self._post(fake, body, good)[0], 200, token)
            tampered = signed(url, body, "eu-west-1")
            tampered["authorization"] = tampered["authorization"][:-1] + (
                "0" if tampered["authorization"][-1] != "0" else "1")
            status, text = self._post(fake, body, tampered)
            self.assertEqual(status, 403)
            self.assertIn("<Code>SignatureDoesNotMatch</Code>", text)
            other_key = signed(url, body, key=("AKIDOTHER", "x" * 40))
            self.assertIn("<Code>AuthFailure</Code>", self._post(fake, body, other_key)[1])
        finally:
            fake.stop()

    def test_fake_refuses_a_stale_timestamp_when_asked(self):
        fake = FakeProcess("--max-skew-s", "300")
        try:
            url = fake.endpoint + "/"
            body = "Action=DescribeRegions&Version=2016-11-15"
            status, text = self._post(fake, body, signed(url, body))
            self.assertEqual(status, 400)
            self.assertIn("<Code>RequestExpired</Code>", text)
            now = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
            self.assertEqual(self._post(fake, body, signed(url, body, timestamp=now))[0], 200)
        finally:
            fake.stop()

    @staticmethod
    def _post(fake, body, result):
        headers = dict(result["headers"])
        headers["Authorization"] = result["authorization"]
        conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=30)
        try:
            conn.request("POST", "/", body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read().decode()
        finally:
            conn.close()


if __name__ == "__main__":
    unittest.main()
