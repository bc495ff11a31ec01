"""Entra ID token endpoints (client secret, federated assertion), managed identity (IMDS and
App Service shapes), the OIDC documents MSAL reads, and the bearer check of ARM requests.
Secrets, assertions and tokens are never logged."""
import secrets
import threading
import time
from urllib.parse import parse_qs

# Audiences ARM accepts: the scope's resource part (before "/.default") or `resource=`.
ARM_AUDIENCES = {"https://management.azure.com", "https://management.azure.com/",
                 "https://management.core.windows.net", "https://management.core.windows.net/"}
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
RESERVED_SCOPES = {"openid", "profile", "offline_access"}


class Auth:
    def __init__(self, config, clients, federated, tenant, managed_identity, identity_header):
        self.config = config
        self.clients = clients            # client id -> secret
        self.federated = federated        # client id -> assertion
        self.tenant = tenant              # None: any tenant
        self.managed_identity = managed_identity
        self.identity_header = identity_header
        self.lock = threading.Lock()
        self.tokens = {}                  # token -> expiry (epoch seconds)

    def issue(self):
        token = "armfake." + secrets.token_urlsafe(32)
        ttl = self.config["token_ttl_s"]
        with self.lock:
            self.tokens[token] = time.time() + ttl
        return token, ttl

    def expire_all(self):
        with self.lock:
            for token in self.tokens:
                self.tokens[token] = 0.0

    def check_bearer(self, header):
        """None when the Authorization header carries a live token, else (code, message)."""
        if not header:
            return ("AuthenticationFailed",
                    "Authentication failed. The 'Authorization' header is missing.")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return ("AuthenticationFailed",
                    "Authentication failed. The 'Authorization' header is provided in an "
                    "invalid format.")
        with self.lock:
            expiry = self.tokens.get(token.strip())
        if expiry is None:
            return ("InvalidAuthenticationToken", "The access token is invalid.")
        if expiry <= time.time():
            return ("ExpiredAuthenticationToken",
                    "The access token expiry UTC time is earlier than current UTC time.")
        return None

    # ---- Entra ID ------------------------------------------------------------------------
    def token_request(self, tenant, body):
        """POST /{tenant}/oauth2/v2.0/token: (status, json)."""
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace"),
                                             keep_blank_values=True).items()}
        if self.tenant and tenant.lower() not in (self.tenant.lower(), "organizations"):
            return 400, _aad("invalid_request", f"AADSTS90002: Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            return 400, _aad("unsupported_grant_type",
                             "AADSTS70003: The app requested an unsupported grant type.")
        scopes = [s for s in form.get("scope", "").split() if s not in RESERVED_SCOPES]
        if len(scopes) != 1 or not scopes[0].endswith("/.default") or \
                scopes[0][: -len("/.default")] not in ARM_AUDIENCES:
            return 400, _aad("invalid_scope",
                             f"AADSTS70011: The provided value for the input parameter 'scope' "
                             f"is not valid. The scope {' '.join(scopes)!r} is not valid.")
        client = form.get("client_id", "")
        if "client_assertion" in form:
            if form.get("client_assertion_type") != ASSERTION_TYPE:
                return 400, _aad("invalid_request",
                                 "AADSTS50027: Invalid client_assertion_type.")
            if client not in self.federated:
                return 400, _aad("unauthorized_client",
                                 f"AADSTS700016: Application with identifier '{client}' was not "
                                 "found in the directory.")
            if form["client_assertion"] != self.federated[client]:
                return 401, _aad("invalid_client",
                                 "AADSTS70021: No matching federated identity record found for "
                                 "presented assertion.")
        else:
            if client not in self.clients:
                return 400, _aad("unauthorized_client",
                                 f"AADSTS700016: Application with identifier '{client}' was not "
                                 "found in the directory.")
            if form.get("client_secret") != self.clients[client]:
                return 401, _aad("invalid_client",
                                 "AADSTS7000215: Invalid client secret provided. Ensure the "
                                 "secret being sent in the request is the client secret value, "
                                 "not the client secret ID.")
        token, ttl = self.issue()
        return 200, {"token_type": "Bearer", "expires_in": ttl, "ext_expires_in": ttl,
                     "access_token": token}

    def managed_identity_request(self, path, query, headers):
        """IMDS (/metadata/identity/oauth2/token, Metadata: true) and App Service
        (/msi/token, X-IDENTITY-HEADER)."""
        if path == "/metadata/identity/oauth2/token":
            if headers.get("metadata", "").lower() != "true":
                return 400, {"error": "invalid_request",
                             "error_description": "Required metadata header not specified"}
        elif headers.get("x-identity-header") is None or \
                headers.get("x-identity-header") != self.identity_header:
            return 401, {"error": "unauthorized",
                         "error_description": "X-IDENTITY-HEADER missing or wrong"}
        if not query.get("api-version"):
            return 400, {"error": "invalid_request",
                         "error_description": "Required query variable 'api-version' is missing"}
        if not self.managed_identity:
            return 400, {"error": "invalid_request", "error_description": "Identity not found"}
        resource = query.get("resource", "")
        if resource not in ARM_AUDIENCES:
            return 400, {"error": "invalid_resource",
                         "error_description": f"AADSTS500011: The resource principal named "
                                              f"{resource} was not found in the tenant."}
        token, ttl = self.issue()
        return 200, {"access_token": token, "expires_on": str(int(time.time()) + ttl),
                     "expires_in": str(ttl), "resource": resource, "token_type": "Bearer",
                     "client_id": "00000000-0000-0000-0000-00000000a11d"}


def openid_configuration(base, tenant):
    root = f"{base}/{tenant}"
    return {"token_endpoint": f"{root}/oauth2/v2.0/token",
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
            "issuer": f"{root}/v2.0", "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
            "token_endpoint_auth_methods_supported": ["client_secret_post",
                                                      "private_key_jwt", "client_secret_basic"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "tenant_region_scope": "WW", "cloud_instance_name": "microsoftonline.com"}


def instance_discovery(base, host, authorization_endpoint):
    """/common/discovery/instance: MSAL's instance check, pointing back at the fake."""
    tenant = "common"
    parts = authorization_endpoint.split("/")
    if len(parts) > 3 and parts[3]:
        tenant = parts[3]
    return {"tenant_discovery_endpoint": f"{base}/{tenant}/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host,
                          "aliases": [host]}]}


def _aad(error, description):
    return {"error": error, "error_description": description, "error_codes": [
        int(description[6:description.index(":")]) if description.startswith("AADSTS") else 0],
        "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
        "trace_id": secrets.token_hex(16), "correlation_id": secrets.token_hex(16)}
