"""The Debian package (debian/): built with `dpkg-buildpackage -us -uc -b`
from a copy of the source tree, checked by lintian (no errors), installed
into this machine with apt-get, run from where it was installed, and
purged.

One case, as it installs into the real system: it runs as root, in the
plain build only (MLIST_SANITIZED=0: the package is built with the
package's own flags anyway), and skips when an mlist is on the machine
already (a package, or a `meson install` into /usr), whose store the purge
would take.  Nothing it installs starts by itself: a policy-rc.d says no,
as in scripts/install-deps.  The tests run in parallel with it from the
build tree ($MLISTD, $MLISTCTL), never from /usr, and use the account
mlist (scripts/test makes it), which postinst keeps as it is and the purge
leaves in place.  On failure the package is purged all the same."""
import glob
import grp
import json
import os
import pwd
import shlex
import shutil
import signal
import smtplib
import socket
import stat
import subprocess
import sys
import tempfile
import time

import harness
from harness import Skip, outbox, wait_until
from test_install import HELPERS, Notifications, children

PACKAGE = "mlist"
DOMAIN = "lists.example.org"
MLISTD = "/usr/sbin/mlistd"
MLISTCTL = "/usr/bin/mlistctl"
LIBEXEC = "/usr/libexec/mlist"
CONF_DIR = "/etc/mlist"
CONF = CONF_DIR + "/mlistd.conf"
STATE = "/var/lib/mlist"
SPOOL = "/var/spool/mlist"
STORE = STATE + "/mlist.db"
# Debian 12's systemd has units in /lib (debian/rules says so to meson)
UNIT = "/lib/systemd/system/mlistd.service"
WANTS = "/etc/systemd/system/multi-user.target.wants/mlistd.service"
DSH_STATE = "/var/lib/systemd/deb-systemd-helper-enabled"
MAN_PAGES = ("/usr/share/man/man8/mlistd.8.gz", "/usr/share/man/man8/mlistctl.8.gz",
             "/usr/share/man/man5/mlistd.conf.5.gz")
# Everything the package or its scripts put on the machine (the account aside).
INSTALLED = (MLISTD, MLISTCTL, LIBEXEC, CONF_DIR, STATE, SPOOL, UNIT, WANTS, "/usr/lib/sysusers.d/mlist.conf",
             "/usr/lib/tmpfiles.d/mlist.conf", "/usr/share/doc/mlist", DSH_STATE + "/mlistd.service.dsh-also",
             DSH_STATE + "/multi-user.target.wants/mlistd.service") + MAN_PAGES
POLICY_RC_D = "/usr/sbin/policy-rc.d"
# The demo groups (conf/demo-seed.sh): koersenkansen has every project leader.
LEADERS = ("anna.jansen", "pieter.devries", "fatima.elamrani", "joost.bakker")
APT_ENV = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}


def run(cmd, timeout=120, **kw):
    """Runs cmd; fails the test with its output unless it exits 0; returns the CompletedProcess."""
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    assert proc.returncode == 0, f"{' '.join(cmd)}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def package_status():
    """dpkg's state of the package: "installed", "config-files", ..., or "" when dpkg does not know it."""
    proc = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Status}", PACKAGE], capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def owner_mode(path):
    st = os.lstat(path)
    return pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name, stat.S_IMODE(st.st_mode)


def ignore_in_copy(source_root):
    """What the package's source copy leaves out: .git, the build folders (scripts/build's and
    dpkg-buildpackage's), and the local run's spool (.gitignore)."""
    def ignore(folder, names):
        skip = {n for n in names if n in ("__pycache__", ".git") or n.endswith(".pyc")}
        if os.path.samefile(folder, source_root):
            skip |= {n for n in names if n.startswith(("build", "obj-")) or n == "fuzz-artifacts"}
        elif os.path.samefile(folder, os.path.join(source_root, "spool")):
            skip |= {n for n in names if n != "README.md"}
        return skip
    return ignore


