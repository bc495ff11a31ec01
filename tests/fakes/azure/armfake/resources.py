"""Per-type rules of the modelled resources: which SDK model validates a PUT, addresses, the
links between resources (NIC -> subnet/PIP/NSG, VM -> NICs), in-use checks and the views."""
import copy
import datetime
import ipaddress
import random
import uuid
from collections import namedtuple

from .errors import ArmError

Spec = namedtuple("Spec", "type model child")

# lower "namespace/type[/child]" -> (canonical type, SDK model class validating its PUT, child)
TYPES = {
    "microsoft.network/virtualnetworks": Spec("Microsoft.Network/virtualNetworks",
                                              "VirtualNetwork", False),
    "microsoft.network/virtualnetworks/subnets": Spec("Microsoft.Network/virtualNetworks/subnets",
                                                      "Subnet", True),
    "microsoft.network/networksecuritygroups": Spec("Microsoft.Network/networkSecurityGroups",
                                                    "NetworkSecurityGroup", False),
    "microsoft.network/publicipaddresses": Spec("Microsoft.Network/publicIPAddresses",
                                                "PublicIPAddress", False),
    "microsoft.network/networkinterfaces": Spec("Microsoft.Network/networkInterfaces",
                                                "NetworkInterface", False),
    "microsoft.compute/virtualmachines": Spec("Microsoft.Compute/virtualMachines",
                                              "VirtualMachine", False),
}
_NAMESPACES = {"microsoft.network": "Microsoft.Network", "microsoft.compute": "Microsoft.Compute",
               "microsoft.resources": "Microsoft.Resources"}


def canonical_type(key):
    return TYPES[key].type if key in TYPES else key


def canonical_namespace(namespace):
    return _NAMESPACES.get(namespace, namespace)


def _ref(store, properties, member, expected_type, owner):
    """The resource a {"id": ...} member points at; 400 InvalidResourceReference if absent."""
    value = properties.get(member)
    if not value or not value.get("id"):
        return None
    target = store.get(value["id"])
    if target is None or target["type"].lower() != expected_type.lower() or \
            target["properties"].get("provisioningState") == "Deleting":
        raise ArmError(400, "InvalidResourceReference",
                       f"Resource {value['id']} referenced by resource {owner} was not found. "
                       "Please make sure that the referenced resource exists, and that both "
                       "resources are in the same region.")
    value["id"] = target["id"]
    return target


# ---- PUT ------------------------------------------------------------------------------------
def prepare(store, key, resource, properties, existing, parent):
    """Checks links and fills the members ARM computes, in place; raises ArmError."""
    if key == "microsoft.network/virtualnetworks":
        _prepare_vnet(store, resource, properties, existing)
    elif key == "microsoft.network/virtualnetworks/subnets":
        _prepare_subnet(store, resource, properties, parent)
    elif key == "microsoft.network/networksecuritygroups":
        for rule in properties.get("securityRules") or []:
            if not rule.get("name"):
                raise ArmError(400, "InvalidRequestFormat", "securityRules[]: name is required")
            rule["id"] = f"{resource['id']}/securityRules/{rule['name']}"
            rule.setdefault("properties", {})["provisioningState"] = "Succeeded"
    elif key == "microsoft.network/publicipaddresses":
        properties.setdefault("publicIPAllocationMethod", "Static")
        properties.setdefault("publicIPAddressVersion", "IPv4")
        properties["ipAddress"] = (existing or {}).get("properties", {}).get("ipAddress") or \
            store.allocate_public_ip()
        properties["resourceGuid"] = str(uuid.uuid4())
    elif key == "microsoft.network/networkinterfaces":
        _prepare_nic(store, resource, properties, existing)
    elif key == "microsoft.compute/virtualmachines":
        _prepare_vm(store, resource, properties, existing)


def _prepare_vnet(store, resource, properties, existing):
    space = [ipaddress.ip_network(p, strict=False) for p in
             (properties.get("addressSpace") or {}).get("addressPrefixes") or []]
    if not space:
        raise ArmError(400, "InvalidRequestFormat",
                       "properties.addressSpace.addressPrefixes: at least one is required")
    wanted = {}
    for subnet in properties.pop("subnets", None) or []:
        if not subnet.get("name"):
            raise ArmError(400, "InvalidRequestFormat", "subnets[]: name is required")
        wanted[subnet["name"].lower()] = subnet
    for subnet in wanted.values():
        prefix = _subnet_prefix(subnet.get("properties") or {}, subnet["name"])
        if not any(prefix.subnet_of(s) for s in space if s.version == prefix.version):
            raise ArmError(400, "NetcfgSubnetRangeOutsideVnet",
                           f"Subnet '{subnet['name']}' is not valid because its IP address "
                           f"range is outside the IP address range of virtual network "
                           f"'{resource['name']}'.")
    resource["_subnets"] = wanted  # applied by after_put
    if existing:
        for child in store.children_of(existing["id"]):
            if child["name"].lower() not in wanted:
                _check_subnet_unused(store, child)
    properties["resourceGuid"] = (existing or {}).get("properties", {}).get("resourceGuid") or \
        str(uuid.uuid4())


