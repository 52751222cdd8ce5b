"""Mail out, end to end: a post sent to mlistd over SMTP reaches the right
people exactly once, through the maildir transport and through the smtp
transport into a real SMTP server (tests/integration/sink.py); every
copy's headers; footers that keep MIME intact; retries, bounces, a kill -9
in the middle of a delivery; the archive and its mbox export."""
import email
import email.policy
import mailbox
import os
import re
import signal
import smtplib
import time

from harness import Setup, free_port, wait_until
from sink import Sink

DOMAIN = "lists.example.org"




def programme(extra_config=""):
    """A change line with a linked project and a general group, and the people in them."""
    s = Setup(extra_config, listen=True)
    s.ctl("group", "add", "levensloop-centraal", "--kind", "change-line", "--title", "Levensloop centraal")
    s.ctl("group", "add", "pga-jeugd", "--kind", "project", "--title", "PGA Jeugd Amersfoort", "--policy", "open")
    s.ctl("group", "link", "pga-jeugd", "levensloop-centraal")
    s.ctl("group", "add", "koersenkansen", "--kind", "general", "--title", "Koers en Kansen", "--policy", "open")
    s.ctl("member", "add", "pga-jeugd", "anna@example.org", "--name", "Anna")
    s.ctl("member", "add", "pga-jeugd", "bart@example.org")
    s.ctl("member", "add", "levensloop-centraal", "bart@example.org", "--follow-line")   # two ways: one copy
    s.ctl("member", "add", "levensloop-centraal", "carla@example.org", "--follow-line")  # via the line
    s.ctl("member", "add", "levensloop-centraal", "dirk@example.org")                    # line only, not its projects
    s.ctl("member", "add", "pga-jeugd", "eva@example.org", "--mode", "nomail")
    s.ctl("member", "add", "pga-jeugd", "fenna@example.org", "--mode", "digest")
    s.ctl("member", "add", "pga-jeugd", "jan@example.org", "--name", "Jan Jansen")       # the author
    return s


def post(s, rcpts, subject="Plan", message_id="plan@example.org", sender="jan@example.org", extra="",
         body="Beste allemaal,\r\n\r\nFrom here on we meet weekly.\r\n", content=None):
    text = content or (f"From: Jan Jansen <{sender}>\r\nTo: {', '.join(rcpts)}\r\nCc: someone@example.net\r\n"
                       f"Subject: {subject}\r\nMessage-ID: <{message_id}>\r\n{extra}\r\n{body}")
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail(sender, rcpts, text.encode() if isinstance(text, str) else text)


def maildir_copies(s, address):
    """The files in a recipient's maildir (new/ and cur/)."""
    base = s.path(f"spool/outbox/{address}")
    return [os.path.join(base, sub, f) for sub in ("new", "cur") if os.path.isdir(os.path.join(base, sub))
            for f in sorted(os.listdir(os.path.join(base, sub)))]


def read_copy(path):
    with open(path, "rb") as f:
        return email.message_from_binary_file(f, policy=email.policy.compat32)


