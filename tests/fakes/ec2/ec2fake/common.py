"""Shared pieces of the action handlers: the registry, tag specifications, describe + paging."""
import base64
import json

from . import filters
from .errors import Ec2Error, invalid_value
from .state import KINDS

# action name -> handler(ctx, region_state, params) -> output dict (botocore form)
ACTIONS = {}


def action(name):
    def register(handler):
        ACTIONS[name] = handler
        return handler
    return register


def is_mutating(name):
    return not name.startswith(("Describe", "Get", "List"))


class Context:
    """What a handler may know about the request besides its parameters."""

    def __init__(self, model, action_name, now, access_key_id):
        self.model = model
        self.action = action_name
        self.now = now
        self.access_key_id = access_key_id


def validate_tags(tags):
    if len(tags) > 50:
        raise Ec2Error("TagLimitExceeded", "The maximum number of tags (50) was exceeded.")
    for key, value in tags.items():
        if key.lower().startswith("aws:"):
            raise invalid_value("Tag keys starting with 'aws:' are reserved for internal use")
        if not key or len(key) > 128 or len(value) > 256:
            raise invalid_value(f"Tag key or value of '{key}' has an invalid length")


def tag_specs(rs, params, allowed):
    """TagSpecifications as {resource type: {key: value}}; a type the call cannot tag is refused.

    Types in rs.config.drop_create_tags are validated, then silently left out (an endpoint that
    ignores create-time tags for them; CreateTags afterwards still works)."""
    out = {}
    for spec in params.get("TagSpecifications", []):
        kind = spec.get("ResourceType")
        if kind not in allowed:
            raise invalid_value(f"'{kind}' is not a valid taggable resource type for this "
                                f"operation.")
        tags = out.setdefault(kind, {})
        for tag in spec.get("Tags", []):
            tags[tag.get("Key", "")] = tag.get("Value", "")
        validate_tags(tags)
    return {kind: tags for kind, tags in out.items()
            if kind not in rs.config.drop_create_tags}


def _encode_token(offset):
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def _decode_token(token):
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["o"]
        if isinstance(offset, int) and offset >= 0:
            return offset
    except (ValueError, KeyError, TypeError):
        pass
    raise invalid_value(f"Invalid value '{token}' for nextToken")


def paginate(ctx, items, params):
    """One page of items and the NextToken for the next one (None on the last page)."""
    if not ctx.model.pages(ctx.action):
        return items, None
    start = _decode_token(params["NextToken"]) if params.get("NextToken") else 0
    limit = params.get("MaxResults")
    if limit is None:
        return items[start:], None
    low, high = ctx.model.max_results_bounds(ctx.action)
    if not low <= limit <= high:
        raise invalid_value(f"Value ( {limit} ) for parameter maxResults is invalid. "
                            f"Expecting a value between {low} and {high}.")
    end = start + limit
    return items[start:end], (_encode_token(end) if end < len(items) else None)


def describe(ctx, rs, kind, params, ids_member, select=None):
    """Views of the region's resources of `kind` filtered by ids, Filters and `select`.

    Every requested id must exist (EC2 fails the whole call with the NotFound code).
    """
    filters.check_names(kind, params.get("Filters"))
    wanted = params.get(ids_member) or []
    store = rs.res[kind]
    if wanted:
        if params.get("MaxResults") is not None and ctx.action == "DescribeInstances":
            raise Ec2Error("InvalidParameterCombination",
                           "The parameter instancesSet cannot be used with the parameter "
                           "maxResults")
        pool = [rs.get(kind, rid) for rid in dict.fromkeys(wanted)]
    else:
        pool = list(store.values())
    tag_member = KINDS[kind][2]
    views = []
    for res in pool:
        if select is not None and not select(res):
            continue
        view = rs.view(kind, res)
        if filters.matches(kind, view, params.get("Filters"), tag_member):
            views.append(view)
    return views
