# fleet_trust.py: fleet-approved trust end to end. The lab (mixed: uccx1
# self-signed, uccx2 from a private CA, SocialMiner in Tomcat style) on its
# real ports, the collector with a signing key and its probe, and the agent
# in `collector` mode on a PC home with Chromium's database and a Firefox
# profile. Nothing is installed before an approval; approvals by host, by
# endpoint and by CA are installed and real Chromium and Firefox ESR load
# the pages; a certificate regenerated on the server is followed through the
# probe's automatic approval, with nothing approved by hand; a man in the
# middle seen by the PC only stays pending; documents that are tampered,
# signed by another key or older than the kept one are refused, each with
# its own message, and change nothing; with the collector stopped the kept
# document is used. Run by test_fleet_trust.sh in a mount namespace whose
# /etc/hosts maps the lab's names. Every wait is bounded.
import argparse
import hashlib
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from chromium_cdp import Chromium
from marionette import Firefox, new_firefox_home

NODES = ["uccx1.lab.example", "uccx2.lab.example"]
SOCIAL = "socialminer.lab.example"
MARKER = "UCCX-LAB-OK"
# What the browsers load: one Tomcat page and the notification service on
# the self-signed node, the CA-issued node, SocialMiner.
PAGES = ["https://uccx1.lab.example:8445/", "https://uccx1.lab.example:7443/",
         "https://uccx2.lab.example:8445/", "https://socialminer.lab.example/"]
RESULTS = {"passed": 0, "failed": 0}


def ok(cond, what, detail=""):
    RESULTS["passed" if cond else "failed"] += 1
    print("%s - %s%s" % ("ok" if cond else "not ok", what, "" if cond else ": " + str(detail)[-600:]),
          flush=True)


