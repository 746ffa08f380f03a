#!/usr/bin/env python3
# trust_property.py: the trust-safety property test. For many certificate
# shapes, presented by a real TLS server on a free loopback port, the real
# agent installs what it decides (trust on first use, and pinned), then the
# shape's own key signs a certificate for an unrelated name
# (www.victimbank.example): every verifier must refuse that certificate, and
# accept the genuine one wherever the agent says it is trusted.
#
#   trust_property.py linux    [--seed N] [--full]  NSS (certutil -V) in a
#                              home's Chromium and Firefox databases, and
#                              OpenSSL with the system anchors (machine scope,
#                              root, in a private mount namespace)
#   trust_property.py wine     [--seed N] [--full]  the Windows agent and
#                              crypt32 under Wine (a floor: Wine is laxer)
#   trust_property.py browsers                      real Chromium and Firefox
#                              ESR on a fixed sample of shapes
#
# Prints one line per shape and `N passed, N failed`; exit 1 when any
# failed, 77 when it cannot run here (not root, no Wine build). The seed is
# printed; UCT_PROPERTY_SEED or --seed repeats a run, UCT_PROPERTY_FULL=1 or
# --full takes the whole product of the axes (long).
import argparse
import concurrent.futures
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # nothing left in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "browser"))
from shapes import VICTIM, Certs, Server, Shape, pem_sha256, pick_shapes  # noqa: E402

BUILD = os.environ.get("UCT_BUILD_DIR", "")
AGENT = os.path.join(BUILD, "uccx-trust")
SHAPECERT = os.path.join(BUILD, "tests", "uct-shapecert")
MODES = ["tofu", "pinned"]


def run(args, timeout=60, **kw):
    """Runs a command, bounded; returns (exit code, stdout, stderr)."""
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return -1, "", "timed out after %d s: %s" % (timeout, " ".join(args[:3]))


def may_sign(shape, signer, mode):
    """The one case where a certificate of the chain may sign for another
    name: the administrator pinned a self-signed certificate that says
    CA:TRUE (DESIGN.md: "may become a root"). Everything else must be
    refused."""
    return mode == "pinned" and not shape.chain and signer == "srv" and shape.is_ca()


def must_trust(shape):
    """Shapes the agent must install and report trusted, in both modes and
    every store: an ordinary self-signed server certificate. Without this
    the test would pass for an agent that installs nothing."""
    return (not shape.chain and shape.version == 3 and shape.bc in ("false", "false-crit")
            and shape.ku in ("none", "leaf") and shape.eku in ("none", "server")
            and shape.san in ("dns", "wildcard") and not shape.nc)


def agent_args(shape, port, mode, certs):
    url = "https://%s:%d/" % (shape.host, port)
    args = ["--url", url, "--connect-timeout", "3", "--timeout", "10", "--json"]
    if shape.san != "ip":
        args += ["--connect-to", "%s:%d:127.0.0.1:%d" % (shape.host, port, port)]
    if mode == "pinned":
        args += ["--trust", "pinned", "--pin", pem_sha256(certs.srv)]
    return args


def verdicts(stdout):
    """{profile: verdict} and the changes of an agent's --json output."""
    try:
        doc = json.loads(stdout)
    except ValueError:
        return {}, []
    out = {}
    for ep in doc.get("endpoints", []):
        for b in ep.get("browsers", []):
            out[b["profile"]] = b["verdict"]
    return out, doc.get("changes", [])


class Result:
    """The findings of one shape: failures (each a sentence) and notes."""

    def __init__(self):
        self.fail = []
        self.notes = []

    def expect(self, ok, what):
        if not ok:
            self.fail.append(what)


# ---- NSS: a home's Chromium and Firefox databases ---------------------------------

def new_home(path):
    prof = os.path.join(path, ".mozilla", "firefox", "prop.default-release")
    os.makedirs(prof)
    run(["certutil", "-N", "-d", "sql:" + prof, "--empty-password"], check=True)
    with open(os.path.join(path, ".mozilla", "firefox", "profiles.ini"), "w") as f:
        f.write("[Profile0]\nName=default-release\nIsRelative=1\nPath=prop.default-release\n"
                "Default=1\n\n[General]\nStartWithLastProfile=1\nVersion=2\n")
    return {"chromium": os.path.join(path, ".pki", "nssdb"), "firefox:default-release": prof}


