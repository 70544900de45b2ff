"""test_mail.py: transactional mail end to end. saasd delivers to a real SMTP
server on loopback (smtp_sink.py, started by each test) or to a fake Resend
API; the tests take the token out of the received mail and finish the flow
through the HTTP API. Also: retries after the SMTP server was down (across a
restart of saasd), permanent refusals, the log provider, no secret in logs, and
no usable token at rest: the database (SQLite file and WAL, or a dump of every
PostgreSQL table) never holds a mailed token, queued or sent."""
import http.server
import json
import os
import socket
import subprocess
import threading
import time

from harness import PG_BIN, PG_PORT, Server, db_rows, expect_error, free_port, pg_dbname
from smtp_sink import SmtpSink, link_param, links

PASSWORD = "hunter22a"
NEW_PASSWORD = "n3w-passw0rd"
RETRY_WAIT = 10.0  # generous: once the clock is advanced the retry goes out at once
# the first retry is due 5 s +-10% after a failed attempt: tests move saasd's
# clock (ENVIRONMENT=test) past it instead of waiting
FIRST_RETRY_S = 6


def poll(fn, timeout=10.0, what="condition"):
    """fn() until it returns something truthy; fail after timeout seconds."""
    deadline = time.time() + timeout
    while True:
        got = fn()
        if got:
            return got
        if time.time() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(0.05)


def log_with(srv, msg_prefix, **fields):
    """The first JSON log line whose msg starts with msg_prefix and matches fields."""
    for line in srv.log_lines():
        if str(line.get("msg", "")).startswith(msg_prefix) and \
                all(line.get(k) == v for k, v in fields.items()):
            return line
    return None


def smtp_server(sink_or_port, **env):
    port = sink_or_port if isinstance(sink_or_port, int) else sink_or_port.port
    e = {"EMAIL_PROVIDER": "smtp", "SMTP_URL": "smtp://127.0.0.1:%d" % port}
    e.update(env)
    return Server(env=e)


def register(srv, key, email, password=PASSWORD):
    r = srv.request("POST", "/auth/register", {"email": email, "password": password}, key=key)
    assert r.status == 201, r
    return r.json


def request_reset(srv, key, email):
    r = srv.request("POST", "/auth/password-reset/request", {"email": email}, key=key)
    assert r.status == 202, r


def login(srv, key, email, password):
    return srv.request("POST", "/auth/login", {"email": email, "password": password}, key=key)


def dead_port():
    """A loopback port where nothing listens (and which we may bind later)."""
    port = free_port()
    s = socket.socket()
    try:
        assert s.connect_ex(("127.0.0.1", port)) != 0
    finally:
        s.close()
    return port


def test_password_reset_flow_through_real_smtp_server():
    with SmtpSink() as sink, smtp_server(sink) as srv:
        _, key = srv.create_tenant("Acme")
        register(srv, key, "alice@example.com")
        request_reset(srv, key, "Alice@Example.com ")
        mail = sink.wait_for("alice@example.com")
        assert mail.mail_from == "no-reply@localhost", mail.mail_from
        assert mail.header("To") == "alice@example.com"
        assert mail.header("Subject") == "Reset your Acme password"
        assert mail.header("Date") and mail.header("Message-ID").startswith("<msg_")
        assert mail.html is not None and "reset-password?token=" in mail.html
        token = link_param(mail.text, "token")
        assert links(mail.text)[0].startswith("http://localhost:3000/reset-password?token=")

        r = srv.request("POST", "/auth/password-reset/complete",
                        {"token": token, "password": NEW_PASSWORD}, key=key)
        assert r.status == 200, r
        assert login(srv, key, "alice@example.com", NEW_PASSWORD).status == 200
        expect_error(login(srv, key, "alice@example.com", PASSWORD), 401, "invalid_credentials")
        # single use
        r = srv.request("POST", "/auth/password-reset/complete",
                        {"token": token, "password": "an0ther-pass"}, key=key)
        expect_error(r, 400, "invalid_token")
        poll(lambda: log_with(srv, "mail delivered", provider="smtp", attempt="1"),
             what="the delivered log line")


