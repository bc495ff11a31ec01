"""The request pipeline: auth, action, deny, validation, faults, dry-run, handler, rendering.

Thread-safe: region state is guarded per region, the registries (faults, denies, calls) by one
lock of their own. Every EC2 request, rejected or not, is appended to the calls log.
"""
import copy
import itertools
import random
import re
import sys
import threading
import time
import traceback
import uuid
from urllib.parse import parse_qsl

from . import compute, eni, network, security, sigv4check, tagging
from .common import ACTIONS, Context, is_mutating
from .errors import Ec2Error
from .state import Config, RegionState
from .xmlrender import Renderer, error_xml

# Importing these modules registers their handlers in ACTIONS.
_ACTION_MODULES = (compute, eni, network, security, tagging)

_ERROR_STATUS = {"DryRunOperation": 412, "UnauthorizedOperation": 403,
                 "RequestLimitExceeded": 503, "InternalError": 500}


# Fault kinds. Before the handler: throttle, server_error, dependency_violation,
# instance_not_found, bad_utf8_error (nothing happens). Around it: hang. After it (the change IS
# made, only the answer is wrong): drop, stall_after_headers, drop_id, same_body, bad_utf8_body,
# alternating_token. swallow: success computed on a throw-away copy (nothing happens).
FAULT_KINDS = ("throttle", "server_error", "hang", "dependency_violation", "drop", "swallow",
               "instance_not_found", "bad_utf8_error", "bad_utf8_body", "drop_id", "same_body",
               "stall_after_headers", "alternating_token")

# Bytes that are not UTF-8 (a lone continuation byte, 0xff 0xfe, a truncated sequence).
BAD_UTF8 = b"\xff\xfe\x80\xc3("

_ID_ELEMENT = re.compile(rb"<(\w*Id)>[^<]*</\1>")
_NEXT_TOKEN = re.compile(rb"<nextToken>[^<]*</nextToken>")


class Result:
    """What the HTTP layer sends: status, XML body (bytes), and a fault directive: None, 'drop'
    (half the body, then a reset) or 'stall' (headers, then `stall_seconds` of silence)."""

    def __init__(self, status, body, fault=None, stall_seconds=0.0):
        self.status = status
        self.body = body
        self.fault = fault
        self.stall_seconds = stall_seconds


class RawAnswer(Exception):
    """An answer given as bytes, bypassing the renderer (for bodies no real renderer makes)."""

    def __init__(self, status, body):
        super().__init__(status)
        self.status = status
        self.body = body