def wait_for(pred, seconds, step=0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def fingerprints(lab):
    """host:port -> the SHA-256 (upper case, colons) of the leaf it serves."""
    out = {}
    with open(os.path.join(lab, "fingerprints.txt")) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                out[parts[0]] = parts[1]
    return out


def nss_tags(db):
    """The fingerprint tags (first 4 bytes, lower-case hex) of our
    certificates in the NSS database db."""
    p = subprocess.run(["certutil", "-L", "-d", "sql:" + db], capture_output=True, text=True, timeout=30)
    tags = set()
    for line in p.stdout.splitlines():
        if line.startswith("uccx-trust "):
            for word in line.split():
                if len(word) == 8 and all(c in "0123456789abcdef" for c in word):
                    tags.add(word)
    return tags


def tag(fp):
    return fp.replace(":", "").lower()[:8]


class Collector:
    """uccx-trust-collector on 127.0.0.1 with a SQLite file, the tokens and
    the signing key of the test."""

    def __init__(self, build, work):
        self.bin = os.path.join(build, "uccx-trust-collector")
        self.work = work
        self.db = os.path.join(work, "col.db")
        self.key = os.path.join(work, "keys", "trust.key")
        self.proc = None
        self.url = None
        os.makedirs(os.path.join(work, "keys"), mode=0o700, exist_ok=True)
        self.agent_tok = hashlib.sha256(os.urandom(16)).hexdigest()
        self.admin_tok = hashlib.sha256(os.urandom(16)).hexdigest()
        with open(os.path.join(work, "agent.tok"), "w") as f:
            f.write(self.agent_tok + "\n")
        with open(os.path.join(work, "admin.tok"), "w") as f:
            f.write(self.admin_tok + " fleet-admin\n")

    def public_key(self, path):
        p = subprocess.run([self.bin, "--print-trust-key", "--signing-key", self.key],
                           capture_output=True, text=True, timeout=30)
        with open(path, "w") as f:
            f.write(p.stdout)
        return p.returncode == 0 and "BEGIN PUBLIC KEY" in p.stdout

    def start(self, auto_approve, db=None, port=0):
        ini = os.path.join(self.work, "collector.ini")
        with open(ini, "w") as f:
            f.write("[probe]\n")
            f.write("nodes = %s\n" % ", ".join(NODES))
            f.write("socialminer = %s\ninterval_seconds = 1\nauto_approve = %s\n" % (SOCIAL, auto_approve))
        log = open(os.path.join(self.work, "col.log"), "w")
        self.proc = subprocess.Popen([self.bin, "--config", ini, "--listen", "127.0.0.1:%d" % port,
                                      "--db", db or self.db, "--agent-token-file",
                                      os.path.join(self.work, "agent.tok"), "--admin-token-file",
                                      os.path.join(self.work, "admin.tok"), "--signing-key", self.key],
                                     stdout=log, stderr=log, start_new_session=True)
        found = []

        def listening():
            with open(os.path.join(self.work, "col.log")) as f:
                for line in f:
                    if "listening on http://" in line:
                        found.append(line.split("listening on http://", 1)[1].split(",")[0].split()[0])
                        return True
            return self.proc.poll() is not None

        wait_for(listening, 10)
        self.url = "http://" + found[0] if found else None
        return self.url is not None

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
            self.proc = None

    def call(self, method, path, body=None, token=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + (token or self.admin_tok))
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def approvals(self):
        code, body = self.call("GET", "/api/v1/approvals")
        return body.get("approvals", []) if code == 200 else []


class Agent:
    def __init__(self, build, work, home, col, key):
        self.bin = os.path.join(build, "uccx-trust")
        self.home = home
        self.state = os.path.join(home, "state")
        self.col = col
        self.key = key
        self.work = work

    def run(self, command="install", key=None, trust_url=None, extra=()):
        args = [self.bin, command, "--json", "--home", self.home, "--state-dir", self.state,
                "--proxy", "direct", "--connect-timeout", "2", "--timeout", "5", "--socialminer", SOCIAL,
                "--trust", "collector", "--trust-url", trust_url or self.col.url + "/api/v1/trust", "--trust-key",
                key or self.key, "--report-url", self.col.url + "/api/v1/reports", "--report-token-file",
                os.path.join(self.work, "agent.tok")]
        for n in NODES:
            args += ["--node", n]
        p = subprocess.run(args + list(extra), capture_output=True, text=True, timeout=180)
        try:
            doc = json.loads(p.stdout)
        except ValueError:
            doc = {}
        return p.returncode, doc, p.stderr


def verdicts(doc):
    """host:port -> the set of verdicts the run reports for it."""
    out = {}
    for ep in doc.get("endpoints", []):
        hp = "%s:%s" % (ep.get("host"), ep.get("port"))
        for v in ep.get("verdicts", []):
            out.setdefault(hp, set()).add(v.get("verdict"))
        if "verdict" in ep:
            out.setdefault(hp, set()).add(ep["verdict"])
    return out


def browsers_load(home, prof):
    f = Firefox(home, prof, log=open(prof + ".firefox.log", "a"))
    try:
        ff = [f.load(u, MARKER) for u in PAGES]
    finally:
        f.close()
    c = Chromium(home, os.path.join(home, "chromium-data"))
    try:
        ch = [c.load(u, MARKER) for u in PAGES]
    finally:
        c.close()
    return ff, ch


class FakeCollector(http.server.ThreadingHTTPServer):
    """Serves one fixed trust document at every GET, as a collector
    that has been tampered with or replaced would."""

    def __init__(self, body):
        self.body = body

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(h):
                h.send_response(200)
                h.send_header("Content-Type", "application/json")
                h.send_header("Content-Length", str(len(self.body)))
                h.end_headers()
                h.wfile.write(self.body)

            def do_POST(h):
                h.send_response(503)
                h.send_header("Content-Length", "0")
                h.end_headers()

            def log_message(h, *a):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]


def resign(doc, key, work, **changes):
    """doc with changes, signed by the private key file key with
    tests/tools/sign_trustdoc.py, as JSON bytes."""
    d = dict(doc)
    d.pop("key_id", None)  # the tool names the key that signs
    d.update(changes)
    src, dst = os.path.join(work, "doc.json"), os.path.join(work, "signed.json")
    with open(src, "w") as f:
        json.dump(d, f)
    tool = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "sign_trustdoc.py")
    subprocess.run([sys.executable, tool, key, src, dst], check=True, capture_output=True, timeout=30)
    with open(dst, "rb") as f:
        return f.read()


def stores(home, prof):
    return nss_tags(os.path.join(home, ".pki", "nssdb")) | nss_tags(prof)


