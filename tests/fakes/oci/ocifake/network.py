"""Address arithmetic: CIDR containment and overlap, and free addresses in a subnet."""
import ipaddress

from .errors import invalid


def network(cidr, what):
    try:
        return ipaddress.ip_network(cidr, strict=True)
    except (TypeError, ValueError):
        raise invalid(f"{what} '{str(cidr)[:60]}' is not a valid IPv4 CIDR block.") from None


def address(text, what):
    try:
        return ipaddress.ip_address(text)
    except (TypeError, ValueError):
        raise invalid(f"{what} '{str(text)[:60]}' is not a valid IP address.") from None


def usable(subnet_cidr):
    """OCI reserves the first two addresses and the last one of every subnet."""
    net = ipaddress.ip_network(subnet_cidr)
    return net.network_address + 2, net.broadcast_address - 1


def first_free(subnet_cidr, taken):
    low, high = usable(subnet_cidr)
    current = low
    while current <= high:
        if str(current) not in taken:
            return str(current)
        current += 1
    return None


def in_usable(subnet_cidr, ip):
    low, high = usable(subnet_cidr)
    return low <= ipaddress.ip_address(ip) <= high
