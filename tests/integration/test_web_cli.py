"""mlistctl for the web archive: web sessions and web revoke (sessions put
into the store as mlistd-web would), group set --web-history, and member
forget emptying the web search index."""
import hashlib
import os
import smtplib
import sqlite3
import subprocess
import time

from harness import Setup

DOMAIN = "lists.example.org"
NOW = int(time.time())
DAY = 86400


def seeded():
    """A project with two members and a moderator."""
    s = Setup()
    s.ctl("group", "add", "pga-jeugd", "--kind", "project")
    s.ctl("member", "add", "pga-jeugd", "anna@example.org", "--name", "Anna Jansen")
    s.ctl("member", "add", "pga-jeugd", "piet@example.org")
    s.ctl("moderator", "add", "pga-jeugd", "mod@example.org")
    return s


def store_db(s):
    return sqlite3.connect(s.store)


def session_hash(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def add_session(s, address, secret, created, last_seen, expires):
    """A session of address as mlistd-web stores it (only the SHA-256 of its secret)."""
    with store_db(s) as db:
        [(mid,)] = db.execute("SELECT id FROM members WHERE address = ?", (address,)).fetchall()
        db.execute("INSERT INTO web_sessions (id_hash, member_id, csrf, created, last_seen, expires)"
                   " VALUES (?, ?, ?, ?, ?, ?)", (session_hash(secret), mid, "csrf-" + secret, created, last_seen,
                                                  expires))
    db.close()


def add_login(s, address, token):
    with store_db(s) as db:
        [(mid,)] = db.execute("SELECT id FROM members WHERE address = ?", (address,)).fetchall()
        db.execute("INSERT INTO web_logins (token_hash, member_id, created, expires) VALUES (?, ?, ?, ?)",
                   (session_hash(token), mid, NOW, NOW + 3600))
    db.close()


def count(s, sql, *args):
    db = store_db(s)
    [(n,)] = db.execute(sql, args).fetchall()
    db.close()
    return n


def utc(t):
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(t))


