"""The SMTP/LMTP listener with real clients (Python smtplib, swaks, raw
sockets): what is accepted, what is refused and how, the durable spool,
and sorting into groups and threads."""
import os
import shutil
import signal
import smtplib
import ssl
import socket
import subprocess
import threading
import time

from harness import MLISTD, SANITIZED, Setup, Skip, free_port, wait_until

DOMAIN = "lists.example.org"


def with_groups(extra_config=""):
    """A listening setup with a change line, a project linked to it and a general group, all open to anyone."""
    return add_groups(Setup(extra_config, listen=True))


def add_groups(s):
    """The groups of with_groups, in setup s; returns s."""
    s.ctl("group", "add", "veilig-dichtbij", "--kind", "change-line", "--policy", "open")
    s.ctl("group", "add", "ruwaard-oss", "--kind", "project", "--title", "Proeftuin Ruwaard Oss", "--policy", "open")
    s.ctl("group", "link", "ruwaard-oss", "veilig-dichtbij")
    s.ctl("group", "add", "koersenkansen", "--kind", "general", "--policy", "open")
    return s


def message(subject="Hallo", message_id=None, extra="", body="Tekst.\r\n"):
    lines = [f"From: Jan Jansen <jan@example.org>", f"To: ruwaard-oss@{DOMAIN}", f"Subject: {subject}"]
    if message_id:
        lines.append(f"Message-ID: <{message_id}>")
    return "\r\n".join(lines) + "\r\n" + extra + "\r\n" + body


class Client:
    """A raw SMTP/LMTP connection, for what smtplib will not send."""

    def __init__(self, port, source=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10,
                                             source_address=(source, 0) if source else None)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError(f"connection closed; had {self.buf!r}")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode()

    def reply(self):
        """One whole (possibly multi-line) reply, as its lines."""
        lines = [self.line()]
        while lines[-1][3:4] == "-":
            lines.append(self.line())
        return lines

    def close(self):
        self.sock.close()


def spooled(s, folder="queue"):
    path = s.path(os.path.join("spool", folder))
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


def archived(s, group):
    """The posts in a group's archive (spool/archive/GROUP/new)."""
    return spooled(s, f"archive/{group}/new")




def test_post_is_stored_with_its_thread():
    s = with_groups()
    d = s.start()
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        refused = smtp.sendmail("jan@example.org", [f"ruwaard-oss@{DOMAIN}"],
                                message("Eerste bericht", "m1@example.org"))
    assert refused == {}
    d.wait_for("sorted into ruwaard-oss (by address)")
    threads = s.ctl_json("thread", "list", "ruwaard-oss")
    assert [(t["subject"], t["messages"], t["root"]) for t in threads] == [("Eerste bericht", 1, "m1@example.org")]
    shown = s.ctl_json("message", "show", "<m1@example.org>")
    assert shown["state"] == "queued" and shown["from"] == "jan@example.org" and shown["from_name"] == "Jan Jansen"
    assert [(g["group"], g["sorted_by"]) for g in shown["groups"]] == [("ruwaard-oss", "address")]
    # nobody is subscribed: archived, and then the spool is done with it
    wait_until(lambda: len(archived(s, "ruwaard-oss")) == 1 and spooled(s) == [])
    assert spooled(s, "incoming") == [] and spooled(s, "tmp") == []
    out, _ = s.ctl("message", "show", "m1@example.org")
    assert "groups:     ruwaard-oss (by address)" in out, out
    assert d.stop() == 0


def test_reply_to_another_group_joins_the_thread():
    s = with_groups()
    d = s.start()
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail("jan@example.org", [f"ruwaard-oss@{DOMAIN}"], message("Plan", "root@example.org"))
        smtp.sendmail("piet@example.org", [f"koersenkansen@{DOMAIN}"],
                      message("Re: [ruwaard-oss] Plan", "reply@example.org",
                              extra="In-Reply-To: <root@example.org>\r\nReferences: <root@example.org>\r\n"))
        smtp.sendmail("els@example.org", [f"KOERSENKANSEN@{DOMAIN.upper()}"],
                      message("Re: Plan", "deeper@example.org",
                              extra="References: <unknown@x.org> <root@example.org> <reply@example.org>\r\n"))
    d.wait_for("deeper@example.org> sorted into ruwaard-oss (by thread)")
    threads = s.ctl_json("thread", "list", "ruwaard-oss")
    assert [(t["subject"], t["messages"]) for t in threads] == [("Plan", 3)], threads
    assert s.ctl_json("thread", "list", "koersenkansen") == []
    reply = s.ctl_json("message", "show", "reply@example.org")
    assert [(g["group"], g["sorted_by"]) for g in reply["groups"]] == [("ruwaard-oss", "thread")]
    assert d.stop() == 0


