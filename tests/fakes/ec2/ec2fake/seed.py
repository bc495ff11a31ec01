"""POST /_fake/seed: resources inserted directly (janitor tests, benchmarks), and state dumps.

A batch is {"region": R, "vpcs": [...], "subnets": [...], "internet_gateways": [...],
"route_tables": [...], "security_groups": [...], "key_pairs": [...], "images": [...],
"network_interfaces": [...], "instances": [...], "volumes": [...]}; the body is one batch, a
list of batches, or {"regions": [batches]}. Categories are applied in that order, so an item may
name ids created earlier in the same batch only through the returned ids of an earlier call.
"""
import time

from .compute import add_image, launch
from .eni import attach_eni, create_eni
from .network import create_subnet, create_vpc, default_subnet
from .security import add_key_pair, create_group
from .state import KINDS, OWNER_ID, new_id

_CATEGORY = {"instance": "instances", "volume": "volumes", "network-interface":
             "network_interfaces", "security-group": "security_groups", "key-pair": "key_pairs",
             "vpc": "vpcs", "subnet": "subnets", "internet-gateway": "internet_gateways",
             "route-table": "route_tables", "image": "images"}


def _vpc(rs, item):
    return create_vpc(rs, item.get("cidr", "10.0.0.0/16"), item.get("tags"))["VpcId"]


def _subnet(rs, item):
    vpc = rs.get("vpc", item["vpc_id"])
    subnet = create_subnet(rs, vpc, item["cidr"], item.get("availability_zone"), item.get("tags"))
    subnet["MapPublicIpOnLaunch"] = bool(item.get("map_public_ip", False))
    return subnet["SubnetId"]


def _igw(rs, item):
    attachments = [{"State": "available", "VpcId": rs.get("vpc", item["vpc_id"])["VpcId"]}] \
        if item.get("vpc_id") else []
    return rs.add("internet-gateway", {"InternetGatewayId": new_id("igw-"), "OwnerId": OWNER_ID,
                                       "Attachments": attachments},
                  item.get("tags"))["InternetGatewayId"]


def _rtb(rs, item):
    vpc = rs.get("vpc", item["vpc_id"])
    return rs.add("route-table", {
        "RouteTableId": new_id("rtb-"), "VpcId": vpc["VpcId"], "OwnerId": OWNER_ID,
        "PropagatingVgws": [], "Associations": [],
        "Routes": [{"DestinationCidrBlock": vpc["CidrBlock"], "GatewayId": "local",
                    "Origin": "CreateRouteTable", "State": "active"}]},
        item.get("tags"))["RouteTableId"]


def _group(rs, item):
    name = item.get("name") or "seeded-" + new_id("")
    return create_group(rs, name, item.get("description", name), item.get("vpc_id"),
                        item.get("tags"))["GroupId"]


def _key_pair(rs, item):
    key_type = item.get("key_type", "ed25519")
    public = f"ssh-{key_type} AAAAseeded{new_id('')}"
    return add_key_pair(rs, item.get("name") or "seeded-" + new_id(""), key_type, public,
                        item.get("tags"))["KeyPairId"]


def _image(rs, item):
    return add_image(rs, item["name"], item.get("owner_id", OWNER_ID), item.get("owner_alias"),
                     item.get("architecture", "x86_64"),
                     item.get("creation_date", "2024-01-01T00:00:00.000Z"),
                     item.get("image_id"), item.get("tags"))["ImageId"]


def _subnet_of(rs, item):
    return rs.get("subnet", item["subnet_id"]) if item.get("subnet_id") else default_subnet(rs)


def _groups_of(rs, item, subnet):
    return item.get("security_group_ids") or [
        g["GroupId"] for g in rs.res["security-group"].values()
        if g["VpcId"] == subnet["VpcId"] and g["GroupName"] == "default"]