class Fake:
    def __init__(self, model, config=None, secrets=None, strict_render=False, max_skew_s=None):
        self.model = model
        self.max_skew_s = max_skew_s
        self.config = config or Config()
        self.secrets = dict(secrets or {})
        self.renderer = Renderer(model, strict_render)
        self.lock = threading.Lock()
        self.regions = {}
        self.faults = []
        self.denies = {}
        self.calls = []
        self.fault_ids = itertools.count(1)
        self.chaos = None  # {"rng": random.Random(seed), "rate": p, "stall_seconds": s}
        self.fault_memory = {}  # fault id -> what a fault keeps between requests

    # ---- registries (control API) --------------------------------------------------------
    def region(self, name):
        with self.lock:
            state = self.regions.get(name)
            if state is None:
                state = self.regions[name] = RegionState(name, self.config)
                compute.seed_images(state)
            return state

    def reset(self):
        with self.lock:
            self.regions, self.faults, self.denies, self.calls = {}, [], {}, []
            self.fault_memory = {}
            self.chaos = None

    def add_fault(self, spec):
        kind = spec.get("kind")
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        fault = {"id": next(self.fault_ids), "action": spec.get("action", "*"), "kind": kind,
                 "count": int(spec.get("count", 1)),
                 "hang_seconds": float(spec.get("hang_seconds", 30.0)),
                 "when": spec.get("when", "before")}
        if "body" in spec:
            fault["body"] = str(spec["body"])
        with self.lock:
            self.faults.append(fault)
            return list(self.faults)

    # What chaos injects: throttles, 5xx, resets after the change (a lost answer), short stalls,
    # answers that are not UTF-8 and success answers missing their ids.
    CHAOS_KINDS = ("throttle", "server_error", "drop", "stall_after_headers", "bad_utf8_error",
                   "drop_id")

    def set_chaos(self, spec):
        """Seeded random faults on a `rate` share of requests; rate 0 (or none) turns it off."""
        rate = float(spec.get("rate", 0))
        if not 0 <= rate <= 1:
            raise ValueError("chaos rate must be in [0, 1]")
        with self.lock:
            self.chaos = None if rate == 0 else {
                "rng": random.Random(int(spec.get("seed", 0))), "rate": rate,
                "stall_seconds": float(spec.get("stall_seconds", 2.0))}
            return {"rate": rate, "seed": int(spec.get("seed", 0))}

    def _chaos_fault(self):
        """Under self.lock: a one-off fault drawn from the seeded generator, or None."""
        chaos = self.chaos
        if chaos is None or chaos["rng"].random() >= chaos["rate"]:
            return None
        kind = chaos["rng"].choice(self.CHAOS_KINDS)
        return {"id": 0, "action": "*", "kind": kind, "count": 1,
                "hang_seconds": chaos["stall_seconds"], "when": "before"}

    def set_deny(self, access_key_id, actions):
        with self.lock:
            if actions:
                self.denies[access_key_id] = list(actions)
            else:
                self.denies.pop(access_key_id, None)
            return dict(self.denies)

    def _take_fault(self, action):
        with self.lock:
            for fault in self.faults:
                if fault["action"] in ("*", action) or (fault["action"] == "*mutating*"
                                                         and is_mutating(action)):
                    if fault["count"] > 0:
                        fault["count"] -= 1
                        if fault["count"] == 0:
                            self.faults.remove(fault)
                    return dict(fault)
            return self._chaos_fault()

    def _denied(self, access_key_id, action):
        with self.lock:
            rules = self.denies.get(access_key_id, [])
        return any(r == action or r == "*" or (r == "*mutating*" and is_mutating(action))
                   for r in rules)

    # ---- EC2 requests --------------------------------------------------------------------
    def handle(self, method, target, headers, body):
        """One EC2 Query request. headers: lower-cased names -> values; body: bytes."""
        request_id = str(uuid.uuid4())
        record = {"time": time.time(), "region": None, "action": None, "params": {},
                  "access_key_id": None, "dry_run": False,
                  "session_token": "x-amz-security-token" in headers,
                  "status": None, "error_code": None, "request_id": request_id}
        fault = None
        try:
            flat = dict(parse_qsl(target.partition("?")[2], keep_blank_values=True))
            if method == "POST":
                flat.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            action = flat.pop("Action", None)
            version = flat.pop("Version", None)
            record["action"], record["params"] = action, flat
            record["dry_run"] = flat.get("DryRun", "").lower() == "true"
            cred = sigv4check.parse(headers, self.max_skew_s)
            record["region"], record["access_key_id"] = cred.region, cred.access_key_id
            self._authenticate(cred, method, target, headers, body)
            output, fault = self._dispatch(action, version, flat, cred)
            result = self._answer(fault, action, self.renderer.response(action, output,
                                                                         request_id))
        except RawAnswer as raw:
            result = Result(raw.status, raw.body)
            record["error_code"] = "InjectedRawAnswer"
        except Ec2Error as err:
            status = _ERROR_STATUS.get(err.code, err.status)
            result = Result(status, error_xml(err.code, err.message, request_id))
            record["error_code"] = err.code
        except Exception as err:  # noqa: BLE001  (a fake bug must still answer, loudly)
            traceback.print_exc(file=sys.stderr)
            message = f"EC2 fake bug: {type(err).__name__}: {err}"
            result = Result(500, error_xml("InternalError", message, request_id))
            record["error_code"] = "InternalError"
        record["status"] = result.status
        with self.lock:
            self.calls.append(record)
        return result

    def _authenticate(self, cred, method, target, headers, body):
        unknown = Ec2Error("AuthFailure", "AWS was not able to validate the provided access "
                                          "credentials", 401)
        sigv4check.verify_known(cred, self.secrets, unknown, method, target, headers, body)

    def _dispatch(self, action, version, flat, cred):
        if not action:
            raise Ec2Error("MissingAction", "The request must contain the parameter Action")
        if not self.model.has_action(action):
            raise Ec2Error("InvalidAction", f"The action {action} is not valid for this web "
                                            f"service.")
        if version is None:
            raise Ec2Error("MissingParameter", "The request must contain the parameter Version")
        if version != self.model.api_version:
            raise Ec2Error("NoSuchVersion", f"The requested version ({version}) of service "
                                            f"AmazonEC2 does not exist")
        if self._denied(cred.access_key_id, action):
            raise Ec2Error("UnauthorizedOperation", f"You are not authorized to perform this "
                           f"operation. User: arn:aws:iam::123456789012:user/fake is not "
                           f"authorized to perform: ec2:{action} because no identity-based policy "
                           f"allows the ec2:{action} action. Encoded authorization failure "
                           f"message: {uuid.uuid4().hex}")
        params = self.model.parse_request(action, flat)
        self._refuse_filter(action, params)
        fault = self._take_fault(action)
        if fault and fault["kind"] == "alternating_token":
            params.pop("NextToken", None)  # the fake's own tokens would reject A and B
        if fault and fault["kind"] == "hang" and fault["when"] == "before":
            time.sleep(fault["hang_seconds"])
        _raise_fault(fault)
        handler = ACTIONS.get(action)
        if handler is None:
            raise Ec2Error("UnsupportedOperation", f"The EC2 fake does not implement {action}.")
        rs = self.region(cred.region)
        ctx = Context(self.model, action, time.time(), cred.access_key_id)
        with rs.lock:
            rs.tick(ctx.now)
            if params.get("DryRun"):
                handler(ctx, copy.deepcopy(rs), params)
                raise Ec2Error("DryRunOperation", "Request would have succeeded, but DryRun flag "
                                                  "is set.")
            swallowed = fault is not None and fault["kind"] == "swallow"
            # 'swallow' answers success from a throw-away copy: the change never happens
            # (an ambiguous API result for the caller's verify-after-mutate checks).
            output = handler(ctx, copy.deepcopy(rs) if swallowed else rs, params)
        if fault and fault["kind"] == "hang" and fault["when"] == "after":
            time.sleep(fault["hang_seconds"])
        return output, fault

    def _refuse_filter(self, action, params):
        """config.filter_500: a Describe* naming one of these filters answers 500 InternalError
        (an implementation that does not support it; every retry fails the same way)."""
        refused = self.config.filter_500
        if not refused or not action.startswith("Describe"):
            return
        for spec in params.get("Filters") or []:
            if spec.get("Name") in refused:
                raise Ec2Error("InternalError", "An internal error has occurred", 500)

    def _answer(self, fault, action, body):
        """The success answer as the fault (applied after the change) makes it."""
        kind = fault["kind"] if fault else None
        if kind == "drop":
            return Result(200, body, "drop")
        if kind == "stall_after_headers":
            return Result(200, body, "stall", fault["hang_seconds"])
        if kind == "drop_id":
            return Result(200, _ID_ELEMENT.sub(b"", body))
        if kind == "bad_utf8_body":
            return Result(200, _ID_ELEMENT.sub(lambda m: m.group(0).replace(
                b"</", BAD_UTF8 + b"</", 1), body))
        if kind == "same_body":
            with self.lock:
                fixed = self.fault_memory.setdefault(
                    fault["id"], fault["body"].encode() if "body" in fault else body)
            return Result(200, fixed)
        if kind == "alternating_token":
            with self.lock:
                turn = self.fault_memory.get(fault["id"], 0)
                self.fault_memory[fault["id"]] = turn + 1
            token = b"<nextToken>" + (b"tokenA" if turn % 2 == 0 else b"tokenB") + b"</nextToken>"
            body = _NEXT_TOKEN.sub(b"", body)
            end = body.rindex(f"</{action}Response>".encode())
            return Result(200, body[:end] + token + body[end:])
        return Result(200, body)


def _raise_fault(fault):
    kind = fault["kind"] if fault else None
    if kind == "bad_utf8_error":
        raise RawAnswer(400, b'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
                             b"<Code>InvalidParameterValue</Code><Message>Value " + BAD_UTF8 +
                             b" is not valid \x1b[31m" + BAD_UTF8 + b"</Message></Error></Errors>"
                             b"<RequestID>req-" + BAD_UTF8 + b"</RequestID></Response>")
    if kind == "throttle":
        raise Ec2Error("RequestLimitExceeded", "Request limit exceeded.", 503)
    if kind == "server_error":
        raise Ec2Error("InternalError", "An internal error has occurred", 500)
    if kind == "instance_not_found":
        # What EC2 answers for a whole call when one of its instance ids no longer exists.
        raise Ec2Error("InvalidInstanceID.NotFound", "The instance ID 'i-0000000000000000f' does "
                                                     "not exist")
    if kind == "dependency_violation":
        raise Ec2Error("DependencyViolation", "resource has a dependent object (injected)")
