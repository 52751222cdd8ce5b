"""What the integration tests share: a throw-away mlist setup in a
temporary folder, running the real mlistctl and mlistd binaries that
meson built (paths in $MLISTCTL and $MLISTD).
"""
import os
import pwd
import select
import shutil
import signal
import subprocess
import tempfile
import time

SOURCE_ROOT = os.environ.get("MLIST_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
MLISTCTL = os.environ.get("MLISTCTL", "mlistctl")
MLISTD = os.environ.get("MLISTD", "mlistd")
# Built with AddressSanitizer/UBSan: memory figures are several times larger.
SANITIZED = os.environ.get("MLIST_SANITIZED") == "1"

_to_clean = []


class Skip(Exception):
    """Raised by a case that cannot run here (reported as SKIP, not pass)."""


def cleanup():
    for item in reversed(_to_clean):
        item()
    _to_clean.clear()


def unprivileged_user():
    """The account tests run mlistd as when they are root: mlistd refuses to serve as root."""
    for name in ("mlist", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            pass
    raise Skip("no unprivileged account to run mlistd as")


def wait_until(check, timeout=30, what="condition"):
    """Polls check() until it is true; fails the test after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met in {timeout}s")
        time.sleep(0.05)


def free_port():
    """A TCP port on 127.0.0.1 that nothing uses now.  Taken below the
    kernel's ephemeral range (32768 and up), so that no client connection
    of a test running in parallel can be handed the same port meanwhile."""
    import random
    import socket
    for _ in range(200):
        port = random.randint(20000, 32000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise AssertionError("no free port")


class Setup:
    """A config, spool and store in a fresh temporary folder."""

    def __init__(self, extra_config="", listen=False):
        if listen:
            self.smtp_port, self.lmtp_port = free_port(), free_port()
            extra_config = (f'listen = ( {{ address = "127.0.0.1"; port = {self.smtp_port}; protocol = "smtp"; }},\n'
                            f'           {{ address = "127.0.0.1"; port = {self.lmtp_port}; protocol = "lmtp"; }} );\n'
                            + extra_config)
        self.dir = tempfile.mkdtemp(prefix="mlist-test-")
        # mlistd may run as an unprivileged account that must reach the spool inside
        os.chmod(self.dir, 0o755)
        _to_clean.append(lambda: shutil.rmtree(self.dir, ignore_errors=True))
        self.config = os.path.join(self.dir, "mlistd.conf")
        self.store = os.path.join(self.dir, "spool", "mlist.db")
        user = f'user = "{unprivileged_user()}";\n' if os.geteuid() == 0 else ""
        self.write_config('domain = "lists.example.org";\n'
                          'spool = "spool";\n'
                          'store = "spool/mlist.db";\n' + user + extra_config)

    def write_config(self, text):
        with open(self.config, "w") as f:
            f.write(text)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, data):
        mode = "wb" if isinstance(data, bytes) else "w"
        with open(self.path(name), mode) as f:
            f.write(data)
        return self.path(name)

    def ctl(self, *args, expect=0):
        """Runs mlistctl with this setup's config; checks the exit status; returns (stdout, stderr)."""
        proc = subprocess.run([MLISTCTL, "-c", self.config, *args], capture_output=True, text=True, timeout=60)
        assert proc.returncode == expect, (
            f"mlistctl {' '.join(args)}: exit {proc.returncode}, wanted {expect}\n"
            f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
        return proc.stdout, proc.stderr

    def ctl_json(self, *args):
        import json
        out, _ = self.ctl(*args, "--json")
        return json.loads(out)

    def start(self, *extra_args, wait=True):
        """Starts mlistd in the foreground; with wait, returns once it said it is ready."""
        daemon = Daemon(self, extra_args)
        if wait:
            daemon.wait_for("mlistd ready")
        return daemon


class Daemon:
    """A running mlistd whose stderr the test reads line by line."""

    def __init__(self, setup, extra_args):
        self.proc = subprocess.Popen([MLISTD, "-c", setup.config, "--foreground", *extra_args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.log = []
        self._partial = b""
        _to_clean.append(self.kill)

    def _read(self, timeout):
        ready, _, _ = select.select([self.proc.stderr], [], [], timeout)
        if not ready:
            return False
        chunk = os.read(self.proc.stderr.fileno(), 65536)
        if not chunk:
            return None
        self._partial += chunk
        *lines, self._partial = self._partial.split(b"\n")
        self.log.extend(line.decode("utf-8", "replace") for line in lines)
        return True

    def wait_for(self, text, timeout=20):
        """Waits until a log line contains text; returns that line."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for line in self.log[seen:]:
                if text in line:
                    return line
            seen = len(self.log)
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"mlistd did not log {text!r} within {timeout}s; log:\n" + "\n".join(self.log))
            if self._read(left) is None:
                self.proc.wait()
                raise AssertionError(f"mlistd exited ({self.proc.returncode}) before logging {text!r}; log:\n"
                                     + "\n".join(self.log + [self._partial.decode("utf-8", "replace")]))

    def poll(self):
        """Takes in what mlistd (and the helpers sharing its stderr) logged so far, without waiting.
        False once that stderr has ended: every process writing to it is gone."""
        while True:
            got = self._read(0)
            if got is not True:
                return got is not None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=20):
        """SIGTERM, then wait; returns the exit status."""
        self.proc.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def wait(self, timeout=20):
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError("mlistd did not stop; log:\n" + "\n".join(self.log))
            self._read(0.1)
        while self._read(0) is True:
            pass
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
