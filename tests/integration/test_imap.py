"""IMAP polling against a real Dovecot started by the test: messages are
taken once, sorted by thread or into the mailbox's default group,
flagged or moved only after they are safe, IDLE, crashes between the
steps, a wrong password, a full mailbox, broken MIME."""
import base64
import os
import signal
import smtplib
import sqlite3
import subprocess
import time

from dovecot import PASSWORD, Dovecot
from harness import MLISTD, Setup, outbox, wait_until

DOMAIN = "lists.example.org"




def polled(extra_imap="", password=PASSWORD, tls=None, extra_config=""):
    """A Dovecot mailbox and an mlist setup that polls it for the general group.
    tls: None for plain text, "starttls" or "imaps"."""
    dovecot = Dovecot(tls=tls is not None)
    if tls is None:
        url, extra_imap = f"imap://127.0.0.1:{dovecot.port}/INBOX", "plaintext = true; " + extra_imap
    elif tls == "starttls":
        url = f"imap://127.0.0.1:{dovecot.port}/INBOX"
    else:
        url = f"imaps://127.0.0.1:{dovecot.imaps_port}/INBOX"
    s = Setup(f'imap = ( {{ url = "{url}"; user = "group";'
              f' password_file = "imap.secret"; default_group = "koersenkansen";'
              f' interval = 1; {extra_imap} }} );\n' + extra_config, listen=True)
    s.write("imap.secret", password + "\n")
    os.chmod(s.path("imap.secret"), 0o600)
    s.ctl("group", "add", "koersenkansen", "--kind", "general", "--policy", "open")
    s.ctl("group", "add", "ruwaard-oss", "--kind", "project", "--policy", "open")
    return dovecot, s


def mail(subject, message_id, extra=""):
    return (f"From: Jan <jan@example.org>\r\nTo: koersenkansen@example.nl\r\nSubject: {subject}\r\n"
            f"Message-ID: <{message_id}>\r\n{extra}\r\nTekst.\r\n")


def messages_in(s, group):
    return sum(t["messages"] for t in s.ctl_json("thread", "list", group))


def test_new_messages_posted_once_to_the_default_group():
    dovecot, s = polled()
    for i in range(3):
        dovecot.append(mail(f"Vraag {i}", f"q{i}@example.org"))
    d = s.start()
    wait_until(lambda: messages_in(s, "koersenkansen") == 3, what="3 posts")
    shown = s.ctl_json("message", "show", "q0@example.org")
    assert [(g["group"], g["sorted_by"]) for g in shown["groups"]] == [("koersenkansen", "default")]
    wait_until(lambda: all("\\Seen" in f for f in dovecot.flags().values()), what="all flagged \\Seen")
    d.stop()
    d = s.start()
    d.wait_for("logged in")
    time.sleep(1.5)
    d.stop()
    assert messages_in(s, "koersenkansen") == 3
    status = s.ctl_json("imap", "status")[0]
    assert status["mailbox"] == f"group@127.0.0.1:{dovecot.port}/INBOX", status
    assert status["taken"] == 3 and status["last_uid"] == 3 and status["last_poll"], status


def test_reply_to_a_project_thread_goes_to_the_project():
    dovecot, s = polled()
    d = s.start()
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail("jan@example.org", [f"ruwaard-oss@{DOMAIN}"],
                      "Subject: Plan\r\nMessage-ID: <plan@example.org>\r\n\r\nx\r\n")
    d.wait_for("plan@example.org> sorted into ruwaard-oss")
    dovecot.append(mail("Re: Plan", "re-plan@example.org", "In-Reply-To: <plan@example.org>\r\n"))
    d.wait_for("re-plan@example.org> sorted into ruwaard-oss (by thread)")
    assert messages_in(s, "ruwaard-oss") == 2 and messages_in(s, "koersenkansen") == 0


def test_idle_takes_a_new_message_within_seconds():
    dovecot, s = polled()
    s.write_config(open(s.config).read().replace("interval = 1;", "interval = 3600;"))
    d = s.start()
    d.wait_for("logged in")
    time.sleep(0.5)
    start = time.monotonic()
    dovecot.append(mail("Nu", "idle@example.org"))
    d.wait_for("idle@example.org> sorted into koersenkansen", timeout=20)
    # the poll interval is an hour: only IDLE can have brought it this soon (a loaded CI machine is slow)
    assert time.monotonic() - start < 15