def test_reset_for_unknown_email_sends_nothing():
    with SmtpSink() as sink, smtp_server(sink) as srv:
        _, key = srv.create_tenant("Acme")
        register(srv, key, "known@example.com")
        request_reset(srv, key, "nobody@example.com")
        request_reset(srv, key, "known@example.com")
        sink.wait_for("known@example.com")
        assert sink.to("nobody@example.com") == []


def test_verify_email_flow_through_real_smtp_server():
    with SmtpSink() as sink, smtp_server(sink) as srv:
        _, key = srv.create_tenant("Acme")
        reg = register(srv, key, "bob@example.com")
        session = reg["session"]["token"]
        assert reg["user"]["email_verified"] is False
        r = srv.request("POST", "/auth/verify-email/request", key=key, session=session)
        assert r.status == 202, r
        mail = sink.wait_for("bob@example.com")
        assert mail.subject == "Confirm your email address for Acme"
        assert links(mail.text)[0].startswith("http://localhost:3000/verify-email?token=")
        token = link_param(mail.text, "token")
        r = srv.request("POST", "/auth/verify-email/complete", {"token": token}, key=key)
        assert r.status == 200, r
        r = srv.request("GET", "/auth/session", key=key, session=session)
        assert r.status == 200 and r.json["user"]["email_verified"] is True, r


def test_tenant_templates_sender_and_hostile_app_name_are_used_and_escaped():
    with SmtpSink() as sink, smtp_server(sink) as srv:
        _, key = srv.create_tenant("Acme")
        app_name = "<b>Evil</b> & \"Co\" 'x'"
        r = srv.request("PATCH", "/tenant", {"settings": {
            "app_name": app_name,
            "email_from": "Acme Support <support@acme.test>",
            "reset_url": "https://app.acme.test/auth/reset?t={token}&src=mail",
        }}, key=key)
        assert r.status == 200, r
        register(srv, key, "carol@example.com")
        request_reset(srv, key, "carol@example.com")
        mail = sink.wait_for("carol@example.com")
        assert mail.mail_from == "support@acme.test"
        assert mail.header("From") == "Acme Support <support@acme.test>"
        assert mail.subject == "Reset your %s password" % app_name
        link = links(mail.text)[0]
        assert link.startswith("https://app.acme.test/auth/reset?t="), link
        assert link.endswith("&src=mail"), link
        token = link_param(mail.text, "t")
        html = mail.html
        assert html is not None
        assert "<b>Evil" not in html and "\"Co\"" not in html and "'x'" not in html
        assert "&lt;b&gt;Evil&lt;/b&gt; &amp; &quot;Co&quot; &#39;x&#39;" in html
        # the link inside href is escaped too (& -> &amp;)
        assert 'href="https://app.acme.test/auth/reset?t=%s&amp;src=mail"' % token in html
        r = srv.request("POST", "/auth/password-reset/complete",
                        {"token": token, "password": NEW_PASSWORD}, key=key)
        assert r.status == 200, r


def test_non_ascii_subject_is_rfc2047_encoded():
    with SmtpSink() as sink, smtp_server(sink) as srv:
        _, key = srv.create_tenant("Acme")
        app_name = "Caf\u00e9 \u2615 " + "\u00fc" * 60  # long: folded into several words
        r = srv.request("PATCH", "/tenant", {"settings": {"app_name": app_name}}, key=key)
        assert r.status == 200, r
        register(srv, key, "dora@example.com")
        request_reset(srv, key, "dora@example.com")
        mail = sink.wait_for("dora@example.com")
        assert b"=?UTF-8?B?" in mail.data
        assert mail.subject == "Reset your %s password" % app_name, mail.subject
        for line in mail.data.split(b"\r\n"):
            assert len(line) <= 998
        assert app_name in mail.text


