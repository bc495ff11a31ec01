"""POST /_fake/seed and GET /_fake/state: resources as {id, type, location, tags, properties}."""
import copy

GROUP_TYPE = "Microsoft.Resources/resourceGroups"


def seed(store, payload):
    """Inserts `payload["resources"]` in order (a group before what it holds); all or nothing.
    Resources carry provisioningState Succeeded unless given; a VM's power state is `power`
    (default running)."""
    items = payload.get("resources")
    if not isinstance(items, list):
        raise ValueError('body must be {"resources": [{id, type, location, tags, properties}]}')
    known = {s.lower() for s in store.subscriptions}
    staged = {}
    for item in items:
        resource_id, kind = item.get("id"), item.get("type")
        if not isinstance(resource_id, str) or not isinstance(kind, str):
            raise ValueError(f"seed item needs string id and type: {item!r}")
        parts = resource_id.split("/")
        if len(parts) < 5 or parts[1].lower() != "subscriptions" or \
                parts[3].lower() != "resourcegroups" or parts[2].lower() not in known:
            raise ValueError(f"{resource_id}: not /subscriptions/<known>/resourceGroups/...")
        group_key = "/".join(parts[:5]).lower()
        if kind != GROUP_TYPE and group_key not in staged and store.get(group_key) is None:
            raise ValueError(f"{resource_id}: seed its resource group first")
        if kind == GROUP_TYPE and len(parts) != 5:
            raise ValueError(f"{resource_id}: a resource group id has 5 segments")
        resource = {"id": resource_id, "name": item.get("name") or parts[-1], "type": kind,
                    "location": item.get("location", "westeurope"),
                    "tags": dict(item.get("tags") or {}),
                    "properties": copy.deepcopy(item.get("properties") or {})}
        resource["properties"].setdefault("provisioningState", "Succeeded")
        if kind == "Microsoft.Compute/virtualMachines":
            resource["power"] = item.get("power", "running")
        staged[resource_id.lower()] = resource
    for resource in staged.values():
        store.put(resource)
    return [r["id"] for r in staged.values()]


def dump(store):
    out = []
    for resource in sorted(store.resources.values(), key=lambda r: r["id"].lower()):
        item = {k: copy.deepcopy(resource.get(k)) for k in
                ("id", "type", "location", "tags", "properties")}
        if "power" in resource:
            item["power"] = resource["power"]
        out.append(item)
    return out
