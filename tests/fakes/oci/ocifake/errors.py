"""OCI's error shape: HTTP status + {"code", "message"} (docs.oracle.com API Errors)."""


class OciError(Exception):
    def __init__(self, status, code, message, headers=None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self):
        return {"code": self.code, "message": self.message}


def not_found(what="resource"):
    return OciError(404, "NotAuthorizedOrNotFound",
                    f"Authorization failed or requested {what} not found.")


def invalid(message):
    return OciError(400, "InvalidParameter", message)


def missing(name):
    return OciError(400, "MissingParameter", f"Missing required parameter '{name}'.")