def test_maildir_reaches_members_and_followers_once():
    s = programme()
    d = s.start()
    post(s, [f"pga-jeugd@{DOMAIN}"])
    wanted = ["anna@example.org", "bart@example.org", "carla@example.org", "jan@example.org"]
    wait_until(lambda: all(maildir_copies(s, a) for a in wanted), what="copies for " + ", ".join(wanted))
    d.wait_for(": 4 sent, 0 deferred, 0 bounced")
    for a in wanted:
        assert len(maildir_copies(s, a)) == 1, a
    for a in ("dirk@example.org", "eva@example.org", "fenna@example.org"):
        assert maildir_copies(s, a) == [], a
    everyone = wanted + ["dirk@example.org", "eva@example.org", "fenna@example.org"]
    for a in wanted:
        raw = open(maildir_copies(s, a)[0], "rb").read().decode()
        # no copy names any other subscriber (the author is named by their own From)
        for other in everyone:
            if other not in (a, "jan@example.org"):
                assert other not in raw, (a, other)
        msg = read_copy(maildir_copies(s, a)[0])
        assert msg["List-Id"] == f'"PGA Jeugd Amersfoort" <pga-jeugd.{DOMAIN}>'
        assert msg["List-Post"] == f"<mailto:pga-jeugd@{DOMAIN}>"
        assert msg["List-Help"] == f"<mailto:pga-jeugd-request@{DOMAIN}?subject=help>"
        assert msg["List-Subscribe"] == f"<mailto:pga-jeugd-request@{DOMAIN}?subject=subscribe>"
        assert msg["List-Unsubscribe"] == f"<mailto:pga-jeugd-request@{DOMAIN}?subject=unsubscribe>"
        assert msg["List-Archive"] is None
        assert msg["Precedence"] == "list" and msg["X-Loop"] == f"pga-jeugd@{DOMAIN}"
        assert msg["Subject"] == "[pga-jeugd] Plan"
        assert msg["To"] == f"pga-jeugd@{DOMAIN}" and msg["Cc"] == "someone@example.net"
        assert msg["From"] == "Jan Jansen <jan@example.org>"
        assert msg["Return-Path"] == f"<pga-jeugd-bounces@{DOMAIN}>" and msg["Delivered-To"] == a
        assert msg["Message-ID"] == "<plan@example.org>"
        assert "From here on we meet weekly." in msg.get_payload()
    assert s.ctl_json("queue", "list") == []


def test_cross_post_is_one_copy_per_person_and_self_copy_can_be_declined():
    s = programme()
    s.ctl("member", "add", "koersenkansen", "anna@example.org")
    s.ctl("member", "add", "koersenkansen", "gijs@example.org")
    s.ctl("member", "add", "koersenkansen", "jan@example.org", "--no-self-copy")
    d = s.start()
    post(s, [f"pga-jeugd@{DOMAIN}", f"koersenkansen@{DOMAIN}"])
    # each person once, in the first of their groups that has them (the log counts per group)
    d.wait_for("to pga-jeugd: 3 sent, 0 deferred, 0 bounced")
    d.wait_for("to koersenkansen: 1 sent, 0 deferred, 0 bounced")
    for a in ("anna@example.org", "bart@example.org", "carla@example.org", "gijs@example.org"):
        assert len(maildir_copies(s, a)) == 1, a
    assert maildir_copies(s, "jan@example.org") == []
    # gijs is reached through koersenkansen only: his copy carries that group's headers
    assert read_copy(maildir_copies(s, "gijs@example.org")[0])["List-Id"].endswith(f"<koersenkansen.{DOMAIN}>")


def test_subject_prefix_is_never_doubled():
    s = programme()
    d = s.start()
    post(s, [f"pga-jeugd@{DOMAIN}"], subject="Re: [pga-jeugd] Re: Plan", message_id="re@example.org")
    d.wait_for(": 4 sent, 0 deferred, 0 bounced")
    assert read_copy(maildir_copies(s, "anna@example.org")[0])["Subject"] == "Re: [pga-jeugd] Re: Plan"


def test_dmarc_munging_and_archive_url():
    s = programme('copies = { dmarc = "munge"; archive_url = "https://lists.example.org/archief"; };\n')
    d = s.start()
    post(s, [f"pga-jeugd@{DOMAIN}"])
    d.wait_for(": 4 sent, 0 deferred, 0 bounced")
    msg = read_copy(maildir_copies(s, "anna@example.org")[0])
    assert msg["From"] == f'"Jan Jansen via pga-jeugd" <pga-jeugd@{DOMAIN}>', msg["From"]
    assert msg["Reply-To"] == "<jan@example.org>"
    assert msg["List-Archive"] == "<https://lists.example.org/archief/pga-jeugd/>"


FOOTER = "Koers en Kansen: afmelden via pga-jeugd-request"


def footer_setup():
    return programme(f'copies = {{ footer = "{FOOTER}"; subject_prefix = false; }};\n')


