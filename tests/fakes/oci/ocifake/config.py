"""The OCI fake's timing and fault keys: the shared ones (tests/fakes/common/jsonfake.py) and
its own, each a command-line flag and the same key in POST /_fake/faults (see ../README.md)."""
import jsonfake  # tests/fakes/common, put on sys.path by this package's __init__
from jsonfake import Key

KEYS = {
    **jsonfake.FAULT_KEYS,
    "linger_search_s": Key(float, 0.0, "N"),  # search still returns deleted resources this long
}
