#!/usr/bin/python3
"""Reference SigV4 signatures from botocore's SigV4Auth, at a fixed time, for signer tests.

Prints the Authorization header value botocore produces on stdout, and the canonical request
and string to sign (botocore's own debug output) on stderr. With --json, stdout is one JSON
object instead: authorization, x_amz_date, canonical_request, string_to_sign, signed headers.

  /usr/bin/python3 sigv4_reference.py --method POST --url http://127.0.0.1:8080/ \
      --body 'Action=DescribeRegions&Version=2016-11-15' \
      --header 'Content-Type: application/x-www-form-urlencoded; charset=utf-8' \
      --region us-east-1 --service ec2 --access-key AKID --secret SECRET \
      [--session-token TOKEN] --timestamp 20150830T123600Z

botocore 1.29's SigV4Auth.add_auth reads the clock through the module attribute
botocore.auth.datetime (datetime.datetime.utcnow()); the whole add_auth runs unchanged with that
one attribute swapped for a stand-in whose utcnow() returns --timestamp.
"""
import argparse
import contextlib
import datetime
import json
import logging
import sys
import types

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

_FORMAT = "%Y%m%dT%H%M%SZ"


@contextlib.contextmanager
def fixed_clock(timestamp):
    moment = datetime.datetime.strptime(timestamp, _FORMAT)

    class _Frozen(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return moment

    original = botocore.auth.datetime
    botocore.auth.datetime = types.SimpleNamespace(datetime=_Frozen)
    try:
        yield
    finally:
        botocore.auth.datetime = original


class _Capture(logging.Handler):
    """Collects botocore.auth's debug records (CanonicalRequest, StringToSign)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.parts = {}

    def emit(self, record):
        label = record.msg.split(":")[0] if isinstance(record.msg, str) else ""
        if label in ("CanonicalRequest", "StringToSign") and record.args:
            self.parts[label] = record.args[0]


def sign(method, url, body, headers, region, service, access_key, secret, token, timestamp):
    """Returns {authorization, x_amz_date, canonical_request, string_to_sign, headers}."""
    request = AWSRequest(method=method, url=url, data=body.encode() if body else b"",
                         headers=dict(headers))
    capture = _Capture()
    logger = logging.getLogger("botocore.auth")
    previous_level = logger.level
    logger.addHandler(capture)
    logger.setLevel(logging.DEBUG)
    try:
        with fixed_clock(timestamp):
            botocore.auth.SigV4Auth(Credentials(access_key, secret, token), service,
                                    region).add_auth(request)
    finally:
        logger.removeHandler(capture)
        logger.setLevel(previous_level)
    return {"authorization": request.headers["Authorization"],
            "x_amz_date": request.headers["X-Amz-Date"],
            "canonical_request": capture.parts.get("CanonicalRequest", ""),
            "string_to_sign": capture.parts.get("StringToSign", ""),
            "headers": {k: v for k, v in request.headers.items() if k != "Authorization"}}


def _header(text):
    name, sep, value = text.partition(":")
    if not sep:
        raise argparse.ArgumentTypeError(f"header {text!r} is not NAME: VALUE")
    return name.strip(), value.strip()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", default="POST")
    parser.add_argument("--url", required=True)
    parser.add_argument("--body", default="")
    parser.add_argument("--header", type=_header, action="append", default=[],
                        help="an extra request header to sign, 'Name: value' (repeatable)")
    parser.add_argument("--region", required=True)
    parser.add_argument("--service", default="ec2")
    parser.add_argument("--access-key", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--session-token")
    parser.add_argument("--timestamp", default="20150830T123600Z", help="YYYYMMDDTHHMMSSZ")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = sign(args.method, args.url, args.body, args.header, args.region, args.service,
                  args.access_key, args.secret, args.session_token, args.timestamp)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print(result["authorization"])
        print("--- canonical request\n" + result["canonical_request"], file=sys.stderr)
        print("--- string to sign\n" + result["string_to_sign"], file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