def _subnet_prefix(properties, name):
    prefix = properties.get("addressPrefix") or (properties.get("addressPrefixes") or [None])[0]
    try:
        return ipaddress.ip_network(prefix, strict=True)
    except (TypeError, ValueError):
        raise ArmError(400, "InvalidAddressPrefixFormat",
                       f"Subnet '{name}': address prefix {prefix!r} is not valid.") from None


def _prepare_subnet(store, resource, properties, parent):
    _subnet_prefix(properties, resource["name"])
    _ref(store, properties, "networkSecurityGroup",
         "Microsoft.Network/networkSecurityGroups", resource["id"])


def _nic_configs(store, exclude_id=None):
    for nic in store.resources.values():
        if nic["type"] != "Microsoft.Network/networkInterfaces" or nic["id"] == exclude_id:
            continue
        for config in nic["properties"].get("ipConfigurations") or []:
            yield nic, config


def _prepare_nic(store, resource, properties, existing):
    _ref(store, properties, "networkSecurityGroup", "Microsoft.Network/networkSecurityGroups",
         resource["id"])
    configs = properties.get("ipConfigurations") or []
    if not configs:
        raise ArmError(400, "InvalidRequestFormat",
                       "properties.ipConfigurations: a network interface needs at least one")
    before = {c["name"].lower(): c for c in
              ((existing or {}).get("properties", {}).get("ipConfigurations") or [])}
    taken = {}
    for _, config in _nic_configs(store, exclude_id=(existing or resource)["id"]):
        props = config.get("properties", {})
        taken.setdefault(props.get("subnet", {}).get("id", "").lower(), set()).add(
            props.get("privateIPAddress"))
        if props.get("publicIPAddress"):
            taken.setdefault("pip", {})[props["publicIPAddress"]["id"].lower()] = config["id"]
    mine = set()
    names = set()
    for index, config in enumerate(configs):
        name = config.get("name")
        if not name or name.lower() in names:
            raise ArmError(400, "InvalidRequestFormat",
                           f"properties.ipConfigurations[{index}]: a unique name is required")
        names.add(name.lower())
        config["id"] = f"{resource['id']}/ipConfigurations/{name}"
        config["type"] = "Microsoft.Network/networkInterfaces/ipConfigurations"
        props = config.setdefault("properties", {})
        subnet = _ref(store, props, "subnet", "Microsoft.Network/virtualNetworks/subnets",
                      resource["id"])
        if subnet is None:
            raise ArmError(400, "InvalidRequestFormat",
                           f"properties.ipConfigurations[{index}].properties.subnet.id is "
                           "required")
        network = _subnet_prefix(subnet["properties"], subnet["name"])
        used = taken.get(subnet["id"].lower(), set()) | mine
        method = props.setdefault("privateIPAllocationMethod", "Dynamic")
        if method == "Static":
            address = props.get("privateIPAddress")
            try:
                parsed = ipaddress.ip_address(address)
            except (TypeError, ValueError):
                raise ArmError(400, "InvalidRequestFormat",
                               f"IP configuration {name}: privateIPAddress {address!r} is not an "
                               "IP address.") from None
            if parsed not in network or int(parsed) - int(network.network_address) < 4 or \
                    parsed == network.broadcast_address:
                raise ArmError(400, "PrivateIPAddressNotInSubnet",
                               f"IP configuration {config['id']} references the private IP "
                               f"address {address} which is not in the usable range of subnet "
                               f"{subnet['id']}.")
            if address in used:
                raise ArmError(400, "PrivateIPAddressInUse",
                               f"IP configuration {config['id']} is using the private IP "
                               f"address {address} which is already allocated to resource "
                               f"{_holder(store, subnet['id'], address)}.")
        else:
            old = before.get(name.lower(), {}).get("properties", {}).get("privateIPAddress")
            if old and old not in used and ipaddress.ip_address(old) in network:
                props["privateIPAddress"] = old
            else:
                props["privateIPAddress"] = _first_free(network, used)
        mine.add(props["privateIPAddress"])
        pip = _ref(store, props, "publicIPAddress", "Microsoft.Network/publicIPAddresses",
                   resource["id"])
        if pip is not None and pip["id"].lower() in taken.get("pip", {}):
            raise ArmError(400, "PublicIPAddressInUse",
                           f"Resource {pip['id']} is already in use by "
                           f"{taken['pip'][pip['id'].lower()]}.")
        props.setdefault("privateIPAddressVersion", "IPv4")
        props["provisioningState"] = "Succeeded"
    if not any(c["properties"].get("primary") for c in configs):
        configs[0]["properties"]["primary"] = True
    properties.setdefault("enableIPForwarding", False)
    properties.setdefault("enableAcceleratedNetworking", False)
    previous = (existing or {}).get("properties", {})
    properties["macAddress"] = previous.get("macAddress") or \
        "-".join(f"{random.randint(0, 255):02X}" for _ in range(6))
    if previous.get("virtualMachine"):
        properties["virtualMachine"] = previous["virtualMachine"]
    else:
        properties.pop("virtualMachine", None)
    properties["resourceGuid"] = previous.get("resourceGuid") or str(uuid.uuid4())


