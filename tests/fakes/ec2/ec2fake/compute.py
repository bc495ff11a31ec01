"""Instances (RunInstances with ClientToken idempotency, lifecycle), volumes, images, regions."""
import hashlib

from . import filters
from .common import action, describe, paginate, tag_specs
from .eni import attach_eni, create_eni
from .errors import Ec2Error, invalid_value, not_found
from .network import default_subnet
from .security import find_group, find_key
from .state import OWNER_ID, new_id

_RUN_TAGGABLE = {"instance", "volume", "network-interface", "spot-instances-request",
                 "elastic-gpu"}

REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1",
           "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "ap-south-1",
           "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1",
           "ap-southeast-2", "sa-east-1"]

# (name, owner id, owner alias, architecture, creation date) of the images every region has.
SEED_IMAGES = [
    ("al2023-ami-2023.3.20240108.0-kernel-6.1-x86_64", "111122223333", "amazon", "x86_64",
     "2024-01-08T21:12:10.000Z"),
    ("al2023-ami-2023.4.20240319.1-kernel-6.1-x86_64", "111122223333", "amazon", "x86_64",
     "2024-03-19T22:40:01.000Z"),
    ("al2023-ami-2023.4.20240319.1-kernel-6.1-arm64", "111122223333", "amazon", "arm64",
     "2024-03-19T22:41:30.000Z"),
    ("amzn2-ami-hvm-2.0.20240109.0-x86_64-gp2", "111122223333", "amazon", "x86_64",
     "2024-01-09T18:20:00.000Z"),
    ("debian-12-amd64-20240102-1614", "444455556666", None, "x86_64", "2024-01-02T16:20:00.000Z"),
    ("debian-12-amd64-20240211-1654", "444455556666", None, "x86_64", "2024-02-11T17:00:00.000Z"),
]


def image_id(region, name):
    """Deterministic per region and name, so tests can predict the seeded AMI ids."""
    return "ami-" + hashlib.sha256(f"{region}/{name}".encode()).hexdigest()[:17]


def add_image(rs, name, owner_id=OWNER_ID, alias=None, arch="x86_64",
              created="2024-01-01T00:00:00.000Z", ident=None, tags=None):
    image = {"ImageId": ident or image_id(rs.name, name), "Name": name, "OwnerId": owner_id,
             "Architecture": arch, "CreationDate": created, "State": "available",
             "ImageType": "machine", "Public": alias is not None, "RootDeviceName": "/dev/xvda",
             "RootDeviceType": "ebs", "VirtualizationType": "hvm", "Hypervisor": "xen",
             "EnaSupport": True, "ImageLocation": f"{alias or owner_id}/{name}",
             "Description": name, "BlockDeviceMappings": [], "ProductCodes": []}
    if alias:
        image["ImageOwnerAlias"] = alias
    return rs.add("image", image, tags)


def seed_images(rs):
    for name, owner, alias, arch, created in SEED_IMAGES:
        add_image(rs, name, owner, alias, arch, created)


def launch(rs, subnet, group_ids, image, *, reservation_id, tags, instance_type="t3.micro",
           key_name=None, public=None, private_ip=None, token="", index=0, volume_size=8,
           state="pending", metadata=None):
    """One instance with its primary ENI and root volume, the way RunInstances creates them."""
    tags = tags or {}
    inst_id = new_id("i-")
    eni = create_eni(rs, subnet, group_ids, tags.get("network-interface"), private_ip)
    attach_eni(eni, inst_id, 0)
    vol_id = new_id("vol-")
    now = eni["Attachment"]["AttachTime"]
    rs.add("volume", {
        "VolumeId": vol_id, "Size": volume_size, "VolumeType": "gp3", "State": "in-use",
        "AvailabilityZone": subnet["AvailabilityZone"], "CreateTime": now, "Encrypted": False,
        "Iops": 3000, "SnapshotId": "", "MultiAttachEnabled": False,
        "Attachments": [{"AttachTime": now, "Device": "/dev/xvda", "InstanceId": inst_id,
                         "State": "attached", "VolumeId": vol_id, "DeleteOnTermination": True}],
    }, tags.get("volume"))
    inst = rs.add("instance", {
        "InstanceId": inst_id, "ImageId": image["ImageId"], "InstanceType": instance_type,
        "LaunchTime": now, "AmiLaunchIndex": index, "PrivateDnsName": eni["PrivateDnsName"],
        "PublicDnsName": "", "StateTransitionReason": "", "SubnetId": subnet["SubnetId"],
        "VpcId": subnet["VpcId"], "Architecture": image["Architecture"], "ClientToken": token,
        "EbsOptimized": False, "EnaSupport": True, "Hypervisor": "xen",
        "RootDeviceName": "/dev/xvda", "RootDeviceType": "ebs", "VirtualizationType": "hvm",
        "Monitoring": {"State": "disabled"}, "ProductCodes": [],
        "Placement": {"AvailabilityZone": subnet["AvailabilityZone"], "GroupName": "",
                      "Tenancy": "default"},
        "_reservation": reservation_id, "_eni_ids": [eni["NetworkInterfaceId"]],
        "_volume_ids": [vol_id],
        "_wants_public": subnet["MapPublicIpOnLaunch"] if public is None else public,
    }, tags.get("instance"))
    if key_name:
        inst["KeyName"] = key_name
    if metadata:
        inst["MetadataOptions"] = {
            "State": "applied", "HttpTokens": metadata.get("HttpTokens", "optional"),
            "HttpPutResponseHopLimit": metadata.get("HttpPutResponseHopLimit", 1),
            "HttpEndpoint": metadata.get("HttpEndpoint", "enabled")}
    settle = {"pending": "running", "stopping": "stopped", "shutting-down": "terminated"}
    rs.set_instance_state(inst, "pending" if state == "running" else state, settle.get(state))
    if state == "running":
        rs.set_instance_state(inst, "running")
    return inst