def utc_json(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def with_sessions():
    s = seeded()
    add_session(s, "anna@example.org", "anna-laptop", NOW - 3 * DAY, NOW - DAY, NOW + 27 * DAY)
    add_session(s, "anna@example.org", "anna-phone", NOW - 2 * DAY, NOW - 60, NOW + 28 * DAY)
    add_session(s, "piet@example.org", "piet-desk", NOW - DAY, NOW - 3600, NOW + 29 * DAY)
    add_session(s, "piet@example.org", "piet-old", NOW - 40 * DAY, NOW - 35 * DAY, NOW - 5 * DAY)  # expired
    add_login(s, "anna@example.org", "anna-link")
    add_login(s, "piet@example.org", "piet-link")
    return s


def test_web_sessions_lists_live_sessions_newest_first():
    s = with_sessions()
    out, _ = s.ctl("web", "sessions")
    lines = out.splitlines()
    assert lines[0].split() == ["ADDRESS", "SESSION", "CREATED", "LAST", "SEEN", "EXPIRES"], lines[0]
    rows = [line.split() for line in lines[1:]]
    # the expired session is not shown; newest first
    assert [(r[0], r[1]) for r in rows] == [
        ("piet@example.org", session_hash("piet-desk")[:8]),
        ("anna@example.org", session_hash("anna-phone")[:8]),
        ("anna@example.org", session_hash("anna-laptop")[:8])], rows
    phone = lines[2]
    assert f"{utc(NOW - 2 * DAY)}  {utc(NOW - 60)}  {utc(NOW + 28 * DAY)}" in phone, phone
    # only a short prefix of the hash, never more of it
    for secret in ("anna-laptop", "anna-phone", "piet-desk"):
        assert session_hash(secret)[:9] not in out, out
        assert "csrf-" + secret not in out, out
    sessions = s.ctl_json("web", "sessions")
    assert [(x["address"], x["session"]) for x in sessions] == [(r[0], r[1]) for r in rows], sessions
    assert sessions[1] == {"address": "anna@example.org", "session": session_hash("anna-phone")[:8],
                           "created": utc_json(NOW - 2 * DAY), "last_seen": utc_json(NOW - 60),
                           "expires": utc_json(NOW + 28 * DAY)}, sessions[1]


def test_web_sessions_of_one_address():
    s = with_sessions()
    out, _ = s.ctl("web", "sessions", "ANNA@example.org")
    rows = [line.split()[:2] for line in out.splitlines()[1:]]
    assert rows == [["anna@example.org", session_hash("anna-phone")[:8]],
                    ["anna@example.org", session_hash("anna-laptop")[:8]]], out
    assert [x["session"] for x in s.ctl_json("web", "sessions", "piet@example.org")] == [
        session_hash("piet-desk")[:8]]
    # a member without sessions: an empty list, not an error
    assert s.ctl_json("web", "sessions", "mod@example.org") == []
    out, _ = s.ctl("web", "sessions", "mod@example.org")
    assert len(out.splitlines()) == 1, out


def test_web_sessions_none_at_all():
    s = seeded()
    assert s.ctl_json("web", "sessions") == []
    out, _ = s.ctl("web", "sessions")
    assert out.split() == ["ADDRESS", "SESSION", "CREATED", "LAST", "SEEN", "EXPIRES"], out


def test_web_revoke_ends_one_persons_sessions_and_links():
    s = with_sessions()
    out, _ = s.ctl("web", "revoke", "Anna@Example.org")
    assert out == "ended 2 web session(s) of Anna@Example.org; their unused login links no longer work\n", out
    anna = "(SELECT id FROM members WHERE address = 'anna@example.org')"
    piet = "(SELECT id FROM members WHERE address = 'piet@example.org')"
    assert count(s, f"SELECT count(*) FROM web_sessions WHERE member_id = {anna}") == 0
    assert count(s, f"SELECT count(*) FROM web_logins WHERE member_id = {anna}") == 0
    # the other person's stay, the expired one too (it is theirs to expire)
    assert count(s, f"SELECT count(*) FROM web_sessions WHERE member_id = {piet}") == 2
    assert count(s, f"SELECT count(*) FROM web_logins WHERE member_id = {piet}") == 1
    assert [x["address"] for x in s.ctl_json("web", "sessions")] == ["piet@example.org"]
    assert s.ctl_json("web", "sessions", "anna@example.org") == []
    # still a member: only the web sessions ended
    assert "anna@example.org" in [m["address"] for m in s.ctl_json("member", "list", "pga-jeugd")]
    # again: nothing left to end
    out, _ = s.ctl("web", "revoke", "anna@example.org")
    assert out.startswith("ended 0 web session(s) of anna@example.org"), out


def test_web_unknown_or_bad_address_is_refused():
    s = with_sessions()
    for verb in ("sessions", "revoke"):
        out, err = s.ctl("web", verb, "nobody@example.org", expect=1)
        assert err == "mlistctl: no member with address 'nobody@example.org'\n", err
        assert out == "", out
        out, err = s.ctl("web", verb, "not an address", expect=1)
        assert err.startswith("mlistctl: 'not an address' is not a valid address: "), err
        assert out == "", out
    assert count(s, "SELECT count(*) FROM web_sessions") == 4


def test_web_usage_errors():
    s = seeded()
    for args in (["web"], ["web", "list"], ["web", "revoke"], ["web", "revoke", "a@example.org", "b@example.org"],
                 ["web", "sessions", "a@example.org", "b@example.org"], ["web", "sessions", "--all"],
                 ["web", "revoke", "anna@example.org", "--force"]):
        _, err = s.ctl(*args, expect=2)
        assert err.startswith("mlistctl: ") and "usage: mlistctl" in err, (args, err)
        assert "mlistctl web sessions [ADDR] [--json]" in err and "mlistctl web revoke ADDR" in err, err
    out, _ = s.ctl("--help")
    assert "mlistctl web sessions [ADDR] [--json]" in out and "mlistctl web revoke ADDR" in out, out
    assert "[--web-history on|off]" in out, out


def test_group_set_web_history():
    s = seeded()
    # on by default (schema 20)
    assert s.ctl_json("group", "show", "pga-jeugd")["web_history"] is True
    out, _ = s.ctl("group", "show", "pga-jeugd")
    assert "web history: on\n" in out, out
    s.ctl("group", "set", "pga-jeugd", "--web-history", "off")
    assert s.ctl_json("group", "show", "pga-jeugd")["web_history"] is False
    out, _ = s.ctl("group", "show", "pga-jeugd")
    assert "web history: off: members see only what was posted after they joined\n" in out, out
    assert [g["web_history"] for g in s.ctl_json("group", "list")] == [False]
    assert count(s, "SELECT web_history FROM groups WHERE name = 'pga-jeugd'") == 0
    # another setting leaves it as it is
    s.ctl("group", "set", "pga-jeugd", "--self-copy", "off")
    assert s.ctl_json("group", "show", "pga-jeugd")["web_history"] is False
    s.ctl("group", "set", "pga-jeugd", "--web-history=on")
    assert s.ctl_json("group", "show", "pga-jeugd")["web_history"] is True
    _, err = s.ctl("group", "set", "pga-jeugd", "--web-history", "yes", expect=1)
    assert err == "mlistctl: --web-history is on or off, not 'yes'\n", err
    assert s.ctl_json("group", "show", "pga-jeugd")["web_history"] is True
    _, err = s.ctl("group", "set", "pga-jeugd", "--web-history", expect=2)
    assert "--web-history needs a value" in err, err


def store_files_naming(s, needle):
    """grep -c of needle (any case) over the store and its -wal: how many lines name it, per file."""
    hits = {}
    for path in (s.store, s.store + "-wal"):
        assert os.path.exists(path), path
        proc = subprocess.run(["grep", "-a", "-c", "-i", "-F", needle, path], capture_output=True, text=True)
        assert proc.returncode in (0, 1), proc.stderr
        if int(proc.stdout) > 0:
            hits[os.path.basename(path)] = int(proc.stdout)
    return hits


def test_forget_empties_the_web_search_index_and_ends_web_sessions():
    s = Setup(listen=True)
    s.ctl("group", "add", "pga-jeugd", "--kind", "project")
    s.ctl("member", "add", "pga-jeugd", "wis@example.org", "--name", "Willemijn Wissink")
    s.ctl("member", "add", "pga-jeugd", "lid@example.org")
    d = s.start()
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        for sender, mid, body in (("Willemijn Wissink <wis@example.org>", "w1@example.org", "groet, Willemijn"),
                                  ("lid@example.org", "l1@example.org", "Gezien")):
            smtp.sendmail(sender.split("<")[-1].rstrip(">"), [f"pga-jeugd@{DOMAIN}"],
                          f"From: {sender}\r\nTo: pga-jeugd@{DOMAIN}\r\nSubject: Bijeenkomst\r\n"
                          f"Message-ID: <{mid}>\r\n\r\n{body}\r\n")
    d.wait_for("w1@example.org> sorted into pga-jeugd")
    d.wait_for("l1@example.org> sorted into pga-jeugd")
    d.stop()
    # the search index as mlistd-web fills it: their post, and another member's quoting them
    with store_db(s) as db:
        ids = dict(db.execute("SELECT message_id, id FROM messages").fetchall())
        db.execute("INSERT INTO web_search (rowid, subject, author, body) VALUES (?, ?, ?, ?)",
                   (ids["w1@example.org"], "Bijeenkomst", "Willemijn Wissink <wis@example.org>",
                    "groet, Willemijn (wis@example.org)"))
        db.execute("INSERT INTO web_search (rowid, subject, author, body) VALUES (?, ?, ?, ?)",
                   (ids["l1@example.org"], "Re: Bijeenkomst", "lid@example.org",
                    "Willemijn Wissink <wis@example.org> schreef: groet"))
    db.close()
    add_session(s, "wis@example.org", "wis-laptop", NOW - DAY, NOW - 60, NOW + 29 * DAY)
    add_session(s, "lid@example.org", "lid-desk", NOW - DAY, NOW - 60, NOW + 29 * DAY)
    add_login(s, "wis@example.org", "wis-link")
    assert count(s, "SELECT count(*) FROM web_search WHERE web_search MATCH 'wissink'") == 2
    s.ctl("group", "list")  # a store that mlistctl opened again: its -wal back in place
    assert store_files_naming(s, "wis@example.org"), "the index names them before forget"

    out, _ = s.ctl("member", "forget", "wis@example.org")
    assert "forgot wis@example.org" in out and "-wal may still" not in out, out
    assert count(s, "SELECT count(*) FROM web_search") == 0
    assert count(s, "SELECT count(*) FROM web_sessions") == 1  # lid's
    assert count(s, "SELECT count(*) FROM web_logins") == 0
    assert [x["address"] for x in s.ctl_json("web", "sessions")] == ["lid@example.org"]
    s.ctl("group", "list")
    for needle in ("wis@example.org", "Wissink", "Willemijn", session_hash("wis-laptop"), session_hash("wis-link")):
        assert store_files_naming(s, needle) == {}, (needle, store_files_naming(s, needle))