def _eni(rs, item):
    subnet = _subnet_of(rs, item)
    eni = create_eni(rs, subnet, _groups_of(rs, item, subnet), item.get("tags"),
                     item.get("private_ip"), item.get("description", ""))
    eni["SourceDestCheck"] = bool(item.get("source_dest_check", True))
    for address in item.get("secondary_ips", []):
        rs.allocate_ip(subnet, address)
        eni["PrivateIpAddresses"].append({"Primary": False, "PrivateIpAddress": address})
    if item.get("instance_id"):
        inst = rs.get("instance", item["instance_id"])
        attach_eni(eni, inst["InstanceId"], len(inst["_eni_ids"]))
        inst["_eni_ids"].append(eni["NetworkInterfaceId"])
    return eni["NetworkInterfaceId"]


def _instances(rs, item):
    subnet = _subnet_of(rs, item)
    image = rs.get("image", item["image_id"]) if item.get("image_id") else \
        next(iter(rs.res["image"].values()))
    tags = item.get("tags") or {}
    children = item.get("tag_children", True)
    spec = {"instance": tags, **({"volume": tags, "network-interface": tags} if children else {})}
    reservation = new_id("r-")
    made = []
    for index in range(int(item.get("count", 1))):
        inst = launch(rs, subnet, _groups_of(rs, item, subnet), image, reservation_id=reservation,
                      tags=spec, instance_type=item.get("instance_type", "t3.micro"),
                      key_name=item.get("key_name"), public=item.get("public"),
                      private_ip=item.get("private_ip"), index=index,
                      state=item.get("state", "running"))
        if "launch_time" in item:
            inst["LaunchTime"] = float(item["launch_time"])
        made.append(inst["InstanceId"])
    return made


def _volume(rs, item):
    vol_id = new_id("vol-")
    return rs.add("volume", {
        "VolumeId": vol_id, "Size": int(item.get("size", 8)), "VolumeType": "gp3",
        "State": "available", "AvailabilityZone": item.get("availability_zone", rs.name + "a"),
        "CreateTime": time.time(), "Encrypted": False, "Iops": 3000, "SnapshotId": "",
        "MultiAttachEnabled": False, "Attachments": []}, item.get("tags"))["VolumeId"]


_STEPS = [("vpcs", _vpc), ("subnets", _subnet), ("internet_gateways", _igw),
          ("route_tables", _rtb), ("security_groups", _group), ("key_pairs", _key_pair),
          ("images", _image), ("network_interfaces", _eni), ("instances", _instances),
          ("volumes", _volume)]


def seed(fake, body):
    """Applies the batches; returns {region: {category: [ids]}}."""
    if isinstance(body, dict) and "regions" in body:
        body = body["regions"]
    batches = body if isinstance(body, list) else [body]
    created = {}
    for batch in batches:
        unknown = set(batch) - {"region"} - {name for name, _ in _STEPS}
        if unknown:
            raise ValueError(f"unknown seed categories {sorted(unknown)}")
        rs = fake.region(batch.get("region", "us-east-1"))
        out = created.setdefault(rs.name, {})
        with rs.lock:
            for name, step in _STEPS:
                for item in batch.get(name, []):
                    made = step(rs, item)
                    out.setdefault(name, []).extend(made if isinstance(made, list) else [made])
    return created


def dump(fake, region=None, images=False):
    """Every resource per region as its describe view, plus a plain 'tags' dict."""
    with fake.lock:
        regions = dict(fake.regions)
    out = {}
    for name, rs in regions.items():
        if region and name != region:
            continue
        with rs.lock:
            rs.tick()
            entry = {}
            for kind, category in _CATEGORY.items():
                if kind == "image" and not images:
                    continue
                views = []
                for res in rs.res[kind].values():
                    view = rs.view(kind, res)
                    if kind == "instance":
                        view["ReservationId"] = view.pop("_reservation")
                    view["tags"] = dict(res["_tags"])
                    views.append(view)
                entry[category] = views
            out[name] = entry
    return {"regions": out}


assert set(_CATEGORY) == set(KINDS)
