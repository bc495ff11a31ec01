"""The HTTP plumbing the fakes under tests/fakes/ share (EC2, STS through ec2_fake.py, ARM, OCI):
a keep-alive request handler base, the request log file, and serving until a signal or the
parent's death. Standard library only: it is imported by /usr/bin/python3 and any python3 (the
HTTPS fakes' TLS, which needs python3-cryptography, is tlsfake.py beside it).

Each fake's package __init__ (ec2fake, armfake, ocifake) puts this folder on sys.path, so the import
works whichever script starts the fake and from whatever working directory."""
import os
import signal
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler


class RequestLog:
    """Appends one timestamped line per request to `path` (nothing when it is empty); safe to
    call from every connection thread."""

    def __init__(self, path=None):
        self._lock = threading.Lock()
        self._file = open(path, "a", encoding="utf-8") if path else None

    def write(self, line):
        if self._file:
            with self._lock:
                self._file.write(f"{time.strftime('%H:%M:%S')} {line}\n")
                self._file.flush()


class Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive; the server must have a `request_log` (a RequestLog)."""

    protocol_version = "HTTP/1.1"
    # Buffered output, flushed once per response, and no Nagle: separate small writes for
    # headers and body would otherwise cost a delayed-ACK round (~40 ms) on kept-alive sockets.
    wbufsize = 64 * 1024

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):  # noqa: A002  (signature of the base class)
        self.server.request_log.write(format % args)

    def read_body(self):
        """The request body: Content-Length bytes, or the chunks of a chunked body (trailers
        read and dropped)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_body(self, status, headers, body):
        """One response: status, `headers` (a dict), Content-Length, then `body` (bytes)."""
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def reset_connection(self):
        """Flushes what was written, then closes the connection with a TCP reset (SO_LINGER 0)
        instead of an orderly close: the client sees "connection reset by peer"."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _exit_with_parent(server):
    """A test killed with SIGKILL must not leave its fake behind: poll for re-parenting."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        server.shutdown()
    threading.Thread(target=watch, daemon=True).start()


def serve(server, port_file, keep_orphaned):
    """Serves until SIGTERM/SIGINT (or the parent's death unless keep_orphaned), after writing
    the bound port to port_file atomically ("file exists" means "listening"); returns 0."""
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    signal.signal(signal.SIGINT, lambda *_: threading.Thread(target=server.shutdown).start())
    if not keep_orphaned:
        _exit_with_parent(server)
    temporary = port_file + ".tmp"
    with open(temporary, "w", encoding="ascii") as handle:
        handle.write(f"{server.server_address[1]}\n")
    os.replace(temporary, port_file)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0
