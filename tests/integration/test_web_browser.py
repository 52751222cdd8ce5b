"""The web archive in a real browser: Debian's headless Chromium (see
browser.py) loads the login page, logs in as a person does, and reads the
home page, a group, a thread and search results, each at desktop
(1280x900) and phone (390x844) width.  What it checks is what Chromium
rendered: the Dutch words and the posts' text are there, nothing is wider
than a phone's screen, and no page ever holds anything active (a
<script>, an event handler, an <img>, a link off the archive), not even
when a post's subject, text, HTML part, author's name and attachment's
name are all hostile; the browser reports no console message, no dialog
and no Content-Security-Policy violation.

Screenshots of every page go to $MLIST_BUILD_DIR/web-screenshots (the
meson build folder; a temporary folder otherwise).  docs/web-thread.png in
README is web-thread-whole-desktop.png of
test_a_dutch_thread_reads_well_at_desktop_and_phone_width."""
import os
import re
import smtplib
import tempfile
import time
import urllib.parse
from email.message import EmailMessage

from browser import DESKTOP, PHONE, Chromium, audit, http_login, login_link, request
from harness import Setup, free_port, wait_until

DOMAIN = "lists.example.org"
GROUP = "pga-jeugd-amersfoort"
TITLE = "PGA Jeugd Amersfoort"


def screenshot_dir():
    base = os.environ.get("MLIST_BUILD_DIR")
    if not base:
        base = tempfile.mkdtemp(prefix="mlist-screenshots-")
        print(f"screenshots in {base}")
    path = os.path.join(base, "web-screenshots")
    os.makedirs(path, exist_ok=True)
    return path


def archive():
    """A group with three members and mlistd serving its web archive; returns (setup, daemon, port, url)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    s = Setup(listen=True, extra_config=f'web = {{ listen = "127.0.0.1:{port}"; url = "{url}"; }};\n')
    s.ctl("group", "add", GROUP, "--kind", "project", "--title", TITLE, "--policy", "members")
    for address, name in (("anna@example.org", "Anna de Vries"), ("bart@example.org", "Bart Jansen"),
                          ("chris@example.org", "Chris Bakker")):
        s.ctl("member", "add", GROUP, address, "--name", name)
    d = s.start()
    d.wait_for("web: serving")
    return s, d, port, url


def send(s, raw, sender):
    """Posts raw (bytes, lines ending in \\n) to the group over SMTP."""
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail(sender, [f"{GROUP}@{DOMAIN}"], raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))


def post(s, sender, name, subject, mid, text, reply_to=None, files=(), html=None):
    m = EmailMessage()
    m["From"] = f"{name} <{sender}>"
    m["To"] = f"{GROUP}@{DOMAIN}"
    m["Subject"] = subject
    m["Message-ID"] = f"<{mid}>"
    if reply_to:
        m["In-Reply-To"] = f"<{reply_to}>"
        m["References"] = f"<{reply_to}>"
    if html is not None:
        m.set_content(html, subtype="html")
    else:
        m.set_content(text)
    for filename, data in files:
        m.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    send(s, m.as_bytes(), sender)


def page(port, session, path):
    r, body = request(port, "GET", path, headers={"Cookie": f"mlist_session={session}"})
    return r.status, body.decode("utf-8", "replace")


def thread_id(port, session, subject_html):
    """Waits until the group's page lists the thread (by its subject as the page escapes it); its ID."""
    found = []

    def listed():
        _, body = page(port, session, f"/g/{GROUP}")
        m = re.search(r'<a href="/t/(\d+)">' + re.escape(subject_html) + "</a>", body)
        found[:] = [m.group(1)] if m else []
        return bool(found)
    wait_until(listed, what=f"thread {subject_html!r} on the group's page")
    return found[0]


def wait_for_page(port, session, path, needle, what):
    wait_until(lambda: needle in page(port, session, path)[1], what=what)


def wait_for_search(port, session, query, what):
    """Waits until searching for query finds something.  mlistd-web indexes new posts between requests,
    after it was idle a moment (INDEX_IDLE_MS): asking every 50 ms would keep it from ever doing so."""
    deadline = time.monotonic() + 30
    while "<mark>" not in page(port, session, "/search?q=" + urllib.parse.quote(query))[1]:
        assert time.monotonic() < deadline, f"{what}: not found by searching for {query!r} in 30s"
        time.sleep(2.5)