def test_footer_appended_to_plain_text():
    s = footer_setup()
    d = s.start()
    post(s, [f"pga-jeugd@{DOMAIN}"], extra="Content-Type: text/plain; charset=utf-8\r\n")
    d.wait_for(": 4 sent, 0 deferred, 0 bounced")
    msg = read_copy(maildir_copies(s, "anna@example.org")[0])
    assert not msg.is_multipart() and msg["Subject"] == "Plan"
    assert msg.get_payload().endswith(FOOTER + "\r\n") or msg.get_payload().endswith(FOOTER + "\n")


def test_footer_added_as_part_to_multipart_mixed():
    s = footer_setup()
    d = s.start()
    content = ("From: jan@example.org\r\nTo: pga-jeugd@lists.example.org\r\nSubject: Bijlage\r\n"
               "Message-ID: <mixed@example.org>\r\nMIME-Version: 1.0\r\n"
               "Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\npreamble\r\n"
               "--XYZ\r\nContent-Type: text/plain\r\n\r\nTekst\r\n"
               "--XYZ\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n"
               "--XYZ--\r\n")
    post(s, [f"pga-jeugd@{DOMAIN}"], content=content)
    d.wait_for(": 4 sent, 0 deferred, 0 bounced")
    msg = read_copy(maildir_copies(s, "anna@example.org")[0])
    parts = msg.get_payload()
    assert [p.get_content_type() for p in parts] == ["text/plain", "application/pdf", "text/plain"]
    assert FOOTER in parts[2].get_payload()
    assert parts[1].get_payload().strip() == "JVBERi0="


def test_signed_message_is_wrapped_not_broken():
    s = footer_setup()
    d = s.start()
    signed_body = ("--SIG\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nOndertekend bericht\r\n"
                   "--SIG\r\nContent-Type: application/pgp-signature\r\n\r\n-----BEGIN PGP SIGNATURE-----\r\n"
                   "abc\r\n-----END PGP SIGNATURE-----\r\n--SIG--\r\n")
    content = ("From: jan@example.org\r\nTo: pga-jeugd@lists.example.org\r\nSubject: Getekend\r\n"
               "Message-ID: <signed@example.org>\r\nMIME-Version: 1.0\r\n"
               "Content-Type: multipart/signed; boundary=\"SIG\"; protocol=\"application/pgp-signature\"\r\n\r\n"
               + signed_body)
    post(s, [f"pga-jeugd@{DOMAIN}"], content=content)
    d.wait_for(": 4 sent, 0 deferred, 0 bounced")
    raw = open(maildir_copies(s, "anna@example.org")[0], "rb").read().decode()
    msg = email.message_from_string(raw, policy=email.policy.compat32)
    assert msg.get_content_type() == "multipart/mixed"
    inner, foot = msg.get_payload()
    assert inner.get_content_type() == "multipart/signed"
    assert FOOTER in foot.get_payload()
    # the signed part is there byte for byte
    assert signed_body in raw


def test_smtp_transport_one_copy_each_with_reused_connections():
    port = free_port()
    sink = Sink(port)
    try:
        s = programme(f'delivery = {{ transport = "smtp"; smarthost = "smtp://127.0.0.1:{port}";'
                      f' max_recipients = 2; connections = 2; }};\n')
        d = s.start()
        post(s, [f"pga-jeugd@{DOMAIN}"])
        post(s, [f"pga-jeugd@{DOMAIN}"], subject="Tweede", message_id="second@example.org")
        wait_until(lambda: len(sink.recipients()) == 8, what="8 copies at the sink")
        time.sleep(0.5)
        assert sorted(sink.recipients()) == sorted(["anna@example.org", "bart@example.org", "carla@example.org",
                                                     "jan@example.org"] * 2)
        assert {mail_from for mail_from, _, _ in sink.received} == {f"pga-jeugd-bounces@{DOMAIN}"}
        assert all(len(rcpts) <= 2 for _, rcpts, _ in sink.received)
        assert sink.connections <= 2 + 1, sink.connections  # kept open and reused
        copy = email.message_from_bytes(sink.copies_for("anna@example.org")[0])
        assert copy["Subject"] == "[pga-jeugd] Plan" and copy["List-Id"].endswith(f"<pga-jeugd.{DOMAIN}>")
        d.stop()
    finally:
        sink.stop()


