"""Digests, end to end with the real daemon and the maildir transport:
what a MIME and a plain-text digest hold (contents by thread, each post
once, the footer once, the list's headers), a change line's digest with
its projects' posts for those who follow it, the daily schedule on a
settable clock (MLIST_CLOCK_OFFSET, clock.h), the size trigger, nothing
sent twice, and a digest built while mlistd is down (as after a kill)
sent once when it is back."""
import os
import smtplib
import time

from harness import Setup, outbox, wait_until

DOMAIN = "lists.example.org"


def programme(extra=""):
    os.environ["TZ"] = "Europe/Amsterdam"
    time.tzset()
    s = Setup('copies = { footer = "-- \\nKoers en Kansen"; };\n' + extra, listen=True)
    s.ctl("group", "add", "levensloop", "--kind", "change-line", "--title", "Levensloop centraal", "--policy", "open")
    s.ctl("group", "add", "pga", "--kind", "project", "--title", "PGA Jeugd", "--policy", "open")
    s.ctl("group", "link", "pga", "levensloop")
    s.ctl("member", "add", "pga", "anna@example.org")                          # each post as it comes
    s.ctl("member", "add", "pga", "dora@example.org", "--mode", "digest")      # MIME digest
    s.ctl("member", "add", "pga", "tom@example.org", "--mode", "digest")
    s.ctl("member", "set", "pga", "tom@example.org", "--digest-format", "text")
    assert [m["digest_format"] for m in s.ctl_json("member", "list", "pga")] == ["mime", "mime", "text"]
    s.ctl("member", "add", "levensloop", "lisa@example.org", "--mode", "digest", "--follow-line")
    s.ctl("member", "add", "levensloop", "lex@example.org", "--mode", "digest")  # the line's own posts only
    s.ctl("member", "add", "levensloop", "dora@example.org", "--mode", "digest", "--follow-line")
    return s


def post(s, group, mid, subject, body="Tekst.\r\n", extra=""):
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail("anna@example.org", [f"{group}@{DOMAIN}"],
                      (f"From: Anna <anna@example.org>\r\nTo: {group}@{DOMAIN}\r\nSubject: {subject}\r\n"
                       f"Message-ID: <{mid}>\r\n{extra}\r\n{body}").encode())


def digests(s, address):
    return [m for m in outbox(s, address) if m["Message-ID"].startswith("<digest.")]


def at(day, hour, minute):
    """MLIST_CLOCK_OFFSET for local time hour:minute, day days from today."""
    now = time.time()
    t = time.localtime(now)
    target = time.mktime((t.tm_year, t.tm_mon, t.tm_mday + day, hour, minute, 0, 0, 0, -1))
    return str(int(target - now) + 1)  # rounded up: never a moment before the time asked for


def three_posts(s, d):
    post(s, "pga", "p1@example.org", "Planning")
    post(s, "levensloop", "l1@example.org", "Nieuws uit de lijn")
    post(s, "pga", "p2@example.org", "Re: Planning", extra="In-Reply-To: <p1@example.org>\r\n")
    post(s, "pga", "p3@example.org", "Begroting", body="Zie bijlage.\r\n")
    wait_until(lambda: len(outbox(s, "anna@example.org")) >= 3, what="anna's copies")


def test_mime_and_plain_digests_and_a_lines_digest_with_its_projects():
    s = programme()
    d = s.start()
    three_posts(s, d)
    assert digests(s, "dora@example.org") == [] and outbox(s, "tom@example.org") == []  # not before it is sent
    out, _ = s.ctl("digest", "show", "pga")
    assert "Planning\n   1. Anna: Planning\n   2. Anna: Re: Planning\n\nBegroting\n   3. Anna: Begroting" in out, out
    assert "\r" not in out
    os.environ["MLIST_CLOCK_OFFSET"] = at(1, 7, 10)
    try:
        out, _ = s.ctl("digest", "send")
    finally:
        del os.environ["MLIST_CLOCK_OFFSET"]
    assert "digest: pga digest 1 (mime): 3 post(s) for 1 member(s)" in out, out
    assert "digest: levensloop digest 1 (mime, with its projects): 4 post(s) for 2 member(s)" in out, out
    wait_until(lambda: len(digests(s, "dora@example.org")) == 2 and digests(s, "tom@example.org")
               and digests(s, "lisa@example.org") and digests(s, "lex@example.org"), what="the digests")
    [mime] = [m for m in digests(s, "dora@example.org") if "PGA Jeugd" in m["Subject"]]
    assert mime["Subject"].startswith("PGA Jeugd: bundel 1, "), mime["Subject"]
    assert mime["List-Id"].endswith(f"<pga.{DOMAIN}>") and "[pga]" not in mime["Subject"], mime["List-Id"]
    toc, inner, footer = mime.iter_parts()
    assert inner.get_content_type() == "multipart/digest"
    assert "3 bericht(en)" in toc.get_content() and "1. Anna: Planning" in toc.get_content()
    posts = [p.get_content() for p in inner.iter_parts()]
    assert [p["Message-ID"] for p in posts] == ["<p1@example.org>", "<p2@example.org>", "<p3@example.org>"]
    assert footer.get_content().strip() == "-- \nKoers en Kansen".strip()
    assert mime.as_string().count("Koers en Kansen") == 1  # the footer once, not per post
    [plain] = digests(s, "tom@example.org")
    text = plain.get_content()
    assert plain.get_content_type() == "text/plain"
    assert text.count("\n------------------------------\n") == 3 and "End of pga digest 1" in text, text
    assert "Subject: Begroting" in text and "Zie bijlage." in text, text
    # the line's digest: its own post and its projects' for lisa (who follows), its own only for lex
    [line] = digests(s, "lisa@example.org")
    ids = [p.get_content()["Message-ID"] for p in list(line.iter_parts())[1].iter_parts()]
    assert sorted(ids) == ["<l1@example.org>", "<p1@example.org>", "<p2@example.org>", "<p3@example.org>"], ids
    [own] = digests(s, "lex@example.org")
    assert [p.get_content()["Message-ID"] for p in list(own.iter_parts())[1].iter_parts()] == ["<l1@example.org>"]
    # nothing goes in two digests
    out, _ = s.ctl("digest", "send")
    assert "no digest to send" in out, out
    d.stop()


