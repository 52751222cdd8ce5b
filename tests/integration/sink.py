"""A real SMTP server for the delivery tests, on a loopback port in a
thread of the test: it speaks ESMTP over TCP, answers each RCPT as the
test scripts it (say 451 the first time and 250 the second), and records
every accepted copy with its envelope and the moment it was accepted.  A
client that goes away before the final dot (killed, say) has sent nothing:
only a transaction answered 250 is recorded."""
import asyncio
import threading
import time


class Sink:
    def __init__(self, port, script=None, tls=None):
        """script: {address: [reply code for the 1st RCPT, for the 2nd, ...]}; 250 after the list or by default.
        tls: an ssl.SSLContext (server side) to offer STARTTLS with."""
        self.port = port
        self.tls = tls
        self.over_tls = []        # per accepted transaction: whether it came over TLS
        self.script = {k.lower(): list(v) for k, v in (script or {}).items()}
        self.received = []        # (mail_from, [rcpts], data) per accepted transaction
        self.received_at = []     # time.monotonic() of each entry of received
        self.rcpt_attempts = {}   # address -> RCPT commands seen
        self.connections = 0
        self.lock = threading.Condition()  # guards the records; notified as each copy is accepted
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.ready.wait(10)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._session, "127.0.0.1", self.port))
        self.ready.set()
        self.loop.run_forever()

    def stop(self):
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def copies_for(self, address):
        with self.lock:
            return [data for _, rcpts, data in self.received if address.lower() in (r.lower() for r in rcpts)]

    def recipients(self):
        with self.lock:
            return [r for _, rcpts, _ in self.received for r in rcpts]

    def _rcpt_reply(self, address):
        with self.lock:
            n = self.rcpt_attempts.get(address, 0)
            self.rcpt_attempts[address] = n + 1
            codes = self.script.get(address, [])
            return codes[n] if n < len(codes) else 250

    async def _session(self, reader, writer):
        """One client connection; it may end at any moment without QUIT."""
        try:
            await self._dialogue(reader, writer)
        except ConnectionError:
            pass
        writer.close()

    async def _dialogue(self, reader, writer):
        self.connections += 1
        writer.write(b"220 sink ESMTP\r\n")
        mail_from, rcpts, secure = None, [], False
        while True:
            line = await reader.readline()
            if not line:
                break
            cmd = line.decode("latin-1").strip()
            verb = cmd[:4].upper()
            if verb in ("EHLO", "HELO"):
                offer = b"250-STARTTLS\r\n" if self.tls and not secure else b""
                writer.write(b"250-sink\r\n" + offer + b"250-PIPELINING\r\n250 8BITMIME\r\n" if verb == "EHLO"
                             else b"250 sink\r\n")
            elif verb == "STAR" and self.tls and not secure:
                writer.write(b"220 2.0.0 Ready to start TLS\r\n")
                await writer.drain()
                await writer.start_tls(self.tls)
                secure, mail_from, rcpts = True, None, []
                continue
            elif verb == "MAIL":
                mail_from, rcpts = cmd[10:].strip().strip("<>").split(">")[0], []
                writer.write(b"250 2.1.0 Ok\r\n")
            elif verb == "RCPT":
                address = cmd[8:].strip().strip("<>").lower()
                code = self._rcpt_reply(address)
                if code == 250:
                    rcpts.append(address)
                    writer.write(b"250 2.1.5 Ok\r\n")
                elif code >= 500:
                    writer.write(f"{code} 5.1.1 <{address}>: no such user\r\n".encode())
                else:
                    writer.write(f"{code} 4.2.0 <{address}>: try again later\r\n".encode())
            elif verb == "DATA":
                writer.write(b"354 go on\r\n")
                await writer.drain()
                lines = []
                while True:
                    chunk = await reader.readline()
                    if not chunk:
                        return  # gone before the final dot: nothing was sent
                    if chunk in (b".\r\n", b".\n"):
                        break
                    lines.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                with self.lock:
                    self.over_tls.append(secure)
                    self.received.append((mail_from, rcpts, b"".join(lines)))
                    self.received_at.append(time.monotonic())
                    self.lock.notify_all()
                writer.write(b"250 2.0.0 Ok: queued\r\n")
            elif verb == "RSET":
                mail_from, rcpts = None, []
                writer.write(b"250 2.0.0 Ok\r\n")
            elif verb == "QUIT":
                writer.write(b"221 2.0.0 Bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 2.0.0 Ok\r\n")
            await writer.drain()
