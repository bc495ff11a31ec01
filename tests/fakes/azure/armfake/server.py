"""HTTPS server: Entra ID / managed-identity token endpoints, ARM (bearer-checked, fault modes
first), and the JSON control API under /_fake/ (no auth)."""
import json
import socket
import ssl
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import auth as authmod
from .arm import Request
from .errors import ArmError
from .seed import seed, dump


class ArmFakeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, context, fake, log_path=None):
        super().__init__(address, Handler)
        self.context = context
        self.fake = fake
        self.stopping = threading.Event()
        self.log_lock = threading.Lock()
        self.log_file = open(log_path, "a", encoding="utf-8") if log_path else None

    def finish_request(self, request, client_address):
        """The TLS handshake runs in the connection's own thread, with a time limit, so a
        client that never speaks TLS cannot hold up other connections."""
        request.settimeout(30)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def shutdown(self):
        self.stopping.set()
        super().shutdown()

    def log(self, line):
        if self.log_file:
            with self.log_lock:
                self.log_file.write(f"{time.strftime('%H:%M:%S')} {line}\n")
                self.log_file.flush()


class Fake:
    """Everything a request needs: auth, ARM, config, the request log and fault counters."""

    def __init__(self, store, arm, auth):
        self.store = store
        self.arm = arm
        self.auth = auth
        self.config = store.config
        self.lock = threading.Lock()
        self.log = []
        self.arm_requests = 0
        self.reads_left = 12000
        self.writes_left = 1200

    def record(self, entry):
        with self.lock:
            self.log.append(entry)

    def count_request(self):
        with self.lock:
            self.arm_requests += 1
            return self.arm_requests


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 64 * 1024

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self):
        return "Microsoft-HTTPAPI/2.0"

    def log_message(self, format, *args):  # noqa: A002
        self.server.log(format % args)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = \
        lambda self: self._serve()  # noqa: E731

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self):
        fake = self.server.fake
        body = self._read_body()
        parts = urlsplit(self.path)
        path = parts.path
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        if path.startswith("/_fake/"):
            self._control(path, body, query)
            return
        entry = {"method": self.command, "path": path, "query": parts.query, "status": 0,
                 "ts": time.time()}
        fake.record(entry)
        config = fake.config
        if any(s and s in path for s in config["hang_path"]):
            entry["status"] = "hang"
            self.server.stopping.wait()
            self.close_connection = True
            return
        if any(s and s in path for s in config["reset_path"]):
            entry["status"] = "reset"
            self._reset()
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
        self._send(status, answer, extra)

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
        if body.strip():
            try:
                entry["body"] = json.loads(body)
            except ValueError:
                entry["body"] = body.decode("utf-8", "replace")[:2000]
        problem = fake.auth.check_bearer(headers.get("authorization"))
        if problem:
            extra["WWW-Authenticate"] = (f'Bearer authorization_uri="{base}/{fake.store.tenant}",'
                                         f' error="invalid_token", error_description='
                                         f'"{problem[1]}"')
            return 401, {"error": {"code": problem[0], "message": problem[1]}}, extra
        number = fake.count_request()
        config = fake.config
        if config["throttle_every"] and number % config["throttle_every"] == 0:
            extra["Retry-After"] = str(config["retry_after_s"])
            return 429, {"error": {"code": "TooManyRequests",
                                   "message": "The request is being throttled as the limit has "
                                              "been reached for operation type - "
                                              f"{self.command} (fault mode --throttle-every)."}}, \
                extra
        if config["fail_5xx_every"] and number % config["fail_5xx_every"] == 0:
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

    def _send(self, status, answer, headers):
        data = b"" if answer is None or self.command == "HEAD" else \
            json.dumps(answer).encode("utf-8")
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if answer is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _reset(self):
        self.close_connection = True
        try:
            self.wfile.flush()
            raw = self.connection
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            raw.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _control(self, path, body, query):
        fake = self.server.fake
        try:
            payload = json.loads(body) if body.strip() else {}
            status, answer = _route(fake, self.command, path, payload)
        except Exception as err:  # noqa: BLE001  (a bad control request must not kill the fake)
            status, answer = 400, {"error": f"{type(err).__name__}: {err}"}
        self._send(status, answer, {})


def _route(fake, method, path, payload):
    store = fake.store
    store.advance()
    if method == "GET":
        if path == "/_fake/health":
            return 200, {"ok": True}
        if path == "/_fake/state":
            with store.lock:
                return 200, {"resources": dump(store), "config": fake.config.describe()}
        if path == "/_fake/log":
            with fake.lock:
                return 200, list(fake.log)
        if path == "/_fake/faults":
            return 200, fake.config.describe()
        return 404, {"error": f"no GET {path}"}
    if method != "POST":
        return 404, {"error": f"no {method} {path}"}
    if path == "/_fake/seed":
        with store.lock:
            return 200, {"created": seed(store, payload)}
    if path == "/_fake/faults":
        fake.config.update(payload)
        return 200, fake.config.describe()
    if path == "/_fake/log/clear":
        with fake.lock:
            fake.log.clear()
        return 200, {"ok": True}
    if path == "/_fake/settle":
        store.advance(everything=True)
        return 200, {"ok": True}
    if path == "/_fake/tokens/expire":
        fake.auth.expire_all()
        return 200, {"ok": True}
    return 404, {"error": f"no POST {path}"}