def _holder(store, subnet_id, address):
    for nic, config in _nic_configs(store):
        props = config["properties"]
        if props.get("subnet", {}).get("id", "").lower() == subnet_id.lower() and \
                props.get("privateIPAddress") == address:
            return config["id"]
    return "this network interface"


def _first_free(network, used):
    for offset in range(4, network.num_addresses - 1):  # Azure reserves .0-.3 and broadcast
        candidate = str(network.network_address + offset)
        if candidate not in used:
            return candidate
    raise ArmError(400, "SubnetIsFull", f"Subnet {network} has no free address.")


def _prepare_vm(store, resource, properties, existing):
    nics = (properties.get("networkProfile") or {}).get("networkInterfaces") or []
    if not nics:
        raise ArmError(400, "InvalidParameter",
                       "Required parameter 'networkProfile' is missing (null).")
    for index, ref in enumerate(nics):
        nic = _ref(store, {"nic": ref}, "nic", "Microsoft.Network/networkInterfaces",
                   resource["id"])
        if nic is None:
            raise ArmError(400, "InvalidParameter",
                           f"networkProfile.networkInterfaces[{index}].id is required")
        holder = nic["properties"].get("virtualMachine", {}).get("id")
        if holder and holder.lower() != resource["id"].lower():
            raise ArmError(409, "NicInUse",
                           f"Network interface {nic['id']} is used by existing resource "
                           f"{holder}.")
    os_profile = properties.get("osProfile") or {}
    os_profile.pop("adminPassword", None)  # write-only: never echoed
    previous = (existing or {}).get("properties", {})
    properties["vmId"] = previous.get("vmId") or str(uuid.uuid4())
    properties["timeCreated"] = previous.get("timeCreated") or _now_iso()
    storage = properties.setdefault("storageProfile", {})
    disk = storage.setdefault("osDisk", {})
    disk.setdefault("name", f"{resource['name']}_OsDisk_1_{uuid.uuid4().hex}")
    disk.setdefault("createOption", "FromImage")
    disk.setdefault("osType", "Linux")
    resource["power"] = (existing or {}).get("power", "starting")


def after_put(store, key, resource, existing):
    """Links made once the resource is stored: subnets of a VNet, NICs of a VM."""
    if key == "microsoft.network/virtualnetworks":
        wanted = resource.pop("_subnets")
        current = {c["name"].lower(): c for c in store.children_of(resource["id"])}
        for name, child in current.items():
            if name not in wanted:
                store.remove(child["id"])
        for name, subnet in wanted.items():
            old = current.get(name)
            props = copy.deepcopy(subnet.get("properties") or {})
            child = {"id": old["id"] if old else f"{resource['id']}/subnets/{subnet['name']}",
                     "name": old["name"] if old else subnet["name"],
                     "type": "Microsoft.Network/virtualNetworks/subnets"}
            _prepare_subnet(store, child, props, resource)
            props["provisioningState"] = "Updating"
            child["properties"] = props
            store.put(child)
    elif key == "microsoft.compute/virtualmachines":
        wanted = {n["id"].lower() for n in resource["properties"]["networkProfile"]
                  ["networkInterfaces"]}
        for nic in store.resources.values():
            if nic["type"] != "Microsoft.Network/networkInterfaces":
                continue
            holder = nic["properties"].get("virtualMachine", {}).get("id", "")
            if nic["id"].lower() in wanted:
                nic["properties"]["virtualMachine"] = {"id": resource["id"]}
            elif holder.lower() == resource["id"].lower():
                nic["properties"].pop("virtualMachine", None)