def build_package(work):
    """dpkg-buildpackage -us -uc -b in a copy of the source tree under work; returns the .changes."""
    src = os.path.join(work, "mlist")
    root = os.path.realpath(harness.SOURCE_ROOT)
    shutil.copytree(root, src, symlinks=True, ignore=ignore_in_copy(root))
    # the unit tests (dh_auto_test) are run as in a package build: as many at once as there are cores
    env = {**os.environ, "DEB_BUILD_OPTIONS": f"parallel={os.cpu_count() or 2}"}
    env.pop("MLIST_CONF", None)
    log = os.path.join(work, "dpkg-buildpackage.log")
    with open(log, "w") as out:
        proc = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, env=env, stdout=out,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=600)
    if proc.returncode != 0:
        raise AssertionError(f"dpkg-buildpackage failed (exit {proc.returncode}):\n"
                             + "".join(open(log).readlines()[-60:]))
    changes = glob.glob(os.path.join(work, "mlist_*.changes"))
    debs = glob.glob(os.path.join(work, "mlist_*.deb"))
    assert len(changes) == 1 and len(debs) == 1, os.listdir(work)
    return changes[0], debs[0]


def lintian(changes, deb):
    proc = subprocess.run(["lintian", changes, deb], capture_output=True, text=True, timeout=300)
    print("lintian:\n" + (proc.stdout.strip() or "(nothing to say)"))
    errors = [line for line in proc.stdout.splitlines() if line.startswith("E:")]
    assert not errors, "lintian reports errors:\n" + "\n".join(errors)
    assert proc.returncode == 0, proc


def no_starting_services():
    """A policy-rc.d that says no (exit 101), as scripts/install-deps has one, while the test runs:
    on a machine where systemd runs, postinst would otherwise start mlistd on the config's ports."""
    if not os.path.exists(POLICY_RC_D):
        with open(POLICY_RC_D, "w") as f:
            f.write("#!/bin/sh\nexit 101\n")
        os.chmod(POLICY_RC_D, 0o755)
        harness._to_clean.append(lambda: os.path.exists(POLICY_RC_D) and os.remove(POLICY_RC_D))


def purge():
    """Cleanup: the package and its data go, even when the test failed halfway (dpkg, not apt: after
    an interrupted install apt-get refuses until dpkg --configure -a)."""
    if package_status():
        subprocess.run(["dpkg", "--purge", PACKAGE], stdin=subprocess.DEVNULL, capture_output=True, timeout=300,
                       env=APT_ENV)


def apt_install(work, deb, *options):
    """apt-get install ./mlist_VERSION_ARCH.deb, as README says; returns what it printed."""
    return run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=120",
                *options, "./" + os.path.basename(deb)], cwd=work, env=APT_ENV, timeout=600).stdout


def port_taken(port):
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            return False
        except OSError:
            return True


def check_installed(account_was_there):
    for path in (MLISTD, MLISTCTL) + tuple(os.path.join(LIBEXEC, h) for h in HELPERS):
        assert os.path.isfile(path) and owner_mode(path) == ("root", "root", 0o755), (path, owner_mode(path))
    for path in (CONF, UNIT, "/usr/lib/sysusers.d/mlist.conf", "/usr/lib/tmpfiles.d/mlist.conf") + MAN_PAGES:
        assert os.path.isfile(path) and owner_mode(path) == ("root", "root", 0o644), (path, owner_mode(path))
    assert os.path.isfile(os.path.join(CONF_DIR, "templates", "nl", "welcome.txt"))
    conffiles = run(["dpkg-query", "-W", "-f=${Conffiles}", PACKAGE]).stdout
    assert f" {CONF} " in conffiles, conffiles
    # the unit, and enabled: dh_installsystemd's postinst made the link systemctl enable would
    text = open(UNIT).read()
    assert f"ExecStart={MLISTD}\n" in text and f"ReadWritePaths={STATE} {SPOOL}\n" in text, text
    assert os.path.islink(WANTS) and os.readlink(WANTS) == UNIT, WANTS
    # ... and deb-systemd-helper's record of it, which the purge uses to take the link away
    assert os.path.exists(DSH_STATE + "/multi-user.target.wants/mlistd.service")
    # the account of sysusers.d/mlist.conf (one there already is kept as it was)
    account = pwd.getpwnam("mlist")
    assert account.pw_uid < 1000 and account.pw_gid == grp.getgrnam("mlist").gr_gid, account
    assert account.pw_shell in ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false"), account
    if not account_was_there:
        assert account.pw_dir == STATE, account
    # the folders of tmpfiles.d/mlist.conf, and the store postinst made (mlistctl init, as mlist)
    for path in (STATE, SPOOL):
        assert os.path.isdir(path) and owner_mode(path) == ("mlist", "mlist", 0o700), (path, owner_mode(path))
    assert os.path.isfile(STORE) and owner_mode(STORE)[0] == "mlist" and owner_mode(STORE)[2] == 0o600, \
        owner_mode(STORE)


