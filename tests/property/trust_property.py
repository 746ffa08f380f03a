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
import json
import os
import random
import shutil
import ssl
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


def one_line(text, n=300):
    """The end of a command's message, on one line."""
    return " ".join(text.split())[-n:]


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


def agent_args(cases, mode):
    """The agent's flags for every shape of cases: its URL, the address of
    its server, and in pinned mode the SHA-256 of what it presents."""
    args = ["--connect-timeout", "5", "--timeout", "20", "--json"]
    if mode == "pinned":
        args += ["--trust", "pinned"]
    for shape, certs, server, _ in cases:
        args += ["--url", "https://%s:%d/" % (shape.host, server.port)]
        args += ["--connect-to", "%s:%d:127.0.0.1:%d" % (shape.host, server.port, server.port)]
        if mode == "pinned":
            args += ["--pin", pem_sha256(certs.srv)]
    return args


def verdicts(stdout):
    """{"host:port": {profile: verdict}} and the changes of an agent's --json
    output; ({}, []) when it gave none."""
    try:
        doc = json.loads(stdout)
    except ValueError:
        return {}, []
    out = {}
    for ep in doc.get("endpoints", []):
        out["%s:%d" % (ep["host"], ep["port"])] = {b["profile"]: b["verdict"]
                                                   for b in ep.get("browsers", [])}
    return out, doc.get("changes", [])


def endpoint(shape, server):
    return "%s:%d" % (shape.host, server.port)


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


def nss_ours(db):
    """{nickname: trust flags} of the agent's certificates in db."""
    rc, out, _ = run(["certutil", "-L", "-d", "sql:" + db]) if os.path.isdir(db) else (1, "", "")
    ours = {}
    for line in out.splitlines():
        if line.startswith("uccx-trust "):
            nick, flags = line.rsplit(None, 1)
            ours[nick.strip()] = flags
    return ours


def fp_tag(prefix):
    """The tag the agent's nicknames carry: the first 4 bytes of the SHA-256."""
    return pem_sha256(prefix).replace(":", "").lower()[:8]


def nss_verify_all(db, leaves, work):
    """certutil -V -u V for each certificate (file prefixes) as an SSL server
    in db; [(accepted, detail)]. Done in a copy of db: a certificate the
    agent stored is verified under its own nickname, any other is imported
    there without trust first (so an attacker's gains nothing by import)."""
    if not os.path.isdir(db):
        return [(False, "no database")] * len(leaves)
    copy = tempfile.mkdtemp(dir=work, prefix="nss.")
    shutil.rmtree(copy)
    shutil.copytree(db, copy)
    ours = nss_ours(db)
    nicks = []
    for i, leaf in enumerate(leaves):
        tag = " " + fp_tag(leaf)
        nick = next((n for n in ours if n.endswith(tag)), None)
        if nick is None:
            nick = "probe %d" % i
            rc, _, err = run(["certutil", "-A", "-d", "sql:" + copy, "-n", nick, "-t", ",,",
                              "-i", leaf + ".pem"])
            if rc != 0:
                nick = None
        nicks.append(nick)
    out = []
    for nick in nicks:
        if nick is None:
            out.append((False, "could not be imported"))
            continue
        rc, o, e = run(["certutil", "-V", "-u", "V", "-d", "sql:" + copy, "-n", nick])
        out.append((rc == 0 and "certificate is valid" in o, (o + e).strip().replace("\n", " ")))
    shutil.rmtree(copy, ignore_errors=True)
    return out


def override_has(profile, shape, server, certs):
    try:
        text = open(os.path.join(profile, "cert_override.txt")).read()
    except OSError:
        return False
    return "%s:\t" % endpoint(shape, server) in text and pem_sha256(certs.srv) in text


def user_mode(cases, mode, work):
    """One user-scope install of every shape of cases into a fresh home,
    then NSS's answer in each database for every attacker and genuine
    certificate."""
    home = tempfile.mkdtemp(dir=work, prefix="home-%s." % mode)
    dbs = new_home(home)
    rc, out, err = run([AGENT, "install", "--home", home, "--state-dir", home + ".state"] +
                       agent_args(cases, mode), timeout=600)
    seen, changes = verdicts(out)
    if not seen:
        for _, _, _, res in cases:
            res.fail.append("%s: the agent gave no result (exit %d): %s" % (mode, rc, one_line(err)))
        return
    overrides = {(c["profile"], c["endpoints"]) for c in changes if c.get("trust") == "override"}
    for profile, db in dbs.items():
        leaves = []
        for shape, certs, _, _ in cases:
            leaves += [sent[0] for _, _, _, sent in certs.attackers] + [certs.srv]
        answers = nss_verify_all(db, leaves, work)
        ours = nss_ours(db)
        for shape, certs, server, res in cases:
            mine = answers[:len(certs.attackers) + 1]
            answers = answers[len(certs.attackers) + 1:]
            flags = " ".join(f for n, f in ours.items() if n.endswith(" " + fp_tag(certs.srv))) or "none"
            user_judge(shape, certs, server, mode, profile, db, flags,
                       seen.get(endpoint(shape, server), {}).get(profile),
                       (profile, endpoint(shape, server)) in overrides, mine, res)