def test_invitation_mail_uses_tenant_template_and_escapes_names():
    with SmtpSink() as sink, smtp_server(sink) as srv:
        _, key = srv.create_tenant("Acme")
        r = srv.request("PATCH", "/tenant", {"settings": {
            "invite_url": "https://app.acme.test/join?inv={invitation_id}&t={token}"}}, key=key)
        assert r.status == 200, r
        r = srv.request("POST", "/auth/register", {"email": "owner@example.com",
                        "password": PASSWORD, "name": "<Mallory>"}, key=key)
        assert r.status == 201, r
        owner = r.json["session"]["token"]
        r = srv.request("POST", "/organizations", {"name": "Team <A> & Co"}, key=key,
                        session=owner)
        assert r.status == 201, r
        org_id = r.json["id"]
        r = srv.request("POST", "/organizations/%s/invitations" % org_id,
                        {"email": "dave@example.com"}, key=key, session=owner)
        assert r.status == 201, r
        invitation_id = (r.json.get("invitation") or r.json)["id"]
        mail = sink.wait_for("dave@example.com")
        assert mail.subject == "<Mallory> invited you to join Team <A> & Co on Acme", mail.subject
        link = links(mail.text)[0]
        assert link.startswith("https://app.acme.test/join?inv=%s&t=" % invitation_id), link
        assert len(link_param(mail.text, "t")) >= 32
        assert "&lt;Mallory&gt;" in mail.html and "<Mallory>" not in mail.html
        assert "Team &lt;A&gt; &amp; Co" in mail.html
        dave = register(srv, key, "dave@example.com")["session"]["token"]
        r = srv.request("POST", "/invitations/%s/accept" % invitation_id,
                        {"token": link_param(mail.text, "t")}, key=key, session=dave)
        assert r.status == 200, r


def test_mail_is_retried_after_the_smtp_server_was_down():
    port = dead_port()
    with smtp_server(port) as srv:
        _, key = srv.create_tenant("Acme")
        register(srv, key, "erin@example.com")
        request_reset(srv, key, "erin@example.com")
        line = poll(lambda: log_with(srv, "mail delivery failed, will retry"),
                    what="a failed first attempt")
        assert line["attempt"] == "1" and line["provider"] == "smtp", line
        assert "connect" in line["error"].lower(), line
        with SmtpSink(port) as sink:
            srv.advance_clock(FIRST_RETRY_S)
            mail = sink.wait_for("erin@example.com", timeout=RETRY_WAIT)
            token = link_param(mail.text)
            poll(lambda: log_with(srv, "mail delivered", attempt="2"),
                 what="delivery on the second attempt")
        r = srv.request("POST", "/auth/password-reset/complete",
                        {"token": token, "password": NEW_PASSWORD}, key=key)
        assert r.status == 200, r
        assert len(sink.to("erin@example.com")) == 1


def test_pending_mail_survives_a_restart_of_saasd():
    port = dead_port()
    first = smtp_server(port).start()
    try:
        _, key = first.create_tenant("Acme")
        register(first, key, "frank@example.com")
        request_reset(first, key, "frank@example.com")
        poll(lambda: log_with(first, "mail delivery failed, will retry"),
             what="a failed first attempt")
    finally:
        assert first.stop() == 0
    with SmtpSink(port) as sink:
        second = Server(database_url=first.database_url, env={
            "EMAIL_PROVIDER": "smtp", "SMTP_URL": "smtp://127.0.0.1:%d" % port,
            "JWT_SECRET": first.env["JWT_SECRET"]})
        with second:
            second.advance_clock(FIRST_RETRY_S)  # a new process: its own clock
            mail = sink.wait_for("frank@example.com", timeout=RETRY_WAIT)
            token = link_param(mail.text)
            r = second.request("POST", "/auth/password-reset/complete",
                               {"token": token, "password": NEW_PASSWORD}, key=key)
            assert r.status == 200, r
            poll(lambda: log_with(second, "mail delivered", attempt="2"),
                 what="the restarted server's delivery")