def succeed(store, resource):
    resource["properties"]["provisioningState"] = "Succeeded"
    for child in store.children_of(resource["id"]):
        child["properties"]["provisioningState"] = "Succeeded"
    if resource["type"] == "Microsoft.Compute/virtualMachines" and resource.get("power") == \
            "starting":
        resource["power"] = "running"


# ---- DELETE ---------------------------------------------------------------------------------
def _check_subnet_unused(store, subnet):
    for nic, config in _nic_configs(store):
        if config["properties"].get("subnet", {}).get("id", "").lower() == subnet["id"].lower():
            raise ArmError(409, "InUseSubnetCannotBeDeleted",
                           f"Subnet {subnet['name']} is in use by {config['id']} and cannot be "
                           "deleted. In order to delete the subnet, delete all the resources "
                           "within the subnet.")


def check_delete(store, key, resource):
    if key == "microsoft.network/networkinterfaces":
        holder = resource["properties"].get("virtualMachine", {}).get("id")
        if holder:
            raise ArmError(409, "NicInUse",
                           f"Network Interface {resource['id']} is used by existing resource "
                           f"{holder}. In order to delete the network interface, it must be "
                           "dissociated from the resource.")
    elif key == "microsoft.network/virtualnetworks/subnets":
        _check_subnet_unused(store, resource)
    elif key == "microsoft.network/virtualnetworks":
        for subnet in store.children_of(resource["id"]):
            _check_subnet_unused(store, subnet)
    elif key == "microsoft.network/publicipaddresses":
        for nic, config in _nic_configs(store):
            if config["properties"].get("publicIPAddress", {}).get("id", "").lower() == \
                    resource["id"].lower():
                raise ArmError(409, "PublicIPAddressCannotBeDeleted",
                               f"Public IP address {resource['id']} can not be deleted since "
                               f"it is still allocated to resource {config['id']}.")
    elif key == "microsoft.network/networksecuritygroups":
        for other in store.resources.values():
            if other["properties"].get("networkSecurityGroup", {}).get("id", "").lower() == \
                    resource["id"].lower():
                raise ArmError(409, "InUseNetworkSecurityGroupCannotBeDeleted",
                               f"Network security group {resource['id']} cannot be deleted "
                               f"because it is in use by {other['id']}.")


def removed(store, key, resource):
    if key == "microsoft.compute/virtualmachines":
        for nic in store.resources.values():
            if nic["type"] == "Microsoft.Network/networkInterfaces" and \
                    nic["properties"].get("virtualMachine", {}).get("id", "").lower() == \
                    resource["id"].lower():
                nic["properties"].pop("virtualMachine", None)


# ---- views ----------------------------------------------------------------------------------
def view(store, resource, expand_instance_view=False):
    out = {k: copy.deepcopy(v) for k, v in resource.items()
           if not k.startswith("_") and k != "power"}
    props = out.setdefault("properties", {})
    kind = resource["type"]
    if kind.startswith("Microsoft.Network/"):
        out["etag"] = f'W/"{uuid.uuid5(uuid.NAMESPACE_URL, repr(resource))}"'
    if kind == "Microsoft.Network/virtualNetworks":
        props["subnets"] = [view(store, c) for c in store.children_of(resource["id"])
                            if c["type"] == "Microsoft.Network/virtualNetworks/subnets"]
    elif kind == "Microsoft.Network/virtualNetworks/subnets":
        users = [{"id": config["id"]} for _, config in _nic_configs(store)
                 if config["properties"].get("subnet", {}).get("id", "").lower() ==
                 resource["id"].lower()]
        if users:
            props["ipConfigurations"] = users
    elif kind == "Microsoft.Network/publicIPAddresses":
        for _, config in _nic_configs(store):
            if config["properties"].get("publicIPAddress", {}).get("id", "").lower() == \
                    resource["id"].lower():
                props["ipConfiguration"] = {"id": config["id"]}
    elif kind == "Microsoft.Compute/virtualMachines" and expand_instance_view:
        props["instanceView"] = instance_view(resource)
    return out


def instance_view(vm):
    provisioning = vm["properties"].get("provisioningState", "Succeeded")
    power = vm.get("power", "running")
    return {"computerName": (vm["properties"].get("osProfile") or {}).get("computerName",
                                                                           vm["name"]),
            "osName": "linux",
            "statuses": [{"code": f"ProvisioningState/{provisioning.lower()}", "level": "Info",
                          "displayStatus": f"Provisioning {provisioning.lower()}"},
                         {"code": f"PowerState/{power}", "level": "Info",
                          "displayStatus": f"VM {power}"}]}


def _now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()
