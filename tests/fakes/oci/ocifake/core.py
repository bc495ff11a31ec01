"""Core Services 20160918 (networking, compute, VNICs, private IPs) and Identity 20160918
(compartments, availability domains): routing, per-type rules, lifecycles and lists."""
import hashlib
import json
import secrets

from . import network
from .answers import Answer, page
from .errors import OciError, invalid, missing, not_found
from .store import now_rfc3339

CORE = "oci-core"
IDENTITY = "oci-identity"


class Kind:
    """A network collection: URL segment, OCI type, the create/update models and the query
    filters its List operation takes (besides compartmentId, lifecycleState, displayName)."""

    def __init__(self, segment, name, create, update, filters):
        self.segment, self.name, self.create, self.update = segment, name, create, update
        self.filters = filters


NETWORK = {k.segment: k for k in (
    Kind("vcns", "Vcn", "CreateVcnDetails", "UpdateVcnDetails", ()),
    Kind("subnets", "Subnet", "CreateSubnetDetails", "UpdateSubnetDetails", ("vcnId",)),
    Kind("internetGateways", "InternetGateway", "CreateInternetGatewayDetails",
         "UpdateInternetGatewayDetails", ("vcnId",)),
    Kind("routeTables", "RouteTable", "CreateRouteTableDetails", "UpdateRouteTableDetails",
         ("vcnId",)),
    Kind("securityLists", "SecurityList", "CreateSecurityListDetails",
         "UpdateSecurityListDetails", ("vcnId",)),
)}
AVAILABILITY_DOMAINS = ("AD-1", "AD-2", "AD-3")
_INSTANCE_ACTIONS = {"STOP": ("STOPPING", "STOPPED"), "SOFTSTOP": ("STOPPING", "STOPPED"),
                     "START": ("STARTING", "RUNNING"), "RESET": ("STOPPING", "STARTING", "RUNNING"),
                     "SOFTRESET": ("STOPPING", "STARTING", "RUNNING")}


def _etag():
    return secrets.token_hex(16)


class Request:
    def __init__(self, method, path, query, body):
        self.method, self.path, self.query, self.raw = method, path, query, body
        self.headers = {}

    def json(self):
        if not self.raw.strip():
            raise OciError(400, "CannotParseRequest", "The request body is missing.")
        try:
            return json.loads(self.raw)
        except ValueError:
            raise OciError(400, "CannotParseRequest",
                           "The request body is not valid JSON.") from None


