"""Verification of OCI's request signatures (draft-cavage-http-signatures-08 as OCI profiles
it, docs.oracle.com/iaas/Content/API/Concepts/signingrequests.htm): `Authorization: Signature
version="1",keyId="<tenancy>/<user>/<fingerprint>",algorithm="rsa-sha256",headers="...",
signature="<base64>"`, RSA PKCS#1 v1.5 over SHA-256 of the signing string."""
import base64
import email.utils
import hashlib
import re
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from .errors import OciError

MAX_SKEW_S = 300
GENERIC = "The required information to complete authentication was not provided or was incorrect."
_PARAM = re.compile(r'\s*([A-Za-z]+)="([^"]*)"\s*(?:,|$)')
_ALWAYS = ("(request-target)", "host")
_BODY = ("content-length", "content-type", "x-content-sha256")
BODY_METHODS = ("POST", "PUT", "PATCH")


def _unauthenticated(reason):
    # OCI's code and generic message; the fake appends why (never a key or signature).
    return OciError(401, "NotAuthenticated", f"{GENERIC} ({reason})")


def key_fingerprint(public_key):
    """OCI's API key fingerprint: MD5 of the DER SubjectPublicKeyInfo, colon-separated hex."""
    der = public_key.public_bytes(serialization.Encoding.DER,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashlib.md5(der).hexdigest()  # noqa: S324  (OCI defines it so)
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


class Verifier:
    def __init__(self, tenancy, user, fingerprint, public_key_pem):
        """`fingerprint` None: the public key's own fingerprint (as OCI computes it)."""
        self.public_key = serialization.load_pem_public_key(public_key_pem)
        fingerprint = fingerprint or key_fingerprint(self.public_key)
        self.key_id = f"{tenancy}/{user}/{fingerprint}"

    def check(self, method, target, headers, body, now=None):
        """Raises OciError 401 unless the request is signed by the configured key. `target` is
        the path and query exactly as sent; `headers` lower-cased names."""
        now = time.time() if now is None else now
        authorization = headers.get("authorization", "")
        scheme, _, rest = authorization.partition(" ")
        if scheme.lower() != "signature":
            raise _unauthenticated("missing or non-Signature Authorization header")
        params = {}
        position = 0
        while position < len(rest):
            match = _PARAM.match(rest, position)
            if not match or match.end() == position:
                raise _unauthenticated("malformed Signature parameters")
            params[match.group(1)] = match.group(2)
            position = match.end()
        for name in ("keyId", "algorithm", "headers", "signature"):
            if name not in params:
                raise _unauthenticated(f"Signature without {name}")
        if params.get("version", "1") != "1":
            raise _unauthenticated("unsupported signature version")
        if params["algorithm"] != "rsa-sha256":
            raise _unauthenticated("algorithm must be rsa-sha256")
        if params["keyId"] != self.key_id:
            raise _unauthenticated("unknown keyId")
        signed = params["headers"].lower().split()
        date_name = "x-date" if "x-date" in signed else "date"
        required = [date_name, *_ALWAYS] + (list(_BODY) if method in BODY_METHODS else [])
        for name in required:
            if name not in signed:
                raise _unauthenticated(f"the signature must cover '{name}'")
        lines = []
        for name in signed:
            if name == "(request-target)":
                lines.append(f"(request-target): {method.lower()} {target}")
                continue
            if name not in headers:
                raise _unauthenticated(f"signed header '{name}' is missing")
            lines.append(f"{name}: {headers[name]}")
        try:
            sent = email.utils.parsedate_to_datetime(headers[date_name]).timestamp()
        except (TypeError, ValueError, IndexError):
            raise _unauthenticated(f"unparsable {date_name} header") from None
        if abs(now - sent) > MAX_SKEW_S:
            raise _unauthenticated(f"{date_name} is more than {MAX_SKEW_S} s from the server's "
                                   "clock")
        if method in BODY_METHODS:
            digest = base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")
            if headers["x-content-sha256"] != digest:
                raise _unauthenticated("x-content-sha256 does not match the body")
            if headers["content-length"].strip() != str(len(body)):
                raise _unauthenticated("content-length does not match the body")
        try:
            signature = base64.b64decode(params["signature"], validate=True)
            self.public_key.verify(signature, "\n".join(lines).encode("utf-8"),
                                   padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            raise _unauthenticated("signature does not verify") from None
