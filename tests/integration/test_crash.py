"""Crash safety under a steady stream: mlistd and its helpers are killed
(SIGKILL) at random moments while a client keeps posting to a group of 20
and a recording SMTP server (sink.py) takes the copies.  No accepted post
may be lost; each kill may cost at most the copies of the SMTP
transactions open at that moment, delivery.connections x max_recipients
(spool/README.md); and once everything is delivered no spool file is
left.  bench/killloop runs the same loop (kill_loop below) for longer and
prints its figures.  The start-up sweep that removes what a kill left
behind is also tested on its own, with leftovers put in place."""
import bisect
import collections
import fcntl
import os
import random
import re
import signal
import smtplib
import sqlite3
import threading
import time

from harness import Setup, files_naming, free_port, outbox, wait_until
from sink import Sink

DOMAIN = "lists.example.org"
GROUP = "stroom"
MEMBERS = [f"lid{i:02d}@example.org" for i in range(20)]
# mlistd stops restarting a helper that dies within 2 s of its start five times in a row.
HELPER_MIN_AGE = 2.5
# How much later than the final dot the sink's thread may note a copy (a loaded machine);
# less than the shortest gap between two kills.
SINK_DELAY = 0.25
# After the last kill no other kill's gap bounds it: a copy noted this much later is still laid at it.
# (One clean run counted 5 extra copies, one transaction's worth, after the last kill: most likely
# the copies of the transaction that kill cut short, noted late by a sink thread on a loaded machine.)
SINK_DELAY_LAST = 1.0
STARTED = re.compile(r"started (\S+) \(pid (\d+)\)")
SWEPT = re.compile(r"start-up sweep of \w+/: (\d+) finished")
MESSAGE_ID = re.compile(rb"^Message-ID:\s*<([^>]*)>", re.I | re.M)


class Poster(threading.Thread):
    """Posts a steady stream, each post with its own Message-ID.  A post not
    answered 250 (connection refused, mlistd killed in the dialogue) is sent
    again after a pause, as an MTA would; it counts as accepted once it got
    its 250.  Once told to stop, it still finishes the post it is on."""

    def __init__(self, port, pace):
        super().__init__(daemon=True)
        self.port = port
        self.pace = pace              # seconds between two posts
        self.accepted = []            # Message-IDs answered 250
        self.failures = 0             # tries that got no 250
        self.stopping = threading.Event()

    def run(self):
        n = 0
        while not self.stopping.is_set():
            message_id = f"post{n}.{os.getpid()}@example.org"
            while not self.send(message_id):
                self.failures += 1
                time.sleep(0.2)
            self.accepted.append(message_id)
            n += 1
            time.sleep(self.pace)

    def send(self, message_id):
        """One try: True if mlistd answered 250 to the end of DATA."""
        text = (f"From: Schrijver <schrijver@example.net>\r\nTo: {GROUP}@{DOMAIN}\r\n"
                f"Subject: {message_id}\r\nMessage-ID: <{message_id}>\r\n\r\nTekst.\r\n")
        try:
            smtp = smtplib.SMTP("127.0.0.1", self.port, timeout=30)
            try:
                smtp.sendmail("schrijver@example.net", [f"{GROUP}@{DOMAIN}"], text)
            finally:
                smtp.close()
            return True
        except (OSError, smtplib.SMTPException):
            return False


