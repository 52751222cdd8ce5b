"""Bounce mail, end to end: delivery status notifications (RFC 3464) sent
to a group's bounce address, with and without VERP, as an MTA behind
mlist sends them; what each kind of failure does to a member's standing;
the notices a disabling and a refusal for policy cause; bounce mail that
is no DSN, held for a moderator.  Copies and notices go to a real SMTP
server (sink.py)."""
import smtplib

from harness import Setup, free_port, wait_until
from sink import Sink

DOMAIN = "lists.example.org"


def group(extra_delivery=""):
    port = free_port()
    sink = Sink(port)
    s = Setup(f'delivery = {{ transport = "smtp"; smarthost = "smtp://127.0.0.1:{port}"; {extra_delivery} }};\n',
              listen=True)
    s.ctl("group", "add", "pga", "--kind", "project", "--policy", "open")
    for a in ("anna@example.org", "bart@example.org", "carla@example.org"):
        s.ctl("member", "add", "pga", a)
    s.ctl("moderator", "add", "pga", "mod@example.org")
    return s, sink


def dsn(recipient, status="5.1.1", action="failed",
        diagnostic="smtp; 550 5.1.1 <{r}>: Recipient address rejected: User unknown"):
    """A delivery status notification as Postfix writes it."""
    return (f"From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r\nTo: pga-bounces@{DOMAIN}\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"4ABC.1/mx\"\r\n"
            f"Message-ID: <dsn.{recipient}.{status}@mx.example.net>\r\n\r\n"
            "--4ABC.1/mx\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you...\r\n\r\n"
            "--4ABC.1/mx\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n"
            f"Final-Recipient: rfc822; {recipient}\r\nAction: {action}\r\nStatus: {status}\r\n"
            f"Diagnostic-Code: {diagnostic.format(r=recipient)}\r\n\r\n"
            "--4ABC.1/mx\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            f"From: jan@example.org\r\nTo: pga@{DOMAIN}\r\nSubject: Plan\r\n\r\n--4ABC.1/mx--\r\n")


def send(s, rcpt, text):
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail("", [rcpt], text.encode())


def bounces(s, address):
    return s.ctl_json("member", "export", address)


def test_dsn_to_a_verp_address_counts_the_member_it_names():
    s, sink = group()
    try:
        d = s.start()
        # the report names where the mail was forwarded to; VERP names the member
        send(s, f"pga-bounces+carla=example.org@{DOMAIN}", dsn("carla@elders.example"))
        d.wait_for("bounce: permanent failure (5.1.1) of mail from pga to carla@example.org")
        b = bounces(s, "carla@example.org")
        assert b["bounce_score"] == 1 and not b["disabled"], b
        [one] = b["bounces"]
        assert one["kind"] == "permanent" and one["status"] == "5.1.1" and one["group"] == "pga", one
        assert "User unknown" in one["diagnostic"], one
        d.stop()
    finally:
        sink.stop()


def test_dsn_without_verp_is_matched_by_its_final_recipient():
    s, sink = group()
    try:
        d = s.start()
        send(s, f"pga-bounces@{DOMAIN}", dsn("Bart@Example.org"))
        d.wait_for("bounce: permanent failure (5.1.1) of mail from pga to Bart@Example.org")
        assert bounces(s, "bart@example.org")["bounce_score"] == 1
        assert bounces(s, "anna@example.org")["bounces"] == []
        d.stop()
    finally:
        sink.stop()


def test_policy_refusal_is_reported_to_the_moderators_and_never_counted():
    s, sink = group()
    try:
        d = s.start()
        send(s, f"pga-bounces+anna=example.org@{DOMAIN}",
             dsn("anna@example.org", "5.7.1", diagnostic="smtp; 550 5.7.1 rejected by DMARC policy"))
        d.wait_for("bounce: policy failure (5.7.1)")
        b = bounces(s, "anna@example.org")
        assert b["bounce_score"] == 0 and b["bounces"][0]["kind"] == "policy", b
        wait_until(lambda: sink.copies_for("mod@example.org"), what="the moderator's report")
        report = sink.copies_for("mod@example.org")[0].decode()
        assert "Subject: Een bericht van pga aan een deelnemer is geweigerd" in report and "rejected by DMARC policy" in report, report
        assert sink.copies_for("anna@example.org") == []  # the member hears nothing of it
        d.stop()
    finally:
        sink.stop()


def test_delayed_mail_is_recorded_not_counted():
    s, sink = group()
    try:
        d = s.start()
        send(s, f"pga-bounces+anna=example.org@{DOMAIN}", dsn("anna@example.org", "4.4.7", action="delayed",
                                                               diagnostic="smtp; 451 4.4.7 try later"))
        d.wait_for("bounce: transient failure (4.4.7)")
        b = bounces(s, "anna@example.org")
        assert b["bounce_score"] == 0 and b["bounces"][0]["kind"] == "transient", b
        d.stop()
    finally:
        sink.stop()


def test_dsns_disable_a_member_at_the_limit_and_tell_them_and_the_owner():
    s, sink = group("bounce_disable = 2;")
    try:
        d = s.start()
        send(s, f"pga-bounces+carla=example.org@{DOMAIN}", dsn("carla@example.org"))
        d.wait_for("5.1.1) of mail from pga to carla@example.org")
        send(s, f"pga-bounces+carla=example.org@{DOMAIN}", dsn("carla@example.org", "5.2.1"))
        d.wait_for("bounce: permanent failure (5.2.1) of mail from pga to carla@example.org")
        assert bounces(s, "carla@example.org")["disabled"]
        wait_until(lambda: sink.copies_for("carla@example.org") and sink.copies_for("mod@example.org"),
                   what="the notices")
        assert "U ontvangt geen berichten van pga meer" in sink.copies_for("carla@example.org")[0].decode()
        assert "mlistctl member enable pga carla@example.org" in sink.copies_for("mod@example.org")[0].decode()
        # a post no longer reaches carla
        with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
            smtp.sendmail("anna@example.org", [f"pga@{DOMAIN}"],
                          b"From: anna@example.org\r\nSubject: Hallo\r\nMessage-ID: <p1@example.org>\r\n\r\nx\r\n")
        wait_until(lambda: sink.copies_for("bart@example.org"), what="bart's copy")
        assert len(sink.copies_for("carla@example.org")) == 1  # the notice only
        d.stop()
    finally:
        sink.stop()


def test_bounce_mail_that_is_no_dsn_is_held_for_a_moderator():
    s, sink = group()
    try:
        d = s.start()
        send(s, f"pga-bounces+anna=example.org@{DOMAIN}",
             "From: MAILER-DAEMON@mx.example.net\r\nSubject: Mail delivery failed\r\n"
             "Message-ID: <text-bounce@mx.example.net>\r\n\r\n"
             "A message that you sent could not be delivered.\r\n  anna@example.org\r\n")
        d.wait_for("is no delivery status notification; held")
        [held] = s.ctl_json("held", "list")
        assert held["reason"] == "unrecognised bounce" and held["groups"] == "", held
        assert bounces(s, "anna@example.org")["bounces"] == []
        # approving it cannot post it to the group by mistake: it has no group
        s.ctl("held", "approve", str(held["id"]), expect=1)
        # a report about nobody on the list is held the same way
        send(s, f"pga-bounces@{DOMAIN}", dsn("stranger@example.net"))
        d.wait_for("is a report about no member; held")
        assert len(s.ctl_json("held", "list")) == 2
        d.stop()
    finally:
        sink.stop()
