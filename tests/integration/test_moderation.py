"""Posting policies and the held queue, through real SMTP and mlistctl:
who posts where, what is held for a moderator, and approving, rejecting,
discarding and assigning held posts."""
import os
import re
import smtplib
import time

from harness import Setup, wait_until

DOMAIN = "lists.example.org"


def groups(policy):
    """A project with the given policy, a member, a moderator and a reader."""
    s = Setup(listen=True)
    s.ctl("group", "add", "pga-jeugd", "--kind", "project", "--policy", policy)
    s.ctl("member", "add", "pga-jeugd", "lid@example.org")
    s.ctl("member", "add", "pga-jeugd", "lezer@example.org")
    s.ctl("moderator", "add", "pga-jeugd", "mod@example.org")
    return s


def post(s, sender, message_id, subject="Bericht"):
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail(sender, [f"pga-jeugd@{DOMAIN}"],
                      f"From: {sender}\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n\r\nInhoud van {subject}.\r\n")


def copies(s, address):
    base = s.path(f"spool/outbox/{address}/new")
    return os.listdir(base) if os.path.isdir(base) else []


def test_members_policy():
    s = groups("members")
    d = s.start()
    post(s, "lid@example.org", "m1@example.org")
    d.wait_for("m1@example.org> sorted into pga-jeugd")
    post(s, "mod@example.org", "m2@example.org")
    d.wait_for("m2@example.org> sorted into pga-jeugd")
    post(s, "vreemde@example.net", "m3@example.org")
    line = d.wait_for("m3@example.org> held")
    assert "for the moderators of pga-jeugd: the sender is not a member" in line, line
    held = s.ctl_json("held", "list", "pga-jeugd")
    assert [(h["from"], h["groups"], h["reason"]) for h in held] == [
        ("vreemde@example.net", "pga-jeugd", "the sender is not a member")]
    wait_until(lambda: len(copies(s, "lezer@example.org")) == 2, what="two copies for the reader")
    assert len(copies(s, "lezer@example.org")) == 2


def test_moderated_policy_holds_all_but_moderators():
    s = groups("moderated")
    d = s.start()
    post(s, "lid@example.org", "mod1@example.org")
    d.wait_for("mod1@example.org> held")
    post(s, "mod@example.org", "mod2@example.org")
    d.wait_for("mod2@example.org> sorted into pga-jeugd")
    assert [h["reason"] for h in s.ctl_json("held", "list")] == ["every post to this group is moderated"]


def test_a_copy_that_loops_back_is_refused_silently():
    s = groups("open")
    d = s.start()
    post(s, "lid@example.org", "orig@example.org")
    wait_until(lambda: len(copies(s, "lid@example.org")) == 1, what="the member's copy")
    # the member's mailbox forwards its copy (with mlist's own List-Id and X-Loop) back to the group
    [name] = copies(s, "lid@example.org")
    looped = open(s.path(f"spool/outbox/lid@example.org/new/{name}"), "rb").read()
    looped = looped.replace(b"Message-ID: <orig@example.org>", b"Message-ID: <looped@example.org>")
    looped = looped.replace(b"Message-Id: <orig@example.org>", b"Message-ID: <looped@example.org>")
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail("lid@example.org", [f"pga-jeugd@{DOMAIN}"], looped)
    line = d.wait_for("looped@example.org> from lid@example.org refused")
    assert "a mail loop" in line, line
    post(s, "lid@example.org", "after@example.org")
    d.wait_for("after@example.org> sorted into pga-jeugd")
    wait_until(lambda: len(copies(s, "lezer@example.org")) == 2, what="the next post")
    assert len(copies(s, "lid@example.org")) == 2  # and no note about the refusal
    assert not os.path.isdir(s.path("spool/notices")) or os.listdir(s.path("spool/notices")) == []


def test_announce_policy_refuses_others():
    s = groups("announce")
    d = s.start()
    post(s, "lid@example.org", "a1@example.org")
    line = d.wait_for("a1@example.org> from lid@example.org refused")
    assert "only the group's moderators post to it" in line
    post(s, "mod@example.org", "a2@example.org")
    d.wait_for("a2@example.org> sorted into pga-jeugd")
    assert s.ctl_json("held", "list") == []
    wait_until(lambda: len(copies(s, "lezer@example.org")) == 1, what="the announcement")
    assert len(copies(s, "lezer@example.org")) == 1
    # the refused author is told why
    wait_until(lambda: notices(s, "lid@example.org"), what="the explanation")
    [note] = notices(s, "lid@example.org")
    assert "is niet geplaatst" in note["Subject"] and "only the group's moderators post to it" in note.get_payload()


