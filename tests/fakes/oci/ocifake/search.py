"""Resource Search 20180409: POST /20180409/resources with StructuredSearchDetails, answering
the subset of OCI's structured query language a janitor needs; anything else is a 400
InvalidParameter, never a wrong answer.

    query <type>[, <type>...] resources [return allAdditionalFields]
          [where <condition>] [sorted by <field> [asc|desc]]

`<type>` is `all` or an OCI search type (vcn, subnet, internetgateway, routetable,
securitylist, instance, vnic, privateip, bootvolume); conditions are `<field> = '<value>'` or
`<field> != '<value>'` joined by `&&`/`||` with parentheses, on displayName, lifecycleState,
compartmentId, identifier, availabilityDomain, and (`=` only) freeformTags.key /
freeformTags.value. As OCI documents, freeformTags.key and freeformTags.value conditions joined
by `&&` inside one pair of parentheses (or one `&&` chain) must hold for the same tag."""
import re

from .answers import Answer, page
from .errors import OciError, invalid

SEARCH = "oci-resourcesearch"
TYPES = {"vcn": "Vcn", "subnet": "Subnet", "internetgateway": "InternetGateway",
         "routetable": "RouteTable", "securitylist": "SecurityList", "instance": "Instance",
         "vnic": "Vnic", "privateip": "PrivateIp", "bootvolume": "BootVolume"}
_FIELDS = {"displayname": "displayName", "lifecyclestate": "lifecycleState",
           "compartmentid": "compartmentId", "identifier": "identifier",
           "availabilitydomain": "availabilityDomain"}
_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*')|(?P<op>&&|\|\||!=|=|\(|\)|,)|"
                    r"(?P<word>[A-Za-z_][A-Za-z0-9_.]*))")
_SORT = {"timecreated": "timeCreated", "displayname": "displayName"}


def _tokens(text):
    out, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise invalid(f"Cannot parse the query at offset {position} (OCI fake subset).")
        position = match.end()
        if match.group("str") is not None:
            out.append(("str", re.sub(r"\\(.)", r"\1", match.group("str")[1:-1])))
        elif match.group("op") is not None:
            out.append(("op", match.group("op")))
        else:
            out.append(("word", match.group("word")))
    return out


class _Parser:
    def __init__(self, text):
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self, kind=None, value=None):
        if self.at >= len(self.tokens):
            return None
        token = self.tokens[self.at]
        if kind and token[0] != kind:
            return None
        if value is not None and token[1].lower() != value:
            return None
        return token

    def take(self, kind=None, value=None, what="token"):
        token = self.peek(kind, value)
        if token is None:
            raise invalid(f"Query: expected {what} (OCI fake subset).")
        self.at += 1
        return token

    def query(self):
        self.take("word", "query", "'query'")
        types = [self.take("word", what="a resource type")[1].lower()]
        while self.peek("op", ","):
            self.take()
            types.append(self.take("word", what="a resource type")[1].lower())
        for name in types:
            if name != "all" and name not in TYPES:
                raise invalid(f"Query: unknown resource type '{name[:40]}'.")
        self.take("word", "resources", "'resources'")
        if self.peek("word", "return"):
            self.take()
            self.take("word", "alladditionalfields", "'allAdditionalFields'")
        condition = None
        if self.peek("word", "where"):
            self.take()
            condition = self.expression()
        sort = ("timeCreated", False)
        if self.peek("word", "sorted"):
            self.take()
            self.take("word", "by", "'by'")
            field = self.take("word", what="a sort field")[1].lower()
            if field not in _SORT:
                raise invalid(f"Query: cannot sort by '{field[:40]}' (OCI fake subset).")
            descending = False
            if self.peek("word", "asc") or self.peek("word", "desc"):
                descending = self.take()[1].lower() == "desc"
            sort = (_SORT[field], descending)
        if self.at != len(self.tokens):
            raise invalid("Query: unexpected text after the query (OCI fake subset).")
        kinds = set(TYPES.values()) if "all" in types else {TYPES[t] for t in types}
        return kinds, condition, sort

    def expression(self):
        terms = [self.conjunction()]
        while self.peek("op", "||"):
            self.take()
            terms.append(self.conjunction())
        return ("or", terms) if len(terms) > 1 else terms[0]

    def conjunction(self):
        terms = [self.term()]
        while self.peek("op", "&&"):
            self.take()
            terms.append(self.term())
        return ("and", terms) if len(terms) > 1 else terms[0]

    def term(self):
        if self.peek("op", "("):
            self.take()
            inner = self.expression()
            self.take("op", ")", "')'")
            return inner
        field = self.take("word", what="a field")[1]
        operator = self.take("op", what="'=' or '!='")[1]
        if operator not in ("=", "!="):
            raise invalid(f"Query: unsupported operator '{operator}' (OCI fake subset).")
        value = self.take("str", what="a quoted value")[1]
        lower = field.lower()
        if lower in ("freeformtags.key", "freeformtags.value"):
            if operator != "=":
                raise invalid("Query: freeformTags conditions support '=' only (OCI fake "
                              "subset).")
            return ("tag", lower.rsplit(".", 1)[1], value)
        if lower not in _FIELDS:
            raise invalid(f"Query: unsupported field '{field[:40]}' (OCI fake subset).")
        return ("field", _FIELDS[lower], operator, value)