def test_recipient_refused_with_5xx_fails_permanently_without_retry():
    with SmtpSink() as sink, smtp_server(sink) as srv:
        sink.refuse["gone@example.com"] = 550
        _, key = srv.create_tenant("Acme")
        register(srv, key, "gone@example.com")
        request_reset(srv, key, "gone@example.com")
        line = poll(lambda: log_with(srv, "mail delivery failed permanently"),
                    what="the permanent failure")
        assert "550" in line["error"], line
        assert log_with(srv, "mail delivery failed, will retry") is None


def test_credentials_in_smtp_url_require_tls_and_never_reach_the_log():
    with SmtpSink() as sink:
        url = "smtp://mailer:Sup3rS3cretPw@127.0.0.1:%d" % sink.port
        with smtp_server(sink, SMTP_URL=url) as srv:
            _, key = srv.create_tenant("Acme")
            register(srv, key, "gina@example.com")
            request_reset(srv, key, "gina@example.com")
            line = poll(lambda: log_with(srv, "mail delivery failed, will retry"),
                        what="the refused plaintext attempt")
            assert sink.messages == []  # no STARTTLS offered: nothing sent in clear
            text = srv.logs()
        assert "Sup3rS3cretPw" not in text, line
        assert "mailer:" not in text


def test_log_provider_writes_the_mail_with_its_link_to_the_log():
    with Server() as srv:  # EMAIL_PROVIDER=log is the harness default
        _, key = srv.create_tenant("Acme")
        register(srv, key, "hal@example.com")
        request_reset(srv, key, "hal@example.com")
        line = poll(lambda: log_with(srv, "mail (EMAIL_PROVIDER=log", to="hal@example.com"),
                    what="the logged mail")
        assert line["subject"] == "Reset your Acme password"
        token = link_param(line["text"])
        r = srv.request("POST", "/auth/password-reset/complete",
                        {"token": token, "password": NEW_PASSWORD}, key=key)
        assert r.status == 200, r


def test_log_provider_in_production_does_not_log_the_link():
    env = {"ENVIRONMENT": "production", "ADMIN_TOKEN": "adm_" + "Q7" * 20,
           "JWT_SECRET": "s3cret-" + "x" * 40, "BCRYPT_WORK_FACTOR": "10"}
    with Server(env=env) as srv:
        srv.admin_token = env["ADMIN_TOKEN"]
        _, key = srv.create_tenant("Acme")
        register(srv, key, "ian@example.com")
        request_reset(srv, key, "ian@example.com")
        line = poll(lambda: log_with(srv, "mail (EMAIL_PROVIDER=log", to="ian@example.com"),
                    what="the logged mail")
        assert "text" not in line, line
        assert "token=" not in srv.logs()


# --- no usable token at rest -----------------------------------------------------

def database_bytes(srv):
    """Everything the database holds, as bytes: the SQLite file and its -wal
    (and -journal) file read raw, or for PostgreSQL pg_dump of the database
    when the binary is there, plus every row of every table cast to text."""
    if srv.database_url.startswith("sqlite:"):
        path, out = srv.database_url[len("sqlite:"):], b""
        for suffix in ("", "-wal", "-journal"):
            if os.path.exists(path + suffix):
                with open(path + suffix, "rb") as f:
                    out += f.read()
        assert out, path
        return out
    dbname = pg_dbname(srv.database_url)
    out = b""
    if PG_BIN:
        dump = "/usr/lib/postgresql/%s/bin/pg_dump" % PG_BIN[-1]
        out += subprocess.run([dump, "-h", "127.0.0.1", "-p", PG_PORT, "-U", "postgres",
                               dbname], check=True, stdout=subprocess.PIPE).stdout
    tables = db_rows(srv, "SELECT table_name FROM information_schema.tables"
                          " WHERE table_schema = 'public'")
    assert any(t[0] == "email_outbox" for t in tables), tables
    for (table,) in tables:
        for row in db_rows(srv, 'SELECT t::text FROM "%s" t' % table):
            out += (row[0] or "").encode() + b"\n"
    return out