def nss_accepts(db, leaf_prefix, work):
    """certutil -V -u V: does this database accept the certificate as an SSL
    server? Checked in a copy, where the certificate is imported without
    trust (a copy: the agent's database is left as it made it)."""
    if not os.path.isdir(db):
        return False, "no database"
    copy = tempfile.mkdtemp(dir=work, prefix="nss.")
    shutil.rmtree(copy)
    shutil.copytree(db, copy)
    rc, out, err = run(["certutil", "-A", "-d", "sql:" + copy, "-n", "probe", "-t", ",,",
                        "-i", leaf_prefix + ".pem"])
    if rc != 0:
        return False, "import failed: " + err.strip()
    rc, out, err = run(["certutil", "-V", "-u", "V", "-d", "sql:" + copy, "-n", "probe"])
    shutil.rmtree(copy, ignore_errors=True)
    return rc == 0 and "certificate is valid" in out, (out + err).strip().replace("\n", " ")


def nss_nickname_of(db, leaf_prefix):
    """The nickname under which the agent stored this very certificate in
    db, or None."""
    want = open(leaf_prefix + ".pem").read().split("-----")[2].split()
    rc, out, _ = run(["certutil", "-L", "-d", "sql:" + db])
    for line in out.splitlines():
        if not line.startswith("uccx-trust "):
            continue
        nick = line.rsplit(None, 1)[0].strip()
        rc, pem, _ = run(["certutil", "-L", "-d", "sql:" + db, "-n", nick, "-a"])
        if rc == 0 and pem.split("-----")[2].split() == want:
            return nick
    return None


def nss_accepts_genuine(db, leaf_prefix, work):
    """certutil -V -u V on the genuine certificate: under the agent's own
    nickname when it stored the certificate itself, else (a CA it stored)
    imported without trust into a copy."""
    nick = nss_nickname_of(db, leaf_prefix) if os.path.isdir(db) else None
    if nick is None:
        return nss_accepts(db, leaf_prefix, work)
    rc, out, err = run(["certutil", "-V", "-u", "V", "-d", "sql:" + db, "-n", nick])
    return rc == 0 and "certificate is valid" in out, (out + err).strip().replace("\n", " ")


def override_has(profile, shape, port, certs):
    try:
        text = open(os.path.join(profile, "cert_override.txt")).read()
    except OSError:
        return False
    return "%s:%d:\t" % (shape.host, port) in text and pem_sha256(certs.srv) in text


def nss_flags(db):
    rc, out, _ = run(["certutil", "-L", "-d", "sql:" + db]) if os.path.isdir(db) else (1, "", "")
    return " ".join(line.split()[-1] for line in out.splitlines() if line.startswith("uccx-trust "))


def check_user_scope(shape, certs, port, mode, work, res):
    home = os.path.join(work, "home-" + mode)
    dbs = new_home(home)
    rc, out, err = run([AGENT, "install", "--home", home, "--state-dir",
                        os.path.join(work, "state-" + mode)] + agent_args(shape, port, mode, certs))
    seen, changes = verdicts(out)
    if not seen:
        res.fail.append("%s: the agent gave no result (exit %d): %s" % (mode, rc, err.strip()[-300:]))
        return
    overrides = {c["profile"] for c in changes if c.get("trust") == "override"}
    for profile, db in dbs.items():
        flags = nss_flags(db)
        for signer, _, _, sent in certs.attackers:
            ok, detail = nss_accepts(db, sent[0], work)
            if may_sign(shape, signer, mode):
                res.notes.append("%s %s: the pinned CA signs (allowed)" % (mode, profile))
                continue
            res.expect(not ok, "%s: NSS (%s, %s) ACCEPTS %s signed by the %s key (trust %s)"
                       % (mode, profile, db, VICTIM, signer, flags or "none"))
        verdict = seen.get(profile)
        if must_trust(shape):
            res.expect(verdict == "trusted", "%s: %s reported %s, not trusted" % (mode, profile, verdict))
        if verdict != "trusted":
            continue
        if profile in overrides:
            res.expect(override_has(db, shape, port, certs),
                       "%s: %s reported trusted by an exception, none in cert_override.txt"
                       % (mode, profile))
        else:
            ok, detail = nss_accepts_genuine(db, certs.srv, work)
            res.expect(ok, "%s: %s reported trusted but NSS refuses the genuine certificate: %s"
                       % (mode, profile, detail))


