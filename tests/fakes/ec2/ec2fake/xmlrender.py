"""Response XML generated from the model's OUTPUT shapes, so every action is shaped like EC2's.

Values are botocore-style dicts (member names, Python values). Each member is written under its
locationName; lists become <name><item>..</item></name>; keys starting with '_' are internal
state and never rendered. With strict=True any other key the shape lacks raises, which keeps the
handlers honest in the fake's own tests.
"""
import base64
import datetime
from xml.sax.saxutils import escape


def iso_time(epoch):
    stamp = datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


class Renderer:
    def __init__(self, model, strict=False):
        self.model = model
        self.strict = strict

    def response(self, action, output, request_id):
        parts = ['<?xml version="1.0" encoding="UTF-8"?>\n',
                 f'<{action}Response xmlns="{self.model.namespace}">',
                 f"<requestId>{request_id}</requestId>"]
        shape = self.model.output_shape(action)
        if shape is None:
            parts.append("<return>true</return>")
        else:
            self._members(shape, output or {}, parts)
        parts.append(f"</{action}Response>")
        return "".join(parts).encode("utf-8")

    def _members(self, shape_name, value, parts):
        members = self.model.shapes[shape_name]["members"]
        if self.strict:
            extra = [k for k in value if not k.startswith("_") and k not in members]
            if extra:
                raise KeyError(f"{shape_name} has no member(s) {extra}")
        for name, ref in members.items():
            if name in value and value[name] is not None:
                self._value(ref["shape"], value[name], ref.get("locationName", name), parts)

    def _value(self, shape_name, value, tag, parts):
        shape = self.model.shapes[shape_name]
        kind = shape["type"]
        if kind == "structure":
            parts.append(f"<{tag}>")
            self._members(shape_name, value, parts)
            parts.append(f"</{tag}>")
        elif kind == "list":
            if not value:
                parts.append(f"<{tag}/>")
                return
            member = shape["member"]
            item_tag = member.get("locationName", "item")
            parts.append(f"<{tag}>")
            for item in value:
                self._value(member["shape"], item, item_tag, parts)
            parts.append(f"</{tag}>")
        else:
            parts.append(f"<{tag}>{escape(_scalar_text(kind, value))}</{tag}>")


def _scalar_text(kind, value):
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp" and isinstance(value, (int, float)):
        return iso_time(value)
    if kind == "blob" and isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return str(value)


def error_xml(code, message, request_id):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Response><Errors><Error><Code>{escape(code)}</Code>"
            f"<Message>{escape(message)}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>").encode("utf-8")
