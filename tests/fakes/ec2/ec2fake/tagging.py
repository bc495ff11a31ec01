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
    """Tags of every resource, then those of removed resources still lingering in the index
    (config.linger_tags_s)."""
    filters.check_names("tag", p.get("Filters"))
    tagged = [(kind, res[KINDS[kind][0]], res["_tags"])
              for kind in KINDS for res in rs.res[kind].values()]
    tagged += rs.lingering_tags(ctx.now)
    rows = []
    for kind, resource_id, tags in tagged:
        for key, value in tags.items():
            row = {"Key": key, "ResourceId": resource_id, "ResourceType": kind, "Value": value}
            if filters.matches("tag", row, p.get("Filters")):
                rows.append(row)
    page, token = paginate(ctx, rows, p)
    return {"Tags": page, "NextToken": token}
