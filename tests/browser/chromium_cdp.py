# chromium_cdp.py: drives one headless Chromium over the DevTools protocol on
# a pipe (--remote-debugging-pipe: NUL-terminated JSON on fds 3 and 4), so no
# port, no websocket and no race with another test. Python 3 stdlib only.
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import time


def high_fd(fd):
    new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return new


class BrowserError(Exception):
    """The browser did not start, answer or quit within its bound."""


class Chromium:
    """One Chromium process with a fresh profile, reading HOME/.pki/nssdb.

    Every wait is bounded; close() kills the whole process group."""

    def __init__(self, home, user_data_dir, timeout=20.0, binary="/usr/lib/chromium/chromium", log=None,
                 extra_args=()):
        self.timeout = timeout
        self.buf = b""
        self.next_id = 0
        self.session = None
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()
        # Move the child's ends above 9 so the shell below cannot mistake
        # them for fds 3 and 4 (os.pipe() may well return exactly those).
        to_child_r = high_fd(to_child_r)
        from_child_w = high_fd(from_child_w)
        env = dict(os.environ, HOME=home)
        for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
            env.pop(k, None)
        args = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-proxy-server",
                "--disable-features=Translate,MediaRouter,OptimizationHints",
                "--user-data-dir=" + user_data_dir, "--remote-debugging-pipe"] + list(extra_args) + [
                "about:blank"]
        # The child must find the pipe on fds 3 (commands) and 4 (replies):
        # bash moves them there (dash takes only one-digit fds), which is safe to do from threads.
        shim = 'exec "$@" 3<&%d 4>&%d %d<&- %d>&-' % (to_child_r, from_child_w, to_child_r, from_child_w)
        self.proc = subprocess.Popen(["bash", "-c", shim, "bash"] + args, env=env,
                                     pass_fds=(to_child_r, from_child_w),
                                     stdin=subprocess.DEVNULL, stdout=log or subprocess.DEVNULL,
                                     stderr=log or subprocess.DEVNULL, start_new_session=True)
        os.close(to_child_r)
        os.close(from_child_w)
        try:
            self._attach()
        except Exception:
            self.close()
            raise

    def _send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        deadline = time.monotonic() + self.timeout
        while data:
            if time.monotonic() > deadline:
                raise BrowserError("chromium: writing %s timed out" % method)
            _, w, _ = select.select([], [self.to_child], [], 1.0)
            if w:
                data = data[os.write(self.to_child, data):]
        return self.next_id

    def _read_message(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("chromium: no answer within %.0f s" % self.timeout)
            r, _, _ = select.select([self.from_child], [], [], min(left, 1.0))
            if r:
                chunk = os.read(self.from_child, 65536)
                if not chunk:
                    raise BrowserError("chromium: the browser closed its pipe (crashed?)")
                self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session="page", timeout=None):
        """Sends a command and returns its result; raises BrowserError."""
        sid = self.session if session == "page" else session
        mid = self._send(method, params, sid)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            msg = self._read_message(deadline)
            if msg.get("id") == mid:
                if "error" in msg:
                    raise BrowserError("chromium: %s: %s" % (method, msg["error"].get("message")))
                return msg.get("result", {})
            # Events and late answers to abandoned commands are dropped.

    def _attach(self):
        # Nothing to attach to yet: load() opens a tab of its own per URL.
        self.call("Target.setDiscoverTargets", {"discover": False}, session=None)

    def _open_tab(self):
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=None)["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 session=None)["sessionId"]
        return target

    def load(self, url, marker, timeout=10.0):
        """Opens url; returns ("loaded", text) when the marker shows in the
        page, ("error", "ERR_...") when navigation fails, ("timeout", "")."""
        # Leaving a certificate error page costs Chromium about 3 s, a new
        # tab a few milliseconds: one tab per URL.
        target = self._open_tab()
        try:
            return self._load_in_tab(url, marker, timeout)
        finally:
            self.call("Target.closeTarget", {"targetId": target}, session=None)
            self.session = None

    def _load_in_tab(self, url, marker, timeout):
        # Chromium holds a certificate error up to 3 s before it answers
        # Page.navigate (its interstitial waits for clock and captive portal
        # checks), but the document request fails at once: take the error
        # from Network.loadingFailed and do not wait for the interstitial.
        self.call("Network.enable")
        mid = self._send("Page.navigate", {"url": url}, self.session)
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read_message(deadline)
            if msg.get("id") == mid:
                if "error" in msg:
                    raise BrowserError("chromium: Page.navigate: %s" % msg["error"].get("message"))
                err = msg.get("result", {}).get("errorText")
                if err:
                    return "error", err[5:] if err.startswith("net::") else err
                break
            if (msg.get("method") == "Network.loadingFailed" and msg.get("sessionId") == self.session
                    and msg["params"].get("type") == "Document"):
                err = msg["params"].get("errorText", "")
                return "error", err[5:] if err.startswith("net::") else err
        text = ""
        while time.monotonic() < deadline:
            out = self.call("Runtime.evaluate", {
                "expression": "(document.getElementById('marker') || {}).textContent || ''",
                "returnByValue": True})
            text = out.get("result", {}).get("value", "")
            if marker in text:
                return "loaded", text
            time.sleep(0.05)
        return "timeout", text

    def version(self):
        return self.call("Browser.getVersion", session=None).get("product", "")

    def close(self):
        """Quits the browser (bounded), then kills its process group."""
        try:
            if self.proc.poll() is None:
                self._send("Browser.close")
                self.proc.wait(timeout=5)
        except Exception:
            pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)
        else:
            # The browser's own helpers may outlive it: end the whole group.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for fd in (self.to_child, self.from_child):
            try:
                os.close(fd)
            except OSError:
                pass
