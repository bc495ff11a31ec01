#!/usr/bin/python3
"""An STS Query API fake (version 2011-06-15) on 127.0.0.1 for labctl's credential-chain tests.

Usage: /usr/bin/python3 sts_fake.py --port 0 --port-file FILE [--log FILE]
           [--verify-secret AKID=SECRET]... [--web-identity-token TOKEN]
           [--issue-secret SECRET] [--expires-in SECONDS] [--keep-orphaned]
Writes the bound port to FILE once listening and serves until SIGTERM, SIGINT or the death of
its parent process. See README.md. It reuses the EC2 fake's modules (tests/fakes/ec2/ec2fake):
the botocore model reader, the SigV4 checks, the XML renderer and the HTTP server.
"""
import argparse
import os
import re
import sys
import threading
import time
import traceback
import uuid
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ec2"))

import ec2_fake  # noqa: E402
from ec2fake import sigv4check  # noqa: E402
from ec2fake.errors import Ec2Error  # noqa: E402
from ec2fake.model import ServiceModel  # noqa: E402
from ec2fake.server import FakeServer  # noqa: E402
from ec2fake.xmlrender import Renderer  # noqa: E402

DEFAULT_MODEL_PATH = "/usr/lib/python3/dist-packages/botocore/data/sts/2011-06-15/service-2.json"

# The actions this fake answers; every other action of the model is UnsupportedOperation.
SIGNED_ACTIONS = ("AssumeRole", "GetCallerIdentity")
UNSIGNED_ACTIONS = ("AssumeRoleWithWebIdentity",)

# Parameters whose values are secrets: recorded as "<redacted>", never logged.
SECRET_PARAMS = ("WebIdentityToken",)

# Fault kinds (POST /_fake/faults {"kind": K, "action": A|"*", "count": N}): an STS error
# answer (`code`, `status`, `message` given), a body that is not XML, or a success answer whose
# Credentials lack SessionToken.
FAULT_KINDS = ("error", "garbage", "no_session_token")

_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+")


class StsRenderer(Renderer):
    """STS's Query answers: <XResponse><XResult>..members..</XResult><ResponseMetadata>."""

    def sts_response(self, action, output, request_id):
        parts = ['<?xml version="1.0" encoding="UTF-8"?>\n',
                 f'<{action}Response xmlns="{self.model.namespace}">', f"<{action}Result>"]
        self._members_writer(self.model.output_shape(action))(output, parts)
        parts.append(f"</{action}Result><ResponseMetadata><RequestId>{request_id}</RequestId>"
                     f"</ResponseMetadata></{action}Response>")
        return "".join(parts).encode("utf-8")


def error_xml(code, message, request_id, namespace):
    kind = "Receiver" if code in ("InternalFailure", "ServiceUnavailable") else "Sender"
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<ErrorResponse xmlns="{namespace}"><Error><Type>{kind}</Type>'
            f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>").encode("utf-8")


class Result:
    """What the shared HTTP server sends (the EC2 fake's Result contract: no transport fault)."""

    def __init__(self, status, body):
        self.status = status
        self.body = body
        self.fault = None
        self.stall_seconds = 0.0


def _compiled(pattern):
    try:
        return re.compile(pattern)
    except re.error:
        return None