def test_crash_between_spooling_and_recording_posts_once():
    dovecot, s = polled()
    dovecot.append(mail("Eenmaal", "once@example.org"))
    d = s.start()
    wait_until(lambda: messages_in(s, "koersenkansen") == 1, what="the post")
    wait_until(lambda: "\\Seen" in dovecot.flags()[1], what="the flag")
    d.stop()
    # as if mlistd-imap died after the spool file was committed, before the UID was recorded or flagged
    db = sqlite3.connect(s.store)
    db.execute("DELETE FROM imap_seen")
    db.execute("UPDATE imap_status SET last_uid = 0")
    db.commit()
    db.close()
    dovecot.unflag_seen(1)
    d = s.start()
    d.wait_for("set aside in spool/duplicate")
    wait_until(lambda: "\\Seen" in dovecot.flags()[1], what="flagged again")
    d.stop()
    assert messages_in(s, "koersenkansen") == 1


def test_crash_between_recording_and_flagging_posts_once():
    dovecot, s = polled()
    dovecot.append(mail("Eenmaal", "once2@example.org"))
    d = s.start()
    wait_until(lambda: messages_in(s, "koersenkansen") == 1, what="the post")
    d.stop()
    # recorded, but the \Seen never reached the server
    db = sqlite3.connect(s.store)
    db.execute("UPDATE imap_status SET last_uid = 0")
    db.commit()
    db.close()
    dovecot.unflag_seen(1)
    d = s.start()
    wait_until(lambda: "\\Seen" in dovecot.flags()[1], what="flagged")
    d.stop()
    assert messages_in(s, "koersenkansen") == 1
    assert not any("spool/duplicate" in line for line in d.log)  # recorded: not even fetched again


def test_kill_9_mid_way_then_restart_posts_everything_once():
    dovecot, s = polled(extra_config="limits = { max_posts_per_hour = 0; };\n")  # one sender, 100 posts
    for i in range(100):
        dovecot.append(mail(f"Bericht {i}", f"k{i}@example.org"))
    d = s.start()
    wait_until(lambda: messages_in(s, "koersenkansen") > 0, timeout=60, what="the first messages")
    subprocess.run(["pkill", "-9", "-f", f"mlistd-imap -c {s.config}"])
    d.proc.kill()
    d.wait()
    d = s.start()
    wait_until(lambda: messages_in(s, "koersenkansen") == 100, timeout=60, what="all 100")
    d.stop()
    assert len({t["root"] for t in s.ctl_json("thread", "list", "koersenkansen")}) == 100


def test_wrong_password_is_reported_and_retried():
    dovecot, s = polled(password="wrong")
    d = s.start()
    d.wait_for("login as group refused")
    d.wait_for("trying again in 2 s", timeout=15)
    status = s.ctl_json("imap", "status")[0]
    assert "login as group refused" in status["last_error"], status
    # the rest of mlistd goes on
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        assert smtp.noop()[0] == 250
    out, _ = s.ctl("imap", "status")
    assert "last error:" in out and "login as group refused" in out


def test_500_messages_are_drained():
    dovecot, s = polled(extra_config="limits = { max_posts_per_hour = 0; };\n")  # one sender, 500 posts
    c = dovecot.client()
    for i in range(500):
        c.append("INBOX", None, None, mail(f"Nr {i}", f"n{i}@example.org").encode())
    c.logout()
    d = s.start()
    wait_until(lambda: messages_in(s, "koersenkansen") == 500, timeout=120, what="500 posts")
    d.stop()
    assert dovecot.count() == 500 and all("\\Seen" in f for f in dovecot.flags().values())


def test_broken_mime_is_still_taken():
    dovecot, s = polled()
    dovecot.append(b"Content-Type: multipart/mixed; boundary=\r\nSubject: \xff\xfe kapot\r\n\r\n--\r\n--x")
    dovecot.append(b"geen kop, alleen tekst")
    d = s.start()
    wait_until(lambda: messages_in(s, "koersenkansen") == 2, what="both taken")
    d.stop()


def test_mbox_from_line_is_dropped():
    """A message appended from an mbox may keep its "From " line: it is no header field and is not kept."""
    dovecot, s = polled()
    dovecot.append("From jan@example.org Mon Nov 23 10:00:00 2026\r\n" + mail("Uit een mbox", "mbox@example.org"))
    d = s.start()
    archive = s.path("spool/archive/koersenkansen/new")
    wait_until(lambda: os.path.isdir(archive) and os.listdir(archive), what="the post archived")
    kept = open(os.path.join(archive, os.listdir(archive)[0]), "rb").read()
    assert kept.startswith(b"From: Jan <jan@example.org>\r\n"), kept[:80]
    assert s.ctl_json("message", "show", "mbox@example.org")["subject"] == "Uit een mbox"
    d.stop()