def test_sighup_gives_delivery_a_new_smarthost():
    first, second = free_port(), free_port()
    sink_a, sink_b = Sink(first), Sink(second)
    try:
        s = programme(f'delivery = {{ transport = "smtp"; smarthost = "smtp://127.0.0.1:{first}"; }};\n'
                      'limits = { max_posts_per_hour = 0; };\n')  # one sender, many posts
        d = s.start()
        post(s, [f"pga-jeugd@{DOMAIN}"])
        wait_until(lambda: len(sink_a.recipients()) == 4, what="4 copies through the first smarthost")
        s.write_config(open(s.config).read().replace(f"127.0.0.1:{first}", f"127.0.0.1:{second}"))
        d.signal(signal.SIGHUP)
        d.wait_for("mlistd-deliver: reloaded")
        post(s, [f"pga-jeugd@{DOMAIN}"], subject="Tweede", message_id="second@example.org")
        wait_until(lambda: len(sink_b.recipients()) == 4, what="4 copies through the second smarthost")
        assert len(sink_a.recipients()) == 4
        d.stop()
    finally:
        sink_a.stop()
        sink_b.stop()


def test_verp_envelope_per_recipient():
    port = free_port()
    sink = Sink(port)
    try:
        s = programme(f'delivery = {{ transport = "smtp"; smarthost = "smtp://127.0.0.1:{port}"; verp = true; }};\n')
        s.start()
        post(s, [f"pga-jeugd@{DOMAIN}"])
        wait_until(lambda: len(sink.recipients()) == 4, what="4 copies")
        for mail_from, rcpts, _ in sink.received:
            assert len(rcpts) == 1
            assert mail_from == f"pga-jeugd-bounces+{rcpts[0].replace('@', '=')}@{DOMAIN}", mail_from
    finally:
        sink.stop()


def test_451_then_250_is_delivered_once():
    port = free_port()
    sink = Sink(port, {"anna@example.org": [451, 451]})
    try:
        s = programme(f'delivery = {{ transport = "smtp"; smarthost = "smtp://127.0.0.1:{port}"; retry_base = 1; }};\n')
        d = s.start()
        post(s, [f"pga-jeugd@{DOMAIN}"])
        wait_until(lambda: len(sink.copies_for("bart@example.org")) == 1, what="bart's copy")
        queue = s.ctl_json("queue", "list")
        assert [q["pending"] for q in queue] == [1] and "451" in queue[0]["last_error"], queue
        wait_until(lambda: len(sink.copies_for("anna@example.org")) == 1, timeout=30, what="anna's copy")
        time.sleep(1.5)
        assert len(sink.copies_for("anna@example.org")) == 1
        assert sink.rcpt_attempts["anna@example.org"] == 3
        assert len(sink.recipients()) == 4
        assert s.ctl_json("queue", "list") == []
        d.stop()
    finally:
        sink.stop()


def test_550_for_one_recipient_is_a_bounce_and_the_others_get_theirs():
    port = free_port()
    sink = Sink(port, {"carla@example.org": [550]})
    try:
        s = programme(f'delivery = {{ transport = "smtp"; smarthost = "smtp://127.0.0.1:{port}"; }};\n')
        d = s.start()
        post(s, [f"pga-jeugd@{DOMAIN}"])
        d.wait_for(": 3 sent, 0 deferred, 1 bounced")
        assert sorted(sink.recipients()) == ["anna@example.org", "bart@example.org", "jan@example.org"]
        assert s.ctl_json("queue", "list") == []
        exported = s.ctl_json("member", "export", "carla@example.org")
        assert exported["bounce_score"] == 1 and "550" in exported["bounces"][0]["diagnostic"], exported
        assert exported["bounces"][0]["kind"] == "permanent" and exported["bounces"][0]["status"] == "5.1.1", exported
        assert exported["bounces"][0]["group"] == "pga-jeugd" and exported["disabled"] is False, exported
        d.stop()
    finally:
        sink.stop()


