"""smtp_sink.py: a small real SMTP server for the e2e tests (stdlib only).
It speaks enough RFC 5321 for libcurl (EHLO/HELO, MAIL FROM, RCPT TO, DATA
with dot-unstuffing, RSET, NOOP, QUIT), never offers STARTTLS or AUTH, keeps
every accepted message parsed with the email package, and runs in a thread on
a chosen loopback port so a test can start it late or stop it mid-test.

    sink = SmtpSink(port).start()
    mail = sink.wait_for("alice@example.com", timeout=10)
    token = link_param(mail.text, "token")
    sink.stop()
"""
import email
import email.policy
import re
import socket
import socketserver
import threading
import time
import urllib.parse

MAX_LINE = 4096
MAX_MESSAGE = 10 * 1024 * 1024


class Received:
    """One accepted message: envelope, raw bytes and the parsed message."""

    def __init__(self, mail_from, rcpt_to, data):
        self.mail_from = mail_from
        self.rcpt_to = list(rcpt_to)
        self.data = data
        self.message = email.message_from_bytes(data, policy=email.policy.default)

    def header(self, name):
        value = self.message.get(name)
        return None if value is None else str(value)

    @property
    def subject(self):
        return self.header("Subject")

    def _body(self, kind):
        part = self.message.get_body(preferencelist=(kind,))
        return None if part is None else part.get_content()

    @property
    def text(self):
        return self._body("plain")

    @property
    def html(self):
        return self._body("html")

    def __repr__(self):
        return "<Received from=%s to=%s subject=%r>" % (self.mail_from, self.rcpt_to,
                                                        self.subject)


def _address(arg):
    """The address inside <...> of a MAIL FROM / RCPT TO argument."""
    m = re.search(r"<([^>]*)>", arg)
    return m.group(1) if m else arg.strip().split(" ")[0]


class _Handler(socketserver.StreamRequestHandler):
    timeout = 30

    def reply(self, text):
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        sink = self.server.sink
        self.reply("220 localhost saasd-test-sink ESMTP")
        mail_from, rcpts = None, []
        while True:
            line = self.rfile.readline(MAX_LINE)
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            verb, _, arg = text.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self.reply("250-localhost greets %s" % arg)
                self.reply("250-8BITMIME")
                self.reply("250-SMTPUTF8")
                self.reply("250 SIZE %d" % MAX_MESSAGE)
            elif verb == "HELO":
                self.reply("250 localhost")
            elif verb == "MAIL" and arg.upper().startswith("FROM:"):
                mail_from, rcpts = _address(arg[5:]), []
                self.reply("250 OK")
            elif verb == "RCPT" and arg.upper().startswith("TO:"):
                if mail_from is None:
                    self.reply("503 MAIL first")
                    continue
                addr = _address(arg[3:])
                code = sink.rcpt_reply(addr)
                if code == 250:
                    rcpts.append(addr)
                    self.reply("250 OK")
                else:
                    self.reply("%d recipient refused by the test sink" % code)
            elif verb == "DATA":
                if not rcpts:
                    self.reply("503 RCPT first")
                    continue
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = self.read_data()
                if data is None:
                    return
                sink.accept(Received(mail_from, rcpts, data))
                mail_from, rcpts = None, []
                self.reply("250 OK queued")
            elif verb == "RSET":
                mail_from, rcpts = None, []
                self.reply("250 OK")
            elif verb == "NOOP":
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")

    def read_data(self):
        chunks, size = [], 0
        while True:
            line = self.rfile.readline(MAX_LINE + 2)
            if not line:
                return None
            if line in (b".\r\n", b".\n"):
                return b"".join(chunks)
            if line.startswith(b"."):
                line = line[1:]  # dot-unstuffing (RFC 5321 4.5.2)
            size += len(line)
            if size > MAX_MESSAGE:
                return None
            chunks.append(line)


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class SmtpSink:
    """A threaded SMTP server on 127.0.0.1:port (0: any free port)."""

    def __init__(self, port=0):
        self.port = port
        self.messages = []
        self.refuse = {}  # recipient -> SMTP reply code for RCPT TO
        self._cv = threading.Condition()
        self._server = None
        self._thread = None

    def start(self):
        self._server = _Server(("127.0.0.1", self.port), _Handler)
        self._server.sink = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def url(self):
        return "smtp://127.0.0.1:%d" % self.port

    # called by the handler threads
    def rcpt_reply(self, addr):
        return self.refuse.get(addr.lower(), 250)

    def accept(self, received):
        with self._cv:
            self.messages.append(received)
            self._cv.notify_all()

    # called by tests
    def to(self, addr):
        with self._cv:
            return [m for m in self.messages if addr.lower() in (r.lower() for r in m.rcpt_to)]

    def wait_for(self, addr, timeout=10.0, count=1):
        """The count-th message to addr, waiting up to timeout seconds."""
        deadline = time.time() + timeout
        with self._cv:
            while True:
                got = [m for m in self.messages
                       if addr.lower() in (r.lower() for r in m.rcpt_to)]
                if len(got) >= count:
                    return got[count - 1]
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError("no mail #%d to %s within %.1fs (have %r)"
                                         % (count, addr, timeout, self.messages))
                self._cv.wait(left)


def links(text):
    """Every http(s) URL in a text body."""
    return re.findall(r"https?://[^\s<>\"']+", text or "")


def link_param(text, name="token"):
    """The value of query parameter name in the first link carrying it."""
    for url in links(text):
        query = urllib.parse.urlsplit(url).query
        values = urllib.parse.parse_qs(query).get(name)
        if values:
            return values[0]
    raise AssertionError("no link with ?%s= in:\n%s" % (name, text))


def port_is_free(port):
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()
