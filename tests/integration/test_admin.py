"""mlistctl backup, restore, check and stats against a real store, with a
real mlistd taking posts over SMTP: backups taken while it works are
whole and private, a restore brings groups, members and posts back (and
refuses while mlistd runs), check finds what is wrong in the store and
between the store and the spool, and stats counts what is there."""
import os
import re
import smtplib
import sqlite3
import stat
import subprocess
import threading
import time

from harness import MLISTCTL, Setup, free_port, wait_until

DOMAIN = "lists.example.org"
DAY = 86400
WORKING_FOLDERS = ("tmp", "incoming", "queue", "notices", "free", "duplicate", "corrupt")


def programme(extra_config="", listen=True):
    """A project with two members and a moderator, and a change line and a general group beside it."""
    s = Setup(extra_config, listen=listen)
    s.ctl("group", "add", "levensloop", "--kind", "change-line")
    s.ctl("group", "add", "pga-jeugd", "--kind", "project")
    s.ctl("group", "add", "koersenkansen", "--kind", "general")
    s.ctl("member", "add", "pga-jeugd", "anna@example.org", "--name", "Anna Jansen")
    s.ctl("member", "add", "pga-jeugd", "piet@example.org")
    s.ctl("moderator", "add", "pga-jeugd", "mod@example.org")
    return s


def post(smtp, sender, message_id, subject="Bericht"):
    smtp.sendmail(sender, [f"pga-jeugd@{DOMAIN}"],
                  f"From: {sender}\r\nTo: pga-jeugd@{DOMAIN}\r\nSubject: {subject}\r\n"
                  f"Message-ID: <{message_id}>\r\n\r\nInhoud van {subject}.\r\n")


def run_ctl(s, *args):
    return subprocess.run([MLISTCTL, "-c", s.config, *args], capture_output=True, text=True, timeout=60)


def query(path, sql, *args):
    db = sqlite3.connect(path)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def count(path, sql, *args):
    [(n,)] = query(path, sql, *args)
    return n


def check_backup_file(path):
    """A backup: mode 0600, one whole file (rollback journal mode, nothing beside it), integrity_check ok."""
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, oct(os.stat(path).st_mode)
    for suffix in (".tmp", "-wal", "-shm", "-journal"):
        assert not os.path.exists(path + suffix), path + suffix
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA journal_mode").fetchall() == [("delete",)]
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        [(n,)] = db.execute("SELECT count(*) FROM messages").fetchall()
    finally:
        db.close()
    assert not os.path.exists(path + "-wal") and not os.path.exists(path + "-shm")
    return n


def agree(s):
    proc = run_ctl(s, "check")
    return proc.returncode == 0 and proc.stdout == "store and spool agree\n"


