"""EC2 Describe* filters: Filter.N.Name / Filter.N.Value.M over a resource's rendered view.

Values of one filter are ORed, filters are ANDed, '*' and '?' are wildcards ('\\' escapes), as
EC2 documents. An unknown filter name is rejected like EC2 does (InvalidParameterValue).
"""
import functools
import re

from .errors import invalid_value


@functools.lru_cache(maxsize=4096)
def _pattern(value):
    out, i = [], 0
    while i < len(value):
        char = value[i]
        if char == "\\" and i + 1 < len(value):
            out.append(re.escape(value[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
        i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _dig(view, path):
    """Values at a dotted member path; lists fan out (e.g. 'Attachments.VpcId')."""
    current = [view]
    for part in path.split("."):
        nxt = []
        for item in current:
            if isinstance(item, dict) and item.get(part) is not None:
                value = item[part]
                nxt.extend(value if isinstance(value, list) else [value])
        current = nxt
    return [_text(v) for v in current]


# Filter name -> dotted member path in the resource's view, per resource kind.
_FIELDS = {
    "instance": {
        "instance-id": "InstanceId", "instance-state-name": "State.Name",
        "instance-state-code": "State.Code", "vpc-id": "VpcId", "subnet-id": "SubnetId",
        "key-name": "KeyName", "image-id": "ImageId", "instance-type": "InstanceType",
        "private-ip-address": "PrivateIpAddress", "ip-address": "PublicIpAddress",
        "client-token": "ClientToken", "reservation-id": "_reservation",
        "availability-zone": "Placement.AvailabilityZone", "source-dest-check": "SourceDestCheck",
        "instance.group-id": "SecurityGroups.GroupId", "group-id": "SecurityGroups.GroupId",
        "instance.group-name": "SecurityGroups.GroupName",
        "group-name": "SecurityGroups.GroupName",
        "network-interface.network-interface-id": "NetworkInterfaces.NetworkInterfaceId",
        "network-interface.addresses.private-ip-address":
            "NetworkInterfaces.PrivateIpAddresses.PrivateIpAddress",
        "network-interface.subnet-id": "NetworkInterfaces.SubnetId",
        "network-interface.vpc-id": "NetworkInterfaces.VpcId",
        "network-interface.source-dest-check": "NetworkInterfaces.SourceDestCheck",
        "block-device-mapping.volume-id": "BlockDeviceMappings.Ebs.VolumeId",
    },
    "security-group": {"group-id": "GroupId", "group-name": "GroupName", "vpc-id": "VpcId",
                       "description": "Description", "owner-id": "OwnerId"},
    "key-pair": {"key-name": "KeyName", "key-pair-id": "KeyPairId",
                 "fingerprint": "KeyFingerprint", "key-type": "KeyType"},
    "vpc": {"vpc-id": "VpcId", "cidr": "CidrBlock", "cidr-block": "CidrBlock", "state": "State",
            "is-default": "IsDefault", "owner-id": "OwnerId"},
    "subnet": {"subnet-id": "SubnetId", "vpc-id": "VpcId", "cidr-block": "CidrBlock",
               "cidr": "CidrBlock", "availability-zone": "AvailabilityZone", "state": "State",
               "default-for-az": "DefaultForAz", "owner-id": "OwnerId"},
    "internet-gateway": {"internet-gateway-id": "InternetGatewayId",
                         "attachment.vpc-id": "Attachments.VpcId",
                         "attachment.state": "Attachments.State", "owner-id": "OwnerId"},
    "route-table": {"route-table-id": "RouteTableId", "vpc-id": "VpcId",
                    "association.subnet-id": "Associations.SubnetId",
                    "association.route-table-association-id":
                        "Associations.RouteTableAssociationId",
                    "association.main": "Associations.Main",
                    "route.gateway-id": "Routes.GatewayId",
                    "route.destination-cidr-block": "Routes.DestinationCidrBlock",
                    "owner-id": "OwnerId"},
    "network-interface": {
        "network-interface-id": "NetworkInterfaceId", "subnet-id": "SubnetId", "vpc-id": "VpcId",
        "attachment.instance-id": "Attachment.InstanceId",
        "attachment.attachment-id": "Attachment.AttachmentId",
        "attachment.device-index": "Attachment.DeviceIndex",
        "attachment.status": "Attachment.Status",
        "private-ip-address": "PrivateIpAddress",
        "addresses.private-ip-address": "PrivateIpAddresses.PrivateIpAddress",
        "addresses.primary": "PrivateIpAddresses.Primary",
        "association.public-ip": "Association.PublicIp", "status": "Status",
        "group-id": "Groups.GroupId", "group-name": "Groups.GroupName",
        "source-dest-check": "SourceDestCheck", "source-desk-check": "SourceDestCheck",
        "description": "Description", "availability-zone": "AvailabilityZone",
        "owner-id": "OwnerId"},
    "volume": {"volume-id": "VolumeId", "status": "State", "size": "Size",
               "volume-type": "VolumeType", "availability-zone": "AvailabilityZone",
               "attachment.instance-id": "Attachments.InstanceId",
               "attachment.status": "Attachments.State",
               "attachment.device": "Attachments.Device",
               "attachment.delete-on-termination": "Attachments.DeleteOnTermination"},
    "image": {"image-id": "ImageId", "name": "Name", "owner-alias": "ImageOwnerAlias",
              "owner-id": "OwnerId", "state": "State", "architecture": "Architecture",
              "is-public": "Public", "root-device-type": "RootDeviceType",
              "virtualization-type": "VirtualizationType", "image-type": "ImageType",
              "description": "Description"},
    "region": {"region-name": "RegionName", "endpoint": "Endpoint",
               "opt-in-status": "OptInStatus"},
    "zone": {"zone-name": "ZoneName", "zone-id": "ZoneId", "state": "State",
             "region-name": "RegionName"},
    "tag": {"key": "Key", "value": "Value", "resource-id": "ResourceId",
            "resource-type": "ResourceType"},
}


def _values(kind, view, name, tag_member):
    if name.startswith("tag:"):
        key = name[4:]
        return [t["Value"] for t in view.get(tag_member) or [] if t["Key"] == key]
    if name == "tag-key" and kind != "tag":
        return [t["Key"] for t in view.get(tag_member) or []]
    if name == "tag-value" and kind != "tag":
        return [t["Value"] for t in view.get(tag_member) or []]
    path = _FIELDS[kind].get(name)
    if path is None:
        raise invalid_value(f"The filter '{name}' is invalid")
    return _dig(view, path)


def check_names(kind, filters):
    """Rejects unknown filter names up front, even when there is nothing to filter."""
    for entry in filters or []:
        name = entry.get("Name", "")
        if not (name.startswith("tag:") or name in ("tag-key", "tag-value")
                or name in _FIELDS[kind]):
            raise invalid_value(f"The filter '{name}' is invalid")


@functools.lru_cache(maxsize=1024)
def _wanted(values):
    """A filter's values as (literal set, wildcard patterns): a 200-id instance-id filter is a
    set lookup per resource instead of 200 regular expressions."""
    literal = frozenset(v for v in values if not any(c in v for c in "*?\\"))
    return literal, tuple(_pattern(v) for v in values if v not in literal)


def matches(kind, view, filters, tag_member="Tags"):
    for entry in filters or []:
        literal, patterns = _wanted(tuple(entry.get("Values") or []))
        have = _values(kind, view, entry.get("Name", ""), tag_member)
        if not any(h in literal or any(p.match(h) for p in patterns) for h in have):
            return False
    return True
