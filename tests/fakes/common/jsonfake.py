"""What the JSON-over-HTTPS fakes (ARM, OCI) share on top of httpfake.py and tlsfake.py: the
fault and timing keys (each one command-line flag and the same key in POST /_fake/faults), the
command line and startup, the request log and fault counters, the path faults (hang, reset), and
the control API under /_fake/ (no auth) with each fake's own extra routes. What a key means for a
fake, and the errors its faults answer, stay with that fake (its README).

Each fake's package __init__ (armfake, ocifake) puts this folder on sys.path."""
import argparse
import json
import threading
from typing import NamedTuple
from urllib.parse import urlsplit

import httpfake
import tlsfake


class Key(NamedTuple):
    """A fault or timing key: its type (int, float or list of strings), default and the
    metavar of its flag (None: the flag's own name)."""
    kind: type
    default: object
    metavar: str = None


# The keys both fakes have; each fake adds its own (FaultConfig takes the merged dict).
FAULT_KEYS = {
    "op_delay_ms": Key(int, 200),               # how long an asynchronous step takes
    "page_size": Key(int, 0),                   # list answers in pages of N (0: the fake's own)
    "throttle_every": Key(int, 0, "N"),         # every Nth counted request -> 429
    "fail_5xx_every": Key(int, 0, "N"),         # every Nth counted request -> 500
    "conflict_on_delete": Key(int, 0, "N"),     # the first N deletes of some kind -> 409
    "hang_path": Key(list, [], "SUBSTR"),       # a request whose path holds one: never answered
    "reset_path": Key(list, [], "SUBSTR"),      # ... answered by a TCP reset
    "drop_tags": Key(list, [], "TYPE"),         # creates/updates of these types ignore tags
}


class FaultConfig:
    """The current value of every key in `keys` (name -> Key); thread-safe."""

    def __init__(self, keys, values=None):
        self.keys = keys
        self.lock = threading.Lock()
        self.values = {name: (list(key.default) if key.kind is list else key.default)
                       for name, key in keys.items()}
        self.update(values or {})

    def update(self, values):
        """Checks every key and value first, then applies them all: an unknown key or a bad
        value raises ValueError and nothing changes. A list key takes a string as a list of one;
        lists are replaced whole."""
        checked = {}
        for name, value in values.items():
            if name not in self.keys:
                raise ValueError(f"unknown fault/config key {name!r} (known: {sorted(self.keys)})")
            kind = self.keys[name].kind
            if kind is list:
                value = [value] if isinstance(value, str) else value
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ValueError(f"{name}: expected a list of strings")
                value = list(value)
            elif kind is float:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise ValueError(f"{name}: expected a number >= 0")
                value = float(value)
            elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name}: expected an integer >= 0")
            checked[name] = value
        with self.lock:
            self.values.update(checked)

    def __getitem__(self, name):
        with self.lock:
            return self.values[name]

    def describe(self):
        with self.lock:
            return {k: (list(v) if isinstance(v, list) else v) for k, v in self.values.items()}


