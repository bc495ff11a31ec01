"""Security groups and key pairs."""
import base64
import hashlib
import ipaddress
import os
import shutil
import subprocess
import tempfile
import time

from .common import action, describe, paginate, tag_specs
from .errors import Ec2Error, dependency, invalid_value, not_found
from .network import default_vpc
from .state import OWNER_ID, new_id


# ---- security groups ---------------------------------------------------------------------------
def create_group(rs, name, description, vpc_id=None, tags=None):
    vpc = rs.get("vpc", vpc_id) if vpc_id else default_vpc(rs)
    if name.lower().startswith("sg-"):
        raise invalid_value("Group names may not be in the format sg-*.")
    for group in rs.res["security-group"].values():
        if group["VpcId"] == vpc["VpcId"] and group["GroupName"] == name:
            raise Ec2Error("InvalidGroup.Duplicate", f"The security group '{name}' already "
                                                     f"exists for VPC '{vpc['VpcId']}'")
    return rs.add("security-group", {
        "GroupId": new_id("sg-"), "GroupName": name, "Description": description,
        "OwnerId": OWNER_ID, "VpcId": vpc["VpcId"], "IpPermissions": [],
        "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                                 "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}],
        "_rules": {},
    }, tags)


def find_group(rs, group_id=None, group_name=None):
    if group_id:
        return rs.get("security-group", group_id)
    if group_name:
        for group in rs.res["security-group"].values():
            if group["GroupName"] == group_name and group["VpcId"] == default_vpc(rs)["VpcId"]:
                return group
        raise not_found("security-group", group_name)
    raise Ec2Error("MissingParameter", "The request must contain the parameter groupName or "
                                       "groupId")


@action("CreateSecurityGroup")
def _create_sg(ctx, rs, p):
    tags = tag_specs(rs, p, {"security-group"}).get("security-group")
    group = create_group(rs, p["GroupName"], p["Description"], p.get("VpcId"), tags)
    return {"GroupId": group["GroupId"], "Tags": rs.view("security-group", group)["Tags"]}


@action("DescribeSecurityGroups")
def _describe_sgs(ctx, rs, p):
    names = set(p.get("GroupNames") or [])
    views = describe(ctx, rs, "security-group", p, "GroupIds",
                     (lambda g: g["GroupName"] in names) if names else None)
    missing = names - {v["GroupName"] for v in views}
    if missing:
        raise not_found("security-group", sorted(missing)[0])
    page, token = paginate(ctx, views, p)
    return {"SecurityGroups": page, "NextToken": token}


@action("DeleteSecurityGroup")
def _delete_sg(ctx, rs, p):
    group = find_group(rs, p.get("GroupId"), p.get("GroupName"))
    if group["GroupName"] == "default":
        raise Ec2Error("CannotDelete", f'the specified group: "{group["GroupId"]}" name: '
                                       f'"default" cannot be deleted by a user')
    for eni in rs.res["network-interface"].values():
        if any(g["GroupId"] == group["GroupId"] for g in eni["Groups"]):
            raise dependency(f"resource {group['GroupId']} has a dependent object")
    for other in rs.res["security-group"].values():
        if other is not group and any(key[3] == group["GroupId"] for key in other["_rules"]):
            raise dependency(f"resource {group['GroupId']} has a dependent object")
    rs.remove("security-group", group["GroupId"])
    return {}


