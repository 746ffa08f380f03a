# shapes.py: the certificate shapes of the trust-safety property test, the
# certificates made for them (tests/tools/shapecert.c), the attacker's
# certificates signed with their keys, and a small TLS server that presents
# a shape on a free loopback port. Python 3 standard library only.
import hashlib
import itertools
import os
import random
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass

# The axes. basicConstraints and keyUsage (with the version) decide whether a
# key can sign other certificates: they are enumerated fully. The others
# decide whether and how the agent installs a certificate: they are sampled.
BCS = ["none", "false", "false-crit", "true", "true-crit", "true-pl0", "true-crit-pl0"]
KUS = ["none", "leaf", "sign"]
EKUS = ["none", "server", "client", "any"]
SANS = ["none", "dns", "wildcard", "ip"]
KEYS = ["ec", "rsa"]
VICTIM = "www.victimbank.example"


@dataclass
class Shape:
    ident: str
    version: int = 3
    bc: str = "false-crit"
    ku: str = "leaf"
    eku: str = "server"
    san: str = "dns"
    nc: bool = False
    key: str = "ec"
    chain: str = ""  # "": self-signed; "root-sent" or "root-not-sent": private CA + leaf

    @property
    def domain(self):
        return self.ident + ".example"

    @property
    def host(self):
        return "uccx." + self.domain

    def describe(self):
        if self.version == 1:
            what = "v1 (no extensions)"
        else:
            what = "v3 bc=%s ku=%s eku=%s san=%s nc=%s" % (
                self.bc, self.ku, self.eku, self.san, "yes" if self.nc else "no")
        what += " key=" + self.key
        if self.chain:
            what = "private CA (%s) + leaf %s" % (self.chain, what)
        return what

    def is_ca(self):
        """The presented certificate says CA:TRUE explicitly."""
        return self.version == 3 and self.bc.startswith("true")


def core_shapes(rng):
    """Every signing-relevant combination, each with installable values of
    the other axes (sampled), so that the agent really installs it."""
    out = [Shape("v1", version=1, key=rng.choice(KEYS))]
    for bc, ku in itertools.product(BCS, KUS):
        out.append(Shape("c-%s-%s" % (bc, ku), bc=bc, ku=ku, eku=rng.choice(["none", "server"]),
                         san=rng.choice(["dns", "wildcard"]), key=rng.choice(KEYS)))
    return out


def sampled_shapes(rng, count):
    """count shapes drawn from the whole product, every axis at random."""
    out = []
    for i in range(count):
        if rng.random() < 0.1:
            out.append(Shape("r%d-v1" % i, version=1, key=rng.choice(KEYS)))
            continue
        out.append(Shape("r%d" % i, bc=rng.choice(BCS), ku=rng.choice(KUS), eku=rng.choice(EKUS),
                         san=rng.choice(SANS), nc=rng.random() < 0.5, key=rng.choice(KEYS)))
    return out


def chain_shapes(rng, count):
    """Private CA + leaf, the root sent and not sent, the leaf's signing
    axes drawn at random (a leaf without CA:FALSE must not sign either)."""
    out = []
    for i in range(count):
        sent = "root-sent" if i % 2 == 0 else "root-not-sent"
        out.append(Shape("k%d" % i, bc=rng.choice(BCS), ku=rng.choice(KUS),
                         eku=rng.choice(["none", "server"]), san=rng.choice(["dns", "wildcard"]),
                         key=rng.choice(KEYS), chain=sent))
    return out


def full_shapes(rng):
    """--full: the whole product of the axes, and every chain leaf."""
    out = [Shape("v1-" + k, version=1, key=k) for k in KEYS]
    for bc, ku, eku, san, nc in itertools.product(BCS, KUS, EKUS, SANS, [False, True]):
        out.append(Shape("f-%s-%s-%s-%s-%d" % (bc, ku, eku, san, nc), bc=bc, ku=ku, eku=eku,
                         san=san, nc=nc, key=rng.choice(KEYS)))
    for bc, ku, sent in itertools.product(BCS, KUS, ["root-sent", "root-not-sent"]):
        out.append(Shape("fk-%s-%s-%s" % (bc, ku, sent), bc=bc, ku=ku, chain=sent,
                         key=rng.choice(KEYS)))
    return out


def pick_shapes(seed, full=False, sampled=8, chains=6):
    rng = random.Random(seed)
    if full:
        return full_shapes(rng)
    return core_shapes(rng) + sampled_shapes(rng, sampled) + chain_shapes(rng, chains)


# ---- certificates ------------------------------------------------------------