def test_repeated_bounces_disable_the_address():
    port = free_port()
    sink = Sink(port, {"carla@example.org": [550, 550]})
    try:
        s = programme(f'delivery = {{ transport = "smtp"; smarthost = "smtp://127.0.0.1:{port}"; bounce_disable = 2; }};\n')
        s.ctl("moderator", "add", "pga-jeugd", "mod@example.org")
        d = s.start()
        post(s, [f"pga-jeugd@{DOMAIN}"])
        d.wait_for("1 bounced")
        post(s, [f"pga-jeugd@{DOMAIN}"], message_id="two@example.org")
        wait_until(lambda: s.ctl_json("member", "export", "carla@example.org")["disabled"], what="carla disabled")
        d.wait_for("to carla@example.org: 550 5.1.1 <carla@example.org>: no such user; delivery disabled")
        post(s, [f"pga-jeugd@{DOMAIN}"], message_id="three@example.org")
        wait_until(lambda: len(sink.copies_for("anna@example.org")) == 3, what="third post")
        # carla (who may read other mail) and the moderator are told; carla gets no more copies
        wait_until(lambda: sink.copies_for("carla@example.org") and sink.copies_for("mod@example.org"),
                   what="the notices of the disabling")
        told = sink.copies_for("carla@example.org")[0].decode()
        assert "Subject: U ontvangt geen berichten van pga-jeugd meer" in told and "550 5.1.1" in told, told
        assert f"From: pga-jeugd-owner@{DOMAIN}" in told, told
        told = sink.copies_for("mod@example.org")[0].decode()
        assert "mlistctl member enable pga-jeugd carla@example.org" in told, told
        time.sleep(0.5)
        assert sink.rcpt_attempts["carla@example.org"] == 3  # two copies and the notice: no copy once disabled
        out, _ = s.ctl("member", "enable", "pga-jeugd", "carla@example.org")
        assert "enabled carla@example.org again" in out, out
        exported = s.ctl_json("member", "export", "carla@example.org")
        assert not exported["disabled"] and exported["bounce_score"] == 0, exported
        assert [b["kind"] for b in exported["bounces"]] == ["permanent", "permanent"], exported
        post(s, [f"pga-jeugd@{DOMAIN}"], message_id="four@example.org")
        wait_until(lambda: len(sink.copies_for("carla@example.org")) == 2, what="a copy to carla again")
        s.ctl("member", "enable", "pga-jeugd", "nobody@example.org", expect=1)
        d.stop()
    finally:
        sink.stop()


def test_smarthost_down_waits_in_queue_then_retry():
    port = free_port()
    s = programme(f'delivery = {{ transport = "smtp"; smarthost = "smtp://127.0.0.1:{port}"; retry_base = 3600; }};\n')
    d = s.start()
    post(s, [f"pga-jeugd@{DOMAIN}"])
    d.wait_for("0 sent, 4 deferred")
    queue = s.ctl_json("queue", "list")
    assert queue[0]["pending"] == 4 and queue[0]["group"] == "pga-jeugd", queue
    out, _ = s.ctl("queue", "list")
    assert "plan@example.org" in out and "pga-jeugd" in out
    sink = Sink(port)
    try:
        out, _ = s.ctl("queue", "retry")
        assert "4 waiting copies" in out, out
        wait_until(lambda: len(sink.recipients()) == 4, what="delivery after queue retry")
        d.stop()
    finally:
        sink.stop()