def show(browser, url, width, height, mobile, shots, name):
    """Loads url at the given size; checks it was a 200, fits the width and holds nothing active;
    saves a screenshot; returns the text the browser shows."""
    browser.viewport(width, height, mobile)
    shown = browser.open(url)
    status = browser.status(shown)
    assert status == 200, f"{url}: {status}"
    overflow = browser.js("[document.documentElement.scrollWidth, window.innerWidth]")
    assert overflow[0] <= overflow[1], f"{url} at {width}px is {overflow[0]}px wide: it scrolls sideways"
    audit(browser)
    browser.screenshot(os.path.join(shots, f"{name}-{'phone' if mobile else 'desktop'}.png"))
    return browser.text()


def no_problems(browser):
    assert browser.problems == [], "the browser reported:\n" + "\n".join(browser.problems)


def test_the_login_page_and_logging_in_work_in_a_real_browser():
    s, d, port, url = archive()
    shots = screenshot_dir()
    post(s, "anna@example.org", "Anna de Vries", "Welkom", "welkom@example.org", "Welkom in de groep.\n")
    browser = Chromium()
    for size in (PHONE, DESKTOP):
        text = show(browser, url + "login", *size, shots, "web-login")
        for words in ("Archief", "Inloggen", "E-mailadres", "Stuur mij een link"):
            assert words in text, (words, text)
        assert browser.js("document.documentElement.lang") == "nl"
        headers = browser.responses[url + "login"][1]
        assert "default-src 'self'" in headers["content-security-policy"], headers
        assert headers["x-content-type-options"] == "nosniff", headers
    # not logged in, a member's page leads to the login page
    assert browser.open(url + f"g/{GROUP}") == url + "login"

    # as a person does it: the address in the form, the link from the mail, the button
    browser.js("document.querySelector('input[name=address]').value = 'anna@example.org'")
    browser.click("main button[type=submit]")
    assert browser.status() == 200
    assert "Als dit adres bij een van onze groepen hoort" in browser.text()
    audit(browser)
    browser.open(url + login_link(s, "anna@example.org")[1:])
    assert "Klik op de knop om in te loggen." in browser.text()
    audit(browser)
    assert browser.click("main button[type=submit]") == url
    d.wait_for("web: anna@example.org logged in from 127.0.0.1")
    # the session cookie is the browser's to send, never the page's to read
    assert browser.js("document.cookie") == ""
    for size in (DESKTOP, PHONE):
        text = show(browser, url, *size, shots, "web-home")
        assert "Mijn groepen" in text and TITLE in text and "anna@example.org" in text, text
        chart = browser.js("[...document.querySelectorAll('svg.weeks rect')].length")
        assert chart >= 1, "the group's posts per week are not drawn"
    no_problems(browser)

    # a used link is spent
    browser.open(url + login_link(s, "anna@example.org")[1:])
    assert browser.status() == 410 and "Deze link werkt niet meer" in browser.text()
    # logging out ends the session: the archive asks to log in again
    browser.open(url)
    assert browser.click("header form[action='/logout'] button") == url + "login"
    assert browser.open(url + f"g/{GROUP}") == url + "login"

    # The problems list is no empty promise: content the archive's CSP forbids is reported.
    browser.js("document.body.insertAdjacentHTML('beforeend', '<img src=\"http://127.0.0.1:1/x.png\">')")
    wait_until(lambda: any("Content Security Policy" in p or "ContentSecurityPolicy" in p for p in browser.problems),
               timeout=10, what="a CSP violation reported by the browser")
    d.stop()


