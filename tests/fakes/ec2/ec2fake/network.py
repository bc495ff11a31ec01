"""VPC, subnet, internet gateway and route table actions, with EC2's dependency rules."""
import ipaddress

from .common import action, describe, paginate, tag_specs
from .errors import Ec2Error, dependency, invalid_value, not_found
from .state import OWNER_ID, new_id


def _cidr(text, what="CidrBlock"):
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError:
        raise invalid_value(f"Value ({text}) for parameter {what} is invalid. This is not a "
                            f"valid CIDR block.") from None


def create_vpc(rs, cidr, tags=None, is_default=False):
    """A VPC with its default security group and main route table, as EC2 creates them."""
    net = _cidr(cidr)
    if not 16 <= net.prefixlen <= 28:
        raise Ec2Error("InvalidVpc.Range", f"The CIDR '{cidr}' is invalid.")
    vpc_id = new_id("vpc-")
    vpc = rs.add("vpc", {
        "VpcId": vpc_id, "CidrBlock": str(net), "State": "available", "OwnerId": OWNER_ID,
        "DhcpOptionsId": "dopt-0fake", "InstanceTenancy": "default", "IsDefault": is_default,
        "CidrBlockAssociationSet": [{"AssociationId": new_id("vpc-cidr-assoc-"),
                                     "CidrBlock": str(net),
                                     "CidrBlockState": {"State": "associated"}}],
    }, tags)
    rs.add("security-group", {
        "GroupId": new_id("sg-"), "GroupName": "default", "OwnerId": OWNER_ID,
        "Description": "default VPC security group", "VpcId": vpc_id, "IpPermissions": [],
        "IpPermissionsEgress": [_allow_all_egress()], "_rules": {}})
    rtb_id = new_id("rtb-")
    rs.add("route-table", {
        "RouteTableId": rtb_id, "VpcId": vpc_id, "OwnerId": OWNER_ID, "PropagatingVgws": [],
        "Routes": [_local_route(vpc)],
        "Associations": [{"Main": True, "RouteTableAssociationId": new_id("rtbassoc-"),
                          "RouteTableId": rtb_id,
                          "AssociationState": {"State": "associated"}}]})
    return vpc


def _allow_all_egress():
    return {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [],
            "PrefixListIds": [], "UserIdGroupPairs": []}


def _local_route(vpc):
    return {"DestinationCidrBlock": vpc["CidrBlock"], "GatewayId": "local",
            "Origin": "CreateRouteTable", "State": "active"}


def create_subnet(rs, vpc, cidr, zone=None, tags=None, default_for_az=False):
    net = _cidr(cidr)
    if not net.subnet_of(ipaddress.ip_network(vpc["CidrBlock"])) or not 16 <= net.prefixlen <= 28:
        raise Ec2Error("InvalidSubnet.Range", f"The CIDR '{cidr}' is invalid.")
    for other in rs.res["subnet"].values():
        if other["VpcId"] == vpc["VpcId"] and net.overlaps(ipaddress.ip_network(other["CidrBlock"])):
            raise Ec2Error("InvalidSubnet.Conflict", f"The CIDR '{cidr}' conflicts with another "
                                                     f"subnet")
    subnet_id = new_id("subnet-")
    zone = zone or rs.name + "a"
    return rs.add("subnet", {
        "SubnetId": subnet_id, "VpcId": vpc["VpcId"], "CidrBlock": str(net), "State": "available",
        "AvailabilityZone": zone, "AvailabilityZoneId": zone.replace(rs.name, "use1-az"),
        "AvailableIpAddressCount": net.num_addresses - 5, "DefaultForAz": default_for_az,
        "MapPublicIpOnLaunch": default_for_az, "OwnerId": OWNER_ID,
        "AssignIpv6AddressOnCreation": False, "Ipv6CidrBlockAssociationSet": [],
        "SubnetArn": f"arn:aws:ec2:{rs.name}:{OWNER_ID}:subnet/{subnet_id}", "_used": set(),
    }, tags)


def default_vpc(rs):
    """The region's default VPC and default subnet, created on first need (untagged)."""
    if rs.default_vpc_id is None:
        vpc = create_vpc(rs, "172.31.0.0/16", is_default=True)
        create_subnet(rs, vpc, "172.31.0.0/20", default_for_az=True)
        igw = rs.add("internet-gateway", {"InternetGatewayId": new_id("igw-"), "OwnerId": OWNER_ID,
                                          "Attachments": [{"State": "available",
                                                           "VpcId": vpc["VpcId"]}]})
        main = next(r for r in rs.res["route-table"].values() if r["VpcId"] == vpc["VpcId"])
        main["Routes"].append({"DestinationCidrBlock": "0.0.0.0/0", "Origin": "CreateRoute",
                               "GatewayId": igw["InternetGatewayId"], "State": "active"})
        rs.default_vpc_id = vpc["VpcId"]
    return rs.get("vpc", rs.default_vpc_id)


def default_subnet(rs):
    vpc = default_vpc(rs)
    return next(s for s in rs.res["subnet"].values()
                if s["VpcId"] == vpc["VpcId"] and s["DefaultForAz"])


