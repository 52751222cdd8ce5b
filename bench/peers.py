"""What the benchmarks share: the peers (Postfix's smtp-sink and
smtp-source, mlmmj) installed from Debian without starting any service,
free loopback ports, and a running smtp-sink."""
import os
import random
import socket
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def install_peers():
    need = [p for p, path in (("postfix", "/usr/sbin/smtp-sink"), ("mlmmj", "/usr/bin/mlmmj-receive"))
            if not os.path.exists(path)]
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


