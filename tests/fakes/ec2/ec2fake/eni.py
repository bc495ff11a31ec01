"""Network interfaces: secondary private IPs (with AllowReassignment), SourceDestCheck."""
import ipaddress
import time

from .common import action, describe, paginate, tag_specs
from .errors import Ec2Error, invalid_value
from .state import OWNER_ID, new_id

# Per-ENI IPv4 address limit (EC2's figure depends on the instance type; this is a small one).
MAX_ADDRESSES = 10


def create_eni(rs, subnet, group_ids, tags=None, private_ip=None, description=""):
    groups = [rs.get("security-group", g) for g in group_ids]
    for group in groups:
        if group["VpcId"] != subnet["VpcId"]:
            raise invalid_value(f"Security group {group['GroupId']} and subnet "
                                f"{subnet['SubnetId']} belong to different networks.")
    address = rs.allocate_ip(subnet, private_ip)
    eni_id = new_id("eni-")
    return rs.add("network-interface", {
        "NetworkInterfaceId": eni_id, "SubnetId": subnet["SubnetId"], "VpcId": subnet["VpcId"],
        "AvailabilityZone": subnet["AvailabilityZone"], "Description": description,
        "Groups": [{"GroupId": g["GroupId"], "GroupName": g["GroupName"]} for g in groups],
        "InterfaceType": "interface", "MacAddress": _mac(eni_id), "OwnerId": OWNER_ID,
        "PrivateIpAddress": address, "PrivateDnsName": _dns(rs, address),
        "PrivateIpAddresses": [{"Primary": True, "PrivateIpAddress": address,
                                "PrivateDnsName": _dns(rs, address)}],
        "RequesterManaged": False, "SourceDestCheck": True, "Status": "available",
        "Ipv6Addresses": [],
    }, tags)


def attach_eni(eni, instance_id, device_index=0):
    eni["Attachment"] = {"AttachTime": time.time(), "AttachmentId": new_id("eni-attach-"),
                         "DeleteOnTermination": device_index == 0, "DeviceIndex": device_index,
                         "NetworkCardIndex": 0, "InstanceId": instance_id,
                         "InstanceOwnerId": OWNER_ID, "Status": "attached"}
    eni["Status"] = "in-use"


def _mac(eni_id):
    digits = eni_id[-10:]
    return "02:" + ":".join(digits[i:i + 2] for i in range(0, 10, 2))


def _dns(rs, address):
    return f"ip-{address.replace('.', '-')}.{rs.name}.compute.internal"


@action("CreateNetworkInterface")
def _create_eni(ctx, rs, p):
    subnet = rs.get("subnet", p["SubnetId"])
    tags = tag_specs(rs, p, {"network-interface"}).get("network-interface")
    groups = p.get("Groups") or [next(g["GroupId"] for g in rs.res["security-group"].values()
                                      if g["VpcId"] == subnet["VpcId"]
                                      and g["GroupName"] == "default")]
    eni = create_eni(rs, subnet, groups, tags, p.get("PrivateIpAddress"),
                     p.get("Description", ""))
    return {"NetworkInterface": rs.view("network-interface", eni)}


@action("DeleteNetworkInterface")
def _delete_eni(ctx, rs, p):
    eni = rs.get("network-interface", p["NetworkInterfaceId"])
    if eni.get("Attachment"):
        raise Ec2Error("InvalidNetworkInterface.InUse", f"Interface: "
                       f"[{eni['NetworkInterfaceId']}] in use.")
    rs.delete_eni(eni)
    return {}


@action("DescribeNetworkInterfaces")
def _describe_enis(ctx, rs, p):
    views = describe(ctx, rs, "network-interface", p, "NetworkInterfaceIds")
    page, token = paginate(ctx, views, p)
    return {"NetworkInterfaces": page, "NextToken": token}


