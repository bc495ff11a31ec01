"""HTTP/1.1 keep-alive server: EC2 Query requests on '/', the JSON control API under '/_fake/'."""
import json
import socket
import threading
import time
from http.server import HTTPServer
from urllib.parse import parse_qs, urlsplit

import httpfake  # tests/fakes/common, put on sys.path by this package's __init__

from . import seed


class FakeServer(HTTPServer):
    """Connections are accepted by the worker threads themselves (leader/followers): an idle
    worker blocks in accept() and, once it has a connection, starts another worker if none is
    left idle. A single accept loop starting a thread per connection stalled a burst of new
    connections (a 16-region janitor opens one per region at once) behind the busy workers: each
    thread start waited for the GIL twice."""

    allow_reuse_address = True
    request_queue_size = 256  # a 16-region janitor opens many connections at once

    def __init__(self, address, fake, log_path=None):
        super().__init__(address, Handler)
        self.fake = fake
        self.request_log = httpfake.RequestLog(log_path)
        self._workers_lock = threading.Lock()
        self._idle_workers = 0
        self._stopping = threading.Event()

    def serve_forever(self, poll_interval=0.2):
        # accept() wakes every poll_interval to notice shutdown(); accepted sockets are blocking.
        self.socket.settimeout(poll_interval)
        self._start_worker()
        self._stopping.wait()

    def shutdown(self):
        self._stopping.set()

    def _start_worker(self):
        with self._workers_lock:
            self._idle_workers += 1
        threading.Thread(target=self._work, daemon=True).start()

    def _work(self):
        while not self._stopping.is_set():
            try:
                connection, address = self.socket.accept()
            except socket.timeout:
                continue
            except OSError:  # e.g. out of file descriptors: do not spin
                self._stopping.wait(0.05)
                continue
            with self._workers_lock:
                self._idle_workers -= 1
                last = self._idle_workers == 0
            if last:
                self._start_worker()
            try:
                self.finish_request(connection, address)
            except Exception:  # noqa: BLE001  (one broken connection must not end the worker)
                self.handle_error(connection, address)
            finally:
                self.shutdown_request(connection)
            with self._workers_lock:
                self._idle_workers += 1


class Handler(httpfake.Handler):
    def version_string(self):
        return "AmazonEC2"

    def do_GET(self):  # noqa: N802  (http.server's naming)
        self._serve()

    def do_POST(self):  # noqa: N802
        self._serve()

    def _serve(self):
        body = self.read_body()
        if self.path.startswith("/_fake/"):
            self._control(body)
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        result = self.server.fake.handle(self.command, self.path, headers, body)
        if result.fault == "drop":
            self._drop(result.body)
            return
        if result.fault == "stall":
            self._stall(result.body, result.stall_seconds)
            return
        self._send(result.status, "text/xml;charset=UTF-8", result.body)

    def _send(self, status, content_type, body):
        self.send_body(status, {"Content-Type": content_type}, body)

    def _drop(self, body):
        """Headers promising the whole body, half of it, then a reset connection."""
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: text/xml;charset=UTF-8\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        self.wfile.write(head + body[: len(body) // 2])
        self.reset_connection()

    def _stall(self, body, seconds):
        """Headers promising the body, then silence for `seconds`, then the body (if the client
        is still there) and the connection closed."""
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: text/xml;charset=UTF-8\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        self.close_connection = True
        try:
            self.wfile.write(head)
            self.wfile.flush()
            time.sleep(seconds)
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:
            pass

    def _control(self, body):
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            payload = json.loads(body) if body.strip() else {}
            status, answer = _route(self.server.fake, self.command, parts.path, payload, query)
        except Exception as err:  # noqa: BLE001  (a bad control request must not kill the fake)
            status, answer = 400, {"error": f"{type(err).__name__}: {err}"}
        self._send(status, "application/json", json.dumps(answer, default=str).encode())


def _route(fake, method, path, payload, query):
    if method == "GET":
        if path == "/_fake/health":
            return 200, {"ok": True}
        if path == "/_fake/state":
            state = seed.dump(fake, query.get("region"), query.get("images") == "1")
            return 200, {**state, "config": fake.config.describe()}
        if path in ("/_fake/config", "/_fake/configure"):
            return 200, fake.config.describe()
        if path == "/_fake/calls":
            with fake.lock:
                return 200, {"calls": list(fake.calls)}
        if path == "/_fake/faults":
            with fake.lock:
                return 200, {"faults": list(fake.faults)}
        return 404, {"error": f"no GET {path}"}
    posts = {
        "/_fake/faults": lambda: {"faults": fake.add_fault(payload)},
        "/_fake/faults/clear": lambda: _clear(fake, "faults"),
        "/_fake/chaos": lambda: {"chaos": fake.set_chaos(payload)},
        "/_fake/deny": lambda: {"denies": fake.set_deny(payload["access_key_id"],
                                                         payload.get("actions", []))},
        "/_fake/deny/clear": lambda: _clear(fake, "denies"),
        "/_fake/calls/clear": lambda: _clear(fake, "calls"),
        "/_fake/seed": lambda: {"created": seed.seed(fake, payload)},
        "/_fake/reset": lambda: (fake.reset(), {"ok": True})[1],
        "/_fake/config": lambda: _configure(fake, payload),
        "/_fake/configure": lambda: _configure(fake, payload),
        "/_fake/settle": lambda: _settle(fake),
    }
    if path not in posts:
        return 404, {"error": f"no POST {path}"}
    return 200, posts[path]()


def _clear(fake, name):
    with fake.lock:
        setattr(fake, name, {} if name == "denies" else [])
    return {"ok": True}


def _configure(fake, payload):
    """Sets the keys given (state.Config.update; unknown keys are refused, so a typo cannot
    leave a mode silently off) and answers every knob's value."""
    if not isinstance(payload, dict):
        raise ValueError("the body must be a JSON object")
    known = set(fake.config.describe())
    unknown = sorted(set(payload) - known)
    if unknown:
        raise ValueError(f"unknown config key(s) {unknown}; known: {sorted(known)}")
    with fake.lock:
        fake.config.update(payload)
        return fake.config.describe()


def _settle(fake):
    """Completes every pending transition now (pending->running, stopping->stopped, ...)."""
    with fake.lock:
        regions = list(fake.regions.values())
    for rs in regions:
        with rs.lock:
            rs.settle()
    return {"ok": True}
