"""ARM routing: api-version, subscriptions, resource groups, typed resources (PUT/GET/DELETE,
lists, VM actions), async operations and tag filters. Per-type rules live in resources.py."""
import copy
import datetime
import json
import re
from urllib.parse import urlencode

from . import models, resources
from .errors import ArmError, not_found, not_found_group

GROUP_TYPE = "Microsoft.Resources/resourceGroups"

# Namespace (lower case) -> api-versions accepted. The modelled one (models.MODEL_MODULES) is
# the only one accepted for writes; the others are what Debian's `az` 2.45 reads with.
API_VERSIONS = {
    "subscriptions": {"2021-01-01", "2022-12-01", "2019-11-01", "2016-06-01"},
    "microsoft.resources": {"2022-09-01", "2021-04-01", "2019-10-01"},
    "microsoft.network": {"2022-07-01", "2022-01-01", "2018-11-01"},
    "microsoft.compute": {"2022-08-01", "2022-11-01", "2020-06-01"},
    "microsoft.resourcegraph": {"2022-10-01", "2021-03-01"},
}
WRITE_VERSIONS = {"subscriptions": "2021-01-01", **{ns: v for ns, v in models.MODEL_MODULES}}


class Response:
    def __init__(self, status, body=None, headers=None):
        self.status = status
        self.body = body
        self.headers = headers or {}


class Request:
    def __init__(self, method, path, query, body, base):
        self.method = method
        self.segments = [s for s in path.split("/") if s]
        self.lower = [s.lower() for s in self.segments]
        self.query = query
        self.body = body
        self.base = base  # https://host:port, for Azure-AsyncOperation/Location/nextLink

    def json(self):
        try:
            value = json.loads(self.body.decode("utf-8")) if self.body.strip() else None
        except (ValueError, UnicodeDecodeError) as err:
            raise ArmError(400, "InvalidRequestContent", f"(body): not JSON: {err}") from None
        if value is None:
            raise ArmError(400, "InvalidRequestContent", "(body): a JSON body is required")
        return value


