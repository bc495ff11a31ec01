#!/usr/bin/python3
"""A stateful OCI fake (Core and Identity 20160918, Resource Search 20180409) over HTTPS on
127.0.0.1: every request's signature verified with the configured API key, request bodies held
to the model definitions of Oracle's TypeScript SDK (npm oci-core/oci-identity/
oci-resourcesearch, extracted by setup-npm.sh).

Usage: /usr/bin/python3 oci_fake.py --port 0 --port-file FILE --tls-dir DIR --models JSON
           --tenancy OCID --user OCID [--fingerprint FP] --public-key PEM [--region R]
           [--compartment OCID]... [--log FILE] [--seed FILE] [--tls-host NAME]...
           [--keep-orphaned] [fault and timing flags, see README.md]
Writes DIR/ca.pem (the test CA), then the bound port to FILE once listening, and serves until
SIGTERM, SIGINT or the death of its parent process. See README.md.
"""
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ocifake.config import KEYS  # noqa: E402  (first: its package puts common/ on sys.path)
from ocifake.core import Core  # noqa: E402
from ocifake.models import Models  # noqa: E402
from ocifake.search import Search  # noqa: E402
from ocifake.seed import seed  # noqa: E402
from ocifake.server import Fake, Handler  # noqa: E402
from ocifake.signing import Verifier  # noqa: E402
from ocifake.store import Store, now_rfc3339  # noqa: E402
import jsonfake  # noqa: E402

DEFAULT_COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaafakelabcompartment0000000000000000000000000"


def _arguments(argv):
    parser = jsonfake.argument_parser(__doc__.splitlines()[0], KEYS)
    parser.add_argument("--models", required=True,
                        help="oci-models.json written by setup-npm.sh (extract_models.js)")
    parser.add_argument("--tenancy", required=True, help="tenancy OCID (keyId part 1)")
    parser.add_argument("--user", required=True, help="user OCID (keyId part 2)")
    parser.add_argument("--fingerprint",
                        help="API key fingerprint (keyId part 3; default: the key's own)")
    parser.add_argument("--public-key", required=True, help="PEM public key of the API key")
    parser.add_argument("--region", default="us-ashburn-1")
    parser.add_argument("--compartment", action="append", default=[], metavar="OCID",
                        help=f"a compartment besides the tenancy (default {DEFAULT_COMPARTMENT})")
    return parser.parse_args(argv)


def _compartments(tenancy, extra):
    created = now_rfc3339()
    out = {tenancy: {"id": tenancy, "compartmentId": tenancy, "name": "fake-tenancy",
                     "description": "the tenancy (root compartment)", "timeCreated": created,
                     "lifecycleState": "ACTIVE", "freeformTags": {}, "definedTags": {}}}
    for index, ocid in enumerate(extra):
        out[ocid] = {"id": ocid, "compartmentId": tenancy, "name": f"fake-compartment-{index}",
                     "description": "a compartment of the OCI fake", "timeCreated": created,
                     "lifecycleState": "ACTIVE", "freeformTags": {}, "definedTags": {}}
    return out


def main(argv=None):
    args = _arguments(argv)
    try:
        config = jsonfake.fault_config(args, KEYS)
        with open(args.public_key, "rb") as handle:
            verifier = Verifier(args.tenancy, args.user, args.fingerprint, handle.read())
        models = Models(args.models)
    except (ValueError, OSError, KeyError) as err:
        print(f"oci_fake.py: {err}", file=sys.stderr)
        return 2
    store = Store(config, args.region, args.tenancy,
                  _compartments(args.tenancy, args.compartment or [DEFAULT_COMPARTMENT]))
    core = Core(store, models, Search(store, models))
    initial = jsonfake.read_seed(args)
    if initial is not None:
        seed(core, initial)
    return jsonfake.serve_https(args, Handler, Fake(core, verifier), "labctl OCI fake test CA")


if __name__ == "__main__":
    sys.exit(main())