def everything_belongs_to_mlist():
    """Nothing in the store's and spool's folders that mlistd, running as mlist, could not write."""
    for top in (STATE, SPOOL):
        for folder, dirs, files in os.walk(top):
            for name in [""] + dirs + files:
                path = os.path.join(folder, name)
                assert owner_mode(path)[0] == "mlist", (path, owner_mode(path))


class InstalledSpool:
    """harness.outbox's view of the installed spool: spool/outbox/... is in /var/spool/mlist."""

    @staticmethod
    def path(name):
        assert name.startswith("spool/"), name
        return os.path.join(SPOOL, name[len("spool/"):])


def uid_of(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("Uid:"))


def serve_a_post():
    """mlistd started as the unit's ExecStart does (no arguments, $NOTIFY_SOCKET set: it stays in
    the foreground), as root: it switches to the config's user, mlist.  The demo groups go in with
    the installed mlistctl, and a post to koersenkansen reaches every other project leader."""
    exec_start = next(line.split("=", 1)[1] for line in open(UNIT).read().splitlines()
                      if line.startswith("ExecStart="))
    notify = Notifications()
    env = {k: v for k, v in os.environ.items() if k not in ("MLIST_CONF", "LISTEN_FDS", "LISTEN_PID")}
    proc = subprocess.Popen(shlex.split(exec_start), cwd="/", env={**env, "NOTIFY_SOCKET": notify.path},
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)

    def stop():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    harness._to_clean.append(stop)
    try:
        notify.wait_for("READY=1")
    except AssertionError:
        stop()
        raise AssertionError("installed mlistd did not become ready: " + proc.stderr.read().decode())
    mlist_uid = pwd.getpwnam("mlist").pw_uid
    assert uid_of(proc.pid) == mlist_uid, "mlistd still runs as root"
    wait_until(lambda: len(children(proc.pid)) >= 2, what="mlistd's helpers running")
    assert sorted(children(proc.pid).values()) == [f"{LIBEXEC}/mlistd-deliver", f"{LIBEXEC}/mlistd-sort"], \
        children(proc.pid)

    # conf/demo-seed.sh with the installed mlistctl, as the account (README: run mlistctl as mlist)
    with open(os.path.join(harness.SOURCE_ROOT, "conf", "demo-seed.sh")) as script:
        out = run(["runuser", "-u", "mlist", "--", "env", f"MLISTCTL={MLISTCTL}", "sh", "-s", CONF],
                  stdin=script, cwd="/", env=env).stdout
    assert "added the demo change lines" in out, out
    groups = {g["name"] for g in json.loads(run([MLISTCTL, "group", "list", "--json"], cwd="/", env=env).stdout)}
    assert {"koersenkansen", "levensloop-centraal", "pga-jeugd-amersfoort"} <= groups, groups

    with smtplib.SMTP("127.0.0.1", 2525, timeout=30) as smtp:
        smtp.sendmail("anna.jansen@example.org", [f"koersenkansen@{DOMAIN}"],
                      f"From: Anna Jansen <anna.jansen@example.org>\r\nTo: koersenkansen@{DOMAIN}\r\n"
                      "Subject: Uit het pakket\r\nMessage-ID: <deb-test@example.org>\r\n\r\n"
                      "Verstuurd aan het geinstalleerde mlistd.\r\n")
    for who in LEADERS[1:]:
        address = f"{who}@example.org"
        wait_until(lambda: any(m["Message-ID"] == "<deb-test@example.org>" for m in outbox(InstalledSpool, address)),
                   what=f"{address}'s copy in {SPOOL}/outbox")

    proc.send_signal(signal.SIGTERM)
    notify.wait_for("STOPPING=1")
    assert proc.wait(60) == 0, proc.stderr.read().decode()
    wait_until(lambda: not children(proc.pid), what="mlistd's helpers stopped")


