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


def helper_pids(d):
    """{name: pid} of the helpers mlistd said it started (the latest of each)."""
    import re
    pids = {}
    for line in d.log:
        m = re.search(r"started (mlistd-\w+) \(pid (\d+)\)", line)
        if m:
            pids[m.group(1)] = int(m.group(2))
    return pids


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


def test_killed_sorter_is_started_again_and_sorts_what_waited():
    import smtplib
    from harness import wait_until
    s = Setup(listen=True)
    s.ctl("group", "add", "koersenkansen", "--kind", "general", "--policy", "open")
    d = s.start()
    d.wait_for("started mlistd-sort")
    first = helper_pids(d)["mlistd-sort"]
    os.kill(first, signal.SIGKILL)
    d.wait_for("mlistd-sort (pid %d) died of signal 9" % first)
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail("a@example.org", ["koersenkansen@lists.example.org"],
                      "Subject: na de val\r\nMessage-ID: <after@example.org>\r\n\r\ntekst\r\n")
    d.wait_for("after@example.org> sorted into koersenkansen")
    wait_until(lambda: helper_pids(d)["mlistd-sort"] != first)
    assert d.stop() == 0


def test_helpers_end_with_a_killed_mlistd():
    from harness import wait_until
    s = Setup()
    d = s.start()
    d.wait_for("started mlistd-deliver")
    pids = helper_pids(d)
    assert set(pids) >= {"mlistd-sort", "mlistd-deliver"}, pids
    d.proc.kill()
    d.wait()
    wait_until(lambda: not any(alive(pid) for pid in pids.values()), timeout=10, what="the helpers gone")


def test_sighup_reaches_the_sorter():
    import smtplib
    s = Setup(listen=True)
    s.ctl("group", "add", "koersenkansen", "--kind", "general", "--policy", "open")
    s.ctl("moderator", "add", "koersenkansen", "bureau@example.org")
    d = s.start()
    s.write_config(open(s.config).read() + "moderation = { self_subscribe = false; };\n")
    d.signal(signal.SIGHUP)
    d.wait_for("mlistd-sort: reloaded")
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail("nieuw@example.org", ["koersenkansen-request@lists.example.org"],
                      "From: nieuw@example.org\r\nSubject: subscribe\r\nMessage-ID: <sub@example.org>\r\n\r\n")
    # closed to self-subscription now: the request goes to the moderators, not back as a confirmation
    d.wait_for("owner: mail from nieuw@example.org to koersenkansen-owner forwarded to 1 moderator(s)")
    assert d.stop() == 0


def nice_of(pid, tid):
    """The nice value of thread tid of process pid (field 19 of its stat)."""
    with open(f"/proc/{pid}/task/{tid}/stat") as f:
        return int(f.read().split(")")[-1].split()[16])


def test_sorting_and_archiving_yield_the_cpu_to_the_listener():
    """The sorter and delivery's keeper thread run at nice +10 (priority.h); the listener, its committer and
    delivery's sending thread keep mlistd's own priority."""
    from harness import wait_until
    s = Setup(listen=True)
    d = s.start()
    d.wait_for("start-up sweep of notices/")
    pids = helper_pids(d)
    base = nice_of(d.proc.pid, d.proc.pid)
    low = min(base + 10, 19)  # nice values end at 19

    def nices(pid):
        return sorted(nice_of(pid, int(t)) for t in os.listdir(f"/proc/{pid}/task"))
    assert set(nices(d.proc.pid)) == {base}
    wait_until(lambda: nices(pids["mlistd-sort"]) == [low], what="the sorter at nice +10")
    # mlistd-deliver: its main (sending) thread as mlistd, its keeper thread at +10
    wait_until(lambda: nices(pids["mlistd-deliver"]) == [base, low], what="one keeper thread at nice +10")
    assert nice_of(pids["mlistd-deliver"], pids["mlistd-deliver"]) == base
    assert d.stop() == 0
