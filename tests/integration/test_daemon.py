"""mlistd as a process: start-up, readiness, signals, config checks, root."""
import os
import pwd
import signal
import socket
import stat
import subprocess

from harness import MLISTD, Setup, Skip, unprivileged_user


def test_ready_then_sigterm_stops():
    s = Setup()
    d = s.start()
    assert any("schema version" in line for line in d.log), d.log
    assert d.stop() == 0
    assert "SIGTERM received, stopping" in "\n".join(d.log)


def test_creates_spool_and_private_store():
    s = Setup(init=False)
    assert not os.path.exists(s.path("spool"))
    d = s.start()
    assert stat.S_IMODE(os.stat(s.path("spool")).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(s.store).st_mode) == 0o600
    assert d.stop() == 0
    # the daemon's store is the one mlistctl uses
    s.ctl("group", "add", "veilig-dichtbij", "--kind", "change-line")
    d = s.start()
    assert d.stop() == 0
    assert s.ctl_json("group", "list")[0]["name"] == "veilig-dichtbij"


def test_sighup_reloads_and_keeps_old_config_on_error():
    s = Setup()
    d = s.start()
    good = open(s.config).read()
    s.write_config(good + "limits = { max_recipients = 0; };\n")
    d.signal(signal.SIGHUP)
    line = d.wait_for("reload refused")
    assert f"{s.config}:" in line and "'max_recipients' must be between 1 and 100000" in line, line
    assert d.proc.poll() is None
    s.write_config(good)
    d.signal(signal.SIGHUP)
    d.wait_for(f"reloaded {s.config}")
    assert d.stop() == 0


def test_broken_config_refused_with_file_and_line():
    s = Setup(init=False)
    s.write_config('domain = "lists.example.org";\nspool = "spool";\nstore = "spool/db";\nlisten = ( {;\n')
    proc = subprocess.run([MLISTD, "-c", s.config, "--foreground"], capture_output=True, text=True, timeout=20)
    assert proc.returncode == 1
    assert f"{s.config}:4: syntax error" in proc.stderr, proc.stderr
    assert not os.path.exists(s.path("spool")), "nothing is created from a broken config"


def test_missing_config_refused():
    proc = subprocess.run([MLISTD, "-c", "/nonexistent/mlistd.conf", "--foreground"],
                          capture_output=True, text=True, timeout=20)
    assert proc.returncode == 1
    assert "/nonexistent/mlistd.conf: cannot read the config file" in proc.stderr, proc.stderr


def test_check_mode():
    s = Setup(init=False)
    proc = subprocess.run([MLISTD, "-n", "-c", s.config], capture_output=True, text=True, timeout=20)
    assert proc.returncode == 0 and "config is fine" in proc.stdout, proc
    assert not os.path.exists(s.path("spool")), "-n only checks"
    s.write_config(open(s.config).read() + "colour = \"blue\";\n")
    proc = subprocess.run([MLISTD, "-n", "-c", s.config], capture_output=True, text=True, timeout=20)
    assert proc.returncode == 1 and "unknown setting 'colour'" in proc.stderr, proc


def test_bad_arguments_exit_2():
    for args in (["--bogus"], ["extra"], ["-c"]):
        proc = subprocess.run([MLISTD, *args], capture_output=True, text=True, timeout=20)
        assert proc.returncode == 2, (args, proc)
        assert "usage: mlistd" in proc.stderr, proc.stderr


def test_refuses_root_without_user():
    if os.geteuid() != 0:
        raise Skip("needs root")
    s = Setup()
    s.write_config('domain = "lists.example.org";\nspool = "spool";\nstore = "spool/mlist.db";\n')
    proc = subprocess.run([MLISTD, "-c", s.config, "--foreground"], capture_output=True, text=True, timeout=20)
    assert proc.returncode == 1
    assert "mlistd does not run as root" in proc.stderr, proc.stderr


def test_refuses_unknown_user():
    if os.geteuid() != 0:
        raise Skip("needs root")
    s = Setup()
    s.write_config('domain = "lists.example.org";\nspool = "spool";\nstore = "spool/mlist.db";\n'
                   'user = "no-such-account-here";\n')
    proc = subprocess.run([MLISTD, "-c", s.config, "--foreground"], capture_output=True, text=True, timeout=20)
    assert proc.returncode == 1
    assert 'user "no-such-account-here" does not exist' in proc.stderr, proc.stderr


def test_drops_root():
    if os.geteuid() != 0:
        raise Skip("needs root")
    s = Setup()
    d = s.start()
    account = pwd.getpwnam(unprivileged_user())
    with open(f"/proc/{d.proc.pid}/status") as f:
        ids = {line.split(":")[0]: line.split()[1:] for line in f if line.startswith(("Uid", "Gid", "Groups"))}
    assert ids["Uid"] == [str(account.pw_uid)] * 4, ids
    assert ids["Gid"] == [str(account.pw_gid)] * 4, ids
    assert ids["Groups"] == [], ids
    assert os.stat(s.store).st_uid == account.pw_uid
    assert d.stop() == 0


def test_reload_with_fewer_listeners_keeps_serving():
    import smtplib
    s = Setup(listen=True)
    s.ctl("group", "add", "ruwaard-oss", "--kind", "project")
    d = s.start()
    config = open(s.config).read()
    # drop the LMTP listener from the file: listeners stay as started until a restart
    fewer = config.replace(f',\n           {{ address = "127.0.0.1"; port = {s.lmtp_port}; protocol = "lmtp"; }}', "")
    assert fewer != config and "lmtp" not in fewer
    s.write_config(fewer)
    d.signal(signal.SIGHUP)
    d.wait_for(f"reloaded {s.config}")
    for port in (s.smtp_port, s.lmtp_port):
        conn = socket.create_connection(("127.0.0.1", port), timeout=10)
        assert conn.recv(100).startswith(b"220"), port
        conn.close()
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        assert smtp.sendmail("a@example.org", ["ruwaard-oss@lists.example.org"], "Subject: x\r\n\r\nx\r\n") == {}
    assert d.stop() == 0
