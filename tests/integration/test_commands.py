"""Mail to a group's -request and -owner addresses, through real SMTP:
double opt-in subscribing and unsubscribing, help, the private roster,
closed groups, forwarding to the owners, and no answers that could loop."""
import email
import email.policy
import os
import signal
import smtplib
import subprocess
import time

from harness import Setup, files_naming, wait_until
from test_bounces import dsn

DOMAIN = "lists.example.org"


def group(policy="members", extra_config=""):
    s = Setup(extra_config, listen=True)
    s.ctl("group", "add", "pga-jeugd", "--kind", "project", "--policy", policy)
    s.ctl("member", "add", "pga-jeugd", "lid@example.org")
    s.ctl("moderator", "add", "pga-jeugd", "mod@example.org")
    return s


def send(s, sender, to, subject="", body="", extra="", envelope=None):
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail(sender if envelope is None else envelope, [to],
                      f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n{extra}\r\n{body}\r\n")


def mailbox(s, address):
    base = s.path(f"spool/outbox/{address}/new")
    out = []
    for name in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        with open(os.path.join(base, name), "rb") as f:
            out.append(email.message_from_binary_file(f))
    return out


def members(s):
    return [m["address"] for m in s.ctl_json("member", "list", "pga-jeugd")]


def wait_mail(s, address, n=1):
    wait_until(lambda: len(mailbox(s, address)) >= n, what=f"{n} message(s) for {address}")
    return mailbox(s, address)


def test_subscribe_needs_confirmation():
    s = group()
    d = s.start()
    send(s, "nieuw@example.org", f"pga-jeugd-request@{DOMAIN}", subject="subscribe")
    [confirm] = wait_mail(s, "nieuw@example.org")
    assert confirm["Subject"] == "Bevestig uw aanmelding bij pga-jeugd"  # the config's language: nl
    assert confirm["From"] == f"pga-jeugd-request@{DOMAIN}" and confirm["Auto-Submitted"] == "auto-generated"
    assert "nieuw@example.org" not in members(s)
    send(s, "nieuw@example.org", confirm["Reply-To"], subject="Re: " + confirm["Subject"], body="ja")
    d.wait_for("confirm: nieuw@example.org joined pga-jeugd")
    assert "nieuw@example.org" in members(s)
    welcome = wait_mail(s, "nieuw@example.org", 2)[1]
    assert welcome["Subject"] == "Welkom bij pga-jeugd"
    text = welcome.get_payload(decode=True).decode()
    # what the group is, how to post, how to leave, that the roster is private
    assert f"pga-jeugd@{DOMAIN}" in text and f"pga-jeugd-request@{DOMAIN}" in text, text
    assert "unsubscribe" in text and "niet openbaar" in text and "lid@example.org" not in text, text
    # the token works once
    send(s, "nieuw@example.org", confirm["Reply-To"], body="nog eens")
    d.wait_for("ignored: it was used already")


def test_unsubscribe_needs_confirmation_so_nobody_else_can():
    s = group()
    d = s.start()
    # someone pretending to be lid asks; the confirmation goes to lid, who does nothing
    send(s, "lid@example.org", f"pga-jeugd-request@{DOMAIN}", body="unsubscribe\r\n", envelope="evil@example.net")
    [confirm] = wait_mail(s, "lid@example.org")
    assert confirm["Subject"] == "Bevestig uw afmelding bij pga-jeugd"
    time.sleep(1)
    assert "lid@example.org" in members(s)
    # lid confirms after all
    send(s, "lid@example.org", confirm["Reply-To"], body="yes")
    d.wait_for("confirm: lid@example.org left pga-jeugd")
    assert "lid@example.org" not in members(s)
    goodbye = wait_mail(s, "lid@example.org", 2)[1]
    assert goodbye["Subject"] == "U bent afgemeld bij pga-jeugd"
    assert "subscribe" in goodbye.get_payload(decode=True).decode()


def test_who_is_refused_and_help_is_given():
    s = group()
    s.start()
    send(s, "vraag@example.org", f"pga-jeugd-request@{DOMAIN}", subject="who")
    [answer] = wait_mail(s, "vraag@example.org")
    assert answer["Subject"] == "De deelnemers van pga-jeugd zijn niet openbaar"
    raw = answer.as_string()
    assert "lid@example.org" not in raw and "mod@example.org" not in raw
    send(s, "vraag@example.org", f"pga-jeugd-request@{DOMAIN}", subject="wat kan ik hier?")
    help_mail = wait_mail(s, "vraag@example.org", 2)[1]
    assert help_mail["Subject"] == "Hulp bij pga-jeugd" and "subscribe" in help_mail.get_payload()


def test_closed_groups_send_requests_to_the_moderators():
    s = group("announce")
    d = s.start()
    send(s, "nieuw@example.org", f"pga-jeugd-request@{DOMAIN}", subject="subscribe", body="Graag!")
    [told] = wait_mail(s, "nieuw@example.org")
    assert told["Subject"] == "Uw aanvraag voor pga-jeugd is doorgestuurd naar de moderatoren"
    [forwarded] = wait_mail(s, "mod@example.org")
    assert forwarded["Subject"] == "subscribe" and forwarded["X-Loop"] == f"mlist@{DOMAIN}"
    d.stop()
    assert "nieuw@example.org" not in members(s)
    s2 = group("members", "moderation = { self_subscribe = false; };\n")
    s2.start()
    send(s2, "nieuw@example.org", f"pga-jeugd-request@{DOMAIN}", subject="subscribe")
    assert wait_mail(s2, "nieuw@example.org")[0]["Subject"] == \
        "Uw aanvraag voor pga-jeugd is doorgestuurd naar de moderatoren"


def mode_of(s, group, address):
    return next(m["mode"] for m in s.ctl_json("member", "list", group) if m["address"] == address)


def test_status_tells_the_sender_their_own_subscriptions_only():
    s = group()
    s.ctl("group", "add", "veilig-dichtbij", "--kind", "change-line")
    s.ctl("member", "add", "veilig-dichtbij", "lid@example.org", "--follow-line", "--mode", "digest")
    s.ctl("member", "add", "veilig-dichtbij", "ander@example.org")
    s.start()
    send(s, "lid@example.org", f"pga-jeugd-request@{DOMAIN}", subject="status")
    [status] = wait_mail(s, "lid@example.org")
    text = status.get_payload(decode=True).decode()
    assert status["Subject"] == "Uw aanmeldingen (lid@example.org)", status["Subject"]
    assert "  pga-jeugd                    each" in text, text
    assert "  veilig-dichtbij              digest  follow-line on" in text, text
    assert "ander@example.org" not in text and "mod@example.org" not in text, text
    # someone in no group at all learns only that
    send(s, "vreemde@example.org", f"pga-jeugd-request@{DOMAIN}", subject="status")
    [answer] = wait_mail(s, "vreemde@example.org")
    assert answer["Subject"] == "U bent niet aangemeld bij pga-jeugd", answer["Subject"]


def test_set_from_the_address_itself_is_done_at_once():
    s = group()
    s.ctl("group", "add", "veilig-dichtbij", "--kind", "change-line")
    s.ctl("member", "add", "veilig-dichtbij", "lid@example.org")
    d = s.start()
    send(s, "lid@example.org", f"pga-jeugd-request@{DOMAIN}", body="set nomail\r\n\r\nGroet, Lid")
    d.wait_for("request: lid@example.org in pga-jeugd: set nomail")
    assert mode_of(s, "pga-jeugd", "lid@example.org") == "nomail"
    [done] = wait_mail(s, "lid@example.org")
    assert done["Subject"] == "Uw instellingen voor pga-jeugd zijn gewijzigd"
    assert "  pga-jeugd                    nomail" in done.get_payload(decode=True).decode()
    send(s, "lid@example.org", f"veilig-dichtbij-request@{DOMAIN}", subject="Re: set follow-line on")
    d.wait_for("request: lid@example.org in veilig-dichtbij: set follow-line on")
    assert s.ctl_json("member", "list", "veilig-dichtbij")[0]["follow_line"] is True
    # follow-line is for change lines: a project answers with help and changes nothing
    send(s, "lid@example.org", f"pga-jeugd-request@{DOMAIN}", subject="set follow-line on")
    d.wait_for("which is no change line; got help")
    # a setting it does not know: help
    send(s, "lid@example.org", f"pga-jeugd-request@{DOMAIN}", subject="set weekly")
    d.wait_for("request: lid@example.org got help for pga-jeugd")
    assert mode_of(s, "pga-jeugd", "lid@example.org") == "nomail"


def test_a_set_from_another_address_waits_for_the_members_confirmation():
    s = group()
    d = s.start()
    # From says lid, the envelope says someone else: lid is asked, nothing changes yet
    send(s, "lid@example.org", f"pga-jeugd-request@{DOMAIN}", subject="set digest", envelope="evil@example.net")
    [confirm] = wait_mail(s, "lid@example.org")
    assert confirm["Subject"] == "Bevestig de wijziging van uw instellingen voor pga-jeugd", confirm["Subject"]
    assert "set digest" in confirm.get_payload(decode=True).decode()
    assert confirm["Reply-To"].startswith("pga-jeugd-confirm+")
    time.sleep(0.5)
    assert mode_of(s, "pga-jeugd", "lid@example.org") == "each"
    assert not os.path.isdir(s.path("spool/outbox/evil@example.net"))
    send(s, "lid@example.org", confirm["Reply-To"], subject="Re: " + confirm["Subject"], body="ja")
    d.wait_for("request: lid@example.org in pga-jeugd: set digest")
    assert mode_of(s, "pga-jeugd", "lid@example.org") == "digest"
    send(s, "lid@example.org", confirm["Reply-To"], body="nog eens")
    d.wait_for("ignored: it was used already")


def test_moderators_hear_of_joins_and_leaves_unless_the_group_turns_it_off():
    s = group()
    d = s.start()
    send(s, "nieuw@example.org", f"pga-jeugd-request@{DOMAIN}", subject="subscribe")
    [confirm] = wait_mail(s, "nieuw@example.org")
    send(s, "nieuw@example.org", confirm["Reply-To"], body="ja")
    d.wait_for("confirm: nieuw@example.org joined pga-jeugd")
    [told] = wait_mail(s, "mod@example.org")
    assert told["Subject"] == "Nieuwe deelnemer in pga-jeugd: nieuw@example.org", told["Subject"]
    s.ctl("group", "set", "pga-jeugd", "--owner-notices", "off")
    assert s.ctl_json("group", "show", "pga-jeugd")["owner_notices"] is False
    send(s, "nieuw@example.org", f"pga-jeugd-request@{DOMAIN}", subject="unsubscribe")
    confirm = wait_mail(s, "nieuw@example.org", 3)[2]
    send(s, "nieuw@example.org", confirm["Reply-To"], body="ja")
    d.wait_for("confirm: nieuw@example.org left pga-jeugd")
    time.sleep(0.5)
    assert len(mailbox(s, "mod@example.org")) == 1
    _, err = s.ctl("group", "set", "pga-jeugd", "--owner-notices", "maybe", expect=1)
    assert "on or off" in err, err


def test_an_english_group_answers_in_english():
    s = group()
    s.ctl("group", "set", "pga-jeugd", "--language", "en")
    assert s.ctl_json("group", "show", "pga-jeugd")["language"] == "en"
    s.start()
    send(s, "vraag@example.org", f"pga-jeugd-request@{DOMAIN}", subject="help")
    [help_mail] = wait_mail(s, "vraag@example.org")
    assert help_mail["Subject"] == "Help for pga-jeugd", help_mail["Subject"]
    assert "To post, write to pga-jeugd@" in help_mail.get_payload(decode=True).decode()
    # back to the config's language
    s.ctl("group", "set", "pga-jeugd", "--language", "default")
    assert s.ctl_json("group", "show", "pga-jeugd")["language"] == ""
    send(s, "vraag@example.org", f"pga-jeugd-request@{DOMAIN}", subject="help")
    assert wait_mail(s, "vraag@example.org", 2)[1]["Subject"] == "Hulp bij pga-jeugd"
    # a language there are no texts for is refused
    _, err = s.ctl("group", "set", "pga-jeugd", "--language", "de", expect=1)
    assert "no texts in language 'de'" in err and "en, nl" in err, err


def test_a_groups_own_text_is_used_and_a_broken_text_is_refused_with_file_and_line():
    s = group(extra_config='templates = "templates";\n')
    own = os.path.join(s.dir, "templates", "groups", "pga-jeugd")
    os.makedirs(own)
    with open(os.path.join(own, "help.txt"), "w") as f:
        f.write("Subject: Één hulptekst voor {group_title}\n\nSchrijf naar {post_address}.\n")
    d = s.start()
    send(s, "vraag@example.org", f"pga-jeugd-request@{DOMAIN}", subject="help")
    wait_mail(s, "vraag@example.org")
    path = os.path.join(s.path("spool/outbox/vraag@example.org/new"),
                        os.listdir(s.path("spool/outbox/vraag@example.org/new"))[0])
    raw = open(path, "rb").read()
    assert b"Subject: =?utf-8?b?" in raw, raw  # non-ASCII in a header field: RFC 2047
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert mail["Subject"] == "Één hulptekst voor pga-jeugd", mail["Subject"]
    assert mail.get_content().strip() == f"Schrijf naar pga-jeugd@{DOMAIN}."
    # a placeholder the text does not have: the reload is refused, naming the file and line
    with open(os.path.join(own, "help.txt"), "a") as f:
        f.write("Groet,\n{moderator}\n")
    d.signal(signal.SIGHUP)
    line = d.wait_for("reload refused")
    assert f"{own}/help.txt:5: unknown placeholder {{moderator}}" in line, line
    proc = subprocess.run([os.environ["MLISTD"], "-n", "-c", s.config], capture_output=True, text=True)
    assert proc.returncode == 1 and f"{own}/help.txt:5: unknown placeholder" in proc.stderr, proc.stderr
    assert d.stop() == 0


def test_an_admin_may_send_welcome_and_goodbye():
    s = group()
    s.start()
    out, _ = s.ctl("member", "add", "pga-jeugd", "welkom@example.org", "--welcome")
    assert out.strip() == "added welkom@example.org to pga-jeugd; welcome sent", out
    [welcome] = wait_mail(s, "welkom@example.org")
    assert welcome["Subject"] == "Welkom bij pga-jeugd" and welcome["From"] == f"pga-jeugd-request@{DOMAIN}"
    s.ctl("member", "remove", "pga-jeugd", "welkom@example.org", "--goodbye")
    assert wait_mail(s, "welkom@example.org", 2)[1]["Subject"] == "U bent afgemeld bij pga-jeugd"
    # without the flags nobody is written to; a refused change sends nothing either
    s.ctl("member", "add", "pga-jeugd", "stil@example.org")
    s.ctl("member", "add", "pga-jeugd", "stil@example.org", "--welcome", expect=1)
    time.sleep(1)
    assert mailbox(s, "stil@example.org") == []


def test_owner_address_reaches_the_moderators():
    s = group()
    d = s.start()
    send(s, "vraag@example.org", f"pga-jeugd-owner@{DOMAIN}", subject="Vraag aan de beheerders", body="Hallo")
    [forwarded] = wait_mail(s, "mod@example.org")
    assert forwarded["Subject"] == "Vraag aan de beheerders" and "Hallo" in forwarded.get_payload()
    d.wait_for("forwarded to 1 moderator(s)")
    assert mailbox(s, "lid@example.org") == []


def test_nothing_that_could_loop_is_answered():
    s = group()
    d = s.start()
    request = f"pga-jeugd-request@{DOMAIN}"
    send(s, "robot@example.org", request, subject="subscribe", extra="Auto-Submitted: auto-replied\r\n")
    d.wait_for("not answered: it is automatic mail")
    send(s, "bulk@example.org", request, subject="help", extra="Precedence: bulk\r\n")
    d.wait_for("from bulk@example.org to pga-jeugd-request not answered: it is automatic mail")
    send(s, "lijst@example.org", request, subject="help", extra=f"List-Id: <pga-jeugd.{DOMAIN}>\r\n")
    d.wait_for("not answered: it came from this list server")
    send(s, "MAILER-DAEMON@example.org", request, subject="Undelivered Mail", envelope="")
    d.wait_for("not answered: it is a bounce")
    time.sleep(1)
    for who in ("robot@example.org", "bulk@example.org", "lijst@example.org", "mailer-daemon@example.org"):
        assert mailbox(s, who) == [], who


def test_forget_leaves_no_trace_of_the_person_in_the_store():
    s = group()
    s.ctl("group", "add", "andere", "--kind", "project")
    s.ctl("member", "add", "pga-jeugd", "wis@example.org", "--name", "Willemijn Wissink")
    d = s.start()
    # a post of theirs, a post held for them (and the author note it brings), a pending subscribe token
    send(s, "Willemijn Wissink <wis@example.org>", f"pga-jeugd@{DOMAIN}", subject="Gewoon",
         extra="Message-ID: <w1@example.org>\r\n", envelope="wis@example.org")
    send(s, "Willemijn Wissink <wis@example.org>", f"andere@{DOMAIN}", subject="Elders",
         extra="Message-ID: <w2@example.org>\r\n", envelope="wis@example.org")
    send(s, "wis@example.org", f"andere-request@{DOMAIN}", subject="subscribe")
    d.wait_for("w2@example.org> held")
    d.wait_for("request: wis@example.org asked to subscribe andere")
    wait_until(lambda: len(mailbox(s, "wis@example.org")) >= 2, what="the notes to them")
    d.stop()
    out, _ = s.ctl("member", "forget", "wis@example.org")
    assert "1 subscription(s)" in out and "1 token(s)" in out and "1 author note(s)" in out, out
    assert "their 3 post record(s) now name removed-member-" in out, out  # two posts and the request
    dump = subprocess.run(["sqlite3", s.store, ".dump"], capture_output=True, text=True, check=True).stdout
    assert "wis@example.org" not in dump.lower() and "Wissink" not in dump and "Willemijn" not in dump
    # the held post still waits, now from the pseudonym
    [held] = s.ctl_json("held", "list")
    assert held["from"].startswith("removed-member-"), held


def seed_wis(s):
    """Willemijn posts (archived), is quoted by another member, has a post held, asks to join another group,
    takes a third group's digest (sent to her) and has a bounce on record."""
    s.ctl("group", "add", "andere", "--kind", "project")
    s.ctl("group", "add", "derde", "--kind", "project", "--policy", "open")
    s.ctl("member", "add", "pga-jeugd", "wis@example.org", "--name", "Willemijn Wissink")
    s.ctl("member", "add", "derde", "wis@example.org", "--mode", "digest")
    d = s.start()
    send(s, "lid@example.org", f"derde@{DOMAIN}", subject="Voor de digest", extra="Message-ID: <d1@example.org>\r\n")
    d.wait_for("d1@example.org> sorted into derde")
    s.ctl("digest", "send", "derde")
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail("", [f"pga-jeugd-bounces+wis=example.org@{DOMAIN}"], dsn("wis@example.org").encode())
    d.wait_for("bounce: permanent failure (5.1.1) of mail from pga-jeugd to wis@example.org")
    assert s.ctl_json("member", "export", "wis@example.org")["bounces"], "the bounce is on record"
    send(s, "Willemijn Wissink <WIS@example.org>", f"pga-jeugd@{DOMAIN}", subject="Gewoon",
         extra="Message-ID: <w1@example.org>\r\nCc: Willemijn Wissink <wis@example.org>\r\n",
         body="groet, wis@example.org", envelope="wis@example.org")
    wait_mail(s, "lid@example.org")
    send(s, "lid@example.org", f"pga-jeugd@{DOMAIN}", subject="Re: Gewoon",
         extra="Message-ID: <l1@example.org>\r\nIn-Reply-To: <w1@example.org>\r\n",
         body="Willemijn Wissink <wis@example.org> wrote:\r\n> groet")
    send(s, "Willemijn Wissink <wis@example.org>", f"andere@{DOMAIN}", subject="Elders",
         extra="Message-ID: <w2@example.org>\r\n", envelope="wis@example.org")
    send(s, "wis@example.org", f"andere-request@{DOMAIN}", subject="subscribe")
    d.wait_for("w2@example.org> held")
    d.wait_for("request: wis@example.org asked to subscribe andere")
    wait_mail(s, "lid@example.org", 2)
    wait_until(lambda: files_naming(s, "l1@example.org"), what="the reply archived")
    wait_until(lambda: len(mailbox(s, "wis@example.org")) >= 2, what="the notes to them")
    return d


def test_forget_leaves_no_trace_in_the_store_the_spool_or_the_archive():
    s = group()
    d = seed_wis(s)
    assert files_naming(s, "wis@example.org", "Wissink")
    d.stop()
    out, _ = s.ctl("member", "forget", "wis@example.org")
    assert "files: " in out and "rewritten" in out, out
    assert "-wal may still" not in out, out
    left = files_naming(s, "wis@example.org", "Wissink", "Willemijn")
    assert left == [], left
    # the reply quoting them stays, without them
    mbox, _ = s.ctl("archive", "export", "pga-jeugd")
    assert "Re: Gewoon" in mbox and "removed member <removed-member-" in mbox, mbox
    # the held post is still a spool file the sorter and delivery trust (its length was rewritten)
    [held] = s.ctl_json("held", "list")
    assert held["from"].startswith("removed-member-"), held
    # run again: the address is unknown now, the files are swept anyway
    out, _ = s.ctl("member", "forget", "wis@example.org")
    assert "not in the store" in out and "0 rewritten" in out, out


def test_forget_with_posts_removes_their_posts_and_keeps_the_replies():
    s = group()
    d = seed_wis(s)
    d.stop()
    out, _ = s.ctl("member", "forget", "wis@example.org", "--with-posts")
    assert "removed: 2 post(s) of theirs" in out, out  # the post and the request; the held one waits
    mbox, _ = s.ctl("archive", "export", "pga-jeugd")
    assert "Subject: Gewoon" not in mbox and "Re: Gewoon" in mbox, mbox
    left = files_naming(s, "wis@example.org", "Wissink", "Willemijn")
    assert left == [], left
