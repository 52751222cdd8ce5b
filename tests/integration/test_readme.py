"""README's demo walk-through, run as a newcomer would: a fresh copy of
conf/mlistd.conf (other ports, the test's own account) in a folder laid
out like the repository, the demo seed, mlistd started, then every `$ `
command of the walk-through with build/admin-cli/mlistctl and port 2525
replaced, each until it prints what README shows (dates may differ)."""
import os
import re
import shutil
import subprocess
import tempfile
import time

from harness import Daemon, _to_clean, free_port, unprivileged_user

ROOT = os.environ["MLIST_SOURCE_ROOT"]
MARKER = "<!-- demo walk-through:"
DATE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def walk_through():
    """[(command, [expected output lines])] from README's walk-through blocks."""
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    section = text[text.index(MARKER):]
    section = section[:section.index("\n## ")]
    steps = []
    lines = [line[4:] for line in section.splitlines() if line.startswith("    ")]
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("$ "):
            command = line[2:]
            while command.endswith("\\"):
                i += 1
                command = command[:-1] + " " + lines[i].strip()
            steps.append((command, []))
        elif steps:
            steps[-1][1].append(line)
        i += 1
    return steps


class Demo:
    """A folder like the repository's, with the demo config (ports moved) and its store seeded."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="mlist-readme-")
        os.chmod(self.dir, 0o755)
        _to_clean.append(lambda: shutil.rmtree(self.dir, ignore_errors=True))
        self.smtp_port, lmtp_port = free_port(), free_port()
        os.makedirs(os.path.join(self.dir, "conf"))
        with open(os.path.join(ROOT, "conf", "mlistd.conf")) as f:
            conf = f.read()
        for old, new in (("port = 2525", f"port = {self.smtp_port}"), ("port = 2524", f"port = {lmtp_port}"),
                         ('user = "mlist";', f'user = "{unprivileged_user()}";')):
            assert old in conf, old
            conf = conf.replace(old, new)
        self.config = os.path.join(self.dir, "conf", "mlistd.conf")
        with open(self.config, "w") as f:
            f.write(conf)
        self.ctl("init")
        subprocess.run(["sh", os.path.join(ROOT, "conf", "demo-seed.sh"), self.config], check=True,
                       env={**os.environ, "MLISTCTL": os.environ["MLISTCTL"]}, capture_output=True)

    def ctl(self, *args):
        subprocess.run([os.environ["MLISTCTL"], "-c", self.config, *args], check=True, capture_output=True)

    def run(self, command):
        command = (command.replace("build/admin-cli/mlistctl", os.environ["MLISTCTL"])
                   .replace("127.0.0.1:2525", f"127.0.0.1:{self.smtp_port}"))
        return subprocess.run(["sh", "-c", command], cwd=self.dir, capture_output=True, text=True, timeout=60)


def same(expected, actual):
    """Lines equal, dates aside."""
    norm = lambda lines: [DATE.sub("DATE", line).rstrip() for line in lines]
    return norm(expected) == norm(actual)


def test_the_demo_walk_through_does_what_readme_says():
    steps = walk_through()
    assert len(steps) >= 6, steps
    demo = Demo()
    daemon = Daemon(demo, [])
    daemon.wait_for("mlistd ready")
    for command, expected in steps:
        deadline = time.monotonic() + 15
        while True:
            proc = demo.run(command)
            actual = proc.stdout.splitlines()
            # mail is sorted and delivered a moment after it is taken: look again until it is there
            if proc.returncode == 0 and same(expected, actual):
                break
            assert time.monotonic() < deadline, (
                f"README: `{command}`\nwanted:\n" + "\n".join(expected) + f"\ngot (exit {proc.returncode}):\n"
                + proc.stdout + proc.stderr + "\nmlistd:\n" + "\n".join(daemon.log))
            time.sleep(0.2)
    daemon.stop()
