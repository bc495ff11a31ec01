#!/usr/bin/python3
"""A stateful EC2 Query API fake on 127.0.0.1, validated against botocore's EC2 service model.

Usage: /usr/bin/python3 ec2_fake.py --port 0 --port-file FILE [--log FILE]
           [--run-delay-ms 200] [--terminated-visible-s 60] [--verify-secret AKID=SECRET]...
           [--max-skew-s S] [--strict-render] [--keep-orphaned] [--linger-tags-s N]
           [--drop-create-tags TYPE]... [--ignore-keypair-id] [--filter-500 NAME]...
Writes the bound port to FILE once listening and serves until SIGTERM, SIGINT or the death of
its parent process. See README.md.
"""
import argparse
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ec2fake.engine import Fake  # noqa: E402  (first: it puts common/ on sys.path)
from ec2fake.model import DEFAULT_MODEL_PATH, ServiceModel  # noqa: E402
from ec2fake.server import FakeServer  # noqa: E402
from ec2fake.state import Config  # noqa: E402
from httpfake import serve  # noqa: E402  (sts_fake.py serves through ec2_fake.serve too)


def _arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks an ephemeral port")
    parser.add_argument("--port-file", required=True, help="written with the port once listening")
    parser.add_argument("--log", help="append one line per HTTP request here")
    parser.add_argument("--run-delay-ms", type=int, default=200,
                        help="time an instance spends in pending/stopping/shutting-down")
    parser.add_argument("--terminated-visible-s", type=float, default=60.0,
                        help="how long terminated instances stay in describes")
    parser.add_argument("--linger-tags-s", type=float, default=0.0, metavar="N",
                        help="DescribeTags keeps a removed resource's tags N seconds")
    parser.add_argument("--drop-create-tags", action="append", default=[], metavar="TYPE",
                        help="ignore TagSpecifications of this resource type (repeatable)")
    parser.add_argument("--ignore-keypair-id", action="store_true",
                        help="DeleteKeyPair by KeyPairId alone succeeds but deletes nothing")
    parser.add_argument("--filter-500", action="append", default=[], metavar="NAME",
                        help="a Describe* using this filter name answers 500 (repeatable)")
    parser.add_argument("--verify-secret", action="append", default=[], metavar="AKID=SECRET",
                        help="verify SigV4 signatures of this key (repeatable)")
    parser.add_argument("--max-skew-s", type=float,
                        help="refuse an X-Amz-Date this far from the clock (RequestExpired)")
    parser.add_argument("--keep-orphaned", action="store_true",
                        help="keep serving when the parent process dies (default: exit)")
    parser.add_argument("--model", default=DEFAULT_MODEL_PATH, help="botocore ec2 service-2.json")
    parser.add_argument("--strict-render", action="store_true",
                        help="fail a response whose data has members the output shape lacks")
    return parser.parse_args(argv)


def main(argv=None):
    args = _arguments(argv)
    secrets = dict(item.split("=", 1) for item in args.verify_secret)
    try:
        config = Config(args.run_delay_ms, args.terminated_visible_s, args.linger_tags_s,
                        args.drop_create_tags, args.ignore_keypair_id, args.filter_500)
    except ValueError as err:
        print(f"ec2_fake.py: {err}", file=sys.stderr)
        return 2
    fake = Fake(ServiceModel(args.model), config, secrets, args.strict_render, args.max_skew_s)
    server = FakeServer(("127.0.0.1", args.port), fake, args.log)
    return serve(server, args.port_file, args.keep_orphaned)

if __name__ == "__main__":
    sys.exit(main())
