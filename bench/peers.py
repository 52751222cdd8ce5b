"""What the benchmarks share: the peers (Postfix's smtp-sink and
smtp-source, mlmmj) installed from Debian without starting any service,
free loopback ports, a running smtp-sink, and one that says when it
accepted what (DumpSink)."""
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def install_peers():
    install_packages(("postfix", "/usr/sbin/smtp-sink"), ("mlmmj", "/usr/bin/mlmmj-receive"))


def install_packages(*packages):
    """Installs from Debian each (package, file it provides) whose file is missing."""
    need = [p for p, path in packages if not os.path.exists(path)]
    if not need:
        return
    # Installing postfix must not start a mail server on port 25.
    with open("/usr/sbin/policy-rc.d", "w") as f:
        f.write("#!/bin/sh\nexit 101\n")
    os.chmod("/usr/sbin/policy-rc.d", 0o755)
    try:
        sh("apt-get", "install", "-y", "-qq", "--no-install-recommends", *need,
           env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, stdout=subprocess.DEVNULL)
    finally:
        os.unlink("/usr/sbin/policy-rc.d")


def free_port():
    while True:
        port = random.randint(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                pass


def wait_port(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def start_sink():
    port = free_port()
    proc = subprocess.Popen(["/usr/sbin/smtp-sink", "-u", "nobody", f"127.0.0.1:{port}", "1024"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return port, proc




class DumpSink:
    """Postfix's smtp-sink writing each transaction it accepts to a file of its own (-d), with a thread
    that learns of each file from inotify the moment the sink closes it (after the final dot, before
    its 250) and counts its recipients (X-Rcpt-Args).  A C peer like the smarthost mlist really talks
    to, so the figures are mlist's, not the test's."""

    IN_CLOSE_WRITE = 0x8

    def __init__(self):
        import ctypes
        import threading
        self.dir = tempfile.mkdtemp(prefix="dump-sink-")
        os.chmod(self.dir, 0o777)
        self.port = free_port()
        self.libc = ctypes.CDLL("libc.so.6", use_errno=True)
        self.inotify = self.libc.inotify_init1(0)
        if self.inotify < 0 or self.libc.inotify_add_watch(self.inotify, self.dir.encode(), self.IN_CLOSE_WRITE) < 0:
            raise SystemExit("inotify is not available")
        self.recipients = 0
        self.last_at = None
        self.lock = threading.Condition()
        threading.Thread(target=self._watch, daemon=True).start()
        self.proc = subprocess.Popen(["/usr/sbin/smtp-sink", "-u", "nobody", "-d", f"{self.dir}/m.",
                                      f"127.0.0.1:{self.port}", "1024"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)

    def _watch(self):
        import struct
        seen = set()
        while True:
            data = os.read(self.inotify, 65536)
            now = time.monotonic()
            off, found = 0, 0
            while off < len(data):
                _, _, _, length = struct.unpack_from("iIII", data, off)
                name = data[off + 16:off + 16 + length].rstrip(b"\0").decode()
                off += 16 + length
                if not name or name in seen:  # the folder's own events; a file closed a second time
                    continue
                seen.add(name)
                try:
                    with open(os.path.join(self.dir, name), "rb") as f:
                        found += f.read(65536).count(b"\nX-Rcpt-Args:")
                except FileNotFoundError:
                    continue
            with self.lock:
                self.recipients += found
                self.last_at = now
                self.lock.notify_all()

    def wait_for(self, total, timeout):
        """Waits until total recipients have been accepted; returns when the last of them was, or None."""
        with self.lock:
            if not self.lock.wait_for(lambda: self.recipients >= total, timeout):
                return None
            return self.last_at

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