def child_of(pid, parent, name):
    """Whether pid is a live child of parent whose program is name (not a dead helper's pid used again)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    comm = stat[stat.index("(") + 1:stat.rindex(")")]
    state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
    return state != "Z" and int(ppid) == parent and comm == name[:15]


class Processes:
    """mlistd and the helpers it started (from its `started NAME (pid N)`
    lines, whatever NAME), as the killer sees them."""

    def __init__(self, setup):
        self.setup = setup
        self.daemons = []             # every mlistd started, for their logs
        self.retired = []             # killed ones whose stderr an orphaned helper may still write to
        self.helpers = {}             # pid -> (name, when its start was seen) of the running mlistd
        self.seen = 0                 # lines of the running mlistd's log looked at
        self.daemon = self.start()

    def start(self):
        daemon = self.setup.start(wait=False)
        daemon.wait_for("mlistd ready", timeout=60)
        self.daemons.append(daemon)
        self.helpers, self.seen = {}, 0
        return daemon

    def pump(self):
        """Reads every log so far (a full pipe would stop the writer) and notes helpers that started."""
        self.daemon.poll()
        self.retired = [d for d in self.retired if d.poll()]
        for line in self.daemon.log[self.seen:]:
            m = STARTED.search(line)
            if m:
                self.helpers[int(m.group(2))] = (m.group(1), time.monotonic())
        self.seen = len(self.daemon.log)

    def targets(self):
        """(name, pid) of mlistd and of each helper it runs now."""
        parent = self.daemon.proc.pid
        self.helpers = {pid: h for pid, h in self.helpers.items() if child_of(pid, parent, h[0])}
        return [("mlistd", parent)] + [(name, pid) for pid, (name, _) in self.helpers.items()]

    def kill(self, name, pid):
        """SIGKILL; a killed mlistd is started again (it starts its own helpers again).  A helper
        is killed once it is old enough that mlistd does not count it as failing at start-up."""
        if name != "mlistd":
            wait_until(lambda: self.pump() or time.monotonic() - self.helpers[pid][1] >= HELPER_MIN_AGE,
                       timeout=HELPER_MIN_AGE + 1)
            os.kill(pid, signal.SIGKILL)
            return
        self.daemon.proc.kill()
        self.daemon.wait()
        self.retired.append(self.daemon)
        self.daemon = self.start()

    def swept(self):
        """Finished spool files removed by start-up sweeps, from every log."""
        return sum(int(m.group(1)) for d in self.daemons for line in d.log for m in [SWEPT.search(line)] if m)


class Tally:
    """The copies the sink took, per (Message-ID, recipient), read as they come in."""

    def __init__(self, sink):
        self.sink = sink
        self.seen = 0                          # entries of sink.received counted
        self.copies = collections.Counter()    # (message id, recipient) -> copies taken
        self.first = {}                        # (message id, recipient) -> when the first was taken
        self.extra_first = []                  # per copy beyond the first: when the first was taken

    def update(self):
        with self.sink.lock:
            new = list(zip(self.sink.received[self.seen:], self.sink.received_at[self.seen:]))
        self.seen += len(new)
        for (_, rcpts, data), at in new:
            m = MESSAGE_ID.search(data.split(b"\r\n\r\n", 1)[0])
            message_id = m.group(1).decode() if m else ""
            for rcpt in rcpts:
                key = (message_id, rcpt)
                self.copies[key] += 1
                if self.copies[key] == 1:
                    self.first[key] = at
                else:
                    self.extra_first.append(self.first[key])
        return self

    def missing(self, accepted):
        return sum(1 for message_id in accepted for rcpt in MEMBERS if not self.copies[(message_id, rcpt)])


def settle(check, timeout, procs):
    """Waits (reading the logs meanwhile) until check() holds; whether it did."""
    try:
        wait_until(lambda: procs.pump() or check(), timeout=timeout)
        return True
    except AssertionError:
        return False


def lock_free(setup):
    """Whether no mlistd-deliver (not even an orphaned one) holds the delivery lock."""
    path = setup.path("spool/mlistd-deliver.lock")
    if not os.path.exists(path):
        return True
    with open(path) as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False


def spool_files(setup):
    """Files left in the spool folders that must be empty once everything is delivered."""
    folders = ("incoming", "queue", "notices", "tmp")
    return {f: len(os.listdir(setup.path(f"spool/{f}"))) if os.path.isdir(setup.path(f"spool/{f}")) else 0
            for f in folders}


def per_kill(extra_first, kill_times):
    """Extra copies per kill: each is laid at the first kill after the sink took its first copy
    (that kill lost the record); None collects those with no kill after them."""
    counts = collections.Counter()
    for at in extra_first:
        k = bisect.bisect_left(kill_times, at - SINK_DELAY)
        if k == len(kill_times) and kill_times and at - SINK_DELAY_LAST <= kill_times[-1]:
            k -= 1
        counts[k if k < len(kill_times) else None] += 1
    return counts


def kill_loop(kills, connections=2, max_recipients=5, pace=0.1, gap=(0.3, 1.2), seed=None, drain=90):
    """Posts steadily while killing mlistd or a helper `kills` times, gap
    seconds apart (uniform); then stops killing and posting, lets the queue
    drain, stops mlistd with SIGTERM and returns the figures (a dict)."""
    rng = random.Random(seed)
    sink_port = free_port()
    sink = Sink(sink_port)
    try:
        # one sender posts all the posts: no hourly limit here
        s = Setup(f'delivery = {{ transport = "smtp"; smarthost = "smtp://127.0.0.1:{sink_port}";'
                  f' max_recipients = {max_recipients}; connections = {connections}; retry_base = 1; }};\n'
                  'limits = { max_posts_per_hour = 0; };\n',
                  listen=True)
        s.ctl("group", "add", GROUP, "--kind", "general", "--policy", "open")
        s.write("members.csv", "".join(f"{a}\n" for a in MEMBERS))
        s.ctl("member", "import", GROUP, s.path("members.csv"))
        began = time.monotonic()
        procs = Processes(s)
        poster = Poster(s.smtp_port, pace)
        poster.start()
        kill_times, killed = [], collections.Counter()
        while len(kill_times) < kills:
            wake = time.monotonic() + rng.uniform(*gap)
            while time.monotonic() < wake:
                procs.pump()
                time.sleep(0.05)
            name, pid = rng.choice(procs.targets())
            kill_times.append(time.monotonic())
            killed[name] += 1
            procs.kill(name, pid)
        poster.stopping.set()
        settle(lambda: not poster.is_alive(), 60, procs)
        tally = Tally(sink)
        settle(lambda: tally.update().missing(poster.accepted) == 0, drain, procs)
        settle(lambda: spool_files(s)["queue"] == 0, 10, procs)
        procs.daemon.stop(timeout=60)
        settle(lambda: lock_free(s), 60, procs)
        tally.update()
        extra = per_kill(tally.extra_first, kill_times)
        return {
            "posts accepted": len(poster.accepted),
            "post tries without 250": poster.failures,
            "kills": len(kill_times),
            "kills by process": dict(killed),
            "copies expected": len(poster.accepted) * len(MEMBERS),
            "copies delivered": len(poster.accepted) * len(MEMBERS) - tally.missing(poster.accepted),
            "lost": tally.missing(poster.accepted),
            "extra copies": len(tally.extra_first),
            "max extra per kill": max((n for k, n in extra.items() if k is not None), default=0),
            "extra after the last kill": extra[None],
            "bound per kill": connections * max_recipients,
            "leftover files": spool_files(s),
            "finished files swept at start-up": procs.swept(),
            "seconds": round(time.monotonic() - began, 1),
        }
    finally:
        sink.stop()


def check(figures):
    """The promises of spool/README.md, checked on kill_loop's figures."""
    assert figures["lost"] == 0, figures
    assert figures["extra copies"] <= figures["kills"] * figures["bound per kill"], figures
    assert figures["extra after the last kill"] == 0, figures
    assert not any(figures["leftover files"].values()), figures