def queue_the_three_mails(srv):
    """A reset, a verification and an invitation mail; returns the api key,
    the verifying user's session and the invitation id."""
    _, key = srv.create_tenant("Acme")
    register(srv, key, "rita@example.com")
    request_reset(srv, key, "rita@example.com")
    session = register(srv, key, "vic@example.com")["session"]["token"]
    r = srv.request("POST", "/auth/verify-email/request", key=key, session=session)
    assert r.status == 202, r
    owner = register(srv, key, "olga@example.com")["session"]["token"]
    r = srv.request("POST", "/organizations", {"name": "Team"}, key=key, session=owner)
    assert r.status == 201, r
    r = srv.request("POST", "/organizations/%s/invitations" % r.json["id"],
                    {"email": "ines@example.com"}, key=key, session=owner)
    assert r.status == 201, r
    return key, session, (r.json.get("invitation") or r.json)["id"]


def outbox_rows(srv):
    return db_rows(srv, "SELECT status, text_body, html_body FROM email_outbox ORDER BY id")


def test_no_mailed_token_is_ever_stored_in_the_database_queued_or_sent():
    port = dead_port()
    with smtp_server(port) as srv:
        key, session, invitation_id = queue_the_three_mails(srv)
        # first attempts fail (nothing listens yet): the three rows wait, queued
        poll(lambda: len([ln for ln in srv.log_lines()
                          if ln.get("msg") == "mail delivery failed, will retry"]) >= 3,
             what="three failed first attempts")
        queued = database_bytes(srv)
        rows = outbox_rows(srv)
        assert [r[0] for r in rows] == ["pending"] * 3, rows
        for _, text, html in rows:
            assert "token=" not in text and "token=" not in (html or ""), text
        with SmtpSink(port) as sink:
            srv.advance_clock(FIRST_RETRY_S)
            reset = sink.wait_for("rita@example.com", timeout=RETRY_WAIT)
            verify = sink.wait_for("vic@example.com", timeout=RETRY_WAIT)
            invite = sink.wait_for("ines@example.com", timeout=RETRY_WAIT)
            poll(lambda: [r[0] for r in outbox_rows(srv)] == ["sent"] * 3,
                 timeout=RETRY_WAIT, what="the three mails recorded as sent")
        tokens = [link_param(m.text) for m in (reset, verify, invite)]
        assert link_param(invite.text, "invitation_id") == invitation_id
        for m, token in zip((reset, verify, invite), tokens):
            assert len(token) >= 32 and token in m.html, m
        sent = database_bytes(srv)
        for token in tokens:
            assert token.encode() not in queued, "a queued row holds a token"
            assert token.encode() not in sent, "the database holds a sent token"
        # sent rows keep no bodies
        assert all(text == "" and html is None for _, text, html in outbox_rows(srv))
        # and the mails work: each token once
        r = srv.request("POST", "/auth/password-reset/complete",
                        {"token": tokens[0], "password": NEW_PASSWORD}, key=key)
        assert r.status == 200, r
        assert login(srv, key, "rita@example.com", NEW_PASSWORD).status == 200
        r = srv.request("POST", "/auth/verify-email/complete", {"token": tokens[1]}, key=key)
        assert r.status == 200, r
        r = srv.request("GET", "/auth/session", key=key, session=session)
        assert r.status == 200 and r.json["user"]["email_verified"] is True, r
        r = srv.request("POST", "/auth/verify-email/complete", {"token": tokens[1]}, key=key)
        expect_error(r, 400, "invalid_token")
        ines = register(srv, key, "ines@example.com")["session"]["token"]
        r = srv.request("POST", "/invitations/%s/accept" % invitation_id, {"token": tokens[2]},
                        key=key, session=ines)
        assert r.status == 200, r


