"""What a handler returns, and OCI's pagination (`limit`, `page`, `opc-next-page`)."""
from .errors import invalid

LIST_MAX = 1000


class Answer:
    def __init__(self, status, body=None, headers=None, model=None):
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.model = model   # (package, model name) the body (or each list item) must fit


def page(config, query, items):
    """One page of `items` and the headers for it: `limit` (1..1000, default --page-size or
    1000) items from the opaque `page` token on, `opc-next-page` when more remain."""
    size = config["page_size"] or LIST_MAX
    limit = query.get("limit")
    if limit is not None:
        if not limit.isdigit() or not 1 <= int(limit) <= LIST_MAX:
            raise invalid(f"limit must be an integer from 1 to {LIST_MAX}.")
        size = int(limit)
    start = 0
    token = query.get("page")
    if token is not None:
        if not token.startswith("fakepage-") or not token[9:].isdigit():
            raise invalid("The page token is not valid.")
        start = int(token[9:])
    headers = {}
    if start + size < len(items):
        headers["opc-next-page"] = f"fakepage-{start + size}"
    return items[start:start + size], headers