def report(figures):
    return "\n".join(f"{name:>34}: {value}" for name, value in figures.items())


def test_kill_loop_loses_nothing_and_duplicates_only_open_transactions():
    figures = kill_loop(kills=20)
    print(report(figures))
    check(figures)


def test_start_up_sweep_removes_finished_files_and_keeps_the_others():
    s = Setup(listen=True)
    s.ctl("group", "add", GROUP, "--kind", "general", "--policy", "open")
    s.ctl("group", "add", "besloten", "--kind", "project")   # members only: a stranger's post is held
    s.ctl("member", "add", GROUP, MEMBERS[0])
    d = s.start()
    mails = [("schrijver@example.net", GROUP, "done@example.org"),              # delivered: its file goes
             ("vraag@example.net", f"{GROUP}-request", "help@example.org"),     # answered by a notice
             ("vreemde@example.net", "besloten", "held@example.org")]           # held: its file stays
    for sender, to, message_id in mails:
        with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
            smtp.sendmail(sender, [f"{to}@{DOMAIN}"], f"From: {sender}\r\nTo: {to}@{DOMAIN}\r\n"
                          f"Subject: help\r\nMessage-ID: <{message_id}>\r\n\r\nTekst.\r\n")
    outbox = s.path("spool/outbox")
    wait_until(lambda: all(os.path.isdir(os.path.join(outbox, a, "new")) for a in (MEMBERS[0], "vraag@example.net")),
               what="the copy and the answer")
    wait_until(lambda: spool_files(s)["notices"] == 0 and len(os.listdir(s.path("spool/queue"))) == 1,
               what="only the held post's file in queue/")
    d.stop()
    with sqlite3.connect(f"file:{s.store}?mode=ro", uri=True) as db:
        done = db.execute("SELECT spool_id FROM messages WHERE message_id = 'done@example.org'").fetchone()[0]
        held = db.execute("SELECT spool_id FROM messages WHERE message_id = 'held@example.org'").fetchone()[0]
        notice = db.execute("SELECT spool_id FROM notices WHERE rcpt = 'vraag@example.net'"
                            " AND state = 'sent'").fetchone()[0]
    # What a kill between the last record and the removal leaves; a post whose record a crash of the
    # machine lost (it was moved to queue/, but the store's last commit was not flushed); a notice
    # file that no row names.
    for folder, spool_id in (("queue", done), ("notices", notice), ("notices", "1700000000.000002.1.0")):
        s.write(f"spool/{folder}/{spool_id}", "MLIST-SPOOL 1 000000000000\n\n")
    lost = (f"From: schrijver@example.net\r\nTo: {GROUP}@{DOMAIN}\r\nSubject: kwijt\r\n"
            f"Message-ID: <lost@example.org>\r\n\r\nTekst.\r\n")
    s.write("spool/queue/1700000000.000001.1.0",
            f"MLIST-SPOOL 1 {len(lost):012d}\nfrom schrijver@example.net\nrcpt {GROUP}@{DOMAIN}\n"
            f"client 127.0.0.1\nhelo x\nproto smtp\nreceived 1700000000\n\n{lost}")
    d = s.start()
    d.wait_for("start-up sweep of notices/")
    assert "start-up sweep of queue/: 1 finished file(s) removed, 1 sorted again, 0 unknown" in "\n".join(d.log)
    assert "start-up sweep of notices/: 1 finished file(s) removed, 0 sorted again, 1 unknown" in "\n".join(d.log)
    d.wait_for("notices/1700000000.000002.1.0 is not in the store; left alone")
    # the lost post is sorted again and reaches the group
    d.wait_for("lost@example.org> sorted into")
    wait_until(lambda: sorted(os.listdir(s.path("spool/queue"))) == [held], what="only the held post left in queue/")
    assert os.listdir(s.path("spool/notices")) == ["1700000000.000002.1.0"]
    d.stop()


