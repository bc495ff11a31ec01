"""Per-region resource state: stores, ids, tags, views, instance lifecycle, address allocation.

Resources are dicts in botocore's output form (member names of the model's output shapes), plus
internal keys starting with '_' (never rendered): '_tags' (dict), '_created' (epoch) and
per-kind bookkeeping. A resource's *view* is what a describe returns for it right now.
"""
import copy
import ipaddress
import random
import re
import threading
import time

from .errors import Ec2Error, malformed, not_found

OWNER_ID = "123456789012"

# kind -> (id member, id prefix, tag member in the output shape)
KINDS = {
    "instance": ("InstanceId", "i-", "Tags"),
    "volume": ("VolumeId", "vol-", "Tags"),
    "network-interface": ("NetworkInterfaceId", "eni-", "TagSet"),
    "security-group": ("GroupId", "sg-", "Tags"),
    "key-pair": ("KeyPairId", "key-", "Tags"),
    "vpc": ("VpcId", "vpc-", "Tags"),
    "subnet": ("SubnetId", "subnet-", "Tags"),
    "internet-gateway": ("InternetGatewayId", "igw-", "Tags"),
    "route-table": ("RouteTableId", "rtb-", "Tags"),
    "image": ("ImageId", "ami-", "Tags"),
}
PREFIX_KIND = {prefix: kind for kind, (_, prefix, _) in KINDS.items()}

STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48,
               "stopping": 64, "stopped": 80}

_ID_FORM = re.compile(r"[0-9a-f]{8}|[0-9a-f]{17}")

_rng = random.Random()
_rng_lock = threading.Lock()


def _well_formed(kind, resource_id):
    prefix = KINDS[kind][1]
    return resource_id.startswith(prefix) and (
        kind == "key-pair" or _ID_FORM.fullmatch(resource_id[len(prefix):]) is not None)


def new_id(prefix):
    with _rng_lock:
        return f"{prefix}{_rng.getrandbits(68):017x}"


def kind_of_id(resource_id):
    prefix = resource_id.split("-", 1)[0] + "-"
    return PREFIX_KIND.get(prefix)


def tag_list(tags):
    return [{"Key": k, "Value": v} for k, v in tags.items()]


class Config:
    """Knobs of the fake, from the command line and the control API's /_fake/config.

    Timing: run_delay_s, terminated_visible_s. Behaviours other EC2 implementations (and real
    EC2's eventually consistent indexes) show: linger_tags_s (DescribeTags keeps a removed
    resource's tags this long), drop_create_tags (resource types whose TagSpecifications are
    ignored on create), ignore_keypair_id (DeleteKeyPair by KeyPairId alone deletes nothing),
    filter_500 (a Describe* using one of these filter names answers 500 InternalError).
    """

    def __init__(self, run_delay_ms=200, terminated_visible_s=60.0, linger_tags_s=0.0,
                 drop_create_tags=(), ignore_keypair_id=False, filter_500=()):
        self.run_delay_s = run_delay_ms / 1000.0
        self.terminated_visible_s = terminated_visible_s
        self.linger_tags_s = 0.0
        self.drop_create_tags = frozenset()
        self.ignore_keypair_id = False
        self.filter_500 = frozenset()
        self.update({"linger_tags_s": linger_tags_s, "drop_create_tags": drop_create_tags,
                     "ignore_keypair_id": ignore_keypair_id, "filter_500": filter_500})

    def update(self, values):
        """Sets the keys present in `values` (control API names); a bad value raises ValueError
        before anything changes."""
        changes = {}
        if "run_delay_ms" in values:
            changes["run_delay_s"] = _non_negative(values["run_delay_ms"], "run_delay_ms") / 1000.0
        if "terminated_visible_s" in values:
            changes["terminated_visible_s"] = _non_negative(values["terminated_visible_s"],
                                                            "terminated_visible_s")
        if "linger_tags_s" in values:
            changes["linger_tags_s"] = _non_negative(values["linger_tags_s"], "linger_tags_s")
        if "drop_create_tags" in values:
            types = frozenset(_names(values["drop_create_tags"], "drop_create_tags"))
            unknown = sorted(types - set(KINDS))
            if unknown:
                raise ValueError(f"drop_create_tags: unknown resource type(s) {unknown}; "
                                 f"known: {sorted(KINDS)}")
            changes["drop_create_tags"] = types
        if "ignore_keypair_id" in values:
            if not isinstance(values["ignore_keypair_id"], bool):
                raise ValueError("ignore_keypair_id must be true or false")
            changes["ignore_keypair_id"] = values["ignore_keypair_id"]
        if "filter_500" in values:
            changes["filter_500"] = frozenset(_names(values["filter_500"], "filter_500"))
        for name, value in changes.items():
            setattr(self, name, value)

    def describe(self):
        """The knobs under their control API names (GET /_fake/config, /_fake/state)."""
        return {"run_delay_ms": self.run_delay_s * 1000.0,
                "terminated_visible_s": self.terminated_visible_s,
                "linger_tags_s": self.linger_tags_s,
                "drop_create_tags": sorted(self.drop_create_tags),
                "ignore_keypair_id": self.ignore_keypair_id,
                "filter_500": sorted(self.filter_500)}