def test_the_daily_schedule_and_the_size_trigger():
    s = programme('digest = { hour = 7; max_size = 4096; };\n')
    # the first morning: the deliverer's first look, at 07:10, finds nothing waiting: that day's digest is done
    os.environ["MLIST_CLOCK_OFFSET"] = at(1, 7, 10)
    d = s.start()
    d.wait_for("start-up sweep of notices/")
    time.sleep(1)
    d.stop()
    os.environ["MLIST_CLOCK_OFFSET"] = at(2, 6, 59)  # the next morning, before 07:00
    d = s.start()
    post(s, "pga", "p1@example.org", "Voor de ochtend")
    wait_until(lambda: outbox(s, "anna@example.org"), what="anna's copy")
    time.sleep(3)  # the deliverer looked (within 2 s of the copies): not due yet
    assert digests(s, "tom@example.org") == []
    # a big post passes max_size: a digest at once
    post(s, "pga", "big@example.org", "Groot stuk", body=("y" * 70 + "\r\n") * 80)
    d.wait_for("digest: pga digest 1 (text): 2 post(s)", timeout=15)
    wait_until(lambda: len(digests(s, "tom@example.org")) == 1, what="the size-triggered digest")
    d.stop()
    # 07:00 comes and nothing waits: nothing is sent, and that day's digest is done
    os.environ["MLIST_CLOCK_OFFSET"] = at(2, 7, 1)
    d = s.start()
    time.sleep(2)
    assert len(digests(s, "tom@example.org")) == 1
    # so a post later that day waits for the next morning
    post(s, "pga", "p5@example.org", "Later op de dag")
    wait_until(lambda: len(outbox(s, "anna@example.org")) == 3, what="anna's copy of p5")
    time.sleep(3)
    assert len(digests(s, "tom@example.org")) == 1
    d.stop()
    os.environ["MLIST_CLOCK_OFFSET"] = at(3, 7, 0)
    d = s.start()
    d.wait_for("digest: pga digest 2 (text): 1 post(s)")
    wait_until(lambda: len(digests(s, "tom@example.org")) == 2, what="the next morning's digest")
    d.stop()
    del os.environ["MLIST_CLOCK_OFFSET"]


def test_a_digest_built_while_mlistd_is_down_goes_out_once():
    s = programme()
    d = s.start()
    post(s, "pga", "p1@example.org", "Planning")
    wait_until(lambda: outbox(s, "anna@example.org"), what="anna's copy")
    d.kill()  # kill -9
    s.ctl("digest", "send", "pga")  # built and queued, not sent: nobody delivers
    assert digests(s, "dora@example.org") == []
    d = s.start()
    wait_until(lambda: digests(s, "dora@example.org"), what="the digest after the restart")
    time.sleep(1)
    assert len(digests(s, "dora@example.org")) == 1
    out, _ = s.ctl("digest", "send", "pga")
    assert "no digest to send" in out, out
    d.stop()


def test_mlistctl_run_by_root_before_mlistd_ever_started_leaves_it_a_spool_it_can_use():
    if os.geteuid() != 0:
        return  # only root makes folders the mlistd account could not enter
    s = programme()
    out, _ = s.ctl("digest", "send")  # root makes the spool's working folders, as root's
    assert "no digest to send" in out, out
    d = s.start()  # mlistd hands them to its account
    post(s, "pga", "p1@example.org", "Planning")
    wait_until(lambda: outbox(s, "anna@example.org"), what="anna's copy")
    d.stop()
