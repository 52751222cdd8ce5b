"""A throw-away Dovecot IMAP server for the IMAP tests, made from
../shared/testing/dovecot-test.conf.in (with a copy of it kept here, so the
tests do not depend on a folder outside the repository): plain-text LOGIN
on a loopback port, one user (and any extra ones a test asks for),
maildirs in a temporary folder."""
import imaplib
import os
import shutil
import signal
import subprocess
import tempfile
import time

from harness import Skip, _to_clean, free_port

CONFIG = """base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{dir}/mail/%u
default_internal_user = dovecot
default_login_user = dovenull
default_internal_group = dovecot
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={dir}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
first_valid_uid = 100
"""

USER, PASSWORD = "group", "secret"


class Dovecot:
    def __init__(self, tls=False, users=None):
        """tls: also offer STARTTLS and imaps (self.imaps_port), with a certificate for 127.0.0.1 in self.cert.
        users: {name: password} besides USER."""
        self.users = {USER: PASSWORD, **(users or {})}
        if not shutil.which("dovecot") or os.geteuid() != 0:
            raise Skip("needs root and Debian's dovecot-imapd")
        self.dir = tempfile.mkdtemp(prefix="mlist-dovecot-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.imaps_port = free_port() if tls else 0
        self.cert = os.path.join(self.dir, "cert.pem")
        ssl = "ssl = no"
        if tls:
            key = os.path.join(self.dir, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                            "-keyout", key, "-out", self.cert], check=True, capture_output=True)
            ssl = f"ssl = yes\nssl_cert = <{self.cert}\nssl_key = <{key}"
        for sub in ("run", "state", "mail"):
            os.makedirs(os.path.join(self.dir, sub))
        shutil.chown(os.path.join(self.dir, "mail"), "dovecot", "dovecot")
        with open(os.path.join(self.dir, "passwd"), "w") as f:
            f.writelines(f"{user}:{{PLAIN}}{password}\n" for user, password in self.users.items())
        self.conf = os.path.join(self.dir, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(CONFIG.format(dir=self.dir, port=self.port, imaps_port=self.imaps_port, ssl=ssl))
        subprocess.run(["dovecot", "-c", self.conf], check=True)
        _to_clean.append(self.stop)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.client().logout()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self):
        pidfile = os.path.join(self.dir, "run", "master.pid")
        if os.path.exists(pidfile):
            try:
                os.kill(int(open(pidfile).read()), signal.SIGTERM)
            except (OSError, ValueError):
                pass
            deadline = time.monotonic() + 10
            while os.path.exists(pidfile) and time.monotonic() < deadline:
                time.sleep(0.05)
        shutil.rmtree(self.dir, ignore_errors=True)

    def client(self, user=USER):
        c = imaplib.IMAP4("127.0.0.1", self.port)
        c.login(user, self.users[user])
        return c

    def append(self, message, folder="INBOX", user=USER):
        c = self.client(user)
        typ, data = c.append(folder, None, None, message.encode() if isinstance(message, str) else message)
        assert typ == "OK", data
        c.logout()

    def flags(self, folder="INBOX"):
        """{uid: flags} of the folder."""
        c = self.client()
        c.select(folder)
        typ, data = c.uid("FETCH", "1:*", "(FLAGS)")
        c.logout()
        out = {}
        for item in data:
            if not item:
                continue
            text = item.decode() if isinstance(item, bytes) else item[0].decode()
            if "UID " not in text:
                continue  # an unsolicited FETCH: mlistd changed a flag meanwhile (the answers to UID FETCH name their UID)
            uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
            out[uid] = text.split("FLAGS (")[1].split(")")[0].split()
        return out

    def unflag_seen(self, uid, folder="INBOX"):
        c = self.client()
        c.select(folder)
        c.uid("STORE", str(uid), "-FLAGS", "(\\Seen)")
        c.logout()

    def create(self, folder):
        c = self.client()
        c.create(folder)
        c.logout()

    def count(self, folder="INBOX"):
        c = self.client()
        typ, data = c.select(folder)
        c.logout()
        return int(data[0])