def _non_negative(value, name):
    number = float(value)
    if not number >= 0:
        raise ValueError(f"{name} must be a number >= 0")
    return number


def _names(value, name):
    if not isinstance(value, (list, tuple, set, frozenset)) or not all(
            isinstance(item, str) and item for item in value):
        raise ValueError(f"{name} must be a list of non-empty strings")
    return value


class RegionState:
    """All resources of one region; callers hold self.lock while reading or mutating."""

    def __init__(self, name, config):
        self.name = name
        self.config = config
        self.lock = threading.RLock()
        self.res = {kind: {} for kind in KINDS}
        self.client_tokens = {}
        self.default_vpc_id = None
        # Tags of removed resources DescribeTags still lists (config.linger_tags_s):
        # [{"kind", "id", "tags": {k: v}, "until": epoch}].
        self.lingering = []

    def __deepcopy__(self, memo):
        """A sandbox copy (for DryRun) with its own lock."""
        clone = RegionState(self.name, self.config)
        clone.res = copy.deepcopy(self.res, memo)
        clone.client_tokens = copy.deepcopy(self.client_tokens, memo)
        clone.default_vpc_id = self.default_vpc_id
        clone.lingering = copy.deepcopy(self.lingering, memo)
        return clone

    # ---- generic store -------------------------------------------------------------------
    def add(self, kind, res, tags=None):
        res.setdefault("_tags", dict(tags or {}))
        res.setdefault("_created", time.time())
        self.res[kind][res[KINDS[kind][0]]] = res
        return res

    def get(self, kind, resource_id):
        """The resource; an id of the wrong form is Malformed, an unknown one NotFound (EC2)."""
        found = self.res[kind].get(resource_id)
        if found is None:
            if not _well_formed(kind, resource_id):
                raise malformed(kind, resource_id)
            raise not_found(kind, resource_id)
        return found

    def remove(self, kind, resource_id, now=None):
        """Forgets a resource. With config.linger_tags_s > 0 its tags stay in DescribeTags that
        many seconds (an eventually consistent tag index) while the resource itself is gone."""
        res = self.res[kind].pop(resource_id, None)
        if res is not None and res["_tags"] and self.config.linger_tags_s > 0:
            now = time.time() if now is None else now
            self.lingering.append({"kind": kind, "id": resource_id, "tags": dict(res["_tags"]),
                                   "until": now + self.config.linger_tags_s})
        return res

    def lingering_tags(self, now=None):
        """(kind, id, tags) of removed resources whose tags still linger."""
        now = time.time() if now is None else now
        return [(entry["kind"], entry["id"], entry["tags"]) for entry in self.lingering
                if entry["until"] > now and entry["id"] not in self.res[entry["kind"]]]

    def find_any(self, resource_id):
        """The resource with this id of whatever kind (for CreateTags/DeleteTags)."""
        kind = kind_of_id(resource_id)
        if kind is None:
            raise not_found("resource", resource_id)
        return kind, self.get(kind, resource_id)

    def view(self, kind, res):
        if kind == "instance":
            return self._instance_view(res)
        out = {k: v for k, v in res.items() if not k.startswith("_")}
        out[KINDS[kind][2]] = tag_list(res["_tags"])
        return out

    # ---- instance lifecycle --------------------------------------------------------------
    def set_instance_state(self, inst, name, next_name=None, now=None):
        """Sets the state; a transitional state settles in next_name after the run delay."""
        now = time.time() if now is None else now
        inst["State"] = {"Code": STATE_CODES[name], "Name": name}
        inst["_next"] = next_name
        inst["_until"] = now + self.config.run_delay_s if next_name else None
        if name == "terminated":
            self._on_terminated(inst, now)
        elif name == "stopped":
            self._set_public_ip(inst, None)
        elif name == "pending" and inst.get("_wants_public"):
            self._set_public_ip(inst, public_ip())

    def tick(self, now=None):
        """Advances due instance transitions and forgets long-terminated instances."""
        now = time.time() if now is None else now
        gone = []
        for inst in self.res["instance"].values():
            if inst["_next"] and inst["_until"] <= now:
                self.set_instance_state(inst, inst["_next"], None, now)
            if inst.get("_vanish_at") and inst["_vanish_at"] <= now:
                gone.append(inst["InstanceId"])
        for instance_id in gone:
            self.remove("instance", instance_id, now)
        self.lingering = [entry for entry in self.lingering if entry["until"] > now]

    def settle(self):
        """Completes every transition now (the control API's /_fake/settle)."""
        for inst in self.res["instance"].values():
            if inst["_next"]:
                self.set_instance_state(inst, inst["_next"])

    def _set_public_ip(self, inst, address):
        """The public IPv4 lives on the primary ENI (its Association), as in EC2."""
        enis = [self.res["network-interface"].get(e) for e in inst.get("_eni_ids", [])]
        primary = enis[0] if enis and enis[0] else None
        if primary is None:
            return
        if address is None:
            primary.pop("Association", None)
            primary["PrivateIpAddresses"][0].pop("Association", None)
        else:
            assoc = {"IpOwnerId": "amazon", "PublicDnsName": "", "PublicIp": address}
            primary["Association"] = assoc
            primary["PrivateIpAddresses"][0]["Association"] = dict(assoc)

    def _on_terminated(self, inst, now):
        inst["_vanish_at"] = now + self.config.terminated_visible_s
        self._set_public_ip(inst, None)
        for eni_id in inst.pop("_eni_ids", []):
            eni = self.res["network-interface"].get(eni_id)
            if eni and eni["Attachment"].get("DeleteOnTermination", True):
                self.delete_eni(eni)
            elif eni:
                eni.pop("Attachment", None)
                eni["Status"] = "available"
        for vol_id in inst.pop("_volume_ids", []):
            self.remove("volume", vol_id, now)

    def _instance_view(self, inst):
        out = {k: v for k, v in inst.items() if not k.startswith("_") or k == "_reservation"}
        out["Tags"] = tag_list(inst["_tags"])
        enis = [self.res["network-interface"][e] for e in inst.get("_eni_ids", [])
                if e in self.res["network-interface"]]
        out["NetworkInterfaces"] = [_instance_eni(e) for e in enis]
        out["SecurityGroups"] = list(enis[0]["Groups"]) if enis else []
        if enis:
            out["PrivateIpAddress"] = enis[0]["PrivateIpAddress"]
            out["SourceDestCheck"] = enis[0]["SourceDestCheck"]
        if enis and "Association" in enis[0]:
            out["PublicIpAddress"] = enis[0]["Association"]["PublicIp"]
        out["BlockDeviceMappings"] = [
            {"DeviceName": v["Attachments"][0]["Device"],
             "Ebs": {"AttachTime": v["CreateTime"], "DeleteOnTermination": True,
                     "Status": "attached", "VolumeId": v["VolumeId"]}}
            for v in (self.res["volume"].get(i) for i in inst.get("_volume_ids", [])) if v]
        return out

    # ---- addresses -----------------------------------------------------------------------
    def allocate_ip(self, subnet, wanted=None):
        net = ipaddress.ip_network(subnet["CidrBlock"])
        used = subnet["_used"]
        if wanted is not None:
            addr = ipaddress.ip_address(wanted)
            if addr not in net:
                raise Ec2Error("InvalidParameterValue", f"Address {wanted} does not fall within "
                               f"the subnet's address range")
            if wanted in used:
                raise Ec2Error("InvalidIPAddress.InUse", f"Address {wanted} is in use.")
            used.add(wanted)
            return wanted
        first, last = int(net.network_address) + 4, int(net.broadcast_address) - 1
        cursor = max(subnet.get("_cursor", first), first)
        for _ in range(max(0, last - first + 1)):
            if cursor > last:
                cursor = first
            candidate = str(ipaddress.ip_address(cursor))
            cursor += 1
            if candidate not in used:
                used.add(candidate)
                subnet["_cursor"] = cursor
                subnet["AvailableIpAddressCount"] = (last - first + 1) - len(used)
                return candidate
        raise Ec2Error("InsufficientFreeAddressesInSubnet",
                       f"The specified subnet {subnet['SubnetId']} does not have enough free "
                       f"addresses to satisfy the request.")

    def release_ip(self, subnet_id, address):
        subnet = self.res["subnet"].get(subnet_id)
        if subnet:
            subnet["_used"].discard(address)

    def delete_eni(self, eni):
        for entry in eni["PrivateIpAddresses"]:
            self.release_ip(eni["SubnetId"], entry["PrivateIpAddress"])
        self.remove("network-interface", eni["NetworkInterfaceId"])

    def eni_holding(self, subnet_id, address):
        for eni in self.res["network-interface"].values():
            if eni["SubnetId"] == subnet_id and any(
                    p["PrivateIpAddress"] == address for p in eni["PrivateIpAddresses"]):
                return eni
        return None