# ---- OpenSSL with the system anchors, machine scope --------------------------------

def machine_case(args):
    """Runs inside `unshare -m`: /etc and /usr are overlays on a tmpfs and
    the system anchor directories are empty tmpfs, so update-ca-certificates
    sees only what the agent adds and nothing leaves this namespace. Prints
    one JSON document: the agent's verdicts and each probe's answer."""
    ov = os.path.join(args.dir, "ov")
    os.makedirs(ov, exist_ok=True)
    sh = ["mount", "--make-rprivate", "/"], ["mount", "-t", "tmpfs", "tmpfs", ov]
    for cmd in sh:
        subprocess.run(cmd, check=True)
    for d in ("etc", "usr"):
        os.makedirs(os.path.join(ov, d + ".u"))
        os.makedirs(os.path.join(ov, d + ".w"))
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o", "lowerdir=/%s,upperdir=%s/%s.u,"
                        "workdir=%s/%s.w" % (d, ov, d, ov, d), "/" + d], check=True)
    for d in ("/etc/ssl/certs", "/usr/share/ca-certificates", "/usr/local/share/ca-certificates",
              "/etc/ca-certificates/update.d"):
        if os.path.isdir(d):
            subprocess.run(["mount", "-t", "tmpfs", "tmpfs", d], check=True)
    if os.path.exists("/etc/ca-certificates.conf"):
        open("/etc/ca-certificates.conf", "w").close()
    os.chdir("/")
    rc, out, err = run([AGENT, "install", "--scope", "machine", "--state-dir",
                        os.path.join(args.dir, "state")] + args.agent, timeout=120)
    seen, _ = verdicts(out)
    probes = []
    for probe in args.probe:
        name, leaf, rest = (probe.split("|") + [""])[:3]
        cmd = ["openssl", "verify", "-CApath", "/etc/ssl/certs", "-purpose", "sslserver"]
        cmd += ["-verify_ip", name] if name[0].isdigit() else ["-verify_hostname", name]
        if rest:
            cmd += ["-untrusted", rest]
        prc, pout, perr = run(cmd + [leaf])
        probes.append({"ok": prc == 0, "detail": (pout + perr).strip().replace("\n", " ")[-200:]})
    top = "/usr/local/share/ca-certificates"
    anchors = sorted(os.path.relpath(os.path.join(d, f), top) for d, _, fs in os.walk(top) for f in fs)
    print(json.dumps({"rc": rc, "verdicts": seen, "err": err[-300:], "probes": probes,
                      "anchors": anchors}))


def rest_file(certs, name, prefixes):
    """The certificates after the leaf as one PEM file ("" when none)."""
    if len(prefixes) < 2:
        return ""
    path = os.path.join(certs.dir, name + "-rest.pem")
    with open(path, "w") as out:
        for p in prefixes[1:]:
            out.write(open(p + ".pem").read())
    return path


def check_machine_scope(shape, certs, port, mode, work, res):
    case = tempfile.mkdtemp(dir=work, prefix="machine-%s." % mode)
    probes = []
    for signer, _, _, sent in certs.attackers:
        probes.append("%s|%s|%s" % (VICTIM, sent[0] + ".pem", rest_file(certs, "att-" + signer, sent)))
    probes.append("%s|%s|%s" % (shape.host, certs.srv + ".pem", rest_file(certs, "srv", certs.served)))
    cmd = ["unshare", "-m", sys.executable, os.path.abspath(__file__), "machine-case", "--dir", case]
    for p in probes:
        cmd += ["--probe", p]
    cmd += ["--"] + agent_args(shape, port, mode, certs)
    rc, out, err = run(cmd, timeout=180)
    try:
        doc = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        res.fail.append("%s: machine scope did not run: %s" % (mode, err.strip()[-300:]))
        return
    for (signer, _, _, _), probe in zip(certs.attackers, doc["probes"]):
        if may_sign(shape, signer, mode):
            continue
        res.expect(not probe["ok"], "%s: OpenSSL with the system anchors ACCEPTS %s signed by the %s "
                   "key (anchors: %s)" % (mode, VICTIM, signer, " ".join(doc["anchors"]) or "none"))
    verdict = doc["verdicts"].get("system")
    if must_trust(shape):
        res.expect(verdict == "trusted", "%s: machine scope reported %s for the system anchors, "
                   "not trusted (%s)" % (mode, verdict, doc["err"].strip()))
    if verdict == "trusted":
        res.expect(doc["probes"][-1]["ok"], "%s: system anchors reported trusted but OpenSSL refuses "
                   "the genuine certificate: %s" % (mode, doc["probes"][-1]["detail"]))


