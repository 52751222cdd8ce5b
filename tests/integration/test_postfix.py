"""mlist behind a real Postfix, in front and behind, with the lines of
README's "Running behind Postfix" as they are (only the ports are the
test's own): the internet sends to Postfix, Postfix hands list mail to
mlistd over LMTP, mlistd sends its copies through Postfix, and Postfix
delivers them to the test's SMTP server (sink.py), which plays the
members' mail servers.  The internet client connects from 127.0.0.2;
mlistd, in Postfix's mynetworks, from 127.0.0.1."""
import os
import re
import smtplib

from harness import Setup, free_port, wait_until
from postfix import Postfix
from sink import Sink

DOMAIN = "lists.example.org"
README = os.path.join(os.environ["MLIST_SOURCE_ROOT"], "README.md")


def readme_lines(marker):
    """The indented block under the README comment that starts with marker."""
    with open(README) as f:
        text = f.read()
    start = text.index(f"<!-- {marker}")
    block = re.search(r"-->\n\n((?:    .*\n|\n)+?)\n(?! )", text[start:]).group(1)
    return "".join(line[4:] + "\n" for line in block.splitlines() if line.strip())


class Chain:
    """The internet → Postfix → mlistd → Postfix → members' servers (the sink)."""

    def __init__(self, refuse=()):
        self.sink = Sink(free_port(), script={a: [550] * 10 for a in refuse})
        lmtp_port = free_port()
        main_cf = readme_lines("main.cf lines").replace("127.0.0.1:2424", f"127.0.0.1:{lmtp_port}")
        assert f"127.0.0.1:{lmtp_port}" in main_cf, main_cf
        # test-only: mlistd alone is in mynetworks, and the members' domains are the sink's
        self.postfix = Postfix("mynetworks = 127.0.0.1/32\n"
                               f"relayhost = [127.0.0.1]:{self.sink.port}\n" + main_cf)
        conf = (readme_lines("mlistd.conf lines").replace("port = 2424", f"port = {lmtp_port}")
                .replace("smtp://127.0.0.1:25\"", f"smtp://127.0.0.1:{self.postfix.port}\""))
        assert str(lmtp_port) in conf and str(self.postfix.port) in conf, conf
        self.s = Setup(conf)
        self.s.ctl("group", "add", "pga", "--kind", "project", "--policy", "open")
        for a in ("anna@example.org", "bart@example.org", "carla@example.org"):
            self.s.ctl("member", "add", "pga", a)
        self.s.ctl("moderator", "add", "pga", "mod@example.org")
        self.d = self.s.start()

    def internet(self):
        return smtplib.SMTP("127.0.0.1", self.postfix.port, source_address=("127.0.0.2", 0), timeout=30)

    def stop(self):
        self.d.stop()
        self.postfix.stop()
        self.sink.stop()


def post(sender, mid, subject="Planning", extra="", body="Hoe ver zijn jullie?\r\n"):
    return (f"From: {sender}\r\nTo: pga@{DOMAIN}\r\nSubject: {subject}\r\nMessage-ID: <{mid}>\r\n{extra}"
            f"\r\n{body}").encode()


def test_unknown_list_addresses_are_refused_at_rcpt_and_nothing_bounces():
    c = Chain()
    try:
        with c.internet() as smtp:
            smtp.ehlo("client.example.com")
            smtp.mail("piet@example.com")
            code, text = smtp.rcpt(f"nogroup@{DOMAIN}")
            assert code == 550 and b"5.1.1" in text, (code, text)
            code, text = smtp.rcpt("someone@example.net")  # never a relay for the internet
            assert code in (454, 554) and b"Relay access denied" in text, (code, text)
            assert smtp.rcpt(f"pga@{DOMAIN}")[0] == 250
            assert smtp.rcpt(f"pga-request@{DOMAIN}")[0] == 250
            smtp.rset()
            smtp.mail("piet@example.com")
            assert smtp.rcpt(f"nogroup@{DOMAIN}")[0] == 550
            code, _ = smtp.docmd("DATA")
            assert code == 554, code
        # Postfix accepted nothing it could have to bounce later
        assert c.postfix.queue() == [] and c.sink.received == []
        assert "status=bounced" not in c.postfix.log()
    finally:
        c.stop()


