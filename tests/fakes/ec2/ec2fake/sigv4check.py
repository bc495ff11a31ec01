"""The SigV4 shape check every request passes, and optional signature verification.

Verification recomputes the signature with botocore's own SigV4Auth pieces over exactly the
headers the client says it signed, at the client's X-Amz-Date, so a client whose signer differs
from botocore's in any byte is refused with SignatureDoesNotMatch.
"""
import calendar
import hmac
import re
import time

from .errors import Ec2Error

_AUTH = re.compile(r"AWS4-HMAC-SHA256 Credential=(?P<akid>[^/,\s]+)/(?P<date>\d{8})/"
                   r"(?P<region>[^/,\s]+)/(?P<service>[^/,\s]+)/aws4_request,\s*"
                   r"SignedHeaders=(?P<signed>[a-z0-9\-;.]+),\s*Signature=(?P<sig>[0-9a-f]{64})")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")


class Credential:
    def __init__(self, match, amz_date):
        self.access_key_id = match["akid"]
        self.date = match["date"]
        self.region = match["region"]
        self.service = match["service"]
        self.signed_headers = match["signed"].split(";")
        self.signature = match["sig"]
        self.amz_date = amz_date


def _auth_failure(message="AWS was not able to validate the provided access credentials"):
    return Ec2Error("AuthFailure", message, 401)


def parse(headers, max_skew_s=None, service="ec2"):
    """The request's credential scope; raises AuthFailure when the SigV4 shape is wrong.

    headers: lower-cased names -> values. With max_skew_s, an X-Amz-Date further than that from
    this machine's clock is RequestExpired, as in EC2 (off by default). service: the signing
    name the scope must carry (the STS fake passes "sts").
    """
    header = headers.get("authorization")
    if not header:
        raise _auth_failure("AWS was not able to validate the provided access credentials "
                            "(no Authorization header)")
    match = _AUTH.fullmatch(header.strip())
    if not match:
        raise Ec2Error("IncompleteSignature", "Authorization header requires 'Credential', "
                       "'SignedHeaders' and 'Signature' in the AWS4-HMAC-SHA256 form", 400)
    amz_date = headers.get("x-amz-date")
    if not amz_date or not re.fullmatch(r"\d{8}T\d{6}Z", amz_date):
        raise _auth_failure("AWS was not able to validate the provided access credentials "
                            "(missing or malformed X-Amz-Date)")
    if max_skew_s is not None:
        sent = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
        if abs(time.time() - sent) > max_skew_s:
            raise Ec2Error("RequestExpired", f"Request has expired. Timestamp date is "
                                             f"{amz_date}", 400)
    cred = Credential(match, amz_date)
    if cred.service != service:
        raise Ec2Error("SignatureDoesNotMatch", "Credential should be scoped to correct "
                       f"service: '{service}'.", 403)
    if not _REGION.fullmatch(cred.region):
        raise Ec2Error("SignatureDoesNotMatch", "Credential should be scoped to a valid region.",
                       403)
    if cred.date != amz_date[:8]:
        raise Ec2Error("SignatureDoesNotMatch", "Date in Credential scope does not match "
                       "YYYYMMDD from ISO-8601 version of date from HTTP.", 403)
    for needed in ("host", "x-amz-date"):
        if needed not in cred.signed_headers:
            raise Ec2Error("SignatureDoesNotMatch", f"The {needed} header must be signed.", 403)
    return cred


def verify(cred, secret, method, target, headers, body):
    """Raises SignatureDoesNotMatch unless botocore computes the same signature.

    target: the request line's path and query as received.
    """
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    signed = {}
    for name in cred.signed_headers:
        if name not in headers:
            raise Ec2Error("SignatureDoesNotMatch", f"Signed header {name} is missing.", 403)
        signed[name] = headers[name]
    request = AWSRequest(method=method, url="http://" + headers["host"] + target, data=body,
                         headers=signed)
    request.context["timestamp"] = cred.amz_date
    auth = SigV4Auth(Credentials(cred.access_key_id, secret, headers.get("x-amz-security-token")),
                     cred.service, cred.region)
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, cred.signature):
        raise Ec2Error("SignatureDoesNotMatch", "The request signature we calculated does not "
                       "match the signature you provided. Check your AWS Secret Access Key and "
                       "signing method. Consult the service documentation for details.", 403)


def verify_known(cred, secrets, unknown_key, method, target, headers, body):
    """Checks the signature with the secret of cred's key id when secrets are configured (none:
    the shape check alone); a key id not among them raises unknown_key (the service's own
    error for an unknown identity)."""
    if not secrets:
        return
    secret = secrets.get(cred.access_key_id)
    if secret is None:
        raise unknown_key
    verify(cred, secret, method, target, headers, body)