def _holds(node, summary):
    kind = node[0]
    if kind == "field":
        _, field, operator, value = node
        actual = summary.get(field)
        if field == "lifecycleState":
            same = actual is not None and actual.lower() == value.lower()
        else:
            same = actual == value
        return same if operator == "=" else not same
    if kind == "tag":
        return _tag_group([node], summary)
    if kind == "or":
        return any(_holds(n, summary) for n in node[1])
    # "and": the tag conditions of one && chain bind to the same tag
    tags = [n for n in node[1] if n[0] == "tag"]
    return (not tags or _tag_group(tags, summary)) and \
        all(_holds(n, summary) for n in node[1] if n[0] != "tag")


def _tag_group(conditions, summary):
    for key, value in (summary.get("freeformTags") or {}).items():
        if all((key if part == "key" else value) == wanted for _, part, wanted in conditions):
            return True
    return False


class Search:
    def __init__(self, store, models):
        self.store = store
        self.models = models

    def summary(self, resource):
        """The ResourceSummary of a resource as it is now."""
        obj = resource.obj
        out = {"resourceType": resource.kind, "identifier": obj["id"],
               "compartmentId": obj.get("compartmentId") or self.store.tenancy,
               "timeCreated": obj.get("timeCreated"),
               "displayName": obj.get("displayName"),
               "freeformTags": dict(obj.get("freeformTags") or {}),
               "definedTags": dict(obj.get("definedTags") or {}), "systemTags": {},
               "identityContext": {}, "additionalDetails": {}}
        if obj.get("lifecycleState"):
            out["lifecycleState"] = obj["lifecycleState"]
        if obj.get("availabilityDomain"):
            out["availabilityDomain"] = obj["availabilityDomain"]
        return out

    def handle(self, request):
        details = request.json()
        self.models.check_request(SEARCH, "SearchDetails", details)
        if details["type"] != "Structured":
            raise OciError(400, "UnsupportedByFake", "The OCI fake answers Structured "
                                                     "searches only.")
        if details.get("matchingContextType") not in (None, "NONE"):
            raise OciError(400, "UnsupportedByFake", "The OCI fake does not return matching "
                                                     "context.")
        kinds, condition, (sort_field, descending) = _Parser(details["query"]).query()
        live = [self.summary(r) for r in list(self.store.resources.values())]
        seen = {s["identifier"] for s in live}
        every = live + [s for s in self.store.lingering() if s["identifier"] not in seen]
        found = [s for s in every if s["resourceType"] in kinds and
                 (condition is None or _holds(condition, s))]
        found.sort(key=lambda s: (s.get(sort_field) or "", s["identifier"]),
                   reverse=descending)
        chunk, headers = page(self.store.config, request.query, found)
        return Answer(200, {"items": chunk}, headers, (SEARCH, "ResourceSummaryCollection"))
