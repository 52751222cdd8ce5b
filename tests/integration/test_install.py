"""`meson install`, from the build this test runs in ($MLIST_BUILD_DIR),
into a temporary DESTDIR: where each file lands and its mode; the staged
mlistd running its own helpers from DESTDIR's libexec/mlist (never the
build tree's) and taking a post end to end; sd_notify (READY=1,
RELOADING=1, STOPPING=1) as systemd would see it; and the unit
mlistd.service checked by `systemd-analyze verify` and rated by
`systemd-analyze security` (exposure 3.0 at most: "OK" or better)."""
import fcntl
import json
import os
import re
import shutil
import signal
import smtplib
import socket
import stat
import struct
import subprocess
import tempfile
import time

import harness
from harness import Setup, Skip, outbox, wait_until

BUILD_DIR = os.environ.get("MLIST_BUILD_DIR", "")
DOMAIN = "lists.example.org"
HELPERS = ("mlistd-sort", "mlistd-deliver", "mlistd-imap", "mlistd-web")


def build_options():
    """The build's install folders (prefix, bindir, ...), absolute."""
    out = subprocess.run(["meson", "introspect", BUILD_DIR, "--buildoptions"], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    opts = {o["name"]: o["value"] for o in json.loads(out)}
    prefix = opts["prefix"]
    return {name: os.path.join(prefix, opts[name]) if name != "prefix" else prefix
            for name in ("prefix", "bindir", "sbindir", "libexecdir", "sysconfdir", "localstatedir")}


def install():
    """Installs the build into a fresh DESTDIR; returns (destdir, the build's install folders).  One
    install at a time in the build folder (the cases run in parallel, and meson install first brings
    the build up to date)."""
    if not BUILD_DIR or not os.path.exists(os.path.join(BUILD_DIR, "build.ninja")):
        raise Skip("needs $MLIST_BUILD_DIR, the meson build folder (tests/meson.build sets it)")
    dest = tempfile.mkdtemp(prefix="mlist-destdir-")
    harness._to_clean.append(lambda: shutil.rmtree(dest, ignore_errors=True))
    # mlistd, started as root, runs its helpers as its unprivileged account: they must be reachable
    os.chmod(dest, 0o755)
    with open(os.path.join(BUILD_DIR, "meson-private", "mlist-install-test.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = subprocess.run(["meson", "install", "-C", BUILD_DIR, "--destdir", dest, "--quiet"],
                              capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"meson install failed:\n{proc.stdout}\n{proc.stderr}"
    return dest, build_options()


def staged(dest, path):
    return dest + path


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def find_unit(dest, dirs):
    """The installed mlistd.service: in a systemd/system folder under the prefix."""
    found = [os.path.join(root, "mlistd.service") for root, _, files in os.walk(dest) if "mlistd.service" in files]
    assert len(found) == 1, found
    unit = found[0]
    assert unit.startswith(staged(dest, dirs["prefix"]) + "/") or unit.startswith(dest + "/lib/"), unit
    assert unit.endswith("/lib/systemd/system/mlistd.service"), unit
    return unit


def test_layout_and_modes():
    dest, d = install()
    sbin, bin_, libexec = (staged(dest, d[k]) for k in ("sbindir", "bindir", "libexecdir"))
    conf_dir = staged(dest, os.path.join(d["sysconfdir"], "mlist"))
    expected = {os.path.join(sbin, "mlistd"): 0o755, os.path.join(bin_, "mlistctl"): 0o755,
                os.path.join(conf_dir, "mlistd.conf"): 0o644}
    expected.update({os.path.join(libexec, "mlist", h): 0o755 for h in HELPERS})
    for path, want in expected.items():
        assert os.path.isfile(path), f"{path} not installed; DESTDIR has:\n" + "\n".join(
            os.path.join(r, f) for r, _, fs in os.walk(dest) for f in fs)
        assert mode(path) == want, (path, oct(mode(path)))
    # the helpers only beside each other, not in sbindir or bindir; mlistd not in bindir
    for h in HELPERS:
        assert not os.path.exists(os.path.join(sbin, h)) and not os.path.exists(os.path.join(bin_, h)), h
    assert not os.path.exists(os.path.join(bin_, "mlistd"))
    # the shipped templates, every one of them
    shipped = os.path.join(harness.SOURCE_ROOT, "conf", "templates")
    for root, _, files in os.walk(shipped):
        for f in files:
            if f.endswith(".txt"):
                rel = os.path.relpath(os.path.join(root, f), shipped)
                path = os.path.join(conf_dir, "templates", rel)
                assert os.path.isfile(path) and mode(path) == 0o644, path
    # the systemd files: the unit, the account and the folders it runs with
    unit = find_unit(dest, d)
    assert mode(unit) == 0o644
    units_lib = os.path.dirname(os.path.dirname(os.path.dirname(unit)))
    sysusers = os.path.join(units_lib, "sysusers.d", "mlist.conf")
    tmpfiles = os.path.join(units_lib, "tmpfiles.d", "mlist.conf")
    store_dir = os.path.join(d["localstatedir"], "lib", "mlist")
    spool_dir = os.path.join(d["localstatedir"], "spool", "mlist")
    assert "u mlist - " in open(sysusers).read()
    tmp = open(tmpfiles).read()
    assert f"d {store_dir} 0700 mlist mlist -" in tmp and f"d {spool_dir} 0700 mlist mlist -" in tmp, tmp
    text = open(unit).read()
    assert f"ExecStart={d['sbindir']}/mlistd\n" in text, text
    assert f"ReadWritePaths={store_dir} {spool_dir}\n" in text, text
    # nothing anyone but root may change
    for root, dirs, files in os.walk(dest):
        for name in dirs + files:
            path = os.path.join(root, name)
            assert not os.path.islink(path) and not mode(path) & 0o022, (path, oct(mode(path)))

    # The installed config: the shipped one, with the server's folders.
    conf = open(os.path.join(conf_dir, "mlistd.conf")).read()
    assert f'spool = "{spool_dir}";' in conf and f'store = "{store_dir}/mlist.db";' in conf, conf
    assert f'maildir = "{spool_dir}/outbox";' in conf
    assert not re.search(r'^[^#]*"\.\./', conf, re.M), "a relative path left in the installed config"
    shipped_conf = open(os.path.join(harness.SOURCE_ROOT, "conf", "mlistd.conf")).read()
    assert len(conf.splitlines()) == len(shipped_conf.splitlines())
    # Run from where it is installed, with no -c: the installed config (and its templates) by default.
    env = {k: v for k, v in os.environ.items() if k != "MLIST_CONF"}
    proc = subprocess.run([os.path.join(sbin, "mlistd"), "-n"], capture_output=True, text=True, timeout=20,
                          cwd="/", env=env)
    assert proc.returncode == 0 and proc.stdout == f"{conf_dir}/mlistd.conf: config is fine\n", proc
    proc = subprocess.run([os.path.join(bin_, "mlistctl"), "group", "list"], capture_output=True, text=True,
                          timeout=20, cwd="/", env=env)
    if proc.returncode != 0:
        assert f"{store_dir}/mlist.db" in proc.stderr, proc.stderr
    # The build tree's programs keep the build tree's default (README's commands run from the source root).
    proc = subprocess.run([harness.MLISTD, "-n"], capture_output=True, text=True, timeout=20,
                          cwd=harness.SOURCE_ROOT, env=env)
    assert proc.returncode == 0 and proc.stdout == "conf/mlistd.conf: config is fine\n", proc


def children(pid):
    """{pid: the executable} of pid's child processes."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                out[int(entry)] = os.readlink(f"/proc/{entry}/exe")
        except (OSError, IndexError, ValueError):
            continue
    return out


def installed_setup(dest, d):
    """A Setup whose store is made by the installed mlistctl, with a group of two members."""
    s = Setup(listen=True, init=False)
    mlistctl = staged(dest, os.path.join(d["bindir"], "mlistctl"))
    for args in (["init"], ["group", "add", "pga", "--kind", "project", "--policy", "members"],
                 ["member", "add", "pga", "anna@example.org"], ["member", "add", "pga", "bart@example.org"]):
        proc = subprocess.run([mlistctl, "-c", s.config, *args], capture_output=True, text=True, timeout=30)
        assert proc.returncode == 0, (args, proc)
    return s


def test_installed_mlistd_runs_its_own_helpers_and_takes_a_post():
    dest, d = install()
    s = installed_setup(dest, d)
    libexec = staged(dest, os.path.join(d["libexecdir"], "mlist"))
    # the staged mlistd, not the build tree's (each case runs in a process of its own)
    harness.MLISTD = staged(dest, os.path.join(d["sbindir"], "mlistd"))
    daemon = s.start()
    started = [line for line in daemon.log if "started mlistd-" in line]
    assert any("mlistd-sort" in line for line in started) and any("mlistd-deliver" in line for line in started), \
        daemon.log
    helpers = [os.path.join(libexec, "mlistd-deliver"), os.path.join(libexec, "mlistd-sort")]
    # a child seen between its fork and its exec still shows mlistd's own executable
    wait_until(lambda: sorted(children(daemon.proc.pid).values()) == helpers, what="mlistd's helpers running")
    exes = sorted(children(daemon.proc.pid).values())
    assert exes == [os.path.join(libexec, "mlistd-deliver"), os.path.join(libexec, "mlistd-sort")], exes

    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail("anna@example.org", [f"pga@{DOMAIN}"],
                      "From: anna@example.org\r\nTo: pga@lists.example.org\r\nSubject: Geinstalleerd\r\n"
                      "Message-ID: <installed@example.org>\r\n\r\nVanuit DESTDIR.\r\n")
    for who in ("anna@example.org", "bart@example.org"):
        wait_until(lambda: any(m["Message-ID"] == "<installed@example.org>" for m in outbox(s, who)),
                   what=f"{who}'s copy")
    assert daemon.stop() == 0
    assert not any("cannot run" in line for line in daemon.log), daemon.log


class Notifications:
    """A notify socket as systemd has one: what mlistd says through sd_notify, with the sender's pid."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="mlist-notify-")
        harness._to_clean.append(lambda: shutil.rmtree(self.dir, ignore_errors=True))
        os.chmod(self.dir, 0o755)
        self.path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        # mlistd, started as root, tells systemd as its unprivileged account
        os.chmod(self.path, 0o777)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)

    def wait_for(self, field, timeout=20):
        """The next message with field (e.g. READY=1): {name: value}, and "pid" the sender's."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {field} from mlistd in {timeout}s")
            self.sock.settimeout(left)
            data, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
            msg = dict(line.split("=", 1) for line in data.decode().split("\n") if "=" in line)
            for level, kind, cdata in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    msg["pid"] = str(struct.unpack("3i", cdata[:12])[0])
            name, value = field.split("=", 1)
            if msg.get(name) == value:
                return msg


def test_sd_notify_ready_reload_stopping():
    dest, d = install()
    s = installed_setup(dest, d)
    mlistd = staged(dest, os.path.join(d["sbindir"], "mlistd"))
    notify = Notifications()
    # As systemd starts it (Type=notify): no --foreground, $NOTIFY_SOCKET set.  It logs to syslog then.
    proc = subprocess.Popen([mlistd, "-c", s.config], env={**os.environ, "NOTIFY_SOCKET": notify.path},
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd="/")
    harness._to_clean.append(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
    ready = notify.wait_for("READY=1")
    # the process systemd started says it, and stays: it did not go to the background
    assert ready["pid"] == str(proc.pid), (ready, proc.pid)
    assert proc.poll() is None
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        assert smtp.noop()[0] == 250

    proc.send_signal(signal.SIGHUP)
    reloading = notify.wait_for("RELOADING=1")
    assert int(reloading["MONOTONIC_USEC"]) > 0, reloading
    again = notify.wait_for("READY=1")
    assert again["STATUS"] == f"serving, reloaded {s.config}", again

    good = open(s.config).read()
    s.write_config(good + "limits = { max_recipients = 0; };\n")
    proc.send_signal(signal.SIGHUP)
    notify.wait_for("RELOADING=1")
    refused = notify.wait_for("READY=1")
    assert refused["STATUS"].startswith("reload refused, keeping the running config: " + s.config), refused
    s.write_config(good)

    proc.send_signal(signal.SIGTERM)
    notify.wait_for("STOPPING=1")
    assert proc.wait(30) == 0
    err = proc.stderr.read().decode()
    assert err == "", f"logged to stderr instead of syslog: {err}"


# In a mount namespace of its own, mlistd's /dev is a copy whose log is the test's socket.
PRIVATE_DEV_LOG = """set -e
for f in null zero full random urandom; do mount --bind "/dev/$f" "$1/$f"; done
mount --rbind "$1" /dev
shift
exec "$@"
"""


def test_syslog_names_every_process_mlistd():
    """As under systemd (no --foreground): every line goes to syslog, facility mail, under the one name
    "mlistd" with the sender's pid, so `journalctl -t mlistd` has a post's whole way; a helper's lines
    start with the helper's name, each event is one message, and the post's lines carry its ids."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        raise Skip("needs root and unshare(1): mlistd's /dev/log is replaced in a mount namespace")
    s = Setup(listen=True)
    s.ctl("group", "add", "pga", "--kind", "project", "--policy", "members")
    s.ctl("member", "add", "pga", "anna@example.org")
    s.ctl("member", "add", "pga", "bart@example.org")
    dev = tempfile.mkdtemp(prefix="mlist-dev-")
    harness._to_clean.append(lambda: shutil.rmtree(dev, ignore_errors=True))
    os.chmod(dev, 0o755)
    for name in ("null", "zero", "full", "random", "urandom"):
        open(os.path.join(dev, name), "w").close()
    log = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    log.bind(os.path.join(dev, "log"))
    os.chmod(os.path.join(dev, "log"), 0o666)  # the helpers write as mlistd's account
    notify = Notifications()
    proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", PRIVATE_DEV_LOG, "sh",
                             dev, harness.MLISTD, "-c", s.config], env={**os.environ, "NOTIFY_SOCKET": notify.path},
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd="/")
    harness._to_clean.append(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
    notify.wait_for("READY=1")
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail("anna@example.org", ["pga@lists.example.org"],
                      "From: anna@example.org\r\nSubject: Logboek\r\nMessage-ID: <logboek@example.org>\r\n\r\nTekst.\r\n")
    wait_until(lambda: len(outbox(s, "bart@example.org")) == 1, what="the copy")
    messages = []
    log.settimeout(10)
    while not any("<logboek@example.org> to pga: 2 sent" in m for m in messages):
        messages.append(log.recv(65536).decode())
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    assert proc.stderr.read() == b""
    lines = []
    for m in messages:
        found = re.match(r"<(\d+)>\w{3} [ \d]\d \d\d:\d\d:\d\d mlistd\[(\d+)\]: (.*)$", m, re.S)
        assert found and int(found.group(1)) // 8 == 2 and "\n" not in found.group(3), m  # facility mail
        lines.append(found.group(3))
    [accepted] = [line for line in lines if line.startswith("smtp: 127.0.0.1: accepted ")]
    spool_id = accepted.split()[3]
    assert any(line.startswith(f"mlistd-sort: sorter: {spool_id} <logboek@example.org> sorted into pga")
               for line in lines), lines
    assert any(line.startswith(f"mlistd-deliver: deliver: {spool_id} <logboek@example.org> to pga: 2 sent")
               for line in lines), lines


def test_systemd_unit_verifies_and_rates_ok():
    dest, d = install()
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        raise Skip("needs systemd-analyze (Debian's systemd)")
    unit = find_unit(dest, d)
    installed_mlistd = os.path.join(d["sbindir"], "mlistd")
    # verify checks that ExecStart= names an executable: point it at the staged copy
    check_dir = tempfile.mkdtemp(prefix="mlist-unit-")
    harness._to_clean.append(lambda: shutil.rmtree(check_dir, ignore_errors=True))
    text = open(unit).read()
    assert f"ExecStart={installed_mlistd}\n" in text
    checked = os.path.join(check_dir, "mlistd.service")
    with open(checked, "w") as f:
        f.write(text.replace(f"ExecStart={installed_mlistd}\n", f"ExecStart={staged(dest, installed_mlistd)}\n"))
    # Documentation= names the manual pages: man finds them where they were staged, if they were
    man_dir = staged(dest, os.path.join(d["prefix"], "share", "man"))
    env = dict(os.environ)
    man = ["--man=no"]
    if os.path.exists(os.path.join(man_dir, "man8", "mlistd.8")) and shutil.which("man"):
        env["MANPATH"] = man_dir
        man = []
    proc = subprocess.run([analyze, "verify", *man, checked], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0 and proc.stdout.strip() == "" and proc.stderr.strip() == "", proc

    proc = subprocess.run([analyze, "security", "--offline=true", "--threshold=30", "--no-pager", checked],
                          capture_output=True, text=True, timeout=60)
    found = re.search(r"Overall exposure level for mlistd\.service: ([0-9.]+) (\w+)", proc.stdout)
    assert found, proc
    exposure, rating = float(found.group(1)), found.group(2)
    assert exposure <= 3.0 and rating in ("OK", "SAFE", "PERFECT"), proc.stdout
    assert proc.returncode == 0, proc
    print(f"systemd-analyze security: exposure {exposure} {rating}")
