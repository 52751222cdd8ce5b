"""The listener under attack, with raw sockets against the real mlistd:
SMTP smuggling (every line-end trick of the public smtpsmug tool, over
SMTP and LMTP), clients that trickle or idle to hold places, a crowd of
idle connections from many addresses, unadvertised parameters and a full
spool."""
import os
import resource
import select
import smtplib
import socket
import subprocess
import threading
import time

from harness import SANITIZED, Setup, Skip, wait_until
from test_smtp import DOMAIN, Client, add_groups, archived, message, spooled, with_groups

# The end-of-data variants of smtpsmug (github.com/The-Login/SMTP-Smuggling-Tools): each is
# what some server somewhere takes for CRLF.CRLF.  Only the real CRLF.CRLF may end DATA.
SMUGGLE_ENDINGS = {
    "lf.lf": b"\n.\n",
    "lf.crlf": b"\n.\r\n",
    "crlf.lf": b"\r\n.\n",
    "cr.cr": b"\r.\r",
    "cr.crlf": b"\r.\r\n",
    "crlf.cr": b"\r\n.\r",
    "crlf-nul.crlf": b"\r\n\x00.\r\n",
    "crlf.nul-crlf": b"\r\n.\x00\r\n",
    "lf-lf": b"\n\n.\n\n",
}


def read_all(sock, timeout=10):
    """Everything the server sends until it closes the connection (or timeout), as text."""
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([sock], [], [], deadline - time.monotonic())
        if not ready:
            break
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data.decode("latin-1")