def _permissions(rs, p):
    """The request's rules as (protocol, from, to, peer, description) tuples; a peer is a CIDR
    or the id of a source security group (UserIdGroupPairs)."""
    perms = list(p.get("IpPermissions") or [])
    if p.get("IpProtocol") or p.get("CidrIp"):
        perms.append({"IpProtocol": p.get("IpProtocol", "-1"), "FromPort": p.get("FromPort"),
                      "ToPort": p.get("ToPort"), "IpRanges": [{"CidrIp": p.get("CidrIp")}]})
    rules = []
    for perm in perms:
        proto = str(perm.get("IpProtocol", "")).lower()
        if proto not in ("tcp", "udp", "icmp", "-1", "all") and not proto.isdigit():
            raise invalid_value(f"Invalid value '{proto}' for IP protocol. Unknown protocol.")
        proto = "-1" if proto == "all" else proto
        low, high = perm.get("FromPort"), perm.get("ToPort")
        if proto in ("tcp", "udp") and (low is None or high is None):
            raise Ec2Error("MissingParameter", "Missing source port range or destination port "
                                               "range for TCP/UDP rule")
        for ip_range in perm.get("IpRanges") or []:
            rules.append((proto, low, high, _cidr(ip_range.get("CidrIp")),
                          ip_range.get("Description")))
        for pair in perm.get("UserIdGroupPairs") or []:
            source = find_group(rs, pair.get("GroupId"), pair.get("GroupName"))
            rules.append((proto, low, high, source["GroupId"], pair.get("Description")))
    if not rules:
        raise Ec2Error("MissingParameter", "The request must contain the parameter "
                                           "IpPermissions")
    return rules


def _cidr(text):
    if not text:
        raise Ec2Error("MissingParameter", "The request must contain the parameter CidrIp")
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        raise invalid_value(f"CIDR block {text} is malformed") from None


def _rebuild(group):
    merged = {}
    for (proto, low, high, peer), (_, desc) in group["_rules"].items():
        perm = merged.setdefault((proto, low, high), {
            "IpProtocol": proto, "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": [],
            "UserIdGroupPairs": [], **({"FromPort": low, "ToPort": high}
                                       if low is not None else {})})
        described = {"Description": desc} if desc else {}
        if peer.startswith("sg-"):
            perm["UserIdGroupPairs"].append({"GroupId": peer, "UserId": OWNER_ID, **described})
        else:
            perm["IpRanges"].append({"CidrIp": peer, **described})
    group["IpPermissions"] = list(merged.values())


@action("AuthorizeSecurityGroupIngress")
def _authorize(ctx, rs, p):
    group = find_group(rs, p.get("GroupId"), p.get("GroupName"))
    out = []
    for proto, low, high, peer, desc in _permissions(rs, p):
        key = (proto, low, high, peer)
        if key in group["_rules"]:
            raise Ec2Error("InvalidPermission.Duplicate", f'the specified rule "peer: {peer}, '
                           f'{proto.upper()}, from port: {low}, to port: {high}, ALLOW" already '
                           f"exists")
        rule_id = new_id("sgr-")
        group["_rules"][key] = (rule_id, desc)
        source = ({"ReferencedGroupInfo": {"GroupId": peer, "UserId": OWNER_ID}}
                  if peer.startswith("sg-") else {"CidrIpv4": peer})
        out.append({"SecurityGroupRuleId": rule_id, "GroupId": group["GroupId"],
                    "GroupOwnerId": OWNER_ID, "IsEgress": False, "IpProtocol": proto,
                    "FromPort": low if low is not None else -1,
                    "ToPort": high if high is not None else -1, **source,
                    **({"Description": desc} if desc else {})})
    _rebuild(group)
    return {"Return": True, "SecurityGroupRules": out}


@action("RevokeSecurityGroupIngress")
def _revoke(ctx, rs, p):
    group = find_group(rs, p.get("GroupId"), p.get("GroupName"))
    keys = [rule[:4] for rule in _permissions(rs, p)]
    for key in keys:
        if key not in group["_rules"]:
            raise Ec2Error("InvalidPermission.NotFound", "The specified rule does not exist in "
                                                         "this security group.")
    for key in keys:
        del group["_rules"][key]
    _rebuild(group)
    return {"Return": True}


# ---- key pairs ---------------------------------------------------------------------------------
def _generate_key(key_type):
    """(private key text, public key line) from ssh-keygen; a labelled stand-in without it."""
    tool = shutil.which("ssh-keygen")
    if tool is None:
        body = base64.b64encode(os.urandom(96)).decode()
        return (f"-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n-----END OPENSSH PRIVATE KEY-----",
                f"ssh-{key_type} {body[:68]}")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "key")
        args = [tool, "-q", "-N", "", "-C", "", "-f", path, "-t", key_type]
        args += ["-m", "PEM", "-b", "2048"] if key_type == "rsa" else []
        subprocess.run(args, check=True, stdin=subprocess.DEVNULL)
        with open(path, encoding="ascii") as priv, open(path + ".pub", encoding="ascii") as pub:
            return priv.read().strip(), pub.read().strip()