def test_done_folder_gets_the_taken_messages():
    dovecot, s = polled('done_folder = "Verwerkt";')
    dovecot.create("Verwerkt")
    dovecot.append(mail("Verplaats", "move@example.org"))
    d = s.start()
    wait_until(lambda: dovecot.count("Verwerkt") == 1 and dovecot.count() == 0, what="moved")
    d.stop()
    assert messages_in(s, "koersenkansen") == 1


def test_password_file_readable_by_others_is_refused():
    dovecot, s = polled()
    os.chmod(s.path("imap.secret"), 0o644)
    proc = subprocess.run([MLISTD, "-c", s.config, "--foreground"], capture_output=True, text=True, timeout=20)
    assert proc.returncode == 1
    assert f"{s.path('imap.secret')}: the IMAP password file is readable by others" in proc.stderr, proc.stderr


def test_starttls_with_the_servers_authority():
    dovecot, s = polled(tls="starttls")
    s.write_config(open(s.config).read().replace("interval = 1;", f'interval = 1; ca_file = "{dovecot.cert}";'))
    dovecot.append(mail("Versleuteld", "tls1@example.org"))
    d = s.start()
    d.wait_for("tls1@example.org> sorted into koersenkansen")
    d.stop()


def test_imaps_with_the_servers_authority():
    dovecot, s = polled(tls="imaps")
    s.write_config(open(s.config).read().replace("interval = 1;", f'interval = 1; ca_file = "{dovecot.cert}";'))
    dovecot.append(mail("Versleuteld", "tls2@example.org"))
    d = s.start()
    d.wait_for("tls2@example.org> sorted into koersenkansen")
    d.stop()


def test_untrusted_certificate_is_refused_without_falling_back():
    dovecot, s = polled(tls="starttls")
    dovecot.append(mail("Geheim", "secret@example.org"))
    d = s.start()
    line = d.wait_for("is not trusted")
    assert "127.0.0.1" in line
    d.wait_for("trying again in 2 s", timeout=15)
    d.stop()
    assert messages_in(s, "koersenkansen") == 0
    assert "\\Seen" not in dovecot.flags()[1]


def test_plaintext_only_for_this_machine():
    s = Setup('imap = ( { url = "imap://mail.example.org/INBOX"; user = "u"; password_file = "p";'
              ' default_group = "g"; plaintext = true; } );\n', init=False)
    proc = subprocess.run([MLISTD, "-n", "-c", s.config], capture_output=True, text=True, timeout=20)
    assert proc.returncode == 1 and "'plaintext' is for a server on this machine" in proc.stderr, proc.stderr


def test_uidvalidity_change_does_not_repost():
    dovecot, s = polled()
    for i in range(2):
        dovecot.append(mail(f"Oud {i}", f"old{i}@example.org"))
    d = s.start()
    wait_until(lambda: messages_in(s, "koersenkansen") == 2, what="2 posts")
    d.stop()
    # as if the server renumbered the mailbox: what we took was under another UIDVALIDITY
    db = sqlite3.connect(s.store)
    db.execute("UPDATE imap_status SET uidvalidity = 1")
    db.execute("UPDATE imap_seen SET uidvalidity = 1")
    db.execute("UPDATE messages SET imap_key = 'renumbered/' || imap_key")
    db.commit()
    db.close()
    d = s.start()
    d.wait_for("UIDVALIDITY changed")
    d.wait_for("repeats Message-ID <old0@example.org>")
    d.wait_for("repeats Message-ID <old1@example.org>")
    d.stop()
    assert messages_in(s, "koersenkansen") == 2


def test_unsorted_post_is_assigned_and_delivered():
    dovecot, s = polled()
    s.write_config(open(s.config).read().replace('default_group = "koersenkansen"', 'default_group = "nergens"'))
    s.ctl("moderator", "add", "koersenkansen", "mod@example.org")
    s.ctl("member", "add", "ruwaard-oss", "lezer@example.org")
    s.ctl("group", "add", "besloten", "--kind", "project", "--policy", "moderated")
    dovecot.append(mail("Waar hoort dit", "where@example.org"))
    dovecot.append(mail("En dit", "where2@example.org"))
    d = s.start()
    d.wait_for("where2@example.org> fits no group")
    held = s.ctl_json("held", "list", "koersenkansen")
    assert [h["groups"] for h in held] == ["", ""], held
    out, _ = s.ctl("held", "assign", str(held[0]["id"]), "ruwaard-oss")
    assert "sorted into ruwaard-oss and sent: 1 copy queued" in out, out
    wait_until(lambda: os.path.isdir(s.path("spool/outbox/lezer@example.org/new")) and
               os.listdir(s.path("spool/outbox/lezer@example.org/new")), what="the copy")
    out, _ = s.ctl("held", "assign", str(held[1]["id"]), "besloten")
    assert "stays held there (every post to this group is moderated)" in out, out
    assert [h["groups"] for h in s.ctl_json("held", "list")] == ["besloten"]


