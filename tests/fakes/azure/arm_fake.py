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
import argparse
import json
import os
import sys
import threading

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
sys.path.insert(0, os.path.join(_HERE, "..", "ec2"))

import ec2_fake  # noqa: E402  (its serve(): port file, signals, exit with the parent)
from armfake import models, tls  # noqa: E402
from armfake.arm import Arm  # noqa: E402
from armfake.auth import Auth  # noqa: E402
from armfake.config import Config  # noqa: E402
from armfake.graph import Graph  # noqa: E402
from armfake.seed import seed  # noqa: E402
from armfake.server import ArmFakeServer, Fake  # noqa: E402
from armfake.store import Store  # noqa: E402

DEFAULT_SUBSCRIPTION = "00000000-0000-4000-8000-00000000a2f0"


def _arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks an ephemeral port")
    parser.add_argument("--port-file", required=True, help="written with the port once listening")
    parser.add_argument("--tls-dir", required=True,
                        help="the test CA (ca.pem) and server certificate are created here")
    parser.add_argument("--tls-host", action="append", default=[], metavar="NAME",
                        help="extra DNS name in the server certificate (repeatable)")
    parser.add_argument("--log", help="append one line per HTTP request here")
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
    parser.add_argument("--seed", help="a JSON file like POST /_fake/seed's body, loaded first")
    parser.add_argument("--keep-orphaned", action="store_true",
                        help="keep serving when the parent process dies (default: exit)")
    parser.add_argument("--op-delay-ms", type=int, default=200)
    parser.add_argument("--retry-after-s", type=int, default=1)
    parser.add_argument("--token-ttl-s", type=int, default=3599)
    parser.add_argument("--page-size", type=int, default=0)
    parser.add_argument("--throttle-every", type=int, default=0, metavar="N")
    parser.add_argument("--fail-5xx-every", type=int, default=0, metavar="N")
    parser.add_argument("--conflict-on-delete", type=int, default=0, metavar="N")
    parser.add_argument("--hang-path", action="append", default=[], metavar="SUBSTR")
    parser.add_argument("--reset-path", action="append", default=[], metavar="SUBSTR")
    parser.add_argument("--drop-tags", action="append", default=[], metavar="TYPE")
    parser.add_argument("--linger-graph-s", type=float, default=0.0, metavar="N")
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
        config = Config({k: getattr(args, k) for k in (
            "op_delay_ms", "retry_after_s", "token_ttl_s", "page_size", "throttle_every",
            "fail_5xx_every", "conflict_on_delete", "hang_path", "reset_path", "drop_tags",
            "linger_graph_s")})
        clients = _pairs(args.client, "--client")
        federated = _pairs(args.federated, "--federated")
    except ValueError as err:
        print(f"arm_fake.py: {err}", file=sys.stderr)
        return 2
    tenant = args.tenant or "00000000-0000-4000-8000-0000000a2f00"
    store = Store(config, args.subscription or [DEFAULT_SUBSCRIPTION], tenant)
    if args.seed:
        with open(args.seed, encoding="utf-8") as handle:
            seed(store, json.load(handle))
    auth = Auth(config, clients, federated, args.tenant, args.managed_identity,
                args.identity_header)
    fake = Fake(store, Arm(store, Graph(store)), auth)
    tls.make_certificates(args.tls_dir, args.tls_host)
    server = ArmFakeServer(("127.0.0.1", args.port), tls.server_context(args.tls_dir), fake,
                           args.log)
    # The SDK models take about a second to import: do it while the first requests come in.
    threading.Thread(target=models.preload, daemon=True).start()
    return ec2_fake.serve(server, args.port_file, args.keep_orphaned)


if __name__ == "__main__":
    sys.exit(main())
