#!/usr/bin/python3
"""A stateful Azure Resource Manager fake over HTTPS on 127.0.0.1, with Entra ID and
managed-identity token endpoints; request bodies validated against Debian python3-azure's models.

Usage: /usr/bin/python3 arm_fake.py --port 0 --port-file FILE --tls-dir DIR [--log FILE]
           [--client ID=SECRET]... [--federated ID=ASSERTION]... [--tenant T]
           [--subscription S]... [--managed-identity] [--identity-header H] [--tls-host NAME]...
           [--seed FILE] [fault and timing flags, see README.md]
Writes DIR/ca.pem (the test CA), then the bound port to FILE once listening, and serves until
SIGTERM, SIGINT or the death of its parent process. See README.md.
"""
import os
import sys
import threading

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)

from armfake import models  # noqa: E402  (first: it puts common/ on sys.path)
from armfake.arm import Arm  # noqa: E402
from armfake.auth import Auth  # noqa: E402
from armfake.config import KEYS  # noqa: E402
from armfake.graph import Graph  # noqa: E402
from armfake.seed import seed  # noqa: E402
from armfake.server import Fake, Handler  # noqa: E402
from armfake.store import Store  # noqa: E402
import jsonfake  # noqa: E402

DEFAULT_SUBSCRIPTION = "00000000-0000-4000-8000-00000000a2f0"


def _arguments(argv):
    parser = jsonfake.argument_parser(__doc__.splitlines()[0], KEYS)
    parser.add_argument("--client", action="append", default=[], metavar="ID=SECRET",
                        help="a service principal with a client secret (repeatable)")
    parser.add_argument("--federated", action="append", default=[], metavar="ID=ASSERTION",
                        help="a workload identity: the client assertion it must present")
    parser.add_argument("--tenant", help="the only tenant accepted (default: any)")
    parser.add_argument("--subscription", action="append", default=[], metavar="ID",
                        help=f"a subscription the identities see (default {DEFAULT_SUBSCRIPTION})")
    parser.add_argument("--managed-identity", action="store_true",
                        help="answer the IMDS and App Service managed-identity endpoints")
    parser.add_argument("--identity-header", default="",
                        help="the X-IDENTITY-HEADER value /msi/token requires")
    return parser.parse_args(argv)


def _pairs(items, flag):
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise ValueError(f"{flag} wants ID=VALUE, got {item!r}")
        out[key] = value
    return out


def main(argv=None):
    args = _arguments(argv)
    try:
        config = jsonfake.fault_config(args, KEYS)
        clients = _pairs(args.client, "--client")
        federated = _pairs(args.federated, "--federated")
    except ValueError as err:
        print(f"arm_fake.py: {err}", file=sys.stderr)
        return 2
    tenant = args.tenant or "00000000-0000-4000-8000-0000000a2f00"
    store = Store(config, args.subscription or [DEFAULT_SUBSCRIPTION], tenant)
    initial = jsonfake.read_seed(args)
    if initial is not None:
        seed(store, initial)
    auth = Auth(config, clients, federated, args.tenant, args.managed_identity,
                args.identity_header)
    # The SDK models take about a second to import: do it while the first requests come in.
    threading.Thread(target=models.preload, daemon=True).start()
    return jsonfake.serve_https(args, Handler, Fake(store, Arm(store, Graph(store)), auth),
                                "labctl ARM fake test CA")


if __name__ == "__main__":
    sys.exit(main())
