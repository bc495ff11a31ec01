"""The ARM fake's modules (see ../README.md)."""
import os
import sys

# tests/fakes/common (httpfake, tlsfake, jsonfake: what the fakes share) on the path,
# whichever script imports this package (arm_fake.py, a test) and from wherever it runs.
_COMMON = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                        "common"))
if _COMMON not in sys.path:
    sys.path.insert(0, _COMMON)
