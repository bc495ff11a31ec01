#!/usr/bin/python3
"""A loopback IMDSv2 fake for labctl's credential-chain tests.

Serves the three calls of the instance-profile flow on 127.0.0.1 only:
  PUT /latest/api/token                                 (needs X-aws-ec2-metadata-token-ttl-seconds)
  GET /latest/meta-data/iam/security-credentials/       -> the role name
  GET /latest/meta-data/iam/security-credentials/ROLE   -> credentials JSON
GETs without the session token get 401, as IMDSv2 does. Every credentials fetch issues a new
access key id (ASIAFAKEIMDS0001, 0002, ...) expiring --expires-in seconds from now, so a test can
tell a cached answer from a refresh. GET /_fake/stats returns the counters as JSON, including
the number of TCP connections accepted (to check connection reuse).
Usage: imds_fake.py --port 0 --port-file F [--expires-in 3600] [--role lab-role] [--secret S]
"""
import argparse
import datetime
import json
import os
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CREDS_PATH = "/latest/meta-data/iam/security-credentials/"


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.tokens = set()
        self.stats = {"connections": 0, "token_puts": 0, "credential_fetches": 0,
                      "unauthorized": 0}


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # keep test output quiet
            pass

        def setup(self):  # once per TCP connection: lets tests check keep-alive reuse
            super().setup()
            with state.lock:
                state.stats["connections"] += 1

        def reply(self, status, body, content_type="text/plain"):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_PUT(self):
            if self.path != "/latest/api/token":
                return self.reply(404, "not found")
            if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                return self.reply(400, "missing ttl header")
            token = secrets.token_hex(16)
            with state.lock:
                state.tokens.add(token)
                state.stats["token_puts"] += 1
            self.reply(200, token)

        def do_GET(self):
            if self.path == "/_fake/stats":
                with state.lock:
                    return self.reply(200, json.dumps(state.stats), "application/json")
            with state.lock:
                authorised = self.headers.get("X-aws-ec2-metadata-token") in state.tokens
                if not authorised:
                    state.stats["unauthorized"] += 1
            if not authorised:
                return self.reply(401, "")
            if self.path == CREDS_PATH:
                return self.reply(200, state.args.role)
            if self.path == CREDS_PATH + state.args.role:
                with state.lock:
                    state.stats["credential_fetches"] += 1
                    serial = state.stats["credential_fetches"]
                expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
                    seconds=state.args.expires_in)
                body = {
                    "Code": "Success",
                    "LastUpdated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "Type": "AWS-HMAC",
                    "AccessKeyId": "ASIAFAKEIMDS%04d" % serial,
                    "SecretAccessKey": state.args.secret,
                    "Token": "fake-imds-token-%04d" % serial,
                    "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
                return self.reply(200, json.dumps(body), "application/json")
            self.reply(404, "not found")

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--expires-in", type=int, default=3600)
    parser.add_argument("--role", default="lab-role")
    parser.add_argument("--secret", default="fake-imds-secret")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(State(args)))
    temporary = args.port_file + ".tmp"
    with open(temporary, "w") as out:
        out.write(str(server.server_address[1]))
    os.replace(temporary, args.port_file)  # readers never see a half-written port
    server.serve_forever()


if __name__ == "__main__":
    main()
