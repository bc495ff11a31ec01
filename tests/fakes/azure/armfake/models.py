"""Request bodies held to Debian python3-azure's SDK models (msrest-style `_attribute_map` and
`_validation`): unknown properties, missing required ones and wrong JSON types are refused.

Read-only members (`readonly` in `_validation`) are accepted and ignored, as ARM does; a member
required but read-only is not required. Flattened keys ('properties.enableIPForwarding') nest in
the JSON. Polymorphic models (`_subtype_map`) are resolved by their discriminator value."""
import importlib
import re
import threading

# (namespace, api-version) -> SDK models module. Only these api-versions accept bodies.
MODEL_MODULES = {
    ("microsoft.resources", "2022-09-01"): "azure.mgmt.resource.resources.v2022_09_01.models",
    ("microsoft.network", "2022-07-01"): "azure.mgmt.network.v2022_07_01.models",
    ("microsoft.compute", "2022-08-01"): "azure.mgmt.compute.v2022_08_01.models",
    ("microsoft.resourcegraph", "2022-10-01"): "azure.mgmt.resourcegraph.models",
}

_lock = threading.Lock()
_modules = {}


def module_for(namespace, api_version):
    name = MODEL_MODULES.get((namespace, api_version))
    if name is None:
        return None
    with _lock:
        if name not in _modules:
            _modules[name] = importlib.import_module(name)
        return _modules[name]


def preload():
    for namespace, version in MODEL_MODULES:
        module_for(namespace, version)


class Invalid(Exception):
    """`path: why` for InvalidRequestContent."""


_UNESCAPED_DOT = re.compile(r"(?<!\\)\.")


def _key_path(key):
    return [part.replace("\\.", ".") for part in _UNESCAPED_DOT.split(key)]


def _tree(model):
    """The model's JSON shape: {json key: (type, attr) | subtree dict}."""
    tree = {}
    for attr, spec in model._attribute_map.items():
        node = tree
        parts = _key_path(spec["key"])
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = (spec["type"], attr)
    return tree


def validate(module, class_name, body):
    """Raises Invalid when `body` does not fit model `class_name` of `module`."""
    if not isinstance(body, dict):
        raise Invalid("(body): expected a JSON object")
    _check_model(module, getattr(module, class_name), body, "")


def _resolve_subtype(module, model, value):
    subtypes = getattr(model, "_subtype_map", None) or {}
    for key, mapping in subtypes.items():
        json_key = model._attribute_map[key]["key"]
        discriminator = value.get(json_key) if isinstance(value, dict) else None
        if discriminator in mapping:
            return getattr(module, mapping[discriminator])
    return model


def _check_model(module, model, value, path):
    if not isinstance(value, dict):
        raise Invalid(f"{path or '(body)'}: expected a JSON object for {model.__name__}")
    model = _resolve_subtype(module, model, value)
    validation = getattr(model, "_validation", {}) or {}
    _check_tree(module, model, _tree(model), value, path, validation)


def _check_tree(module, model, tree, value, path, validation):
    for key in value:
        if key not in tree:
            raise Invalid(f"{_join(path, key)}: unknown property of {model.__name__}")
    for key, node in tree.items():
        member = _join(path, key)
        present = key in value and value[key] is not None
        if isinstance(node, dict):
            if present:
                if not isinstance(value[key], dict):
                    raise Invalid(f"{member}: expected a JSON object")
                _check_tree(module, model, node, value[key], member, validation)
            else:
                _check_missing(node, member, validation)
            continue
        type_name, attr = node
        rules = validation.get(attr, {})
        if not present:
            if rules.get("required") and not rules.get("readonly"):
                raise Invalid(f"{member}: required property missing ({model.__name__})")
            continue
        if rules.get("readonly"):
            continue  # ARM ignores read-only members it is sent
        _check_type(module, type_name, value[key], member)


def _check_missing(tree, path, validation):
    for key, node in tree.items():
        if isinstance(node, dict):
            _check_missing(node, _join(path, key), validation)
            continue
        rules = validation.get(node[1], {})
        if rules.get("required") and not rules.get("readonly"):
            raise Invalid(f"{_join(path, key)}: required property missing")


_SCALARS = {
    "str": (str,), "bool": (bool,), "int": (int,), "long": (int,), "float": (int, float),
    "iso-8601": (str,), "rfc-1123": (str,), "duration": (str,), "date": (str,),
    "base64": (str,), "bytearray": (str,), "unix-time": (int,), "decimal": (int, float),
}


def _check_type(module, type_name, value, path):
    if type_name.startswith("[") and type_name.endswith("]"):
        if not isinstance(value, list):
            raise Invalid(f"{path}: expected a JSON array")
        for index, item in enumerate(value):
            if item is not None:
                _check_type(module, type_name[1:-1], item, f"{path}[{index}]")
        return
    if type_name.startswith("{") and type_name.endswith("}"):
        if not isinstance(value, dict):
            raise Invalid(f"{path}: expected a JSON object")
        for key, item in value.items():
            if item is not None:
                _check_type(module, type_name[1:-1], item, f"{path}.{key}")
        return
    if type_name == "object":
        return
    if type_name in _SCALARS:
        allowed = _SCALARS[type_name]
        if not isinstance(value, allowed) or (bool not in allowed and isinstance(value, bool)):
            raise Invalid(f"{path}: expected {type_name}, got {type(value).__name__}")
        return
    model = getattr(module, type_name, None)
    if model is None or not hasattr(model, "_attribute_map"):
        return  # an enum or a type this checker does not know: ARM checks values, we do not
    _check_model(module, model, value, path)


def _join(path, key):
    return f"{path}.{key}" if path else key