def phase_nothing_approved(agent, home, prof):
    rc, doc, err = agent.run()
    v = verdicts(doc)
    ok(rc == 1, "before any approval the run exits 1", err)
    ok(v and all(s == {"pending"} for s in v.values()),
       "before any approval every endpoint is pending", v)
    ok(not stores(home, prof), "before any approval nothing is installed", stores(home, prof))


def phase_approve(col, agent, lab, home, prof):
    fps = fingerprints(lab)
    approvals = [
        {"host": "uccx1.lab.example", "sha256": fps["uccx1.lab.example:8445"], "note": "Tomcat, every port"},
        {"endpoint": "uccx1.lab.example:7443", "sha256": fps["uccx1.lab.example:7443"],
         "note": "notification service"},
        {"ca_pem": open(os.path.join(lab, "ca.pem")).read(), "hosts": ["uccx2.lab.example"],
         "note": "the company CA"},
        {"host": SOCIAL, "sha256": fps[SOCIAL + ":443"], "note": "SocialMiner"},
    ]
    for a in approvals:
        code, body = col.call("POST", "/api/v1/approvals", a)
        ok(code == 201, "approve %s" % a.get("note"), body)
    rc, doc, err = agent.run()
    v = verdicts(doc)
    ok(rc == 0, "after approval by host, endpoint and CA the run exits 0", (v, err))
    ok(not any("pending" in s for s in v.values()), "after approval nothing is pending", v)
    got = stores(home, prof)
    for hp in ("uccx1.lab.example:8445", "uccx1.lab.example:7443", SOCIAL + ":443"):
        ok(tag(fps[hp]) in got, "the approved certificate of %s is installed" % hp, got)
    ff, ch = browsers_load(home, prof)
    for u, a, b in zip(PAGES, ff, ch):
        ok(a[0] == "loaded", "after approval Firefox loads %s" % u, a)
        ok(b[0] == "loaded", "after approval Chromium loads %s" % u, b)
    return fps


def regenerated(lab):
    try:
        with open(os.path.join(lab, "regenerated")) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def norm(fp):
    return fp.replace(":", "").lower()


def phase_rotation(col, agent, lab, home, prof, old):
    col.stop()
    ok(col.start("probe"), "the collector restarts with auto_approve = probe", col.work)
    with open(os.path.join(lab, "lab.pid")) as f:
        os.kill(int(f.read().strip()), signal.SIGUSR1)
    ok(wait_for(lambda: regenerated(lab) >= 1, 20), "the lab regenerates uccx1's certificate")
    new = fingerprints(lab)["uccx1.lab.example:8445"]
    ok(new != old["uccx1.lab.example:8445"], "uccx1 now serves another certificate")
    ok(wait_for(lambda: any(norm(a.get("sha256") or "") == norm(new) for a in col.approvals()), 30),
       "the probe approves the regenerated certificate by itself", col.approvals())
    by_probe = [a for a in col.approvals() if norm(a.get("sha256") or "") == norm(new)]
    ok(by_probe and all(a.get("approved_by") == "probe" and a.get("active") for a in by_probe),
       "that approval is the probe's", by_probe)
    admin = [a for a in col.approvals() if norm(a.get("sha256") or "") == norm(old["uccx1.lab.example:8445"])]
    ok(admin and all(a.get("active") for a in admin), "the administrator's approval is left as it was", admin)
    rc, doc, err = agent.run()
    ok(rc == 0, "the next run follows the regenerated certificate (exit 0)", (verdicts(doc), err))
    got = stores(home, prof)
    ok(tag(new) in got, "the regenerated certificate is installed", got)
    ok(tag(old["uccx1.lab.example:8445"]) not in got, "the old certificate is removed", got)
    ff, ch = browsers_load(home, prof)
    ok(ff[0][0] == "loaded" and ch[0][0] == "loaded", "both browsers load uccx1 after the rotation",
       (ff[0], ch[0]))
    return new