def test_approve_sends_once_and_only_once():
    s = groups("moderated")
    d = s.start()
    post(s, "lid@example.org", "wait@example.org", subject="Wacht")
    d.wait_for("wait@example.org> held")
    [held] = s.ctl_json("held", "list")
    out, _ = s.ctl("held", "show", str(held["id"]))
    assert "reason:     every post to this group is moderated" in out and "Inhoud van Wacht." in out
    assert copies(s, "lezer@example.org") == []
    out, _ = s.ctl("held", "approve", str(held["id"]))
    assert "2 copies queued" in out, out  # the two members; the author, lid, gets their own copy
    wait_until(lambda: len(copies(s, "lezer@example.org")) == 1, what="the approved post")
    assert [t["subject"] for t in s.ctl_json("thread", "list", "pga-jeugd")] == ["Wacht"]
    _, err = s.ctl("held", "approve", str(held["id"]), expect=1)
    assert f"no held post with id {held['id']}" in err
    assert s.ctl_json("held", "list") == []
    d.stop()
    assert len(copies(s, "lezer@example.org")) == 1
    assert len(copies(s, "lid@example.org")) == 2 and len(notices(s, "lid@example.org")) == 1  # the post and the "wacht op goedkeuring" note


def test_reject_and_discard_send_nothing():
    s = groups("moderated")
    d = s.start()
    post(s, "lid@example.org", "r1@example.org")
    post(s, "lid@example.org", "r2@example.org")
    d.wait_for("r2@example.org> held")
    first, second = s.ctl_json("held", "list")
    out, _ = s.ctl("held", "reject", str(first["id"]), "--reason", "buiten het onderwerp")
    assert out.strip() == f"rejected {first['id']}: buiten het onderwerp"
    out, _ = s.ctl("held", "discard", str(second["id"]))
    assert out.strip() == f"discarded {second['id']}"
    assert s.ctl_json("held", "list") == []
    wait_until(lambda: os.listdir(s.path("spool/queue")) == [], what="the spool to let go of them")
    assert copies(s, "lezer@example.org") == []
    assert s.ctl_json("thread", "list", "pga-jeugd") == []
    # the rejected post's author hears why; a discarded post is dropped without a word
    wait_until(lambda: any("niet geplaatst" in n["Subject"] for n in notices(s, "lid@example.org")), what="the note")
    time.sleep(1)
    [note] = [n for n in notices(s, "lid@example.org") if "niet geplaatst" in n["Subject"]]
    assert "buiten het onderwerp" in note.get_payload()


def test_approve_rings_delivery_at_once():
    # delivery looks at the queue every 5 s by itself; an approval must not wait for that
    s = groups("moderated")
    d = s.start()
    d.wait_for("start-up sweep of notices")
    post(s, "lid@example.org", "ring@example.org")
    d.wait_for("ring@example.org> held")
    [held] = s.ctl_json("held", "list")
    time.sleep(1)  # delivery has done its round for the notices and waits
    start = time.monotonic()
    s.ctl("held", "approve", str(held["id"]))
    wait_until(lambda: len(copies(s, "lezer@example.org")) == 1, what="the approved post")
    took = time.monotonic() - start
    print(f"approve -> delivered in {took * 1000:.0f} ms")
    assert took < 2, took


def test_held_cli_refusals():
    s = groups("moderated")
    for verb in ("show", "approve", "reject", "discard"):
        _, err = s.ctl("held", verb, "abc", expect=1)
        assert "'abc' is not a held post's number" in err, err
        _, err = s.ctl("held", verb, "42", expect=1)
        assert "no held post with id 42" in err, err
    s.ctl("held", "assign", "1", expect=2)
    _, err = s.ctl("held", "assign", "1", "nowhere", expect=1)
    assert "no group named 'nowhere'" in err
    _, err = s.ctl("held", "list", "nowhere", expect=1)
    assert "no group named 'nowhere'" in err
    out, _ = s.ctl("held", "list")
    assert out == "nothing is held\n"