def test_backup_while_mlistd_takes_posts_then_restore():
    s = programme()
    d = s.start()
    n_posts = 30  # from two members, each within the hourly limit of a sender (limits.max_posts_per_hour)
    sent = []

    def sender():
        with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
            for i in range(n_posts):
                post(smtp, ("anna@example.org", "piet@example.org")[i % 2], f"p{i}@example.org", f"Bericht {i}")
                sent.append(i)
                time.sleep(0.03)

    thread = threading.Thread(target=sender)
    thread.start()
    d.wait_for("p0@example.org> sorted into pga-jeugd")
    backups = []
    while thread.is_alive() or not backups:
        path = s.path(f"during-{len(backups)}.db")
        out, _ = s.ctl("backup", path)
        assert out.startswith(f"backed up the store at {s.store} to {path} ("), out
        assert re.search(r"schema version \d+, 3 groups, 3 members, \d+ messages?\n$", out), out
        backups.append(path)
        time.sleep(0.1)
    thread.join()
    assert len(sent) == n_posts
    counts = [check_backup_file(path) for path in backups]
    assert counts == sorted(counts) and counts[-1] <= n_posts, counts

    # the queue drained, every spool file let go: a backup of that state
    for i in range(n_posts):
        d.wait_for(f"p{i}@example.org> sorted into pga-jeugd")
    wait_until(lambda: agree(s) and count(s.store, "SELECT count(*) FROM deliveries WHERE state = 'pending'") == 0
               and not os.listdir(s.path("spool/queue")), what="every post delivered and its file let go")
    final = s.path("final.db")
    out, _ = s.ctl("backup", final)
    assert f"3 groups, 3 members, {n_posts} messages\n" in out, out
    assert check_backup_file(final) == n_posts
    # never over an existing file, nor beside a leftover temporary one
    _, err = s.ctl("backup", final, expect=1)
    assert err == f"mlistctl: {final} exists: a backup is always written to a new file\n", err
    s.write("other.db.tmp", "half")
    _, err = s.ctl("backup", s.path("other.db"), expect=1)
    assert "other.db.tmp exists (from a backup that did not finish?): remove it first" in err, err
    assert not os.path.exists(s.path("other.db"))

    # no restore while mlistd runs; the store is left as it was
    _, err = s.ctl("restore", backups[0], expect=1)
    assert err.startswith("mlistctl: mlistd is running (its mlistd-sort holds "), err
    assert err.endswith("mlistd-sort.lock): stop mlistd first\n"), err
    assert count(s.store, "SELECT count(*) FROM messages") == n_posts

    # a fresh machine: the groups, members and posts come back, and the empty spool agrees with them
    fresh = Setup()
    out, _ = fresh.ctl("restore", final)
    assert out.startswith(f"restored the store at {fresh.store} from {final}: schema version "), out
    assert f"3 groups, 3 members, {n_posts} messages\nrun mlistctl check" in out, out
    assert stat.S_IMODE(os.stat(fresh.store).st_mode) == 0o600
    assert query(fresh.store, "PRAGMA journal_mode") == [("wal",)]
    assert sorted(g["name"] for g in fresh.ctl_json("group", "list")) == ["koersenkansen", "levensloop", "pga-jeugd"]
    assert [m["address"] for m in fresh.ctl_json("member", "list", "pga-jeugd")] == [
        "anna@example.org", "piet@example.org"]
    assert [m["address"] for m in fresh.ctl_json("moderator", "list", "pga-jeugd")] == ["mod@example.org"]
    assert sum(t["messages"] for t in fresh.ctl_json("thread", "list", "pga-jeugd")) == n_posts
    assert fresh.ctl_json("message", "show", "p7@example.org")["subject"] == "Bericht 7"
    out, _ = fresh.ctl("check")
    assert out == "store and spool agree\n", out

    # a backup taken mid-stream: whole, and check names exactly the posts whose files it cannot have
    mid = Setup()
    mid.ctl("restore", backups[0])
    proc = run_ctl(mid, "check")
    if proc.returncode == 0:
        assert proc.stdout == "store and spool agree\n", proc
    else:
        assert proc.returncode == 1 and proc.stdout, proc
        for line in proc.stdout.splitlines():
            assert re.fullmatch(r"post <p\d+@example\.org> \(.+\): its spool file queue/\S+ is missing", line), line

    # the documented way on the same machine: stop mlistd, restore, check, start
    assert d.stop() == 0
    s.ctl("member", "add", "pga-jeugd", "later@example.org")
    out, _ = s.ctl("restore", final)
    assert "3 members" in out, out
    assert "later@example.org" not in [m["address"] for m in s.ctl_json("member", "list", "pga-jeugd")]
    out, _ = s.ctl("check")
    assert out == "store and spool agree\n", out
    d = s.start()
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        post(smtp, "piet@example.org", "after@example.org", "Na het terugzetten")
    d.wait_for("after@example.org> sorted into pga-jeugd")
    wait_until(lambda: count(s.store, "SELECT count(*) FROM deliveries d JOIN messages m ON m.id = d.message_id"
                                      " WHERE m.message_id = 'after@example.org' AND d.state = 'sent'") == 2,
               what="the new post delivered")
    wait_until(lambda: agree(s), what="check passes")
    d.stop()