def argument_parser(description, keys):
    """The flags every JSON fake takes (port, TLS, log, seed, keep-orphaned) and one flag per
    fault key (`--hang-path` for hang_path; list keys repeatable); add the fake's own flags,
    parse, then make the config with fault_config(args, keys)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, default=0, help="0 picks an ephemeral port")
    parser.add_argument("--port-file", required=True, help="written with the port once listening")
    parser.add_argument("--tls-dir", required=True,
                        help="the test CA (ca.pem) and server certificate are created here")
    parser.add_argument("--tls-host", action="append", default=[], metavar="NAME",
                        help="extra DNS name in the server certificate (repeatable)")
    parser.add_argument("--log", help="append one line per HTTP request here")
    parser.add_argument("--seed", help="a JSON file like POST /_fake/seed's body, loaded first")
    parser.add_argument("--keep-orphaned", action="store_true",
                        help="keep serving when the parent process dies (default: exit)")
    for name, key in keys.items():
        flag = "--" + name.replace("_", "-")
        if key.kind is list:
            parser.add_argument(flag, action="append", default=[], metavar=key.metavar)
        else:
            parser.add_argument(flag, type=key.kind, default=key.default, metavar=key.metavar)
    return parser


def fault_config(args, keys):
    """The FaultConfig the parsed flags of argument_parser ask for (ValueError if one is bad)."""
    return FaultConfig(keys, {name: getattr(args, name) for name in keys})


def read_seed(args):
    """The JSON of the --seed file, or None without one."""
    if not args.seed:
        return None
    with open(args.seed, encoding="utf-8") as handle:
        return json.load(handle)


def serve_https(args, handler, fake, ca_name):
    """Makes the test CA (named `ca_name`) and server certificate in --tls-dir, then serves
    `fake` through `handler` on 127.0.0.1:--port (httpfake.serve); returns the exit code."""
    tlsfake.make_certificates(args.tls_dir, args.tls_host, ca_name=ca_name)
    server = tlsfake.TlsServer(("127.0.0.1", args.port), handler,
                               tlsfake.server_context(args.tls_dir), fake, args.log)
    return httpfake.serve(server, args.port_file, args.keep_orphaned)


class Fake:
    """The state a JSON fake's requests share: its store (with advance(everything=False), which
    completes due steps, and a `lock`), its FaultConfig, the request log and the fault counter.
    A fake adds its control routes by overriding extra_routes."""

    def __init__(self, store, config):
        self.store = store
        self.config = config
        self.lock = threading.Lock()
        self.log = []
        self.counted_requests = 0

    def record(self, entry):
        """Adds a request's entry to GET /_fake/log (the caller may fill it in later)."""
        with self.lock:
            self.log.append(entry)

    def count_request(self):
        """Counts a request towards throttle_every and fail_5xx_every; answers the key whose
        fault this request gets (throttling first), or None."""
        with self.lock:
            self.counted_requests += 1
            number = self.counted_requests
        for name in ("throttle_every", "fail_5xx_every"):
            every = self.config[name]
            if every and number % every == 0:
                return name
        return None

    def extra_routes(self):
        """The fake's own control routes: {(method, path): function(payload) -> (status,
        answer)}, called after the store has advanced."""
        return {}

    def control(self, method, path, payload):
        """Answers a control request (path under /_fake/): (status, JSON answer)."""
        self.store.advance()
        own = self.extra_routes().get((method, path))
        if own:
            return own(payload)
        if method == "GET":
            if path == "/_fake/health":
                return 200, {"ok": True}
            if path == "/_fake/log":
                with self.lock:
                    return 200, list(self.log)
            if path == "/_fake/faults":
                return 200, self.config.describe()
            return 404, {"error": f"no GET {path}"}
        if method != "POST":
            return 404, {"error": f"no {method} {path}"}
        if path == "/_fake/faults":
            self.config.update(payload)
            return 200, self.config.describe()
        if path == "/_fake/log/clear":
            with self.lock:
                self.log.clear()
            return 200, {"ok": True}
        if path == "/_fake/settle":
            self.store.advance(everything=True)
            return 200, {"ok": True}
        return 404, {"error": f"no POST {path}"}


class Handler(httpfake.Handler):
    """Sends /_fake/ requests to the server's fake (a Fake) and every other request to
    serve_api(parts, body) (parts: the urlsplit of the request target)."""

    json_content_type = "application/json"

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = \
        lambda self: self._serve()  # noqa: E731

    def _serve(self):
        body = self.read_body()
        parts = urlsplit(self.path)
        if not parts.path.startswith("/_fake/"):
            self.serve_api(parts, body)
            return
        try:
            payload = json.loads(body) if body.strip() else {}
            status, answer = self.server.fake.control(self.command, parts.path, payload)
        except Exception as err:  # noqa: BLE001  (a bad control request must not kill the fake)
            status, answer = 400, {"error": f"{type(err).__name__}: {err}"}
        self.send_json(status, answer, {})

    def serve_api(self, parts, body):
        raise NotImplementedError

    def path_fault(self, path, entry):
        """Applies hang_path (never answered, until the fake stops) or reset_path (TCP reset) to
        a request whose path holds one of their strings, noting it as the entry's status; true
        when it did (the request is done)."""
        config = self.server.fake.config
        if any(s and s in path for s in config["hang_path"]):
            entry["status"] = "hang"
            self.server.stopping.wait()
            self.close_connection = True
            return True
        if any(s and s in path for s in config["reset_path"]):
            entry["status"] = "reset"
            self.reset_connection()
            return True
        return False

    @staticmethod
    def log_body(entry, body):
        """Puts a request body into its log entry: as JSON, or else as (at most 2000) chars."""
        if body.strip():
            try:
                entry["body"] = json.loads(body)
            except ValueError:
                entry["body"] = body.decode("utf-8", "replace")[:2000]

    def send_json(self, status, answer, headers):
        """One response with `answer` as JSON (no body for None or a HEAD request)."""
        data = b"" if answer is None or self.command == "HEAD" else \
            json.dumps(answer).encode("utf-8")
        if answer is not None:
            headers = {**headers, "Content-Type": self.json_content_type}
        self.send_body(status, headers, data)
