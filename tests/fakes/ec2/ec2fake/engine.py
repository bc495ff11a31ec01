"""The request pipeline: auth, action, deny, validation, faults, dry-run, handler, rendering.

Thread-safe: region state is guarded per region, the registries (faults, denies, calls) by one
lock of their own. Every EC2 request, rejected or not, is appended to the calls log.
"""
import copy
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


class Result:
    """What the HTTP layer sends: status, XML body, and a fault directive ('drop' or None)."""

    def __init__(self, status, body, fault=None):
        self.status = status
        self.body = body
        self.fault = fault


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

    def add_fault(self, spec):
        kind = spec.get("kind")
        if kind not in ("throttle", "server_error", "hang", "dependency_violation", "drop",
                        "swallow", "instance_not_found"):
            raise ValueError(f"unknown fault kind {kind!r}")
        fault = {"action": spec.get("action", "*"), "kind": kind,
                 "count": int(spec.get("count", 1)),
                 "hang_seconds": float(spec.get("hang_seconds", 30.0)),
                 "when": spec.get("when", "before")}
        with self.lock:
            self.faults.append(fault)
            return list(self.faults)

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
                if fault["action"] in ("*", action):
                    if fault["count"] > 0:
                        fault["count"] -= 1
                        if fault["count"] == 0:
                            self.faults.remove(fault)
                    return dict(fault)
        return None

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
            result = Result(200, self.renderer.response(action, output, request_id), fault)
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
        if not self.secrets:
            return
        secret = self.secrets.get(cred.access_key_id)
        if secret is None:
            raise Ec2Error("AuthFailure", "AWS was not able to validate the provided access "
                                          "credentials", 401)
        sigv4check.verify(cred, secret, method, target, headers, body)

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
        fault = self._take_fault(action)
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
        return output, ("drop" if fault and fault["kind"] == "drop" else None)


def _raise_fault(fault):
    kind = fault["kind"] if fault else None
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