def test_restore_refusals():
    s = programme(listen=False)
    good = s.path("good.db")
    s.ctl("backup", good)
    groups_before = s.ctl_json("group", "list")

    _, err = s.ctl("restore", s.path("missing.db"), expect=1)
    assert err == f"mlistctl: {s.path('missing.db')}: No such file or directory\n", err
    _, err = s.ctl("restore", s.config, expect=1)
    assert err == f"mlistctl: {s.config} is not a store: file is not a database\n", err
    _, err = s.ctl("restore", s.store, expect=1)
    assert err == f"mlistctl: {s.store} is the store itself\n", err
    # a store of a newer mlist
    newer = s.path("newer.db")
    s.ctl("backup", newer)
    with sqlite3.connect(newer) as db:
        db.execute("UPDATE schema_version SET version = 999")
    db.close()
    _, err = s.ctl("restore", newer, expect=1)
    assert "is at schema version 999, newer than this mlist knows" in err, err
    # an sqlite file that is no store of mlist
    other = s.path("other.db")
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    db.close()
    _, err = s.ctl("restore", other, expect=1)
    assert "is not a store of mlist" in err, err

    # any process with the store open (here a reader) keeps it from being replaced
    s.ctl("group", "add", "nieuw", "--kind", "general")
    db = sqlite3.connect(s.store)
    assert db.execute("SELECT count(*) FROM groups").fetchall() == [(4,)]
    _, err = s.ctl("restore", good, expect=1)
    assert err == (f"mlistctl: the store at {s.store} is in use by another process (mlistd and its helpers, "
                   "or another mlistctl): stop mlistd first\n"), err
    db.close()
    assert len(s.ctl_json("group", "list")) == 4
    s.ctl("restore", good)
    assert s.ctl_json("group", "list") == groups_before

    # a stale -wal beside the store (a writer killed) is overwritten, never replayed over the restored store
    proc = subprocess.run(["python3", "-c", "import os, sqlite3, sys\n"
                           "db = sqlite3.connect(sys.argv[1])\n"
                           "db.execute(\"INSERT INTO groups (name, kind, created) VALUES ('stale', 'general', 1)\")\n"
                           "db.commit()\n"
                           "os._exit(0)\n", s.store], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert os.path.getsize(s.store + "-wal") > 0
    s.ctl("restore", good)
    assert s.ctl_json("group", "list") == groups_before
    assert os.path.getsize(s.store + "-wal") == 0

    # a missing store is made (mode 0600)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(s.store + suffix):
            os.unlink(s.store + suffix)
    s.ctl("restore", good)
    assert stat.S_IMODE(os.stat(s.store).st_mode) == 0o600
    assert s.ctl_json("group", "list") == groups_before
    s.ctl("check")

    # a backup that cannot be written leaves nothing behind
    _, err = s.ctl("backup", s.path("no-such-folder/b.db"), expect=1)
    assert err.startswith("mlistctl: backup failed: "), err
    assert not os.path.exists(s.path("no-such-folder"))


def held_setup():
    """mlistd took a post from a stranger, held for the moderator, and its notice is sent."""
    s = programme()
    d = s.start()
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        post(smtp, "vreemde@example.net", "held@example.org", "Vraag")
        post(smtp, "anna@example.org", "ok@example.org", "Gewoon")
    d.wait_for("held@example.org> held")
    d.wait_for("ok@example.org> sorted into pga-jeugd")
    wait_until(lambda: agree(s) and count(s.store, "SELECT count(*) FROM notices WHERE state = 'pending'") == 0
               and len(os.listdir(s.path("spool/queue"))) == 1, what="only the held post's file left")
    d.stop()
    [held_file] = os.listdir(s.path("spool/queue"))
    assert query(s.store, "SELECT spool_id FROM messages WHERE message_id = 'held@example.org'") == [(held_file,)]
    return s, held_file


def check_problems(s):
    proc = run_ctl(s, "check")
    assert proc.returncode == 1, proc
    lines = proc.stdout.splitlines()
    n = len(lines)
    assert proc.stderr == f"mlistctl: {n} problem{'' if n == 1 else 's'} found\n", proc.stderr
    return lines


def test_check_clean_setup_passes():
    s = Setup()
    proc = run_ctl(s, "check")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "store and spool agree\n", ""), proc
    s = programme(listen=False)
    out, _ = s.ctl("check")
    assert out == "store and spool agree\n", out


