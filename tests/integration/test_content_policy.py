"""The content policy, with real MIME messages through the real daemon:
attachments allowed, held or stripped per group; kinds of file no group
passes on (by type, by name, by a name inside a zip) refused, a
moderator's too; HTML-only posts made plain text; header rules that hold,
discard or accept; and the config's errors for a broken rule, with its
file and line."""
import base64
import io
import os
import smtplib
import subprocess
import zipfile
from email.message import EmailMessage

from harness import Setup, outbox, wait_until

DOMAIN = "lists.example.org"


def group(extra_config=""):
    s = Setup(listen=True, extra_config=extra_config)
    s.ctl("group", "add", "pga", "--kind", "project", "--policy", "members")
    s.ctl("member", "add", "pga", "anna@example.org")
    s.ctl("member", "add", "pga", "bart@example.org")
    s.ctl("moderator", "add", "pga", "mod@example.org")
    return s


def message(mid, text="Zie de bijlage.\n", files=(), html=None, extra=()):
    m = EmailMessage()
    m["From"] = "Anna <anna@example.org>"
    m["To"] = f"pga@{DOMAIN}"
    m["Subject"] = "Verslag"
    m["Message-ID"] = f"<{mid}>"
    for name, value in extra:
        m[name] = value
    if html is not None:
        m.set_content(html, subtype="html")
    else:
        m.set_content(text)
    for name, ctype, data in files:
        maintype, subtype = ctype.split("/")
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return m