def notices(s, address):
    """The notices (mlist's own mail) in a maildir, parsed."""
    import email
    base = s.path(f"spool/outbox/{address}/new")
    out = []
    for name in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        with open(os.path.join(base, name), "rb") as f:
            msg = email.message_from_binary_file(f)
        if msg["Auto-Submitted"] == "auto-generated":
            out.append(msg)
    return out


def confirm_address(s, moderator="mod@example.org"):
    wait_until(lambda: notices(s, moderator), what="the moderator's notice")
    [notice] = notices(s, moderator)
    reply_to = notice["Reply-To"]
    assert reply_to.startswith("pga-jeugd-confirm+") and reply_to.endswith("@" + DOMAIN), reply_to
    assert len(reply_to.split("+")[1].split("@")[0]) == 32
    return notice, reply_to


def reply(s, sender, to, text, extra=""):
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail(sender, [to], f"From: {sender}\r\nTo: {to}\r\nSubject: Re: Held\r\n{extra}\r\n{text}\r\n")


def test_moderator_approves_by_mail():
    s = groups("members")
    d = s.start()
    post(s, "vreemde@example.net", "viamail@example.org", subject="Van buiten")
    notice, confirm = confirm_address(s)
    body = notice.get_payload()
    assert "vreemde@example.net" in body and "Van buiten" in body and "the sender is not a member" in body
    assert "> Inhoud van Van buiten." in body
    assert f"{confirm})" in body and "mlistctl held approve" in body
    wait_until(lambda: notices(s, "vreemde@example.net"), what="the author's note")
    assert "wacht op goedkeuring" in notices(s, "vreemde@example.net")[0]["Subject"]
    reply(s, "mod@example.org", confirm, "approve\r\n\r\n> quoted text that says reject")
    d.wait_for("confirm: mod@example.org approved held post")
    wait_until(lambda: len(copies(s, "lezer@example.org")) == 1, what="the approved post")
    # the token is single-use
    reply(s, "mod@example.org", confirm, "approve")
    d.wait_for("ignored: the post it was for is no longer held")
    d.stop()
    assert len(copies(s, "lezer@example.org")) == 1
    assert s.ctl_json("held", "list") == []


def test_one_post_is_followed_through_the_log_by_either_id():
    """Every line about a post names its spool id or its Message-ID, and the lines that join the two
    (sorted or held, approved, delivered) name both: grep for one id finds its whole way."""
    s = groups("members")
    d = s.start()
    post(s, "vreemde@example.net", "volg-mij@example.org", subject="Volg mij")
    accepted = d.wait_for("from <vreemde@example.net> for 1 recipient(s)")
    spool_id = accepted.split(" accepted ")[1].split(" ")[0]
    _, confirm = confirm_address(s)
    reply(s, "mod@example.org", confirm, "approve")
    wait_until(lambda: len(copies(s, "lezer@example.org")) == 1, what="the approved post")
    d.wait_for("<volg-mij@example.org> to pga-jeugd: 2 sent, 0 deferred, 0 bounced")
    d.stop()
    both = [line for line in d.log if spool_id in line and "<volg-mij@example.org>" in line]
    assert any("held 1 for the moderators" in line for line in both), d.log
    assert any("approved held post 1" in line for line in both), d.log
    assert any(line.startswith("mlistd-deliver: deliver:") for line in both), d.log
    # the notices the post caused are named by their own spool id (the start-up sweep's lines about
    # notices/ files, which it may find before the sorter's transaction names them, are not these)
    notices = [line for line in d.log if "deliver: notice " in line]
    assert len(notices) == 2 and all(re.search(r"deliver: notice \d+\.\d+\.\d+\.\d+ to \S+ sent$", line)
                                     for line in notices), notices
    # a note of several lines is logged as lines, each with the process's name
    assert all(line.startswith("mlist") for line in d.log), d.log


