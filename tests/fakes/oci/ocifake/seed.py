"""POST /_fake/seed: resources created outside labctl (a foreign VCN, someone else's instance),
through the same rules as the API, settled at once. All or nothing."""
import copy

from .core import NETWORK

_CREATE = {kind.name: kind.create for kind in NETWORK.values()}
_CREATE.update({"Instance": "LaunchInstanceDetails", "PrivateIp": "CreatePrivateIpDetails"})


def _resolve(value, names):
    """"${name}" strings become the OCID of the earlier seed item called name."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        if value[2:-1] not in names:
            raise ValueError(f"unknown seed reference {value}")
        return names[value[2:-1]]
    if isinstance(value, list):
        return [_resolve(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, names) for k, v in value.items()}
    return value


def seed(core, payload):
    """`payload` = {"resources": [{"type": "Vcn"|"Subnet"|"InternetGateway"|"RouteTable"|
    "SecurityList"|"Instance"|"PrivateIp", "name": optional, "details": <the create body>}]};
    answers {"created": {name or index: OCID}}. Details are held to the same models as the API
    and may refer to earlier items as "${name}"."""
    store = core.store
    items = payload.get("resources")
    if not isinstance(items, list):
        raise ValueError("seed wants {\"resources\": [...]}")
    with store.lock:
        saved = copy.copy(store.resources), list(store.tombstones)
        names, created = {}, {}
        try:
            for index, item in enumerate(items):
                kind = item.get("type")
                if kind not in _CREATE:
                    raise ValueError(f"resources[{index}].type must be one of {sorted(_CREATE)}")
                details = _resolve(item.get("details"), names)
                core.models.check_request("oci-core", _CREATE[kind], details)
                resource = core.create(kind, details)
                key = item.get("name") or str(index)
                names[key] = created[key] = resource.id
                store.advance(everything=True)
        except Exception:
            store.resources, store.tombstones = saved
            raise
    return {"created": created}


def dump(core):
    """Every resource the fake holds (TERMINATED instances included), for GET /_fake/state."""
    with core.store.lock:
        return [{"type": r.kind, "id": r.id, "lifecycleState": r.state,
                 "compartmentId": r.obj.get("compartmentId"),
                 "freeformTags": r.obj.get("freeformTags") or {}, "object": r.obj}
                for r in sorted(core.store.resources.values(), key=lambda r: (r.created, r.id))]