def test_a_post_and_a_reply_reach_the_members_through_postfix():
    c = Chain()
    try:
        with c.internet() as smtp:
            smtp.sendmail("anna@example.org", [f"pga@{DOMAIN}"], post("Anna <anna@example.org>", "p1@example.org"))
        wait_until(lambda: c.sink.copies_for("bart@example.org") and c.sink.copies_for("carla@example.org"),
                   what="the post's copies")
        copy = c.sink.copies_for("bart@example.org")[0].decode()
        assert "List-Id:" in copy and "Message-ID: <p1@example.org>" in copy and "Hoe ver zijn jullie?" in copy, copy
        # through Postfix both ways: its Received lines, the outer one for the copy mlistd handed it
        assert copy.count("by mx.lists.test (Postfix)") == 2, copy
        with c.internet() as smtp:
            smtp.sendmail("bart@example.org", [f"pga@{DOMAIN}"],
                          post("Bart <bart@example.org>", "r1@example.org", "Re: Planning",
                               "In-Reply-To: <p1@example.org>\r\nReferences: <p1@example.org>\r\n", "Bijna klaar.\r\n"))
        wait_until(lambda: len(c.sink.copies_for("anna@example.org")) >= 1 and
                   any(b"Bijna klaar." in m for m in c.sink.copies_for("carla@example.org")), what="the reply's copies")
        reply = [m.decode() for m in c.sink.copies_for("carla@example.org") if b"Bijna klaar." in m][0]
        assert "In-Reply-To: <p1@example.org>" in reply, reply
        # one thread of two: the reply found its post
        [thread] = c.s.ctl_json("thread", "list", "pga")
        assert thread["root"] == "p1@example.org" and thread["messages"] == 2, thread
        wait_until(lambda: c.postfix.queue() == [], what="Postfix's queue to empty")
    finally:
        c.stop()


def test_an_oversize_post_is_refused_by_postfix_while_the_sender_waits():
    c = Chain()
    try:
        big = post("anna@example.org", "big@example.org", body=("x" * 998 + "\r\n") * 10400)
        assert 10240000 < len(big) < 10485760
        with c.internet() as smtp:
            # announced with SIZE=: refused at MAIL
            try:
                smtp.sendmail("anna@example.org", [f"pga@{DOMAIN}"], big)
                raise AssertionError("an oversize post was taken")
            except smtplib.SMTPSenderRefused as e:
                assert e.smtp_code == 552, e
            # not announced: refused at the end of DATA
            smtp.rset()
            smtp.mail("anna@example.org")
            assert smtp.rcpt(f"pga@{DOMAIN}")[0] == 250
            code, text = smtp.data(big)
            assert code == 552 and b"5.3.4" in text, (code, text)
        assert c.postfix.queue() == [] and c.sink.received == []
        assert c.s.ctl_json("thread", "list", "pga") == []
    finally:
        c.stop()


def test_postfixs_dsn_for_a_refused_member_reaches_mlist_and_counts():
    c = Chain(refuse=["carla@example.org"])
    try:
        with c.internet() as smtp:
            smtp.sendmail("anna@example.org", [f"pga@{DOMAIN}"], post("anna@example.org", "p2@example.org"))
        # Postfix took carla's copy from mlistd, the sink refused it, Postfix sent mlist its DSN
        c.d.wait_for("bounce: permanent failure (5.1.1) of mail from pga to carla@example.org", timeout=60)
        b = c.s.ctl_json("member", "export", "carla@example.org")
        assert b["bounce_score"] == 1, b
        [one] = b["bounces"]
        assert one["kind"] == "permanent" and "no such user" in one["diagnostic"], one
        assert c.s.ctl_json("member", "export", "bart@example.org")["bounces"] == []
        assert c.sink.copies_for("bart@example.org")
        assert c.s.ctl_json("held", "list") == []  # read, not held as unrecognised
    finally:
        c.stop()