def test_package_builds_installs_runs_and_purges():
    if os.geteuid() != 0:
        raise Skip("installs the package into this machine: needs root")
    if harness.SANITIZED:
        raise Skip("runs in the plain build only (the package is built with its own flags)")
    for tool in ("dpkg-buildpackage", "dh", "lintian", "apt-get", "runuser"):
        if not shutil.which(tool):
            raise Skip(f"needs {tool} (scripts/install-deps installs debhelper, lintian, dpkg-dev)")
    if package_status() or any(os.path.lexists(p) for p in INSTALLED):
        raise Skip("an mlist is installed on this machine already; this test would purge it with its store")
    if port_taken(2525) or port_taken(2524):
        raise Skip("127.0.0.1:2525 or :2524, the installed config's listeners, is in use (scripts/demo?)")
    # meson's timeout sends SIGTERM: clean up (purge) then too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    account_was_there = any(p.pw_name == "mlist" for p in pwd.getpwall())
    work = tempfile.mkdtemp(prefix="mlist-deb-")
    harness._to_clean.append(lambda: shutil.rmtree(work, ignore_errors=True))
    # apt-get reads the .deb as its own unprivileged account
    os.chmod(work, 0o755)
    times = {}

    started = time.monotonic()
    changes, deb = build_package(work)
    times["build"] = time.monotonic() - started
    started = time.monotonic()
    lintian(changes, deb)
    times["lintian"] = time.monotonic() - started

    started = time.monotonic()
    no_starting_services()
    harness._to_clean.append(purge)
    out = apt_install(work, deb)
    times["install"] = time.monotonic() - started
    assert package_status() == "installed"
    assert f"created the store at {STORE}" in out, out
    check_installed(account_was_there)

    # the installed programs, with no -c: the installed config
    env = {k: v for k, v in os.environ.items() if k != "MLIST_CONF"}
    proc = run([MLISTD, "-n"], cwd="/", env=env)
    assert proc.stdout == f"{CONF}: config is fine\n", proc.stdout
    run([MLISTCTL, "group", "list"], cwd="/", env=env)
    assert json.loads(run([MLISTCTL, "group", "list", "--json"], cwd="/", env=env).stdout) == []

    started = time.monotonic()
    serve_a_post()
    times["serve"] = time.monotonic() - started
    everything_belongs_to_mlist()

    # Installed again (postinst configure with the version before it, as on an upgrade): the
    # account, the folders and the store, with the demo groups, stay as they are.
    before = run([MLISTCTL, "group", "list", "--json"], cwd="/", env=env).stdout
    started = time.monotonic()
    out = apt_install(work, deb, "--reinstall")
    times["reinstall"] = time.monotonic() - started
    assert "the store at" not in out, out  # no mlistctl init: the store was there
    check_installed(account_was_there)
    assert run([MLISTCTL, "group", "list", "--json"], cwd="/", env=env).stdout == before
    everything_belongs_to_mlist()

    started = time.monotonic()
    run(["apt-get", "purge", "-y", "-q", "-o", "DPkg::Lock::Timeout=120", PACKAGE], env=APT_ENV, timeout=300)
    times["purge"] = time.monotonic() - started
    assert package_status() in ("", "not-installed"), package_status()
    left = [p for p in INSTALLED if os.path.lexists(p)]
    assert not left, f"left after purge: {left}"
    # the account stays (Debian leaves system accounts; the other tests run mlistd as mlist)
    pwd.getpwnam("mlist")
    print("seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in times.items()))
