"""Resource Graph (POST /providers/Microsoft.ResourceGraph/resources): the Kusto subset labctl
sends. Tables `Resources` and `ResourceContainers`; operators `where` (==, !=, =~, !~, <, <=,
>, >=, `in~`/`in` with a list, isempty/isnotempty, and/or/not, parentheses), `project`,
`union (query)`, `limit`/`take`. Anything else is a 400 (InvalidQuery), never a wrong answer."""
import re

from . import models
from .errors import ArmError

_TOKEN = re.compile(r"""\s*(?:(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?P<num>\d+)|
                    (?P<op>=~|!~|==|!=|<=|>=|<|>|\||\(|\)|\[|\]|,|\.)|
                    (?P<word>[A-Za-z_][A-Za-z0-9_~]*))""", re.VERBOSE)
COLUMNS = ("id", "name", "type", "tenantId", "kind", "location", "resourceGroup",
           "subscriptionId", "managedBy", "sku", "plan", "properties", "tags", "identity",
           "zones", "extendedLocation")


class QueryError(Exception):
    pass


def _tokens(text):
    position, out = 0, []
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise QueryError(f"unexpected character at {position}: {text[position:position+10]!r}")
        position = match.end()
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "str":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        out.append((kind, value))
    return out


class _Parser:
    def __init__(self, text):
        self.tokens = _tokens(text)
        self.i = 0

    def peek(self, value=None):
        if self.i >= len(self.tokens):
            return None
        token = self.tokens[self.i]
        if value is None or (token[0] in ("op", "word") and token[1].lower() == value):
            return token
        return None

    def take(self, value=None):
        token = self.peek(value)
        if token is None:
            found = self.tokens[self.i][1] if self.i < len(self.tokens) else "end of query"
            raise QueryError(f"expected {value or 'a token'}, found {found!r}")
        self.i += 1
        return token

    def query(self):
        word = self.take()
        if word[0] != "word":
            raise QueryError(f"expected a table, found {word[1]!r}")
        table = word[1].lower()
        if table == "union":
            plan = [("union", self._union_parts())]
        elif table in ("resources", "resourcecontainers"):
            plan = [("table", table)]
        else:
            raise QueryError(f"unknown table {word[1]!r}")
        while self.peek("|"):
            self.take("|")
            op = self.take()[1].lower()
            if op == "where":
                plan.append(("where", self.expr()))
            elif op == "project":
                columns = [self._column()]
                while self.peek(","):
                    self.take(",")
                    columns.append(self._column())
                plan.append(("project", columns))
            elif op == "union":
                plan.append(("union", self._union_parts()))
            elif op in ("limit", "take"):
                kind, value = self.take()
                if kind != "num":
                    raise QueryError(f"{op} needs a number")
                plan.append(("limit", int(value)))
            else:
                raise QueryError(f"operator {op!r} is not supported by the fake")
        return plan

    def _union_parts(self):
        parts = [self._sub()]
        while self.peek(","):
            self.take(",")
            parts.append(self._sub())
        return parts

    def _sub(self):
        self.take("(")
        plan = self.query()
        self.take(")")
        return plan

    def _column(self):
        kind, value = self.take()
        if kind != "word" or value not in COLUMNS:
            raise QueryError(f"unknown column {value!r}")
        return value

    def expr(self):
        node = self._and()
        while self.peek("or"):
            self.take("or")
            node = ("or", node, self._and())
        return node

    def _and(self):
        node = self._unary()
        while self.peek("and"):
            self.take("and")
            node = ("and", node, self._unary())
        return node

    def _unary(self):
        if self.peek("not"):
            self.take("not")
            self.take("(")
            inner = self.expr()
            self.take(")")
            return ("not", inner)
        if self.peek("("):
            self.take("(")
            inner = self.expr()
            self.take(")")
            return inner
        for call in ("isempty", "isnotempty"):
            if self.peek(call):
                self.take(call)
                self.take("(")
                value = self._value()
                self.take(")")
                return (call, value)
        left = self._value()
        kind, op = self.take()
        if kind == "word" and op.lower() in ("in~", "in"):
            self.take("(")
            items = [self._literal()]
            while self.peek(","):
                self.take(",")
                items.append(self._literal())
            self.take(")")
            return (op.lower(), left, items)
        if kind != "op" or op not in ("==", "!=", "=~", "!~", "<", "<=", ">", ">="):
            raise QueryError(f"unsupported comparison {op!r}")
        return (op, left, self._literal())

    def _literal(self):
        kind, value = self.take()
        if kind != "str":
            raise QueryError(f"expected a string literal, found {value!r}")
        return value

    def _value(self):
        if self.peek("tostring"):
            self.take("tostring")
            self.take("(")
            value = self._value()
            self.take(")")
            return value
        kind, name = self.take()
        if kind != "word" or name not in COLUMNS:
            raise QueryError(f"unknown column {name!r}")
        if name in ("tags", "properties") and self.peek("["):
            self.take("[")
            key = self._literal()
            self.take("]")
            return (name, key)
        if name in ("tags", "properties") and self.peek("."):
            self.take(".")
            kind, key = self.take()
            if kind != "word":
                raise QueryError("expected a name after '.'")
            return (name, key)
        return (name, None)


def _get(row, value):
    column, key = value
    item = row.get(column)
    if key is None:
        return item
    if not isinstance(item, dict):
        return None
    if column == "tags":  # tag names are case-insensitive in Azure
        for name, tag in item.items():
            if name.lower() == key.lower():
                return tag
        return None
    return item.get(key)


