"""Golden tests of what members receive: tests/golden/NAME.eml is posted
to a group of a real mlistd over SMTP, and the copy a real SMTP server
(sink.py) receives for each member must be tests/golden/NAME.ref, as
Postfix tests its cleanup.  Besides the diff, every copy is read with
Python's email package (policy.default): no header defect, one
Message-ID, one Subject, one From, one Date, CRLF line ends only.

The .eml and .ref files have LF line ends to be read and diffed by a
person; the message goes out with CRLF.  What changes from run to run
(a Message-ID or Date mlist made, the boundary of a wrapped message) is
replaced by a fixed word before the comparison.  A case whose name
starts with "munge-" runs with copies.dmarc = "munge", one that starts
with "strip-" with content.attachments = "strip", and one that starts
with "html-text-" with content.html = "text", and one that starts with
"web-" with the web archive on (web.url): each copy then has its own
one-click unsubscribe token, replaced by TOKEN like the rest.

MLIST_GOLDEN_UPDATE=1 writes the .ref files instead of comparing: for a
person to read and commit, never to make a failing test pass unseen.
"""
import email
import email.errors
import email.policy
import os
import re
import smtplib

from harness import Setup, free_port, wait_until
from sink import Sink

DOMAIN = "lists.example.org"
GOLDEN = os.path.join(os.environ.get("MLIST_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", "..")),
                      "tests", "golden")
MEMBERS = ["anna@example.org", "bart@example.org"]
ENVELOPE = "afzender@example.net"
FOOTER = "-- \\nPGA Jeugd, één van de projecten van Koers en Kansen\\nAfmelden: pga-request@lists.example.org"


def crlf(data):
    return re.sub(rb"(?<!\r)\n", b"\r\n", data)


def normalised(copy, sent):
    """The copy with what differs per run replaced, and LF line ends."""
    text = copy.replace(b"\r\n", b"\n")
    text = re.sub(rb"<mlist\.[^@>]+@", b"<mlist.GENERATED@", text)
    text = re.sub(rb"=_mlist_[0-9a-f]+", b"=_mlist_BOUNDARY", text)
    text = re.sub(rb"/unsubscribe/[0-9]+-[0-9]+-[0-9a-f]+>", b"/unsubscribe/TOKEN>", text)
    # a Date mlist wrote (the message had none it could read) is the moment it took the message
    return re.sub(rb"^Date: [^\n]*\+0000\n",
                  lambda m: m.group(0) if m.group(0) in sent else b"Date: RECEIVED\n", text, flags=re.M)


def header_defects(copy):
    msg = email.message_from_bytes(copy, policy=email.policy.default)
    found = [f"{type(d).__name__}" for d in msg.defects
             if isinstance(d, (email.errors.HeaderDefect, email.errors.MissingHeaderBodySeparatorDefect,
                               email.errors.FirstHeaderLineIsContinuationDefect))]
    for name, value in msg.items():
        found += [f"{name}: {type(d).__name__}: {d}" for d in getattr(value, "defects", [])]
    for name in ("Message-ID", "Subject", "From", "Date"):
        n = len(msg.get_all(name) or [])
        if n != 1:
            found.append(f"{n} {name} fields")
    return found


def golden(name):
    sent = open(os.path.join(GOLDEN, name + ".eml"), "rb").read()
    port = free_port()
    sink = Sink(port)
    try:
        dmarc = 'dmarc = "munge"; ' if name.startswith("munge-") else ""
        content = ('attachments = "strip"; ' if name.startswith("strip-") else "") + \
                  ('html = "text"; ' if name.startswith("html-text-") else "")
        web = (f'web = {{ listen = "127.0.0.1:{free_port()}"; url = "https://archief.{DOMAIN}/"; }};\n'
               if name.startswith("web-") else "")
        s = Setup(f'delivery = {{ transport = "smtp"; smarthost = "smtp://127.0.0.1:{port}"; }};\n'
                  f'copies = {{ {dmarc}footer = "{FOOTER}"; }};\ncontent = {{ {content}}};\n' + web, listen=True)
        s.ctl("group", "add", "pga", "--kind", "project", "--title", "PGA Jeugd", "--policy", "open")
        for a in MEMBERS:
            s.ctl("member", "add", "pga", a)
        s.start()
        with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
            smtp.sendmail(ENVELOPE, [f"pga@{DOMAIN}"], crlf(sent))
        wait_until(lambda: all(sink.copies_for(a) for a in MEMBERS), what="a copy for every member")
        copies = [c for a in MEMBERS for c in sink.copies_for(a)]
    finally:
        sink.stop()
    sent_lf = crlf(sent).replace(b"\r\n", b"\n")
    assert len(set(normalised(c, sent_lf) for c in copies)) == 1, "the members got different copies"
    copy = copies[0]
    assert copy.count(b"\n") == copy.count(b"\r\n"), "a line of the copy does not end with CRLF"
    assert max(len(line) for line in copy.split(b"\r\n")) <= 998, "a line of the copy is over 998 octets"
    defects = header_defects(copy)
    assert not defects, f"the copy's header does not parse cleanly: {defects}"
    got = normalised(copy, sent_lf)
    ref_path = os.path.join(GOLDEN, name + ".ref")
    if os.environ.get("MLIST_GOLDEN_UPDATE") == "1":
        open(ref_path, "wb").write(got)
        return
    want = open(ref_path, "rb").read()
    if got != want:
        import difflib
        diff = difflib.unified_diff(want.decode("utf-8", "replace").splitlines(),
                                    got.decode("utf-8", "replace").splitlines(), name + ".ref", "copy", lineterm="")
        raise AssertionError("the copy differs from " + name + ".ref:\n" + "\n".join(diff))
