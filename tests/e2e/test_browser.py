"""test_browser.py: a real browser. Headless Chromium (/usr/bin/chromium,
scripts/deps.sh), driven by puppeteer-core (tests/node, browser_flow.mjs),
opens a page (browser_page/, served by a small http.server on another
loopback port) that signs up and logs in against saasd with the publishable
key and "session_cookie": true, reads GET /auth/session with
credentials: "include" (the session only in the HttpOnly cookie), creates an
organization (an unsafe cookie-borne call: its Origin is allowed), refreshes
and logs out. A page from an origin not in allowed_origins is refused: the
preflight names no origin, so fetch rejects and the calls never reach saasd.
Page and saasd are both http://localhost (same site, different ports):
Chromium treats http://localhost as secure, so it keeps a Secure,
SameSite=Lax cookie there. Runs on both backends (a few seconds each)."""
import functools
import http.server
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid

from harness import Server, Skip
from webhook_receiver import NODE_DIR, install_standardwebhooks

HERE = os.path.dirname(os.path.abspath(__file__))
FLOW = os.path.join(HERE, "browser_flow.mjs")
PAGE_DIR = os.path.join(HERE, "browser_page")
CHROMIUM = os.environ.get("SAASD_CHROMIUM", "/usr/bin/chromium")
SESSION_TTL = 604800


class _PageHandler(http.server.SimpleHTTPRequestHandler):
    """Serves browser_page/ with a strict CSP: scripts from the page's own
    origin only, fetches to saasd only."""
    csp = "default-src 'self'"

    def end_headers(self):
        self.send_header("Content-Security-Policy", self.csp)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args):
        pass


def serve_page(api_origin):
    """A page server on 127.0.0.1 (a free port); returns (server, port)."""
    handler = type("Handler", (_PageHandler,), {
        "csp": "default-src 'self'; script-src 'self'; connect-src %s" % api_origin})
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=PAGE_DIR))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, httpd.server_address[1]


def run_flow(pages, timeout=120):
    """browser_flow.mjs over pages [(name, url)]; its JSON output. Node (and
    with it Chromium) runs in its own process group, killed by its PID if it
    overruns."""
    profile = tempfile.mkdtemp(prefix="saasd-chromium-")
    proc = subprocess.Popen(["node", FLOW], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True,
                            env=dict(os.environ, PUPPETEER_DIR=NODE_DIR))
    try:
        req = {"chromium": CHROMIUM, "profile": profile,
               "pages": [{"name": n, "url": u} for n, u in pages]}
        out, err = proc.communicate(json.dumps(req).encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise AssertionError("browser_flow.mjs did not finish within %ss" % timeout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)
    text = out.decode("utf-8", "replace")
    assert text, "browser_flow.mjs printed nothing (exit %s): %s" % (
        proc.returncode, err.decode("utf-8", "replace")[-3000:])
    res = json.loads(text)
    assert proc.returncode == 0 and "error" not in res, (res.get("error"), res.get("console"),
                                                         err.decode("utf-8", "replace")[-2000:])
    pid = res.get("chromium_pid")
    if pid:  # browser_flow.mjs killed it; make sure (by that PID only)
        try:
            os.kill(pid, 0)
            raise AssertionError("chromium (pid %d) is still running" % pid)
        except ProcessLookupError:
            pass
        except PermissionError:
            pass
    return res


def needs_browser():
    if not os.access(CHROMIUM, os.X_OK):
        raise Skip("no Chromium at %s (scripts/deps.sh installs it)" % CHROMIUM)
    if shutil.which("node") is None:
        raise Skip("node is not installed")
    ok, why = install_standardwebhooks()  # the one tests/node project: puppeteer-core in it
    if not ok:
        raise Skip(why)
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "puppeteer-core")):
        raise Skip("puppeteer-core is not in tests/node/node_modules")


def page_url(port, api, key, email, step):
    return "http://localhost:%d/index.html?%s" % (port, urllib.parse.urlencode(
        {"api": api, "key": key, "email": email, "step": step}))


def saasd_cookie(cookies):
    found = [c for c in cookies if c["name"] == "saasd_session"]
    assert len(found) <= 1, found
    return found[0] if found else None


