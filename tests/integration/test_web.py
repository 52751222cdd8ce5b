"""The members' web archive with a real HTTP client (http.client) against
the real mlistd, which starts mlistd-web: logging in by a mailed link
(the same answer for any address, single use, 15 minutes, rate limited),
sessions and their revocation, who may read what (member in any mode,
follow-line member, moderator; everyone else gets 404 and finds nothing
in search), hostile content shown only as text, attachments only as
downloads, settings, one-click unsubscribe, and the strict request
reader."""
import http.client
import os
import re
import smtplib
import socket
import ssl
import subprocess
import sqlite3
import time
from email.message import EmailMessage

from harness import Setup, free_port, outbox, wait_until

DOMAIN = "lists.example.org"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class Web:
    """A running mlistd with the web archive on a loopback port."""

    def __init__(self, tls=False):
        self.port = free_port()
        self.tls = tls
        self.s = Setup(listen=True, init=False)
        tls_config = ""
        if tls:
            # a throw-away certificate; mlistd-web reads it as the unprivileged account, so it must be readable
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                            "/CN=127.0.0.1", "-keyout", self.s.path("web.key"), "-out", self.s.path("web.crt")],
                           check=True, capture_output=True)
            os.chmod(self.s.path("web.key"), 0o644)
            tls_config = 'certificate = "web.crt"; key = "web.key"; '
        scheme = "https" if tls else "http"
        with open(self.s.config) as f:
            config = f.read()
        self.s.write_config(config + f'web = {{ listen = "127.0.0.1:{self.port}"; '
                                     f'url = "{scheme}://127.0.0.1:{self.port}/"; {tls_config}}};\n')
        self.s.ctl("init")
        self.d = None

    def start(self):
        self.d = self.s.start()
        self.d.wait_for("web: serving")
        return self

    def request(self, method, path, body=None, cookie=None, headers=None):
        h = dict(headers or {})
        if body is not None:
            h.update(FORM)
        if cookie:
            h["Cookie"] = cookie
        if self.tls:
            c = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=10,
                                            context=ssl._create_unverified_context())
        else:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read().decode("utf-8", "replace") if method != "HEAD" else ""
        c.close()
        return r, data

    def get(self, path, session=None):
        return self.request("GET", path, cookie=f"mlist_session={session}" if session else None)

    def post(self, path, body, session=None, cookie=None):
        return self.request("POST", path, body, cookie=cookie or (f"mlist_session={session}" if session else None))

    def ask_link(self, address):
        r, page = self.get("/login")
        assert r.status == 200
        form = re.search(r'name="form" value="([0-9a-f]{32})"', page).group(1)
        return self.post("/login", f"form={form}&address={address.replace('@', '%40')}", cookie=f"mlist_form={form}")

    def link_mails(self, address):
        return [m for m in outbox(self.s, address) if "/login/" in body_of(m)]

    def login(self, address):
        before = len(self.link_mails(address))
        r, _ = self.ask_link(address)
        assert r.status == 200
        wait_until(lambda: len(self.link_mails(address)) > before, what=f"a login mail to {address}")
        link = re.search(r"https?://127\.0\.0\.1:\d+(/login/[0-9a-f]{32})", body_of(self.link_mails(address)[-1])).group(1)
        return self.use_link(link)

    def use_link(self, link):
        """Opens the link as a person does (GET, then the button): the session, or None with the last answer."""
        r, page = self.get(link)
        if r.status != 200:
            return None, r
        form = re.search(r'name="form" value="([0-9a-f]{32})"', page).group(1)
        r, _ = self.post(link, f"form={form}", cookie=f"mlist_form={form}")
        m = re.search(r"mlist_session=([0-9a-f]{32})", r.getheader("Set-Cookie") or "")
        return (m.group(1) if m and r.status == 303 else None), r

    def csrf(self, session):
        _, page = self.get("/settings", session)
        return re.search(r'name="csrf" value="([0-9a-f]{32})"', page).group(1)

    def send(self, m, sender, to):
        with smtplib.SMTP("127.0.0.1", self.s.smtp_port) as smtp:
            smtp.sendmail(sender, [to], m.as_bytes().replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n"))

    def count(self, query):
        [(n,)] = self.sql(query)
        return n

    def archived(self, n):
        wait_until(lambda: self.count("SELECT count(*) FROM messages WHERE archived = 1") >= n,
                   what=f"{n} posts archived")

    def indexed(self, n):
        wait_until(lambda: self.count("SELECT count(*) FROM web_search") >= n,
                   what=f"{n} posts in the search index")

    def sql(self, query, *args):
        db = sqlite3.connect(self.s.store)
        try:
            with db:
                return db.execute(query, args).fetchall()
        finally:
            db.close()


def body_of(m):
    part = m.get_body(("plain",)) if m.is_multipart() else m
    return part.get_content() if part is not None else ""


def message(mid, subject, text, sender="Anna Jansen <anna@example.org>", to=f"pga@{DOMAIN}", files=(), reply_to=None,
            html=None):
    m = EmailMessage()
    m["From"] = sender
    m["To"] = to
    m["Subject"] = subject
    m["Message-ID"] = f"<{mid}>"
    if reply_to:
        m["In-Reply-To"] = f"<{reply_to}>"
        m["References"] = f"<{reply_to}>"
    m.set_content(text)
    if html is not None:
        m.add_alternative(html, subtype="html")
    for name, ctype, data in files:
        maintype, subtype = ctype.split("/")
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return m


def programme():
    """A change line with two projects, another project outside it, and who is where."""
    w = Web()
    ctl = w.s.ctl
    ctl("group", "add", "zorg", "--kind", "change-line", "--title", "Zorg dichtbij")
    ctl("group", "add", "pga", "--kind", "project", "--title", "Project Gezonde Aanpak", "--policy", "open")
    ctl("group", "add", "wijk", "--kind", "project", "--title", "Wijkteams", "--policy", "open")
    ctl("group", "add", "recht", "--kind", "project", "--title", "Snelrecht", "--policy", "open")
    ctl("group", "link", "pga", "zorg")
    ctl("group", "link", "wijk", "zorg")
    ctl("member", "add", "pga", "anna@example.org", "--name", "Anna Jansen")
    ctl("member", "add", "recht", "rob@example.org")
    ctl("member", "add", "zorg", "lijn@example.org", "--follow-line")
    ctl("member", "add", "wijk", "digest@example.org", "--mode", "digest")
    ctl("member", "add", "wijk", "nomail@example.org", "--mode", "nomail")
    ctl("moderator", "add", "recht", "mod@example.org")
    ctl("member", "add", "recht", "outsider-but-known@example.org")
    ctl("member", "remove", "recht", "outsider-but-known@example.org")
    w.start()
    w.send(message("pga-1@example.org", "Ervaringen met de pilot", "Onze pilot in Zwolle loopt goed.\n"),
           "anna@example.org", f"pga@{DOMAIN}")
    w.send(message("wijk-1@example.org", "Wijkteam overleg", "Het wijkteam bespreekt de huisbezoeken.\n",
                   sender="Wim <wim@example.org>", to=f"wijk@{DOMAIN}"), "wim@example.org", f"wijk@{DOMAIN}")
    w.send(message("recht-1@example.org", "Geheim dossier snelrecht", "Vertrouwelijk: zittingsplanning.\n",
                   sender="Rob <rob@example.org>", to=f"recht@{DOMAIN}"), "rob@example.org", f"recht@{DOMAIN}")
    w.archived(3)
    return w


def thread_id(w, message_id):
    [(tid,)] = w.sql("SELECT mg.thread_id FROM messages m JOIN message_groups mg ON mg.message_id = m.id"
                     " WHERE m.message_id = ?", message_id)
    return tid


def post_id(w, message_id):
    [(pid,)] = w.sql("SELECT id FROM messages WHERE message_id = ?", message_id)
    return pid


def find_message_id(w, needle):
    [(mid,)] = w.sql("SELECT message_id FROM messages WHERE message_id LIKE ?", f"%{needle}%")
    return mid


def test_login_answers_alike_for_any_address_and_mails_only_members():
    w = programme()
    r1, page1 = w.ask_link("anna@example.org")
    r2, page2 = w.ask_link("nobody@example.org")
    r3, page3 = w.ask_link("outsider-but-known@example.org")
    assert r1.status == r2.status == r3.status == 200
    strip = lambda p: re.sub(r'value="[0-9a-f]{32}"', "", p)
    assert strip(page1) == strip(page2) == strip(page3)
    assert "onderweg" in page1
    wait_until(lambda: len(w.link_mails("anna@example.org")) == 1, what="anna's link")
    mail = w.link_mails("anna@example.org")[0]
    assert mail["From"].addresses[0].addr_spec == f"pga-request@{DOMAIN}"
    assert "15" in body_of(mail)
    time.sleep(1)
    assert w.link_mails("nobody@example.org") == []
    assert w.link_mails("outsider-but-known@example.org") == []
    # the store holds only hashes of the links
    for (h,) in w.sql("SELECT token_hash FROM web_logins"):
        assert len(h) == 64
    link = re.search(r"/login/([0-9a-f]{32})", body_of(mail)).group(1)
    assert w.sql("SELECT count(*) FROM web_logins WHERE token_hash = ?", link) == [(0,)]


def test_login_link_opens_one_session_once_and_expires():
    w = programme()
    w.ask_link("anna@example.org")
    wait_until(lambda: w.link_mails("anna@example.org"), what="a login mail")
    link = re.search(r"(/login/[0-9a-f]{32})", body_of(w.link_mails("anna@example.org")[0])).group(1)
    # a mail scanner fetching the link does not use it up
    for _ in range(3):
        r, page = w.get(link)
        assert r.status == 200 and "<form" in page
    session, r = w.use_link(link)
    assert session and r.getheader("Location") == "/"
    cookie = r.getheader("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=2592000" in cookie
    assert "Secure" not in cookie  # plain http on loopback
    r, page = w.get("/", session)
    assert r.status == 200 and "Mijn groepen" in page
    # used: a second session cannot be opened with it
    again, r = w.use_link(link)
    assert again is None and r.status == 410
    # expired
    w.ask_link("anna@example.org")
    wait_until(lambda: len(w.link_mails("anna@example.org")) == 2, what="a second login mail")
    link2 = re.search(r"(/login/[0-9a-f]{32})", body_of(w.link_mails("anna@example.org")[1])).group(1)
    w.sql("UPDATE web_logins SET expires = ?", int(time.time()) - 1)
    r, page = w.get(link2)
    assert r.status == 410 and "verlopen" in page
    # made-up and malformed links
    assert w.get("/login/" + "0" * 32)[0].status == 410
    assert w.get("/login/xyz")[0].status == 410


def test_login_forms_need_their_own_form_token():
    w = programme()
    r, _ = w.post("/login", "address=anna%40example.org")
    assert r.status == 403
    r, _ = w.post("/login", "form=" + "a" * 32 + "&address=anna%40example.org", cookie="mlist_form=" + "b" * 32)
    assert r.status == 403
    time.sleep(1)
    assert w.link_mails("anna@example.org") == []


def test_asking_for_links_is_rate_limited_per_address_and_per_client():
    w = programme()
    for _ in range(3):
        assert w.ask_link("anna@example.org")[0].status == 200
    r, page = w.ask_link("anna@example.org")
    assert r.status == 429 and r.getheader("Retry-After") == "900"
    for i in range(6):
        assert w.ask_link(f"other{i}@example.org")[0].status == 200
    # the client's tenth ask was the last
    assert w.ask_link("rob@example.org")[0].status == 429
    wait_until(lambda: len(w.link_mails("anna@example.org")) == 3, what="three links")
    time.sleep(1)
    assert len(w.link_mails("anna@example.org")) == 3
    assert w.link_mails("rob@example.org") == []


def test_logged_out_gets_the_login_page_and_posts_are_refused():
    w = programme()
    for path in ("/", "/g/pga", "/t/1", "/search?q=pilot", "/settings", "/a/1/1", "/m/x%40y"):
        r, _ = w.get(path)
        assert r.status == 303 and r.getheader("Location") == "/login", path
    r, _ = w.post("/settings", "group=pga&action=leave")
    assert r.status == 403
    assert w.get("/", "f" * 32)[0].status == 303  # no such session


def test_member_reads_their_group_and_nothing_else():
    w = programme()
    session, _ = w.login("anna@example.org")
    r, home = w.get("/", session)
    assert "Project Gezonde Aanpak" in home and "Snelrecht" not in home and "Wijkteams" not in home
    assert "<svg" in home
    r, page = w.get("/g/pga", session)
    assert r.status == 200 and "Ervaringen met de pilot" in page
    r, page = w.get(f"/t/{thread_id(w, find_message_id(w, 'pga-1'))}", session)
    assert r.status == 200 and "Onze pilot in Zwolle loopt goed." in page and "Anna Jansen" in page
    # another group: not found, however it is asked for
    secret = find_message_id(w, "recht-1")
    for path in ("/g/recht", f"/t/{thread_id(w, secret)}", f"/a/{post_id(w, secret)}/1",
                 "/m/" + secret.replace("@", "%40").replace("<", "%3C").replace(">", "%3E"), "/g/nosuchgroup",
                 "/t/999999"):
        r, page = w.get(path, session)
        assert r.status == 404, path
        assert "Geheim" not in page and "zittingsplanning" not in page
    w.indexed(3)
    r, page = w.get("/search?q=zittingsplanning", session)
    assert r.status == 200 and "Niets gevonden" in page and "Geheim" not in page
    r, page = w.get("/search?q=pilot", session)
    assert "<mark>pilot</mark>" in page
    # the Archived-At of anna's copy leads to the post in its thread
    copy = next(m for m in outbox(w.s, "anna@example.org") if m["Message-ID"] == "<pga-1@example.org>")
    archived_at = copy["Archived-At"].strip("<>")
    path = archived_at.split(f":{w.port}", 1)[1]
    r, _ = w.get(path, session)
    assert r.status == 303 and re.fullmatch(r"/t/\d+#m\d+", r.getheader("Location"))
    assert copy["List-Archive"].strip("<>").endswith("/g/pga")


def test_follow_line_member_digest_nomail_and_moderator_read_what_they_should():
    w = programme()
    lijn, _ = w.login("lijn@example.org")
    _, home = w.get("/", lijn)
    assert "Zorg dichtbij" in home and "Project Gezonde Aanpak" in home and "Wijkteams" in home
    assert "Snelrecht" not in home
    assert w.get("/g/wijk", lijn)[0].status == 200 and w.get("/g/recht", lijn)[0].status == 404
    for reader in ("digest@example.org", "nomail@example.org"):
        session, _ = w.login(reader)
        r, page = w.get("/g/wijk", session)
        assert r.status == 200 and "Wijkteam overleg" in page, reader
        assert w.get("/g/pga", session)[0].status == 404
    mod, _ = w.login("mod@example.org")
    r, page = w.get("/g/recht", mod)
    assert r.status == 200 and "Geheim dossier snelrecht" in page
    w.indexed(3)
    _, page = w.get("/search?q=wijkteam", lijn)
    assert "Wijkteam overleg" in page
    _, page = w.get("/search?q=wijkteam", mod)
    assert "Niets gevonden" in page


def test_without_web_history_a_member_sees_only_what_came_after_joining():
    w = programme()
    w.s.ctl("group", "set", "pga", "--web-history", "off")
    old = int(time.time()) - 3600
    w.sql("UPDATE messages SET received = ?", old)
    w.s.ctl("member", "add", "pga", "nieuw@example.org")
    session, _ = w.login("nieuw@example.org")
    _, page = w.get("/g/pga", session)
    assert "Ervaringen met de pilot" not in page and "Nog geen gesprekken" in page
    assert w.get(f"/t/{thread_id(w, find_message_id(w, 'pga-1'))}", session)[0].status == 404
    anna, _ = w.login("anna@example.org")
    w.sql("UPDATE subscriptions SET created = ? WHERE member_id = (SELECT id FROM members WHERE address = ?)",
          old - 60, "anna@example.org")
    assert "Ervaringen met de pilot" in w.get("/g/pga", anna)[1]
    w.s.ctl("group", "set", "pga", "--web-history", "on")
    assert "Ervaringen met de pilot" in w.get("/g/pga", session)[1]


def test_each_group_draws_its_own_weeks():
    """The chart of posts per week: this week's bar on the right, an older week further left, another
    group's posts never in it, nothing older than 26 weeks."""
    w = programme()
    for mid, subject in (("pga-2@example.org", "Tweede bericht"), ("pga-3@example.org", "Derde bericht"),
                         ("pga-4@example.org", "Oud bericht")):
        w.send(message(mid, subject, "Meer over de pilot.\n"), "anna@example.org", f"pga@{DOMAIN}")
    w.archived(6)
    week = 7 * 24 * 3600
    w.sql("UPDATE messages SET received = received - 3 * ? - 3600 WHERE message_id = 'pga-2@example.org'", week)
    w.sql("UPDATE messages SET received = received - 40 * ? WHERE message_id = 'pga-4@example.org'", week)
    session, _ = w.login("lijn@example.org")  # follows zorg: reads pga and wijk
    _, home = w.get("/", session)

    def bars(group):
        row = re.search(r'<tr[^>]*><td><a href="/g/' + group + r'">.*?</tr>', home, re.S).group(0)
        return [(int(x), int(h)) for x, h in re.findall(r'<rect x="(\d+)" y="\d+" width="3" height="(\d+)"/>', row)]

    # pga: two posts this week (the full bar), one three weeks ago (about half), the old one not drawn
    assert bars("pga") == [(22 * 4, 1 + 19 // 2), (25 * 4, 20)], bars("pga")
    assert bars("wijk") == [(25 * 4, 20)], bars("wijk")
    assert bars("zorg") == [], bars("zorg")


def test_a_post_archived_after_later_ones_is_found():
    """Search finds a post archived after posts that came in after it (held, then approved), and lists
    it by when it came in, as its date shows."""
    w = programme()
    w.s.ctl("group", "set", "pga", "--policy", "moderated")
    w.s.ctl("moderator", "add", "pga", "mod@example.org")
    w.send(message("pga-held@example.org", "Vastgehouden bericht", "Over de kwartiermaker.\n"),
           "anna@example.org", f"pga@{DOMAIN}")
    wait_until(lambda: w.s.ctl_json("held", "list"), what="the post held")
    w.s.ctl("group", "set", "pga", "--policy", "open")
    w.send(message("pga-later@example.org", "Later bericht", "Ook over de kwartiermaker.\n"),
           "anna@example.org", f"pga@{DOMAIN}")
    w.archived(4)
    w.indexed(4)
    [held] = w.s.ctl_json("held", "list")
    w.s.ctl("held", "approve", str(held["id"]))
    w.archived(5)
    w.indexed(5)
    assert w.count("SELECT count(*) FROM web_unindexed") == 0
    session, _ = w.login("anna@example.org")
    _, page = w.get("/search?q=kwartiermaker", session)
    assert "Vastgehouden bericht" in page, page
    assert page.index("Later bericht") < page.index("Vastgehouden bericht"), "newest first"


def test_unread_counts_and_the_persons_language():
    w = programme()
    session, _ = w.login("anna@example.org")
    _, home = w.get("/", session)
    assert "1 nieuw" in home
    w.get("/g/pga", session)
    _, home = w.get("/", session)
    assert "nieuw" not in home
    w.s.ctl("group", "set", "pga", "--language", "en")
    _, home = w.get("/", session)
    assert "My groups" in home and '<html lang="en">' in home


def test_revoked_sessions_and_logout_end_access():
    w = programme()
    one, _ = w.login("anna@example.org")
    two, _ = w.login("anna@example.org")
    assert w.get("/", one)[0].status == 200 and w.get("/", two)[0].status == 200
    r, _ = w.post("/logout", "csrf=" + "0" * 32, one)
    assert r.status == 403 and w.get("/", one)[0].status == 200
    r, _ = w.post("/logout", "csrf=" + w.csrf(one), one)
    assert r.status == 303 and "Max-Age=0" in r.getheader("Set-Cookie")
    assert w.get("/", one)[0].status == 303
    assert w.get("/", two)[0].status == 200
    out, _ = w.s.ctl("web", "revoke", "anna@example.org")
    assert "ended 1 web session" in out
    assert w.get("/", two)[0].status == 303
    # each session has its own form token
    three, _ = w.login("anna@example.org")
    assert w.post("/logout", "csrf=" + "0" * 32, three)[0].status == 403


def test_hostile_content_is_only_ever_text():
    w = programme()
    hostile = message("evil-1@example.org", '<script>alert("s")</script> "onmouseover=alert(1)',
                      "<img src=x onerror=alert(1)> <a href=\"javascript:alert(2)\">klik</a>\n"
                      "<style>body{display:none}</style> </textarea></div><!--\n",
                      sender='"<svg onload=alert(3)>" <anna@example.org>',
                      html='<p onclick="alert(4)">HTML <script>alert(5)</script><a href="javascript:x">j</a></p>',
                      files=[('"><script>alert(6)</script>.pdf', "application/pdf", b"%PDF-1.4 <script>")])
    w.send(hostile, "anna@example.org", f"pga@{DOMAIN}")
    w.archived(4)
    session, _ = w.login("anna@example.org")
    pages = [w.get("/", session)[1], w.get("/g/pga", session)[1],
             w.get(f"/t/{thread_id(w, find_message_id(w, 'evil-1'))}", session)[1]]
    w.indexed(4)
    pages.append(w.get("/search?q=alert", session)[1])
    pages.append(w.get("/search?q=%3Cscript%3E%22", session)[1])
    for page in pages:
        assert "<script" not in page.lower()
        assert not re.search(r"<[^>]*\son\w+\s*=", page, re.I), "an event handler in a tag"
        assert 'href="javascript' not in page.lower()
        assert "<img" not in page and "<style" not in page and "<svg onload" not in page
    thread = pages[2]
    assert "&lt;script&gt;alert(&quot;s&quot;)&lt;/script&gt;" in thread
    assert "&lt;img src=x onerror=alert(1)&gt;" in thread
    assert "&lt;svg onload=alert(3)&gt;" in thread
    r, data = w.get(f"/a/{post_id(w, find_message_id(w, 'evil-1'))}/1", session)
    assert r.status == 200 and r.getheader("Content-Type") == "application/octet-stream"
    assert r.getheader("Content-Disposition").startswith("attachment; filename*=UTF-8''")
    assert "<" not in r.getheader("Content-Disposition") and '"' not in r.getheader("Content-Disposition")
    assert data == "%PDF-1.4 <script>"
    assert w.get(f"/a/{post_id(w, find_message_id(w, 'evil-1'))}/2", session)[0].status == 404


def test_every_answer_carries_the_security_headers():
    w = programme()
    session, _ = w.login("anna@example.org")
    r, _ = w.get("/login")
    assert r.status == 200 and r.getheader("Content-Security-Policy")
    for path, status in (("/login", 303), ("/", 200), ("/nope", 404), ("/g/recht", 404), ("/style.css", 200),
                         ("/%zz", 400)):
        r, _ = w.get(path, session)
        assert r.status == status, path
        csp = r.getheader("Content-Security-Policy")
        assert csp.startswith("default-src 'self'") and "frame-ancestors 'none'" in csp and "script" not in csp
        assert r.getheader("X-Content-Type-Options") == "nosniff"
        assert r.getheader("Referrer-Policy") == "no-referrer"
        assert r.getheader("X-Frame-Options") == "DENY"
    assert w.get("/", session)[0].getheader("Cache-Control") == "no-store"


def test_strict_request_reading():
    w = programme()
    session, _ = w.login("anna@example.org")
    for path in ("/g/pga%00", "/g/%0a", "/t/1<x>", "/search?q=%", "/search?q=%4", "/g/p\"ga", "/g/%C0%80\x7f"):
        with socket.create_connection(("127.0.0.1", w.port), timeout=10) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nCookie: mlist_session={session}\r\n"
                         "Connection: close\r\n\r\n".encode("latin-1"))
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        status = int(answer.split(b" ", 2)[1])
        assert status in (400, 404), (path, status)
        assert b"Content-Security-Policy" in answer
    for path in ("/t/0", "/t/01", "/t/-1", "/t/abc", "/a/1", "/a/1/0", "/a/1/2/3", "/g/", "/login/", "/g/a/b"):
        assert w.get(path, session)[0].status == 404, path
    assert w.get("/g/pga?page=abc", session)[0].status == 400
    assert w.get("/g/pga?page=1", session)[0].status == 200
    r, _ = w.request("PUT", "/", cookie=f"mlist_session={session}")
    assert r.status == 405 and "POST" in r.getheader("Allow")
    r, _ = w.post("/settings", "x=" + "a" * 20000, session)
    assert r.status == 413
    r, _ = w.request("HEAD", "/login")
    assert r.status == 200


def test_settings_change_mode_and_leave_with_goodbye():
    w = programme()
    session, _ = w.login("lijn@example.org")
    _, page = w.get("/settings", session)
    assert 'name="follow_line"' in page and "checked" in page
    csrf = w.csrf(session)
    assert w.post("/settings", "group=zorg&action=save&mode=digest", session)[0].status == 403
    r, _ = w.post("/settings", f"csrf={csrf}&group=zorg&action=save&mode=digest", session)
    assert r.status == 303 and r.getheader("Location") == "/settings?done=saved"
    assert w.sql("SELECT s.mode, s.follow_line FROM subscriptions s JOIN members m ON m.id = s.member_id"
                 " WHERE m.address = 'lijn@example.org'") == [("digest", 0)]
    assert w.get("/g/wijk", session)[0].status == 404  # no longer following the line
    assert "Opgeslagen" in w.get("/settings?done=saved", session)[1]
    assert w.post("/settings", f"csrf={csrf}&group=zorg&action=save&mode=weekly", session)[0].status == 400
    assert w.post("/settings", f"csrf={csrf}&group=recht&action=leave", session)[0].status == 404
    r, _ = w.post("/settings", f"csrf={csrf}&group=zorg&action=leave", session)
    assert r.status == 303
    assert w.sql("SELECT count(*) FROM subscriptions s JOIN members m ON m.id = s.member_id"
                 " WHERE m.address = 'lijn@example.org'") == [(0,)]
    wait_until(lambda: any("zorg-request@" in m["From"] and "/login/" not in body_of(m)
                           for m in outbox(w.s, "lijn@example.org")), what="the goodbye")
    w.d.wait_for("web: lijn@example.org left zorg")


def test_one_click_unsubscribe_posts_and_a_get_only_asks():
    w = programme()
    copy = next(m for m in outbox(w.s, "anna@example.org") if m["Message-ID"] == "<pga-1@example.org>")
    assert copy["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.search(r"<(http://[^>]+/unsubscribe/[^>]+)>", copy["List-Unsubscribe"]).group(1)
    path = link.split(f":{w.port}", 1)[1]
    for _ in range(2):
        r, page = w.get(path)
        assert r.status == 200 and "<button" in page
    assert w.sql("SELECT count(*) FROM subscriptions s JOIN members m ON m.id = s.member_id"
                 " WHERE m.address = 'anna@example.org'") == [(1,)]
    forged = path[:-4] + ("0000" if not path.endswith("0000") else "1111")
    assert w.post(forged, "List-Unsubscribe=One-Click")[0].status == 404
    r, page = w.post(path, "List-Unsubscribe=One-Click")
    assert r.status == 200 and "afgemeld" in page
    assert w.sql("SELECT count(*) FROM subscriptions s JOIN members m ON m.id = s.member_id"
                 " WHERE m.address = 'anna@example.org'") == [(0,)]
    w.d.wait_for("web: anna@example.org unsubscribed from pga (one-click)")
    # a copy that came by a followed line: one-click stops following it
    lijn_copy = next(m for m in outbox(w.s, "lijn@example.org") if m["Message-ID"] == "<wijk-1@example.org>")
    lpath = re.search(r"<http://[^>]+(/unsubscribe/[^>]+)>", lijn_copy["List-Unsubscribe"]).group(1)
    assert w.post(lpath, "List-Unsubscribe=One-Click")[0].status == 200
    assert w.sql("SELECT s.follow_line FROM subscriptions s JOIN members m ON m.id = s.member_id"
                 " WHERE m.address = 'lijn@example.org'") == [(0,)]


def test_forget_takes_the_person_out_of_the_web_archive():
    w = programme()
    session, _ = w.login("anna@example.org")
    w.indexed(3)
    w.s.ctl("member", "forget", "anna@example.org")
    assert w.get("/", session)[0].status == 303
    w.indexed(3)  # filled again from the rewritten archive
    rob, _ = w.login("rob@example.org")
    w.s.ctl("member", "add", "pga", "rob@example.org")
    _, page = w.get("/search?q=Zwolle", rob)
    assert "Anna" not in page and "anna@example.org" not in page


def test_https_with_its_own_certificate_and_secure_cookies():
    w = Web(tls=True)
    w.s.ctl("group", "add", "pga", "--kind", "project", "--policy", "open")
    w.s.ctl("member", "add", "pga", "anna@example.org")
    w.start()
    w.d.wait_for("(https)")
    r, page = w.get("/login")
    assert r.status == 200 and "Inloggen" in page
    assert "; Secure" in r.getheader("Set-Cookie")
    session, r = w.login("anna@example.org")
    assert session and "; Secure" in r.getheader("Set-Cookie")
    assert w.link_mails("anna@example.org")[0].get_body(("plain",)).get_content().count("https://127.0.0.1:") == 1
    assert w.get("/", session)[0].status == 200
    # plain HTTP to the TLS port gets no page
    with socket.create_connection(("127.0.0.1", w.port), timeout=10) as sock:
        sock.sendall(b"GET /login HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            answer = sock.recv(4096)
        except (ConnectionResetError, socket.timeout):
            answer = b""
    assert b"Inloggen" not in answer