def user_judge(shape, certs, server, mode, profile, db, flags, verdict, override, answers, res):
    for (signer, _, _, _), (ok, _) in zip(certs.attackers, answers):
        if may_sign(shape, signer, mode):
            if ok:
                res.notes.append("pinned CA:TRUE signs for others in %s (allowed)" % profile)
            continue
        res.expect(not ok, "%s: NSS (%s, %s) ACCEPTS %s signed by the %s key (its trust: %s)"
                   % (mode, profile, db, VICTIM, signer, flags))
    if must_trust(shape):
        res.expect(verdict == "trusted", "%s: %s reported %s, not trusted" % (mode, profile, verdict))
    if verdict != "trusted":
        return
    if override:
        res.expect(override_has(db, shape, server, certs), "%s: %s reported trusted by an exception, "
                   "none in cert_override.txt" % (mode, profile))
    elif classic_nss_judges(shape):
        res.expect(answers[-1][0], "%s: %s reported trusted but NSS refuses the genuine "
                   "certificate: %s" % (mode, profile, answers[-1][1]))


def classic_nss_judges(shape):
    """certutil -V is NSS's classic verifier, stricter than the browsers on
    a server certificate that says CA:TRUE ("type not approved") or an RSA
    key without keyEncipherment ("key usage inadequate"), both of which
    Chromium accepts (DESIGN.md): for those the genuine side is left to the
    browsers part. It stays the judge of every attacker."""
    return not shape.is_ca() and not (shape.ku == "sign" and shape.key == "rsa")


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
        cmd += ["-verify_hostname", name]
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


def machine_mode(cases, mode, work):
    """One machine-scope install of every shape of cases in a private mount
    namespace (machine_case), then OpenSSL's answer with the system anchors
    for every attacker and genuine chain."""
    case = tempfile.mkdtemp(dir=work, prefix="machine-%s." % mode)
    cmd = ["unshare", "-m", sys.executable, os.path.abspath(__file__), "machine-case", "--dir", case]
    for shape, certs, _, _ in cases:
        for signer, _, _, sent in certs.attackers:
            cmd += ["--probe", "%s|%s|%s" % (VICTIM, sent[0] + ".pem",
                                             rest_file(certs, "att-" + signer, sent))]
        cmd += ["--probe", "%s|%s|%s" % (shape.host, certs.srv + ".pem",
                                         rest_file(certs, "srv", certs.served))]
    rc, out, err = run(cmd + ["--"] + agent_args(cases, mode), timeout=600)
    try:
        doc = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        for _, _, _, res in cases:
            res.fail.append("%s: machine scope did not run: %s" % (mode, one_line(err)))
        return
    probes = doc["probes"]
    for shape, certs, server, res in cases:
        mine, probes = probes[:len(certs.attackers) + 1], probes[len(certs.attackers) + 1:]
        verdict = doc["verdicts"].get(endpoint(shape, server), {}).get("system")
        for (signer, _, _, _), probe in zip(certs.attackers, mine):
            if may_sign(shape, signer, mode):
                if probe["ok"]:
                    res.notes.append("pinned CA:TRUE signs for others in the system anchors (allowed)")
                continue
            res.expect(not probe["ok"], "%s: OpenSSL with the system anchors ACCEPTS %s signed by "
                       "the %s key" % (mode, VICTIM, signer))
        if must_trust(shape):
            res.expect(verdict == "trusted", "%s: machine scope reported %s for the system anchors, "
                       "not trusted" % (mode, verdict))
        if verdict == "trusted":
            res.expect(mine[-1]["ok"], "%s: system anchors reported trusted but OpenSSL refuses the "
                       "genuine certificate: %s" % (mode, mine[-1]["detail"]))


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


