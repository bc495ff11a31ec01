"""A stateful EC2 Query API fake held to botocore's EC2 service model (see ../README.md)."""
import os
import sys

# tests/fakes/common (httpfake, the HTTP plumbing the fakes share) on the path, whichever script
# imports this package (ec2_fake.py, sts_fake.py, arm_fake.py) and from wherever it runs.
_COMMON = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                        "common"))
if _COMMON not in sys.path:
    sys.path.insert(0, _COMMON)