def post(s, m, sender="anna@example.org"):
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail(sender, [f"pga@{DOMAIN}"], m.as_bytes().replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n"))


def copy_of(s, address, mid):
    wait_until(lambda: any(m["Message-ID"] == f"<{mid}>" for m in outbox(s, address)), what=f"{address}'s {mid}")
    return next(m for m in outbox(s, address) if m["Message-ID"] == f"<{mid}>")


def names(m):
    return [p.get_filename() for p in m.walk() if p.get_filename()]


def zip_with(name):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("notulen.txt", "notulen\n")
        z.writestr(name, b"MZ\x90\x00")
    return buf.getvalue()


PDF = b"%PDF-1.4\n" + b"0" * 3000
SECRET = b"%PDF-1.4\nGEHEIM DOSSIER " + b"1" * 3000


def spool_has(s, data):
    """Whether any file under the spool (queue, held posts, the archive) holds data as the post carried it."""
    needle = base64.b64encode(data)[:40]
    return subprocess.run(["grep", "-rqF", needle, s.path("spool")]).returncode == 0


def test_attachments_pass_wait_or_are_stripped_as_the_group_says():
    s = group()
    d = s.start()
    post(s, message("allow@example.org", files=[("verslag.pdf", "application/pdf", PDF)]))
    c = copy_of(s, "bart@example.org", "allow@example.org")
    assert names(c) == ["verslag.pdf"], names(c)

    s.ctl("group", "set", "pga", "--attachments", "hold")
    assert s.ctl_json("group", "show", "pga")["attachments"] == "hold"
    post(s, message("hold@example.org", files=[("verslag.pdf", "application/pdf", PDF)]))
    d.wait_for("hold@example.org> held")
    [h] = s.ctl_json("held", "list")
    assert "attachment" in h["reason"], h
    # a post without one still passes, and a moderator's with one too
    post(s, message("plain@example.org"))
    copy_of(s, "bart@example.org", "plain@example.org")
    m = message("modfile@example.org", files=[("plan.pdf", "application/pdf", PDF)])
    m.replace_header("From", "mod@example.org")
    post(s, m, sender="mod@example.org")
    assert names(copy_of(s, "bart@example.org", "modfile@example.org")) == ["plan.pdf"]

    s.ctl("group", "set", "pga", "--attachments", "strip")
    post(s, message("strip@example.org", files=[("dossier cliënt.pdf", "application/pdf", SECRET)]))
    c = copy_of(s, "bart@example.org", "strip@example.org")
    assert names(c) == [], names(c)
    text = "\n".join(p.get_content() for p in c.walk() if p.get_content_type() == "text/plain")
    assert "Zie de bijlage." in text, text
    assert "Bijlage verwijderd" in text and "dossier cliënt.pdf (application/pdf, 3 kB)" in text, text
    # what was stripped is kept nowhere: not in the queue, not in the archive, and not in the spool's
    # journal once its next checkpoint zeroed the record of the post as it came in (spool/README.md:
    # 200 ms after the listener fell idle)
    assert spool_has(s, PDF)
    wait_until(lambda: not spool_has(s, SECRET), timeout=5, what="the stripped attachment gone from the spool")
    s.ctl("group", "set", "pga", "--attachments", "default")
    assert s.ctl_json("group", "show", "pga")["attachments"] is None
    _, err = s.ctl("group", "set", "pga", "--attachments", "maybe", expect=1)
    assert "unknown attachments setting 'maybe'" in err, err
    d.stop()


def test_a_refused_kind_of_file_is_refused_from_anyone_and_its_author_told():
    s = group()
    d = s.start()
    post(s, message("exe@example.org", files=[("factuur.pdf.exe", "application/octet-stream", b"MZ\x90\x00")]))
    d.wait_for("exe@example.org> from anna@example.org refused: it carries factuur.pdf.exe")
    # by its type, whatever its name
    post(s, message("type@example.org", files=[("plaatje", "application/x-msdownload", b"MZ\x90\x00")]))
    d.wait_for("type@example.org> from anna@example.org refused: it carries plaatje (application/x-msdownload)")
    # a macro-enabled document inside a zip, and from a moderator: a phished moderator is the worst case
    m = message("zip@example.org", files=[("stukken.zip", "application/zip", zip_with("begroting.xlsm"))])
    m.replace_header("From", "mod@example.org")
    post(s, m, sender="mod@example.org")
    d.wait_for("zip@example.org> from mod@example.org refused: it carries begroting.xlsm in stukken.zip")
    # a zip of harmless files passes
    post(s, message("okzip@example.org", files=[("stukken.zip", "application/zip", zip_with("begroting.xlsx"))]))
    assert names(copy_of(s, "bart@example.org", "okzip@example.org")) == ["stukken.zip"]
    # nobody got a copy of the refused ones; their author was told why
    got = [m["Message-ID"] for m in outbox(s, "bart@example.org")]
    assert "<exe@example.org>" not in got and "<zip@example.org>" not in got, got
    told = [m for m in outbox(s, "anna@example.org") if "factuur.pdf.exe" in m.get_body().get_content()]
    assert told, [m["Subject"] for m in outbox(s, "anna@example.org")]
    d.stop()


HTML = ("<html><head><style>p {color: red}</style><title>x</title></head><body>"
        "<h1>Verslag</h1><p>Beste collega's,<br>hier het <b>verslag</b> van"
        " <a href=\"https://example.org/verslag\">de sessie</a>.</p>"
        "<ul><li>punt één</li><li>punt twee</li></ul><script>alert(1)</script></body></html>")


def test_an_html_only_post_becomes_plain_text_where_the_group_wants_text():
    s = group()
    d = s.start()
    post(s, message("keep@example.org", html=HTML))
    assert copy_of(s, "bart@example.org", "keep@example.org").get_content_type() == "text/html"
    s.ctl("group", "set", "pga", "--html", "text")
    assert s.ctl_json("group", "show", "pga")["html"] == "text"
    post(s, message("text@example.org", html=HTML))
    c = copy_of(s, "bart@example.org", "text@example.org")
    assert c.get_content_type() == "text/plain", c.get_content_type()
    text = c.get_content()
    assert text.startswith("Verslag\n\nBeste collega's,\nhier het verslag van de sessie <https://example.org/verslag>.\n\n"
                           "- punt één\n- punt twee\n"), text
    assert "alert" not in text and "color" not in text, text
    # a post with a plain text beside its HTML is no HTML-only post: left as it is
    m = message("alt@example.org", text="Platte tekst.\n")
    m.add_alternative(HTML, subtype="html")
    post(s, m)
    c = copy_of(s, "bart@example.org", "alt@example.org")
    assert c.get_content_type() == "multipart/alternative", c.get_content_type()
    d.stop()


RULES = """content = {
  header_rules = (
    { header = "X-Spam-Flag"; match = "^yes"; action = "hold"; },
    { header = "X-Spam-Level"; match = "[*]{10}"; action = "discard"; },
    { header = "X-Approved-By"; match = "^secretariaat$"; action = "accept"; }
  );
};
"""


def test_header_rules_hold_discard_or_accept():
    s = group(RULES)
    s.ctl("member", "add", "pga", "carla@example.org")
    s.ctl("group", "set", "pga", "--policy", "moderated")
    d = s.start()
    post(s, message("spam@example.org", extra=[("X-Spam-Flag", "YES")]))
    d.wait_for("spam@example.org> held")
    [h] = s.ctl_json("held", "list")
    assert h["reason"] == "a header rule holds it (X-Spam-Flag matches ^yes)", h
    post(s, message("junk@example.org", extra=[("X-Spam-Level", "*" * 12)]))
    d.wait_for("junk@example.org> from anna@example.org discarded: a header rule discards it")
    post(s, message("ok@example.org", extra=[("X-Approved-By", "secretariaat")]))
    copy_of(s, "bart@example.org", "ok@example.org")
    # held posts: still only the spam; the discarded one was answered to nobody
    assert [x["id"] for x in s.ctl_json("held", "list")] == [h["id"]]
    assert not any("junk" in (m["Subject"] or "") or "<junk@example.org>" == m["Message-ID"]
                   for m in outbox(s, "anna@example.org") + outbox(s, "bart@example.org"))
    d.stop()


def config_error(extra, marker):
    """mlistd -n's complaint about a config with extra in it, and the line of the config that holds marker."""
    s = Setup(extra_config=extra, init=False)
    proc = subprocess.run([os.environ["MLISTD"], "-n", "-c", s.config], capture_output=True, text=True)
    assert proc.returncode == 1, proc
    line = next(i for i, text in enumerate(open(s.config).read().split("\n"), 1) if marker in text)
    return s, line, proc.stderr


def test_a_broken_header_rule_is_named_with_its_file_and_line():
    s, line, err = config_error('content = {\n  header_rules = (\n    { header = "X-Spam-Flag";\n'
                                '      match = "([unclosed";\n      action = "hold"; }\n  );\n};\n', "unclosed")
    assert f"{s.config}:{line}: 'match': \"([unclosed\" is not a regular expression" in err, err
    s, line, err = config_error('content = { attachments = "sometimes"; };\n', "sometimes")
    assert f"{s.config}:{line}: 'attachments' must be" in err and "strip" in err, err
    s, line, err = config_error('content = {\n header_rules = ( { header = "X"; match = "y";\n action = "delete"; } );\n};\n',
                                "delete")
    assert f"{s.config}:{line}: 'action' must be" in err and "discard" in err, err
