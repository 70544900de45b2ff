"""harness.py: start the real build/saasd on a free port with a fresh database
(SQLite file or a new PostgreSQL database on the test cluster) and talk HTTP to
it. Used by every tests/e2e/test_*.py module; stdlib only.

Environment (set by tests/run.sh):
  SAASD_BIN            path to the binary (default build/saasd)
  SAASD_TEST_BACKEND   sqlite | postgres
  SAASD_PG_PORT        port of the test PostgreSQL cluster (postgres backend)

Helpers beyond Server/Response/expect_error: Shared (one lazily started
server per module, stopped in teardown_module), raw_http / chunked (bytes
over a socket, for what http.client refuses to send), run_cli / Server.cli
(one-shot commands), wait_for (poll instead of sleeping), Server.wait_log (a
request's JSON log line), pg_sql / pg_rows / pg_dbname (SQL on the test
cluster), log_mails / mail_token / invitation_token (mails as the log mail
provider wrote them, and the one-time tokens in their links), sanitized() (an ASan build: widen timing bounds), Skip (a test that
does not apply to this backend; run.py reports it as skipped).
"""
import http.client
import json
import os
import re
import signal
import socket
import sqlite3
import struct
import subprocess
import tempfile
import threading
import time
import unittest
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.abspath(os.environ.get("SAASD_BIN", os.path.join(ROOT, "build", "saasd")))
BACKEND = os.environ.get("SAASD_TEST_BACKEND", "sqlite")
PG_PORT = os.environ.get("SAASD_PG_PORT", "")
PG_BIN = sorted(p for p in (os.listdir("/usr/lib/postgresql") if os.path.isdir("/usr/lib/postgresql") else []))
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")

# raise Skip("why") from a test that does not apply to this backend
Skip = unittest.SkipTest

_sanitized = None


def sanitized():
    """True when BIN is an ASan/UBSan build (slower: timing bounds widen)."""
    global _sanitized
    if _sanitized is None:
        try:
            with open(BIN, "rb") as f:
                _sanitized = b"__asan_init" in f.read()
        except OSError:
            _sanitized = False
    return _sanitized


def wait_for(fn, timeout=5.0, interval=0.005, what="condition"):
    """Poll fn() until it returns a truthy value; return it or fail."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def pg_url(dbname):
    return "postgres://postgres@127.0.0.1:%s/%s" % (PG_PORT, dbname)


class PgError(Exception):
    pass


def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise PgError("PostgreSQL closed the connection")
        buf += chunk
    return buf


def pg_sql(sql, dbname="postgres"):
    """Run SQL (one or more statements) on the test cluster as the superuser;
    returns the last result as `psql -qAtX` prints it: one row a line,
    columns separated by |, NULL as an empty string."""
    return "".join("|".join("" if v is None else v for v in row) + "\n"
                   for row in pg_rows(sql, dbname))


def pg_rows(sql, dbname="postgres"):
    """Run SQL (one or more statements) on the test cluster as the superuser
    and return the rows of the last result as lists of text (None for NULL).
    Speaks the simple-query protocol itself: the cluster uses trust auth,
    and spawning psql costs 20-200 ms per call."""
    sock = socket.create_connection(("127.0.0.1", int(PG_PORT)), timeout=30)
    try:
        params = b"user\0postgres\0database\0" + dbname.encode() + b"\0\0"
        sock.sendall(struct.pack("!ii", 8 + len(params), 196608) + params)
        query = sql.encode() + b"\0"
        sent, rows, error = False, [], None
        while True:
            typ = _recv_exact(sock, 1)
            body = _recv_exact(sock, struct.unpack("!i", _recv_exact(sock, 4))[0] - 4)
            if typ == b"R" and struct.unpack("!i", body[:4])[0] != 0:
                raise PgError("the test cluster asks for a password (expected trust auth)")
            elif typ == b"E":
                fields = dict((f[:1], f[1:].decode("utf-8", "replace"))
                              for f in body.split(b"\0") if f)
                error = "%s: %s" % (fields.get(b"C", "?"), fields.get(b"M", "?"))
                if not sent:
                    raise PgError(error)
            elif typ == b"T":
                rows = []
            elif typ == b"D":
                n, off, row = struct.unpack("!h", body[:2])[0], 2, []
                for _ in range(n):
                    ln = struct.unpack("!i", body[off:off + 4])[0]
                    off += 4
                    row.append(None if ln < 0 else body[off:off + ln].decode())
                    off += max(ln, 0)
                rows.append(row)
            elif typ == b"Z":
                if sent:
                    break
                sock.sendall(b"Q" + struct.pack("!i", 4 + len(query)) + query)
                sent = True
        sock.sendall(b"X" + struct.pack("!i", 4))
    finally:
        sock.close()
    if error:
        raise PgError(error)
    return rows


def pg_dbname(url):
    return url.rsplit("/", 1)[1].split("?", 1)[0]


def db_rows(srv, sql, params=()):
    """Rows of sql on srv's database, as lists. params are ?-style: bound by
    sqlite3 on SQLite, inlined as literals for PostgreSQL (spoken to with the
    simple protocol; strings must not contain quotes)."""
    if srv.database_url.startswith("postgres"):
        vals = []
        for p in params:
            if isinstance(p, str):
                assert "'" not in p, p
                vals.append("'%s'" % p)
            else:
                vals.append(str(int(p)))
        return pg_rows(sql.replace("?", "%s") % tuple(vals), pg_dbname(srv.database_url))
    conn = sqlite3.connect(srv.database_url[len("sqlite:"):], timeout=10)
    try:
        rows = [list(r) for r in conn.execute(sql, params).fetchall()]
        conn.commit()
        return rows
    finally:
        conn.close()


class _NextDatabase(threading.Thread):
    """Creates one empty database in the background, so the next test that
    needs one does not wait for CREATE DATABASE (100-300 ms)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.url, self.error = None, None
        self.start()

    def run(self):
        try:
            self.url = _create_pg_database_now()
        except Exception as e:  # noqa: BLE001 - reported by the caller
            self.error = e


