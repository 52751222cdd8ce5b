"""A real browser for the web archive's tests: Debian's headless Chromium,
driven over the DevTools protocol on a pipe (--remote-debugging-pipe:
JSON messages ending in a NUL byte, the browser reading fd 3 and writing
fd 4), so no port, no websocket library and no profile of the machine's
are involved.  Each Chromium has a profile folder of its own, thrown away
with the test.

Also the web archive's login done the way a person does it, over plain
http.client (http_login), for tests that need a session cookie quickly.
"""
import base64
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from harness import Skip, _to_clean, outbox, wait_until

# --no-sandbox: Chromium's sandbox cannot start as root (CI runs the tests as root), nor in most
# containers; the browser only ever loads the test's own server.
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-default-apps", "--mute-audio",
         "--hide-scrollbars", "--remote-debugging-pipe"]

# Moves fds argv[1] and argv[2] to 3 and 4 (by way of fds above 9, so neither is lost when one of
# them is 3 or 4 already), then runs argv[3:].
FD_TRAMPOLINE = """import fcntl, os, sys
r, w = (fcntl.fcntl(int(fd), fcntl.F_DUPFD, 10) for fd in sys.argv[1:3])
os.dup2(r, 3)
os.dup2(w, 4)
os.closerange(5, 1024)
os.execv(sys.argv[3], sys.argv[3:])
"""

# The DevTools issues that are a fault of the page (a CSP violation, a cookie refused, quirks mode, a
# form's markup): performance hints, and a history entry a page reached without a click, are not.
PROBLEM_ISSUES = {"ContentSecurityPolicyIssue", "MixedContentIssue", "CookieIssue", "CorsIssue",
                  "QuirksModeIssue", "GenericIssue", "DeprecationIssue", "AttributionReportingIssue"}
HARMLESS_ISSUES = {"NavigationEntryMarkedSkippable"}

DESKTOP = (1280, 900, False)
PHONE = (390, 844, True)


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise Skip("needs Debian's chromium (scripts/install-deps installs it)")


