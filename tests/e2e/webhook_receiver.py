"""webhook_receiver.py: a webhook receiver on loopback for the webhook e2e
tests (test_webhooks.py, test_webhook_workers.py, ...), plus two independent
signature verifiers. Not a test module itself.

Receiver: http.server on its own thread. Records every request (path,
headers, raw body, arrival time) and answers from a per-path script of
Reply(status, headers, delay) values, then with the path's default (200).
A `policy` callable can decide answers from the request itself.

Hanger: a loopback port that accepts and never answers (an endpoint that
hangs), counting how many attempts were held open at once.

Verification, both independent of saasd's C code:
- verify_python(): the Standard Webhooks scheme written out here with
  hmac/hashlib/base64 (always runs, so a signature check never silently
  disappears).
- NodeVerifier: the reference implementation, the npm package
  `standardwebhooks` (new Webhook(secret).verify(body, headers)), run by
  tests/e2e/verify_standardwebhooks.js. It is one of the test tools of
  tests/node (pinned by its package-lock.json), installed there with npm ci
  by scripts/npm-deps.sh; when npm or the registry is unavailable,
  node_verifier() returns None with the reason and callers skip only the
  npm-based check.

`python3 tests/e2e/webhook_receiver.py --install` installs tests/node
(tests/run.sh calls it once before the end-to-end suites)."""
import base64
import hashlib
import hmac
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NODE_DIR = os.path.join(ROOT, "tests", "node")
NPM_DEPS = os.path.join(ROOT, "scripts", "npm-deps.sh")
VERIFY_JS = os.path.join(HERE, "verify_standardwebhooks.js")
TOLERANCE_S = 300  # the specification's (and the libraries') default

