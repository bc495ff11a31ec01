"""A throw-away test CA and a server certificate for 127.0.0.1 / localhost (openssl CLI)."""
import os
import ssl
import subprocess


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def make_certificates(directory, extra_hosts=()):
    """Writes ca.pem/ca.key and server.pem/server.key into `directory` (created if needed);
    the server certificate names 127.0.0.1 (IP SAN), localhost and `extra_hosts` (DNS SANs).
    Existing files are replaced: each fake instance has its own CA."""
    os.makedirs(directory, exist_ok=True)
    names = ["IP:127.0.0.1", "DNS:localhost"] + [f"DNS:{h}" for h in extra_hosts]
    with open(os.path.join(directory, "server.ext"), "w", encoding="ascii") as handle:
        handle.write("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                     "extendedKeyUsage=serverAuth\n"
                     f"subjectAltName={','.join(names)}\n")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
             "ca.pem", "-days", "2", "-subj", "/CN=labctl ARM fake test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out",
             "server.csr", "-subj", "/CN=127.0.0.1", cwd=directory)
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext",
             cwd=directory)


def server_context(directory):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(os.path.join(directory, "server.pem"),
                            os.path.join(directory, "server.key"))
    return context