def public_ip():
    """A public IPv4 from 198.18.0.0/15 (benchmarking space; nothing real is ever reached)."""
    with _rng_lock:
        return f"198.{_rng.randint(18, 19)}.{_rng.randint(0, 255)}.{_rng.randint(1, 254)}"


def _instance_eni(eni):
    """The instance's embedded view of an ENI (InstanceNetworkInterface shape)."""
    attach = eni.get("Attachment", {})
    out = {
        "Attachment": {k: attach[k] for k in ("AttachTime", "AttachmentId", "DeleteOnTermination",
                                              "DeviceIndex", "Status") if k in attach},
        "Description": eni.get("Description", ""), "Groups": eni["Groups"],
        "MacAddress": eni["MacAddress"], "NetworkInterfaceId": eni["NetworkInterfaceId"],
        "OwnerId": eni["OwnerId"], "PrivateIpAddress": eni["PrivateIpAddress"],
        "PrivateIpAddresses": [{"Primary": p["Primary"], "PrivateIpAddress": p["PrivateIpAddress"],
                                **({"Association": p["Association"]} if "Association" in p
                                   else {})}
                               for p in eni["PrivateIpAddresses"]],
        "SourceDestCheck": eni["SourceDestCheck"], "Status": eni["Status"],
        "SubnetId": eni["SubnetId"], "VpcId": eni["VpcId"], "InterfaceType": "interface",
    }
    if "Association" in eni:
        out["Association"] = eni["Association"]
    return out
