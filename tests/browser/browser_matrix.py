# browser_matrix.py: the browser acceptance suite. For each lab scenario, real
# Chromium and Firefox ESR load all 13 UCCX URLs before `uccx-trust install`,
# after it and after `uccx-trust remove`; the agent's verdicts must agree with
# what the browsers do. Run by test_browsers.sh inside a private mount
# namespace whose /etc/hosts maps the lab's names (see there why).
import argparse
import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chromium_cdp import BrowserError, Chromium  # noqa: E402
from marionette import Firefox, new_firefox_home  # noqa: E402

NODES = ["uccx1.lab.example", "uccx2.lab.example"]
SOCIALMINER = "socialminer.lab.example"
# DESIGN.md's endpoint table: name, port, path.
NODE_ENDPOINTS = [("appadmin", 443, "/appadmin/main"), ("notification", 7443, "/"),
                  ("finesse", 8445, "/"), ("cfadmin", 8445, "/cfadmin"),
                  ("cuic", 8444, "/"), ("livedata", 12015, "/")]
BROWSERS = ["chromium", "firefox"]
PHASES = ["before", "after", "removed"]

# Which browser loads the pages once the agent has installed what it can
# (DESIGN.md, "What browsers actually accept"). Everything else must fail
# and be reported by the agent as cannot-fix-on-pc.
SCENARIOS = {
    "selfsigned": {"chromium": True, "firefox": True},
    "selfsigned-ca": {"chromium": True, "firefox": True},
    "private-ca": {"chromium": True, "firefox": True},
    "private-ca-noroot": {"chromium": True, "firefox": True},
    "nosan": {"chromium": False, "firefox": True},
    "expired": {"chromium": False, "firefox": False},
    "wrongname": {"chromium": False, "firefox": False},
    "rsa1024": {"chromium": True, "firefox": True},
    "ecdsa": {"chromium": True, "firefox": True},
}

# The errors a browser shows for a certificate it has no trust for. It
# shows them before any other problem of the certificate (measured: an
# expired or SAN-less self-signed certificate gives these, not
# ERR_CERT_DATE_INVALID or ERR_CERT_COMMON_NAME_INVALID), so they mask the
# code the agent names for what would remain after trusting it.
UNTRUSTED = {"ERR_CERT_AUTHORITY_INVALID", "MOZILLA_PKIX_ERROR_SELF_SIGNED_CERT",
             "SEC_ERROR_UNKNOWN_ISSUER"}

PASS = 0
FAIL = 0
DISAGREEMENTS = []  # verdicts that differ: failures
MASKED = []  # same verdict, the browser's trust error hides the agent's code


def ok(cond, what, detail=""):
    global PASS, FAIL
    if cond:
        PASS += 1
        print("ok - " + what, flush=True)
    else:
        FAIL += 1
        print("not ok - " + what + (": " + detail if detail else ""), flush=True)
    return cond


def endpoints():
    """The 13 URLs, each with its endpoint name and the page marker."""
    out = []
    for host in NODES:
        for name, port, path in NODE_ENDPOINTS:
            url = "https://%s%s%s" % (host, "" if port == 443 else ":%d" % port, path)
            out.append((host.split(".")[0] + "/" + name, url, "UCCX-LAB-OK host=%s port=%d " % (host, port)))
    out.append(("socialminer/chat", "https://%s/" % SOCIALMINER,
                "UCCX-LAB-OK host=%s port=443 " % SOCIALMINER))
    return out