def wine_mode(wine, cases, mode):
    """One install of every shape of cases in mode (a Wine call costs
    seconds: the shapes go together, each with its own names and keys),
    one crypt32 look at every attacker and genuine chain, then remove."""
    wine.count += 1
    state = "C:\\uct-prop-%d" % wine.count
    args = [wine.exe, "install", "--state-dir", state] + agent_args(cases, mode)
    rc, out, err = wine.w(args, timeout=600)
    seen, _ = verdicts(out)
    if not seen:
        for _, _, _, res in cases:
            res.fail.append("%s: the Windows agent gave no result (exit %d): %s"
                            % (mode, rc, one_line(err)))
        return
    pairs = []
    for shape, certs, _, _ in cases:
        for _, chain, _, _ in certs.attackers:
            pairs += [VICTIM, chain]
        pairs += [shape.host, certs.served_pem]
    rc, out, err = wine.w([wine.check, "verify-strict"] + pairs, timeout=600)
    lines = out.split("\n")
    if len(lines) < len(pairs) // 2:
        for _, _, _, res in cases:
            res.fail.append("%s: wincheck verify-strict failed: %s" % (mode, (out + err).strip()[-300:]))
    else:
        for shape, certs, server, res in cases:
            wine_judge(shape, certs, mode, list(seen.get(endpoint(shape, server), {}).values()),
                       lines[:len(certs.attackers) + 1], res)
            lines = lines[len(certs.attackers) + 1:]
    wine.w([wine.exe, "remove", "--state-dir", state, "--json"], timeout=300)
    rc, out, _ = wine.w([wine.check, "list"])
    if out.strip():
        for _, _, _, res in cases:
            res.fail.append("%s: remove left certificates of ours in the Windows stores: %s"
                            % (mode, out.strip()[:300]))
        for line in out.strip().split("\n"):  # the next run must start clean
            wine.w([wine.check, "delete", line.split("\t")[2]])


def wine_judge(shape, certs, mode, seen, lines, res):
    """lines: crypt32's answer for each attacker, then for the genuine chain."""
    for (signer, _, _, _), line in zip(certs.attackers, lines):
        if may_sign(shape, signer, mode):
            if not line.startswith("untrusted"):
                res.notes.append("pinned CA:TRUE signs for others in LocalMachine (allowed)")
            continue
        res.expect(line.startswith("untrusted"), "%s: crypt32 (LocalMachine) ACCEPTS %s signed by "
                   "the %s key: %s" % (mode, VICTIM, signer, line))
    if must_trust(shape):
        res.expect(seen and all(v == "trusted" for v in seen),
                   "%s: the Windows agent reported %s, not trusted" % (mode, seen))
    if seen and all(v == "trusted" for v in seen):
        res.expect(not lines[-1].startswith("untrusted"), "%s: reported trusted but crypt32 refuses "
                   "the genuine certificate: %s" % (mode, lines[-1]))


# ---- the shapes, one line each ---------------------------------------------------------

def shape_lines(shape, res, ms):
    if res.fail:
        return False, ["not ok - %s %s (%d ms a shape)" % (shape.ident, shape.describe(), ms)] + \
            ["#   " + f for f in res.fail]
    notes = "; " + "; ".join(sorted(set(res.notes))) if res.notes else ""
    return True, ["ok - %s %s: %s refused wherever it must be%s (%d ms a shape)" % (
        shape.ident, shape.describe(), VICTIM, notes, ms)]


def serve_shape(shape, work, res):
    """The shape's certificates and its server; (None, None) on failure."""
    try:
        certs = Certs(SHAPECERT, shape, work)
        return certs, Server(certs.served_pem, certs.served_key, shape.host)
    except (subprocess.CalledProcessError, OSError, ssl.SSLError) as e:
        res.fail.append("cannot make or serve the shape: %s" % e)
        return None, None


def run_groups(shapes, work, check, group=40):
    """Shapes in groups served at once; check(cases) installs and judges a
    group (each shape has its own names and keys, so they do not mix: an
    agent run costs seconds, under Wine several). One line per shape."""
    passed = failed = 0
    for i in range(0, len(shapes), group):
        t0 = time.monotonic()
        cases = []
        for shape in shapes[i:i + group]:
            res = Result()
            certs, server = serve_shape(shape, work, res)
            cases.append((shape, certs, server, res))
        live = [c for c in cases if c[2] is not None]
        try:
            check(live)
        finally:
            for _, _, server, _ in live:
                server.close()
        ms = int((time.monotonic() - t0) * 1000) // max(len(cases), 1)
        for shape, _, _, res in cases:
            ok, lines = shape_lines(shape, res, ms)
            passed, failed = passed + ok, failed + (not ok)
            print("\n".join(lines))
        sys.stdout.flush()
    return passed, failed


def check_linux(cases, work):
    for mode in MODES:
        user_mode(cases, mode, work)
        machine_mode(cases, mode, work)


def check_wine(wine, cases):
    for mode in MODES:
        wine_mode(wine, cases, mode)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("part", choices=["linux", "wine", "browsers", "machine-case"])
    ap.add_argument("--seed", type=int, default=int(os.environ.get("UCT_PROPERTY_SEED", "0") or 0))
    ap.add_argument("--full", action="store_true", default=os.environ.get("UCT_PROPERTY_FULL") == "1")
    ap.add_argument("--only", help="run only the shapes whose name contains this")
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
        if args.part == "linux":
            passed, failed = run_groups(shapes, work, lambda cases: check_linux(cases, work))
        else:
            passed, failed = run_groups(shapes, work, lambda cases: check_wine(wine, cases))
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
