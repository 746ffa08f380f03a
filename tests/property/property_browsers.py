# property_browsers.py: the browsers' half of the trust-safety property test
# (trust_property.py browsers). A fixed sample of shapes, among them the two
# that once became a CA for every site (basicConstraints absent, X.509 v1),
# is installed by the real agent into one fresh home per trust mode; then the
# real Chromium and Firefox ESR of that home open, per shape, the genuine
# server (it must load where the agent says it is trusted) and a server for
# www.victimbank.example whose certificate the shape's key signed (it must
# fail). Names resolve through /etc/hosts in a private mount namespace;
# every server is on a free port of 127.0.0.1.
import json
import os
import shutil
import subprocess
import sys
import tempfile

from chromium_cdp import BrowserError, Chromium
from marionette import Firefox
from shapes import VICTIM, Certs, Server, Shape
import trust_property as tp

SAMPLE = [
    Shape("b-nobc", bc="none", ku="none", eku="server"),
    Shape("b-nobc-sign", bc="none", ku="sign", eku="none", key="rsa"),
    Shape("b-v1", version=1),
    Shape("b-false", bc="false-crit", ku="leaf", eku="server"),
    Shape("b-ca", bc="true-crit", ku="sign", eku="server"),
    Shape("b-chain", bc="false-crit", chain="root-not-sent"),
]


def inner(agent, tool):
    work = tempfile.mkdtemp(prefix="uct-prop-browsers.")
    servers = []
    try:
        return run_sample(agent, tool, work, servers)
    finally:
        for s in servers:
            s.close()
        if os.environ.get("UCT_PROPERTY_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)


def start_servers(tool, work, servers):
    """Per shape: (shape, certs, genuine server, [(signer, attacker server)])."""
    out = []
    for shape in SAMPLE:
        certs = Certs(tool, shape, work)
        genuine = Server(certs.served_pem, certs.served_key, shape.host)
        servers.append(genuine)
        atts = []
        for signer, chain, key, _ in certs.attackers:
            s = Server(chain, key, VICTIM)
            servers.append(s)
            atts.append((signer, s))
        out.append((shape, certs, genuine, atts))
    return out


def install(agent, work, mode, cases):
    """One agent run for every shape of the sample; {host:port: {profile: verdict}}."""
    home = os.path.join(work, "home-" + mode)
    dbs = tp.new_home(home)
    args = [agent, "install", "--home", home, "--state-dir", os.path.join(work, "state-" + mode),
            "--json", "--connect-timeout", "3", "--timeout", "10"]
    if mode == "pinned":
        args += ["--trust", "pinned"]
    for shape, certs, genuine, _ in cases:
        args += ["--url", "https://%s:%d/" % (shape.host, genuine.port)]
        if mode == "pinned":
            args += ["--pin", tp.pem_sha256(certs.srv)]
    rc, out, err = tp.run(args, timeout=120)
    seen = {}
    try:
        for ep in json.loads(out).get("endpoints", []):
            seen["%s:%d" % (ep["host"], ep["port"])] = {b["profile"]: b["verdict"] for b in ep["browsers"]}
    except ValueError:
        print("# the agent gave no result (exit %d): %s" % (rc, tp.one_line(err)))
    return home, dbs, seen


def visit(browser, url, marker):
    try:
        return browser.load(url, marker)
    except BrowserError as e:
        return "timeout", str(e)


def check_mode(agent, work, mode, cases, results, loaded):
    home, dbs, seen = install(agent, work, mode, cases)
    browsers = [("chromium", "chromium", lambda: Chromium(home, os.path.join(work, "chr-" + mode)))]
    browsers.append(("firefox", "firefox:default-release",
                     lambda: Firefox(home, dbs["firefox:default-release"])))
    for name, profile, start in browsers:
        try:
            b = start()
        except BrowserError as e:
            for shape, _, _, _ in cases:
                results[shape.ident].append("%s: %s did not start: %s" % (mode, name, e))
            continue
        try:
            for shape, certs, genuine, atts in cases:
                fails = results[shape.ident]
                verdict = seen.get("%s:%d" % (shape.host, genuine.port), {}).get(profile)
                state, detail = visit(b, "https://%s:%d/" % (shape.host, genuine.port), "PROPERTY-OK")
                if tp.must_trust(shape):
                    fails_if(fails, verdict != "trusted", "%s: the agent reported %s for %s, not trusted"
                             % (mode, verdict, name))
                if state == "loaded":
                    loaded[shape.ident].append("%s %s" % (mode, name))
                if verdict == "trusted":
                    fails_if(fails, state != "loaded", "%s: %s does not load the genuine server the agent "
                             "reported trusted: %s %s" % (mode, name, state, detail))
                for signer, att in atts:
                    state, detail = visit(b, "https://%s:%d/" % (VICTIM, att.port), "PROPERTY-OK")
                    if tp.may_sign(shape, signer, mode):
                        if state == "loaded":
                            loaded[shape.ident].append("%s %s: %s (allowed, pinned CA:TRUE)"
                                                       % (mode, name, VICTIM))
                        continue
                    fails_if(fails, state == "loaded", "%s: %s LOADS %s signed by the %s key"
                             % (mode, name, VICTIM, signer))
        finally:
            b.close()


def fails_if(fails, cond, what):
    if cond:
        fails.append(what)


def run_sample(agent, tool, work, servers):
    cases = start_servers(tool, work, servers)
    results = {shape.ident: [] for shape in SAMPLE}
    loaded = {shape.ident: [] for shape in SAMPLE}
    for mode in tp.MODES:
        check_mode(agent, work, mode, cases, results, loaded)
    passed = failed = 0
    for shape in SAMPLE:
        if results[shape.ident]:
            failed += 1
            print("not ok - %s %s" % (shape.ident, shape.describe()))
            for f in results[shape.ident]:
                print("#   " + f)
        else:
            passed += 1
            print("ok - %s %s: Chromium and Firefox refuse %s wherever they must; loaded: %s"
                  % (shape.ident, shape.describe(), VICTIM, ", ".join(loaded[shape.ident]) or "nothing"))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def main(agent, tool):
    """Re-runs this part in a private mount namespace whose /etc/hosts maps
    every name of the sample to 127.0.0.1."""
    for binary in ("/usr/lib/chromium/chromium", "firefox-esr"):
        if not shutil.which(binary):
            print("not ok - %s is installed" % binary)
            print("0 passed, 1 failed")
            return 1
    if os.environ.get("UCT_PROPERTY_NS") == "1":
        return inner(agent, tool)
    hosts = tempfile.NamedTemporaryFile("w", prefix="uct-prop-hosts.", delete=False)
    hosts.write("127.0.0.1 localhost %s\n::1 localhost\n" % " ".join(
        [VICTIM] + ["uccx." + s.domain for s in SAMPLE]))
    hosts.close()
    script = 'mount --bind "$1" /etc/hosts && shift && exec "$@"'
    try:
        p = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", hosts.name, sys.executable,
                            os.path.join(os.path.dirname(os.path.abspath(__file__)), "trust_property.py"),
                            "browsers"], env=dict(os.environ, UCT_PROPERTY_NS="1"), timeout=800)
        return p.returncode
    finally:
        os.unlink(hosts.name)
