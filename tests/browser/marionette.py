# marionette.py: drives one headless Firefox ESR over Marionette (the
# length-prefixed JSON protocol Firefox listens on with --marionette), with
# a profile the test owns. Python 3 stdlib only.
import json
import os
import signal
import socket
import subprocess
import time

from chromium_cdp import BrowserError

# Written to the profile's user.js before every start: Firefox reads
# network prefs only at start (DESIGN.md). Everything that would contact
# the Internet is off; tests only ever talk to the lab on loopback.
PREFS = {
    "marionette.port": 0,
    "network.proxy.type": 0,
    "network.trr.mode": 5,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.http.speculative-parallel-limit": 0,
    "security.OCSP.enabled": 0,
    "security.remote_settings.crlite_filters.enabled": False,
    "security.remote_settings.intermediates.enabled": False,
    "services.settings.server": "",
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.startup.page": 0,
    "browser.aboutwelcome.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.enabled": False,
    "app.update.enabled": False,
    "app.normandy.enabled": False,
    "extensions.update.enabled": False,
    "browser.newtabpage.enabled": False,
    "browser.sessionstore.resume_from_crash": False,
    "toolkit.startup.max_resumed_crashes": -1,
}


def new_firefox_home(home):
    """Makes home a PC user's home with one Firefox profile listed in
    profiles.ini, holding the empty NSS database Firefox makes for a new
    profile, and no Chromium database. Returns the profile's directory."""
    prof = os.path.join(home, ".mozilla", "firefox", "abcd1234.default-release")
    os.makedirs(prof)
    subprocess.run(["certutil", "-N", "-d", "sql:" + prof, "--empty-password"], check=True,
                   capture_output=True, timeout=30)
    with open(os.path.join(home, ".mozilla", "firefox", "profiles.ini"), "w") as f:
        f.write("[Profile0]\nName=default-release\nIsRelative=1\nPath=abcd1234.default-release\n"
                "Default=1\n\n[General]\nStartWithLastProfile=1\nVersion=2\n")
    return prof


def write_user_js(profile):
    with open(os.path.join(profile, "user.js"), "w") as f:
        for key, value in PREFS.items():
            f.write("user_pref(%s, %s);\n" % (json.dumps(key), json.dumps(value)))


class Firefox:
    """One Firefox process on an existing profile; every wait is bounded
    and close() kills the whole process group."""

    def __init__(self, home, profile, timeout=30.0, binary="firefox-esr", log=None):
        self.timeout = timeout
        self.profile = profile
        self.next_id = 0
        self.sock = None
        self.buf = b""
        self.browser_version = ""
        write_user_js(profile)
        port_file = os.path.join(profile, "MarionetteActivePort")
        if os.path.exists(port_file):
            os.unlink(port_file)
        env = dict(os.environ, HOME=home, MOZ_HEADLESS="1", MOZ_CRASHREPORTER_DISABLE="1")
        for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
            env.pop(k, None)
        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-remote", "--marionette", "--profile", profile],
            env=env, stdin=subprocess.DEVNULL, stdout=log or subprocess.DEVNULL,
            stderr=log or subprocess.DEVNULL, start_new_session=True)
        try:
            self._connect(port_file)
            err, value = self.call("WebDriver:NewSession", {"capabilities": {"alwaysMatch": {
                "acceptInsecureCerts": False, "pageLoadStrategy": "normal",
                "timeouts": {"pageLoad": 15000, "script": 5000}}}})
            if err:
                raise BrowserError("firefox: new session: %s" % err)
            caps = value.get("capabilities", {})
            self.browser_version = "%s %s" % (caps.get("browserName", "firefox"),
                                              caps.get("browserVersion", "?"))
        except Exception:
            self.close()
            raise

    def _connect(self, port_file):
        deadline = time.monotonic() + self.timeout
        port = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BrowserError("firefox exited with %d at start" % self.proc.returncode)
            try:
                with open(port_file) as f:
                    port = int(f.read().strip() or 0)
            except (OSError, ValueError):
                port = None
            if port:
                try:
                    self.sock = socket.create_connection(("127.0.0.1", port), timeout=self.timeout)
                    break
                except OSError:
                    pass
            time.sleep(0.1)
        if self.sock is None:
            raise BrowserError("firefox: no Marionette port within %.0f s" % self.timeout)
        self._read(deadline)  # the greeting: {"applicationType": "gecko", ...}

    def _read(self, deadline):
        while True:
            head, sep, rest = self.buf.partition(b":")
            if sep and head.isdigit() and len(rest) >= int(head):
                n = int(head)
                self.buf = rest[n:]
                return json.loads(rest[:n])
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("firefox: no Marionette answer within %.0f s" % self.timeout)
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise BrowserError("firefox: Marionette connection closed")
            self.buf += chunk

    def call(self, command, params=None, timeout=None):
        """Returns (error, value): error is None or the WebDriver error dict."""
        self.next_id += 1
        data = json.dumps([0, self.next_id, command, params or {}]).encode()
        self.sock.sendall(str(len(data)).encode() + b":" + data)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            msg = self._read(deadline)
            if isinstance(msg, list) and len(msg) == 4 and msg[0] == 1 and msg[1] == self.next_id:
                return msg[2], msg[3]

    def script(self, source):
        err, value = self.call("WebDriver:ExecuteScript", {"script": source, "args": []})
        if err:
            return None
        return value.get("value") if isinstance(value, dict) else value

    def load(self, url, marker, timeout=20.0):
        """Opens url; returns ("loaded", text), ("error", code) with the code
        Firefox shows on its certificate error page, or ("timeout", detail)."""
        err, _ = self.call("WebDriver:Navigate", {"url": url}, timeout=timeout)
        text = self.script("return (document.getElementById('marker') || {}).textContent || ''") or ""
        if marker in text:
            return "loaded", text
        code = self.script("try { return document.getFailedCertSecurityInfo().errorCodeString; }"
                           " catch (e) { return ''; }")
        if code:
            return "error", code
        if err:
            return "timeout" if err.get("error") == "timeout" else "error", \
                err.get("error", "") + ": " + (err.get("message") or "")[:120]
        return "timeout", text

    def version(self):
        return self.browser_version

    def close(self):
        """Quits Firefox (bounded), then kills its process group."""
        try:
            if self.sock is not None and self.proc.poll() is None:
                self.call("Marionette:Quit", {"flags": ["eForceQuit"]}, timeout=10)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=10)
        if self.sock is not None:
            self.sock.close()
            self.sock = None