def with_pdf(subject, message_id, secret):
    """A post with a PDF attachment whose bytes are secret."""
    data = base64.b64encode(b"%PDF-1.4\n" + secret.encode() * 100).decode()
    return (f"From: Jan <jan@example.org>\r\nTo: koersenkansen@example.nl\r\nSubject: {subject}\r\n"
            f"Message-ID: <{message_id}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
            "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nZie de bijlage.\r\n"
            "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=dossier.pdf\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n{data}\r\n--b--\r\n")


def test_an_assigned_post_meets_the_groups_content_policy():
    """Held unsorted, a post met no group's content policy yet: assigned to a group that strips
    attachments it goes out (and stays in the spool) without them; to one that holds them it waits."""
    dovecot, s = polled()
    s.write_config(open(s.config).read().replace('default_group = "koersenkansen"', 'default_group = "nergens"'))
    s.ctl("member", "add", "ruwaard-oss", "lezer@example.org")
    s.ctl("group", "set", "ruwaard-oss", "--attachments", "strip")
    s.ctl("group", "add", "bijlagen", "--kind", "project", "--policy", "open")
    s.ctl("group", "set", "bijlagen", "--attachments", "hold")
    dovecot.append(with_pdf("Dossier", "strip@example.org", "GEHEIM"))
    dovecot.append(with_pdf("Ander dossier", "hold@example.org", "BEWAARD"))
    d = s.start()
    d.wait_for("hold@example.org> fits no group")
    held = s.ctl_json("held", "list", "koersenkansen")
    out, _ = s.ctl("held", "assign", str(held[0]["id"]), "ruwaard-oss")
    assert "sorted into ruwaard-oss and sent: 1 copy queued" in out, out
    wait_until(lambda: outbox(s, "lezer@example.org"), what="the copy")
    [copy] = outbox(s, "lezer@example.org")
    assert [p.get_filename() for p in copy.walk() if p.get_filename()] == [], copy
    assert "Bijlage verwijderd" in copy.as_string() or "Attachment removed" in copy.as_string(), copy.as_string()
    secret = base64.b64encode(b"%PDF-1.4\nGEHEIMGEHEIM")[:16]
    assert subprocess.run(["grep", "-rqF", secret, s.path("spool")]).returncode == 1, "the stripped file is kept"
    out, _ = s.ctl("held", "assign", str(held[1]["id"]), "bijlagen")
    assert "stays held there" in out and "attachment" in out, out
    d.stop()


def test_reordered_mailboxes_keep_their_own_passwords_after_sighup():
    dovecot = Dovecot(users={"tweede": "geheim"})
    entries = [f'{{ url = "imap://127.0.0.1:{dovecot.port}/INBOX"; user = "{user}"; password_file = "{user}.secret";'
               f' default_group = "{group}"; interval = 1; plaintext = true; }}'
               for user, group in (("group", "koersenkansen"), ("tweede", "ruwaard-oss"))]
    s = Setup(f"imap = ( {', '.join(entries)} );\n", listen=True)
    for user, password in (("group", PASSWORD), ("tweede", "geheim")):
        s.write(f"{user}.secret", password + "\n")
        os.chmod(s.path(f"{user}.secret"), 0o600)
    s.ctl("group", "add", "koersenkansen", "--kind", "general", "--policy", "open")
    s.ctl("group", "add", "ruwaard-oss", "--kind", "project", "--policy", "open")
    d = s.start()
    dovecot.append(mail("Eerste", "one@example.org"))
    dovecot.append(mail("Tweede", "two@example.org"), user="tweede")
    d.wait_for("one@example.org> sorted into koersenkansen")
    d.wait_for("two@example.org> sorted into ruwaard-oss")
    # the entries change places; each poller starts again and must find its own mailbox by name
    config = open(s.config).read()
    s.write_config(config.replace(f"{entries[0]}, {entries[1]}", f"{entries[1]}, {entries[0]}"))
    d.signal(signal.SIGHUP)
    wait_until(lambda: sum("SIGHUP: stopping" in line for line in d.log) == 2, what="both pollers restarting")
    wait_until(lambda: sum("logged in" in line for line in d.log) >= 4, what="both pollers logged in again")
    dovecot.append(mail("Derde", "three@example.org"))
    dovecot.append(mail("Vierde", "four@example.org"), user="tweede")
    d.wait_for("three@example.org> sorted into koersenkansen")
    d.wait_for("four@example.org> sorted into ruwaard-oss")
    assert not any("refused" in line for line in d.log), "\n".join(d.log)
    d.stop()
