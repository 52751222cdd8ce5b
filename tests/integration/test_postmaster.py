"""postmaster@ and abuse@ of the list domain (RFC 5321 4.5.1, RFC 2142):
taken at RCPT, bare <Postmaster> too, and forwarded to the admins the
config names; held for a moderator when there are none; never forwarded
when the mail is mlist's own, so a loop cannot start.  Forwards go to a
real SMTP server (sink.py)."""
import os
import smtplib
import subprocess

from harness import Setup, free_port, wait_until
from sink import Sink

DOMAIN = "lists.example.org"


def server(admins='admins = [ "root@example.net", "ops@example.net" ];\n'):
    port = free_port()
    sink = Sink(port)
    s = Setup(f'delivery = {{ transport = "smtp"; smarthost = "smtp://127.0.0.1:{port}"; }};\n' + admins,
              listen=True)
    return s, sink


def complaint(to, mid):
    return (f"From: Piet <piet@example.com>\r\nTo: {to}\r\nSubject: Spam from your list\r\n"
            f"Message-ID: <{mid}@example.com>\r\n\r\nPlease look into this.\r\n").encode()


def test_postmaster_and_abuse_reach_every_admin():
    s, sink = server()
    try:
        d = s.start()
        with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
            smtp.sendmail("piet@example.com", [f"postmaster@{DOMAIN}"], complaint(f"postmaster@{DOMAIN}", "c1"))
            smtp.sendmail("piet@example.com", [f"Abuse@{DOMAIN.upper()}"], complaint(f"abuse@{DOMAIN}", "c2"))
            # RFC 5321: bare "Postmaster" without a domain must be taken
            smtp.ehlo()
            smtp.mail("piet@example.com")
            code, _ = smtp.rcpt("<Postmaster>")
            assert code == 250, code
            code, _ = smtp.data(complaint("postmaster", "c3"))
            assert code == 250, code
        d.wait_for("admin: mail to abuse@ from piet@example.com forwarded to 2 admin(s)")
        wait_until(lambda: len(sink.copies_for("root@example.net")) == 3
                   and len(sink.copies_for("ops@example.net")) == 3, what="three forwards to each admin")
        texts = [c.decode() for c in sink.copies_for("ops@example.net")]
        assert all("Please look into this." in t and "X-Loop: " in t for t in texts), texts
        assert any("<c3@example.com>" in t for t in texts), texts
        # forwards go out with the null sender: a failing admin address bounces to nobody
        assert all(env_from == "" for env_from, rcpts, _ in sink.received if "root@example.net" in rcpts), \
            sink.received
        assert s.ctl_json("held", "list") == []
        d.stop()
    finally:
        sink.stop()


def test_no_admins_configured_holds_it_for_a_moderator():
    s, sink = server(admins="")
    try:
        d = s.start()
        with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
            smtp.sendmail("piet@example.com", [f"postmaster@{DOMAIN}"], complaint(f"postmaster@{DOMAIN}", "c1"))
        d.wait_for("no admins configured")
        [held] = s.ctl_json("held", "list")
        assert held["groups"] == "" and "postmaster" in held["reason"], held
        d.stop()
    finally:
        sink.stop()


def test_mlists_own_mail_to_postmaster_is_not_forwarded():
    s, sink = server()
    try:
        d = s.start()
        with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
            smtp.sendmail("", [f"postmaster@{DOMAIN}"],
                          f"From: pga-owner@{DOMAIN}\r\nX-Loop: {DOMAIN}\r\nSubject: returned\r\n"
                          "Message-ID: <loop@example.com>\r\n\r\nx\r\n".encode())
        d.wait_for("not forwarded: it is mlist's own")
        assert sink.recipients() == []
        d.stop()
    finally:
        sink.stop()


def test_the_domains_own_mailboxes_are_no_group_names():
    s = Setup()
    for name in ("postmaster", "abuse"):
        _, err = s.ctl("group", "add", name, "--kind", "project", expect=1)
        assert name in err, err


def test_an_admin_at_the_list_domain_is_a_config_error():
    s = Setup(f'admins = [ "root@example.net",\n   "pga@{DOMAIN}" ];\n', listen=True, init=False)
    proc = subprocess.run([os.environ["MLISTD"], "-n", "-c", s.config], capture_output=True, text=True)
    assert proc.returncode == 1
    assert f"{s.config}:" in proc.stderr and "would loop" in proc.stderr, proc.stderr
    s.write_config(f'domain = "{DOMAIN}";\nspool = "spool";\nstore = "spool/db";\nadmins = [ "nobody" ];\n')
    proc = subprocess.run([os.environ["MLISTD"], "-n", "-c", s.config], capture_output=True, text=True)
    assert proc.returncode == 1
    assert f"{s.config}:4:" in proc.stderr and "no '@'" in proc.stderr, proc.stderr