def test_check_finds_spool_files_missing_damaged_and_stray():
    s, held_file = held_setup()
    queue = s.path("spool/queue")

    # the held post's file gone
    with open(os.path.join(queue, held_file), "rb") as f:
        kept = f.read()
    os.unlink(os.path.join(queue, held_file))
    assert check_problems(s) == [f"post <held@example.org> (held): its spool file queue/{held_file} is missing"]

    # back, but cut short: a file that was never committed is not trusted
    with open(os.path.join(queue, held_file), "wb") as f:
        f.write(kept[:-5])
    [line] = check_problems(s)
    assert line.startswith(f"post <held@example.org> (held): its spool file {held_file} is damaged: length "), line
    with open(os.path.join(queue, held_file), "wb") as f:
        f.write(kept)
    assert agree(s)

    # files no record names: in queue/, in notices/ (once no transaction can still be recording it), in corrupt/
    stray = "1700000000.000001.4242.0"
    s.write(f"spool/queue/{stray}", kept.decode())
    s.write(f"spool/notices/{stray}", kept.decode())
    os.makedirs(s.path("spool/corrupt"), exist_ok=True)
    s.write(f"spool/corrupt/{stray}", "garbage")
    assert check_problems(s) == [
        f"queue/{stray}: no post in the store names this file",
        f"corrupt/{stray}: the sorter set this file aside as damaged; look at it, then remove it"]
    old = time.time() - 3600
    os.utime(s.path(f"spool/notices/{stray}"), (old, old))
    assert check_problems(s) == [
        f"queue/{stray}: no post in the store names this file",
        f"notices/{stray}: no notice or digest in the store names this file",
        f"corrupt/{stray}: the sorter set this file aside as damaged; look at it, then remove it"]
    for folder in ("queue", "notices", "corrupt"):
        os.unlink(s.path(f"spool/{folder}/{stray}"))
    assert agree(s)

    # a notice waiting to be sent whose file is gone
    with sqlite3.connect(s.store) as db:
        db.execute("INSERT INTO notices (spool_id, envelope_from, rcpt, next_attempt, created)"
                   " VALUES ('1700000000.000002.4242.0', '', 'mod@example.org', 0, 0)")
    db.close()
    assert check_problems(s) == [
        "notice to mod@example.org: its spool file notices/1700000000.000002.4242.0 is missing"]


def test_check_finds_broken_foreign_keys_and_integrity_faults():
    s = programme(listen=False)
    s.ctl("member", "add", "koersenkansen", "piet@example.org")
    db = sqlite3.connect(s.store, isolation_level=None)
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("INSERT INTO moderators (member_id, group_id, created) VALUES (999, 1, 0)")
    db.execute("INSERT INTO subscriptions (member_id, group_id, created) VALUES (1, 998, 0)")
    db.close()
    lines = check_problems(s)
    assert lines == ["store: foreign key: moderators row 2: member_id names no row of members",
                     "store: foreign key: subscriptions row 4: group_id names no row of groups"], lines

    # an index that does not match its table (its definition changed under it)
    db = sqlite3.connect(s.store, isolation_level=None)
    db.execute("DELETE FROM moderators WHERE member_id = 999")
    db.execute("DELETE FROM subscriptions WHERE group_id = 998")
    db.execute("PRAGMA writable_schema = ON")
    db.execute("UPDATE sqlite_master SET sql = 'CREATE INDEX subscriptions_group ON subscriptions(member_id)'"
               " WHERE name = 'subscriptions_group'")
    db.close()
    lines = check_problems(s)
    assert lines and all(line.startswith("store: integrity: ") for line in lines), lines
    assert any("subscriptions_group" in line for line in lines), lines