def test_threads_listed_newest_activity_first():
    s = with_groups()
    d = s.start()
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail("a@example.org", [f"ruwaard-oss@{DOMAIN}"], message("Oud", "old@example.org"))
        time.sleep(1.1)
        smtp.sendmail("a@example.org", [f"ruwaard-oss@{DOMAIN}"], message("Nieuw", "new@example.org"))
        time.sleep(1.1)
        smtp.sendmail("a@example.org", [f"ruwaard-oss@{DOMAIN}"],
                      message("Re: Oud", "re-old@example.org", extra="In-Reply-To: <old@example.org>\r\n"))
    d.wait_for("re-old@example.org> sorted")
    assert [t["subject"] for t in s.ctl_json("thread", "list", "ruwaard-oss")] == ["Oud", "Nieuw"]
    assert d.stop() == 0


def test_unknown_recipients_and_relaying_refused():
    s = with_groups()
    d = s.start()
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.ehlo("client.example.org")
        smtp.mail("jan@example.org")
        for rcpt in (f"nogroup@{DOMAIN}", "someone@example.com", f"ruwaard-oss@sub.{DOMAIN}",
                     "ruwaard-oss@lists.example.org.evil.com", f"ruwaard-oss-confirm@{DOMAIN}",
                     f"ruwaard-oss+x@{DOMAIN}", '"ruwaard-oss"@example.com', "webmaster"):
            code, text = smtp.rcpt(rcpt)
            assert code == 550 and text.startswith(b"5.1.1"), (rcpt, code, text)
        for rcpt in (f"ruwaard-oss-request@{DOMAIN}", f"Ruwaard-Oss-Owner@{DOMAIN}",
                     f"ruwaard-oss-confirm+abc123@{DOMAIN}", f"ruwaard-oss-bounces+jan=example.org@{DOMAIN}",
                     f"ruwaard-oss-bounces@{DOMAIN}", "Postmaster", f"abuse@{DOMAIN}"):
            code, text = smtp.rcpt(rcpt)
            assert code == 250, (rcpt, code, text)
        smtp.rset()
        smtp.mail("jan@example.org")
        assert smtp.rcpt("victim@example.com")[0] == 550
        code, text = smtp.docmd("DATA")
        assert (code, text) == (554, b"5.5.1 No valid recipients"), (code, text)
    assert spooled(s) == [] and spooled(s, "incoming") == []
    assert d.stop() == 0


def test_oversize_refused_and_memory_stays_small():
    s = with_groups("limits = { max_message_size = 100000; };\n")
    d = s.start()
    c = Client(s.smtp_port)
    assert c.reply()[0].startswith("220")
    c.send("EHLO client.example.org\r\n")
    assert "250-SIZE 100000" in c.reply()
    c.send("MAIL FROM:<jan@example.org> SIZE=200000\r\n")
    assert c.reply() == ["552 5.3.4 Message size exceeds the limit of 100000 octets"]
    c.send(f"MAIL FROM:<jan@example.org> SIZE=5000\r\nRCPT TO:<ruwaard-oss@{DOMAIN}>\r\nDATA\r\n")
    assert c.reply()[0].startswith("250") and c.reply()[0].startswith("250")
    assert c.reply()[0].startswith("354")
    # 30 MB of body against a 100 kB limit: refused at the dot, never held in memory
    c.send("Subject: big\r\n\r\n")
    chunk = ("x" * 998 + "\r\n").encode() * 1000
    for _ in range(30):
        c.send(chunk)
    c.send(".\r\n")
    assert c.reply() == ["552 5.3.4 Message size exceeds the limit of 100000 octets"]
    with open(f"/proc/{d.proc.pid}/status") as f:
        rss_kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
    limit_kb = 60000 if SANITIZED else 12000
    assert rss_kb < limit_kb, f"peak resident {rss_kb} kB"
    # the session goes on
    c.send("NOOP\r\n")
    assert c.reply() == ["250 2.0.0 Ok"]
    c.close()
    assert spooled(s) == [] and spooled(s, "tmp") == []
    assert d.stop() == 0