class Arm:
    def __init__(self, store, graph):
        self.store = store
        self.graph = graph
        self.group_deletes = 0

    # ---- entry ---------------------------------------------------------------------------
    def handle(self, request):
        store = self.store
        namespace = _namespace(request.lower)
        self._check_api_version(request, namespace)
        store.advance()
        with store.lock:
            return self._route(request, namespace)

    def _check_api_version(self, request, namespace):
        version = request.query.get("api-version")
        if not version:
            raise ArmError(400, "MissingApiVersionParameter",
                           "The api-version query parameter (?api-version=) is required for all "
                           "requests.")
        accepted = API_VERSIONS.get(namespace, set())
        if version not in accepted:
            raise ArmError(400, "InvalidApiVersionParameter",
                           f"The api-version '{version}' is invalid. The supported versions "
                           f"are '{', '.join(sorted(accepted))}'.")
        if request.method in ("PUT", "PATCH", "DELETE", "POST") and \
                version != WRITE_VERSIONS.get(namespace):
            raise ArmError(400, "InvalidApiVersionParameter",
                           f"The api-version '{version}' is accepted for reads only by this "
                           f"fake; write with '{WRITE_VERSIONS.get(namespace)}'.")

    def _route(self, r, namespace):
        seg, low, method = r.segments, r.lower, r.method
        if low == ["tenants"] and method == "GET":
            return Response(200, {"value": [{"id": f"/tenants/{self.store.tenant}",
                                             "tenantId": self.store.tenant,
                                             "tenantCategory": "Home"}]})
        if low == ["subscriptions"] and method == "GET":
            return self._page(r, [self._subscription(s) for s in self.store.subscriptions])
        if low[:3] == ["providers", "microsoft.resourcegraph", "resources"] and len(low) == 3 \
                and method == "POST":
            return self.graph.query(r)
        if len(low) < 2 or low[0] != "subscriptions":
            raise _unsupported(r)
        if len(low) > 6 and low[-4:] == ["providers", "microsoft.resources", "tags", "default"]:
            return self._tags_api(r, "/" + "/".join(seg[:-4]))
        sub = self._subscription_id(seg[1])
        rest, rest_low = seg[2:], low[2:]
        if not rest and method == "GET":
            return Response(200, self._subscription(sub))
        if rest_low == ["resourcegroups"] and method == "GET":
            return self._list(r, self._groups(sub), r.query.get("$filter"), groups=True)
        if rest_low == ["resources"] and method == "GET":
            return self._list(r, self._top_level(f"/subscriptions/{sub}"),
                              r.query.get("$filter"))
        if len(rest_low) == 2 and rest_low[0] == "operationresults" and method == "GET":
            return self._operation_result(r, rest[1])
        if len(rest_low) == 6 and rest_low[0] == "providers" and rest_low[2] == "locations" \
                and rest_low[4] in ("operations", "operationresults") and method == "GET":
            if rest_low[4] == "operations":
                return self._operation_status(rest[5])
            return self._operation_result(r, rest[5])
        if len(rest_low) == 3 and rest_low[0] == "providers" and method == "GET":
            key = f"{rest_low[1]}/{rest_low[2]}"
            return self._list(r, [x for x in self._top_level(f"/subscriptions/{sub}")
                                  if x["type"].lower() == key], None)
        if len(rest_low) >= 2 and rest_low[0] == "resourcegroups":
            return self._in_group(r, sub, rest[1], rest[2:], rest_low[2:])
        raise _unsupported(r)

    def _in_group(self, r, sub, group_name, rest, rest_low):
        method = r.method
        group_id = f"/subscriptions/{sub}/resourceGroups/{group_name}"
        if not rest:
            if method == "PUT":
                return self._put_group(r, group_id, group_name)
            if method in ("GET", "HEAD"):
                group = self._group(group_id, group_name)
                return Response(204 if method == "HEAD" else 200,
                                None if method == "HEAD" else _group_view(group))
            if method == "DELETE":
                return self._delete_group(r, group_id, group_name)
            raise _unsupported(r)
        group = self._group(group_id, group_name)
        if rest_low == ["resources"] and method == "GET":
            return self._list(r, self._top_level(group["id"]), r.query.get("$filter"))
        if len(rest_low) < 3 or rest_low[0] != "providers":
            raise _unsupported(r)
        key = f"{rest_low[1]}/{rest_low[2]}"
        base = f"{group['id']}/providers/{resources.canonical_type(key)}"
        names, names_low = rest[3:], rest_low[3:]
        if not names:
            if method == "GET" and key in resources.TYPES:
                return self._list(r, [x for x in self._top_level(group["id"])
                                      if x["type"].lower() == key], None)
            raise _unsupported(r)
        if key not in resources.TYPES:
            raise _unsupported(r)
        parent_id = f"{base}/{names[0]}"
        if len(names) == 1:
            return self._resource(r, key, parent_id, names[0], group)
        if len(names) == 2 and method == "GET" and names_low[1] == "instanceview" \
                and key == "microsoft.compute/virtualmachines":
            vm = self._existing(key, parent_id, names[0], group)
            return Response(200, resources.instance_view(vm))
        if len(names) == 2 and method == "POST" and key == "microsoft.compute/virtualmachines":
            vm = self._existing(key, parent_id, names[0], group)
            return self._vm_action(r, vm, names_low[1])
        child_key = f"{key}/{names_low[1]}"
        if child_key not in resources.TYPES:
            raise _unsupported(r)
        parent = self._existing(key, parent_id, names[0], group)
        if len(names) == 2 and method == "GET":
            return self._list(r, [resources.view(self.store, c)
                                  for c in self.store.children_of(parent["id"])
                                  if c["type"].lower() == child_key], None, raw=True)
        if len(names) == 3:
            child_id = f"{parent['id']}/{resources.canonical_type(child_key).split('/')[-1]}/" \
                       f"{names[2]}"
            return self._resource(r, child_key, child_id, names[2], group, parent)
        raise _unsupported(r)

    # ---- subscriptions and groups --------------------------------------------------------
    def _subscription_id(self, value):
        for sub in self.store.subscriptions:
            if sub.lower() == value.lower():
                return sub
        raise ArmError(404, "SubscriptionNotFound", f"The subscription '{value}' could not be "
                                                    "found.")

    def _subscription(self, sub):
        return {"id": f"/subscriptions/{sub}", "subscriptionId": sub,
                "tenantId": self.store.tenant, "displayName": f"labctl fake {sub[:8]}",
                "state": "Enabled", "authorizationSource": "RoleBased",
                "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01",
                                         "quotaId": "PayAsYouGo_2014-09-01",
                                         "spendingLimit": "Off"}}

    def _groups(self, sub):
        prefix = f"/subscriptions/{sub}/resourcegroups/".lower()
        return [r for key, r in self.store.resources.items()
                if key.startswith(prefix) and r["type"] == GROUP_TYPE]

    def _group(self, group_id, name):
        group = self.store.get(group_id)
        if group is None:
            raise not_found_group(name)
        return group

    def _put_group(self, r, group_id, name):
        body = r.json()
        _validate("microsoft.resources", "ResourceGroup", body)
        existing = self.store.get(group_id)
        if existing is not None and existing["properties"]["provisioningState"] == "Deleting":
            raise ArmError(409, "ResourceGroupBeingDeleted",
                           f"The resource group '{name}' is in deprovisioning state and cannot "
                           "perform this operation.")
        if existing is not None and existing["location"].lower() != body["location"].lower():
            raise ArmError(409, "InvalidResourceGroupLocation",
                           f"Invalid resource group location '{body['location']}'. The Resource "
                           f"group already exists in location '{existing['location']}'.")
        group = existing or {"id": group_id, "name": name, "type": GROUP_TYPE,
                             "location": body["location"], "properties": {}}
        group["tags"] = self._tags(GROUP_TYPE, body, existing)
        group["properties"] = {"provisioningState": "Succeeded"}
        if "managedBy" in body:
            group["managedBy"] = body["managedBy"]
        self.store.put(group)
        return Response(200 if existing else 201, _group_view(group))

    def _delete_group(self, r, group_id, name):
        group = self._group(group_id, name)
        config = self.store.config
        if self.group_deletes < config["conflict_on_delete"]:
            self.group_deletes += 1
            code = "ScopeLocked" if self.group_deletes % 2 else "AnotherOperationInProgress"
            raise ArmError(409, code, f"The resource group '{name}' cannot be deleted now "
                                      f"({code}, fault mode --conflict-on-delete).")
        self.group_deletes += 1
        group["properties"]["provisioningState"] = "Deleting"
        for child in self.store.children_of(group["id"]):
            child.setdefault("properties", {})["provisioningState"] = "Deleting"

        def done():
            for child in self.store.children_of(group["id"]):
                self.store.remove(child["id"])
            self.store.remove(group["id"])
        op = self.store.start_operation(done, "microsoft.resources", group["location"])
        sub = group["id"].split("/")[2]
        location = f"{r.base}/subscriptions/{sub}/operationresults/{op.id}?api-version=" \
                   f"{r.query['api-version']}"
        return Response(202, None, {"Location": location,
                                    "Retry-After": str(config["retry_after_s"])})

    # ---- typed resources -----------------------------------------------------------------
    def _existing(self, key, resource_id, name, group):
        resource = self.store.get(resource_id)
        if resource is None:
            raise not_found(resources.canonical_type(key), name, group["name"])
        return resource

    def _resource(self, r, key, resource_id, name, group, parent=None):
        if r.method == "GET":
            resource = self._existing(key, resource_id, name, group)
            expand = r.query.get("$expand", "").lower() == "instanceview"
            return Response(200, resources.view(self.store, resource, expand))
        if r.method == "PUT":
            return self._put(r, key, resource_id, name, group, parent)
        if r.method == "DELETE":
            return self._delete(r, key, resource_id, group)
        raise _unsupported(r)

    def _put(self, r, key, resource_id, name, group, parent):
        if group["properties"]["provisioningState"] == "Deleting":
            raise ArmError(409, "ResourceGroupBeingDeleted",
                           f"The resource group '{group['name']}' is in deprovisioning state "
                           "and cannot perform this operation.")
        spec = resources.TYPES[key]
        body = r.json()
        namespace = key.split("/")[0]
        _validate(namespace, spec.model, body)
        existing = self.store.get(resource_id)
        resource = {"id": existing["id"] if existing else resource_id,
                    "name": existing["name"] if existing else name, "type": spec.type}
        if not spec.child:
            resource["location"] = body.get("location") or (existing or group)["location"]
            resource["tags"] = self._tags(spec.type, body, existing)
            for extra in ("sku", "zones", "identity", "plan", "extendedLocation"):
                if extra in body:
                    resource[extra] = copy.deepcopy(body[extra])
        properties = copy.deepcopy(body.get("properties") or {})
        resources.prepare(self.store, key, resource, properties, existing, parent)
        creating = "Creating" if namespace == "microsoft.compute" and not existing else "Updating"
        properties["provisioningState"] = creating
        resource["properties"] = properties
        self.store.put(resource)
        resources.after_put(self.store, key, resource, existing)

        def done():
            current = self.store.get(resource["id"])
            if current is resource:
                resources.succeed(self.store, resource)
        op = self.store.start_operation(done, namespace, resource.get("location", "global"))
        # Real ARM often sends Retry-After with a PUT's 201 too; the fake always does.
        headers = {"Azure-AsyncOperation": self._op_url(r, namespace, op, "operations"),
                   "Retry-After": str(self.store.config["retry_after_s"])}
        return Response(200 if existing else 201, resources.view(self.store, resource),
                        headers)

    def _delete(self, r, key, resource_id, group):
        resource = self.store.get(resource_id)
        if resource is None:
            return Response(204)
        resources.check_delete(self.store, key, resource)
        resource["properties"]["provisioningState"] = "Deleting"

        def done():
            if self.store.get(resource["id"]) is resource:
                resources.removed(self.store, key, resource)
                for child in self.store.children_of(resource["id"]):
                    self.store.remove(child["id"])
                self.store.remove(resource["id"])
        namespace = key.split("/")[0]
        op = self.store.start_operation(done, namespace, resource.get("location", "global"))
        return Response(202, None, {
            "Azure-AsyncOperation": self._op_url(r, namespace, op, "operations"),
            "Location": self._op_url(r, namespace, op, "operationResults"),
            "Retry-After": str(self.store.config["retry_after_s"])})

    def _vm_action(self, r, vm, action):
        transitions = {"poweroff": ("stopping", "stopped"), "start": ("starting", "running"),
                       "deallocate": ("deallocating", "deallocated"),
                       "restart": ("starting", "running")}
        if action not in transitions:
            raise _unsupported(r)
        if vm["properties"]["provisioningState"] == "Deleting":
            raise ArmError(409, "OperationNotAllowed", "The virtual machine is being deleted.")
        during, after = transitions[action]
        vm["power"] = during

        def done():
            vm["power"] = after
        op = self.store.start_operation(done, "microsoft.compute", vm["location"])
        return Response(202, None, {
            "Azure-AsyncOperation": self._op_url(r, "microsoft.compute", op, "operations"),
            "Location": self._op_url(r, "microsoft.compute", op, "operationResults"),
            "Retry-After": str(self.store.config["retry_after_s"])})

    def _tags(self, type_name, body, existing):
        dropped = {t.lower() for t in self.store.config["drop_tags"]}
        if type_name.lower() in dropped or type_name.split("/")[-1].lower() in dropped:
            return dict(existing.get("tags", {})) if existing else {}
        return dict(body.get("tags") or {})

    def _tags_api(self, r, scope):
        """The tags of a group or resource: GET, PUT (TagsResource: replace), PATCH
        (TagsPatchResource: operation Merge/Replace/Delete). Synchronous, 200; not subject to
        --drop-tags."""
        parts = scope.split("/")
        self._subscription_id(parts[2])
        group = self._group("/".join(parts[:5]), parts[4])
        target = self.store.get(scope)
        if target is None:
            raise not_found("/".join(parts[6:8]) if len(parts) > 7 else GROUP_TYPE,
                            parts[-1], group["name"])
        tags = target.setdefault("tags", {})
        if r.method == "PUT":
            body = r.json()
            _validate("microsoft.resources", "TagsResource", body)
            target["tags"] = dict(body["properties"].get("tags") or {})
        elif r.method == "PATCH":
            body = r.json()
            _validate("microsoft.resources", "TagsPatchResource", body)
            given = dict((body.get("properties") or {}).get("tags") or {})
            operation = body.get("operation")
            if operation == "Merge":
                tags.update(given)
            elif operation == "Replace":
                target["tags"] = given
            elif operation == "Delete":
                for key, value in given.items():
                    if tags.get(key) == value:
                        del tags[key]
            else:
                raise ArmError(400, "InvalidRequestContent",
                               f"operation: {operation!r} is not Merge, Replace or Delete")
        elif r.method != "GET":
            raise _unsupported(r)
        return Response(200, {"id": f"{target['id']}/providers/Microsoft.Resources/tags/default",
                              "name": "default", "type": "Microsoft.Resources/tags",
                              "properties": {"tags": dict(target.get("tags") or {})}})

    # ---- operations ----------------------------------------------------------------------
    def _op_url(self, r, namespace, op, kind):
        sub = r.segments[1]
        provider = resources.canonical_namespace(namespace)
        return (f"{r.base}/subscriptions/{sub}/providers/{provider}/locations/"
                f"{op.location}/{kind}/{op.id}?api-version={r.query['api-version']}")

    def _operation(self, op_id):
        op = self.store.operations.get(op_id)
        if op is None:
            raise ArmError(404, "OperationNotFound", f"Operation '{op_id}' was not found.")
        return op

    def _operation_status(self, op_id):
        op = self._operation(op_id)
        body = {"name": op.id, "status": op.status,
                "startTime": _iso(op.started)}
        if op.ended:
            body["endTime"] = _iso(op.ended)
        return Response(200, body)

    def _operation_result(self, r, op_id):
        op = self._operation(op_id)
        if op.status == "InProgress":
            return Response(202, None, {"Location": f"{r.base}/{'/'.join(r.segments)}?"
                                                    f"{urlencode(r.query)}",
                                        "Retry-After": str(self.store.config["retry_after_s"])})
        return Response(200, None)

    # ---- lists and filters ---------------------------------------------------------------
    def _top_level(self, prefix):
        prefix = prefix.lower().rstrip("/") + "/"
        return [x for key, x in self.store.resources.items()
                if key.startswith(prefix) and x["type"] != GROUP_TYPE
                and x["type"].count("/") == 1]

    def _list(self, r, items, filter_text, groups=False, raw=False):
        clauses = _parse_filter(filter_text, groups)
        chosen = [x for x in items if _matches(x, clauses)]
        chosen.sort(key=lambda x: x["id"].lower())
        if raw:
            return self._page(r, chosen)
        if groups:
            return self._page(r, [_group_view(g) for g in chosen])
        if r.lower[-1] == "resources":
            return self._page(r, [_generic_view(x) for x in chosen])
        return self._page(r, [resources.view(self.store, x) for x in chosen])

    def _page(self, r, values):
        size = self.store.config["page_size"]
        if not size:
            return Response(200, {"value": values})
        try:
            start = int(r.query.get("$skiptoken", "0"))
        except ValueError:
            raise ArmError(400, "InvalidSkipToken", "The $skiptoken is not valid.") from None
        body = {"value": values[start:start + size]}
        if start + size < len(values):
            query = dict(r.query)
            query["$skiptoken"] = str(start + size)
            body["nextLink"] = f"{r.base}/{'/'.join(r.segments)}?{urlencode(query)}"
        return Response(200, body)


