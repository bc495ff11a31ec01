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
    """Writes each shape with a writer compiled once from the model (member order, location
    names and scalar kinds resolved up front): a 50-instance DescribeInstances answer is about
    4,000 values, and walking the model's dicts for every one of them made the fake, not the
    client under test, the slowest part of a busy run."""

    def __init__(self, model, strict=False):
        self.model = model
        self.strict = strict
        self._writers = {}  # shape name -> write(value, tag, parts)
        self._member_writers = {}  # structure shape name -> write_members(value, parts)

    def response(self, action, output, request_id):
        parts = ['<?xml version="1.0" encoding="UTF-8"?>\n',
                 f'<{action}Response xmlns="{self.model.namespace}">',
                 f"<requestId>{request_id}</requestId>"]
        shape = self.model.output_shape(action)
        if shape is None:
            parts.append("<return>true</return>")
        else:
            self._members_writer(shape)(output or {}, parts)
        parts.append(f"</{action}Response>")
        return "".join(parts).encode("utf-8")

    def _writer(self, shape_name):
        writer = self._writers.get(shape_name)
        if writer is None:
            writer = self._writers[shape_name] = self._compile(shape_name)
        return writer

    def _members_writer(self, shape_name):
        writer = self._member_writers.get(shape_name)
        if writer is None:
            writer = self._member_writers[shape_name] = self._compile_members(shape_name)
        return writer

    def _compile_members(self, shape_name):
        members = self.model.shapes[shape_name]["members"]
        strict = self.strict
        # (member name, XML tag, member writer), resolved at the first write so that recursive
        # shapes compile.
        plan = []

        def write_members(value, parts):
            if not plan:
                plan.extend((name, ref.get("locationName", name), self._writer(ref["shape"]))
                            for name, ref in members.items())
            if strict:
                extra = [k for k in value if not k.startswith("_") and k not in members]
                if extra:
                    raise KeyError(f"{shape_name} has no member(s) {extra}")
            for name, tag, write in plan:
                item = value.get(name)
                if item is not None:
                    write(item, tag, parts)
        return write_members

    def _compile(self, shape_name):
        shape = self.model.shapes[shape_name]
        kind = shape["type"]
        if kind == "structure":
            write_members = self._members_writer(shape_name)

            def write_structure(value, tag, parts):
                parts.append(f"<{tag}>")
                write_members(value, parts)
                parts.append(f"</{tag}>")
            return write_structure
        if kind == "list":
            member = shape["member"]
            item_tag, item_shape, writer = member.get("locationName", "item"), member["shape"], \
                self._writer

            def write_list(value, tag, parts):
                if not value:
                    parts.append(f"<{tag}/>")
                    return
                parts.append(f"<{tag}>")
                write_item = writer(item_shape)
                for item in value:
                    write_item(item, item_tag, parts)
                parts.append(f"</{tag}>")
            return write_list

        def write_scalar(value, tag, parts):
            text = value if type(value) is str else _scalar_text(kind, value)  # noqa: E721
            if "&" in text or "<" in text or ">" in text:
                text = escape(text)
            parts.append(f"<{tag}>{text}</{tag}>")
        return write_scalar


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