def test_a_real_browser_signs_in_with_the_session_cookie_and_other_origins_are_refused():
    needs_browser()
    srv = Server().start()
    pages = []
    try:
        api = "http://localhost:%d" % srv.port
        good, good_port = serve_page(api)
        other, other_port = serve_page(api)
        pages = [good, other]
        _, sk = srv.create_tenant("Browser Co")
        origin = "http://localhost:%d" % good_port
        assert srv.request("PATCH", "/tenant", {"settings": {"allowed_origins": [origin]}},
                           key=sk).status == 200
        r = srv.request("POST", "/api-keys", {"name": "web", "type": "publishable"}, key=sk)
        assert r.status == 201, r
        pk = r.json["key"]
        email = "browser.%s@example.com" % uuid.uuid4().hex[:10]
        started = time.time()
        res = run_flow([
            ("signin", page_url(good_port, api, pk, email, "signin")),
            ("foreign", page_url(other_port, api, pk, email, "foreign")),
            ("signout", page_url(good_port, api, pk, email, "signout")),
        ])
        a = res["results"]["signin"]
        ctx = json.dumps(res, indent=1)[:6000]
        # sign-up: the session is in the cookie, not the body, and no script sees it
        assert a["register"]["status"] == 201, ctx
        assert "token" not in a["register"]["json"]["session"], ctx
        assert a["cookie_visible_to_script"] is False, ctx
        assert a["session_after_register"]["status"] == 200, ctx
        assert a["session_after_register"]["json"]["user"]["email"] == email, ctx
        # logout ends it: the next read has no cookie
        assert a["logout"]["status"] == 204, ctx
        assert a["session_after_logout"]["status"] == 401, ctx
        assert a["session_after_logout"]["json"]["error"]["code"] == "invalid_session", ctx
        # login, and the cookie works for reads and for an unsafe call from the allowed origin
        assert a["login"]["status"] == 200 and "token" not in a["login"]["json"]["session"], ctx
        sid = a["login"]["json"]["session"]["id"]
        assert a["session_after_login"]["status"] == 200, ctx
        assert a["session_after_login"]["json"]["session"]["id"] == sid, ctx
        assert a["org"]["status"] == 201, ctx
        assert a["org"]["json"]["name"] == "Browser Org", ctx
        # refresh rotates the cookie: the browser keeps the session
        assert a["refresh"]["status"] == 200, ctx
        assert "token" not in a["refresh"]["json"]["session"], ctx
        assert a["session_after_refresh"]["status"] == 200, ctx
        assert a["session_after_refresh"]["json"]["session"]["id"] == sid, ctx
        # the cookie as the browser keeps it
        c = saasd_cookie(res["cookies"]["signin"])
        assert c is not None, ctx
        assert c["domain"] == "localhost" and c["path"] == "/", c
        assert c["httpOnly"] is True and c["secure"] is True and c["sameSite"] == "Lax", c
        assert c["session"] is False, c
        assert abs(c["expires"] - (started + SESSION_TTL)) < 60, (c, started)
        # another origin (same site, not allowed): every call is refused by the browser
        f = res["results"]["foreign"]
        for name in ("session", "logout", "login"):
            assert f[name].get("rejected") is True, (name, ctx)
        # ...and its logout never reached saasd: the session survived it
        assert saasd_cookie(res["cookies"]["foreign"]) is not None, ctx
        # the allowed page logs out: the browser drops the cookie
        s = res["results"]["signout"]
        assert s["logout"]["status"] == 204, ctx
        assert s["session_after_logout"]["status"] == 401, ctx
        assert saasd_cookie(res["cookies"]["signout"]) is None, ctx
        # saasd saw the foreign page's preflights only, never its calls
        lines = srv.log_lines()
        logouts = [ln for ln in lines if ln.get("route") == "/auth/logout"
                   and ln.get("method") == "POST"]
        assert [ln["status"] for ln in logouts] == [204, 204], logouts
    finally:
        for p in pages:
            p.shutdown()
            p.server_close()
        assert srv.stop() == 0, srv.logs()[-4000:]