def test_only_a_moderator_counts_and_bad_tokens_do_nothing():
    s = groups("moderated")
    d = s.start()
    post(s, "lid@example.org", "guarded@example.org")
    _, confirm = confirm_address(s)
    reply(s, "lid@example.org", confirm, "approve")
    d.wait_for("ignored: not one of its moderators")
    wrong = confirm.split("+")[0] + "+" + "0" * 32 + "@" + DOMAIN
    reply(s, "mod@example.org", wrong, "approve")
    d.wait_for("ignored: no such token")
    reply(s, "mod@example.org", confirm, "Thanks, I will look at it")
    d.wait_for("ignored: no approve, reject or discard in it")
    reply(s, "mod@example.org", confirm, "approve", extra="Auto-Submitted: auto-replied\r\n")
    d.wait_for("an automatic reply from mod@example.org")
    assert len(s.ctl_json("held", "list")) == 1 and copies(s, "lezer@example.org") == []
    # none of that used the token up
    reply(s, "MOD@example.org", confirm, "Approve")
    d.wait_for("approved held post")
    wait_until(lambda: len(copies(s, "lezer@example.org")) == 1, what="the approved post")


def test_reject_by_mail_tells_the_author_why():
    s = groups("moderated")
    d = s.start()
    post(s, "lid@example.org", "nee@example.org", subject="Offtopic")
    _, confirm = confirm_address(s)
    reply(s, "mod@example.org", confirm, "reject: dit hoort in de andere groep")
    d.wait_for("rejected held post")
    # nothing is left to do with it: its spool file goes
    wait_until(lambda: os.listdir(s.path("spool/queue")) == [], what="the spool to let go of it")
    wait_until(lambda: any("niet geplaatst" in n["Subject"] for n in notices(s, "lid@example.org")), what="the note")
    note = next(n for n in notices(s, "lid@example.org") if "niet geplaatst" in n["Subject"])
    assert "dit hoort in de andere groep" in note.get_payload()
    assert copies(s, "lezer@example.org") == []


def test_expired_token_does_nothing():
    import sqlite3
    s = groups("moderated")
    d = s.start()
    post(s, "lid@example.org", "late@example.org")
    _, confirm = confirm_address(s)
    db = sqlite3.connect(s.store)
    db.execute("UPDATE tokens SET expires = 1")
    db.commit()
    db.close()
    reply(s, "mod@example.org", confirm, "approve")
    d.wait_for("ignored: it has expired")
    assert len(s.ctl_json("held", "list")) == 1


def test_author_told_once_a_day_and_never_for_automatic_mail():
    s = groups("moderated")
    d = s.start()
    post(s, "lid@example.org", "day1@example.org")
    post(s, "lid@example.org", "day2@example.org")
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail("robot@example.org", [f"pga-jeugd@{DOMAIN}"],
                      "From: robot@example.org\r\nAuto-Submitted: auto-generated\r\nSubject: x\r\n"
                      "Message-ID: <robot@example.org>\r\n\r\nx\r\n")
    d.wait_for("robot@example.org> held")
    wait_until(lambda: len(notices(s, "mod@example.org")) == 3, what="three moderator notices")
    time.sleep(1)
    assert len(notices(s, "lid@example.org")) == 1
    assert notices(s, "robot@example.org") == []


def test_held_posts_expire_with_a_note_to_the_author():
    s = Setup("moderation = { hold_lifetime = 1; };\n", listen=True)
    s.ctl("group", "add", "pga-jeugd", "--kind", "project", "--policy", "moderated")
    s.ctl("moderator", "add", "pga-jeugd", "mod@example.org")
    d = s.start()
    post(s, "lid@example.org", "old@example.org", subject="Te laat")
    d.wait_for("old@example.org> held")
    d.wait_for("expired and was discarded", timeout=30)
    assert s.ctl_json("held", "list") == []
    wait_until(lambda: any("vervallen" in n["Subject"] for n in notices(s, "lid@example.org")), what="the note")


def test_a_token_from_another_group_does_not_work():
    s = groups("moderated")
    s.ctl("group", "add", "andere", "--kind", "project", "--policy", "moderated")
    s.ctl("moderator", "add", "andere", "ander@example.org")
    d = s.start()
    post(s, "lid@example.org", "theirs@example.org")
    _, confirm = confirm_address(s)
    # the moderator of another group replies with this group's token
    reply(s, "ander@example.org", confirm, "approve")
    d.wait_for("ignored: not one of its moderators")
    assert len(s.ctl_json("held", "list")) == 1


