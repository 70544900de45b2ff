"""harness.py: start the real build/saasd on a free port with a fresh database
(SQLite file or a new PostgreSQL database on the test cluster) and talk HTTP to
it. Used by every tests/e2e/test_*.py module; stdlib only.

Environment (set by tests/run.sh):
  SAASD_BIN            path to the binary (default build/saasd)
  SAASD_TEST_BACKEND   sqlite | postgres
  SAASD_PG_PORT        port of the test PostgreSQL cluster (postgres backend)
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.abspath(os.environ.get("SAASD_BIN", os.path.join(ROOT, "build", "saasd")))
BACKEND = os.environ.get("SAASD_TEST_BACKEND", "sqlite")
PG_PORT = os.environ.get("SAASD_PG_PORT", "")
PG_BIN = sorted(p for p in (os.listdir("/usr/lib/postgresql") if os.path.isdir("/usr/lib/postgresql") else []))
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def pg_url(dbname):
    return "postgres://postgres@127.0.0.1:%s/%s" % (PG_PORT, dbname)


def create_pg_database():
    """A brand-new empty database on the test cluster; returns its URL."""
    name = "e2e_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", "-h", "127.0.0.1", "-p", PG_PORT, "-U", "postgres", "-q",
                    "-c", "CREATE DATABASE %s" % name], check=True, stdout=subprocess.DEVNULL)
    return pg_url(name)


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
            "ENVIRONMENT": "development",
            "EMAIL_PROVIDER": "log",
        })
        self.env.update(env or {})
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

    def create_tenant(self, name="Acme"):
        """Returns (tenant_json, api_key)."""
        r = self.admin("POST", "/admin/tenants", {"name": name})
        assert r.status == 201, r
        return r.json["tenant"], r.json["api_key"]


def expect_error(resp, status, code):
    """Assert resp is the API.md error envelope with this status and code."""
    assert resp.status == status, "expected %d %s, got %r" % (status, code, resp)
    assert resp.json is not None and "error" in resp.json, resp
    err = resp.json["error"]
    assert err["code"] == code, "expected code %s, got %r" % (code, resp)
    assert isinstance(err.get("message"), str) and err["message"], resp
    assert err.get("request_id") == resp.header("X-Request-Id"), resp
    return err