_CLAUSE = re.compile(r"^\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*$", re.IGNORECASE)


def _parse_filter(text, groups):
    """`tagName eq 'k' [and tagValue eq 'v']`, `resourceType eq 'T'`, `resourceGroup eq 'G'`,
    `name eq 'N'` joined by `and`; anything else is refused (400), never guessed."""
    if not text:
        return {}
    clauses = {}
    allowed = {"tagname", "tagvalue"} if groups else \
        {"tagname", "tagvalue", "resourcetype", "resourcegroup", "name"}
    for part in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        match = _CLAUSE.match(part)
        if not match or match.group(1).lower() not in allowed or \
                match.group(1).lower() in clauses:
            raise ArmError(400, "InvalidFilterInQueryString",
                           f"The $filter '{text}' is not supported (this fake understands "
                           f"{sorted(allowed)} with 'eq', joined by 'and').")
        clauses[match.group(1).lower()] = match.group(2).replace("''", "'")
    if "tagvalue" in clauses and "tagname" not in clauses:
        raise ArmError(400, "InvalidFilterInQueryString", "tagValue needs tagName.")
    return clauses


def _matches(resource, clauses):
    tags = {k.lower(): v for k, v in (resource.get("tags") or {}).items()}
    if "tagname" in clauses:
        name = clauses["tagname"].lower()
        if name not in tags:
            return False
        if "tagvalue" in clauses and tags[name] != clauses["tagvalue"]:
            return False
    if "resourcetype" in clauses and resource["type"].lower() != clauses["resourcetype"].lower():
        return False
    if "resourcegroup" in clauses and \
            resource["id"].split("/")[4].lower() != clauses["resourcegroup"].lower():
        return False
    if "name" in clauses and resource["name"].lower() != clauses["name"].lower():
        return False
    return True


