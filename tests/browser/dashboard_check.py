# dashboard_check.py: opens the collector's dashboard in headless Chromium
# (chromium_cdp.py's pipe driver), types the admin token into the page's own
# form, waits for the fleet, prints what the page shows as JSON and saves a
# full-page PNG screenshot. Used by test_dashboard.sh.
import argparse
import base64
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chromium_cdp import BrowserError, Chromium  # noqa: E402

# What the test asserts on, read from the rendered page (not from the API).
SCRAPE = r"""(() => {
  const vis = (id) => { const e = document.getElementById(id); return !!e && !e.classList.contains('hidden') && e.offsetParent !== null; };
  const rows = (id) => Array.from(document.querySelectorAll('#' + id + ' tr')).map(
      (tr) => Array.from(tr.cells).map((td) => td.innerText.trim()));
  const chart = document.querySelector('#chart svg');
  return {
    login_visible: vis('login'), app_visible: vis('app'),
    updated: (document.getElementById('updated') || {}).textContent || '',
    cards: ['c-hosts', 'c-problems', 'c-endpoints', 'c-multi', 'c-pending'].map((i) => document.getElementById(i).textContent),
    hosts: rows('hosts'),
    // One entry per certificate seen at an endpoint, and the endpoints in order.
    fps: Array.from(document.querySelectorAll('#eps tr.fp')).map((tr) => {
      const td = (c) => tr.querySelector('td.' + c);
      return { url: tr.dataset.url, sha256: tr.dataset.sha256, pcs: td('pcs').innerText.trim(),
               pcs_warn: td('pcs').classList.contains('warn'), status: td('status').innerText.trim(),
               probe: td('probe').innerText.trim(),
               buttons: Array.from(tr.querySelectorAll('td.acts button')).map((b) => b.innerText.trim()) };
    }),
    endpoints: Array.from(document.querySelectorAll('#eps td.url')).map(
      (td) => [td.querySelector('div').textContent, (td.querySelector('b') || {}).textContent || '', td.rowSpan]),
    approvals: rows('approvals'),
    approvals_active: document.querySelectorAll('#approvals tr.active').length,
    audit: rows('audit'),
    msg: document.getElementById('msg').innerText,
    modal_visible: vis('modal'),
    chart_bars: chart ? chart.querySelectorAll('rect').length : 0,
    chart_labels: chart ? Array.from(chart.querySelectorAll('text')).map((t) => t.textContent) : [],
    chart_colours: chart ? Array.from(chart.querySelectorAll('rect')).map((r) => r.getAttribute('fill')) : [],
    token_in_storage: sessionStorage.getItem('uct-admin') !== null,
    title: document.title,
    injected: document.querySelectorAll('#app img, #app script, #app iframe, #modal img, #modal script').length,
    overflow_x: document.documentElement.scrollWidth > document.documentElement.clientWidth,
  };
})()"""


def evaluate(b, expr):
    out = b.call("Runtime.evaluate", {"expression": expr, "returnByValue": True})
    if "exceptionDetails" in out:
        raise BrowserError("page script failed: %s" % out["exceptionDetails"].get("text"))
    return out.get("result", {}).get("value")