def phase_mitm(build, work, agent, col, home, prof):
    """A second lab stands in for a man in the middle on the PC's network
    only: the agent is sent there for uccx1, the probe still sees the lab."""
    lab_bin = os.path.join(build, "tests", "uccx-lab")
    mitm = os.path.join(work, "mitm")
    subprocess.run([lab_bin, "--scenario", "selfsigned", "--out", mitm, "--daemon"], check=True,
                   capture_output=True, timeout=60)
    try:
        before = stores(home, prof)
        extra = []
        with open(os.path.join(mitm, "connect-to.txt")) as f:
            for line in f:
                if line.startswith("uccx1.lab.example:"):
                    extra += ["--connect-to", line.strip()]
        fake = fingerprints(mitm)["uccx1.lab.example:8445"]
        rc, doc, err = agent.run(extra=extra)
        v = verdicts(doc)
        ok(rc == 1, "a man in the middle for uccx1: the run exits 1", (v, err))
        ok(v.get("uccx1.lab.example:8445") == {"pending"}, "uccx1 is pending, waiting for approval", v)
        ok(stores(home, prof) == before, "nothing is installed or removed for the man in the middle",
           (before, stores(home, prof)))
        time.sleep(3)
        ok(not any(norm(a.get("sha256") or "") == norm(fake) for a in col.approvals()),
           "the probe never approves what only that PC sees", col.approvals())
    finally:
        subprocess.run([lab_bin, "--stop", "--out", mitm], capture_output=True, timeout=30)


def phase_refused(agent, col, work, home, prof):
    """Documents the agent must refuse, each with its own message, and the
    kept document when the collector is away."""
    code, good = col.call("GET", "/api/v1/trust", token=col.agent_tok)
    ok(code == 200 and "signature" in good, "the collector serves the signed document", good)
    other = os.path.join(work, "keys", "other.key")
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-out", other], check=True, capture_output=True, timeout=30)
    now = int(time.time())
    tampered = json.loads(resign(good, col.key, work))
    tampered["serial"] = good["serial"] + 1
    cases = [
        ("tampered", json.dumps(tampered).encode(), "changed after the collector signed it"),
        ("signed by another key", resign(good, other, work, serial=good["serial"] + 1), "another collector key"),
        ("expired", resign(good, col.key, work, serial=good["serial"] + 1,
                           issued_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 9 * 86400)),
                           expires_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 2 * 86400))),
         "expired"),
        ("with a lower serial", resign(good, col.key, work, serial=good["serial"] - 1), "serial"),
    ]
    before = stores(home, prof)
    messages = set()
    for what, body, word in cases:
        fake = FakeCollector(body)
        try:
            rc, doc, err = agent.run(trust_url=fake.url + "/api/v1/trust")
        finally:
            fake.shutdown()
        said = [p for p in doc.get("problems", []) if "trust document" in p]
        ok(rc == 1 and len(said) == 1 and word in said[0].lower(),
           "a document %s is refused: exit 1, the problem says %s" % (what, word), (rc, said, err))
        messages.add(said[0] if said else "")
        ok(stores(home, prof) == before, "a document %s changes nothing in the stores" % what)
    ok(len(messages) == len(cases), "each refusal has its own message", messages)
    col.stop()
    rc, doc, err = agent.run()
    ok(rc == 0, "the collector stopped: the kept document is used (exit 0)", (verdicts(doc), err))
    ok(stores(home, prof) == before, "the collector stopped: the stores stay as approved")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    lab = os.path.join(args.work, "lab")
    lab_bin = os.path.join(args.build, "tests", "uccx-lab")
    subprocess.run([lab_bin, "--scenario", "mixed", "--real-ports", "--out", lab, "--daemon"], check=True,
                   capture_output=True, timeout=60)
    col = Collector(args.build, args.work)
    try:
        home = os.path.join(args.work, "home")
        prof = new_firefox_home(home)
        pub = os.path.join(args.work, "trust.pub")
        ok(col.public_key(pub), "--print-trust-key gives the public key for the PCs")
        ok(col.start("never"), "the collector starts with its signing key and probe")
        agent = Agent(args.build, args.work, home, col, pub)
        phase_nothing_approved(agent, home, prof)
        fps = phase_approve(col, agent, lab, home, prof)
        phase_rotation(col, agent, lab, home, prof, fps)
        phase_mitm(args.build, args.work, agent, col, home, prof)
        phase_refused(agent, col, args.work, home, prof)
    finally:
        col.stop()
        subprocess.run([lab_bin, "--stop", "--out", lab], capture_output=True, timeout=30)
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