def _fingerprint(public_line):
    try:
        blob = base64.b64decode(public_line.split()[1])
    except (IndexError, ValueError):
        blob = public_line.encode()
    return base64.b64encode(hashlib.sha256(blob).digest()).decode()


def add_key_pair(rs, name, key_type, public_line, tags=None):
    if any(k["KeyName"] == name for k in rs.res["key-pair"].values()):
        raise Ec2Error("InvalidKeyPair.Duplicate", f"The keypair '{name}' already exists.")
    return rs.add("key-pair", {
        "KeyPairId": new_id("key-"), "KeyName": name, "KeyType": key_type,
        "KeyFingerprint": _fingerprint(public_line), "PublicKey": public_line,
        "CreateTime": time.time()}, tags)


def find_key(rs, name):
    for key in rs.res["key-pair"].values():
        if key["KeyName"] == name:
            return key
    raise not_found("key-pair", name)


@action("CreateKeyPair")
def _create_key_pair(ctx, rs, p):
    key_type = p.get("KeyType", "rsa")
    if any(k["KeyName"] == p["KeyName"] for k in rs.res["key-pair"].values()):
        raise Ec2Error("InvalidKeyPair.Duplicate", f"The keypair '{p['KeyName']}' already exists.")
    private, public = _generate_key(key_type)
    tags = tag_specs(rs, p, {"key-pair"}).get("key-pair")
    key = add_key_pair(rs, p["KeyName"], key_type, public, tags)
    view = rs.view("key-pair", key)
    return {"KeyFingerprint": view["KeyFingerprint"], "KeyMaterial": private,
            "KeyName": view["KeyName"], "KeyPairId": view["KeyPairId"], "Tags": view["Tags"]}


@action("ImportKeyPair")
def _import_key_pair(ctx, rs, p):
    public = p["PublicKeyMaterial"].decode("utf-8", "replace").strip()
    if not public.startswith(("ssh-rsa ", "ssh-ed25519 ")):
        raise invalid_value("Value for parameter PublicKeyMaterial is invalid. Key is not in "
                            "valid OpenSSH public key format")
    key_type = "ed25519" if public.startswith("ssh-ed25519") else "rsa"
    tags = tag_specs(rs, p, {"key-pair"}).get("key-pair")
    view = rs.view("key-pair", add_key_pair(rs, p["KeyName"], key_type, public, tags))
    return {k: view[k] for k in ("KeyFingerprint", "KeyName", "KeyPairId", "Tags")}


@action("DescribeKeyPairs")
def _describe_key_pairs(ctx, rs, p):
    names = p.get("KeyNames") or []
    for name in names:
        find_key(rs, name)
    views = describe(ctx, rs, "key-pair", p, "KeyPairIds",
                     (lambda k: k["KeyName"] in names) if names else None)
    if not p.get("IncludePublicKey"):
        for view in views:
            view.pop("PublicKey", None)
    return {"KeyPairs": views}


@action("DeleteKeyPair")
def _delete_key_pair(ctx, rs, p):
    """Deleting an unknown key pair name succeeds, as in EC2; an unknown KeyPairId does not.

    With config.ignore_keypair_id the KeyPairId is ignored (as by an implementation that only
    knows KeyName): by id alone the call answers success and deletes nothing."""
    if p.get("KeyPairId") and not rs.config.ignore_keypair_id:
        rs.get("key-pair", p["KeyPairId"])
        rs.remove("key-pair", p["KeyPairId"])
        return {}
    if not p.get("KeyName"):
        if p.get("KeyPairId"):
            return {}
        raise Ec2Error("MissingParameter", "The request must contain the parameter KeyName or "
                                           "KeyPairId")
    for key_id in [k for k, v in rs.res["key-pair"].items() if v["KeyName"] == p["KeyName"]]:
        rs.remove("key-pair", key_id)
    return {}