_next_database = None
_next_database_lock = threading.Lock()


def _create_pg_database_now():
    name = "e2e_" + uuid.uuid4().hex[:12]
    pg_rows("CREATE DATABASE %s" % name)
    return pg_url(name)


def create_pg_database():
    """A brand-new empty database on the test cluster; returns its URL. One
    database is always being prepared ahead of time for the next caller."""
    global _next_database
    with _next_database_lock:
        ready, _next_database = _next_database, _NextDatabase()
    if ready is not None:
        ready.join(60)
        if ready.url is not None:
            return ready.url
    return _create_pg_database_now()


def fresh_database_url(tmpdir):
    if BACKEND == "postgres":
        return create_pg_database()
    return "sqlite:" + os.path.join(tmpdir, "saasd.db")


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # dict with lower-case names
        self.raw = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return "<Response %d %s>" % (self.status, self.raw[:300])


class Server:
    """One saasd process. Use as a context manager or call start()/stop()."""

    def __init__(self, env=None, database_url=None, args=("serve",)):
        self.tmp = tempfile.mkdtemp(prefix="saasd-e2e-")
        self.port = free_port()
        self.admin_token = "adm_" + uuid.uuid4().hex
        self.database_url = database_url or fresh_database_url(self.tmp)
        self.env = dict(os.environ)
        self.env.update({
            "DATABASE_URL": self.database_url,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "ADMIN_TOKEN": self.admin_token,
            "JWT_SECRET": "test-secret-" + uuid.uuid4().hex,
            "BCRYPT_WORK_FACTOR": "4",
            # development plus the test clock (advance_clock); a test that
            # needs plain development or production sets ENVIRONMENT itself
            "ENVIRONMENT": "test",
            "EMAIL_PROVIDER": "log",
            # tests make many calls per tenant; rate-limit tests set their own
            "RATE_LIMIT_PER_MINUTE": "10000000",
        })
        for k, v in (env or {}).items():  # a value of None removes the variable
            if v is None:
                self.env.pop(k, None)
            else:
                self.env[k] = v
        self.args = list(args)
        self.proc = None
        self.stdout_path = os.path.join(self.tmp, "stdout.log")
        self.stderr_path = os.path.join(self.tmp, "stderr.log")

    def start(self, wait=True):
        self.stdout = open(self.stdout_path, "ab")
        self.stderr = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen([BIN] + self.args, env=self.env, cwd=self.tmp,
                                     stdout=self.stdout, stderr=self.stderr)
        if wait:
            self.wait_healthy()
        return self

    def wait_healthy(self, timeout=15.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("saasd exited early (%s):\n%s" % (self.proc.returncode, self.logs()))
            try:
                if self.request("GET", "/health").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.02)
        raise AssertionError("saasd did not become healthy:\n" + self.logs())

    def stop(self, sig=signal.SIGTERM, timeout=15.0):
        """Stop and return the exit code; fails on sanitizer reports."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
            raise AssertionError("saasd did not stop within %ss" % timeout)
        finally:
            self.stdout.close()
            self.stderr.close()
        self.proc = None
        self.check_sanitizers()
        return rc

    def check_sanitizers(self):
        text = self.logs()
        for marker in SANITIZER_MARKERS:
            if marker in text:
                raise AssertionError("sanitizer report in saasd output:\n" + text[-6000:])

    def stdout_text(self):
        with open(self.stdout_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stderr_text(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def logs(self):
        out = []
        for p in (self.stdout_path, self.stderr_path):
            if os.path.exists(p):
                with open(p, "rb") as f:
                    out.append(f.read().decode("utf-8", "replace"))
        return "\n".join(out)

    def log_lines(self):
        """stderr parsed as JSON lines (non-JSON lines skipped)."""
        lines = []
        with open(self.stderr_path, "rb") as f:
            for raw in f:
                try:
                    lines.append(json.loads(raw))
                except ValueError:
                    pass
        return lines

    def wait_log(self, request_id, timeout=5.0):
        """The request log line with this request_id. Lines are written when
        MHD completes the request, just after the client has its answer, so
        poll briefly."""
        def find():
            for line in self.log_lines():
                if line.get("request_id") == request_id and "status" in line:
                    return line
            return None
        return wait_for(find, timeout, what="log line of " + request_id)

    def cli(self, *args, env=None, timeout=30):
        """Run a one-shot saasd command with this server's configuration
        (same database); returns subprocess.CompletedProcess (text)."""
        e = dict(self.env)
        e.update(env or {})
        return run_cli(list(args), env=e, cwd=self.tmp, timeout=timeout)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        rc = self.stop()
        if exc[0] is None:
            assert rc == 0, "saasd exit code %s\n%s" % (rc, self.logs()[-4000:])

    # --- HTTP -------------------------------------------------------------
    def request(self, method, path, body=None, key=None, session=None, headers=None,
                raw=None, content_type="application/json", timeout=30):
        h = {}
        if key is not None:
            h["Authorization"] = "Bearer " + key
        if session is not None:
            h["X-Session-Token"] = session
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None and content_type is not None:
            h["Content-Type"] = content_type
        h.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            payload = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
            return Response(r.status, hdrs, payload.decode("utf-8", "replace"))
        finally:
            conn.close()

    def admin(self, method, path, body=None, **kw):
        return self.request(method, path, body=body, key=self.admin_token, **kw)

    def advance_clock(self, seconds):
        """Move this saasd process's clock forward (ENVIRONMENT=test only):
        expiries, windows and backoffs come due at once, and the jobs are
        woken. Returns the answer's JSON ({"now", "offset_seconds"}). A
        `saasd worker` is another process with its own, unmoved clock."""
        r = self.admin("POST", "/admin/test/clock", {"advance_seconds": int(seconds)})
        assert r.status == 200, r
        return r.json

    def create_tenant(self, name="Acme"):
        """Returns (tenant_json, api_key)."""
        r = self.admin("POST", "/admin/tenants", {"name": name})
        assert r.status == 201, r
        return r.json["tenant"], r.json["api_key"]


class Shared:
    """A server shared by one module's tests, started on first use. The
    module stops it in teardown_module() with stop(), which asserts a clean
    exit (code 0, no sanitizer report)."""

    def __init__(self, **kw):
        self.kw = kw
        self.server = None

    def get(self):
        if self.server is None:
            self.server = Server(**self.kw).start()
        return self.server

    def stop(self):
        srv, self.server = self.server, None
        if srv is not None:
            rc = srv.stop()
            assert rc == 0, "saasd exit code %s\n%s" % (rc, srv.logs()[-4000:])


def run_cli(args, env, cwd=None, timeout=30):
    """Run BIN with args; returns CompletedProcess with text stdout/stderr.
    Fails on a timeout (the command must not hang) or a sanitizer report."""
    try:
        r = subprocess.run([BIN] + list(args), env=env, cwd=cwd, timeout=timeout,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except subprocess.TimeoutExpired:
        raise AssertionError("saasd %s did not finish within %ss" % (" ".join(args), timeout))
    r.stdout = r.stdout.decode("utf-8", "replace")
    r.stderr = r.stderr.decode("utf-8", "replace")
    for marker in SANITIZER_MARKERS:
        if marker in r.stderr:
            raise AssertionError("sanitizer report from saasd %s:\n%s" % (args, r.stderr[-6000:]))
    return r


def parse_http_response(data):
    """Parse one raw HTTP/1.1 response (Content-Length or read-to-close)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        raise AssertionError("incomplete HTTP response: %r" % data[:300])
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = body[:int(headers["content-length"])]
    return Response(status, headers, body.decode("utf-8", "replace"))


