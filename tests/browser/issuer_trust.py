# issuer_trust.py: what real Chromium and Firefox ESR do with a server
# certificate that does not say CA:FALSE (v3 without basicConstraints, X.509
# v1, a private CA's leaf without basicConstraints), for each NSS trust the
# agent could give it, and whether its key then signs for another name (the
# attack: a certificate for www.victimbank.example signed by the server's
# key). Then the real agent installs each shape and the browsers must load
# the server and refuse the attack. Lab and attacker on free loopback ports;
# names reach them through --host-resolver-rules and network.dns.forceResolve.
# Run by test_issuer_trust.sh; prints a Markdown table of what was measured.
import argparse
import http.server
import os
import signal
import socketserver
import ssl
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import marionette  # noqa: E402
from chromium_cdp import BrowserError, Chromium  # noqa: E402
from marionette import Firefox  # noqa: E402

HOST = "uccx1.lab.example"
VICTIM = "www.victimbank.example"
RESULTS = []
FAILED = []


def run(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=60, **kw)


def check(cond, what):
    print(("ok - " if cond else "not ok - ") + what, flush=True)
    if not cond:
        FAILED.append(what)


class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'<html><body><p id="marker">ATTACK-OK</p></body></html>'
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Attacker(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """An HTTPS server on a free loopback port presenting chain_pem."""
    daemon_threads = True

    def __init__(self, chain_pem, key_pem):
        super().__init__(("127.0.0.1", 0), Page)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(chain_pem, key_pem)
        self.socket = ctx.wrap_socket(self.socket, server_side=True)
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.2})
        self.thread.start()

    def stop(self):
        self.shutdown()
        self.server_close()
        self.thread.join(10)


def attack_chain(work, name, leaf_pem, leaf_key):
    """A certificate for VICTIM signed by the server's key, with that
    server certificate after it (as an attacker would send it)."""
    key = os.path.join(work, name + "-victim.key")
    csr = os.path.join(work, name + "-victim.csr")
    ext = os.path.join(work, name + "-victim.ext")
    cert = os.path.join(work, name + "-victim.pem")
    run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", key, "-subj", "/CN=" + VICTIM, "-out", csr)
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:%s\nbasicConstraints=critical,CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n" % VICTIM)
    run("openssl", "x509", "-req", "-in", csr, "-CA", leaf_pem, "-CAkey", leaf_key,
        "-extfile", ext, "-days", "30", "-out", cert)
    with open(cert, "a") as out, open(leaf_pem) as leaf:
        out.write(leaf.read())
    return cert, key


def new_db(path):
    os.makedirs(path, exist_ok=True)
    run("certutil", "-N", "-d", "sql:" + path, "--empty-password")


def fingerprint(pem):
    out = run("openssl", "x509", "-in", pem, "-noout", "-fingerprint", "-sha256").stdout
    return out.strip().split("=", 1)[1]


class Lab:
    def __init__(self, build, work, scenario):
        self.dir = os.path.join(work, "lab-" + scenario)
        self.lab = os.path.join(build, "tests", "uccx-lab")
        run(self.lab, "--scenario", scenario, "--out", self.dir, "--daemon")
        with open(os.path.join(self.dir, "connect-to.txt")) as f:
            self.port = next(int(line.split(":")[3]) for line in f
                             if line.startswith(HOST + ":8445:"))
        self.leaf = os.path.join(self.dir, "leaf.pem")
        with open(os.path.join(self.dir, HOST + "-8445.pem")) as f:
            first = f.read().split("-----END CERTIFICATE-----")[0]
        with open(self.leaf, "w") as f:
            f.write(first + "-----END CERTIFICATE-----\n")
        self.key = os.path.join(self.dir, "keys", HOST + "-tomcat.key")

    def stop(self):
        subprocess.run([self.lab, "--stop", "--out", self.dir], capture_output=True, timeout=30)


def browse(work, label, home, profile, urls, chromium=True):
    """Loads urls in Chromium (HOME's ~/.pki/nssdb) and Firefox (profile)."""
    out = {}
    if chromium:
        data = os.path.join(work, label + "-chromium-data")
        chrome = Chromium(home, data, extra_args=["--host-resolver-rules=MAP * 127.0.0.1"])
        try:
            for u in urls:
                out[("chromium", u)] = chrome.load(u, "-OK", timeout=15)
        finally:
            chrome.close()
    ff = Firefox(home, profile)
    try:
        for u in urls:
            out[("firefox", u)] = ff.load(u, "-OK", timeout=20)
    finally:
        ff.close()
    return out


def setup_home(work, label, trust=None, cert=None, override=None):
    home = os.path.join(work, label)
    profile = marionette.new_firefox_home(home)
    new_db(os.path.join(home, ".pki", "nssdb"))
    if trust is not None:
        for db in (os.path.join(home, ".pki", "nssdb"), profile):
            run("certutil", "-A", "-d", "sql:" + db, "-n", "measured", "-t", trust, "-i", cert)
    if override is not None:
        with open(os.path.join(profile, "cert_override.txt"), "w") as f:
            f.write(override)
    return home, profile


def verdict(res):
    state, detail = res
    return "loads" if state == "loaded" else detail or state


