"""The shipped nginx example (conf/nginx-mlist.conf) in front of a real
mlistd-web: a private nginx (Debian's nginx-light) runs the example's own
server blocks, changed only where a test must (loopback ports instead of
443 and 80, no TLS lines, the test's mlistd-web instead of port 8080), so
what README points admins at is what is tested.  Pages, cookies and forms
pass through with mlistd-web's security headers, and mlistd-web counts
login requests by the client nginx names in X-Real-IP: not by nginx's
own address, and not by a header the client made up."""
import os
import shutil
import socket
import subprocess
import tempfile

from browser import ask_link, form_token, http_login, request
from harness import SOURCE_ROOT, Setup, Skip, _to_clean, free_port, unprivileged_user, wait_until

NGINX = "/usr/sbin/nginx"
EXAMPLE = os.path.join(SOURCE_ROOT, "conf", "nginx-mlist.conf")
GROUP = "pga-jeugd-amersfoort"
# The headers every answer of mlistd-web carries, which nginx must leave alone.
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
                    "Cache-Control")


def example_for_test(https_port, http_port, web_port):
    """conf/nginx-mlist.conf with loopback ports and without TLS; every change must find its line, so
    the example cannot drift away from what this test runs."""
    with open(EXAMPLE) as f:
        text = f.read()
    changes = (("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port};"),
               ("listen [::]:443 ssl http2;", ""),
               ("listen 80;", f"listen 127.0.0.1:{http_port};"),
               ("listen [::]:80;", ""),
               ("proxy_pass http://127.0.0.1:8080;", f"proxy_pass http://127.0.0.1:{web_port};"))
    for old, new in changes:
        assert text.count(old) == 1, f"{EXAMPLE}: no line {old!r} (or more than one)"
        text = text.replace(old, new)
    lines = [line for line in text.splitlines() if not line.strip().startswith("ssl_")]
    assert len(lines) == len(text.splitlines()) - 4, f"{EXAMPLE}: the ssl_ lines changed: update this test"
    return "\n".join(lines) + "\n"