def response_complete(data):
    """True when data holds a whole response (headers and Content-Length body)."""
    return _response_complete(data)


def _response_complete(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    if head.startswith(b"HTTP/1.1 100"):
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return False


def raw_http(port, head, body=b"", timeout=10.0):
    """Send raw bytes (head, then body, which may be an iterable of pieces)
    and return the parsed Response. For requests http.client refuses to
    build: control bytes in headers, hand-made chunked bodies, lies in
    Content-Length. A send error after the server answered early (413) is
    ignored: the answer is still read."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(head)
        pieces = [body] if isinstance(body, (bytes, bytearray)) else body
        try:
            for p in pieces:
                if p:
                    s.sendall(p)
        except OSError:
            pass
        data = b""
        while not _response_complete(data):
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
            if data.startswith(b"HTTP/1.1 100") and b"\r\n\r\n" in data:
                data = data.partition(b"\r\n\r\n")[2]
        return parse_http_response(data)
    finally:
        s.close()


def chunked(data, size=4096):
    """data in HTTP/1.1 chunked transfer coding."""
    out = []
    for i in range(0, len(data), size):
        piece = data[i:i + size]
        out.append(b"%x\r\n" % len(piece) + piece + b"\r\n")
    out.append(b"0\r\n\r\n")
    return b"".join(out)


# --- mail ------------------------------------------------------------------------
# The outbox keeps no usable token (the link is stored encrypted and put into
# the mail only when it is sent, bodies are dropped once sent), so tests read
# tokens from the line the log provider (EMAIL_PROVIDER=log) writes per mail.

MAIL_TOKEN = re.compile(r"(?<![0-9A-Za-z])([0-9A-Za-z]{43})(?![0-9A-Za-z])")


def log_mails(srv, to=None):
    """The mails srv's log provider wrote (their JSON log lines: to, subject,
    text...), oldest first; to: only those to this address."""
    return [line for line in srv.log_lines()
            if str(line.get("msg", "")).startswith("mail (EMAIL_PROVIDER=log")
            and (to is None or line.get("to") == to)]


def mail_token(srv, email, since_count=0):
    """The one-time token in the newest mail to email. since_count: how many
    mails to email there were before (the caller's count of outbox rows)."""
    def find():
        texts = [str(line.get("text", "")) for line in log_mails(srv, email)]
        if len(texts) <= since_count:
            return None
        m = MAIL_TOKEN.findall(texts[-1])
        assert m, "no token in the mail to %s: %r" % (email, texts[-1])
        return m[-1]
    return wait_for(find, 10.0, what="a mail to " + email)


def invitation_token(srv, invitation_id, timeout=15.0):
    """The token of invitation_id, from the invitation mail whose link names
    that id (the default invite_url does, and so must a test's own)."""
    def find():
        for line in reversed(log_mails(srv)):
            text = str(line.get("text", ""))
            if invitation_id in text:
                m = MAIL_TOKEN.findall(text)
                assert m, "no token in the mail of %s: %r" % (invitation_id, text)
                return m[-1]
        return None
    return wait_for(find, timeout, interval=0.02, what="the mail of " + invitation_id)


def expect_error(resp, status, code):
    """Assert resp is the API.md error envelope with this status and code."""
    assert resp.status == status, "expected %d %s, got %r" % (status, code, resp)
    assert resp.json is not None and "error" in resp.json, resp
    assert (resp.header("Content-Type") or "").startswith("application/json"), resp.headers
    err = resp.json["error"]
    assert err["code"] == code, "expected code %s, got %r" % (code, resp)
    assert isinstance(err.get("message"), str) and err["message"], resp
    assert err.get("request_id") == resp.header("X-Request-Id"), resp
    return err