def _reservation(rs, reservation_id, views=None):
    if views is None:
        views = [rs.view("instance", i) for i in rs.res["instance"].values()
                 if i["_reservation"] == reservation_id]
    return {"ReservationId": reservation_id, "OwnerId": OWNER_ID, "Groups": [],
            "Instances": views}


@action("RunInstances")
def _run_instances(ctx, rs, p):
    token = p.get("ClientToken")
    fingerprint = ctx.model.fingerprint(p)
    if token and token in rs.client_tokens:
        if rs.client_tokens[token][0] != fingerprint:
            raise Ec2Error("IdempotentParameterMismatch", "Arguments on this idempotent request "
                           "are inconsistent with arguments used in previous request(s).")
        return _reservation(rs, rs.client_tokens[token][1])
    low, high = p["MinCount"], p["MaxCount"]
    if low < 1 or high < low:
        raise invalid_value("Value for parameter MinCount/MaxCount is invalid: need "
                            "1 <= MinCount <= MaxCount")
    if not p.get("ImageId"):
        raise Ec2Error("MissingParameter", "The request must contain the parameter ImageId")
    image = rs.get("image", p["ImageId"])
    tags = tag_specs(rs, p, _RUN_TAGGABLE)
    nic = next((n for n in p.get("NetworkInterfaces") or [] if n.get("DeviceIndex", 0) == 0), {})
    if nic and (p.get("SubnetId") or p.get("SecurityGroupIds")):
        raise Ec2Error("InvalidParameterCombination", "Network interfaces and an instance-level "
                       "subnet ID or security groups may not be specified on the same request")
    subnet_id = p.get("SubnetId") or nic.get("SubnetId")
    subnet = rs.get("subnet", subnet_id) if subnet_id else default_subnet(rs)
    group_ids = list(p.get("SecurityGroupIds") or nic.get("Groups") or [])
    group_ids += [_group_in_vpc(rs, name, subnet["VpcId"]) for name in p.get("SecurityGroups", [])]
    if not group_ids:
        group_ids = [_group_in_vpc(rs, "default", subnet["VpcId"])]
    for group_id in group_ids:
        find_group(rs, group_id)
    if p.get("KeyName"):
        find_key(rs, p["KeyName"])
    private_ip = p.get("PrivateIpAddress") or nic.get("PrivateIpAddress")
    if private_ip and high > 1:
        raise Ec2Error("InvalidParameterCombination", "Cannot specify a private IP address when "
                                                      "launching more than one instance")
    size = next((m["Ebs"].get("VolumeSize", 8) for m in p.get("BlockDeviceMappings", [])
                 if m.get("Ebs")), 8)
    reservation_id = new_id("r-")
    for index in range(high):
        launch(rs, subnet, group_ids, image, reservation_id=reservation_id, tags=tags,
               instance_type=p.get("InstanceType", "m1.small"), key_name=p.get("KeyName"),
               public=nic.get("AssociatePublicIpAddress"), private_ip=private_ip,
               token=token or "", index=index, volume_size=size,
               metadata=p.get("MetadataOptions"))
    if token:
        rs.client_tokens[token] = (fingerprint, reservation_id)
    return _reservation(rs, reservation_id)


def _group_in_vpc(rs, name, vpc_id):
    for group in rs.res["security-group"].values():
        if group["VpcId"] == vpc_id and group["GroupName"] == name:
            return group["GroupId"]
    raise not_found("security-group", name)