def smuggle(port, lmtp, ending, n):
    """One smtpsmug-style attempt: a real post whose text hides, after a fake end, a forged second
    transaction with its own envelope; then the real end and QUIT.  Returns the server's replies."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = f"{'LHLO' if lmtp else 'EHLO'} attacker.example\r\nMAIL FROM:<jan@example.org>\r\n" \
           f"RCPT TO:<ruwaard-oss@{DOMAIN}>\r\nDATA\r\n"
    legit = f"From: jan@example.org\r\nMessage-ID: <legit-{n}@example.org>\r\nSubject: legit\r\n\r\nlegit body"
    forged = (f"MAIL FROM:<bestuur@example.org>\r\nRCPT TO:<ruwaard-oss@{DOMAIN}>\r\nDATA\r\n"
              f"From: bestuur@example.org\r\nMessage-ID: <forged-{n}@example.org>\r\nSubject: forged\r\n\r\n"
              f"Please pay this invoice.")
    sock.sendall(head.encode())
    time.sleep(0.05)  # let the 354 come, as a real client would wait for it
    sock.sendall(legit.encode() + ending + forged.encode() + b"\r\n.\r\nQUIT\r\n")
    replies = read_all(sock)
    sock.close()
    return replies


def test_smtp_smuggling_never_makes_a_second_message():
    s = with_groups()
    s.ctl("member", "add", "ruwaard-oss", "lid@example.org")
    d = s.start()
    for lmtp in (False, True):
        port = s.lmtp_port if lmtp else s.smtp_port
        for n, (name, ending) in enumerate(SMUGGLE_ENDINGS.items()):
            replies = smuggle(port, lmtp, ending, f"{name}-{int(lmtp)}")
            accepted = replies.count("250 2.0.0 Ok: queued")
            assert accepted == 0, f"{name} over {'LMTP' if lmtp else 'SMTP'}: {replies}"
            # bare LF or CR: refused and disconnected; a NUL: the one message refused, then QUIT
            if b"\x00" in ending:
                assert "550 5.6.0" in replies and "221 2.0.0" in replies, (name, replies)
            else:
                assert "550 5.5.2 Bare" in replies and "221" not in replies, (name, replies)
    # the listener still works, and a proper post goes through after all that
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail("jan@example.org", [f"ruwaard-oss@{DOMAIN}"], message("Echt", "real@example.org"))
    d.wait_for("real@example.org> sorted into ruwaard-oss")
    wait_until(lambda: len(archived(s, "ruwaard-oss")) == 1, what="the real post archived")
    assert [t["root"] for t in s.ctl_json("thread", "list", "ruwaard-oss")] == ["real@example.org"]
    outbox = s.path("spool/outbox/lid@example.org/new")
    wait_until(lambda: len(os.listdir(outbox)) == 1, what="the real post delivered")
    for name in os.listdir(outbox):
        assert b"forged" not in open(os.path.join(outbox, name), "rb").read()
    assert d.stop() == 0


def test_bare_lf_or_cr_in_a_command_is_refused():
    s = with_groups()
    s.start()
    for line, what in ((b"EHLO x\n", "LF"), (b"EHLO x\rNOOP\r\n", "CR")):
        c = Client(s.smtp_port)
        c.reply()
        c.send(line)
        replies = read_all(c.sock)
        assert replies.startswith(f"500 5.5.2 Bare {what} received"), replies
        c.close()


def test_bare_lf_from_an_excused_network_becomes_crlf():
    s = with_groups('limits = { bare_lf_networks = [ "10.0.0.0/8", "127.0.0.0/8", "::1" ]; };\n')
    d = s.start()
    c = Client(s.smtp_port)
    c.reply()
    c.send(f"HELO x\nMAIL FROM:<jan@example.org> BODY=8BITMIME\nRCPT TO:<ruwaard-oss@{DOMAIN}>\nDATA\n")
    assert [c.reply()[0][:3] for _ in range(4)] == ["250", "250", "250", "354"]
    c.send(b"Subject: =?utf-8?q?Caf=C3=A9?=\nMessage-ID: <lf@example.org>\n\nbare LF line\n\xe9\xff 8-bit\n..dot\n.\n")
    assert c.reply()[0].startswith("250 2.0.0")
    # a bare CR is refused even from an excused network
    c.send("MAIL FROM:<jan@example.org>\r\nRCPT TO:<ruwaard-oss@lists.example.org>\r\nDATA\r\n")
    assert [c.reply()[0][:3] for _ in range(3)] == ["250", "250", "354"]
    c.send(b"Subject: x\r\n\r\ntext\r.\r\n.\r\n")
    assert c.reply()[0].startswith("550 5.5.2 Bare CR")
    c.close()
    d.wait_for("lf@example.org> sorted")
    wait_until(lambda: len(archived(s, "ruwaard-oss")) == 1)
    [name] = archived(s, "ruwaard-oss")
    stored = open(s.path(f"spool/archive/ruwaard-oss/new/{name}"), "rb").read()
    assert stored == (b"Subject: =?utf-8?q?Caf=C3=A9?=\r\nMessage-ID: <lf@example.org>\r\n\r\nbare LF line\r\n"
                      b"\xe9\xff 8-bit\r\n.dot\r\n"), stored
    assert s.ctl_json("message", "show", "lf@example.org")["subject"] == "Café"


def test_a_network_that_is_not_one_is_a_config_error():
    s = Setup('limits = { bare_lf_networks = [ "127.0.0.0/33" ]; };\n', listen=True, init=False)
    proc = subprocess.run([os.environ["MLISTD"], "-n", "-c", s.config], capture_output=True, text=True)
    assert proc.returncode == 1
    assert f'{s.config}:' in proc.stderr and '"127.0.0.0/33" is not a network' in proc.stderr, proc.stderr


def test_nul_refuses_the_message_and_the_session_goes_on():
    s = with_groups()
    d = s.start()
    c = Client(s.smtp_port)
    c.reply()
    c.send(f"EHLO x\r\nMAIL FROM:<jan@example.org>\r\nRCPT TO:<ruwaard-oss@{DOMAIN}>\r\nDATA\r\n")
    c.reply()
    assert [c.reply()[0][:3] for _ in range(3)] == ["250", "250", "354"]
    c.send(b"Subject: nul\r\n\r\nnul\x00byte\r\n.\r\n")
    assert c.reply()[0].startswith("550 5.6.0")
    c.send(f"MAIL FROM:<jan@example.org>\r\nRCPT TO:<ruwaard-oss@{DOMAIN}>\r\nDATA\r\n")
    assert [c.reply()[0][:3] for _ in range(3)] == ["250", "250", "354"]
    c.send(message("Schoon", "clean@example.org") + "\r\n.\r\n")
    assert c.reply()[0].startswith("250 2.0.0")
    c.close()
    d.wait_for("clean@example.org> sorted")
    assert len(s.ctl_json("thread", "list", "ruwaard-oss")) == 1


def transaction_to_data(c):
    c.reply()
    c.send(f"EHLO x\r\nMAIL FROM:<jan@example.org>\r\nRCPT TO:<ruwaard-oss@{DOMAIN}>\r\nDATA\r\n")
    c.reply()
    assert [c.reply()[0][:3] for _ in range(3)] == ["250", "250", "354"]


def test_one_byte_a_second_in_data_is_cut_at_the_deadline():
    # a byte every 0.5 s is never 2 s of silence: only a deadline cuts it
    s = with_groups("limits = { timeout = 2; min_data_rate = 500; };\n")
    s.start()
    c = Client(s.smtp_port)
    transaction_to_data(c)
    start = time.monotonic()
    cut = None
    for i in range(40):
        try:
            c.send(b"x")
        except OSError:
            pass
        ready, _, _ = select.select([c.sock], [], [], 0.5)
        if ready:
            cut = time.monotonic() - start
            break
    assert cut is not None and cut < 5, cut
    assert c.reply()[0].startswith("421 4.4.2")
    assert spooled(s, "incoming") == [] and spooled(s, "tmp") == []


def test_a_command_trickled_in_is_cut_at_the_deadline():
    s = with_groups("limits = { timeout = 2; };\n")
    s.start()
    c = Client(s.smtp_port)
    c.reply()
    start = time.monotonic()
    for ch in "EHLO a-very-slow-client.example.org":
        c.send(ch)
        ready, _, _ = select.select([c.sock], [], [], 0.3)
        if ready:
            break
    assert c.reply()[0].startswith("421 4.4.2")
    assert time.monotonic() - start < 4.5


def test_a_steady_slow_sender_is_not_cut():
    # 1 s for the command plus 1 s per 100 octets: 600 octets at 200 octets/s stay within it
    s = with_groups("limits = { timeout = 1; min_data_rate = 100; };\n")
    d = s.start()
    c = Client(s.smtp_port)
    transaction_to_data(c)
    text = message("Langzaam", "slow@example.org", body=("w" * 98 + "\r\n") * 5)
    for i in range(0, len(text), 40):
        c.send(text[i:i + 40])
        time.sleep(0.2)
    c.send("\r\n.\r\n")
    assert c.reply()[0].startswith("250 2.0.0")
    d.wait_for("slow@example.org> sorted")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class IdleCrowd:
    """Connections from 25 loopback addresses (127.0.0.2 to .26) that read the greeting and then
    say nothing; one that the server closes is opened again, as an attacker would."""

    def __init__(self, port, per_address=20, addresses=25):
        self.port = port
        self.sources = [f"127.0.0.{2 + i}" for i in range(addresses) for _ in range(per_address)]
        self.socks = {}
        self.stop = threading.Event()
        self.opened = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _open(self, source):
        sock = socket.socket()
        sock.setblocking(False)
        sock.bind((source, 0))
        try:
            sock.connect(("127.0.0.1", self.port))
        except BlockingIOError:
            pass
        self.socks[sock] = source
        self.opened += 1

    def _run(self):
        for source in self.sources:
            self._open(source)
        while not self.stop.is_set():
            ready, _, _ = select.select(list(self.socks), [], [], 0.2)
            for sock in ready:
                try:
                    data = sock.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    source = self.socks.pop(sock)
                    sock.close()
                    if not self.stop.is_set():
                        self._open(source)

    def close(self):
        self.stop.set()
        self.thread.join(10)
        for sock in self.socks:
            sock.close()


def test_idle_crowd_does_not_lock_out_a_fresh_client():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < 1200:
        raise Skip(f"needs 1200 file descriptors, the limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    s = with_groups()
    d = s.start()
    idle_before = rss_kib(d.proc.pid)
    crowd = IdleCrowd(s.smtp_port)
    crowd.thread.start()
    try:
        wait_until(lambda: crowd.opened >= 500, what="500 connections opened")
        time.sleep(2)  # they sit there, as many as the server lets in
        start = time.monotonic()
        with smtplib.SMTP("127.0.0.1", s.smtp_port, source_address=("127.0.0.200", 0), timeout=15) as smtp:
            refused = smtp.sendmail("jan@example.org", [f"ruwaard-oss@{DOMAIN}"], message("Vers", "fresh@example.org"))
        took = time.monotonic() - start
        assert refused == {} and took < 15, took
        d.wait_for("fresh@example.org> sorted")
        busy = rss_kib(d.proc.pid)
    finally:
        crowd.close()
    print(f"fresh client served in {took:.2f} s; {crowd.opened} connections opened by the crowd; "
          f"mlistd {idle_before} KiB idle, {busy} KiB under the crowd")
    # 200 sessions of a few KiB each: memory stays bounded (AddressSanitizer's quarantine keeps freed
    # memory on purpose, so only the plain build's figure means anything)
    if not SANITIZED:
        assert busy - idle_before < 12 * 1024, (idle_before, busy)
    assert d.stop() == 0


def test_stress_shortens_the_timeout():
    s = with_groups("limits = { max_connections = 10; max_connections_per_client = 10; timeout = 300;"
                    " stress_timeout = 1; };\n")
    s.start()
    calm = [Client(s.smtp_port) for _ in range(2)]
    for c in calm:
        c.reply()
    time.sleep(2.5)
    for c in calm:  # under 80% of the cap: the full timeout
        c.send("NOOP\r\n")
        assert c.reply()[0].startswith("250")
    crowd = [Client(s.smtp_port) for _ in range(7)]
    for c in crowd:
        c.reply()
    # 9 of 10 places taken: idle clients get stress_timeout
    for c in calm + crowd:
        c.sock.settimeout(5)
        assert c.reply()[0].startswith("421 4.4.2")


def test_a_full_server_makes_room_by_closing_the_longest_idle():
    s = with_groups("limits = { max_connections = 3; max_connections_per_client = 1; };\n")
    s.start()
    old = [Client(s.smtp_port, source=f"127.0.0.{n}") for n in (1, 4, 5)]
    for c in old:
        c.reply()
    time.sleep(1.5)
    old[1].send("NOOP\r\n")
    old[2].send("NOOP\r\n")
    old[1].reply()
    old[2].reply()
    fresh = Client(s.smtp_port, source="127.0.0.2")
    assert fresh.reply()[0].startswith("220")
    assert old[0].reply()[0].startswith("421 4.7.0 lists.example.org Server busy")
    # the others were active a moment ago: a fourth client finds no idle place and is turned away
    another = Client(s.smtp_port, source="127.0.0.3")
    assert another.reply()[0].startswith("421 4.7.0 lists.example.org Too many connections")
    # and an address at its own limit cannot push anyone out
    mine = Client(s.smtp_port, source="127.0.0.4")
    assert mine.reply()[0].startswith("421 4.7.0 lists.example.org Too many connections from your address")


def test_unadvertised_parameters_and_trailing_text_refused():
    s = with_groups()
    s.start()
    c = Client(s.smtp_port)
    c.reply()
    c.send("EHLO x\r\n")
    c.reply()
    for command, code in ((f"MAIL FROM:<jan@example.org> SMTPUTF8", "555 5.5.4"),
                          (f"MAIL FROM:<jan@example.org> RET=HDRS", "555 5.5.4"),
                          (f"MAIL FROM:<jan@example.org>junk", "501 5.5.4"),
                          (f"MAIL FROM:<jan@example.org> SIZE=100", "250 2.1.0"),
                          (f"RCPT TO:<ruwaard-oss@{DOMAIN}> NOTIFY=NEVER", "555 5.5.4"),
                          (f"RCPT TO:<ruwaard-oss@{DOMAIN}> ORCPT=rfc822;x@example.org", "555 5.5.4"),
                          (f"RCPT TO:<ruwaard-oss@{DOMAIN}>junk", "501 5.5.4"),
                          (f"RCPT TO:<ruwaard-oss@{DOMAIN}>", "250 2.1.5")):
        c.send(command + "\r\n")
        reply = c.reply()[0]
        assert reply.startswith(code), (command, reply)


def test_spool_below_its_reserve_defers_with_452():
    s = with_groups(f"limits = {{ spool_reserve = {1 << 59}L; }};\n")  # libconfig: L for 64 bits
    s.start()
    c = Client(s.smtp_port)
    c.reply()
    c.send("EHLO x\r\nMAIL FROM:<jan@example.org>\r\n")
    c.reply()
    assert c.reply()[0].startswith("452 4.3.1")


def test_spool_that_fills_up_during_data_answers_452():
    if os.geteuid() != 0:
        raise Skip("mounting a small file system for the spool needs root")
    s = Setup("limits = { spool_reserve = 0; };\n", listen=True, init=False)
    spool = s.path("spool")
    os.makedirs(spool, exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", spool]).returncode != 0:
        raise Skip("cannot mount a tmpfs here")
    try:
        s.ctl("init")
        add_groups(s)
        d = s.start()
        c = Client(s.smtp_port)
        transaction_to_data(c)
        line = b"x" * 998 + b"\r\n"
        c.send(b"Subject: big\r\n\r\n" + line * 4000 + b".\r\n")
        assert c.reply()[0].startswith("452 4.3.1")
        c.close()
        assert spooled(s, "tmp") == [] and spooled(s, "incoming") == []
        # room again: the same client's retry is taken
        with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
            smtp.sendmail("jan@example.org", [f"ruwaard-oss@{DOMAIN}"], message("Klein", "small@example.org"))
        d.wait_for("small@example.org> sorted")
        d.stop()
    finally:
        subprocess.run(["umount", "-l", spool])