def folder_size(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            p = os.path.join(root, name)
            if not os.path.islink(p):
                total += os.path.getsize(p)
    return total


def test_stats_with_posts_through_mlistd():
    # a smarthost nobody answers at: copies and notices wait in the queue
    s = programme(f'delivery = {{ transport = "smtp"; smarthost = "smtp://127.0.0.1:{free_port()}"; }};\n')
    d = s.start()
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        post(smtp, "anna@example.org", "s1@example.org")
        post(smtp, "piet@example.org", "s2@example.org")
        post(smtp, "vreemde@example.net", "s3@example.org")
    d.wait_for("s1@example.org> sorted into pga-jeugd")
    d.wait_for("s2@example.org> sorted into pga-jeugd")
    d.wait_for("s3@example.org> held")
    wait_until(lambda: count(s.store, "SELECT count(*) FROM messages WHERE archived = 1") >= 2,
               what="the posts archived")
    assert d.stop() == 0

    now = int(time.time())
    today = now - now % DAY
    with sqlite3.connect(s.store) as db:
        ids = dict(db.execute("SELECT address, id FROM members").fetchall())
        db.execute("UPDATE members SET disabled = 1 WHERE address = 'piet@example.org'")
        for at, kind in ((now - 60, "permanent"), (now - 2 * DAY, "transient"), (today - 30 * DAY, "permanent")):
            db.execute("INSERT INTO bounces (member_id, at, kind) VALUES (?, ?, ?)",
                       (ids["anna@example.org"], at, kind))
        # a post of three days ago, one of long ago, and mail to a service address today (not a post)
        for n, (received, state) in enumerate(((today - 3 * DAY + 5, "queued"), (today - 20 * DAY, "queued"),
                                               (now, "service"))):
            db.execute("INSERT INTO messages (message_id, spool_id, state, received, archived)"
                       " VALUES (?, ?, ?, ?, 1)", (f"x{n}@example.org", f"1.{n}.1.0", state, received))
    db.close()

    st = s.ctl_json("stats")
    assert st["groups"] == {"total": 3, "change_line": 1, "project": 1, "general": 1}, st
    assert (st["members"], st["subscriptions"], st["disabled"], st["held"]) == (3, 2, 1, 1), st
    copies = count(s.store, "SELECT count(*) FROM deliveries WHERE state = 'pending'")
    notices = count(s.store, "SELECT count(*) FROM notices WHERE state = 'pending'")
    oldest = count(s.store, "SELECT min(t) FROM (SELECT min(created) AS t FROM deliveries WHERE state = 'pending'"
                            " UNION ALL SELECT min(created) FROM notices WHERE state = 'pending')")
    assert copies == 4 and notices >= 1, (copies, notices)  # two posts to two members; the moderator's notice
    assert st["queue"] == {"copies": copies, "posts": 2, "notices": notices,
                           "oldest": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(oldest))}, st
    first = today - 6 * DAY
    assert st["bounces"] == {"since": time.strftime("%Y-%m-%dT00:00:00Z", time.gmtime(first)), "total": 2,
                             "permanent": 1}, st
    assert st["posts_per_day"] == [
        {"date": time.strftime("%Y-%m-%d", time.gmtime(first + i * DAY)), "posts": {3: 1, 6: 3}.get(i, 0)}
        for i in range(7)], st["posts_per_day"]
    assert st["imap"] == []
    spool = sum(folder_size(s.path(f"spool/{f}")) for f in WORKING_FOLDERS)
    store = sum(os.path.getsize(s.store + x) for x in ("", "-wal") if os.path.exists(s.store + x))
    assert st["disk"] == {"spool": spool, "archive": folder_size(s.path("spool/archive")), "store": store}, st
    assert spool > 0 and st["disk"]["archive"] > 0 and store > 0, st

    out, _ = s.ctl("stats")
    lines = out.splitlines()
    assert lines[0] == f"{'groups':<22} {3:>10}  1 change line, 1 project, 1 general", lines
    assert lines[1] == f"{'members':<22} {3:>10}  2 subscriptions", lines
    assert f"{'disabled addresses':<22} {1:>10}  after bounces (mlistctl member enable)" in lines, lines
    assert f"{'held posts':<22} {1:>10}" in lines, lines
    assert f"{'queued copies':<22} {copies:>10}  of 2 posts and digests" in lines, lines
    assert f"{'queued notices':<22} {notices:>10}" in lines, lines
    assert f"{'oldest in the queue':<22} {'':>10}  " + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(oldest)) \
        in lines, lines
    assert f"{'bounces, last 7 days':<22} {2:>10}  1 permanent" in lines, lines
    days = lines[lines.index("posts per day (UTC)") + 1:][:7]
    labels = ["  " + time.strftime("%Y-%m-%d", time.gmtime(first + i * DAY)) for i in range(7)]
    assert days == [f"{labels[i]:<22} {({3: 1, 6: 3}.get(i, 0)):>10}" for i in range(7)], days
    disk = lines[lines.index("disk used") + 1:]
    assert [line.split()[0] for line in disk] == ["spool", "archive", "store"], disk
    for line in disk:
        assert re.fullmatch(r"  \S+ +\d+(\.\d)? (B|KiB|MiB)(  .*)?", line), line
    # every figure ends in the same column, 33
    for line in lines:
        if line in ("posts per day (UTC)", "disk used") or line.startswith("oldest in the queue"):
            continue
        assert len(line) >= 33 and line[32] != " " and (len(line) == 33 or line[33:35] == "  "), line


