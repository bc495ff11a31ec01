"""The fake's state: resources by lower-cased ARM id, async operations, lingering deletions.

Operations complete lazily: every request (and every control call) first runs `advance()`, which
finishes each operation whose time has come, so state never changes behind a reader's back."""
import threading
import time
import uuid


class Operation:
    def __init__(self, op_id, done_at, on_done, namespace, location):
        self.id = op_id
        self.done_at = done_at
        self.on_done = on_done
        self.namespace = namespace
        self.location = location
        self.status = "InProgress"
        self.started = time.time()
        self.ended = None


class Store:
    def __init__(self, config, subscriptions, tenant):
        self.config = config
        self.subscriptions = subscriptions   # [subscription id]
        self.tenant = tenant
        self.lock = threading.RLock()
        self.resources = {}                  # lower id -> resource dict
        self.deleted = []                    # (deleted_at, resource) for Resource Graph linger
        self.operations = {}                 # op id -> Operation
        self.next_public_ip = 0

    # ---- operations ----------------------------------------------------------------------
    def start_operation(self, on_done, namespace, location):
        op = Operation(str(uuid.uuid4()), time.time() + self.config["op_delay_ms"] / 1000.0,
                       on_done, namespace, location)
        self.operations[op.id] = op
        return op

    def advance(self, everything=False):
        with self.lock:
            now = time.time()
            for op in sorted(self.operations.values(), key=lambda o: o.done_at):
                if op.status == "InProgress" and (everything or op.done_at <= now):
                    op.status = "Succeeded"
                    op.ended = now
                    if op.on_done:
                        op.on_done()

    # ---- resources -----------------------------------------------------------------------
    def get(self, resource_id):
        return self.resources.get(resource_id.lower())

    def put(self, resource):
        self.resources[resource["id"].lower()] = resource

    def remove(self, resource_id):
        resource = self.resources.pop(resource_id.lower(), None)
        if resource is not None:
            self.deleted.append((time.time(), resource))
        return resource

    def children_of(self, prefix):
        prefix = prefix.lower().rstrip("/") + "/"
        return [r for key, r in self.resources.items() if key.startswith(prefix)]

    def lingering(self):
        """Deleted resources Resource Graph still shows (eventual consistency)."""
        horizon = time.time() - self.config["linger_graph_s"]
        self.deleted = [(at, r) for at, r in self.deleted if at >= horizon]
        live = set(self.resources)
        return [r for _, r in self.deleted if r["id"].lower() not in live]

    def allocate_public_ip(self):
        """198.18.0.0/15 (benchmarking range): never a routable address."""
        self.next_public_ip += 1
        n = self.next_public_ip
        return f"198.{18 + (n >> 16) % 2}.{(n >> 8) & 255}.{n & 255}"