def test_too_many_recipients_452():
    s = with_groups("limits = { max_recipients = 2; };\n")
    s.start()
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.ehlo()
        smtp.mail("jan@example.org")
        for rcpt in ("ruwaard-oss", "koersenkansen"):
            reply = smtp.rcpt(f"{rcpt}@{DOMAIN}")
            assert reply[0] == 250, reply
        code, text = smtp.rcpt(f"veilig-dichtbij@{DOMAIN}")
        assert (code, text) == (452, b"4.5.3 Too many recipients"), (code, text)
        assert smtp.data(message())[0] == 250


def test_long_command_line_500():
    s = with_groups()
    s.start()
    c = Client(s.smtp_port)
    c.reply()
    c.send("EHLO client.example.org\r\n")
    c.reply()
    c.send("MAIL FROM:<" + "a" * 2000 + "@example.org>\r\n")
    assert c.reply() == ["500 5.5.2 Line too long (the limit is 512 octets)"]
    c.send("NOOP\r\n")
    assert c.reply() == ["250 2.0.0 Ok"]
    c.send(b"NO\x00OP\r\n")
    assert c.reply() == ["500 5.5.2 NUL byte in command"]
    c.send("QUIT\r\n")
    assert c.reply()[0].startswith("221")
    c.close()


def test_long_text_line_500():
    s = with_groups()
    s.start()
    c = Client(s.smtp_port)
    c.reply()
    c.send(f"HELO client\r\nMAIL FROM:<jan@example.org>\r\nRCPT TO:<ruwaard-oss@{DOMAIN}>\r\nDATA\r\n")
    assert [c.reply()[0][:3] for _ in range(4)] == ["250", "250", "250", "354"]
    c.send("Subject: long\r\n\r\n" + "y" * 1500 + "\r\nmore\r\n.\r\n")
    assert c.reply() == ["500 5.5.2 Line too long (the limit is 1000 octets)"]
    c.close()
    assert spooled(s) == []


def test_pipelining_a_whole_transaction():
    s = with_groups()
    d = s.start()
    c = Client(s.smtp_port)
    c.reply()
    c.send("EHLO client.example.org\r\n")
    ehlo = c.reply()
    assert {"250-PIPELINING", "250-8BITMIME", "250 ENHANCEDSTATUSCODES"} <= set(ehlo), ehlo
    assert not any("STARTTLS" in line for line in ehlo)
    c.send(f"MAIL FROM:<jan@example.org>\r\nRCPT TO:<ruwaard-oss@{DOMAIN}>\r\n"
           f"RCPT TO:<nobody@{DOMAIN}>\r\nRCPT TO:<koersenkansen@{DOMAIN}>\r\nDATA\r\n")
    assert [c.reply()[0][:3] for _ in range(5)] == ["250", "250", "550", "250", "354"]
    c.send(message("Pipelined", "pipe@example.org") + ".\r\nMAIL FROM:<>\r\nRSET\r\nQUIT\r\n")
    assert c.reply()[0].startswith("250 2.0.0 Ok: queued as ")
    assert c.reply() == ["250 2.1.0 Ok"] and c.reply() == ["250 2.0.0 Ok"]
    assert c.reply()[0].startswith("221")
    c.close()
    d.wait_for("pipe@example.org> sorted into ruwaard-oss, koersenkansen (by address)")