def crash_with_posts_in_the_journal(s, ids, sender="schrijver@example.net", delivered=False):
    """Plays the part of a crash of the machine that a test then finishes by taking files away: the
    helpers are stopped so that a post for each of ids (Message-IDs) stays in incoming/ (or, delivered,
    they are left to deliver it, and its file is in free/), and all of mlistd is killed before it
    checkpoints.  Returns the ids (renamed if a slow moment let the checkpoint in first and they were
    posted again) and {id: its file, as FOLDER/NAME}."""
    stop = () if delivered else ("mlistd-sort", "mlistd-deliver")
    for attempt in range(5):
        d = s.start()
        helpers = [(m.group(1), int(m.group(2))) for m in map(STARTED.search, d.log) if m]
        for name, pid in helpers:
            if name in stop:
                os.kill(pid, signal.SIGSTOP)
        with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
            for message_id in ids:
                smtp.sendmail(sender, [f"{GROUP}@{DOMAIN}"],
                              f"From: {sender}\r\nTo: {GROUP}@{DOMAIN}\r\nSubject: journaal\r\n"
                              f"Message-ID: <{message_id}>\r\n\r\nTekst.\r\n")
            # delivered: its spool id from the line "deliver: ID <MESSAGE-ID> to GROUP: ..."
            spool_ids = {i: re.search(r"deliver: (\S+) <", d.wait_for(f"<{i}> to {GROUP}: ", timeout=5)).group(1)
                         for i in ids} if delivered else {}
            for spool_id in spool_ids.values():
                wait_until(lambda: os.path.exists(s.path(f"spool/free/{spool_id}")), timeout=2, what="finished")
            # Killed before the listener is idle long enough to checkpoint (IDLE_CHECKPOINT_MS).
            for pid in [d.proc.pid] + [pid for _, pid in helpers]:
                os.kill(pid, signal.SIGKILL)
        d.wait()
        with open(s.path("spool/journal"), "rb") as f:
            journal = f.read()
        if all(message_id.encode() in journal for message_id in ids):
            break
        # A slow moment let the checkpoint in first: nothing to put back; post new ones.
        ids = [i.replace("@", f"{attempt}@") for i in ids]
    else:
        raise AssertionError("the posts never stayed in the journal until the kill")
    if delivered:
        return ids, {message_id: f"free/{spool_id}" for message_id, spool_id in spool_ids.items()}
    files = {}
    for name in os.listdir(s.path("spool/incoming")):
        with open(s.path(f"spool/incoming/{name}"), "rb") as f:
            content = f.read()
        files[next(i for i in ids if i.encode() in content)] = f"incoming/{name}"
    assert sorted(files) == sorted(ids), files
    return ids, files


