"""botocore's EC2 service model: request validation and parsing in the ec2 query serialisation.

The allowed parameter names are derived from each operation's input shape the way botocore's
EC2Serializer forms them: a member's queryName, else its locationName with the first letter
capitalised, else the member name; structures nest with '.', lists append '.N' (N from 1).
"""
import base64
import binascii
import json

from .errors import Ec2Error

DEFAULT_MODEL_PATH = "/usr/lib/python3/dist-packages/botocore/data/ec2/2016-11-15/service-2.json"

# Bounds the EC2 docs state but the model leaves as a plain Integer.
_MAX_RESULTS_BOUNDS = {"DescribeInstances": (5, 1000)}

# Parsed values of these names never enter the idempotency fingerprint of a request.
_NON_SEMANTIC = ("ClientToken", "DryRun")


class _Node:
    """One level of the dotted parameter-name tree built from the flat form fields."""

    __slots__ = ("value", "children")

    def __init__(self):
        self.value = None
        self.children = {}


def _tree(flat):
    root = _Node()
    for key, value in flat.items():
        node = root
        for part in key.split("."):
            node = node.children.setdefault(part, _Node())
        node.value = value
    return root


def serialized_name(member_name, ref):
    if "queryName" in ref:
        return ref["queryName"]
    if "locationName" in ref:
        name = ref["locationName"]
        return name[0].upper() + name[1:]
    return member_name


class ServiceModel:
    """The EC2 service model loaded once; thread-safe after construction (read-only)."""

    def __init__(self, path=DEFAULT_MODEL_PATH):
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        self.shapes = data["shapes"]
        self.operations = data["operations"]
        self.api_version = data["metadata"]["apiVersion"]
        self.namespace = data["metadata"]["xmlNamespace"].rstrip("/") + "/"
        self._member_index = {}

    def has_action(self, action):
        return action in self.operations

    def output_shape(self, action):
        out = self.operations[action].get("output")
        return out["shape"] if out else None

    def input_members(self, action):
        shape = self.operations[action].get("input")
        return self.shapes[shape["shape"]]["members"] if shape else {}

    def pages(self, action):
        """True when the operation takes MaxResults and NextToken (the model's paging contract)."""
        members = self.input_members(action)
        return "MaxResults" in members and "NextToken" in members

    def max_results_bounds(self, action):
        if action in _MAX_RESULTS_BOUNDS:
            return _MAX_RESULTS_BOUNDS[action]
        ref = self.input_members(action).get("MaxResults")
        shape = self.shapes[ref["shape"]] if ref else {}
        return shape.get("min", 1), shape.get("max", 1000)

    def parse_request(self, action, flat):
        """Validates the flat form fields (Action and Version removed) against the input shape.

        Returns the parameters as botocore would hold them (member names, typed values).
        Raises Ec2Error UnknownParameter / MissingParameter / InvalidParameterValue like EC2.
        """
        op = self.operations[action]
        root = _tree(flat)
        if "input" not in op:
            if root.children:
                raise _unknown(next(iter(root.children)))
            return {}
        return self._parse(op["input"]["shape"], root, "")

    @staticmethod
    def fingerprint(params):
        """A stable digest of a request's semantic parameters (for ClientToken idempotency)."""
        kept = {k: v for k, v in params.items() if k not in _NON_SEMANTIC}
        return json.dumps(kept, sort_keys=True, default=lambda b: base64.b64encode(b).decode())

    def _index(self, shape_name):
        index = self._member_index.get(shape_name)
        if index is None:
            members = self.shapes[shape_name]["members"]
            index = {serialized_name(name, ref): (name, ref) for name, ref in members.items()}
            self._member_index[shape_name] = index
        return index

    def _parse(self, shape_name, node, path):
        shape = self.shapes[shape_name]
        kind = shape["type"]
        if kind == "structure":
            return self._parse_structure(shape_name, shape, node, path)
        if kind == "list":
            return self._parse_list(shape, node, path)
        if node.children:
            raise _unknown(path + "." + next(iter(node.children)))
        return _scalar(shape, node.value, path)

    def _parse_structure(self, shape_name, shape, node, path):
        if node.value not in (None, "") and path:
            raise _unknown(path)
        index = self._index(shape_name)
        prefix = path + "." if path else ""
        result = {}
        for token, child in node.children.items():
            entry = index.get(token)
            if entry is None:
                raise _unknown(prefix + token)
            name, ref = entry
            result[name] = self._parse(ref["shape"], child, prefix + token)
        for required in shape.get("required", []):
            if required not in result:
                ref = shape["members"][required]
                raise Ec2Error("MissingParameter", "The request must contain the parameter "
                               + prefix + serialized_name(required, ref))
        return result

    def _parse_list(self, shape, node, path):
        items = []
        for token, child in node.children.items():
            if not token.isdigit() or int(token) < 1:
                raise _unknown(path + "." + token)
            items.append((int(token), child))
        items.sort(key=lambda pair: pair[0])
        member = shape["member"]["shape"]
        return [self._parse(member, child, f"{path}.{pos}") for pos, child in items]


def _unknown(name):
    return Ec2Error("UnknownParameter", f"The parameter {name} is not recognized")


def _bad_value(value, path, expected):
    return Ec2Error("InvalidParameterValue",
                    f"Value ({value}) for parameter {path} is invalid. {expected}")


def _scalar(shape, value, path):
    kind = shape["type"]
    value = "" if value is None else value
    if kind == "string":
        allowed = shape.get("enum")
        if allowed and value not in allowed:
            listed = ", ".join(allowed[:12]) + (", ..." if len(allowed) > 12 else "")
            raise _bad_value(value, path, f"Allowed values: {listed}")
        return value
    if kind in ("integer", "long"):
        try:
            number = int(value)
        except ValueError:
            raise _bad_value(value, path, "Expected: 'Integer'.") from None
        if ("min" in shape and number < shape["min"]) or ("max" in shape and number > shape["max"]):
            raise _bad_value(value, path,
                             f"Expected a value between {shape.get('min')} and {shape.get('max')}.")
        return number
    if kind == "boolean":
        if value.lower() not in ("true", "false"):
            raise _bad_value(value, path, "Expected: 'true' or 'false'.")
        return value.lower() == "true"
    if kind in ("double", "float"):
        try:
            return float(value)
        except ValueError:
            raise _bad_value(value, path, "Expected: a number.") from None
    if kind == "blob":
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise _bad_value("...", path, "Expected: base64-encoded data.") from None
    return value