class Nginx:
    """A private nginx: its config, logs, pid and temporary files in a folder of its own; in the
    foreground (daemon off), so stopping it is signalling the process this test started."""

    def __init__(self, server_blocks, port):
        if not os.path.exists(NGINX):
            raise Skip("needs Debian's nginx-light (scripts/install-deps installs it)")
        self.dir = tempfile.mkdtemp(prefix="mlist-nginx-")
        os.chmod(self.dir, 0o755)
        _to_clean.append(lambda: shutil.rmtree(self.dir, ignore_errors=True))
        self.port = port
        temp = os.path.join(self.dir, "temp")
        os.makedirs(temp)
        # as root the master switches its workers to an unprivileged account, which must write there
        user = ""
        if os.geteuid() == 0:
            user = f"user {unprivileged_user()};\n"
            shutil.chown(temp, unprivileged_user())
        with open(os.path.join(self.dir, "mlist.conf"), "w") as f:
            f.write(server_blocks)
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(f"{user}worker_processes 1;\ndaemon off;\npid {self.dir}/nginx.pid;\n"
                    f"error_log {self.dir}/error.log info;\n"
                    "events { worker_connections 128; }\n"
                    "http {\n"
                    f"  access_log {self.dir}/access.log;\n"
                    + "".join(f"  {kind}_temp_path {temp}/{kind};\n"
                              for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
                    + f"  include {self.dir}/mlist.conf;\n"
                    "}\n")
        check = subprocess.run([NGINX, "-t", "-p", self.dir, "-c", "nginx.conf", "-e", "stderr"],
                               capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, f"nginx -t:\n{check.stderr}"
        self.out = open(os.path.join(self.dir, "stderr"), "wb")
        self.proc = subprocess.Popen([NGINX, "-p", self.dir, "-c", "nginx.conf", "-e", "stderr"],
                                     stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.out)
        _to_clean.append(self.stop)
        wait_until(self.listening, timeout=10, what="nginx listening")

    def listening(self):
        assert self.proc.poll() is None, f"nginx exited ({self.proc.returncode}):\n{self.log()}"
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def log(self):
        text = ""
        for name in ("stderr", "error.log"):
            try:
                with open(os.path.join(self.dir, name)) as f:
                    text += f.read()
            except OSError:
                pass
        return text

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: a fast shutdown, workers too
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()


def behind_nginx():
    """mlistd with its web archive on a loopback port and the example nginx in front; returns
    (setup, daemon, nginx, web port, redirect port).  The archive's public url is nginx's."""
    web_port, https_port, http_port = free_port(), free_port(), free_port()
    s = Setup(listen=True, extra_config=f'web = {{ listen = "127.0.0.1:{web_port}"; '
                                        f'url = "http://127.0.0.1:{https_port}/"; }};\n')
    s.ctl("group", "add", GROUP, "--kind", "project", "--title", "PGA Jeugd Amersfoort", "--policy", "members")
    s.ctl("member", "add", GROUP, "anna@example.org")
    d = s.start()
    d.wait_for("web: serving")
    nginx = Nginx(example_for_test(https_port, http_port, web_port), https_port)
    return s, d, nginx, web_port, http_port


def test_the_example_passes_pages_cookies_and_security_headers_through():
    s, d, nginx, web_port, http_port = behind_nginx()
    port = nginx.port
    r, body = request(port, "GET", "/login")
    direct, _ = request(web_port, "GET", "/login")
    assert r.status == 200 and b"Stuur mij een link" in body, (r.status, body, nginx.log())
    for name in SECURITY_HEADERS:
        assert r.getheader(name) and r.getheader(name) == direct.getheader(name), (name, r.getheaders())
    assert "default-src 'self'" in r.getheader("Content-Security-Policy")
    assert r.getheader("X-Content-Type-Options") == "nosniff"
    assert r.getheader("Strict-Transport-Security") == "max-age=31536000"  # nginx's own, from the example
    assert r.getheader("Server") == "nginx", r.getheader("Server")  # server_tokens off: no version
    assert "mlist_form=" in r.getheader("Set-Cookie") and form_token(body)

    r, body = request(port, "GET", "/style.css")
    assert r.status == 200 and r.getheader("Content-Type").startswith("text/css")

    # A whole login through nginx: the form and its cookie, the mail's link (nginx's address, the
    # public url), the button, the session cookie.  mlistd-web logs the client nginx names.
    session = http_login(s, port, "anna@example.org", source="127.0.0.3")
    d.wait_for("web: anna@example.org logged in from 127.0.0.3")
    r, body = request(port, "GET", "/", headers={"Cookie": f"mlist_session={session}"}, source="127.0.0.3")
    assert r.status == 200 and b"Mijn groepen" in body and b"PGA Jeugd Amersfoort" in body, (r.status, body)
    assert r.getheader("Content-Security-Policy") == direct.getheader("Content-Security-Policy")

    # the example's body limit: nginx refuses a larger form before mlistd-web sees it
    r, body = request(port, "POST", "/login", body="address=" + "a" * 20000,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 413 and b"<center>nginx</center>" in body, (r.status, body)
    assert "client intended to send too large body" in nginx.log()

    # the example's plain-HTTP server only sends people on to HTTPS
    r, _ = request(http_port, "GET", f"/g/{GROUP}", headers={"Host": "lists.example.org"})
    assert r.status == 301 and r.getheader("Location") == f"https://lists.example.org/g/{GROUP}", r.getheaders()
    nginx.stop()
    d.stop()


def test_login_asks_are_counted_by_the_client_nginx_names():
    s, d, nginx, web_port, _ = behind_nginx()
    port = nginx.port
    # 10 asks in 15 minutes from one client (other addresses each: an address has a limit of its own)
    for i in range(10):
        r, body = ask_link(port, f"lezer{i}@example.org", source="127.0.0.2")
        assert r.status == 200, (i, r.status, body, nginx.log())
    r, body = ask_link(port, "lezer10@example.org", source="127.0.0.2")
    assert r.status == 429 and r.getheader("Retry-After") == "900", (r.status, r.getheaders())
    assert "Te veel aanvragen" in body.decode()
    assert r.getheader("Content-Security-Policy"), r.getheaders()
    d.wait_for("web: too many login links asked for by 127.0.0.2")

    # A client cannot name itself someone else: nginx sets X-Real-IP, whatever the client sent.
    r, body = request(port, "GET", "/login", source="127.0.0.2")
    token = form_token(body)
    r, body = request(port, "POST", "/login", body=f"form={token}&address=lezer11%40example.org",
                      headers={"Cookie": f"mlist_form={token}", "X-Real-IP": "192.0.2.7",
                               "Content-Type": "application/x-www-form-urlencoded"}, source="127.0.0.2")
    assert r.status == 429, (r.status, body)
    assert not any("192.0.2.7" in line for line in d.log), d.log

    # Another client through the same nginx is not held back, nor is one that comes directly.
    r, _ = ask_link(port, "lezer12@example.org", source="127.0.0.3")
    assert r.status == 200
    r, _ = ask_link(web_port, "lezer13@example.org")
    assert r.status == 200
    # and mlistd-web counted nginx's clients apart from nginx itself (127.0.0.1)
    assert not any("asked for by 127.0.0.1" in line or "asked for by 127.0.0.3" in line for line in d.log), d.log
    nginx.stop()
    d.stop()