def test_a_dutch_thread_reads_well_at_desktop_and_phone_width():
    s, d, port, url = archive()
    shots = screenshot_dir()
    subject = "Planning bijeenkomst jongerenraad 14 maart"
    post(s, "anna@example.org", "Anna de Vries", subject, "planning-14-maart@example.org",
         "Beste allemaal,\n\n"
         "Op donderdag 14 maart komt de jongerenraad weer bij elkaar, van 19.00 tot 21.00 uur in\n"
         "buurthuis De Kruiskamp. Op de agenda staan de begroting voor het zomerprogramma en de\n"
         "evaluatie van de sportavonden.\n\n"
         "Laten jullie voor vrijdag weten of je erbij bent?\n\n"
         "Groet,\nAnna\n"
         "-- \nAnna de Vries\nProjectleider PGA Jeugd Amersfoort\n06-12345678\n")
    post(s, "bart@example.org", "Bart Jansen", "Re: " + subject, "re1-planning@example.org",
         "Anna de Vries schreef:\n"
         "> Op de agenda staan de begroting voor het zomerprogramma en de\n"
         "> evaluatie van de sportavonden.\n\n"
         "Ik ben erbij. Zal ik de cijfers van de sportavonden meenemen? Dan leggen we de\n"
         "begroting meteen naast de opkomst.\n\nBart\n",
         reply_to="planning-14-maart@example.org")
    post(s, "chris@example.org", "Chris Bakker", "Re: " + subject, "re2-planning@example.org",
         "Hoi Anna en Bart,\n\n"
         "Ik kom ook. In de bijlage een eerste opzet van de agenda; vul gerust aan.\n\nChris\n",
         reply_to="re1-planning@example.org",
         files=[("agenda-14-maart.pdf", b"%PDF-1.4\n% agenda jongerenraad\n" + b"0" * 20000)])
    session = http_login(s, port, "bart@example.org")
    tid = thread_id(port, session, subject)
    wait_for_page(port, session, f"/t/{tid}", "agenda-14-maart.pdf", "the third post in the thread")
    wait_for_search(port, session, "begroting", "the thread")

    browser = Chromium()
    browser.set_cookie(url, "mlist_session", session)
    for size in (DESKTOP, PHONE):
        text = show(browser, url + f"g/{GROUP}", *size, shots, "web-group")
        assert browser.js("document.querySelector('main h1').textContent") == TITLE
        assert "Gesprekken" in text and subject in text and "Laatst actief" in text, text

        text = show(browser, url + f"t/{tid}", *size, shots, "web-thread")
        assert browser.js("document.querySelector('main h1').textContent") == subject
        assert browser.js("document.querySelectorAll('main article').length") == 3
        for words in ("Anna de Vries", "Bart Jansen", "Chris Bakker", "buurthuis De Kruiskamp",
                      "Ik ben erbij.", "Ik kom ook.", "Bijlagen", "agenda-14-maart.pdf"):
            assert words in text, (words, text)
        # what Bart quoted and Anna's signature are folded away, named in Dutch
        folded = browser.js("[...document.querySelectorAll('main details')].map(d => "
                            "[d.className, d.open, d.querySelector('summary').textContent])")
        assert ["quoted", False, "Geciteerde tekst"] in folded, folded
        assert ["signature", False, "Ondertekening"] in folded, folded
        assert "06-12345678" not in text, "the signature is not folded away"
        link = browser.js("document.querySelector('ul.attachments a').getAttribute('href')")
        assert re.fullmatch(r"/a/\d+/1", link), link
        browser.screenshot(os.path.join(shots, f"web-thread-whole-{'phone' if size[2] else 'desktop'}.png"), full=True)

        text = show(browser, url + "search?q=begroting", *size, shots, "web-search")
        assert "Zoekresultaten voor: begroting" in text, text
        marks = browser.js("[...document.querySelectorAll('main mark')].map(m => m.textContent.toLowerCase())")
        assert marks and set(marks) == {"begroting"}, marks
        assert browser.js("document.querySelector('main input[name=q]').value") == "begroting"
        assert browser.js("document.querySelectorAll('main article').length") == 2
    # the search box in the header leads to the same page
    browser.viewport(*DESKTOP)
    browser.open(url)
    browser.js("document.querySelector('header input[name=q]').value = 'sportavonden'")
    assert browser.click("header form.search button") == url + "search?q=sportavonden"
    assert browser.js("document.querySelectorAll('main mark').length") >= 1
    no_problems(browser)
    d.stop()