def test_kill_during_delivery_to_500_loses_nobody_and_doubles_nobody():
    s = Setup(listen=True)
    s.ctl("group", "add", "groot", "--kind", "general", "--policy", "open")
    s.write("many.csv", "".join(f"lid{i:03d}@example.org,Lid {i}\n" for i in range(500)))
    s.ctl("member", "import", "groot", s.path("many.csv"))
    d = s.start()
    child = int(re.search(r"pid (\d+)", d.wait_for("started mlistd-deliver")).group(1))
    post(s, [f"groot@{DOMAIN}"], message_id="big@example.org")
    outbox = s.path("spool/outbox")
    wait_until(lambda: os.path.isdir(outbox) and len(os.listdir(outbox)) > 0, what="the first copies")
    os.kill(child, signal.SIGKILL)
    d.proc.send_signal(signal.SIGKILL)
    d.wait()
    done_before = len(os.listdir(outbox))
    d = s.start()
    wait_until(lambda: len(os.listdir(outbox)) == 500, timeout=60, what="all 500")
    wait_until(lambda: s.ctl_json("queue", "list") == [], what="an empty queue")
    for i in range(500):
        assert len(maildir_copies(s, f"lid{i:03d}@example.org")) == 1, i
    print(f"{done_before} of 500 maildirs existed at the kill")
    d.stop()


def test_mbox_from_line_is_dropped_at_intake():
    """A message sent on from an mbox archive may start with its "From " line: not a header field, not kept."""
    s = programme()
    d = s.start()
    post(s, [f"pga-jeugd@{DOMAIN}"], content="From jan@example.org Mon Nov 23 10:00:00 2026\r\n"
         f"From: Jan Jansen <jan@example.org>\r\nTo: pga-jeugd@{DOMAIN}\r\nSubject: Uit het archief\r\n"
         "Message-ID: <mbox@example.org>\r\n\r\nTekst.\r\n")
    archive = s.path("spool/archive/pga-jeugd/new")
    wait_until(lambda: os.path.isdir(archive) and os.listdir(archive), what="the post archived")
    kept = open(os.path.join(archive, os.listdir(archive)[0]), "rb").read()
    assert kept.startswith(b"From: Jan Jansen <jan@example.org>\r\n"), kept[:80]
    wait_until(lambda: maildir_copies(s, "anna@example.org"), what="anna's copy")
    msg = read_copy(maildir_copies(s, "anna@example.org")[0])
    assert msg["Message-ID"] == "<mbox@example.org>" and msg["Subject"] == "[pga-jeugd] Uit het archief"
    d.stop()


def test_archive_and_mbox_export():
    s = programme()
    d = s.start()
    post(s, [f"pga-jeugd@{DOMAIN}"], subject="Eerste", message_id="a1@example.org")
    post(s, [f"pga-jeugd@{DOMAIN}"], subject="Tweede", message_id="a2@example.org",
         body="From the start\r\n>From quoted\r\n")
    archive = s.path("spool/archive/pga-jeugd/new")
    wait_until(lambda: os.path.isdir(archive) and len(os.listdir(archive)) == 2, what="two archived")
    out, err = s.ctl("archive", "export", "pga-jeugd", s.path("pga.mbox"))
    assert "exported 2 message(s)" in err
    box = mailbox.mbox(s.path("pga.mbox"))
    subjects = [m["Subject"] for m in box]
    assert subjects == ["Eerste", "Tweede"], subjects
    raw = open(s.path("pga.mbox")).read()
    assert "\n>From the start\n" in raw and "\n>>From quoted\n" in raw
    s.ctl("archive", "export", "nowhere", expect=1)
    assert os.stat(s.path("spool/archive/pga-jeugd")).st_mode & 0o077 == 0
    d.stop()