# The specification's published example, checked against the npm package too.
VECTOR = {
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "timestamp": 1614265330,
    "body": '{"test": 2432232314}',
    "signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}


class Reply:
    """One scripted answer: status, extra headers, seconds to wait first."""

    def __init__(self, status=200, headers=None, delay=0.0, body=b""):
        self.status, self.headers, self.delay, self.body = status, dict(headers or {}), delay, body

    def __repr__(self):
        return "<Reply %d %r delay=%s>" % (self.status, self.headers, self.delay)


class Received:
    def __init__(self, method, path, headers, body, status):
        self.method, self.path, self.headers, self.body = method, path, headers, body
        self.at = time.monotonic()
        self.wall = time.time()
        self.status = status  # what the receiver answered

    @property
    def id(self):
        return self.headers.get("webhook-id")

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def type(self):
        return self.json().get("type")

    def __repr__(self):
        return "<Received %s %s %s -> %d>" % (self.path, self.id, self.body[:80], self.status)


class Receiver:
    """Use as a context manager. port=None picks a free one; a fixed port
    lets a test start the receiver after saasd already has its URL."""

    def __init__(self, port=None):
        self.lock = threading.Condition()
        self.received = []
        self.scripts = {}   # path -> [Reply, ...] consumed in order
        self.defaults = {}  # path -> Reply once the script is used up
        self.policy = None  # fn(Received-like request) -> Reply or None
        self._port = port or 0
        self.httpd = None
        self.thread = None

    # --- lifecycle ---------------------------------------------------------
    def start(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = receiver._reply_for(self.path, headers, body)
                rec = Received("POST", self.path, headers, body, reply.status)
                with receiver.lock:
                    receiver.received.append(rec)
                    receiver.lock.notify_all()
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(reply.body)))
                self.send_header("Connection", "close")
                self.end_headers()
                if reply.body:
                    self.wfile.write(reply.body)
                self.close_connection = True

            def do_GET(self):
                self.send_response(405)
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True

            def log_message(self, *args):  # quiet
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def url(self, path="/hook"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    # --- scripting -----------------------------------------------------------
    def script(self, path, *replies, default=None):
        """Answer the next requests to path with replies, in order; then with
        default (200 when not given)."""
        with self.lock:
            self.scripts.setdefault(path, []).extend(replies)
            if default is not None:
                self.defaults[path] = default

    def _reply_for(self, path, headers, body):
        with self.lock:
            queue = self.scripts.get(path)
            if queue:
                return queue.pop(0)
            policy = self.policy
        if policy is not None:
            r = policy(path, headers, body)
            if r is not None:
                return r
        with self.lock:
            return self.defaults.get(path) or Reply(200)

    # --- what arrived ----------------------------------------------------------
    def requests(self, path=None):
        with self.lock:
            return [r for r in self.received if path is None or r.path == path]

    def ids(self, path=None):
        """Counter of webhook-id header values (one per request)."""
        return Counter(r.id for r in self.requests(path))

    def wait(self, pred, timeout=10.0, what="requests"):
        """Wait until pred(list of requests) is truthy; return that value."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                got = pred(list(self.received))
                if got:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out after %.1fs waiting for %s; got %r" % (
                        timeout, what, self.received[-20:]))
                self.lock.wait(min(left, 0.2))

    def wait_count(self, path, n, timeout=10.0):
        """Wait for at least n requests to path; returns them."""
        return self.wait(lambda rs: [r for r in rs if r.path == path]
                         if len([r for r in rs if r.path == path]) >= n else None,
                         timeout, "%d request(s) to %s" % (n, path))

    def wait_types(self, path, types, timeout=10.0):
        """Wait until requests to path include every type in types (a list,
        with repeats); returns the requests to path."""
        need = Counter(types)

        def done(rs):
            mine = [r for r in rs if r.path == path]
            have = Counter(r.type for r in mine)
            return mine if all(have[t] >= n for t, n in need.items()) else None
        return self.wait(done, timeout, "events %s at %s" % (sorted(need.elements()), path))

    def quiet(self, path, seconds):
        """Requests to path arriving in the next `seconds` (should be none)."""
        before = len(self.requests(path))
        time.sleep(seconds)
        return self.requests(path)[before:]


class Hanger:
    """A loopback receiver that accepts every connection, reads the request
    head (to learn the path) and never answers: each attempt to it lasts
    until saasd gives up (its total timeout) or close_all() is called. It
    records how many of its connections were open at once, in all and per
    path. Use as a context manager."""

    def __init__(self):
        self.lock = threading.Condition()
        self.open = {}       # socket -> path ("" until the head is read)
        self.paths = []      # path of every request head read, in order
        self.max_open = 0
        self.max_open_per_path = Counter()
        self.sock = None
        self.closing = False

    def start(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn):
        head = b""
        with self.lock:
            if self.closing:
                conn.close()
                return
            self.open[conn] = ""
            self.max_open = max(self.max_open, len(self.open))
        try:
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                head += chunk
            line = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
            path = line[1] if len(line) > 1 else ""
            with self.lock:
                if conn in self.open:
                    self.open[conn] = path
                    self.paths.append(path)
                    now = sum(1 for p in self.open.values() if p == path)
                    self.max_open_per_path[path] = max(self.max_open_per_path[path], now)
                    self.lock.notify_all()
            while conn.recv(4096):  # hang: read and discard until saasd gives up
                pass
        except OSError:
            pass
        finally:
            with self.lock:
                self.open.pop(conn, None)
            conn.close()

    def wait_open(self, n, timeout=10.0):
        """Wait until at least n requests are hanging here."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while sum(1 for p in self.open.values() if p) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out waiting for %d hanging requests (%r)" % (
                        n, list(self.open.values())))
                self.lock.wait(min(left, 0.2))

    def close_all(self):
        """Stop accepting and drop every held connection (saasd sees an empty
        reply at once)."""
        with self.lock:
            self.closing = True
            conns = list(self.open)
        try:
            self.sock.close()
        except OSError:
            pass
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close_all()


# --- independent verification: Python -------------------------------------------------

class SignatureError(AssertionError):
    pass


def verify_python(secret, headers, body, now=None, tolerance=TOLERANCE_S):
    """Standard Webhooks verification written from the specification:
    key = base64decode(secret minus "whsec_"); signed content is
    "{webhook-id}.{webhook-timestamp}.{body}"; webhook-signature holds
    space-separated "v1,<base64 HMAC-SHA256>" entries, one must match;
    the timestamp must be within tolerance of now. Returns the parsed body."""
    h = {k.lower(): v for k, v in headers.items()}
    msg_id, ts, sigs = h.get("webhook-id"), h.get("webhook-timestamp"), h.get("webhook-signature")
    if not msg_id or not ts or not sigs:
        raise SignatureError("missing Standard Webhooks headers: %r" % h)
    if not ts.isdigit():
        raise SignatureError("webhook-timestamp is not an integer: %r" % ts)
    now = time.time() if now is None else now
    if abs(now - int(ts)) > tolerance:
        raise SignatureError("webhook-timestamp %s is %ds away from now" % (ts, now - int(ts)))
    assert secret.startswith("whsec_"), secret
    key = base64.b64decode(secret[len("whsec_"):], validate=True)
    if isinstance(body, str):
        body = body.encode("utf-8")
    signed = msg_id.encode() + b"." + ts.encode() + b"." + body
    want = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for entry in sigs.split(" "):
        version, _, sig = entry.partition(",")
        if version == "v1" and hmac.compare_digest(sig, want):
            return json.loads(body.decode("utf-8"))
    raise SignatureError("no v1 signature matches: got %r, want v1,%s" % (sigs, want))