def _namespace(lower):
    if lower == ["tenants"] or lower == ["subscriptions"] or \
            (len(lower) == 2 and lower[0] == "subscriptions"):
        return "subscriptions"
    if "providers" in lower:  # the last one: <resource id>/providers/Microsoft.Resources/tags
        index = len(lower) - 1 - lower[::-1].index("providers")
        if index + 1 < len(lower):
            return lower[index + 1]
    return "microsoft.resources"


def _validate(namespace, class_name, body):
    module = models.module_for(namespace, WRITE_VERSIONS[namespace])
    try:
        models.validate(module, class_name, body)
    except models.Invalid as err:
        raise ArmError(400, "InvalidRequestContent", str(err)) from None


def _group_view(group):
    view = {k: copy.deepcopy(group[k]) for k in ("id", "name", "type", "location", "properties")}
    view["tags"] = dict(group.get("tags") or {})
    if group.get("managedBy"):
        view["managedBy"] = group["managedBy"]
    return view


def _generic_view(resource):
    view = {k: copy.deepcopy(resource[k]) for k in ("id", "name", "type", "location")}
    view["tags"] = dict(resource.get("tags") or {})
    for extra in ("sku", "zones", "identity", "kind", "managedBy"):
        if extra in resource:
            view[extra] = copy.deepcopy(resource[extra])
    return view


def _iso(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).isoformat()


def _unsupported(r):
    return ArmError(400, "UnsupportedByFake",
                    f"{r.method} /{'/'.join(r.segments)} is not modelled by the ARM fake "
                    "(tests/fakes/azure/README.md lists what is).")

