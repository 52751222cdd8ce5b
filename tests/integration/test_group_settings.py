"""A group's own settings (mlistctl group set), as members see them in
their copies: the subject prefix, the footer (its placeholders filled),
where replies go, the size over which a post waits for a moderator, and
whether authors get their own posts back.  Real daemon, maildir transport."""
import os
import smtplib

from harness import Setup, outbox, wait_until

DOMAIN = "lists.example.org"


def group():
    s = Setup(listen=True)
    s.ctl("group", "add", "pga", "--kind", "project", "--title", "PGA Jeugd", "--policy", "open")
    s.ctl("member", "add", "pga", "anna@example.org")
    s.ctl("member", "add", "pga", "bart@example.org")
    return s


def post(s, mid, subject="Plan", body="Tekst.\r\n", extra=""):
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail("anna@example.org", [f"pga@{DOMAIN}"],
                      (f"From: Anna <anna@example.org>\r\nTo: pga@{DOMAIN}\r\nSubject: {subject}\r\n"
                       f"Message-ID: <{mid}>\r\n{extra}\r\n{body}").encode())


def reply_to(message):
    assert len(message.get_all("Reply-To")) == 1  # the group's replaces the author's
    [one] = message["Reply-To"].addresses
    return one.addr_spec


def copy_of(s, address, mid):
    wait_until(lambda: any(m["Message-ID"] == f"<{mid}>" for m in outbox(s, address)), what=f"{address}'s {mid}")
    return next(m for m in outbox(s, address) if m["Message-ID"] == f"<{mid}>")


def test_prefix_footer_and_reply_to_are_the_groups_own():
    s = group()
    s.ctl("group", "set", "pga", "--prefix", "[PGA]", "--footer", "-- \nPGA Jeugd: {post_address}\nAfmelden: {request_address}",
          "--reply-to", "group")
    shown = s.ctl_json("group", "show", "pga")
    assert shown["subject_prefix"] == "[PGA]" and shown["reply_to"] == "group", shown
    d = s.start()
    post(s, "p1@example.org", extra="Reply-To: <elders@example.net>\r\n")
    c = copy_of(s, "bart@example.org", "p1@example.org")
    assert c["Subject"] == "[PGA] Plan", c["Subject"]
    assert reply_to(c) == f"pga@{DOMAIN}", c["Reply-To"]
    assert c.get_content().endswith(f"-- \nPGA Jeugd: pga@{DOMAIN}\nAfmelden: pga-request@{DOMAIN}\n"), c.get_content()
    s.ctl("group", "set", "pga", "--prefix", "none", "--footer", "none", "--reply-to", "author")
    post(s, "p2@example.org")
    c = copy_of(s, "bart@example.org", "p2@example.org")
    assert c["Subject"] == "Plan" and reply_to(c) == "anna@example.org", (c["Subject"], c["Reply-To"])
    assert c.get_content() == "Tekst.\n"
    s.ctl("group", "set", "pga", "--prefix", "default", "--footer", "default", "--reply-to", "as-sent")
    post(s, "p3@example.org", extra="Reply-To: <elders@example.net>\r\n")
    c = copy_of(s, "bart@example.org", "p3@example.org")
    assert c["Subject"] == "[pga] Plan" and reply_to(c) == "elders@example.net", (c["Subject"], c["Reply-To"])
    # a footer with a placeholder no text has is refused, naming it
    _, err = s.ctl("group", "set", "pga", "--footer", "Groet,\n{moderator}", expect=1)
    assert "line 2: unknown placeholder {moderator}" in err, err
    _, err = s.ctl("group", "set", "pga", "--reply-to", "everyone", expect=1)
    assert "unknown reply-to 'everyone'" in err, err
    d.stop()


def test_a_post_over_the_groups_size_waits_for_a_moderator():
    s = group()
    s.ctl("moderator", "add", "pga", "mod@example.org")
    s.ctl("group", "set", "pga", "--max-size", "2000")
    assert s.ctl_json("group", "show", "pga")["max_size"] == 2000
    d = s.start()
    post(s, "small@example.org")
    copy_of(s, "bart@example.org", "small@example.org")
    post(s, "big@example.org", body="x" * 70 + "\r\n" + ("y" * 70 + "\r\n") * 40)
    d.wait_for("big@example.org> held")
    [held] = s.ctl_json("held", "list")
    assert "larger than this group takes" in held["reason"], held
    s.ctl("held", "approve", str(held["id"]))
    copy_of(s, "bart@example.org", "big@example.org")
    _, err = s.ctl("group", "set", "pga", "--max-size", "lots", expect=1)
    assert "--max-size is a number of octets" in err, err
    d.stop()


def test_a_group_can_keep_authors_own_posts_from_them():
    s = group()
    d = s.start()
    post(s, "own1@example.org")
    copy_of(s, "anna@example.org", "own1@example.org")  # by default the author gets it back
    s.ctl("group", "set", "pga", "--self-copy", "off")
    post(s, "own2@example.org")
    copy_of(s, "bart@example.org", "own2@example.org")
    assert not any(m["Message-ID"] == "<own2@example.org>" for m in outbox(s, "anna@example.org"))
    _, err = s.ctl("group", "set", "pga", "--self-copy", "maybe", expect=1)
    assert "--self-copy is on or off" in err, err
    d.stop()


def archived(s, group):
    base = s.path(f"spool/archive/{group}/new")
    return sorted(os.listdir(base)) if os.path.isdir(base) else []


def test_a_group_with_archive_off_keeps_posts_only_until_its_digest_is_made():
    s = group()
    s.ctl("member", "add", "pga", "dora@example.org", "--mode", "digest")
    s.ctl("group", "set", "pga", "--archive", "off")
    assert s.ctl_json("group", "show", "pga")["archive"] is False
    d = s.start()
    post(s, "p1@example.org", body="Alleen voor nu.\r\n")
    copy_of(s, "bart@example.org", "p1@example.org")
    wait_until(lambda: archived(s, "pga"), what="the post archived (a digest may still need it)")
    # a delivered post's spool file goes; the digest reads it from the archive, which then lets go of it
    wait_until(lambda: not os.listdir(s.path("spool/queue")), what="the spool file let go")
    out, _ = s.ctl("digest", "send", "pga")
    assert "pga digest 1 (mime): 1 post(s)" in out, out
    wait_until(lambda: any(m["Message-ID"].startswith("<digest.") for m in outbox(s, "dora@example.org")),
               what="dora's digest")
    digest = next(m for m in outbox(s, "dora@example.org") if m["Message-ID"].startswith("<digest."))
    assert "Alleen voor nu." in digest.as_string()
    assert archived(s, "pga") == []
    _, err = s.ctl("archive", "export", "pga", expect=1)
    assert "pga keeps no archive" in err, err
    # with the archive on again, posts stay
    s.ctl("group", "set", "pga", "--archive", "on")
    post(s, "p2@example.org")
    wait_until(lambda: len(archived(s, "pga")) == 1, what="p2 archived")
    s.ctl("digest", "send", "pga")
    assert len(archived(s, "pga")) == 1
    d.stop()