def _vector_check():
    v = VECTOR
    key = base64.b64decode(v["secret"][6:])
    mac = hmac.new(key, ("%s.%d.%s" % (v["id"], v["timestamp"], v["body"])).encode(),
                   hashlib.sha256).digest()
    assert "v1," + base64.b64encode(mac).decode() == v["signature"], "python verifier is broken"


_vector_check()


# --- independent verification: the npm package standardwebhooks ---------------------------

_node_lock = threading.Lock()
_node_state = {"done": False, "verifier": None, "reason": None}


def _installed():
    return os.path.isfile(os.path.join(NODE_DIR, "node_modules", "standardwebhooks", "package.json"))


def install_standardwebhooks(timeout=300):
    """Install tests/node (scripts/npm-deps.sh) unless it is there; returns
    (True, "") or (False, reason)."""
    if _installed():
        return True, ""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return False, "node or npm is not installed"
    try:
        r = subprocess.run([NPM_DEPS, NODE_DIR], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return False, "npm ci in %s timed out after %ds" % (NODE_DIR, timeout)
    if r.returncode != 0 or not _installed():
        tail = r.stdout.decode("utf-8", "replace").strip()[-600:]
        return False, "npm ci in %s failed (exit %d): %s" % (NODE_DIR, r.returncode, tail)
    return True, ""


class NodeVerifier:
    """Runs verify_standardwebhooks.js once per batch of requests."""

    def verify(self, items, timeout=60):
        """items: list of (secret, headers dict, body bytes). Returns one dict
        per item: {"ok": bool, "error": str|None, "payload": parsed|None}."""
        data = {"vector": VECTOR, "items": [
            {"secret": s, "headers": {k.lower(): v for k, v in h.items()},
             "body_b64": base64.b64encode(b if isinstance(b, bytes) else b.encode()).decode()}
            for s, h, b in items]}
        env = dict(os.environ, STANDARDWEBHOOKS_DIR=NODE_DIR)
        r = subprocess.run(["node", VERIFY_JS], input=json.dumps(data).encode(), env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        if r.returncode != 0:
            raise AssertionError("verify_standardwebhooks.js failed (exit %d): %s" % (
                r.returncode, r.stderr.decode("utf-8", "replace")[-2000:]))
        out = json.loads(r.stdout)
        assert out["vector"] == VECTOR["signature"], (
            "the npm package signs the published vector as %r" % out["vector"])
        assert len(out["results"]) == len(items)
        return out["results"]


def node_verifier():
    """A NodeVerifier, or None when the npm package cannot be installed
    (see node_unavailable_reason())."""
    with _node_lock:
        if not _node_state["done"]:
            ok, reason = install_standardwebhooks()
            _node_state.update(done=True, verifier=NodeVerifier() if ok else None,
                               reason=None if ok else reason)
        return _node_state["verifier"]


def node_unavailable_reason():
    node_verifier()
    return _node_state["reason"]


def verify_all(secret, requests):
    """Check every Received with the Python verifier and, when available,
    with the npm package. Returns the parsed payloads and whether the npm
    package took part."""
    payloads = [verify_python(secret, r.headers, r.body) for r in requests]
    nv = node_verifier()
    if nv is not None and requests:
        results = nv.verify([(secret, r.headers, r.body) for r in requests])
        bad = [(r, res) for r, res in zip(requests, results) if not res["ok"]]
        assert not bad, "standardwebhooks refused: %r" % bad[:5]
        for p, res in zip(payloads, results):
            assert res["payload"] == p, (res["payload"], p)
    return payloads, nv is not None


if __name__ == "__main__":
    if sys.argv[1:] == ["--install"]:
        ok, why = install_standardwebhooks()
        print("standardwebhooks (npm): %s" % ("installed in " + NODE_DIR if ok else
                                            "NOT available, npm-based checks will skip: " + why))
        sys.exit(0)
    print(__doc__)