def measure(args, work, scenario, lab, victim_port):
    server = "https://%s:%d/" % (HOST, lab.port)
    attack = "https://%s:%d/" % (VICTIM, victim_port)
    rows = {}
    for trust in ("P,,", "CP,,"):
        label = "%s-%s" % (scenario, trust.replace(",", ""))
        home, profile = setup_home(work, label, trust, lab.leaf)
        rows[trust] = browse(work, label, home, profile, [server, attack])
    ovr = "%s:%d:\tOID.2.16.840.1.101.3.4.2.1\t%s\t\n" % (HOST, lab.port, fingerprint(lab.leaf))
    home, profile = setup_home(work, scenario + "-override", override=ovr)
    # Chromium never reads cert_override.txt: Firefox only.
    rows["override"] = browse(work, scenario + "-override", home, profile, [server, attack],
                              chromium=False)
    for trust, res in rows.items():
        for browser in ("chromium", "firefox"):
            if (browser, server) not in res:
                continue
            RESULTS.append((scenario, trust, browser, verdict(res[(browser, server)]),
                            verdict(res[(browser, attack)])))
    return rows, server, attack


def agent_run(args, work, scenario, lab, server, attack):
    """The real agent installs the scenario's certificate; the browsers must
    load the server and refuse the attack. Returns the NSS flags given."""
    label = scenario + "-agent"
    home, profile = setup_home(work, label)
    state = os.path.join(work, label + "-state")
    agent = os.path.join(args.build, "uccx-trust")
    hp = "%s:%d" % (HOST, lab.port)
    proc = subprocess.run([agent, "install", "--url", server, "--home", home, "--state-dir", state,
                           "--connect-to", "%s:127.0.0.1:%d" % (hp, lab.port),
                           "--connect-timeout", "2", "--timeout", "5"],
                          capture_output=True, text=True, timeout=120)
    print(proc.stdout + proc.stderr, flush=True)
    flags = {}
    for name, db in (("chromium", os.path.join(home, ".pki", "nssdb")), ("firefox", profile)):
        if not os.path.exists(os.path.join(db, "cert9.db")):
            flags[name] = "none"
            continue
        listing = run("certutil", "-L", "-d", "sql:" + db).stdout.splitlines()[4:]
        flags[name] = " ".join(line.split()[-1] for line in listing if line.startswith("uccx-trust"))
        if scenario != "selfsigned":
            check(all("C" not in f for f in flags[name].split()),
                  "%s: the agent gives no C in the %s database (%s)" % (scenario, name,
                                                                       flags[name]))
    res = browse(work, label, home, profile, [server, attack])
    for browser in ("chromium", "firefox"):
        RESULTS.append((scenario, "agent install", browser, verdict(res[(browser, server)]),
                        verdict(res[(browser, attack)])))
        check(res[(browser, attack)][0] != "loaded",
              "%s: after the agent's install %s refuses the attack" % (scenario, browser))
    return res, flags


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--table", help="write the measured table (Markdown) here")
    args = ap.parse_args()
    marionette.PREFS["network.dns.forceResolve"] = "127.0.0.1"
    versions = []
    for scenario in ("nobc", "v1", "private-ca-nobc", "selfsigned"):
        lab = Lab(args.build, args.work, scenario)
        vchain, vkey = attack_chain(args.work, scenario, lab.leaf, lab.key)
        attacker = Attacker(vchain, vkey)
        try:
            rows, server, attack = measure(args, args.work, scenario, lab,
                                           attacker.server_address[1])
            res, _ = agent_run(args, args.work, scenario, lab, server, attack)
        finally:
            attacker.stop()
            lab.stop()
        chrome_p, chrome_cp = rows["P,,"][("chromium", attack)], rows["CP,,"][("chromium", attack)]
        if scenario in ("nobc", "v1"):
            # The finding: with C its key signs any site in Chromium.
            check(chrome_cp[0] == "loaded", "%s: with CP,, Chromium accepts the attack" % scenario)
        if scenario == "selfsigned":
            # The control: CA:FALSE keeps a key trusted with C from signing.
            for browser in ("chromium", "firefox"):
                check(rows["CP,,"][(browser, attack)][0] != "loaded",
                      "selfsigned (CA:FALSE): with CP,, %s refuses the attack" % browser)
        check(chrome_p[0] != "loaded", "%s: with P,, Chromium refuses the attack" % scenario)
        check(rows["override"][("firefox", attack)][0] != "loaded",
              "%s: with the exception Firefox refuses the attack" % scenario)
        if scenario == "v1":
            # No extensions, so no SAN: Chromium cannot take it at all
            # (with CP,, it says so; untrusted, the trust error comes first).
            check(rows["CP,,"][("chromium", server)] == ("error", "ERR_CERT_COMMON_NAME_INVALID"),
                  "v1: with CP,, Chromium refuses the server for its missing SAN")
            check(res[("chromium", server)][0] != "loaded",
                  "v1: after the agent's install Chromium does not load the server")
        else:
            check(res[("chromium", server)][0] == "loaded",
                  "%s: after the agent's install Chromium loads the server" % scenario)
        check(res[("firefox", server)][0] == "loaded",
              "%s: after the agent's install Firefox loads the server" % scenario)
    table = ["| server certificate | trust given | browser | the server | %s signed by its key |"
             % VICTIM, "| --- | --- | --- | --- | --- |"]
    for r in RESULTS:
        table.append("| %s | %s | %s | %s | %s |" % r)
    text = "\n".join(table) + "\n"
    print(text)
    if args.table:
        with open(args.table, "w") as f:
            f.write(text)
    print("%d failed" % len(FAILED))
    return 1 if FAILED else 0


if __name__ == "__main__":
    # A timeout's SIGTERM unwinds through the finally blocks: labs and
    # attacker servers stop.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        sys.exit(main())
    except BrowserError as e:
        print("not ok - %s" % e)
        sys.exit(1)
