"""A private Postfix (Debian `postfix`) for the tests: its own config
folder, queue and log under a temporary folder, one smtpd on a loopback
port, started with `postfix -c DIR start` as root, never touching the
system's mail setup.  The recipe and its pitfalls are in
../shared/testing/README.md."""
import json
import os
import shutil
import subprocess
import tempfile
import time

from harness import Skip, _to_clean, free_port

POSTFIX = "/usr/sbin/postfix"


class Postfix:
    def __init__(self, main_cf):
        """main_cf: the lines under test, after the private instance's own (folders, port, host name)."""
        if not os.path.exists(POSTFIX) or os.geteuid() != 0:
            raise Skip("needs root and Debian's postfix")
        self.dir = tempfile.mkdtemp(prefix="mlist-postfix-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.etc = os.path.join(self.dir, "etc")
        for sub in ("etc", "queue", "data"):
            os.makedirs(os.path.join(self.dir, sub))
        shutil.chown(os.path.join(self.dir, "data"), "postfix")  # the master's lock lives there
        with open("/usr/share/postfix/master.cf.dist") as f:
            master = f.read()
        assert "\nsmtp      inet" in master, "the packaged master.cf has no smtp inet service"
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(master.replace("\nsmtp      inet", f"\n127.0.0.1:{self.port}      inet"))
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write(f"compatibility_level = 3.6\n"
                    f"queue_directory = {self.dir}/queue\n"
                    f"data_directory = {self.dir}/data\n"
                    f"maillog_file = {self.dir}/maillog\n"
                    f"maillog_file_prefixes = {self.dir}\n"
                    "inet_interfaces = 127.0.0.1\ninet_protocols = ipv4\n"
                    "myhostname = mx.lists.test\nmydestination =\n"
                    "alias_maps =\nalias_database =\n"
                    + main_cf)
        self.postfix("start")
        _to_clean.append(self.stop)

    def postfix(self, *args):
        proc = subprocess.run([POSTFIX, "-c", self.etc, *args], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, f"postfix {' '.join(args)}: {proc.stderr}\n{self.log()}"

    def stop(self):
        if os.path.exists(self.etc):
            subprocess.run([POSTFIX, "-c", self.etc, "stop"], capture_output=True, timeout=60)
            deadline = time.monotonic() + 10
            while os.path.exists(os.path.join(self.dir, "queue", "pid", "master.pid")) and time.monotonic() < deadline:
                time.sleep(0.05)
            shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        try:
            with open(os.path.join(self.dir, "maillog")) as f:
                return f.read()
        except OSError:
            return ""

    def queue(self):
        """The queue IDs of the mail Postfix still holds (deferred or active)."""
        proc = subprocess.run(["/usr/sbin/postqueue", "-c", self.etc, "-j"], capture_output=True, text=True,
                              timeout=60)

        return [json.loads(line)["queue_id"] for line in proc.stdout.splitlines() if line.strip()]
