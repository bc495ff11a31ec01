"""CreateTags, DeleteTags, DescribeTags over every kind of resource in the region."""
from . import filters
from .common import action, paginate, validate_tags
from .state import KINDS


def _targets(rs, ids):
    """All resources first, so an unknown id fails the call before anything changes (like EC2)."""
    return [rs.find_any(resource_id) for resource_id in ids]


@action("CreateTags")
def _create_tags(ctx, rs, p):
    tags = {t.get("Key", ""): t.get("Value", "") for t in p["Tags"]}
    for _, res in _targets(rs, p["Resources"]):
        merged = {**res["_tags"], **tags}
        validate_tags(merged)
    for _, res in _targets(rs, p["Resources"]):
        res["_tags"].update(tags)
    return {}


@action("DeleteTags")
def _delete_tags(ctx, rs, p):
    """No Tags: every tag goes; a Value given: the tag goes only if it has exactly that value."""
    for _, res in _targets(rs, p["Resources"]):
        if "Tags" not in p:
            res["_tags"].clear()
            continue
        for tag in p["Tags"]:
            key = tag.get("Key", "")
            if key in res["_tags"] and ("Value" not in tag or res["_tags"][key] == tag["Value"]):
                del res["_tags"][key]
    return {}


@action("DescribeTags")
def _describe_tags(ctx, rs, p):
    filters.check_names("tag", p.get("Filters"))
    rows = []
    for kind in KINDS:
        id_member = KINDS[kind][0]
        for res in rs.res[kind].values():
            for key, value in res["_tags"].items():
                row = {"Key": key, "ResourceId": res[id_member], "ResourceType": kind,
                       "Value": value}
                if filters.matches("tag", row, p.get("Filters")):
                    rows.append(row)
    page, token = paginate(ctx, rows, p)
    return {"Tags": page, "NextToken": token}
