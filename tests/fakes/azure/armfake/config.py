"""Timing and fault modes: each is a command-line flag and the same key in POST /_fake/faults."""
import threading

# key -> (type, default). Lists are replaced whole by POST /_fake/faults.
KEYS = {
    "op_delay_ms": (int, 200),          # how long an async operation stays InProgress
    "retry_after_s": (int, 1),          # Retry-After on 201/202 answers and on 429
    "token_ttl_s": (int, 3599),         # lifetime of issued access tokens
    "page_size": (int, 0),              # list answers split into pages of N (nextLink); 0: one
    "throttle_every": (int, 0),         # every Nth ARM request -> 429
    "fail_5xx_every": (int, 0),         # every Nth ARM request -> 500
    "conflict_on_delete": (int, 0),     # the first N resource-group DELETEs -> 409
    "hang_path": (list, []),            # requests whose path contains one: never answered
    "reset_path": (list, []),           # requests whose path contains one: connection closed
    "drop_tags": (list, []),            # PUT tags of these resource types are ignored
    "linger_graph_s": (float, 0.0),     # Resource Graph shows deleted resources this long
}


class Config:
    def __init__(self, values=None):
        self.lock = threading.Lock()
        self.values = {key: (list(default) if isinstance(default, list) else default)
                       for key, (_, default) in KEYS.items()}
        self.update(values or {})

    def update(self, values):
        """Checks every key and value first, then applies them all (or none)."""
        checked = {}
        for key, value in values.items():
            if key not in KEYS:
                raise ValueError(f"unknown fault/config key {key!r} (known: {sorted(KEYS)})")
            kind = KEYS[key][0]
            if kind is list:
                value = [value] if isinstance(value, str) else value
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ValueError(f"{key}: expected a list of strings")
            elif kind is float:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise ValueError(f"{key}: expected a number >= 0")
                value = float(value)
            elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{key}: expected an integer >= 0")
            checked[key] = value
        with self.lock:
            self.values.update(checked)

    def __getitem__(self, key):
        with self.lock:
            return self.values[key]

    def describe(self):
        with self.lock:
            return {k: (list(v) if isinstance(v, list) else v) for k, v in self.values.items()}