def test_4xx_past_the_lifetime_is_given_up():
    port = free_port()
    sink = Sink(port, {"anna@example.org": [451] * 100})
    try:
        s = programme(f'delivery = {{ transport = "smtp"; smarthost = "smtp://127.0.0.1:{port}";'
                      f' retry_base = 1; retry_lifetime = 2; }};\n')
        d = s.start()
        post(s, [f"pga-jeugd@{DOMAIN}"])
        line = d.wait_for("to anna@example.org: gave up after", timeout=30)
        assert "451" in line and "transient failure (4.2.0)" in line and "not counted" in line, line
        assert s.ctl_json("queue", "list") == []
        exported = s.ctl_json("member", "export", "anna@example.org")
        assert "gave up" in exported["bounces"][0]["diagnostic"], exported
        assert exported["bounces"][0]["kind"] == "transient" and exported["bounce_score"] == 0, exported
        assert len(sink.recipients()) == 3
        d.stop()
    finally:
        sink.stop()


def tls_context(dirname):
    """A server certificate for 127.0.0.1 (self-signed) and its context; returns (context, cert path)."""
    import ssl
    import subprocess as sp
    cert, key = os.path.join(dirname, "cert.pem"), os.path.join(dirname, "key.pem")
    sp.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert], check=True, capture_output=True)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx, cert


def test_tls_to_the_smarthost_opportunistic_required_and_refused():
    s0 = Setup()
    ctx, cert = tls_context(s0.dir)
    os.chmod(cert, 0o644)
    # opportunistic (the default): STARTTLS when offered, a self-signed certificate is fine
    port = free_port()
    sink = Sink(port, tls=ctx)
    try:
        s = programme(f'delivery = {{ transport = "smtp"; smarthost = "smtp://127.0.0.1:{port}"; }};\n')
        d = s.start()
        post(s, [f"pga-jeugd@{DOMAIN}"])
        wait_until(lambda: len(sink.recipients()) == 4, what="4 copies")
        assert sink.over_tls and all(sink.over_tls), sink.over_tls
        d.stop()
    finally:
        sink.stop()
    # required, with the certificate's authority given: sent, over TLS
    port = free_port()
    sink = Sink(port, tls=ctx)
    try:
        s = programme(f'delivery = {{ transport = "smtp"; smarthost = "smtp://127.0.0.1:{port}";'
                      f' tls = "required"; ca_file = "{cert}"; }};\n')
        d = s.start()
        post(s, [f"pga-jeugd@{DOMAIN}"])
        wait_until(lambda: len(sink.recipients()) == 4, what="4 copies")
        assert all(sink.over_tls), sink.over_tls
        d.stop()
    finally:
        sink.stop()
    # required, against a server without STARTTLS, or with a certificate nobody vouches for: nothing is sent
    for tls, why in ((None, "Requested SSL level failed"), (ctx, "certificate")):
        port = free_port()
        sink = Sink(port, tls=tls)
        try:
            s = programme(f'delivery = {{ transport = "smtp"; smarthost = "smtp://127.0.0.1:{port}";'
                          f' tls = "required"; }};\n')
            d = s.start()
            post(s, [f"pga-jeugd@{DOMAIN}"])
            wait_until(lambda: any(q["last_error"] for q in s.ctl_json("queue", "list")), what="the copies deferred")
            [q] = s.ctl_json("queue", "list")
            assert q["pending"] == 4 and why in q["last_error"], q
            assert sink.received == []
            d.stop()
        finally:
            sink.stop()