class StsFake:
    def __init__(self, model, secrets=None, web_identity_token=None, issue_secret="",
                 expires_in=3600):
        self.model = model
        self.renderer = StsRenderer(model, strict=True)
        self.secrets = dict(secrets or {})
        self.web_identity_token = web_identity_token
        self.issue_secret = issue_secret
        self.expires_in = expires_in
        self.lock = threading.Lock()
        self.calls = []
        self.faults = []
        self.serial = 0

    # ---- control API (the shared server routes /_fake/faults and /_fake/calls here) ---------
    def add_fault(self, spec):
        if spec.get("kind") not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {spec.get('kind')!r}")
        fault = {"kind": spec["kind"], "action": spec.get("action", "*"),
                 "count": int(spec.get("count", 1)), "code": spec.get("code", "InternalFailure"),
                 "status": int(spec.get("status", 500)),
                 "message": str(spec.get("message", "injected"))}
        with self.lock:
            self.faults.append(fault)
            return list(self.faults)

    def _take_fault(self, action):
        with self.lock:
            for fault in self.faults:
                if fault["action"] in ("*", action):
                    fault["count"] -= 1
                    if fault["count"] <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    # ---- STS requests ------------------------------------------------------------------------
    def handle(self, method, target, headers, body):
        request_id = str(uuid.uuid4())
        record = {"time": time.time(), "action": None, "params": {}, "signed": False,
                  "access_key_id": None, "region": None,
                  "session_token": "x-amz-security-token" in headers, "status": None,
                  "error_code": None, "request_id": request_id}
        try:
            flat = dict(parse_qsl(target.partition("?")[2], keep_blank_values=True))
            if method == "POST":
                flat.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            action = flat.pop("Action", None)
            version = flat.pop("Version", None)
            record["action"] = action
            record["params"] = {k: ("<redacted>" if k in SECRET_PARAMS else v)
                                for k, v in flat.items()}
            self._authenticate(action, method, target, headers, body, record)
            params = self._validate(action, version, flat)
            result = self._answer(action, params, request_id, record)
        except Ec2Error as err:
            result = Result(err.status, error_xml(err.code, err.message, request_id,
                                                  self.model.namespace))
            record["error_code"] = err.code
        except Exception as err:  # noqa: BLE001  (a fake bug must still answer, loudly)
            traceback.print_exc(file=sys.stderr)
            result = Result(500, error_xml("InternalFailure", f"STS fake bug: {err}", request_id,
                                           self.model.namespace))
            record["error_code"] = "InternalFailure"
        record["status"] = result.status
        with self.lock:
            self.calls.append(record)
        return result

    def _authenticate(self, action, method, target, headers, body, record):
        if action in UNSIGNED_ACTIONS and "authorization" not in headers:
            return
        cred = sigv4check.parse(headers, service="sts")
        record["signed"] = True
        record["access_key_id"], record["region"] = cred.access_key_id, cred.region
        unknown = Ec2Error("InvalidClientTokenId", "The security token included in the request "
                                                  "is invalid.", 403)
        sigv4check.verify_known(cred, self.secrets, unknown, method, target, headers, body)

    def _validate(self, action, version, flat):
        if not action:
            raise Ec2Error("MissingAction", "Missing Action")
        if not self.model.has_action(action):
            raise Ec2Error("InvalidAction", f"Could not find operation {action} for version "
                                            f"{version}")
        if version != self.model.api_version:
            raise Ec2Error("InvalidAction", f"Could not find operation {action} for version "
                                            f"{version}")
        params = self.model.parse_request(action, flat)
        # The string constraints the EC2 reader does not check (STS's model has them).
        for name, ref in self.model.input_members(action).items():
            shape = self.model.shapes[ref["shape"]]
            value = params.get(name)
            if shape["type"] != "string" or value is None:
                continue
            pattern = _compiled(shape["pattern"]) if "pattern" in shape else None
            if (len(value) < shape.get("min", 0) or len(value) > shape.get("max", len(value))
                    or (pattern and not pattern.fullmatch(value))):
                shown = "<redacted>" if name in SECRET_PARAMS else value
                raise Ec2Error("ValidationError", f"1 validation error detected: Value '{shown}' "
                               f"at '{name[0].lower() + name[1:]}' failed to satisfy constraint")
        return params

    def _answer(self, action, params, request_id, record):
        fault = self._take_fault(action)
        if fault and fault["kind"] == "error":
            raise Ec2Error(fault["code"], fault["message"], fault["status"])
        if fault and fault["kind"] == "garbage":
            return Result(200, b"<<<not xml")
        if action not in SIGNED_ACTIONS + UNSIGNED_ACTIONS:
            raise Ec2Error("UnsupportedOperation", f"The STS fake does not implement {action}.")
        if action == "GetCallerIdentity":
            output = {"UserId": record["access_key_id"], "Account": "123456789012",
                      "Arn": "arn:aws:iam::123456789012:user/fake"}
            return Result(200, self.renderer.sts_response(action, output, request_id))
        if not _ROLE_ARN.fullmatch(params["RoleArn"]):
            raise Ec2Error("ValidationError", f"{params['RoleArn']} is invalid")
        if action == "AssumeRoleWithWebIdentity" and self.web_identity_token is not None \
                and params["WebIdentityToken"] != self.web_identity_token:
            raise Ec2Error("InvalidIdentityToken", "Couldn't retrieve verification key from "
                                                   "your identity provider")
        with self.lock:
            self.serial += 1
            serial = self.serial
        credentials = {"AccessKeyId": f"ASIAFAKESTS{serial:09d}",
                       "SecretAccessKey": self.issue_secret,
                       "SessionToken": f"FAKESTSSESSIONTOKEN{serial:09d}" + "x" * 300,
                       "Expiration": time.time() + params.get("DurationSeconds",
                                                              self.expires_in)}
        if fault and fault["kind"] == "no_session_token":
            del credentials["SessionToken"]
        role = params["RoleArn"].split(":role/", 1)[1]
        output = {"Credentials": credentials,
                  "AssumedRoleUser": {"AssumedRoleId": f"AROAFAKE{serial:09d}:"
                                                       f"{params['RoleSessionName']}",
                                      "Arn": params["RoleArn"].replace(":iam::", ":sts::")
                                      .replace(":role/", ":assumed-role/") + "/" +
                                      params["RoleSessionName"]}}
        if action == "AssumeRoleWithWebIdentity":
            output["SubjectFromWebIdentityToken"] = "system:serviceaccount:lab:" + role[:32]
            output["Audience"] = "sts.amazonaws.com"
            output["Provider"] = "arn:aws:iam::123456789012:oidc-provider/fake"
        return Result(200, self.renderer.sts_response(action, output, request_id))


def _arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks an ephemeral port")
    parser.add_argument("--port-file", required=True, help="written with the port once listening")
    parser.add_argument("--log", help="append one line per HTTP request here")
    parser.add_argument("--verify-secret", action="append", default=[], metavar="AKID=SECRET",
                        help="verify SigV4 signatures of this key (repeatable); with any given, "
                             "an unknown key id is InvalidClientTokenId")
    parser.add_argument("--web-identity-token",
                        help="the only WebIdentityToken accepted (else InvalidIdentityToken)")
    parser.add_argument("--issue-secret", default="fake-sts-issued-secret-0000000000000000",
                        help="SecretAccessKey of every credential issued")
    parser.add_argument("--expires-in", type=int, default=3600,
                        help="lifetime of issued credentials when DurationSeconds is absent")
    parser.add_argument("--keep-orphaned", action="store_true",
                        help="keep serving when the parent process dies (default: exit)")
    parser.add_argument("--model", default=DEFAULT_MODEL_PATH, help="botocore sts service-2.json")
    return parser.parse_args(argv)


def main(argv=None):
    args = _arguments(argv)
    secrets = dict(item.split("=", 1) for item in args.verify_secret)
    fake = StsFake(ServiceModel(args.model), secrets, args.web_identity_token, args.issue_secret,
                   args.expires_in)
    server = FakeServer(("127.0.0.1", args.port), fake, args.log)
    return ec2_fake.serve(server, args.port_file, args.keep_orphaned)


if __name__ == "__main__":
    sys.exit(main())
