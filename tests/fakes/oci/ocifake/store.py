"""The fake's state: resources by OCID with lazily advancing lifecycle states, retry tokens,
tombstones for eventually consistent search, and request counters."""
import datetime
import secrets
import threading
import time


_REGION_KEYS = {"us-ashburn-1": "iad", "us-phoenix-1": "phx", "eu-frankfurt-1": "fra",
                "uk-london-1": "lhr", "ap-tokyo-1": "nrt", "ca-toronto-1": "yyz"}


def now_rfc3339(ts=None):
    ts = time.time() if ts is None else ts
    stamp = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


class Resource:
    """One OCI resource: `kind` (its OCI type name, e.g. "Vcn"), `obj` (its answer, as the
    SDK's response model), and the pending lifecycle transitions [(due, state, then)]."""

    def __init__(self, kind, obj, created):
        self.kind = kind
        self.obj = obj
        self.created = created
        self.pending = []
        self.etag = secrets.token_hex(16)
        self.on_done = None   # called (store, resource) when its last transition completes

    @property
    def id(self):
        return self.obj["id"]

    @property
    def state(self):
        return self.obj.get("lifecycleState")


class Store:
    def __init__(self, config, region, tenancy, compartments):
        self.config = config
        self.region = region
        self.tenancy = tenancy
        self.compartments = compartments   # OCID -> Compartment answer (the tenancy included)
        self.lock = threading.RLock()
        self.resources = {}                # OCID -> Resource (removed when gone)
        self.tombstones = []               # (deleted_at, summary) for --linger-search-s
        self.retry_tokens = {}             # token -> (fingerprint, answer function)
        self.deletes_seen = 0
        self.next_ip = 0

    def ocid(self, kind):
        # OCIDs carry the region's short key (iad for us-ashburn-1) where OCI has one.
        key = _REGION_KEYS.get(self.region, self.region)
        return f"ocid1.{kind}.oc1.{key}.aaaaaaaa{secrets.token_hex(26)}"

    def add(self, kind, obj):
        with self.lock:
            resource = Resource(kind, obj, time.time())
            self.resources[obj["id"]] = resource
            return resource

    def transition(self, resource, *states, then=None):
        """Queues lifecycle states, each reached op_delay_ms after the previous (the first now
        + op_delay_ms); `then(store, resource)` runs when the last is reached."""
        delay = self.config["op_delay_ms"] / 1000.0
        due = time.time()
        resource.pending = []
        for state in states:
            due += delay
            resource.pending.append((due, state))
        resource.on_done = then
        if delay == 0:
            self.advance()

    def advance(self, everything=False):
        """Completes due transitions (all of them with `everything`)."""
        with self.lock:
            moved = True
            while moved:
                moved = False
                current = time.time()
                for resource in list(self.resources.values()):
                    while resource.pending and (everything or resource.pending[0][0] <= current):
                        _, state = resource.pending.pop(0)
                        resource.obj["lifecycleState"] = state
                        moved = True
                        if not resource.pending and resource.on_done:
                            done, resource.on_done = resource.on_done, None
                            done(self, resource)

    def remove(self, resource, summary):
        """Forgets a deleted resource; search keeps `summary` for linger_search_s."""
        with self.lock:
            self.resources.pop(resource.id, None)
            self.tombstones.append((time.time(), summary))

    def lingering(self):
        with self.lock:
            keep = self.config["linger_search_s"]
            horizon = time.time() - keep
            self.tombstones = [(t, s) for t, s in self.tombstones if t >= horizon]
            return [s for t, s in self.tombstones] if keep > 0 else []

    def get(self, ocid, kind=None):
        with self.lock:
            resource = self.resources.get(ocid)
            if resource is None or (kind and resource.kind != kind):
                return None
            return resource

    def of_kind(self, kind):
        with self.lock:
            return sorted((r for r in self.resources.values() if r.kind == kind),
                          key=lambda r: (r.created, r.id))

    def public_ip(self):
        with self.lock:
            self.next_ip += 1
            n = self.next_ip
        return f"198.18.{(n >> 8) & 0xff}.{n & 0xff}"
