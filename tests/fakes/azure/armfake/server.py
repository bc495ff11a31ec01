"""HTTPS server: Entra ID / managed-identity token endpoints, ARM (bearer-checked, fault modes
first), and the JSON control API under /_fake/ (no auth)."""
import sys
import time
import traceback
import uuid
from urllib.parse import parse_qs

import jsonfake  # tests/fakes/common, put on sys.path by this package's __init__

from . import auth as authmod
from .arm import Request
from .errors import ArmError
from .seed import seed, dump


class Fake(jsonfake.Fake):
    """Everything a request needs: auth, ARM, config, the request log and fault counters."""

    def __init__(self, store, arm, auth):
        super().__init__(store, store.config)
        self.arm = arm
        self.auth = auth
        self.reads_left = 12000
        self.writes_left = 1200

    def extra_routes(self):
        return {("GET", "/_fake/state"): self._state, ("POST", "/_fake/seed"): self._seed,
                ("POST", "/_fake/tokens/expire"): self._expire_tokens}

    def _state(self, _payload):
        with self.store.lock:
            return 200, {"resources": dump(self.store), "config": self.config.describe()}

    def _seed(self, payload):
        with self.store.lock:
            return 200, {"created": seed(self.store, payload)}

    def _expire_tokens(self, _payload):
        self.auth.expire_all()
        return 200, {"ok": True}


class Handler(jsonfake.Handler):
    json_content_type = "application/json; charset=utf-8"

    def version_string(self):
        return "Microsoft-HTTPAPI/2.0"

    def serve_api(self, parts, body):
        fake = self.server.fake
        path = parts.path
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        entry = {"method": self.command, "path": path, "query": parts.query, "status": 0,
                 "ts": time.time()}
        fake.record(entry)
        if self.path_fault(path, entry):
            return
        host = headers.get("host") or f"127.0.0.1:{self.server.server_address[1]}"
        base = f"https://{host}"
        try:
            status, answer, extra = self._dispatch(fake, path, query, headers, body, base,
                                                   entry)
        except Exception:  # noqa: BLE001  (a fake bug must show, not kill the connection)
            traceback.print_exc(file=sys.stderr)
            status, answer, extra = 500, {"error": {"code": "FakeBug",
                                                    "message": traceback.format_exc()}}, {}
        entry["status"] = status
        self.send_json(status, answer, extra)

    def _dispatch(self, fake, path, query, headers, body, base, entry):
        lower = path.lower().rstrip("/")
        parts = [p for p in lower.split("/") if p]
        if len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"] and \
                self.command == "POST":
            status, answer = fake.auth.token_request(path.split("/")[1], body)
            return status, answer, {}
        if self.command == "GET" and lower.endswith("/.well-known/openid-configuration") and \
                len(parts) in (3, 4):
            return 200, authmod.openid_configuration(base, path.split("/")[1]), {}
        if self.command == "GET" and parts == ["common", "discovery", "instance"]:
            return 200, authmod.instance_discovery(base, base[len("https://"):],
                                                   query.get("authorization_endpoint", "")), {}
        if self.command == "GET" and lower in ("/metadata/identity/oauth2/token", "/msi/token"):
            status, answer = fake.auth.managed_identity_request(lower, query, headers)
            return status, answer, {}
        return self._arm(fake, path, query, headers, body, base, entry)

    def _arm(self, fake, path, query, headers, body, base, entry):
        extra = {"x-ms-request-id": str(uuid.uuid4()),
                 "x-ms-correlation-request-id": headers.get("x-ms-correlation-request-id") or
                 str(uuid.uuid4())}
        with fake.lock:
            if self.command in ("GET", "HEAD"):
                fake.reads_left = max(fake.reads_left - 1, 0)
                extra["x-ms-ratelimit-remaining-subscription-reads"] = str(fake.reads_left)
            else:
                fake.writes_left = max(fake.writes_left - 1, 0)
                extra["x-ms-ratelimit-remaining-subscription-writes"] = str(fake.writes_left)
        self.log_body(entry, body)
        problem = fake.auth.check_bearer(headers.get("authorization"))
        if problem:
            extra["WWW-Authenticate"] = (f'Bearer authorization_uri="{base}/{fake.store.tenant}",'
                                         f' error="invalid_token", error_description='
                                         f'"{problem[1]}"')
            return 401, {"error": {"code": problem[0], "message": problem[1]}}, extra
        fault = fake.count_request()
        if fault == "throttle_every":
            extra["Retry-After"] = str(fake.config["retry_after_s"])
            return 429, {"error": {"code": "TooManyRequests",
                                   "message": "The request is being throttled as the limit has "
                                              "been reached for operation type - "
                                              f"{self.command} (fault mode --throttle-every)."}}, \
                extra
        if fault == "fail_5xx_every":
            return 500, {"error": {"code": "InternalServerError",
                                   "message": "Encountered internal server error (fault mode "
                                              "--fail-5xx-every)."}}, extra
        try:
            response = fake.arm.handle(Request(self.command, path, query, body, base))
        except ArmError as err:
            extra.update(err.headers)
            return err.status, err.body(), extra
        extra.update(response.headers)
        return response.status, response.body, extra