def test_stats_imap_mailboxes():
    s = Setup('imap = ( { url = "imaps://mail.example.org/INBOX"; user = "groep"; password_file = "imap.secret";'
              ' default_group = "koersenkansen"; } );\n')
    s.write("imap.secret", "geheim\n")
    os.chmod(s.path("imap.secret"), 0o600)
    st = s.ctl_json("stats")
    assert st["imap"] == [{"mailbox": "groep@mail.example.org/INBOX", "uidvalidity": 0, "last_uid": 0, "taken": 0,
                           "last_poll": None, "last_error": "", "last_error_at": None}], st["imap"]
    with sqlite3.connect(s.store) as db:
        db.execute("INSERT INTO imap_status (mailbox, uidvalidity, last_uid, last_poll, taken, last_error,"
                   " last_error_at) VALUES ('groep@mail.example.org/INBOX', 7, 42, 1795543648, 17,"
                   " 'connection refused', 1795543600)")
    db.close()
    [box] = s.ctl_json("stats")["imap"]
    assert box == {"mailbox": "groep@mail.example.org/INBOX", "uidvalidity": 7, "last_uid": 42, "taken": 17,
                   "last_poll": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1795543648)),
                   "last_error": "connection refused",
                   "last_error_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1795543600))}, box
    out, _ = s.ctl("stats")
    lines = out.splitlines()
    i = lines.index("imap mailboxes")
    poll = time.strftime("%Y-%m-%d %H:%M", time.gmtime(1795543648))
    assert lines[i + 1] == (f"  {'groep@mail.example.org/INBOX':<40} last poll {poll} UTC, last UID 42,"
                            " 17 taken, last error: connection refused"), lines[i + 1]


def test_usage():
    s = Setup()
    for args in (["backup"], ["backup", "a.db", "b.db"], ["restore"], ["check", "extra"], ["stats", "--all"],
                 ["backup", "a.db", "--force"]):
        proc = run_ctl(s, *args)
        assert proc.returncode == 2, (args, proc)
        assert proc.stderr.startswith("mlistctl: ") and "usage: mlistctl" in proc.stderr, proc.stderr
    proc = run_ctl(s, "--help")
    for usage in ("mlistctl stats [--json]\n", "mlistctl check\n", "mlistctl backup FILE\n", "mlistctl restore FILE\n"):
        assert usage in proc.stdout, proc.stdout
    # check, stats and backup only read: they refuse a missing store like the others, and make none
    bare = Setup(init=False)
    for args in (["check"], ["stats"], ["backup", bare.path("b.db")]):
        proc = run_ctl(bare, *args)
        assert (proc.returncode, proc.stderr) == (1, f"mlistctl: no store at {bare.store}\n"), proc
    assert not os.path.exists(bare.path("b.db"))