@action("DescribeInstances")
def _describe_instances(ctx, rs, p):
    views = describe(ctx, rs, "instance", p, "InstanceIds")
    page, token = paginate(ctx, views, p)
    grouped = {}
    for view in page:
        grouped.setdefault(view["_reservation"], []).append(view)
    return {"Reservations": [_reservation(rs, rid, v) for rid, v in grouped.items()],
            "NextToken": token}


def _change(rs, p, allowed, target, settle, out_member):
    instances = [rs.get("instance", i) for i in dict.fromkeys(p["InstanceIds"])]
    for inst in instances:
        if inst["State"]["Name"] not in allowed and inst["State"]["Name"] not in (target, settle):
            raise Ec2Error("IncorrectInstanceState", f"This instance '{inst['InstanceId']}' is "
                           f"not in a state from which it can be changed to {settle}.")
    changes = []
    for inst in instances:
        before = dict(inst["State"])
        if before["Name"] in allowed:
            rs.set_instance_state(inst, target, settle)
        changes.append({"InstanceId": inst["InstanceId"], "PreviousState": before,
                        "CurrentState": dict(inst["State"])})
    return {out_member: changes}


@action("StopInstances")
def _stop(ctx, rs, p):
    return _change(rs, p, ("pending", "running"), "stopping", "stopped", "StoppingInstances")


@action("StartInstances")
def _start(ctx, rs, p):
    return _change(rs, p, ("stopped",), "pending", "running", "StartingInstances")


@action("TerminateInstances")
def _terminate(ctx, rs, p):
    """Idempotent: terminating a terminated (still visible) instance reports it again."""
    return _change(rs, p, ("pending", "running", "stopping", "stopped"), "shutting-down",
                   "terminated", "TerminatingInstances")


@action("RebootInstances")
def _reboot(ctx, rs, p):
    for instance_id in p["InstanceIds"]:
        rs.get("instance", instance_id)
    return {}


@action("DescribeInstanceStatus")
def _instance_status(ctx, rs, p):
    every = p.get("IncludeAllInstances", False)
    views = describe(ctx, rs, "instance", p, "InstanceIds",
                     lambda i: every or i["State"]["Name"] == "running")
    page, token = paginate(ctx, views, p)
    return {"NextToken": token, "InstanceStatuses": [
        {"AvailabilityZone": v["Placement"]["AvailabilityZone"], "InstanceId": v["InstanceId"],
         "InstanceState": v["State"], "InstanceStatus": {"Status": "ok"},
         "SystemStatus": {"Status": "ok"}} for v in page]}


@action("DescribeVolumes")
def _describe_volumes(ctx, rs, p):
    page, token = paginate(ctx, describe(ctx, rs, "volume", p, "VolumeIds"), p)
    return {"Volumes": page, "NextToken": token}


@action("DeleteVolume")
def _delete_volume(ctx, rs, p):
    volume = rs.get("volume", p["VolumeId"])
    if volume["Attachments"]:
        raise Ec2Error("VolumeInUse", f"Volume {volume['VolumeId']} is currently attached to "
                                      f"{volume['Attachments'][0]['InstanceId']}")
    rs.remove("volume", volume["VolumeId"])
    return {}


@action("DescribeImages")
def _describe_images(ctx, rs, p):
    owners = p.get("Owners") or []

    def owned(image):
        return not owners or any(o in (image["OwnerId"], image.get("ImageOwnerAlias"))
                                 or (o == "self" and image["OwnerId"] == OWNER_ID)
                                 for o in owners)
    return {"Images": describe(ctx, rs, "image", p, "ImageIds", owned)}


@action("DescribeRegions")
def _describe_regions(ctx, rs, p):
    names = p.get("RegionNames") or []
    for name in names:
        if name not in REGIONS:
            raise invalid_value(f"Invalid region: {name}")
    filters.check_names("region", p.get("Filters"))
    views = [{"RegionName": r, "Endpoint": f"ec2.{r}.amazonaws.com",
              "OptInStatus": "opt-in-not-required"} for r in REGIONS if not names or r in names]
    return {"Regions": [v for v in views if filters.matches("region", v, p.get("Filters"))]}


@action("DescribeAvailabilityZones")
def _describe_zones(ctx, rs, p):
    filters.check_names("zone", p.get("Filters"))
    views = [{"ZoneName": rs.name + s, "ZoneId": f"{rs.name}-az{i}", "State": "available",
              "RegionName": rs.name, "ZoneType": "availability-zone", "Messages": [],
              "OptInStatus": "opt-in-not-required", "GroupName": rs.name,
              "NetworkBorderGroup": rs.name} for i, s in enumerate("abc", 1)]
    names = p.get("ZoneNames") or []
    return {"AvailabilityZones": [v for v in views if (not names or v["ZoneName"] in names)
                                  and filters.matches("zone", v, p.get("Filters"))]}