def _test(row, node):
    op = node[0]
    if op == "or":
        return _test(row, node[1]) or _test(row, node[2])
    if op == "and":
        return _test(row, node[1]) and _test(row, node[2])
    if op == "not":
        return not _test(row, node[1])
    if op in ("isempty", "isnotempty"):
        value = _get(row, node[1])
        empty = value is None or value == "" or value == {} or value == []
        return empty if op == "isempty" else not empty
    value = _get(row, node[1])
    text = "" if value is None else value if isinstance(value, str) else str(value)
    if op == "in~":
        return text.lower() in [v.lower() for v in node[2]]
    if op == "in":
        return text in node[2]
    literal = node[2]
    if op == "==":
        return text == literal
    if op == "!=":
        return text != literal
    if op == "=~":
        return text.lower() == literal.lower()
    if op == "!~":
        return text.lower() != literal.lower()
    if value is None:
        return False
    return {"<": text < literal, "<=": text <= literal, ">": text > literal,
            ">=": text >= literal}[op]


class Graph:
    def __init__(self, store):
        self.store = store

    def rows(self, table, subscriptions):
        store = self.store
        wanted = {s.lower() for s in subscriptions}
        items = list(store.resources.values()) + store.lingering()
        out = []
        for resource in items:
            parts = resource["id"].split("/")
            if len(parts) < 5 or parts[2].lower() not in wanted:
                continue
            is_group = resource["type"] == "Microsoft.Resources/resourceGroups"
            if (table == "resourcecontainers") != is_group:
                continue
            if not is_group and resource["type"].count("/") != 1:
                continue  # child resources (subnets) are not rows of their own
            out.append({
                "id": resource["id"], "name": resource["name"],
                "type": ("microsoft.resources/subscriptions/resourcegroups" if is_group
                         else resource["type"].lower()),
                "tenantId": store.tenant, "kind": resource.get("kind", ""),
                "location": resource.get("location", ""),
                "resourceGroup": parts[4].lower(), "subscriptionId": parts[2],
                "managedBy": resource.get("managedBy", ""), "sku": resource.get("sku"),
                "plan": None, "properties": resource.get("properties", {}),
                "tags": dict(resource.get("tags") or {}), "identity": None,
                "zones": resource.get("zones"), "extendedLocation": None})
        if table == "resourcecontainers":
            for sub in store.subscriptions:
                if sub.lower() in wanted:
                    out.append({"id": f"/subscriptions/{sub}", "name": sub,
                                "type": "microsoft.resources/subscriptions",
                                "tenantId": store.tenant, "kind": "", "location": "",
                                "resourceGroup": "", "subscriptionId": sub, "managedBy": "",
                                "sku": None, "plan": None, "properties": {"state": "Enabled"},
                                "tags": {}, "identity": None, "zones": None,
                                "extendedLocation": None})
        return out

    def run(self, plan, subscriptions):
        rows = []
        for step, arg in plan:
            if step == "table":
                rows = self.rows(arg, subscriptions)
            elif step == "union":
                for part in arg:
                    rows = rows + self.run(part, subscriptions)
            elif step == "where":
                rows = [r for r in rows if _test(r, arg)]
            elif step == "project":
                rows = [{c: r.get(c) for c in arg} for r in rows]
            elif step == "limit":
                rows = rows[:arg]
        return rows

    def query(self, request):
        body = request.json()
        module = models.module_for("microsoft.resourcegraph", "2022-10-01")
        try:
            models.validate(module, "QueryRequest", body)
        except models.Invalid as err:
            raise ArmError(400, "InvalidRequestContent", str(err)) from None
        options = body.get("options") or {}
        if options.get("resultFormat", "objectArray") != "objectArray":
            raise ArmError(400, "BadRequest", "only resultFormat objectArray is modelled")
        if body.get("managementGroups") or body.get("facets"):
            raise ArmError(400, "BadRequest", "managementGroups/facets are not modelled")
        subscriptions = body.get("subscriptions") or self.store.subscriptions
        unknown = [s for s in subscriptions
                   if s.lower() not in {x.lower() for x in self.store.subscriptions}]
        if unknown:
            raise ArmError(403, "AuthorizationFailed",
                           f"No access to subscriptions {unknown}")
        try:
            parser = _Parser(body["query"])
            plan = parser.query()
            if parser.i != len(parser.tokens):
                raise QueryError(f"unexpected {parser.tokens[parser.i][1]!r} after the query")
        except QueryError as err:
            raise _invalid_query(str(err)) from None
        rows = self.run(plan, subscriptions)
        skip = int(options.get("$skipToken") or options.get("$skip") or 0)
        top = options.get("$top") or 1000
        size = self.store.config["page_size"] or top
        page = rows[skip:skip + min(size, top)]
        answer = {"totalRecords": len(rows), "count": len(page), "data": page, "facets": [],
                  "resultTruncated": "false"}
        if skip + len(page) < len(rows) and len(page) == size:
            answer["$skipToken"] = str(skip + len(page))
        return _response(answer)


def _invalid_query(why):
    return ArmError(400, "BadRequest",
                    "Please provide below info when asking for support: timestamp, "
                    "correlationId.", details=[
                        {"code": "InvalidQuery",
                         "message": "Query is invalid. Please refer to the documentation for "
                                    "the Azure Resource Graph service and fix the error before "
                                    "retrying."},
                        {"code": "ParserFailure", "message": why}])


def _response(answer):
    from .arm import Response  # arm imports this module: resolved at call time
    return Response(200, answer)