# --- Resend --------------------------------------------------------------------

class FakeResend(http.server.ThreadingHTTPServer):
    """Answers POST /emails with the next code of `codes` (then 200)."""
    daemon_threads = True

    def __init__(self, codes):
        super().__init__(("127.0.0.1", 0), _ResendHandler)
        self.codes = list(codes)
        self.requests = []
        self.lock = threading.Lock()

    def __enter__(self):
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()

    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]


class _ResendHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        srv = self.server
        with srv.lock:
            srv.requests.append((self.path, dict(self.headers), body))
            code = srv.codes.pop(0) if srv.codes else 200
        if code == 200:
            payload = {"id": "re_%d" % len(srv.requests)}
        else:
            payload = {"name": "error", "message": "fake failure %d" % code, "statusCode": code}
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def resend_server(api, api_key):
    return Server(env={"EMAIL_PROVIDER": "resend", "RESEND_API_KEY": api_key,
                       "RESEND_API_URL": api.url() + "/"})


def test_resend_provider_posts_json_with_bearer_key_and_retries_a_500():
    api_key = "re_test_" + os.urandom(8).hex()
    with FakeResend([500]) as api, resend_server(api, api_key) as srv:
        _, key = srv.create_tenant("Acme")
        r = srv.request("PATCH", "/tenant", {"settings": {"app_name": "A<b>"}}, key=key)
        assert r.status == 200, r
        register(srv, key, "ivy@example.com")
        request_reset(srv, key, "ivy@example.com")
        poll(lambda: len(api.requests) >= 1, timeout=RETRY_WAIT, what="the first POST")
        poll(lambda: log_with(srv, "mail delivery failed, will retry"), what="the failure")
        assert len(api.requests) == 1  # the retry waits for its backoff
        srv.advance_clock(FIRST_RETRY_S)
        poll(lambda: len(api.requests) >= 2, timeout=RETRY_WAIT, what="the retried POST")
        (p1, h1, b1), (p2, h2, b2) = api.requests[:2]
        assert p1 == p2 == "/emails"
        assert h1["Authorization"] == "Bearer " + api_key
        assert h1["Content-Type"] == "application/json"
        assert h1["Idempotency-Key"] == h2["Idempotency-Key"]
        assert h1["Idempotency-Key"].startswith("msg_")
        body = json.loads(b1)
        assert body["to"] == ["ivy@example.com"]
        assert body["from"] == "saasd <no-reply@localhost>"
        assert body["subject"] == "Reset your A<b> password"
        assert "A&lt;b&gt;" in body["html"] and "A<b>" not in body["html"]
        assert b1 == b2
        token = link_param(body["text"])
        line = poll(lambda: log_with(srv, "mail delivered", provider="resend", attempt="2"),
                    what="delivery on the second attempt")
        retry = log_with(srv, "mail delivery failed, will retry")
        assert retry is not None and "HTTP 500" in retry["error"], retry
        assert api_key not in srv.logs()
        r = srv.request("POST", "/auth/password-reset/complete",
                        {"token": token, "password": NEW_PASSWORD}, key=key)
        assert r.status == 200, (r, line)


def test_resend_4xx_is_a_permanent_failure():
    with FakeResend([422]) as api, resend_server(api, "re_test_key") as srv:
        _, key = srv.create_tenant("Acme")
        register(srv, key, "jack@example.com")
        request_reset(srv, key, "jack@example.com")
        line = poll(lambda: log_with(srv, "mail delivery failed permanently"),
                    what="the permanent failure")
        assert "HTTP 422" in line["error"] and "fake failure" in line["error"], line
        assert len(api.requests) == 1
