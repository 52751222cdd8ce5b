"""What the integration tests share: a throw-away mlist setup in a
temporary folder, running the real mlistctl and mlistd binaries that
meson built (paths in $MLISTCTL and $MLISTD).
"""
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
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


def files_naming(s, *needles):
    """Every file of the store and the spool (outbox/ aside: recipients' mailboxes) holding one of needles, any case."""
    hits = []
    spool = s.path("spool")
    for root, dirs, names in os.walk(spool):
        if os.path.relpath(root, spool).split(os.sep)[0] == "outbox":
            continue
        for name in names:
            path = os.path.join(root, name)
            if not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                data = f.read().lower()
            hits += [(path, n) for n in needles if n.lower().encode() in data]
    return hits


def wait_until(check, timeout=30, what="condition"):
    """Polls check() until it is true; fails the test after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met in {timeout}s")
        time.sleep(0.05)


def outbox(s, address):
    """The mail the maildir transport delivered to address (spool/outbox/ADDRESS/new), oldest first, parsed
    with email.policy.default."""
    import email
    import email.policy
    base = s.path(f"spool/outbox/{address}/new")
    out = []
    for name in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        with open(os.path.join(base, name), "rb") as f:
            out.append(email.message_from_binary_file(f, policy=email.policy.default))
    return out


_reserved_ports = []


def free_port():
    """A TCP port on 127.0.0.1 that nothing uses now and no other test has
    been handed.  Taken below the kernel's ephemeral range (32768 and up), so
    that no client connection can be handed the same port meanwhile.  The
    tests run side by side, and a test binds the port it was given only
    when it starts its server, seconds later: so each port given out is
    also locked (flock on a file named after it) until this test's process
    ends, and a test running beside it skips a locked port."""
    import fcntl
    import random
    import socket
    folder = os.path.join(tempfile.gettempdir(), "mlist-test-ports")
    os.makedirs(folder, exist_ok=True)
    try:
        os.chmod(folder, 0o1777)   # tests also run as other accounts
    except PermissionError:
        pass
    for _ in range(200):
        port = random.randint(20000, 32000)
        try:
            fd = os.open(os.path.join(folder, str(port)), os.O_RDONLY | os.O_CREAT, 0o666)
        except PermissionError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                os.close(fd)
                continue
        _reserved_ports.append(fd)
        return port
    raise AssertionError("no free port")


class Setup:
    """A config, spool and store in a fresh temporary folder.  The store is
    made with `mlistctl init`, as an administrator would: mlistctl never
    creates it otherwise.  With init=False there is none until mlistd starts
    (or the test runs init), and nothing is made from a config a test is
    about to find fault with."""

    def __init__(self, extra_config="", listen=False, init=True):
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
        if init:
            self.ctl("init")

    def write_config(self, text):
        """Replaces the config in one step, as an editor saving a file does: a process that reads it
        meanwhile (a helper starting) sees the old file or the new one, never half of one."""
        with open(self.config + ".new", "w") as f:
            f.write(text)
        os.replace(self.config + ".new", self.config)

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
    """A running mlistd whose stderr the test reads line by line.  A thread reads it all the time,
    so a daemon that logs a lot while the test is busy elsewhere never blocks on a full pipe."""

    def __init__(self, setup, extra_args):
        self.proc = subprocess.Popen([MLISTD, "-c", setup.config, "--foreground", *extra_args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.log = []
        self._changed = threading.Condition()
        self._ended = False
        self._reader = threading.Thread(target=self._read_all, daemon=True)
        self._reader.start()
        _to_clean.append(self.kill)

    def _read_all(self):
        partial = b""
        while True:
            chunk = os.read(self.proc.stderr.fileno(), 65536)
            if chunk:
                partial += chunk
                *lines, partial = partial.split(b"\n")
            else:
                lines, partial = ([partial] if partial else []), b""
            with self._changed:
                self.log.extend(line.decode("utf-8", "replace") for line in lines)
                self._ended = not chunk
                self._changed.notify_all()
            if not chunk:
                return

    def wait_for(self, text, timeout=20):
        """Waits until a log line contains text; returns that line."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._changed:
            while True:
                for line in self.log[seen:]:
                    if text in line:
                        return line
                seen = len(self.log)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"mlistd did not log {text!r} within {timeout}s; log:\n" + "\n".join(self.log))
                if self._ended:
                    self.proc.wait()
                    raise AssertionError(f"mlistd exited ({self.proc.returncode}) before logging {text!r}; log:\n"
                                         + "\n".join(self.log))
                self._changed.wait(left)

    def poll(self):
        """Whether anyone still writes to mlistd's stderr (it, or helpers sharing it): False once every
        such process is gone.  What was logged so far is in self.log already."""
        with self._changed:
            return not self._ended

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=20):
        """SIGTERM, then wait; returns the exit status."""
        self.proc.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def wait(self, timeout=20):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("mlistd did not stop; log:\n" + "\n".join(self.log))
        self._reader.join(2)  # helpers that outlive a killed mlistd may hold its stderr open
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None and os.environ.get("MLIST_COVERAGE"):
            # scripts/coverage: a process killed writes no counters; a stop in order lets every one write them
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
