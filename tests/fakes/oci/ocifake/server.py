"""HTTPS server: signature check, fault modes, Core/Identity/Search, and the JSON control API
under /_fake/ (no auth)."""
import sys
import time
import traceback
import uuid
from urllib.parse import parse_qs

import jsonfake  # tests/fakes/common, put on sys.path by this package's __init__

from .core import Request
from .errors import OciError
from .seed import dump, seed


class Fake(jsonfake.Fake):
    """Everything a request needs: the verifier, Core (with Search), config, the request log
    and the fault counters."""

    def __init__(self, core, verifier):
        super().__init__(core.store, core.store.config)
        self.core = core
        self.models = core.models
        self.verifier = verifier

    def extra_routes(self):
        return {("GET", "/_fake/state"): self._state, ("POST", "/_fake/seed"): self._seed}

    def _state(self, _payload):
        return 200, {"resources": dump(self.core), "config": self.config.describe(),
                     "models": self.models.versions, "keyId": self.verifier.key_id}

    def _seed(self, payload):
        return 200, seed(self.core, payload)


class Handler(jsonfake.Handler):
    def serve_api(self, parts, body):
        fake = self.server.fake
        path = parts.path
        headers = {k.lower(): v for k, v in self.headers.items()}
        request_id = uuid.uuid4().hex.upper()
        if headers.get("opc-request-id"):
            request_id = f"{headers['opc-request-id'][:64]}/{request_id}"
        entry = {"method": self.command, "path": path, "query": parts.query, "status": 0,
                 "ts": time.time(), "opc-request-id": request_id}
        if headers.get("opc-retry-token"):
            entry["retry_token"] = headers["opc-retry-token"][:64]
        fake.record(entry)
        # Hang and reset match "METHOD /path" (a path substring still matches; "PUT /20160918/
        # instances/" holds the update of an instance and not its GETs).
        if self.path_fault(f"{self.command} {path}", entry):
            return
        self.log_body(entry, body)
        try:
            status, answer, extra = self._dispatch(fake, path, parts.query, headers, body)
        except OciError as err:
            status, answer, extra = err.status, err.body(), err.headers
        except Exception:  # noqa: BLE001  (a fake bug must show, not kill the connection)
            traceback.print_exc(file=sys.stderr)
            status, answer, extra = 500, {"code": "FakeBug",
                                          "message": traceback.format_exc()[-2000:]}, {}
        entry["status"] = status
        if isinstance(answer, dict) and "code" in answer and status >= 400:
            entry["code"] = answer["code"]
        self.send_json(status, answer, {"opc-request-id": request_id, **extra})

    def _dispatch(self, fake, path, raw_query, headers, body):
        fake.verifier.check(self.command, self.path, headers, body)
        fault = fake.count_request()
        if fault == "throttle_every":
            raise OciError(429, "TooManyRequests",
                           "Too many requests for the user (fault mode --throttle-every).")
        if fault == "fail_5xx_every":
            raise OciError(500, "InternalServerError",
                           "Internal server error (fault mode --fail-5xx-every).")
        query = {k: v[-1] for k, v in parse_qs(raw_query, keep_blank_values=True).items()}
        request = Request(self.command, path, query, body)
        request.headers = headers
        answer = fake.core.handle(request)
        if answer.model and answer.body is not None:
            self._hold_to_model(fake, answer)
        return answer.status, answer.body, answer.headers

    @staticmethod
    def _hold_to_model(fake, answer):
        """The fake's own answers must fit the SDK's response models: a miss is a fake bug."""
        package, model = answer.model
        items = answer.body if isinstance(answer.body, list) else [answer.body]
        for index, item in enumerate(items):
            found = fake.models.problems(package, model, item, f"answer[{index}]")
            if found:
                raise OciError(500, "FakeBug", f"answer does not fit {model}: {found[:3]}")