@action("AssignPrivateIpAddresses")
def _assign(ctx, rs, p):
    """Explicit addresses must lie in the ENI's subnet; an address held by another ENI moves only
    with AllowReassignment=true (never a primary address), else InvalidParameterValue."""
    eni = rs.get("network-interface", p["NetworkInterfaceId"])
    wanted = list(dict.fromkeys(p.get("PrivateIpAddresses") or []))
    count = p.get("SecondaryPrivateIpAddressCount")
    if not wanted and not count:
        raise Ec2Error("MissingParameter", "The request must contain the parameter "
                                           "privateIpAddress or secondaryPrivateIpAddressCount")
    if wanted and count:
        raise Ec2Error("InvalidParameterCombination", "You may specify privateIpAddress or "
                                                      "secondaryPrivateIpAddressCount, not both")
    subnet = rs.get("subnet", eni["SubnetId"])
    own = {e["PrivateIpAddress"] for e in eni["PrivateIpAddresses"]}
    net = ipaddress.ip_network(subnet["CidrBlock"])
    moves = []
    for address in wanted:
        try:
            inside = ipaddress.ip_address(address) in net
        except ValueError:
            raise invalid_value(f"Invalid value '{address}' for privateIpAddress") from None
        if not inside:
            raise invalid_value(f"Address {address} does not fall within the subnet's address "
                                f"range")
        if address in own:
            continue
        holder = rs.eni_holding(subnet["SubnetId"], address)
        if holder is not None:
            primary = holder["PrivateIpAddress"] == address
            if primary or not p.get("AllowReassignment"):
                raise invalid_value(f"Address {address} is in use." + (
                    " A primary private IP address cannot be reassigned." if primary else ""))
        moves.append((address, holder))
    fresh = [a for a, _ in moves]
    if len(eni["PrivateIpAddresses"]) + len(fresh) + (count or 0) > MAX_ADDRESSES:
        raise Ec2Error("PrivateIpAddressLimitExceeded", f"Number of private addresses will exceed "
                       f"limit for the instance type ({MAX_ADDRESSES}).")
    for address, holder in moves:
        if holder is None:
            rs.allocate_ip(subnet, address)
        else:
            holder["PrivateIpAddresses"] = [e for e in holder["PrivateIpAddresses"]
                                            if e["PrivateIpAddress"] != address]
    fresh += [rs.allocate_ip(subnet) for _ in range(count or 0)]
    for address in fresh:
        eni["PrivateIpAddresses"].append({"Primary": False, "PrivateIpAddress": address,
                                          "PrivateDnsName": _dns(rs, address)})
    return {"NetworkInterfaceId": eni["NetworkInterfaceId"],
            "AssignedPrivateIpAddresses": [{"PrivateIpAddress": a} for a in fresh]}


@action("UnassignPrivateIpAddresses")
def _unassign(ctx, rs, p):
    eni = rs.get("network-interface", p["NetworkInterfaceId"])
    wanted = p.get("PrivateIpAddresses") or []
    if not wanted:
        raise Ec2Error("MissingParameter", "The request must contain the parameter "
                                           "privateIpAddress")
    secondary = {e["PrivateIpAddress"] for e in eni["PrivateIpAddresses"] if not e["Primary"]}
    for address in wanted:
        if address == eni["PrivateIpAddress"]:
            raise invalid_value(f"The primary private IP address {address} cannot be unassigned.")
        if address not in secondary:
            raise invalid_value(f"Some of the specified addresses are not assigned to interface "
                                f"{eni['NetworkInterfaceId']}")
    eni["PrivateIpAddresses"] = [e for e in eni["PrivateIpAddresses"]
                                 if e["PrivateIpAddress"] not in wanted]
    for address in wanted:
        rs.release_ip(eni["SubnetId"], address)
    return {}


@action("ModifyNetworkInterfaceAttribute")
def _modify_eni(ctx, rs, p):
    eni = rs.get("network-interface", p["NetworkInterfaceId"])
    given = [k for k in ("SourceDestCheck", "Description", "Groups", "Attachment") if k in p]
    if len(given) != 1:
        raise Ec2Error("InvalidParameterCombination", "Exactly one attribute must be specified.")
    if "SourceDestCheck" in p:
        if "Value" not in p["SourceDestCheck"]:
            raise Ec2Error("MissingParameter", "The request must contain the parameter "
                                               "SourceDestCheck.Value")
        eni["SourceDestCheck"] = p["SourceDestCheck"]["Value"]
    elif "Description" in p:
        eni["Description"] = p["Description"].get("Value", "")
    elif "Groups" in p:
        groups = [rs.get("security-group", g) for g in p["Groups"]]
        eni["Groups"] = [{"GroupId": g["GroupId"], "GroupName": g["GroupName"]} for g in groups]
    elif eni.get("Attachment") and "DeleteOnTermination" in p["Attachment"]:
        eni["Attachment"]["DeleteOnTermination"] = p["Attachment"]["DeleteOnTermination"]
    return {}


@action("DescribeNetworkInterfaceAttribute")
def _describe_eni_attr(ctx, rs, p):
    eni = rs.get("network-interface", p["NetworkInterfaceId"])
    out = {"NetworkInterfaceId": eni["NetworkInterfaceId"]}
    attribute = p.get("Attribute")
    if attribute == "sourceDestCheck":
        out["SourceDestCheck"] = {"Value": eni["SourceDestCheck"]}
    elif attribute == "description":
        out["Description"] = {"Value": eni.get("Description", "")}
    elif attribute == "groupSet":
        out["Groups"] = eni["Groups"]
    elif attribute == "attachment" and eni.get("Attachment"):
        out["Attachment"] = eni["Attachment"]
    elif attribute is None:
        raise Ec2Error("MissingParameter", "The request must contain the parameter Attribute")
    return out