def test_journal_puts_back_accepted_posts_whose_files_a_machine_crash_took():
    """The listener's 250 rests on the spool's journal, not on the posts' own files (spool/README.md):
    after a crash of the machine took a file that was never flushed (gone, or emptied), the next start
    puts it back from the journal, and every accepted post is delivered once.  Such a crash is played
    here: two of the three files are taken away as the crash would."""
    s = Setup(listen=True)
    s.ctl("group", "add", GROUP, "--kind", "general", "--policy", "open")
    s.ctl("member", "add", GROUP, MEMBERS[0])
    ids, files = crash_with_posts_in_the_journal(s, ["gone@example.org", "emptied@example.org", "kept@example.org"])
    os.unlink(s.path(f"spool/{files[ids[0]]}"))
    os.truncate(s.path(f"spool/{files[ids[1]]}"), 0)
    d = s.start()
    d.wait_for(f"{files[ids[0]]} put back from the journal")
    d.wait_for(f"{files[ids[1]]} put back from the journal")
    assert f"{files[ids[2]]} put back" not in "\n".join(d.log)
    new = os.path.join(s.path("spool/outbox"), MEMBERS[0], "new")

    def delivered():
        got = collections.Counter()
        for name in os.listdir(new) if os.path.isdir(new) else []:
            with open(os.path.join(new, name), "rb") as f:
                got.update(m.decode() for m in MESSAGE_ID.findall(f.read()))
        return got
    wait_until(lambda: sorted(delivered()) == sorted(ids), what="the three posts in the member's outbox")
    assert all(n == 1 for n in delivered().values()), delivered()
    # Once put back and checkpointed, the journal keeps no mail.
    with open(s.path("spool/journal"), "rb") as f:
        journal = f.read()
    assert not any(message_id.encode() in journal for message_id in ids)
    d.stop()