HOSTILE_SUBJECT = "<script>alert(1)</script>"
HOSTILE_TEXT = "Kijk eens: <img src=x onerror=alert(2)>\n\"><iframe src=javascript:alert(3)></iframe>\n"
HOSTILE_NAME = '"><svg onload=alert(4)>'
HOSTILE_FILE = '"><img src=x onerror=alert(5)>.pdf'
HOSTILE_HTML = ('<html><head><style>body{display:none}</style><script>alert(6)</script></head><body>'
                '<p>Klik <a href="javascript:alert(7)">hier</a> voor de notulen.</p>'
                '<img src="x" onerror="alert(8)"><iframe src="javascript:alert(9)"></iframe>'
                '<form action="https://evil.example/"><input name="p"></form>'
                '<a href="https://evil.example/" onclick="alert(10)">nog een link</a></body></html>')


def test_hostile_posts_show_only_as_text():
    s, d, port, url = archive()
    shots = screenshot_dir()
    m = EmailMessage()
    m["From"] = "Bart <bart@example.org>"
    m["To"] = f"{GROUP}@{DOMAIN}"
    m["Subject"] = HOSTILE_SUBJECT
    m["Message-ID"] = "<hostile-1@example.org>"
    m.set_content(HOSTILE_TEXT)
    m.add_attachment(b"%PDF-1.4\n", maintype="application", subtype="pdf", filename=HOSTILE_FILE)
    raw = m.as_bytes().replace(b"From: Bart <bart@example.org>",
                               b'From: "' + HOSTILE_NAME.replace('"', '\\"').encode() + b'" <bart@example.org>')
    send(s, raw, "bart@example.org")
    post(s, "anna@example.org", "Anna", "Notulen", "hostile-2@example.org", None, html=HOSTILE_HTML)
    session = http_login(s, port, "anna@example.org")
    tid = thread_id(port, session, "&lt;script&gt;alert(1)&lt;/script&gt;")
    html_tid = thread_id(port, session, "Notulen")
    wait_for_search(port, session, "notulen", "the HTML post")
    wait_for_search(port, session, "alert", "the hostile posts")

    browser = Chromium()
    browser.set_cookie(url, "mlist_session", session)
    for size in (DESKTOP, PHONE):
        text = show(browser, url + f"g/{GROUP}", *size, shots, "web-hostile-group")
        assert HOSTILE_SUBJECT in text, text

        text = show(browser, url + f"t/{tid}", *size, shots, "web-hostile-thread")
        assert browser.js("document.querySelector('main h1').textContent") == HOSTILE_SUBJECT
        assert browser.js("document.title") == HOSTILE_SUBJECT
        for words in ("<img src=x onerror=alert(2)>", '"><iframe src=javascript:alert(3)></iframe>', HOSTILE_NAME,
                      "onerror=alert(5)"):
            assert words in text, (words, text)
        link = browser.js("document.querySelector('ul.attachments a').getAttribute('href')")
        assert re.fullmatch(r"/a/\d+/1", link), link

        text = show(browser, url + f"t/{html_tid}", *size, shots, "web-hostile-html")
        assert "(HTML-bericht, als tekst getoond)" in text, text
        # the link's text stays; a javascript: target is dropped (html_text), an https one shown as text
        assert "Klik hier voor de notulen." in text and "nog een link <https://evil.example/>" in text, text
        assert "alert(6)" not in text and "display:none" not in text, "a script or style of the post is shown"

        text = show(browser, url + "search?q=alert", *size, shots, "web-hostile-search")
        assert browser.js("document.querySelectorAll('main mark').length") >= 1
        assert HOSTILE_SUBJECT in text, text

        typed = HOSTILE_SUBJECT + ' "><img src=x onerror=alert(11)>'
        text = show(browser, url + "search?q=" + urllib.parse.quote(typed), *size, shots, "web-hostile-query")
        assert browser.js("document.querySelector('main h1').textContent") == "Zoekresultaten voor: " + typed
        assert browser.js("document.querySelector('main input[name=q]').value") == typed

    # Archived-At: a post by its Message-ID is its place in its thread
    assert browser.open(url + "m/" + urllib.parse.quote("hostile-1@example.org")).startswith(url + f"t/{tid}#m")
    audit(browser)
    no_problems(browser)
    d.stop()