class Suite:
    def __init__(self, args):
        self.args = args
        self.build = args.build
        self.lab_bin = os.path.join(self.build, "tests", "uccx-lab")
        self.agent_bin = os.path.join(self.build, "uccx-trust")
        self.work = args.work
        self.versions = {}
        self.matrix = {}  # (scenario, endpoint) -> {(browser, phase): cell}
        self.agent = {}  # (scenario, endpoint) -> {browser: (verdict, code)}
        self.labs = []
        self.chromium = "/usr/lib/chromium/chromium"
        if not os.path.exists(self.chromium):
            self.chromium = shutil.which("chromium") or "chromium"

    # ---- the lab, homes, the agent ----

    def lab_start(self, scenario):
        out = os.path.join(self.work, scenario, "lab")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        subprocess.run([self.lab_bin, "--stop", "--out", out], capture_output=True, timeout=30)
        subprocess.run([self.lab_bin, "--scenario", scenario, "--real-ports", "--out", out, "--daemon"],
                       check=True, capture_output=True, timeout=60)
        self.labs.append(out)
        return out

    def lab_stop(self, out):
        subprocess.run([self.lab_bin, "--stop", "--out", out], capture_output=True, timeout=30)

    def new_home(self, scenario, label="home"):
        """A PC user's home: one Firefox profile in profiles.ini (with the empty
        NSS database Firefox makes), no Chromium database yet."""
        home = os.path.join(self.work, scenario, label)
        return home, new_firefox_home(home)

    def run_agent(self, command, home, state):
        """Runs the agent with the lab's names resolved through /etc/hosts
        (no --connect-to: the agent resolves and connects as on a PC)."""
        args = [self.agent_bin, command, "--home", home, "--state-dir", state, "--proxy", "direct",
                "--connect-timeout", "2", "--timeout", "5", "--json",
                "--socialminer", SOCIALMINER]
        for n in NODES:
            args += ["--node", n]
        try:
            p = subprocess.run(args, capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            return -1, {}, "timed out"
        try:
            report = json.loads(p.stdout)
        except ValueError:
            report = {}
        return p.returncode, report, p.stderr

    # ---- browsers ----

    def chromium_pass(self, home, data_dir, urls, results):
        c = None
        try:
            c = Chromium(home, data_dir, binary=self.chromium,
                         log=open(data_dir + ".log", "w"))
            self.versions.setdefault("chromium", c.version())
            for ep, url, marker in urls:
                results[ep] = c.load(url, marker)
        except (BrowserError, OSError, ValueError) as e:
            for ep, _, _ in urls:
                results.setdefault(ep, ("browser-failed", str(e)[:100]))
        finally:
            if c is not None:
                c.close()

    def firefox_pass(self, home, prof, urls, results):
        f = None
        try:
            f = Firefox(home, prof, log=open(prof + ".firefox.log", "a"))
            self.versions.setdefault("firefox", f.version())
            for ep, url, marker in urls:
                results[ep] = f.load(url, marker)
        except (BrowserError, OSError, ValueError) as e:
            for ep, _, _ in urls:
                results.setdefault(ep, ("browser-failed", str(e)[:100]))
        finally:
            if f is not None:
                f.close()

    def browse(self, scenario, phase, home, prof, urls):
        """Both browsers, each started fresh, in parallel (two cores)."""
        res = {"chromium": {}, "firefox": {}}
        data_dir = os.path.join(self.work, scenario, "chromium-" + phase)
        threads = [threading.Thread(target=self.chromium_pass, args=(home, data_dir, urls, res["chromium"])),
                   threading.Thread(target=self.firefox_pass, args=(home, prof, urls, res["firefox"]))]
        for t in threads:
            t.start()
        for t in threads:
            # Each browser call is bounded; this bound only guards the guard.
            t.join(timeout=300)
        return res

    # ---- one scenario ----

    def scenario(self, scen):
        expect = SCENARIOS[scen]
        urls = endpoints()
        lab = self.lab_start(scen)
        home, prof = self.new_home(scen)
        state = os.path.join(self.work, scen, "state")
        try:
            before = self.browse(scen, "before", home, prof, urls)
            rc, inst, err = self.run_agent("install", home, state)
            ok(bool(inst.get("endpoints")), "%s: install gives a JSON report (exit %d)" % (scen, rc), err[-300:])
            with open(os.path.join(self.work, scen, "install.json"), "w") as f:
                json.dump(inst, f, indent=1)
            after = self.browse(scen, "after", home, prof, urls)
            rc, rem, err = self.run_agent("remove", home, state)
            ok(rc == 0, "%s: remove exits 0" % scen, "exit %d %s" % (rc, err[-300:]))
            removed = self.browse(scen, "removed", home, prof, urls)
        finally:
            self.lab_stop(lab)
        self.judge(scen, expect, urls, inst, {"before": before, "after": after, "removed": removed})

    def judge(self, scen, expect, urls, inst, res):
        by_url = {e.get("url"): e for e in inst.get("endpoints", [])}
        ok(sorted(by_url) == sorted(u for _, u, _ in urls),
           "%s: the agent checks exactly the 13 URLs the browsers load" % scen, " ".join(sorted(by_url)))
        for browser in BROWSERS:
            b = res["before"][browser]
            a = res["after"][browser]
            r = res["removed"][browser]
            fails = [ep for ep, _, _ in urls if b.get(ep, ("?",))[0] != "error"]
            ok(not fails, "%s: %s fails on all 13 URLs on a fresh PC" % (scen, browser),
               ", ".join("%s=%s" % (ep, b.get(ep)) for ep in fails))
            bad, disagree = [], []
            for ep, url, _ in urls:
                got = a.get(ep, ("missing", ""))
                ag = agent_view(by_url.get(url), browser)
                self.agent[(scen, ep)] = dict(self.agent.get((scen, ep), {}), **{browser: ag})
                loaded = got[0] == "loaded"
                if loaded != expect[browser]:
                    bad.append("%s=%s:%s" % (ep, got[0], got[1]))
                if loaded and ag[0] != "trusted":
                    disagree.append((ep, ag, "loaded"))
                elif not loaded:
                    if ag[0] != "cannot-fix-on-pc":
                        disagree.append((ep, ag, got[1]))
                    elif ag[1] and ag[1] != got[1]:
                        if got[1] in UNTRUSTED:
                            MASKED.append("%s %s %s: agent %s (%s), the browser shows %s" % (
                                scen, ep, browser, ag[0], ag[1], got[1]))
                        else:
                            disagree.append((ep, ag, got[1]))
            what = "loads" if expect[browser] else "still fails (cannot be fixed on a PC)"
            ok(not bad, "%s: after install %s %s on all 13 URLs" % (scen, browser, what), ", ".join(bad))
            for ep, ag, code in disagree:
                DISAGREEMENTS.append("%s %s %s: agent says %s%s, the browser %s" % (
                    scen, ep, browser, ag[0], " (" + ag[1] + ")" if ag[1] else "",
                    "loads the page" if code == "loaded" else "shows " + code))
            ok(not disagree, "%s: the agent's %s verdicts match the browser" % (scen, browser),
               "; ".join("%s: agent %s/%s, browser %s" % (ep, ag[0], ag[1], code) for ep, ag, code in disagree))
            back = [ep for ep, _, _ in urls if r.get(ep) != b.get(ep)]
            ok(not back, "%s: after remove %s fails again as before on all 13 URLs" % (scen, browser),
               ", ".join("%s=%s (before %s)" % (ep, r.get(ep), b.get(ep)) for ep in back))
            for ep, _, _ in urls:
                cell = self.matrix.setdefault((scen, ep), {})
                for phase in PHASES:
                    got = res[phase][browser].get(ep, ("missing", ""))
                    cell[(browser, phase)] = "loaded" if got[0] == "loaded" else (got[1] or got[0])

    # ---- Firefox running while the agent installs ----

    def running_firefox(self):
        scen = "selfsigned-ca"
        urls = endpoints()
        lab = self.lab_start(scen)
        home, prof = self.new_home(scen, "home-running")
        state = os.path.join(self.work, scen, "state-running")
        override = os.path.join(prof, "cert_override.txt")
        f = None
        try:
            f = Firefox(home, prof, log=open(prof + ".firefox.log", "a"))
            ep, url, marker = urls[2]
            got = f.load(url, marker)
            ok(got[0] == "error", "running Firefox: %s fails before install" % ep, str(got))
            rc, inst, err = self.run_agent("install", home, state)
            text = json.dumps(inst)
            fx = [agent_view(e, "firefox")[0] for e in inst.get("endpoints", [])]
            ok(fx and all(v == "deferred" for v in fx),
               "running Firefox: the agent defers Firefox on all 13 URLs", str(fx))
            ok("Firefox is running" in text and "close Firefox" in text,
               "running Firefox: the report says Firefox must be closed", str(inst.get("actions")))
            ok(rc == 1, "running Firefox: install exits 1 (work left)", "exit %d" % rc)
            ok(count_overrides(override) == 0, "running Firefox: no override written under it")
            got = f.load(url, marker)
            ok(got[0] == "error", "running Firefox: still fails while it runs", str(got))
            f.close()
            f = None
            ok(count_overrides(override) == 0, "running Firefox: its exit leaves no override")
            rc, inst, err = self.run_agent("install", home, state)
            fx = [agent_view(e, "firefox")[0] for e in inst.get("endpoints", [])]
            ok(rc == 0 and fx and all(v == "trusted" for v in fx),
               "running Firefox: install after Firefox closed trusts all 13 URLs", "exit %d %s" % (rc, fx))
            ok(count_overrides(override) == 11, "running Firefox: 11 override lines written",
               str(count_overrides(override)))
            ok(count_overrides(override, companions=True) == 11,
               "running Firefox: each with its companion for the name with a trailing dot",
               str(count_overrides(override, companions=True)))
            res = {}
            self.firefox_pass(home, prof, urls, res)
            bad = [ep for ep, _, _ in urls if res.get(ep, ("?",))[0] != "loaded"]
            ok(not bad, "running Firefox: after the restart Firefox loads all 13 URLs",
               ", ".join("%s=%s" % (e, res.get(e)) for e in bad))
        finally:
            if f is not None:
                f.close()
            self.lab_stop(lab)

    def stop_labs(self):
        for out in self.labs:
            self.lab_stop(out)

    # ---- the matrix ----

    def write_matrix(self, path, scenarios, elapsed):
        lines = ["# Browser matrix", "",
                 "What real browsers do with every UCCX page of the lab, on a fresh PC (before),",
                 "after `uccx-trust install` (after) and after `uccx-trust remove` (removed).",
                 "`loaded` means the page showed its `UCCX-LAB-OK host=H port=P` marker; otherwise",
                 "the browser's own error code (Chromium's net error, Firefox's",
                 "`getFailedCertSecurityInfo().errorCodeString`). The last column is the agent's",
                 "verdict after install (Chromium / Firefox). Generated by",
                 "`tests/browser/test_browsers.sh` (ctest `browser/test_browsers`).", "",
                 "- Date: %s" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                 "- Chromium: %s" % self.versions.get("chromium", "?"),
                 "- Firefox: %s" % self.versions.get("firefox", "?"),
                 "- Run time: %.0f s; %d checks passed, %d failed" % (elapsed, PASS, FAIL), ""]
        for scen in scenarios:
            lines += ["## %s" % scen, "",
                      "| endpoint | Chromium before | after | removed | Firefox before | after | removed "
                      "| agent verdict |",
                      "| --- | --- | --- | --- | --- | --- | --- | --- |"]
            for ep, _, _ in endpoints():
                cell = self.matrix.get((scen, ep), {})
                ag = self.agent.get((scen, ep), {})
                row = [ep] + [cell.get((b, p), "-") for b in BROWSERS for p in PHASES]
                row.append(" / ".join(ag.get(b, ("?", ""))[0] for b in BROWSERS))
                lines.append("| " + " | ".join(row) + " |")
            lines.append("")
        if MASKED:
            lines += ["## Codes the browser's trust error hides", "",
                      "The agent's verdict matches, but it names the problem that remains once",
                      "the certificate were trusted; the browser shows its trust error first.", ""]
            lines += ["- " + d for d in collapse(MASKED)]
            lines.append("")
        if DISAGREEMENTS:
            lines += ["## Where the agent and a browser disagree", ""]
            lines += ["- " + d for d in DISAGREEMENTS]
            lines.append("")
        text = "\n".join(lines)
        with open(path, "w") as f:
            f.write(text)
        return text


def agent_view(endpoint, browser):
    """The agent's after-install verdict and predicted error code for one
    browser: the worst over that browser's profiles."""
    if not endpoint:
        return ("absent", "")
    views = [(b.get("verdict") or "", b.get("code") or "") for b in endpoint.get("browsers", [])
             if b.get("browser") == browser]
    if not views:
        return ("no-store", "")
    for v in views:
        if v[0] != "trusted":
            return v
    return views[0]


def collapse(notes):
    """One line per scenario, browser and pair of codes, with the endpoints."""
    groups = {}
    for n in notes:
        scen, ep, rest = n.split(" ", 2)
        groups.setdefault((scen, rest), []).append(ep)
    return ["%s %s (%s)" % (scen, rest.split(": ", 1)[0] + ": " + rest.split(": ", 1)[1],
                           "all 13 endpoints" if len(eps) == 13 else ", ".join(eps))
            for (scen, rest), eps in groups.items()]


def count_overrides(path, companions=False):
    """The exceptions in cert_override.txt: a companion line for "host.:port"
    with the fingerprint of a line for host:port (Firefox needs it for the
    URL typed with a trailing dot) counts with that line. With companions,
    the number of companion lines instead."""
    try:
        with open(path) as f:
            lines = [line.split("\t") for line in f if "\tOID.2.16.840.1.101.3.4.2.1\t" in line]
    except FileNotFoundError:
        return 0
    have = {(fields[0], fields[2]) for fields in lines}
    n = sum(1 for key, _, fp, *rest in lines
            if re.search(r"\.:\d+:$", key) and (re.sub(r"\.(:\d+:)$", r"\1", key), fp) in have)
    return n if companions else len(lines) - n


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--build", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--matrix", required=True, help="where to write the Markdown matrix")
    p.add_argument("--scenario", action="append", help="only these scenarios (repeatable)")
    p.add_argument("--no-running-firefox", action="store_true")
    args = p.parse_args()
    # ctest's timeout sends SIGTERM: unwind so every browser and lab is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    suite = Suite(args)
    scenarios = args.scenario or list(SCENARIOS)
    started = time.monotonic()
    try:
        for scen in scenarios:
            t0 = time.monotonic()
            suite.scenario(scen)
            print("# %s: %.1f s" % (scen, time.monotonic() - t0), flush=True)
        if not args.no_running_firefox:
            t0 = time.monotonic()
            suite.running_firefox()
            print("# running Firefox: %.1f s" % (time.monotonic() - t0), flush=True)
    finally:
        suite.stop_labs()
    text = suite.write_matrix(args.matrix, scenarios, time.monotonic() - started)
    print(text)
    for d in DISAGREEMENTS:
        print("# DISAGREEMENT: " + d)
    for d in collapse(MASKED):
        print("# masked code: " + d)
    print("%d passed, %d failed" % (PASS, FAIL))
    return 0 if FAIL == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