def part_linux(shape, certs, port, work, res):
    for mode in MODES:
        check_user_scope(shape, certs, port, mode, work, res)
        check_machine_scope(shape, certs, port, mode, work, res)


# ---- crypt32 under Wine -------------------------------------------------------------

class Wine:
    def __init__(self, work):
        self.win = os.environ.get("UCT_WIN_BUILD_DIR") or os.path.join(BUILD + "-win")
        self.exe = os.path.join(self.win, "uccx-trust.exe")
        self.check = os.path.join(self.win, "uct-wincheck.exe")
        self.env = dict(os.environ, WINEPREFIX=os.path.join(work, "wineprefix"), WINEDEBUG="-all",
                        DISPLAY="", WINEARCH="win64",
                        WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d")
        self.count = 0

    def available(self):
        return os.path.exists(self.exe) and os.path.exists(self.check) and shutil.which("wine")

    def start(self):
        rc, _, err = self.w(["wineboot", "-i"], timeout=240)
        # One wineserver for the whole run: each wine call then starts fast.
        subprocess.run(["wineserver", "-p"], env=self.env, timeout=30, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        # The first use of crypt32 in a prefix imports the host's roots: slow, once.
        wrc, _, _ = self.w([self.check, "list"], timeout=300)
        return rc == 0 and wrc == 0

    def stop(self):
        subprocess.run(["wineserver", "-k"], env=self.env, timeout=30, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def w(self, args, timeout=120):
        """Runs a Windows program. Its output goes to files, not pipes: the
        Wine services it starts keep its descriptors open long after it
        exits, and reading a pipe to its end would wait for them."""
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            p = subprocess.Popen(["wine"] + args, env=self.env, stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=err)
            try:
                rc = p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                rc = -1
            out.seek(0)
            err.seek(0)
            return rc, out.read().replace("\r", ""), err.read().replace("\r", "")


def part_wine(wine, shape, certs, port, work, res):
    for mode in MODES:
        wine.count += 1
        state = "C:\\uct-prop-%d" % wine.count
        args = agent_args(shape, port, mode, certs) + ["--state-dir", state]
        rc, out, err = wine.w([wine.exe, "install"] + args)
        seen, _ = verdicts(out)
        if not seen:
            res.fail.append("%s: the Windows agent gave no result (exit %d): %s"
                            % (mode, rc, err.strip()[-300:]))
            continue
        pairs = []
        for _, chain, _, _ in certs.attackers:
            pairs += [VICTIM, chain]
        pairs += [shape.host, certs.served_pem]
        rc, out, err = wine.w([wine.check, "verify-strict"] + pairs)
        lines = out.split("\n")
        if len(lines) < len(certs.attackers) + 1:
            res.fail.append("%s: wincheck verify-strict failed: %s" % (mode, (out + err).strip()[-300:]))
        else:
            for (signer, _, _, _), line in zip(certs.attackers, lines):
                if not may_sign(shape, signer, mode):
                    res.expect(line.startswith("untrusted"), "%s: crypt32 (LocalMachine) ACCEPTS %s "
                               "signed by the %s key: %s" % (mode, VICTIM, signer, line))
            verdict = next(iter(seen.values()), None)
            if must_trust(shape):
                res.expect(all(v == "trusted" for v in seen.values()),
                           "%s: the Windows agent reported %s, not trusted" % (mode, seen))
            if verdict == "trusted":
                res.expect(not lines[len(certs.attackers)].startswith("untrusted"),
                           "%s: reported trusted but crypt32 refuses the genuine certificate: %s"
                           % (mode, lines[len(certs.attackers)]))
        wine.w([wine.exe, "remove", "--state-dir", state, "--json"])
        rc, out, _ = wine.w([wine.check, "list"])
        if out.strip():
            res.fail.append("%s: remove left certificates of ours: %s" % (mode, out.strip()))
            for line in out.strip().split("\n"):  # the next shape must start clean
                wine.w([wine.check, "delete", line.split("\t")[2]])


# ---- the shapes, one line each ---------------------------------------------------------

def check_shape(part, shape, work, wine):
    """Makes, serves and checks one shape; returns (passed, its lines)."""
    t0 = time.monotonic()
    res = Result()
    try:
        certs = Certs(SHAPECERT, shape, work)
        server = Server(certs.served_pem, certs.served_key, shape.host)
    except (subprocess.CalledProcessError, OSError) as e:
        res.fail.append("cannot make or serve the shape: %s" % e)
        server = None
    if server is not None:
        try:
            if part == "linux":
                part_linux(shape, certs, server.port, os.path.join(work, shape.ident), res)
            else:
                part_wine(wine, shape, certs, server.port, os.path.join(work, shape.ident), res)
        finally:
            server.close()
    ms = int((time.monotonic() - t0) * 1000)
    if res.fail:
        return False, ["not ok - %s %s (%d ms)" % (shape.ident, shape.describe(), ms)] + \
            ["#   " + f for f in res.fail]
    notes = "; " + "; ".join(sorted(set(res.notes))) if res.notes else ""
    return True, ["ok - %s %s: %s refused everywhere%s (%d ms)" % (
        shape.ident, shape.describe(), VICTIM, notes, ms)]


def run_shapes(part, shapes, work, wine=None, jobs=1):
    """One line per shape, in order. The Linux part checks shapes in
    parallel (each has its own homes, state and namespaces); the Wine part
    one at a time (one prefix, whose stores must be empty between shapes)."""
    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for ok, lines in pool.map(lambda s: check_shape(part, s, work, wine), shapes):
            passed, failed = passed + ok, failed + (not ok)
            print("\n".join(lines))
            sys.stdout.flush()
    return passed, failed


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("part", choices=["linux", "wine", "browsers", "machine-case"])
    ap.add_argument("--seed", type=int, default=int(os.environ.get("UCT_PROPERTY_SEED", "0") or 0))
    ap.add_argument("--full", action="store_true", default=os.environ.get("UCT_PROPERTY_FULL") == "1")
    ap.add_argument("--only", help="run only the shapes whose name contains this")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("UCT_PROPERTY_JOBS", "2")))
    ap.add_argument("--dir")
    ap.add_argument("--probe", action="append", default=[])
    argv = sys.argv[1:]
    # machine-case passes the agent's flags after "--".
    cut = argv.index("--") if "--" in argv else len(argv)
    args = ap.parse_args(argv[:cut])
    args.agent = argv[cut + 1:]
    if args.part == "machine-case":
        machine_case(args)
        return 0
    if not BUILD or not os.path.exists(AGENT) or not os.path.exists(SHAPECERT):
        print("UCT_BUILD_DIR must name a build directory with uccx-trust and tests/uct-shapecert")
        return 2
    if os.geteuid() != 0 or not shutil.which("unshare"):
        print("skipped: needs root and unshare (machine scope, private mount namespaces)")
        return 77
    if args.part == "browsers":
        import property_browsers
        return property_browsers.main(AGENT, SHAPECERT)
    seed = args.seed or random.SystemRandom().randrange(1, 2**31)
    shapes = pick_shapes(seed, full=args.full)
    if args.only:
        shapes = [s for s in shapes if args.only in s.ident]
    print("# seed %d (repeat with UCT_PROPERTY_SEED=%d), %d shapes%s" % (
        seed, seed, len(shapes), ", full product" if args.full else ""))
    work = tempfile.mkdtemp(prefix="uct-prop.")
    wine = None
    try:
        if args.part == "wine":
            wine = Wine(work)
            if not wine.available():
                print("not ok - the Windows build (%s) and wine are present" % wine.exe)
                print("0 passed, 1 failed")
                return 1
            if not wine.start():
                print("not ok - a fresh Wine prefix starts (wineboot -i)")
                print("0 passed, 1 failed")
                return 1
        passed, failed = run_shapes(args.part, shapes, work, wine,
                                    args.jobs if args.part == "linux" else 1)
    finally:
        if wine is not None:
            wine.stop()
        if os.environ.get("UCT_PROPERTY_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("# work directory kept: " + work)
    print("# seed %d" % seed)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
