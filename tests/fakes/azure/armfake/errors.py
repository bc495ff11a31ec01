"""ARM's error answer: {"error": {"code", "message"}} with an HTTP status."""


class ArmError(Exception):
    def __init__(self, status, code, message, headers=None, details=None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.details = details

    def body(self):
        error = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def not_found_group(name):
    return ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")


def not_found(type_name, name, group):
    return ArmError(404, "ResourceNotFound",
                    f"The Resource '{type_name}/{name}' under resource group '{group}' was not "
                    "found. For more details please go to https://aka.ms/ARMResourceNotFoundFix")
