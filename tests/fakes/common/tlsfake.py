"""The TLS the HTTPS fakes share (ARM, OCI): a throw-away test CA with a server certificate for
127.0.0.1 / localhost, made in-process with python3-cryptography, and a threading HTTPS server
that does each TLS handshake in the connection's own thread. Needs Debian's python3-cryptography:
run the fakes that import it with /usr/bin/python3.

Each fake's package __init__ (armfake, ocifake) puts this folder on sys.path."""
import datetime
import ipaddress
import os
import ssl
import threading
from http.server import ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import httpfake

_VALIDITY = datetime.timedelta(days=2)
_CLOCK_SKEW = datetime.timedelta(minutes=5)


def _key():
    # P-256: milliseconds to make (an RSA-2048 pair takes ~0.3 s, far more on a loaded CI box).
    # libcurl, Python requests (az) and Node accept it in a server chain.
    return ec.generate_private_key(ec.SECP256R1())


def _write(path, data):
    with open(path, "wb") as handle:
        handle.write(data)


def make_certificates(directory, extra_hosts=(), ca_name="labctl fake test CA"):
    """Writes ca.pem and server.pem/server.key into `directory` (created if needed); the server
    certificate names 127.0.0.1 (IP SAN), localhost and `extra_hosts` (DNS SANs). Existing files
    are replaced: each fake instance has its own CA (its key is never written). Both
    certificates carry what strict verifiers (OpenSSL's X509_V_FLAG_X509_STRICT, which newer
    Pythons turn on) ask for: critical basicConstraints and keyUsage, key identifiers."""
    os.makedirs(directory, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, server_key = _key(), _key()
    ca_subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ca_name)])
    ca = (x509.CertificateBuilder().subject_name(ca_subject).issuer_name(ca_subject)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - _CLOCK_SKEW).not_valid_after(now + _VALIDITY)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, key_cert_sign=True, crl_sign=True,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    names += [x509.DNSName(host) for host in extra_hosts]
    server = (x509.CertificateBuilder()
              .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
              .issuer_name(ca_subject).public_key(server_key.public_key())
              .serial_number(x509.random_serial_number())
              .not_valid_before(now - _CLOCK_SKEW).not_valid_after(now + _VALIDITY)
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                           key_encipherment=False, data_encipherment=False,
                                           key_agreement=False, key_cert_sign=False,
                                           crl_sign=False, encipher_only=False,
                                           decipher_only=False), critical=True)
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                             critical=False)
              .add_extension(x509.SubjectAlternativeName(names), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                  ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))
    _write(os.path.join(directory, "ca.pem"), ca.public_bytes(serialization.Encoding.PEM))
    _write(os.path.join(directory, "server.pem"), server.public_bytes(serialization.Encoding.PEM))
    _write(os.path.join(directory, "server.key"), server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))


def server_context(directory):
    """A TLS 1.2+ server context with the certificate make_certificates wrote in `directory`."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(os.path.join(directory, "server.pem"),
                            os.path.join(directory, "server.key"))
    return context


class TlsServer(ThreadingHTTPServer):
    """A thread per connection, each doing its own TLS handshake with a time limit, so a client
    that never speaks TLS cannot hold up other connections. Handlers reach their fake as
    `server.fake`, and may wait on `server.stopping` (set by shutdown) to hang a request."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, handler, context, fake, log_path=None):
        super().__init__(address, handler)
        self.context = context
        self.fake = fake
        self.stopping = threading.Event()
        self.request_log = httpfake.RequestLog(log_path)

    def finish_request(self, request, client_address):
        request.settimeout(30)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def shutdown(self):
        self.stopping.set()
        super().shutdown()