def wait_for(b, expr, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if evaluate(b, expr):
            return True
        time.sleep(0.1)
    return False


def click(b, element_js):
    """A real mouse click (press and release) on the middle of the element
    the JS expression finds, scrolled into view; as a user's click does."""
    at = evaluate(b, """(() => { const e = %s; if (!e) return null;
      e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();
      return [r.left + r.width / 2, r.top + r.height / 2]; })()""" % element_js)
    if at is None:
        raise BrowserError("nothing to click: %s" % element_js)
    for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
        b.call("Input.dispatchMouseEvent", {"type": kind, "x": at[0], "y": at[1], "button": "left",
                                            "clickCount": 1 if kind != "mouseMoved" else 0})


def fp_button(url, sha256, cls):
    return ("Array.from(document.querySelectorAll('#eps tr.fp')).filter((tr) => tr.dataset.url === %s && "
            "tr.dataset.sha256 === %s).map((tr) => tr.querySelector('button.%s'))[0]"
            % (json.dumps(url), json.dumps(sha256), cls))


MODAL = """(() => ({ visible: !document.getElementById('modal').classList.contains('hidden'),
  title: document.getElementById('m-title').textContent, body: document.getElementById('m-body').innerText,
  warning: (document.getElementById('m-warn') || {}).innerText || '', ok: document.getElementById('m-ok').textContent,
  error: document.getElementById('m-err').textContent }))()"""
MODAL_OPEN = "!document.getElementById('modal').classList.contains('hidden')"
MODAL_SHUT = "document.getElementById('modal').classList.contains('hidden')"


def type_text(b, element_id, text):
    evaluate(b, "document.getElementById(%s).focus(), true" % json.dumps(element_id))
    b.call("Input.insertText", {"text": text})


def press_enter(b):
    for kind in ("keyDown", "keyUp"):
        b.call("Input.dispatchKeyEvent", {"type": kind, "key": "Enter", "code": "Enter",
                                          "windowsVirtualKeyCode": 13, "text": "\r" if kind == "keyDown" else ""})


def approve_flow(b, args, steps):
    """Approve the majority certificate, meet the warning for the minority
    one (dismiss it, then accept it), and revoke that approval again."""
    url, major, minor = args.approve_url, args.majority, args.minority
    # 1. The majority certificate, for HOST:PORT, with a note.
    click(b, fp_button(url, major, "approve"))
    wait_for(b, MODAL_OPEN, 5)
    steps["major_modal"] = evaluate(b, MODAL)
    type_text(b, "m-note", args.note)
    click(b, "document.getElementById('m-ok')")
    steps["major_done"] = wait_for(b, MODAL_SHUT + " && document.querySelectorAll('#approvals tr.active').length === 1 "
                                   "&& document.querySelectorAll('#audit tr').length === 1 && "
                                   "document.querySelector('#audit tr td').textContent !== ''", 10)
    steps["after_major"] = evaluate(b, SCRAPE)
    # 2. The same again: the collector's 409 is shown in the dialog.
    click(b, fp_button(url, major, "approve"))
    wait_for(b, MODAL_OPEN, 5)
    click(b, "document.getElementById('m-ok')")
    wait_for(b, "document.getElementById('m-err').textContent !== ''", 10)
    steps["again_modal"] = evaluate(b, MODAL)
    click(b, "document.getElementById('m-cancel')")
    # 3. The minority certificate: the warning, dismissed.
    click(b, fp_button(url, minor, "approve"))
    wait_for(b, MODAL_OPEN, 5)
    steps["minor_modal"] = evaluate(b, MODAL)
    click(b, "document.getElementById('m-cancel')")
    wait_for(b, MODAL_SHUT, 5)
    time.sleep(0.5)
    steps["after_dismiss"] = evaluate(b, SCRAPE)
    # 4. Enter in the note does not get past the warning; a click on
    # "Approve anyway" does, for every port of the host.
    click(b, fp_button(url, minor, "approve"))
    wait_for(b, MODAL_OPEN, 5)
    type_text(b, "m-note", "renewal rolled out to one PC first")
    press_enter(b)
    time.sleep(0.5)
    steps["enter_past_warning"] = evaluate(b, "[document.querySelectorAll('#approvals tr.active').length, %s]" % MODAL_OPEN)
    click(b, "document.querySelector('#m-body input[value=host]')")
    click(b, "document.getElementById('m-ok')")
    steps["minor_done"] = wait_for(b, MODAL_SHUT + " && document.querySelectorAll('#approvals tr.active').length === 2", 10)
    steps["after_minor"] = evaluate(b, SCRAPE)
    # 5. Revoked from the approvals table (the newest is first).
    click(b, "document.querySelector('#approvals tr.active button.revoke')")
    wait_for(b, MODAL_OPEN, 5)
    steps["revoke_modal"] = evaluate(b, MODAL)
    click(b, "document.getElementById('m-ok')")
    steps["revoke_done"] = wait_for(b, MODAL_SHUT + " && document.querySelectorAll('#approvals tr.active').length === 1 "
                                    "&& document.querySelectorAll('#approvals tr.revoked').length === 1", 10)
    steps["after_revoke"] = evaluate(b, SCRAPE)


# Endpoints as the probe will report them (probe_seen true, false, absent)
# and one whose URL is markup, rendered by the page's own function.
SYNTHETIC = [
    {"url": "https://uccx9.lab.example:8445/", "hosts": 4, "hosts_without_certificate": 0, "fingerprints_total": 2,
     "several_fingerprints": True, "flag": "rotation or man in the middle",
     "fingerprints": [{"sha256": "AA:" * 31 + "AA", "hosts": 3, "not_after": None, "probe_seen": True},
                      {"sha256": "BB:" * 31 + "BB", "hosts": 1, "not_after": None, "probe_seen": False}]},
    {"url": "https://<img src=x onerror=\"document.title='ep'\">.lab.example/", "hosts": 1,
     "hosts_without_certificate": 0, "fingerprints_total": 1, "several_fingerprints": False,
     "fingerprints": [{"sha256": "CC:" * 31 + "CC", "hosts": 1, "not_after": None}]},
]


def agent_token_flow(b, token, steps):
    """Forget the admin token, then open the page with an agent's."""
    click(b, "document.getElementById('logout')")
    wait_for(b, "!document.getElementById('login').classList.contains('hidden')", 5)
    type_text(b, "token", token)
    press_enter(b)
    wait_for(b, "document.getElementById('loginerr').textContent !== ''", 10)
    steps["agent"] = evaluate(b, """(() => ({ error: document.getElementById('loginerr').textContent,
      login_visible: !document.getElementById('login').classList.contains('hidden'),
      app_visible: !document.getElementById('app').classList.contains('hidden'),
      token_in_storage: sessionStorage.getItem('uct-admin') !== null }))()""")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--png", required=True)
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--open-host", help="also open this host's drill-down and report what it shows")
    ap.add_argument("--approve-url", help="the endpoint whose certificates approve_flow clicks on")
    ap.add_argument("--majority", help="the SHA-256 most PCs see there")
    ap.add_argument("--minority", help="the SHA-256 fewer PCs see there")
    ap.add_argument("--note", default="", help="the note typed for the first approval")
    ap.add_argument("--agent-token-file", help="finally open the page with this agent token")
    args = ap.parse_args()
    token = open(args.token_file).read().strip()
    result = {"steps": []}
    home = os.path.join(args.work, "home")
    os.makedirs(home, exist_ok=True)
    log = open(os.path.join(args.work, "chromium.log"), "wb")
    b = Chromium(home, os.path.join(args.work, "profile"), timeout=20.0, log=log)
    try:
        result["browser"] = b.version()
        b._open_tab()
        b.call("Page.enable")
        b.call("Emulation.setDeviceMetricsOverride",
               {"width": args.width, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        b.call("Page.navigate", {"url": args.url})
        # A fresh tab has no token: the page must ask for it.
        result["asked_for_token"] = wait_for(
            b, "document.readyState === 'complete' && !document.getElementById('login').classList.contains('hidden')", 10)
        # Type the token as a user would: focus the field, type, press Enter.
        evaluate(b, "document.getElementById('token').focus(), true")
        b.call("Input.insertText", {"text": token})
        # From the Enter key to a fleet on screen: what a user waits for.
        t_enter = time.monotonic()
        for kind in ("keyDown", "keyUp"):
            b.call("Input.dispatchKeyEvent", {"type": kind, "key": "Enter", "code": "Enter",
                                              "windowsVirtualKeyCode": 13, "text": "\r" if kind == "keyDown" else ""})
        result["loaded"] = wait_for(
            b, "(document.getElementById('updated').textContent || '').startsWith('updated') && "
               "document.querySelectorAll('#hosts tr').length > 0", 15)
        result["load_ms"] = round((time.monotonic() - t_enter) * 1000)
        result["page"] = evaluate(b, SCRAPE)
        if args.open_host:
            # As a click on the host's row does; the name is passed as JSON data.
            evaluate(b, "showHost(%s).catch(() => {}), true" % json.dumps(args.open_host))
            wait_for(b, "!document.getElementById('detail').classList.contains('hidden')", 10)
            result["detail"] = evaluate(b, """(() => ({
              title: document.getElementById('d-title').textContent,
              rows: Array.from(document.querySelectorAll('#d-eps tr')).map((tr) => Array.from(tr.cells).map((td) => td.textContent)),
              json: document.getElementById('d-json').textContent,
              page_title: document.title,
              injected: document.querySelectorAll('#app img, #app script, #app iframe').length,
            }))()""")
        if args.approve_url:
            approve_flow(b, args, result.setdefault("flow", {}))
        # The probe's column and a hostile URL, then the real fleet again.
        evaluate(b, "renderEndpoints(%s), true" % json.dumps(SYNTHETIC))
        result["synthetic"] = evaluate(b, SCRAPE)
        # A collector whose probe has seen nothing (or that has none).
        noprobe = json.loads(json.dumps(SYNTHETIC))
        noprobe[0]["fingerprints"][0]["probe_seen"] = False
        evaluate(b, "renderEndpoints(%s), true" % json.dumps(noprobe))
        result["synthetic_noprobe"] = evaluate(b, SCRAPE)
        evaluate(b, "refresh().catch(() => {}), true")
        wait_for(b, "document.querySelectorAll('#eps tr.fp').length > 4", 10)
        # Full page: grow the viewport to the content, then capture.
        metrics = b.call("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics.get("contentSize")
        height = int(min(max(size["height"], 600), 6000))
        b.call("Emulation.setDeviceMetricsOverride",
               {"width": args.width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        time.sleep(0.3)
        shot = b.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False})
        os.makedirs(os.path.dirname(os.path.abspath(args.png)), exist_ok=True)
        with open(args.png, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        result["png"] = args.png
        result["png_height"] = height
        if args.agent_token_file:
            agent_token_flow(b, open(args.agent_token_file).read().strip(), result.setdefault("flow", {}))
    except BrowserError as e:
        result["error"] = str(e)
    finally:
        b.close()
    json.dump(result, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