def test_forget_after_a_crash_erases_what_only_the_journal_still_held():
    """A member's post whose file a crash of the machine took lives on in the spool's journal until
    mlistd starts again.  mlistctl member forget, run before that, puts such files back first and sweeps
    them with the rest (spool_journal_settle), so the next start has nothing of theirs to put back:
    their post goes out under the pseudonym, and no file of the spool names them."""
    author = "vergeet.mij@example.net"
    s = Setup(listen=True)
    s.ctl("group", "add", GROUP, "--kind", "general", "--policy", "open")
    s.ctl("member", "add", GROUP, MEMBERS[0])
    s.ctl("member", "add", GROUP, author)
    ids, files = crash_with_posts_in_the_journal(s, ["vergeten@example.org"], sender=author)
    os.unlink(s.path(f"spool/{files[ids[0]]}"))
    # Their post is in the journal only (and they in the store, as a member).
    assert sorted(path for path, _ in files_naming(s, author)) == [s.path("spool/journal"), s.path("spool/mlist.db")]
    out, _ = s.ctl("member", "forget", author)
    assert "journal put back 1 file(s)" in out, out
    assert files_naming(s, author) == [], files_naming(s, author)
    d = s.start()
    assert "put back from the journal" not in "\n".join(d.log)
    wait_until(lambda: any(ids[0] in m["Message-ID"] for m in outbox(s, MEMBERS[0])),
               what="the post in the member's outbox, under the pseudonym")
    [copy] = [m.as_bytes() for m in outbox(s, MEMBERS[0]) if ids[0] in m["Message-ID"]]
    assert author.encode() not in copy.lower() and b"removed-member-" in copy, copy
    assert files_naming(s, author) == [], files_naming(s, author)
    d.stop()


def test_a_post_removed_after_a_crash_stays_removed():
    """mlistctl archive remove, after a crash of the machine took the emptied file of a delivered post
    from free/ (where it says the post is finished): the journal puts the file back for the command
    (spool_journal_settle), which empties it with the post's record (spool_discard).  Otherwise the
    next start would put it back, and the sorter, finding no record of it, would send it again."""
    s = Setup(listen=True)
    s.ctl("group", "add", GROUP, "--kind", "general", "--policy", "open")
    s.ctl("member", "add", GROUP, MEMBERS[0])
    ids, files = crash_with_posts_in_the_journal(s, ["weg@example.org"], delivered=True)
    wait_until(lambda: any(ids[0] in m["Message-ID"] for m in outbox(s, MEMBERS[0])), what="the post delivered")
    os.unlink(s.path(f"spool/{files[ids[0]]}"))
    out, _ = s.ctl("archive", "remove", f"<{ids[0]}>")
    assert "removed <" in out, out
    assert os.listdir(s.path("spool/incoming")) == [], os.listdir(s.path("spool/incoming"))
    d = s.start()
    assert "put back from the journal" not in "\n".join(d.log)
    # A post after it, to know the helpers have looked: it is delivered, the removed one not again.
    with smtplib.SMTP("127.0.0.1", s.smtp_port) as smtp:
        smtp.sendmail("schrijver@example.net", [f"{GROUP}@{DOMAIN}"],
                      f"From: schrijver@example.net\r\nTo: {GROUP}@{DOMAIN}\r\nSubject: daarna\r\n"
                      "Message-ID: <daarna@example.org>\r\n\r\nTekst.\r\n")
    wait_until(lambda: any("daarna@" in m["Message-ID"] for m in outbox(s, MEMBERS[0])), what="the later post")
    assert sum(ids[0] in m["Message-ID"] for m in outbox(s, MEMBERS[0])) == 1
    assert f"<{ids[0]}> sorted" not in "\n".join(d.log)
    d.stop()
