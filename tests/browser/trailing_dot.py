# trailing_dot.py: a UCCX URL typed with a trailing dot (https://host.:8445/)
# names the same server, and after uccx-trust install it must load in real
# Firefox ESR and Chromium as the URL without the dot does; after remove
# both fail again. The lab's appliance-style certificate (selfsigned-ca)
# needs a Firefox exception, which Firefox keys by the host as typed. Run
# by test_trailing_dot.sh in a mount namespace whose /etc/hosts maps both
# spellings of the name. Every browser call is bounded.
import argparse
import os
import subprocess
import sys

from chromium_cdp import Chromium
from marionette import Firefox, new_firefox_home

HOST = "uccx1.lab.example"
MARKER = "UCCX-LAB-OK"
URLS = ["https://%s:8445/" % HOST, "https://%s.:8445/" % HOST]
RESULTS = {"passed": 0, "failed": 0}


def ok(cond, what, detail=""):
    RESULTS["passed" if cond else "failed"] += 1
    print("%s - %s%s" % ("ok" if cond else "not ok", what, "" if cond else ": " + detail), flush=True)


def firefox_loads(home, prof):
    f = Firefox(home, prof, log=open(prof + ".firefox.log", "a"))
    try:
        return [f.load(u, MARKER) for u in URLS]
    finally:
        f.close()


def chromium_loads(home):
    c = Chromium(home, os.path.join(home, "chromium-data"))
    try:
        return [c.load(u, MARKER) for u in URLS]
    finally:
        c.close()


def agent(build, command, home):
    return subprocess.run([os.path.join(build, "uccx-trust"), command, "--home", home,
                           "--state-dir", os.path.join(home, "state"), "--proxy", "direct",
                           "--connect-timeout", "2", "--timeout", "5", "--node", HOST],
                          capture_output=True, text=True, timeout=120)


def new_home(work):
    home = os.path.join(work, "home")
    return home, new_firefox_home(home)


def phases(build, home, prof):
    for u, got in zip(URLS, firefox_loads(home, prof)):
        ok(got[0] == "error", "before install, Firefox refuses %s" % u, str(got))
    p = agent(build, "install", home)
    ok(p.returncode == 0, "install exits 0", p.stdout[-400:] + p.stderr[-400:])
    for u, got in zip(URLS, firefox_loads(home, prof)):
        ok(got[0] == "loaded", "after install, Firefox loads %s" % u, str(got))
    for u, got in zip(URLS, chromium_loads(home)):
        ok(got[0] == "loaded", "after install, Chromium loads %s" % u, str(got))
    p = agent(build, "remove", home)
    ok(p.returncode == 0, "remove exits 0", p.stdout[-400:] + p.stderr[-400:])
    for u, got in zip(URLS, firefox_loads(home, prof)):
        ok(got[0] == "error", "after remove, Firefox refuses %s again" % u, str(got))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    lab = os.path.join(args.work, "lab")
    lab_bin = os.path.join(args.build, "tests", "uccx-lab")
    subprocess.run([lab_bin, "--scenario", "selfsigned-ca", "--real-ports", "--out", lab, "--daemon"],
                   check=True, capture_output=True, timeout=60)
    try:
        home, prof = new_home(args.work)
        phases(args.build, home, prof)
    finally:
        subprocess.run([lab_bin, "--stop", "--out", lab], capture_output=True, timeout=30)
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