class Certs:
    """The files of one shape in DIR: srv (what the server presents first),
    ca (private CA shapes), and per signing key an attacker certificate for
    VICTIM with the chain an attacker would send."""

    def __init__(self, tool, shape, workdir):
        self.dir = os.path.join(workdir, shape.ident)
        os.makedirs(self.dir, exist_ok=True)
        self.shape = shape
        self.tool = tool
        self.srv = self._p("srv")
        self.ca = self._p("ca") if shape.chain else None
        self._make_genuine()
        # What the server sends, leaf first.
        self.served = [self.srv] + ([self.ca] if shape.chain == "root-sent" else [])
        self.served_pem = self._cat("served.pem", self.served)
        self.served_key = self.srv + ".key"
        # One attacker per key the server's chain holds.
        self.attackers = []
        for signer in [self.srv] + ([self.ca] if self.ca else []):
            name = "att-" + os.path.basename(signer)
            self._shapecert(name, ["cn=" + VICTIM, "san=DNS:" + VICTIM, "bc=false-crit",
                                   "ku=leaf", "eku=server", "issuer=" + signer])
            # The attacker sends its leaf and every certificate above it.
            sent = [self._p(name), signer] + ([self.ca] if signer == self.srv and self.ca else [])
            self.attackers.append((os.path.basename(signer), self._cat(name + "-chain.pem", sent),
                                   self._p(name) + ".key", sent))

    def _p(self, name):
        return os.path.join(self.dir, name)

    def _shapecert(self, name, args):
        subprocess.run([self.tool, self._p(name)] + args, check=True, timeout=60)

    def _make_genuine(self):
        s = self.shape
        if s.chain:
            self._shapecert("ca", ["cn=Property Root CA " + s.ident, "ou=root", "bc=true-crit",
                                   "ku=sign", "eku=none", "key=" + s.key])
        if s.version == 1:
            self._shapecert("srv", ["cn=" + s.host, "v=1", "key=" + s.key] +
                            (["issuer=" + self.ca] if s.chain else []))
            return
        bc, pathlen = s.bc, []
        if bc.endswith("-pl0"):
            bc, pathlen = bc[:-4], ["pathlen=0"]
        san = {"none": "none", "dns": "DNS:" + s.host, "wildcard": "DNS:*." + s.domain,
               # The agent takes names only: an address next to the name.
               "ip": "DNS:%s,IP:127.0.0.1" % s.host}[s.san]
        args = ["cn=" + s.host, "ou=" + s.ident, "bc=" + bc, "ku=" + s.ku, "eku=" + s.eku,
                "san=" + san, "key=" + s.key] + pathlen
        if s.nc:
            args.append("nc=" + s.domain)
        if s.chain:
            args.append("issuer=" + self.ca)
        self._shapecert("srv", args)

    def _cat(self, name, prefixes):
        path = self._p(name)
        with open(path, "w") as out:
            for p in prefixes:
                with open(p + ".pem") as f:
                    out.write(f.read())
        return path


def pem_sha256(prefix):
    """SHA-256 of the certificate PREFIX.pem, uppercase and colon-separated."""
    der = ssl.PEM_cert_to_DER_cert(open(prefix + ".pem").read())
    return ":".join("%02X" % b for b in hashlib.sha256(der).digest())


# ---- a TLS server on a free loopback port ----------------------------------------

class Server:
    """Presents chain_pem (leaf first) with key_pem on 127.0.0.1, a free
    port, and answers any request with a page naming `label`. Bounded: 10 s
    per connection, 8 KiB of request head; close() stops it."""

    def __init__(self, chain_pem, key_pem, label):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        # Wine's WinHTTP offers TLS 1.2 at most; browsers take 1.2 or 1.3.
        self.ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self.ctx.load_cert_chain(chain_pem, key_pem)
        self.label = label
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        conn.settimeout(10)
        try:
            with self.ctx.wrap_socket(conn, server_side=True) as tls:
                head = b""
                while b"\r\n\r\n" not in head and len(head) < 8192:
                    chunk = tls.recv(4096)
                    if not chunk:
                        return
                    head += chunk
                body = ('<html><head><title>property</title></head><body>'
                        '<p id="marker">PROPERTY-OK %s</p></body></html>' % self.label).encode()
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
                            b"Content-Length: %d\r\n\r\n" % len(body) + body)
        except (OSError, ssl.SSLError):
            pass  # a client that gives up on the certificate closes at once
        finally:
            conn.close()

    def close(self):
        self.running = False
        self.sock.close()
        self.thread.join(timeout=5)
