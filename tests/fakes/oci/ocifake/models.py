"""Request bodies (and the fake's own answers) held to the model definitions of Oracle's
TypeScript SDK (npm oci-core, oci-identity, oci-resourcesearch), extracted once by
../extract_models.js into a JSON file (`--models`)."""
import json

from .errors import OciError

_UNKNOWN_ENUM = "UNKNOWN_VALUE"  # the SDK's catch-all for answers, never a valid request value


class Models:
    def __init__(self, path):
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        self.versions = {pkg: data[pkg]["version"] for pkg in data}
        self.packages = data
        # base model -> {discriminator key: {value: subtype}} per package
        self.subtypes = {}
        for pkg, content in data.items():
            table = self.subtypes.setdefault(pkg, {})
            for name, model in content["models"].items():
                for base in model.get("extends", []):
                    for key, value in model.get("discriminator", {}).items():
                        table.setdefault(base, {}).setdefault(key, {})[value] = name

    def fields(self, pkg, name):
        models = self.packages[pkg]["models"]
        if name not in models:
            raise KeyError(f"{pkg} has no model {name}")
        merged = {}
        for base in models[name].get("extends", []):
            merged.update(self.fields(pkg, base))
        merged.update(models[name]["fields"])
        return merged

    def problems(self, pkg, name, value, path="body"):
        """Every reason `value` (parsed JSON) does not fit model `name`, as "path: why"."""
        out = []
        self._model(pkg, name, value, path, out)
        return out

    def check_request(self, pkg, name, value):
        """Raises OCI's 400 for the first problem of a request body."""
        found = self.problems(pkg, name, value)
        if found:
            missing = [p for p in found if p.endswith("required field missing")]
            if missing:
                raise OciError(400, "MissingParameter", missing[0])
            raise OciError(400, "InvalidParameter", found[0])

    def _model(self, pkg, name, value, path, out):
        if not isinstance(value, dict):
            out.append(f"{path}: expected an object ({name}), got {_json_type(value)}")
            return
        dispatch = self.subtypes[pkg].get(name)
        if dispatch:  # a polymorphic base: the discriminator picks the subtype
            for key, variants in dispatch.items():
                chosen = variants.get(value.get(key))
                if chosen is None:
                    out.append(f"{path}.{key}: expected one of {sorted(variants)}, got "
                               f"{json.dumps(value.get(key))[:60]}")
                    return
                name = chosen
        fields = self.fields(pkg, name)
        for key, item in value.items():
            if key not in fields:
                out.append(f"{path}.{key}: unknown field of {name}")
            elif item is not None:
                self._type(pkg, fields[key]["type"], item, f"{path}.{key}", out)
        for key, spec in fields.items():
            if spec["required"] and value.get(key) is None:
                out.append(f"{path}.{key}: required field missing")

    def _type(self, pkg, kind, value, path, out):
        if kind == "any":
            return
        if kind in ("string", "date"):
            if not isinstance(value, str):
                out.append(f"{path}: expected string, got {_json_type(value)}")
        elif kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                out.append(f"{path}: expected number, got {_json_type(value)}")
        elif kind == "boolean":
            if not isinstance(value, bool):
                out.append(f"{path}: expected boolean, got {_json_type(value)}")
        elif "array" in kind:
            if not isinstance(value, list):
                out.append(f"{path}: expected array, got {_json_type(value)}")
                return
            for index, item in enumerate(value):
                self._type(pkg, kind["array"], item, f"{path}[{index}]", out)
        elif "map" in kind:
            if not isinstance(value, dict):
                out.append(f"{path}: expected object, got {_json_type(value)}")
                return
            for key, item in value.items():
                self._type(pkg, kind["map"], item, f"{path}.{key}", out)
        elif "ref" in kind:
            self._model(pkg, kind["ref"], value, path, out)
        elif "oneOf" in kind:
            self._one_of(pkg, kind["oneOf"], value, path, out)
        elif "enumRef" in kind:
            values = [v for v in self.packages[pkg]["enums"].get(kind["enumRef"], [])
                      if v != _UNKNOWN_ENUM]
            if not isinstance(value, str):
                out.append(f"{path}: expected string, got {_json_type(value)}")
            elif values and value not in values:
                out.append(f"{path}: expected one of {values}, got {value!r}")

    def _one_of(self, pkg, names, value, path, out):
        if not isinstance(value, dict):
            out.append(f"{path}: expected an object, got {_json_type(value)}")
            return
        models = self.packages[pkg]["models"]
        for name in names:
            for key, expected in models[name].get("discriminator", {}).items():
                if value.get(key) == expected:
                    self._model(pkg, name, value, path, out)
                    return
        keys = sorted({k for n in names for k in models[n].get("discriminator", {})})
        out.append(f"{path}: {'/'.join(keys) or 'discriminator'} matches none of {names}")


def _json_type(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