def test_lmtp_replies_per_recipient():
    s = with_groups()
    d = s.start()
    c = Client(s.lmtp_port)
    assert "LMTP" in c.reply()[0]
    c.send("EHLO client\r\n")
    assert c.reply()[0].startswith("500 5.5.1")
    c.send(f"LHLO mta.example.org\r\nMAIL FROM:<jan@example.org>\r\nRCPT TO:<ruwaard-oss@{DOMAIN}>\r\n"
           f"RCPT TO:<ghost@{DOMAIN}>\r\nRCPT TO:<koersenkansen@{DOMAIN}>\r\nDATA\r\n")
    assert c.reply()[-1] == "250 ENHANCEDSTATUSCODES"
    assert [c.reply()[0][:3] for _ in range(5)] == ["250", "250", "550", "250", "354"]
    c.send(message("Via LMTP", "lmtp@example.org") + ".\r\n")
    first, second = c.reply(), c.reply()
    assert first[0].startswith("250 2.0.0") and second[0].startswith("250 2.0.0"), (first, second)
    c.send("QUIT\r\n")
    c.reply()
    c.close()
    d.wait_for("lmtp@example.org> sorted into ruwaard-oss, koersenkansen")


def test_fifty_concurrent_clients():
    s = with_groups("limits = { max_connections_per_client = 60; max_posts_per_hour = 0; };\n")  # one sender, many posts
    d = s.start()
    errors = []
    start = threading.Barrier(50, timeout=30)

    def post(i):
        try:
            with smtplib.SMTP("127.0.0.1", s.smtp_port, timeout=30) as smtp:
                start.wait()
                smtp.sendmail(f"p{i}@example.org", [f"ruwaard-oss@{DOMAIN}"], message(f"Post {i}", f"c{i}@example.org"))
        except Exception as e:  # reported below with the others
            errors.append(f"{i}: {e!r}")

    threads = [threading.Thread(target=post, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [], errors
    wait_until(lambda: len(archived(s, "ruwaard-oss")) == 50)
    assert len(s.ctl_json("thread", "list", "ruwaard-oss")) == 50
    assert d.stop() == 0


def test_slow_client_times_out_without_holding_others():
    s = with_groups("limits = { timeout = 1; };\n")
    s.start()
    slow = Client(s.smtp_port)
    slow.reply()
    slow.send("EHLO slow\r\nMAIL FROM:<jan@example.org>\r\n")
    slow.reply()
    slow.reply()
    # meanwhile another client is served at once
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        assert smtp.sendmail("a@example.org", [f"ruwaard-oss@{DOMAIN}"], message()) == {}
    time.sleep(2.5)
    assert slow.reply()[0].startswith("421 4.4.2")
    slow.close()


def test_connection_limits():
    s = with_groups("limits = { max_connections_per_client = 2; };\n")
    s.start()
    a, b = Client(s.smtp_port), Client(s.smtp_port)
    assert a.reply()[0].startswith("220") and b.reply()[0].startswith("220")
    c = Client(s.smtp_port)
    assert c.reply()[0].startswith("421 4.7.0")
    a.close()
    time.sleep(0.2)
    d = Client(s.smtp_port)
    assert d.reply()[0].startswith("220")


def test_message_without_message_id_gets_one():
    s = with_groups()
    d = s.start()
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail("jan@example.org", [f"ruwaard-oss@{DOMAIN}"], "Subject: geen id\r\n\r\nbody\r\n")
    line = d.wait_for("sorted into ruwaard-oss")
    generated = line.split("<")[1].split(">")[0]
    assert generated.startswith("mlist.") and generated.endswith("@" + DOMAIN), generated
    shown = s.ctl_json("message", "show", generated)
    assert shown["generated_id"] is True and shown["subject"] == "geen id"


def test_broken_mime_and_junk_headers_still_taken():
    s = with_groups()
    d = s.start()
    junk = (b"From: <<<@@@>>>\r\nSubject: \xff\xfe=?x-unknown?B?!!!?=\r\nMessage-ID: not an id\r\n"
            b"Content-Type: multipart/mixed; boundary=\r\nDate: yesterday-ish\r\n\r\n--\r\n--x--\r\n")
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail("jan@example.org", [f"ruwaard-oss@{DOMAIN}"], junk)
        smtp.sendmail("jan@example.org", [f"ruwaard-oss@{DOMAIN}"], b"no header at all")
    wait_until(lambda: len(archived(s, "ruwaard-oss")) == 2)
    assert len(s.ctl_json("thread", "list", "ruwaard-oss")) == 2
    assert d.proc.poll() is None


def test_commands_and_refusals_of_the_dialogue():
    s = with_groups()
    s.start()
    c = Client(s.smtp_port)
    c.reply()
    c.send("MAIL FROM:<jan@example.org>\r\n")
    assert c.reply()[0].startswith("503 5.5.1")
    c.send("HELO\r\n")
    assert c.reply()[0].startswith("501")
    c.send("HELO client\r\nVRFY ruwaard-oss\r\nEXPN ruwaard-oss\r\nHELP\r\nSTARTTLS\r\nRCPT TO:<x@y.z>\r\nDATA\r\n")
    assert c.reply() == [f"250 {DOMAIN}"]
    assert c.reply()[0].startswith("252 2.5.2")
    assert c.reply()[0].startswith("502 5.5.2")
    assert c.reply()[0].startswith("214")
    assert c.reply()[0].startswith("502 5.5.2")
    assert c.reply()[0].startswith("503 5.5.1")
    assert c.reply()[0].startswith("503 5.5.1")
    c.send("MAIL FROM:jan@example.org\r\nMAIL FROM:<jan@example.org> FOO=BAR\r\nMAIL FROM:<>\r\nMAIL FROM:<>\r\n")
    assert c.reply()[0].startswith("501 5.5.4")
    assert c.reply()[0].startswith("555 5.5.4")
    assert c.reply() == ["250 2.1.0 Ok"]
    assert c.reply()[0].startswith("503 5.5.1")
    c.send("RSET\r\nQUIT\r\n")
    assert c.reply() == ["250 2.0.0 Ok"]
    assert c.reply()[0].startswith("221")
    c.close()


def test_too_many_errors_disconnects():
    s = with_groups()
    s.start()
    c = Client(s.smtp_port)
    c.reply()
    c.send("BOGUS\r\n" * 12)
    replies = [c.reply()[0] for _ in range(11)]
    assert replies[:10] == ["502 5.5.2 Command not recognized"] * 10, replies
    assert replies[10].startswith("421 4.7.0"), replies
    assert c.sock.recv(100) == b""


def test_swaks_post():
    if not shutil.which("swaks"):
        raise Skip("swaks is not installed")
    s = with_groups()
    d = s.start()
    proc = subprocess.run(["swaks", "--server", f"127.0.0.1:{s.smtp_port}", "--to", f"ruwaard-oss@{DOMAIN}",
                           "--from", "jan@example.org", "--header", "Message-Id: <swaks@example.org>",
                           "--header", "Subject: via swaks", "--pipeline"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    d.wait_for("swaks@example.org> sorted into ruwaard-oss")


def test_kill_after_250_then_restart_sorts_once():
    s = with_groups()
    d = s.start()
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail("jan@example.org", [f"ruwaard-oss@{DOMAIN}"], message("Overleeft", "survive@example.org"))
        d.proc.send_signal(signal.SIGKILL)
    d.wait()
    d = s.start()
    d.wait_for("survive@example.org> sorted into ruwaard-oss")
    wait_until(lambda: len(archived(s, "ruwaard-oss")) == 1, what="the post archived")
    d.stop()
    threads = s.ctl_json("thread", "list", "ruwaard-oss")
    assert [(t["subject"], t["messages"]) for t in threads] == [("Overleeft", 1)], threads
    assert len(archived(s, "ruwaard-oss")) == 1 and spooled(s, "incoming") == []


def test_crash_between_record_and_move_sorts_once():
    # copies cannot go out (the smarthost is down), so the post stays in spool/queue
    s = with_groups(f'delivery = {{ transport = "smtp"; smarthost = "smtp://127.0.0.1:{free_port()}"; }};\n')
    s.ctl("member", "add", "ruwaard-oss", "els@example.org")
    d = s.start()
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail("jan@example.org", [f"ruwaard-oss@{DOMAIN}"], message("Eens", "once@example.org"))
    d.wait_for("once@example.org> sorted")
    d.stop()
    # as if mlistd died after recording the message but before moving its file on
    [name] = spooled(s)
    os.rename(s.path(f"spool/queue/{name}"), s.path(f"spool/incoming/{name}"))
    # and a message that was written but never committed (no 250 was given for it)
    with open(s.path("spool/tmp/1.000000.1.0"), "w") as f:
        f.write("MLIST-SPOOL 1 ????????????\nfrom x\n")
    d = s.start()
    d.stop()
    assert spooled(s) == [name] and spooled(s, "incoming") == [] and spooled(s, "tmp") == []
    assert s.ctl_json("thread", "list", "ruwaard-oss")[0]["messages"] == 1
    queue = s.ctl_json("queue", "list")
    assert [(q["message_id"], q["pending"]) for q in queue] == [("once@example.org", 1)], queue


def test_same_message_id_twice_is_posted_once():
    s = with_groups()
    d = s.start()
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        for _ in range(2):
            smtp.sendmail("jan@example.org", [f"ruwaard-oss@{DOMAIN}"], message("Dubbel", "twice@example.org"))
    d.wait_for("set aside in spool/duplicate")
    wait_until(lambda: len(archived(s, "ruwaard-oss")) == 1)
    assert len(spooled(s, "duplicate")) == 1
    assert s.ctl_json("thread", "list", "ruwaard-oss")[0]["messages"] == 1


def test_thread_and_message_cli_refusals():
    s = with_groups()
    _, err = s.ctl("thread", "list", "nowhere", expect=1)
    assert "no group named 'nowhere'" in err
    _, err = s.ctl("message", "show", "<nothing@example.org>", expect=1)
    assert "no message with Message-ID <nothing@example.org>" in err
    assert s.ctl_json("thread", "list", "ruwaard-oss") == []
    s.ctl("thread", "list", expect=2)


def test_spool_files_are_private():
    s = with_groups()
    d = s.start()
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail("jan@example.org", [f"ruwaard-oss@{DOMAIN}"], message())
    wait_until(lambda: len(archived(s, "ruwaard-oss")) == 1)
    for folder in ("spool", "spool/queue", "spool/incoming", "spool/tmp", "spool/archive", "spool/archive/ruwaard-oss"):
        assert os.stat(s.path(folder)).st_mode & 0o077 == 0, folder
    [name] = archived(s, "ruwaard-oss")
    assert os.stat(s.path(f"spool/archive/ruwaard-oss/new/{name}")).st_mode & 0o777 == 0o600
    d.stop()


def test_spool_files_of_posts_gone_are_used_again():
    """A post that has left the spool leaves its emptied file in free/, and the next post takes it rather than
    making a new one (spool.c, recycle): the set of files in free/ stays the same, looked at again and again."""
    s = with_groups()
    d = s.start()

    def free_files():
        return {os.stat(s.path(f"spool/free/{n}")).st_ino for n in os.listdir(s.path("spool/free"))}

    def post(n):
        with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
            smtp.sendmail("jan@example.org", [f"ruwaard-oss@{DOMAIN}"], message(f"Bericht {n}", f"free-{n}@example.org"))
        wait_until(lambda: len(archived(s, "ruwaard-oss")) == n and spooled(s) == [] and spooled(s, "incoming") == [])

    post(1)
    kept = free_files()
    assert len(kept) == 1, kept
    for n in range(2, 6):
        time.sleep(0.15)  # past the listener's wait after it found free/ empty (FREE_DRY_MS)
        post(n)
        assert free_files() == kept, f"post {n} was spooled in a new file"
    assert d.stop() == 0


def tls_setup():
    """A listening setup whose SMTP listener has a self-signed certificate."""
    if not shutil.which("openssl"):
        raise Skip("openssl is not installed")
    s = with_groups()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={DOMAIN}", "-keyout", s.path("key.pem"), "-out", s.path("cert.pem")],
                   check=True, capture_output=True)
    os.chmod(s.path("key.pem"), 0o600)  # root-only: read before mlistd drops root
    config = open(s.config).read().replace(
        'protocol = "smtp"; }',
        'protocol = "smtp"; tls_certificate = "cert.pem"; tls_key = "key.pem"; }', 1)
    s.write_config(config)
    return s


def test_starttls_then_post():
    s = tls_setup()
    d = s.start()
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.ehlo("client.example.org")
        assert smtp.has_extn("starttls")
        code, _ = smtp.starttls(context=context)
        assert code == 220
        smtp.ehlo("client.example.org")
        assert not smtp.has_extn("starttls")
        assert smtp.docmd("STARTTLS")[0] == 503
        smtp.sendmail("jan@example.org", [f"ruwaard-oss@{DOMAIN}"], message("Versleuteld", "tls@example.org"))
    d.wait_for("tls@example.org> sorted into ruwaard-oss")
    assert any("TLS started" in line for line in d.log)


def test_starttls_drops_injected_plaintext():
    s = tls_setup()
    d = s.start()
    c = Client(s.smtp_port)
    c.reply()
    c.send("EHLO client\r\n")
    assert "250-STARTTLS" in c.reply()
    # commands smuggled in the same packet as STARTTLS must never run
    c.send(f"STARTTLS\r\nMAIL FROM:<evil@example.com>\r\nRCPT TO:<ruwaard-oss@{DOMAIN}>\r\n")
    assert c.reply() == ["220 2.0.0 Ready to start TLS"]
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    tls = context.wrap_socket(c.sock, server_hostname=DOMAIN)
    tls.sendall(b"RCPT TO:<ruwaard-oss@lists.example.org>\r\n")
    reply = tls.recv(1000).decode()
    assert reply.startswith("503 5.5.1"), reply  # no MAIL, no HELO: the smuggled lines were dropped
    tls.sendall(b"EHLO client\r\nQUIT\r\n")
    data = b""
    while b"221" not in data:
        chunk = tls.recv(1000)
        if not chunk:
            break
        data += chunk
    assert b"250-STARTTLS" not in data and b"221" in data, data
    tls.close()
    assert d.proc.poll() is None


def test_tls_key_and_certificate_go_together():
    s = with_groups()
    s.write_config(open(s.config).read().replace('protocol = "smtp"; }', 'protocol = "smtp"; tls_key = "k.pem"; }', 1))
    proc = subprocess.run([MLISTD, "-n", "-c", s.config], capture_output=True, text=True, timeout=20)
    assert proc.returncode == 1 and "'tls_certificate' and 'tls_key' go together" in proc.stderr, proc.stderr
    s.write_config(open(s.config).read().replace('tls_key = "k.pem";',
                                                 'tls_key = "k.pem"; tls_certificate = "missing.pem";'))
    proc = subprocess.run([MLISTD, "--foreground", "-c", s.config], capture_output=True, text=True, timeout=20)
    assert proc.returncode == 1 and "cannot load" in proc.stderr, proc.stderr


def test_locked_store_never_holds_up_the_listener():
    import sqlite3
    s = with_groups("limits = { max_posts_per_hour = 0; };\n")  # one sender, many posts
    d = s.start()
    lock = sqlite3.connect(s.store, isolation_level=None, timeout=0)
    lock.execute("BEGIN EXCLUSIVE")  # held longer than the sorter's 10 s wait for a lock
    slowest = 0.0
    try:
        start = time.monotonic()
        with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
            n = 0
            while time.monotonic() - start < 12:
                t = time.monotonic()
                assert smtp.noop()[0] == 250
                assert smtp.sendmail("jan@example.org", [f"ruwaard-oss@{DOMAIN}"],
                                     message(f"Tijdens het slot {n}", f"locked-{n}@example.org")) == {}
                slowest = max(slowest, time.monotonic() - t)
                n += 1
                time.sleep(0.5)
        assert spooled(s, "queue") == []  # nothing could be sorted meanwhile
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    print(f"{n} posts accepted under a locked store; slowest NOOP + post {slowest * 1000:.1f} ms")
    assert slowest < 1.0, slowest
    for i in range(n):
        d.wait_for(f"locked-{i}@example.org> sorted into ruwaard-oss", timeout=30)
    assert len(s.ctl_json("thread", "list", "ruwaard-oss")) == n
