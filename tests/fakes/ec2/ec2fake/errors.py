"""The EC2 error type every handler raises; the server renders it as EC2's error XML."""


class Ec2Error(Exception):
    """An EC2 API error: HTTP status, EC2 error code and message, exactly as AWS would send them."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def not_found(kind: str, ident: str) -> Ec2Error:
    """The NotFound error AWS returns for an unknown id of the given resource kind."""
    code, text = _NOT_FOUND[kind]
    return Ec2Error(code, text.format(ident))


def malformed(kind: str, ident: str) -> Ec2Error:
    """The Malformed error AWS returns for an id that cannot be one of the given kind."""
    return Ec2Error(_MALFORMED.get(kind, "InvalidID"), f'Invalid id: "{ident}"')


def invalid_value(message: str) -> Ec2Error:
    return Ec2Error("InvalidParameterValue", message)


def dependency(message: str) -> Ec2Error:
    return Ec2Error("DependencyViolation", message)


_NOT_FOUND = {
    "instance": ("InvalidInstanceID.NotFound", "The instance ID '{}' does not exist"),
    "security-group": ("InvalidGroup.NotFound", "The security group '{}' does not exist"),
    "key-pair": ("InvalidKeyPair.NotFound", "The key pair '{}' does not exist"),
    "vpc": ("InvalidVpcID.NotFound", "The vpc ID '{}' does not exist"),
    "subnet": ("InvalidSubnetID.NotFound", "The subnet ID '{}' does not exist"),
    "internet-gateway": ("InvalidInternetGatewayID.NotFound",
                         "The internetGateway ID '{}' does not exist"),
    "route-table": ("InvalidRouteTableID.NotFound", "The routeTable ID '{}' does not exist"),
    "network-interface": ("InvalidNetworkInterfaceID.NotFound",
                          "The networkInterface ID '{}' does not exist"),
    "volume": ("InvalidVolume.NotFound", "The volume '{}' does not exist."),
    "image": ("InvalidAMIID.NotFound", "The image id '[{}]' does not exist"),
    "association": ("InvalidAssociationID.NotFound", "The association ID '{}' does not exist"),
    "resource": ("InvalidID", "The ID '{}' is not valid"),
}

_MALFORMED = {
    "instance": "InvalidInstanceID.Malformed", "security-group": "InvalidGroupId.Malformed",
    "vpc": "InvalidVpcID.Malformed", "subnet": "InvalidSubnetID.Malformed",
    "internet-gateway": "InvalidInternetGatewayId.Malformed",
    "route-table": "InvalidRouteTableId.Malformed",
    "network-interface": "InvalidNetworkInterfaceID.Malformed",
    "volume": "InvalidVolumeID.Malformed", "image": "InvalidAMIID.Malformed",
}
