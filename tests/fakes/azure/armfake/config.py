"""The ARM fake's timing and fault keys: the shared ones (tests/fakes/common/jsonfake.py) and
its own, each a command-line flag and the same key in POST /_fake/faults (see ../README.md)."""
import jsonfake  # tests/fakes/common, put on sys.path by this package's __init__
from jsonfake import Key

KEYS = {
    **jsonfake.FAULT_KEYS,
    "retry_after_s": Key(int, 1),           # Retry-After on 201/202 answers and on 429
    "token_ttl_s": Key(int, 3599),          # lifetime of issued access tokens
    "linger_graph_s": Key(float, 0.0, "N"), # Resource Graph shows deleted resources this long
}