@action("CreateVpc")
def _create_vpc(ctx, rs, p):
    if "CidrBlock" not in p:
        raise Ec2Error("MissingParameter", "The request must contain the parameter CidrBlock")
    tags = tag_specs(rs, p, {"vpc"}).get("vpc")
    return {"Vpc": rs.view("vpc", create_vpc(rs, p["CidrBlock"], tags))}


@action("DescribeVpcs")
def _describe_vpcs(ctx, rs, p):
    page, token = paginate(ctx, describe(ctx, rs, "vpc", p, "VpcIds"), p)
    return {"Vpcs": page, "NextToken": token}


@action("DeleteVpc")
def _delete_vpc(ctx, rs, p):
    vpc = rs.get("vpc", p["VpcId"])
    vpc_id = vpc["VpcId"]
    blockers = (
        any(s["VpcId"] == vpc_id for s in rs.res["subnet"].values())
        or any(a["VpcId"] == vpc_id for g in rs.res["internet-gateway"].values()
               for a in g["Attachments"])
        or any(r["VpcId"] == vpc_id and not _is_main(r) for r in rs.res["route-table"].values())
        or any(g["VpcId"] == vpc_id and g["GroupName"] != "default"
               for g in rs.res["security-group"].values())
        or any(e["VpcId"] == vpc_id for e in rs.res["network-interface"].values()))
    if blockers:
        raise dependency(f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
    for kind in ("route-table", "security-group"):
        for rid in [k for k, r in rs.res[kind].items() if r["VpcId"] == vpc_id]:
            rs.remove(kind, rid)
    rs.remove("vpc", vpc_id)
    if rs.default_vpc_id == vpc_id:
        rs.default_vpc_id = None
    return {}


@action("CreateSubnet")
def _create_subnet(ctx, rs, p):
    vpc = rs.get("vpc", p["VpcId"])
    if "CidrBlock" not in p:
        raise Ec2Error("MissingParameter", "The request must contain the parameter CidrBlock")
    tags = tag_specs(rs, p, {"subnet"}).get("subnet")
    subnet = create_subnet(rs, vpc, p["CidrBlock"], p.get("AvailabilityZone"), tags)
    return {"Subnet": rs.view("subnet", subnet)}


@action("DescribeSubnets")
def _describe_subnets(ctx, rs, p):
    page, token = paginate(ctx, describe(ctx, rs, "subnet", p, "SubnetIds"), p)
    return {"Subnets": page, "NextToken": token}


@action("ModifySubnetAttribute")
def _modify_subnet(ctx, rs, p):
    subnet = rs.get("subnet", p["SubnetId"])
    if "MapPublicIpOnLaunch" in p:
        subnet["MapPublicIpOnLaunch"] = bool(p["MapPublicIpOnLaunch"].get("Value"))
    return {}


@action("DeleteSubnet")
def _delete_subnet(ctx, rs, p):
    subnet = rs.get("subnet", p["SubnetId"])
    if any(e["SubnetId"] == subnet["SubnetId"] for e in rs.res["network-interface"].values()):
        raise dependency(f"The subnet '{subnet['SubnetId']}' has dependencies and cannot be "
                         f"deleted.")
    for rtb in rs.res["route-table"].values():
        rtb["Associations"] = [a for a in rtb["Associations"]
                               if a.get("SubnetId") != subnet["SubnetId"]]
    rs.remove("subnet", subnet["SubnetId"])
    return {}


@action("CreateInternetGateway")
def _create_igw(ctx, rs, p):
    tags = tag_specs(rs, p, {"internet-gateway"}).get("internet-gateway")
    igw = rs.add("internet-gateway", {"InternetGatewayId": new_id("igw-"), "OwnerId": OWNER_ID,
                                      "Attachments": []}, tags)
    return {"InternetGateway": rs.view("internet-gateway", igw)}


@action("DescribeInternetGateways")
def _describe_igws(ctx, rs, p):
    views = describe(ctx, rs, "internet-gateway", p, "InternetGatewayIds")
    page, token = paginate(ctx, views, p)
    return {"InternetGateways": page, "NextToken": token}


@action("AttachInternetGateway")
def _attach_igw(ctx, rs, p):
    igw = rs.get("internet-gateway", p["InternetGatewayId"])
    vpc = rs.get("vpc", p["VpcId"])
    if igw["Attachments"]:
        raise Ec2Error("Resource.AlreadyAssociated", f"resource {igw['InternetGatewayId']} is "
                       f"already attached to network {igw['Attachments'][0]['VpcId']}")
    igw["Attachments"] = [{"State": "available", "VpcId": vpc["VpcId"]}]
    return {}


@action("DetachInternetGateway")
def _detach_igw(ctx, rs, p):
    igw = rs.get("internet-gateway", p["InternetGatewayId"])
    if not any(a["VpcId"] == p["VpcId"] for a in igw["Attachments"]):
        raise Ec2Error("Gateway.NotAttached", f"resource {igw['InternetGatewayId']} is not "
                       f"attached to network {p['VpcId']}")
    igw["Attachments"] = []
    return {}


@action("DeleteInternetGateway")
def _delete_igw(ctx, rs, p):
    igw = rs.get("internet-gateway", p["InternetGatewayId"])
    if igw["Attachments"]:
        raise dependency(f"The internetGateway '{igw['InternetGatewayId']}' has dependencies and "
                         f"cannot be deleted.")
    rs.remove("internet-gateway", igw["InternetGatewayId"])
    return {}


def _is_main(rtb):
    return any(a.get("Main") for a in rtb["Associations"])


@action("CreateRouteTable")
def _create_rtb(ctx, rs, p):
    vpc = rs.get("vpc", p["VpcId"])
    tags = tag_specs(rs, p, {"route-table"}).get("route-table")
    rtb = rs.add("route-table", {"RouteTableId": new_id("rtb-"), "VpcId": vpc["VpcId"],
                                 "OwnerId": OWNER_ID, "PropagatingVgws": [], "Associations": [],
                                 "Routes": [_local_route(vpc)]}, tags)
    return {"RouteTable": rs.view("route-table", rtb)}


@action("DescribeRouteTables")
def _describe_rtbs(ctx, rs, p):
    page, token = paginate(ctx, describe(ctx, rs, "route-table", p, "RouteTableIds"), p)
    return {"RouteTables": page, "NextToken": token}


@action("CreateRoute")
def _create_route(ctx, rs, p):
    rtb = rs.get("route-table", p["RouteTableId"])
    dest = p.get("DestinationCidrBlock")
    if not dest:
        raise Ec2Error("MissingParameter", "The request must contain the parameter "
                                           "destinationCidrBlock")
    _cidr(dest, "DestinationCidrBlock")
    if any(r.get("DestinationCidrBlock") == dest for r in rtb["Routes"]):
        raise Ec2Error("RouteAlreadyExists", f"The route identified by {dest} already exists.")
    route = {"DestinationCidrBlock": dest, "Origin": "CreateRoute", "State": "active"}
    if p.get("GatewayId"):
        igw = rs.get("internet-gateway", p["GatewayId"])
        if not any(a["VpcId"] == rtb["VpcId"] for a in igw["Attachments"]):
            raise invalid_value(f"route table {rtb['RouteTableId']} and network gateway "
                                f"{p['GatewayId']} belong to different networks")
        route["GatewayId"] = p["GatewayId"]
    elif p.get("NetworkInterfaceId"):
        route["NetworkInterfaceId"] = rs.get("network-interface",
                                             p["NetworkInterfaceId"])["NetworkInterfaceId"]
    else:
        raise Ec2Error("InvalidParameterCombination", "No route target specified.")
    rtb["Routes"].append(route)
    return {"Return": True}


@action("DeleteRoute")
def _delete_route(ctx, rs, p):
    rtb = rs.get("route-table", p["RouteTableId"])
    dest = p.get("DestinationCidrBlock")
    kept = [r for r in rtb["Routes"] if r.get("DestinationCidrBlock") != dest
            or r.get("GatewayId") == "local"]
    if len(kept) == len(rtb["Routes"]):
        raise Ec2Error("InvalidRoute.NotFound", f"no route with destination-cidr-block {dest} in "
                                                f"route table {rtb['RouteTableId']}")
    rtb["Routes"] = kept
    return {}


@action("AssociateRouteTable")
def _associate_rtb(ctx, rs, p):
    rtb = rs.get("route-table", p["RouteTableId"])
    subnet = rs.get("subnet", p.get("SubnetId") or "subnet-missing")
    for other in rs.res["route-table"].values():
        if any(a.get("SubnetId") == subnet["SubnetId"] for a in other["Associations"]):
            raise Ec2Error("Resource.AlreadyAssociated", f"the specified association for route "
                           f"table {other['RouteTableId']} conflicts with an existing association")
    assoc_id = new_id("rtbassoc-")
    state = {"State": "associated"}
    rtb["Associations"].append({"Main": False, "RouteTableAssociationId": assoc_id,
                                "RouteTableId": rtb["RouteTableId"],
                                "SubnetId": subnet["SubnetId"], "AssociationState": state})
    return {"AssociationId": assoc_id, "AssociationState": state}


@action("DisassociateRouteTable")
def _disassociate_rtb(ctx, rs, p):
    for rtb in rs.res["route-table"].values():
        for assoc in rtb["Associations"]:
            if assoc["RouteTableAssociationId"] == p["AssociationId"]:
                if assoc.get("Main"):
                    raise invalid_value("cannot disassociate the main route table association "
                                        + p["AssociationId"])
                rtb["Associations"].remove(assoc)
                return {}
    raise not_found("association", p["AssociationId"])


@action("DeleteRouteTable")
def _delete_rtb(ctx, rs, p):
    rtb = rs.get("route-table", p["RouteTableId"])
    if rtb["Associations"]:
        raise dependency(f"The routeTable '{rtb['RouteTableId']}' has dependencies and cannot be "
                         f"deleted.")
    rs.remove("route-table", rtb["RouteTableId"])
    return {}