def test_the_emergency_switch_holds_every_post_until_it_is_off():
    s = groups("members")
    s.ctl("group", "set", "pga-jeugd", "--emergency", "on")
    assert s.ctl_json("group", "show", "pga-jeugd")["emergency"] is True
    d = s.start()
    post(s, "mod@example.org", "e1@example.org")  # even a moderator's own post (a phished moderator, say)
    line = d.wait_for("e1@example.org> held")
    assert "emergency switch is on" in line, line
    post(s, "lid@example.org", "e2@example.org")
    d.wait_for("e2@example.org> held")
    s.ctl("group", "set", "pga-jeugd", "--emergency", "off")
    post(s, "lid@example.org", "e3@example.org")
    d.wait_for("e3@example.org> sorted into pga-jeugd")
    assert len(s.ctl_json("held", "list")) == 2


def test_a_new_members_first_post_waits_until_a_moderator_trusts_them():
    s = groups("members")
    s.ctl("group", "set", "pga-jeugd", "--moderate-new-members")
    s.ctl("member", "add", "pga-jeugd", "nieuw@example.org")
    s.ctl("member", "add", "pga-jeugd", "ander@example.org")
    d = s.start()
    post(s, "lid@example.org", "n0@example.org")  # a member from before: posts freely
    d.wait_for("n0@example.org> sorted into pga-jeugd")
    post(s, "nieuw@example.org", "n1@example.org")
    line = d.wait_for("n1@example.org> held")
    assert "a new member's first post waits" in line, line
    [held] = s.ctl_json("held", "list")
    out, _ = s.ctl("held", "approve", str(held["id"]), "--trust")
    assert "its author posts freely from now on" in out, out
    post(s, "nieuw@example.org", "n2@example.org")
    d.wait_for("n2@example.org> sorted into pga-jeugd")
    # by mail: "approve trust"
    post(s, "ander@example.org", "n3@example.org", subject="Derde")
    d.wait_for("n3@example.org> held")
    wait_until(lambda: [n for n in notices(s, "mod@example.org") if "Derde" in n.get_payload()],
               what="the moderator's notice")
    [notice] = [n for n in notices(s, "mod@example.org") if "Derde" in n.get_payload()]
    reply(s, "mod@example.org", notice["Reply-To"], "approve trust")
    d.wait_for("its author is trusted")
    post(s, "ander@example.org", "n4@example.org")
    d.wait_for("n4@example.org> sorted into pga-jeugd")
    s.ctl("group", "set", "pga-jeugd", "--no-moderate-new-members")
    assert s.ctl_json("group", "show", "pga-jeugd")["moderate_new_members"] is False
    d.stop()


def test_a_runaway_sender_waits_past_the_hourly_limit_and_moderators_hear_once():
    s = Setup("limits = { max_posts_per_hour = 3; };\n", listen=True)
    s.ctl("group", "add", "pga-jeugd", "--kind", "project", "--policy", "members")
    s.ctl("member", "add", "pga-jeugd", "lid@example.org")
    s.ctl("member", "add", "pga-jeugd", "lezer@example.org")
    s.ctl("moderator", "add", "pga-jeugd", "mod@example.org")
    d = s.start()
    for i in range(3):
        post(s, "lid@example.org", f"r{i}@example.org", subject=f"Bericht {i}")
        d.wait_for(f"r{i}@example.org> sorted into pga-jeugd")
    post(s, "lid@example.org", "r3@example.org", subject="Bericht 3")
    line = d.wait_for("r3@example.org> held")
    assert "more than the group takes in an hour" in line and "1 moderator(s) notified" in line, line
    post(s, "lid@example.org", "r4@example.org", subject="Bericht 4")
    line = d.wait_for("r4@example.org> held")
    assert "the moderators were told of the first such post" in line, line
    wait_until(lambda: notices(s, "mod@example.org"), what="the moderator's notice")
    time.sleep(1)
    assert len(notices(s, "mod@example.org")) == 1
    # another sender is not held back by lid's rate
    post(s, "lezer@example.org", "x1@example.org")
    d.wait_for("x1@example.org> sorted into pga-jeugd")
    d.stop()