class Chromium:
    """One headless Chromium with one page (tab).  Events of the page are kept in self.events; the
    console's and the log's messages, uncaught exceptions, dialogs and the DevTools issues (a CSP
    violation is one) are also kept in self.problems, which a test can assert is empty."""

    def __init__(self, timeout=20):
        self.timeout = timeout
        self.dir = tempfile.mkdtemp(prefix="mlist-chromium-")
        _to_clean.append(lambda: shutil.rmtree(self.dir, ignore_errors=True))
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # The browser wants the pipe at fds 3 and 4 exactly: a small Python puts them there before it
        # runs Chromium (no preexec_fn, which is unsafe while the harness's reader threads run).
        self.stderr = open(os.path.join(self.dir, "stderr"), "wb")
        self.proc = subprocess.Popen([sys.executable, "-c", FD_TRAMPOLINE, str(to_browser_r), str(from_browser_w),
                                      chromium_binary(), *FLAGS, f"--user-data-dir={self.dir}/profile",
                                      "about:blank"],
                                     pass_fds=(to_browser_r, from_browser_w), stdin=subprocess.DEVNULL,
                                     stdout=self.stderr, stderr=self.stderr, start_new_session=True)
        os.close(to_browser_r)
        os.close(from_browser_w)
        _to_clean.append(self.close)
        self._next_id = 0
        self._replies = {}
        self.events = []
        self.problems = []
        self.responses = {}  # URL of a document loaded -> (status, headers)
        self._changed = threading.Condition()
        self._ended = False
        self._reader = threading.Thread(target=self._read_all, daemon=True)
        self._reader.start()
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 session=False)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network", "Audits"):
            self.call(f"{domain}.enable")

    # --- the protocol

    def _read_all(self):
        partial = b""
        while True:
            try:
                chunk = os.read(self._from_browser, 1 << 20)
            except OSError:
                chunk = b""
            *messages, partial = (partial + chunk).split(b"\0")
            with self._changed:
                for raw in messages:
                    self._take(json.loads(raw))
                self._ended = not chunk
                self._changed.notify_all()
            if not chunk:
                return

    def _take(self, m):
        if "id" in m:
            self._replies[m["id"]] = m
            return
        self.events.append(m)
        method, p = m.get("method"), m.get("params", {})
        if method == "Runtime.consoleAPICalled":
            self.problems.append(f"console.{p.get('type')}: " +
                                 " ".join(str(a.get("value", a.get("description"))) for a in p.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            self.problems.append(f"exception: {p.get('exceptionDetails', {}).get('text')}")
        elif method == "Page.javascriptDialogOpening":
            self.problems.append(f"dialog: {p.get('type')} {p.get('message')!r}")
        elif method == "Log.entryAdded":
            entry = p.get("entry", {})
            if not entry.get("url", "").endswith("/favicon.ico"):  # the archive has none: a 404 is fine
                self.problems.append(f"log {entry.get('source')}/{entry.get('level')}: {entry.get('text')}")
        elif method == "Audits.issueAdded":
            issue = p.get("issue", {})
            kind = issue.get("details", {}).get("genericIssueDetails", {}).get("errorType")
            if issue.get("code") in PROBLEM_ISSUES and kind not in HARMLESS_ISSUES:
                self.problems.append(f"issue {issue.get('code')}: {json.dumps(issue)[:500]}")
        elif method == "Network.responseReceived" and p.get("type") == "Document":
            r = p["response"]
            self.responses[r["url"]] = (r["status"], {k.lower(): v for k, v in r.get("headers", {}).items()})

    def call(self, method, params=None, session=True):
        """Sends one command and returns its result; a protocol error raises."""
        with self._changed:
            self._next_id += 1
            mid = self._next_id
        msg = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        with self._changed:
            while mid not in self._replies:
                left = deadline - time.monotonic()
                if left <= 0 or self._ended:
                    raise AssertionError(f"chromium: no answer to {method} in {self.timeout}s\n{self.log()}")
                self._changed.wait(left)
            reply = self._replies.pop(mid)
        if "error" in reply:
            raise AssertionError(f"chromium: {method}: {reply['error']}")
        return reply.get("result", {})

    def wait_event(self, method, since):
        """The first event named method at or after index since of self.events."""
        deadline = time.monotonic() + self.timeout
        with self._changed:
            while True:
                for m in self.events[since:]:
                    if m.get("method") == method:
                        return m
                left = deadline - time.monotonic()
                if left <= 0 or self._ended:
                    raise AssertionError(f"chromium: no {method} in {self.timeout}s\n{self.log()}")
                self._changed.wait(left)

    def mark(self):
        with self._changed:
            return len(self.events)

    def log(self):
        self.stderr.flush()
        with open(os.path.join(self.dir, "stderr"), "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "chromium's stderr (end):\n" + "\n".join(line for line in lines[-30:] if "dbus" not in line)

    # --- what a test does with the page

    def viewport(self, width, height, mobile):
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})

    def set_cookie(self, base_url, name, value):
        ok = self.call("Network.setCookie", {"name": name, "value": value, "url": base_url, "path": "/",
                                             "httpOnly": True, "sameSite": "Lax"})
        assert ok.get("success", True), ok

    def open(self, url):
        """Loads url (following redirects) and waits until it has loaded; returns the final URL."""
        since = self.mark()
        result = self.call("Page.navigate", {"url": url})
        assert not result.get("errorText"), f"chromium: {url}: {result['errorText']}"
        self.wait_event("Page.loadEventFired", since)
        return self.url()

    def click(self, selector):
        """Clicks the element (a form's button) and waits for the page it leads to."""
        since = self.mark()
        assert self.js(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
                       f"if (!e) return false; e.click(); return true; }})()"), f"no {selector} on {self.url()}"
        self.wait_event("Page.loadEventFired", since)
        return self.url()

    def js(self, expression):
        """The value of a JavaScript expression in the page (DevTools runs it, the page's CSP aside:
        the pages themselves have no script)."""
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        assert "exceptionDetails" not in r, f"{expression}: {r['exceptionDetails']}"
        return r["result"].get("value")

    def url(self):
        return self.js("location.href")

    def dom(self):
        return self.js("document.documentElement.outerHTML")

    def text(self):
        return self.js("document.body.innerText")

    def status(self, url=None):
        """The HTTP status of the document at url (default: the one shown)."""
        url = url or self.url()
        assert url in self.responses, f"no HTTP answer for {url} (the server closed the connection?)\n{self.log()}"
        return self.responses[url][0]

    def screenshot(self, path, full=False):
        """Saves the viewport as a PNG, or with full the whole page, however long."""
        params = {"format": "png"}
        if full:
            size = self.call("Page.getLayoutMetrics")["cssContentSize"]
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        data = self.call("Page.captureScreenshot", params)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path

    def close(self):
        if self.proc.poll() is None:
            try:
                os.write(self._to_browser, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        # Chromium's own child processes (renderer, GPU, zygote) are in the session it leads
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.proc.poll() is None:
            self.proc.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        self._to_browser = self._from_browser = -1
        self.stderr.close()


# What the archive's pages must never hold, whatever a post carried: asked of the rendered DOM.
# Elements that load or run something, event handler and style attributes, and links, sources and
# form targets anywhere but the archive itself.
DOM_AUDIT = r"""(() => {
  const bad = [];
  const active = new Set(['script', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'img', 'image',
    'video', 'audio', 'source', 'track', 'picture', 'base', 'style', 'template', 'foreignobject', 'use',
    'animate', 'set', 'animatetransform', 'animatemotion', 'portal', 'math']);
  const urls = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'srcset', 'poster', 'data',
    'background', 'ping', 'cite', 'manifest']);
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    if (active.has(tag)) bad.push('<' + tag + '>');
    if (tag === 'meta' && el.hasAttribute('http-equiv')) bad.push('<meta http-equiv>');
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      if (name.startsWith('on') || name === 'style' || name === 'srcdoc')
        bad.push('<' + tag + ' ' + name + '="' + a.value + '">');
      if (urls.has(name) && !/^(\/(?![\/\\])|#|\?)/.test(a.value))
        bad.push('<' + tag + ' ' + name + '="' + a.value + '">');
    }
  }
  return bad;
})()"""


def audit(browser):
    """Fails unless the page shown holds nothing active (DOM_AUDIT) and no <script> in its markup."""
    bad = browser.js(DOM_AUDIT)
    assert bad == [], f"{browser.url()}: active content in the page: {bad}"
    assert "<script" not in browser.dom().lower(), browser.url()


# --- the web archive over plain HTTP


def request(port, method, path, body=None, headers=None, source="127.0.0.1"):
    """One request to 127.0.0.1:port (from the loopback address source); returns (response, body)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=15, source_address=(source, 0))
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r, r.read()
    finally:
        c.close()


def form_post(port, path, fields, cookie, source="127.0.0.1"):
    return request(port, "POST", path, urllib.parse.urlencode(fields),
                   {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}, source)


def form_token(body):
    return re.search(rb'name="form" value="([0-9a-f]{32})"', body).group(1).decode()


def mail_text(m):
    body = m.get_body(("plain",))
    return body.get_content() if body else ""


def login_link(s, address, count=1):
    """The path (/login/TOKEN) of the count-th login mail address got."""
    def mails():
        return [m for m in outbox(s, address) if "/login/" in mail_text(m)]
    wait_until(lambda: len(mails()) >= count, what=f"login mail {count} to {address}")
    return re.search(r"https?://[^/\s]+(/login/[0-9a-f]{32})", mail_text(mails()[count - 1])).group(1)


def ask_link(port, address, source="127.0.0.1"):
    """Asks /login for a link as the form does; returns the answer (response, body)."""
    r, body = request(port, "GET", "/login", source=source)
    assert r.status == 200, (r.status, body)
    token = form_token(body)
    return form_post(port, "/login", {"form": token, "address": address}, f"mlist_form={token}", source)


def http_login(s, port, address, source="127.0.0.1"):
    """Logs address in as a person does (ask, mail, link, button); returns the session cookie's value."""
    before = len([m for m in outbox(s, address) if "/login/" in mail_text(m)])
    r, body = ask_link(port, address, source)
    assert r.status == 200, (r.status, body)
    link = login_link(s, address, before + 1)
    r, body = request(port, "GET", link, source=source)
    assert r.status == 200, (r.status, body)
    token = form_token(body)
    r, body = form_post(port, link, {"form": token}, f"mlist_form={token}", source)
    assert r.status == 303 and r.getheader("Location") == "/", (r.status, r.getheaders(), body)
    cookies = " ".join(v for k, v in r.getheaders() if k.lower() == "set-cookie")
    return re.search(r"mlist_session=([0-9a-f]{32})", cookies).group(1)