def test_a_post_sent_by_mistake_is_removed_and_an_archive_goes_with_its_group():
    s = programme()
    d = s.start()
    post(s, [f"pga-jeugd@{DOMAIN}"], subject="Vergadering", message_id="ok@example.org")
    post(s, [f"pga-jeugd@{DOMAIN}"], subject="Dossier van een client", message_id="mistake@example.org")
    archive = s.path("spool/archive/pga-jeugd/new")
    wait_until(lambda: os.path.isdir(archive) and len(os.listdir(archive)) == 2, what="both posts archived")
    wait_until(lambda: s.ctl_json("queue", "list") == [], what="both posts sent")
    out, _ = s.ctl("archive", "remove", "<mistake@example.org>")
    assert out.strip() == "removed <mistake@example.org> from the archive and the threads of pga-jeugd", out
    assert len(os.listdir(archive)) == 1
    assert [t["subject"] for t in s.ctl_json("thread", "list", "pga-jeugd")] == ["Vergadering"]
    s.ctl("message", "show", "mistake@example.org", expect=1)
    out, _ = s.ctl("archive", "export", "pga-jeugd")
    assert "Dossier" not in out and "Vergadering" in out
    # a held post is not removed this way: it is rejected
    post(s, [f"levensloop-centraal@{DOMAIN}"], subject="Wacht", message_id="held@example.org",
         sender="vreemde@example.net")
    d.wait_for("held@example.org> held")
    _, err = s.ctl("archive", "remove", "held@example.org", expect=1)
    assert "is held or still being sent" in err, err
    d.stop()
    # a group's archive goes with the group, unless it is kept
    out, _ = s.ctl("group", "remove", "pga-jeugd", "--force")
    assert out.strip() == "removed group pga-jeugd and its archive", out
    assert not os.path.exists(s.path("spool/archive/pga-jeugd"))


def test_archive_purge_takes_a_groups_old_posts_out_of_archive_and_threads():
    s = programme()
    d = s.start()
    post(s, [f"pga-jeugd@{DOMAIN}"], subject="Oud", message_id="old1@example.org")
    post(s, [f"pga-jeugd@{DOMAIN}", f"koersenkansen@{DOMAIN}"], subject="Ook elders", message_id="old2@example.org")
    archive = s.path("spool/archive/pga-jeugd/new")
    wait_until(lambda: os.path.isdir(archive) and len(os.listdir(archive)) == 2, what="both archived")
    wait_until(lambda: s.ctl_json("queue", "list") == [], what="both sent")
    out, _ = s.ctl("archive", "purge", "pga-jeugd", "--before", "2000-01-01")
    assert out.strip() == "purged 0 post(s) of pga-jeugd from before 2000-01-01", out
    tomorrow = time.strftime("%Y-%m-%d", time.localtime(time.time() + 86400))
    out, _ = s.ctl("archive", "purge", "pga-jeugd", "--before", tomorrow)
    assert out.strip() == f"purged 2 post(s) of pga-jeugd from before {tomorrow}", out
    assert os.listdir(archive) == [] and s.ctl_json("thread", "list", "pga-jeugd") == []
    # a post that is in another group too stays there
    assert [t["subject"] for t in s.ctl_json("thread", "list", "koersenkansen")] == ["Ook elders"]
    s.ctl("message", "show", "old1@example.org", expect=1)
    s.ctl("message", "show", "old2@example.org")
    _, err = s.ctl("archive", "purge", "pga-jeugd", "--before", "gisteren", expect=1)
    assert "--before YYYY-MM-DD" in err, err
    d.stop()


def test_posts_older_than_a_groups_keep_days_are_purged():
    s = programme()
    s.ctl("group", "set", "pga-jeugd", "--keep-days", "2")
    assert s.ctl_json("group", "show", "pga-jeugd")["keep_days"] == 2
    d = s.start()
    post(s, [f"pga-jeugd@{DOMAIN}"], subject="Kortlevend", message_id="kort@example.org")
    archive = s.path("spool/archive/pga-jeugd/new")
    wait_until(lambda: os.path.isdir(archive) and os.listdir(archive), what="the post archived")
    wait_until(lambda: s.ctl_json("queue", "list") == [], what="the post sent")
    d.stop()
    # three days later (the schedule's clock, clock.h): the hourly look purges it
    os.environ["MLIST_CLOCK_OFFSET"] = str(3 * 86400)
    try:
        d = s.start()
        d.wait_for("retention: 1 post(s) of pga-jeugd older than 2 day(s) purged")
        d.stop()
    finally:
        del os.environ["MLIST_CLOCK_OFFSET"]
    assert os.listdir(archive) == [] and s.ctl_json("thread", "list", "pga-jeugd") == []
    _, err = s.ctl("group", "set", "pga-jeugd", "--keep-days", "lang", expect=1)
    assert "--keep-days is a number of days" in err, err