class Core:
    def __init__(self, store, models, search):
        self.store = store
        self.models = models
        self.search = search
        # e.g. "Uocm:US-ASHBURN-AD-1" for us-ashburn-1 (the prefix is per tenancy on OCI)
        prefix = "Uocm:" + store.region.upper().rsplit("-", 1)[0]
        self.availability_domains = [f"{prefix}-{ad}" for ad in AVAILABILITY_DOMAINS]

    # ---- routing -------------------------------------------------------------------------

    def handle(self, request):
        """One signed request -> Answer (raises OciError). Requests run one at a time."""
        with self.store.lock:
            return self._handle(request)

    def _handle(self, request):
        store = self.store
        store.advance()
        parts = [p for p in request.path.split("/") if p]
        method = request.method
        if parts[:1] == ["20180409"] and parts[1:] == ["resources"] and method == "POST":
            return self.search.handle(request)
        if parts[:1] != ["20160918"] or len(parts) < 2:
            return self._unsupported(request)
        segment, rest = parts[1], parts[2:]
        if segment in NETWORK:
            kind = NETWORK[segment]
            if not rest and method == "GET":
                return self._list(request, kind.name, kind.filters)
            if not rest and method == "POST":
                return self._created(request, lambda body: self.create(kind.name, body),
                                     CORE, kind.create)
            if len(rest) == 1 and method == "GET":
                return self._one(self._need(rest[0], kind.name))
            if len(rest) == 1 and method == "PUT":
                return self._update_network(kind, rest[0], request)
            if len(rest) == 1 and method == "DELETE":
                return self._delete_network(kind, rest[0])
        if segment == "instances":
            if not rest and method == "GET":
                return self._list(request, "Instance", ("availabilityDomain",))
            if not rest and method == "POST":
                return self._created(request, self._launch, CORE, "LaunchInstanceDetails")
            if len(rest) == 1 and method == "GET":
                return self._one(self._need(rest[0], "Instance"))
            if len(rest) == 1 and method == "PUT":
                return self._update(request, self._need(rest[0], "Instance"),
                                    "UpdateInstanceDetails", ("displayName", "freeformTags"))
            if len(rest) == 1 and method == "POST":
                return self._retried(request, lambda: self._action(rest[0], request))
            if len(rest) == 1 and method == "DELETE":
                return self._terminate(rest[0], request)
        if segment == "vnicAttachments":
            if not rest and method == "GET":
                return self._list(request, "VnicAttachment",
                                  ("instanceId", "vnicId", "availabilityDomain"))
            if len(rest) == 1 and method == "GET":
                return self._one(self._need(rest[0], "VnicAttachment"))
        if segment == "vnics" and len(rest) == 1:
            if method == "GET":
                return self._one(self._need(rest[0], "Vnic"))
            if method == "PUT":
                return self._update_vnic(rest[0], request)
        if segment == "privateIps":
            if not rest and method == "GET":
                return self._list_private_ips(request)
            if not rest and method == "POST":
                return self._created(request, self._create_private_ip, CORE,
                                     "CreatePrivateIpDetails")
            if len(rest) == 1 and method == "GET":
                return self._one(self._need(rest[0], "PrivateIp"))
            if len(rest) == 1 and method == "PUT":
                return self._update_private_ip(rest[0], request)
            if len(rest) == 1 and method == "DELETE":
                return self._delete_private_ip(rest[0])
        if segment == "compartments" and len(rest) == 1 and method == "GET":
            compartment = store.compartments.get(rest[0])
            if compartment is None:
                raise not_found("compartment")
            return Answer(200, compartment, {"etag": "compartment"}, (IDENTITY, "Compartment"))
        if segment == "availabilityDomains" and not rest and method == "GET":
            self._compartment(request.query.get("compartmentId"), "compartmentId", query=True)
            items = [{"name": name, "id": f"ocid1.availabilitydomain.oc1..{name[-4:].lower()}",
                      "compartmentId": store.tenancy} for name in self.availability_domains]
            return Answer(200, items, {}, (IDENTITY, "AvailabilityDomain"))
        return self._unsupported(request)

    @staticmethod
    def _unsupported(request):
        # Not OCI's 404 NotFound: an unmodelled call must never read as "gone" to a client.
        raise OciError(400, "UnsupportedByFake",
                       f"The OCI fake does not model {request.method} {request.path}.")

    # ---- shared helpers ------------------------------------------------------------------

    def _need(self, ocid, kind):
        resource = self.store.get(ocid, kind)
        if resource is None:
            raise not_found(kind)
        return resource

    def _related(self, ocid, kind, field):
        """A reference in a body: must exist and not be going away."""
        resource = self.store.get(ocid, kind) if isinstance(ocid, str) else None
        if resource is None or resource.state in ("TERMINATING", "TERMINATED"):
            raise OciError(404, "RelatedResourceNotAuthorizedOrNotFound",
                           f"{field}: the {kind} '{str(ocid)[:120]}' was not found or you are "
                           "not authorized to use it.")
        return resource

    def _compartment(self, ocid, field, query=False):
        if ocid is None:
            raise missing(field)
        if ocid not in self.store.compartments:
            if query:
                raise not_found("compartment")
            raise OciError(404, "RelatedResourceNotAuthorizedOrNotFound",
                           f"{field}: compartment '{str(ocid)[:120]}' not found or not "
                           "authorized.")
        return ocid

    def _tags(self, kind, details):
        drop = [d.lower() for d in self.store.config["drop_tags"]]
        if "all" in drop or kind.lower() in drop:
            return {}
        return dict(details.get("freeformTags") or {})

    def _base(self, kind, ocid_kind, details, state):
        return {"id": self.store.ocid(ocid_kind),
                "compartmentId": self._compartment(details.get("compartmentId"),
                                                   "compartmentId"),
                "displayName": details.get("displayName") or
                f"{kind.lower()}{secrets.token_hex(4)}",
                "freeformTags": self._tags(kind, details),
                "definedTags": dict(details.get("definedTags") or {}),
                "lifecycleState": state, "timeCreated": now_rfc3339()}

    def _one(self, resource, status=200):
        return Answer(status, resource.obj, {"etag": resource.etag},
                      (CORE if resource.kind != "Compartment" else IDENTITY, resource.kind))

    def _retried(self, request, create):
        """`opc-retry-token`: the same token with the same request answers the first result
        again (no second resource); with another request -> 409. 64 characters at most."""
        token = request.headers.get("opc-retry-token")
        if token is None:
            return create()
        if not token or len(token) > 64:
            raise invalid("opc-retry-token must be 1 to 64 characters.")
        fingerprint = hashlib.sha256(
            f"{request.method} {request.path}?{sorted(request.query.items())}\n".encode() +
            request.raw).hexdigest()
        store = self.store
        with store.lock:
            seen = store.retry_tokens.get(token)
            if seen is not None:
                if seen[0] != fingerprint:
                    raise OciError(409, "InvalidatedRetryToken",
                                   "The opc-retry-token was already used for a different "
                                   "request. Use a new retry token.")
                resource = store.resources.get(seen[1])
                if resource is None:
                    raise OciError(409, "InvalidatedRetryToken",
                                   "The resource created with this opc-retry-token no longer "
                                   "exists. Use a new retry token.")
                return self._one(resource)
            answer = create()
            store.retry_tokens[token] = (fingerprint, answer.body["id"])
            return answer

    def _created(self, request, create, package, model):
        def run():
            details = request.json()
            self.models.check_request(package, model, details)
            return self._one(create(details))
        return self._retried(request, run)

    def _list(self, request, kind, filters, extra=None):
        query = request.query
        self._compartment(query.get("compartmentId"), "compartmentId", query=True)
        resources = [r for r in self.store.of_kind(kind)
                     if r.obj.get("compartmentId") == query["compartmentId"]]
        for key in ("displayName", "lifecycleState", *filters):
            if key in query:
                resources = [r for r in resources if r.obj.get(key) == query[key]]
        if extra:
            resources = [r for r in resources if extra(r)]
        chunk, headers = page(self.store.config, query, [r.obj for r in resources])
        return Answer(200, chunk, headers, (CORE, kind))

    def _update(self, request, resource, model, allowed, apply=None):
        details = request.json()
        self.models.check_request(CORE, model, details)
        if resource.state in ("TERMINATING", "TERMINATED"):
            raise OciError(409, "IncorrectState",
                           f"The {resource.kind} is {resource.state} and cannot be updated.")
        for key in details:
            if key not in allowed and key not in ("definedTags",):
                raise OciError(400, "UnsupportedByFake",
                               f"The OCI fake does not model updating {key} of a "
                               f"{resource.kind}.")
        if apply:
            apply(details)
        for key in allowed:
            if key in details and details[key] is not None:
                resource.obj[key] = dict(details[key]) if isinstance(details[key], dict) \
                    else details[key]
        resource.etag = _etag()
        return self._one(resource)

    def create(self, kind, details):
        """Creates a resource of OCI type `kind` from its (already validated) create details,
        as the API would; used by /_fake/seed."""
        if kind == "Instance":
            return self._launch(details)
        if kind == "PrivateIp":
            return self._create_private_ip(details)
        return getattr(self, f"_create_{kind.lower()}")(details)

    # ---- network -------------------------------------------------------------------------

    def _new_network(self, kind, ocid_kind, details, vcn=None, **fields):
        obj = self._base(kind, ocid_kind, details, "PROVISIONING")
        if vcn is not None:
            obj["vcnId"] = vcn.id
        obj.update(fields)
        resource = self.store.add(kind, obj)
        self.store.transition(resource, "AVAILABLE")
        return resource

    def _create_vcn(self, details):
        blocks = details.get("cidrBlocks") or ([details["cidrBlock"]]
                                               if details.get("cidrBlock") else [])
        if not blocks:
            raise missing("cidrBlocks")
        nets = [network.network(b, "cidrBlocks") for b in blocks]
        for i, a in enumerate(nets):
            if a.version != 4 or not 16 <= a.prefixlen <= 30:
                raise invalid(f"cidrBlocks: '{a}' must be an IPv4 block from /16 to /30.")
            if any(a.overlaps(b) for b in nets[i + 1:]):
                raise invalid("cidrBlocks overlap each other.")
        extra = {"cidrBlock": blocks[0], "cidrBlocks": list(blocks)}
        if details.get("dnsLabel"):
            extra["dnsLabel"] = details["dnsLabel"]
            extra["vcnDomainName"] = f"{details['dnsLabel']}.oraclevcn.com"
        vcn = self._new_network("Vcn", "vcn", details, **extra)
        compartment = vcn.obj["compartmentId"]
        defaults = {"compartmentId": compartment}
        route_table = self._new_network("RouteTable", "routetable", defaults, vcn,
                                        routeRules=[])
        route_table.obj["displayName"] = f"Default Route Table for {vcn.obj['displayName']}"
        security_list = self._new_network(
            "SecurityList", "securitylist", defaults, vcn, ingressSecurityRules=[
                {"protocol": "6", "source": "0.0.0.0/0", "sourceType": "CIDR_BLOCK",
                 "isStateless": False, "tcpOptions": {"destinationPortRange": {"min": 22,
                                                                               "max": 22}}}],
            egressSecurityRules=[{"protocol": "all", "destination": "0.0.0.0/0",
                                  "destinationType": "CIDR_BLOCK", "isStateless": False}])
        security_list.obj["displayName"] = f"Default Security List for {vcn.obj['displayName']}"
        vcn.obj.update({"defaultRouteTableId": route_table.id,
                        "defaultSecurityListId": security_list.id,
                        "defaultDhcpOptionsId": self.store.ocid("dhcpoptions")})
        route_table.default_of = security_list.default_of = vcn.id
        return vcn

    def _create_subnet(self, details):
        vcn = self._related(details["vcnId"], "Vcn", "vcnId")
        cidr = details.get("cidrBlock") or (details.get("ipv4CidrBlocks") or [None])[0]
        if not cidr:
            raise missing("cidrBlock")
        net = network.network(cidr, "cidrBlock")
        if not any(net.subnet_of(network.network(b, "vcn")) for b in vcn.obj["cidrBlocks"]
                   if network.network(b, "vcn").version == net.version):
            raise invalid(f"cidrBlock '{net}' is not within the VCN's CIDR blocks.")
        for other in self.store.of_kind("Subnet"):
            if other.obj["vcnId"] == vcn.id and other.state != "TERMINATED" and \
                    net.overlaps(network.network(other.obj["cidrBlock"], "subnet")):
                raise invalid(f"cidrBlock '{net}' overlaps subnet {other.id}.")
        route_table = self._related(details.get("routeTableId") or
                                    vcn.obj["defaultRouteTableId"], "RouteTable",
                                    "routeTableId")
        lists = details.get("securityListIds")
        lists = [vcn.obj["defaultSecurityListId"]] if lists is None else lists
        for ocid in lists:
            self._related(ocid, "SecurityList", "securityListIds")
        if details.get("availabilityDomain") and \
                details["availabilityDomain"] not in self.availability_domains:
            raise invalid("availabilityDomain is not an availability domain of this region.")
        gateway = str(net.network_address + 1)
        extra = {"cidrBlock": str(net), "ipv4CidrBlocks": [str(net)],
                 "routeTableId": route_table.id, "securityListIds": list(lists),
                 "dhcpOptionsId": details.get("dhcpOptionsId") or vcn.obj["defaultDhcpOptionsId"],
                 "prohibitPublicIpOnVnic": bool(details.get("prohibitPublicIpOnVnic", False)),
                 "prohibitInternetIngress": bool(details.get("prohibitPublicIpOnVnic", False)),
                 "virtualRouterIp": gateway, "virtualRouterMac": "00:00:17:00:00:01"}
        if details.get("availabilityDomain"):
            extra["availabilityDomain"] = details["availabilityDomain"]
        if details.get("dnsLabel"):
            extra["dnsLabel"] = details["dnsLabel"]
        return self._new_network("Subnet", "subnet", details, vcn, **extra)

    def _create_internetgateway(self, details):
        vcn = self._related(details["vcnId"], "Vcn", "vcnId")
        return self._new_network("InternetGateway", "internetgateway", details, vcn,
                                 isEnabled=bool(details["isEnabled"]))

    def _route_rules(self, vcn_id, rules):
        for index, rule in enumerate(rules):
            target = self.store.get(rule["networkEntityId"])
            if target is None or target.kind not in ("InternetGateway", "PrivateIp") or \
                    target.state in ("TERMINATING", "TERMINATED"):
                raise OciError(404, "RelatedResourceNotAuthorizedOrNotFound",
                               f"routeRules[{index}].networkEntityId: not found or not "
                               "authorized.")
            if target.kind == "InternetGateway" and target.obj["vcnId"] != vcn_id:
                raise invalid(f"routeRules[{index}].networkEntityId is in another VCN.")
            destination = rule.get("destination") or rule.get("cidrBlock")
            if destination is None:
                raise missing(f"routeRules[{index}].destination")
            network.network(destination, f"routeRules[{index}].destination")
        return [dict(rule, destinationType=rule.get("destinationType") or "CIDR_BLOCK",
                     destination=rule.get("destination") or rule.get("cidrBlock"))
                for rule in rules]

    def _create_routetable(self, details):
        vcn = self._related(details["vcnId"], "Vcn", "vcnId")
        return self._new_network("RouteTable", "routetable", details, vcn,
                                 routeRules=self._route_rules(vcn.id, details["routeRules"]))

    def _create_securitylist(self, details):
        vcn = self._related(details["vcnId"], "Vcn", "vcnId")
        return self._new_network("SecurityList", "securitylist", details, vcn,
                                 ingressSecurityRules=details["ingressSecurityRules"],
                                 egressSecurityRules=details["egressSecurityRules"])

    def _update_network(self, kind, ocid, request):
        resource = self._need(ocid, kind.name)
        allowed = {"Vcn": ("displayName", "freeformTags"),
                   "Subnet": ("displayName", "freeformTags", "routeTableId", "securityListIds"),
                   "InternetGateway": ("displayName", "freeformTags", "isEnabled"),
                   "RouteTable": ("displayName", "freeformTags", "routeRules"),
                   "SecurityList": ("displayName", "freeformTags", "ingressSecurityRules",
                                    "egressSecurityRules")}[kind.name]

        def apply(details):
            if details.get("routeRules") is not None:
                details["routeRules"] = self._route_rules(resource.obj["vcnId"],
                                                          details["routeRules"])
            if details.get("routeTableId") is not None:
                self._related(details["routeTableId"], "RouteTable", "routeTableId")
            for ocid in details.get("securityListIds") or []:
                self._related(ocid, "SecurityList", "securityListIds")
        return self._update(request, resource, kind.update, allowed, apply)

    def _users(self, resource):
        """What still refers to `resource` (blocks its deletion), as (kind, ocid)."""
        out = []
        for other in list(self.store.resources.values()):
            obj = other.obj
            if other.id == resource.id or other.state == "TERMINATED":
                continue
            if resource.kind == "Vcn" and obj.get("vcnId") == resource.id and \
                    getattr(other, "default_of", None) != resource.id:
                out.append((other.kind, other.id))
            elif resource.kind == "Subnet" and other.kind == "Vnic" and \
                    obj.get("subnetId") == resource.id:
                out.append(("Vnic", other.id))
            elif resource.kind == "InternetGateway" and other.kind == "RouteTable" and any(
                    r.get("networkEntityId") == resource.id for r in obj.get("routeRules", [])):
                out.append(("RouteTable", other.id))
            elif resource.kind == "RouteTable" and other.kind == "Subnet" and \
                    obj.get("routeTableId") == resource.id:
                out.append(("Subnet", other.id))
            elif resource.kind == "SecurityList" and other.kind == "Subnet" and \
                    resource.id in obj.get("securityListIds", []):
                out.append(("Subnet", other.id))
        return out

    def _delete_network(self, kind, ocid):
        store = self.store
        with store.lock:
            resource = self._need(ocid, kind.name)
            if resource.state in ("TERMINATING", "TERMINATED"):
                return Answer(204)
            default_of = getattr(resource, "default_of", None)
            if default_of:
                raise OciError(409, "Conflict",
                               f"The default {kind.name} of a VCN is deleted with the VCN "
                               f"'{default_of}' and cannot be deleted on its own.")
            users = self._users(resource)
            if users:
                raise OciError(409, "Conflict",
                               f"The {kind.name} '{ocid}' references the {users[0][0]} "
                               f"'{users[0][1]}'. You must remove the reference to proceed "
                               "with this operation.")
            store.deletes_seen += 1
            if store.deletes_seen <= store.config["conflict_on_delete"]:
                raise OciError(409, "IncorrectState",
                               f"The {kind.name} is busy with another operation; retry later "
                               "(fault mode --conflict-on-delete).")
            doomed = [resource]
            if kind.name == "Vcn":
                doomed += [r for r in store.resources.values()
                           if getattr(r, "default_of", None) == resource.id]
            for item in doomed:
                summary = self.search.summary(item)
                item.obj["lifecycleState"] = "TERMINATING"
                store.transition(item, "TERMINATED",
                                 then=lambda s, r, summary=summary: s.remove(r, summary))
        return Answer(204)

    # ---- compute -------------------------------------------------------------------------

    def _launch(self, details):
        store = self.store
        self._compartment(details["compartmentId"], "compartmentId")
        if details["availabilityDomain"] not in self.availability_domains:
            raise invalid("availabilityDomain is not an availability domain of this region.")
        if not details.get("shape"):
            raise missing("shape")
        source = details.get("sourceDetails")
        if not details.get("imageId") and not source:
            raise missing("sourceDetails")
        vnic_details = dict(details.get("createVnicDetails") or {})
        subnet_id = vnic_details.get("subnetId") or details.get("subnetId")
        if not subnet_id:
            raise missing("createVnicDetails.subnetId")
        subnet = self._related(subnet_id, "Subnet", "createVnicDetails.subnetId")
        if subnet.obj.get("availabilityDomain") and \
                subnet.obj["availabilityDomain"] != details["availabilityDomain"]:
            raise invalid("The subnet is in another availability domain.")
        private_ip = self._address_for(subnet, vnic_details.get("privateIp"),
                                       "createVnicDetails.privateIp")
        obj = self._base("Instance", "instance", details, "PROVISIONING")
        obj.update({"availabilityDomain": details["availabilityDomain"],
                    "region": store.region, "shape": details["shape"],
                    "faultDomain": details.get("faultDomain") or "FAULT-DOMAIN-1",
                    "metadata": dict(details.get("metadata") or {}),
                    "launchMode": "PARAVIRTUALIZED"})
        if source:
            obj["sourceDetails"] = source
            obj["imageId"] = source.get("imageId") or details.get("imageId")
        else:
            obj["imageId"] = details["imageId"]
            obj["sourceDetails"] = {"sourceType": "image", "imageId": details["imageId"]}
        if obj["imageId"] is None:
            del obj["imageId"]
        if details.get("shapeConfig"):
            obj["shapeConfig"] = {k: v for k, v in details["shapeConfig"].items()
                                  if k in ("ocpus", "memoryInGBs", "baselineOcpuUtilization",
                                           "nvmes", "vcpus")}
        instance = store.add("Instance", obj)
        assign_public = vnic_details.get("assignPublicIp")
        if assign_public is None:
            assign_public = not subnet.obj["prohibitPublicIpOnVnic"]
        elif assign_public and subnet.obj["prohibitPublicIpOnVnic"]:
            raise invalid("assignPublicIp: the subnet prohibits public IPs on VNICs.")
        vnic = store.add("Vnic", {
            "id": store.ocid("vnic"), "compartmentId": obj["compartmentId"],
            "availabilityDomain": obj["availabilityDomain"], "subnetId": subnet.id,
            "displayName": vnic_details.get("displayName") or obj["displayName"],
            "hostnameLabel": vnic_details.get("hostnameLabel") or obj["displayName"].lower(),
            "freeformTags": self._tags("Vnic", vnic_details),
            "definedTags": dict(vnic_details.get("definedTags") or {}),
            "isPrimary": True, "privateIp": private_ip,
            "macAddress": "02:00:17:" + ":".join(secrets.token_hex(3)[i:i + 2]
                                                 for i in (0, 2, 4)),
            "skipSourceDestCheck": bool(vnic_details.get("skipSourceDestCheck", False)),
            "nsgIds": list(vnic_details.get("nsgIds") or []),
            "lifecycleState": "AVAILABLE", "timeCreated": now_rfc3339()})
        if assign_public:
            vnic.obj["publicIp"] = store.public_ip()
        vnic.instance_id = instance.id
        self._add_private_ip(vnic, private_ip, True, {
            "displayName": "primaryvnic", "hostnameLabel": vnic.obj["hostnameLabel"]})
        attachment = store.add("VnicAttachment", {
            "id": store.ocid("vnicattachment"), "compartmentId": obj["compartmentId"],
            "availabilityDomain": obj["availabilityDomain"], "instanceId": instance.id,
            "subnetId": subnet.id, "vnicId": vnic.id, "nicIndex": 0, "vlanTag": 0,
            "displayName": "primaryvnic", "lifecycleState": "ATTACHING",
            "timeCreated": now_rfc3339()})
        store.transition(attachment, "ATTACHED")
        store.transition(instance, "RUNNING")
        return instance

    def _taken(self, subnet):
        return {r.obj["ipAddress"] for r in self.store.of_kind("PrivateIp")
                if r.obj.get("subnetId") == subnet.id}

    def _address_for(self, subnet, wanted, field):
        taken = self._taken(subnet)
        if wanted is None:
            found = network.first_free(subnet.obj["cidrBlock"], taken)
            if found is None:
                raise OciError(400, "LimitExceeded", "The subnet has no free addresses.")
            return found
        network.address(wanted, field)
        if not network.in_usable(subnet.obj["cidrBlock"], wanted):
            raise invalid(f"{field} '{wanted}' is not a usable address of the subnet.")
        if wanted in taken:
            raise OciError(409, "Conflict", f"{field} '{wanted}' is already in use in the "
                                            "subnet.")
        return wanted

    def _add_private_ip(self, vnic, address, primary, details):
        store = self.store
        return store.add("PrivateIp", {
            "id": store.ocid("privateip"), "compartmentId": vnic.obj["compartmentId"],
            "availabilityDomain": vnic.obj["availabilityDomain"],
            "subnetId": vnic.obj["subnetId"], "vnicId": vnic.id, "ipAddress": address,
            "isPrimary": primary, "displayName": details.get("displayName") or address,
            "hostnameLabel": details.get("hostnameLabel"),
            "freeformTags": self._tags("PrivateIp", details),
            "definedTags": dict(details.get("definedTags") or {}),
            "timeCreated": now_rfc3339()})

    def _action(self, ocid, request):
        instance = self._need(ocid, "Instance")
        action = request.query.get("action")
        if action is None:
            raise missing("action")
        if action not in _INSTANCE_ACTIONS:
            raise invalid(f"action '{action[:40]}' is not one of {sorted(_INSTANCE_ACTIONS)}.")
        states = _INSTANCE_ACTIONS[action]
        if instance.state not in ("RUNNING", "STOPPED"):
            raise OciError(409, "IncorrectState",
                           f"The instance is {instance.state}; {action} needs RUNNING or "
                           "STOPPED.")
        if (action.endswith("STOP") and instance.state == "STOPPED") or \
                (action == "START" and instance.state == "RUNNING"):
            return self._one(instance)
        if action.endswith("RESET") and instance.state != "RUNNING":
            raise OciError(409, "IncorrectState", "The instance is STOPPED; RESET needs RUNNING.")
        instance.obj["lifecycleState"] = states[0]
        self.store.transition(instance, *states[1:])
        return self._one(instance)

    def _terminate(self, ocid, request):
        store = self.store
        with store.lock:
            instance = self._need(ocid, "Instance")
            if instance.state in ("TERMINATING", "TERMINATED"):
                return Answer(204)
            preserve = request.query.get("preserveBootVolume", "false").lower()
            if preserve not in ("true", "false"):
                raise invalid("preserveBootVolume must be true or false.")
            instance.obj["lifecycleState"] = "TERMINATING"

            def gone(s, resource):
                for attachment in s.of_kind("VnicAttachment"):
                    if attachment.obj["instanceId"] == resource.id:
                        attachment.obj["lifecycleState"] = "DETACHED"
                        vnic = s.get(attachment.obj["vnicId"], "Vnic")
                        if vnic is not None:
                            for ip in s.of_kind("PrivateIp"):
                                if ip.obj["vnicId"] == vnic.id:
                                    s.remove(ip, self.search.summary(ip))
                            s.remove(vnic, self.search.summary(vnic))
                if preserve == "true":  # a boot volume left behind: it costs money
                    s.add("BootVolume", {
                        "id": s.ocid("bootvolume"),
                        "compartmentId": resource.obj["compartmentId"],
                        "availabilityDomain": resource.obj["availabilityDomain"],
                        "displayName": f"{resource.obj['displayName']} (Boot Volume)",
                        "freeformTags": dict(resource.obj.get("freeformTags") or {}),
                        "sizeInGBs": 50, "sizeInMBs": 51200,
                        "lifecycleState": "AVAILABLE", "timeCreated": now_rfc3339()})
            store.transition(instance, "TERMINATED", then=gone)
        return Answer(204)

    # ---- VNICs and private IPs -----------------------------------------------------------

    def _update_vnic(self, ocid, request):
        vnic = self._need(ocid, "Vnic")
        return self._update(request, vnic, "UpdateVnicDetails",
                            ("displayName", "freeformTags", "skipSourceDestCheck",
                             "hostnameLabel", "nsgIds"))

    def _list_private_ips(self, request):
        query = request.query
        if "vnicId" in query:
            self._need(query["vnicId"], "Vnic")
            match = [r for r in self.store.of_kind("PrivateIp")
                     if r.obj["vnicId"] == query["vnicId"]]
        elif "subnetId" in query:
            self._need(query["subnetId"], "Subnet")
            match = [r for r in self.store.of_kind("PrivateIp")
                     if r.obj["subnetId"] == query["subnetId"]]
        else:
            raise missing("vnicId or subnetId")
        if "ipAddress" in query:
            match = [r for r in match if r.obj["ipAddress"] == query["ipAddress"]]
        chunk, headers = page(self.store.config, query, [r.obj for r in match])
        return Answer(200, chunk, headers, (CORE, "PrivateIp"))

    def _create_private_ip(self, details):
        if details.get("vlanId"):
            raise OciError(400, "UnsupportedByFake", "The OCI fake does not model VLANs.")
        if not details.get("vnicId"):
            raise missing("vnicId")
        vnic = self._related(details["vnicId"], "Vnic", "vnicId")
        subnet = self._need(vnic.obj["subnetId"], "Subnet")
        address = self._address_for(subnet, details.get("ipAddress"), "ipAddress")
        return self._add_private_ip(vnic, address, False, details)

    def _update_private_ip(self, ocid, request):
        private_ip = self._need(ocid, "PrivateIp")

        def apply(details):
            target = details.get("vnicId")
            if target is None or target == private_ip.obj["vnicId"]:
                return
            if private_ip.obj["isPrimary"]:
                raise invalid("A VNIC's primary private IP cannot be moved to another VNIC.")
            vnic = self._related(target, "Vnic", "vnicId")
            if vnic.obj["subnetId"] != private_ip.obj["subnetId"]:
                raise invalid("vnicId: a private IP moves only to a VNIC in the same subnet.")
        return self._update(request, private_ip, "UpdatePrivateIpDetails",
                            ("displayName", "freeformTags", "hostnameLabel", "vnicId"), apply)

    def _delete_private_ip(self, ocid):
        private_ip = self._need(ocid, "PrivateIp")
        if private_ip.obj["isPrimary"]:
            raise invalid("A VNIC's primary private IP cannot be deleted.")
        self.store.remove(private_ip, self.search.summary(private_ip))
        return Answer(204)
