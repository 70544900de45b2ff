"""test_auth.py: the Authentication section of API.md against the real binary:
register and login shapes, email normalisation, the password policy, bcrypt's
72-byte truncation, imported and re-costed hashes, enumeration resistance
(identical bodies, identical timing), login throttling shared through the
database, hashing fair across tenants (one tenant's login flood does not
delay another tenant's login), sessions (logout, listing, revocation, expiry, tenant isolation),
users (read and delete), password reset and email verification, and that no
password hash or token hash ever leaves the database (answers and logs).

Most tests share one server (BCRYPT_WORK_FACTOR=4, set by the harness) and
each uses its own tenant so they do not see each other's users. The database
is read and written directly through the sqlite3 CLI or psql (db_rows)."""
import datetime
import http.client
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import threading
import time
import uuid
import warnings

from harness import (BACKEND, Server, Shared, Skip, expect_error, invitation_token, mail_token,
                     pg_dbname, pg_rows, pg_sql, sanitized, wait_for)

SHARED = Shared()
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
ID = {p: re.compile(r"^%s_[0-9a-z]{26}$" % p) for p in ("usr", "ses", "ten")}
TOKEN = re.compile(r"^[0-9A-Za-z]{43}$")  # 256 bits in base62
SEVEN_DAYS = 7 * 24 * 3600
PW = "correct horse 1"
SCHEME = "$bcrypt-sha256$v1$"
USER_KEYS = {"id", "email", "name", "email_verified", "created_at"}
SESSION_KEYS = {"id", "token", "expires_at"}

# Every answer the shared server gave through call(), and every secret the
# tests handed it, for the final no-leak test.
ANSWERS = []
SECRETS = {"passwords": set(), "tokens": set()}


def teardown_module():
    SHARED.stop()


# --- helpers -------------------------------------------------------------------

def call(srv, method, path, body=None, **kw):
    r = srv.request(method, path, body, **kw)
    ANSWERS.append(r)
    if r.json and isinstance(r.json.get("session"), dict) and r.json["session"].get("token"):
        SECRETS["tokens"].add(r.json["session"]["token"])
    return r


def new_email(tag="u"):
    return "%s.%s@example.com" % (tag, uuid.uuid4().hex[:12])


def tenant(srv, name="Acme"):
    """A fresh tenant on srv; returns its API key."""
    return srv.create_tenant(name)[1]


def register(srv, key, email=None, password=PW, name=None, status=201):
    body = {"email": email or new_email(), "password": password}
    if name is not None:
        body["name"] = name
    SECRETS["passwords"].add(password)
    r = call(srv, "POST", "/auth/register", body, key=key)
    assert r.status == status, "register %r: %r" % (body["email"], r)
    return r.json


def login(srv, key, email, password, **kw):
    SECRETS["passwords"].add(password)
    return call(srv, "POST", "/auth/login", {"email": email, "password": password}, key=key, **kw)


def parse_ts(s):
    assert isinstance(s, str) and RFC3339.match(s), "not an RFC 3339 UTC timestamp: %r" % (s,)
    fmt = "%Y-%m-%dT%H:%M:%S.%f" if "." in s else "%Y-%m-%dT%H:%M:%S"
    dt = datetime.datetime.strptime(s[:-1], fmt).replace(tzinfo=datetime.timezone.utc)
    return dt.timestamp()


def db_text(srv, sql):
    """Run SQL on srv's database directly; its output as text (columns
    separated by |, one row a line)."""
    if BACKEND == "postgres":
        out = pg_sql(sql, pg_dbname(srv.database_url))
    else:
        if shutil.which("sqlite3") is None:
            raise Skip("the sqlite3 command-line tool is not installed")
        path = srv.database_url[len("sqlite:"):]
        r = subprocess.run(["sqlite3", "-cmd", ".timeout 10000", path, sql],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        assert r.returncode == 0, "sqlite3 %r failed: %s" % (sql, r.stderr.decode())
        out = r.stdout.decode()
    return out


def db_rows(srv, sql):
    """Rows of single-line values as lists of strings (NULL as "")."""
    if BACKEND == "postgres":
        return [["" if v is None else v for v in row]
                for row in pg_rows(sql, pg_dbname(srv.database_url))]
    return [line.split("|") for line in db_text(srv, sql).splitlines() if line != ""]


def stored_hash(srv, user_id):
    rows = db_rows(srv, "SELECT password_hash FROM users WHERE id = '%s'" % user_id)
    assert len(rows) == 1, rows
    return rows[0][0]


def new_id(prefix):
    """An id in saasd's format: 10 base32 characters of time, 16 of randomness."""
    b32 = "0123456789abcdefghjkmnpqrstvwxyz"
    t = int(time.time() * 1000)
    head = "".join(b32[(t >> (5 * i)) & 31] for i in range(9, -1, -1))
    return "%s_%s%s" % (prefix, head, "".join(random.choice(b32) for _ in range(16)))


def plain_bcrypt(password, cost=4):
    """A plain $2b$ hash as another system would have stored it, or Skip."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt  # noqa: PLC0415 - removed in Python 3.13
        h = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << cost))
        if h and h.startswith("$2b$"):
            return h
    except (ImportError, AttributeError, OSError, ValueError):
        pass
    if shutil.which("htpasswd"):
        r = subprocess.run(["htpasswd", "-nbBC", str(cost), "x", password],
                           stdout=subprocess.PIPE, check=True)
        h = r.stdout.decode().strip().split(":", 1)[1]  # $2y$, same algorithm
        return h
    raise Skip("no bcrypt generator: Python's crypt module is unavailable (3.13+) and "
               "htpasswd (apache2-utils) is not installed")


def check_user(u, email=None):
    assert isinstance(u, dict) and USER_KEYS <= set(u), u
    assert ID["usr"].match(u["id"]), u
    assert isinstance(u["email_verified"], bool), u
    assert u["name"] is None or isinstance(u["name"], str), u
    parse_ts(u["created_at"])
    assert "password" not in u and "password_hash" not in u, u
    if email is not None:
        assert u["email"] == email, u


def check_auth_body(body, email=None, expires_in=SEVEN_DAYS):
    """The register/login shape; returns (user, session)."""
    assert set(body) == {"user", "session"}, body
    check_user(body["user"], email)
    s = body["session"]
    assert SESSION_KEYS <= set(s) and "token_hash" not in s, s
    assert ID["ses"].match(s["id"]), s
    assert TOKEN.match(s["token"]), s
    left = parse_ts(s["expires_at"]) - time.time()
    assert abs(left - expires_in) < 120, "expires_at %s is %.0fs away, expected %ds" % (
        s["expires_at"], left, expires_in)
    return body["user"], s


def sessions_list(srv, key, token, query=""):
    r = call(srv, "GET", "/auth/sessions" + query, key=key, session=token)
    assert r.status == 200, r
    assert set(r.json) >= {"data", "has_more", "next_cursor"}, r
    return r.json


def mail_count(srv, email):
    return len(db_rows(srv, "SELECT id FROM email_outbox WHERE to_addr = '%s'" % email))


def concurrently(n, fn):
    """fn(i) for i in 0..n-1 on n threads released together; results in order."""
    results = [None] * n
    gate = threading.Barrier(n)

    def run(i):
        gate.wait()
        try:
            results[i] = fn(i)
        except Exception as e:  # noqa: BLE001 - reported by the caller
            results[i] = e
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


# --- register ------------------------------------------------------------------

def test_register_is_201_with_user_and_a_seven_day_session():
    srv = SHARED.get()
    key = tenant(srv)
    email = new_email()
    body = register(srv, key, email, name="Ada Lovelace")
    user, s = check_auth_body(body, email)
    assert user["name"] == "Ada Lovelace" and user["email_verified"] is False, user
    assert abs(parse_ts(user["created_at"]) - time.time()) < 120, user
    r = call(srv, "GET", "/auth/session", key=key, session=s["token"])
    assert r.status == 200 and r.json["user"]["id"] == user["id"], r
    # without a name, name is null
    body = register(srv, key)
    assert body["user"]["name"] is None, body


def test_session_expiration_setting_sets_expires_at():
    with Server(env={"SESSION_EXPIRATION": "3600"}) as srv:
        _, key = srv.create_tenant()
        email = new_email()
        _, s = check_auth_body(register(srv, key, email), email, expires_in=3600)
        r = login(srv, key, email, PW)
        assert r.status == 200, r
        check_auth_body(r.json, email, expires_in=3600)
        r = srv.request("GET", "/auth/session", key=key, session=s["token"])
        assert r.status == 200 and r.json["session"]["expires_at"] == s["expires_at"], r


def test_register_trims_email_and_refuses_a_case_insensitive_duplicate():
    srv = SHARED.get()
    key = tenant(srv)
    local = "Mixed.Case+" + uuid.uuid4().hex[:8]
    body = register(srv, key, "  %s@Example.COM " % local)
    assert body["user"]["email"] == "%s@Example.COM" % local, body["user"]
    for dup in ("%s@example.com" % local.lower(), " %s@EXAMPLE.com" % local.upper()):
        r = call(srv, "POST", "/auth/register", {"email": dup, "password": PW}, key=key)
        expect_error(r, 409, "email_taken")
    r = login(srv, key, " %s@EXAMPLE.COM " % local.upper(), PW)
    assert r.status == 200 and r.json["user"]["id"] == body["user"]["id"], r


def test_concurrent_registrations_of_one_email_give_one_201_and_409s():
    srv = SHARED.get()
    key = tenant(srv)
    email = new_email("race")
    results = concurrently(12, lambda i: srv.request(
        "POST", "/auth/register", {"email": email if i % 2 else email.upper(),
                                   "password": PW}, key=key))
    statuses = sorted(getattr(r, "status", r) for r in results)
    assert statuses == [201] + [409] * 11, results
    for r in results:
        if r.status == 409:
            expect_error(r, 409, "email_taken")


def test_same_email_registers_once_per_tenant():
    srv = SHARED.get()
    key_a, key_b = tenant(srv, "A"), tenant(srv, "B")
    email = new_email()
    a = register(srv, key_a, email)
    b = register(srv, key_b, email.upper())
    assert a["user"]["id"] != b["user"]["id"]
    r = login(srv, key_b, email, PW)
    assert r.status == 200 and r.json["user"]["id"] == b["user"]["id"], r


def test_register_refuses_malformed_email_and_missing_fields():
    srv = SHARED.get()
    key = tenant(srv)
    for bad in ("", "plain", "a@b", "@example.com", "a@@example.com", "a b@example.com",
                "a@example.com\r\nBcc: x@example.com"):
        r = call(srv, "POST", "/auth/register", {"email": bad, "password": PW}, key=key)
        err = expect_error(r, 400, "validation_failed")
        assert "email" in err.get("fields", {}), r
    r = call(srv, "POST", "/auth/register", {"email": new_email()}, key=key)
    err = expect_error(r, 400, "validation_failed")
    assert err["fields"].get("password") == "required", r
    r = call(srv, "POST", "/auth/register", {"email": new_email(), "password": PW, "admin": True},
             key=key)
    err = expect_error(r, 400, "validation_failed")
    assert "admin" in err["fields"], r


# --- password policy -----------------------------------------------------------

def test_password_policy_too_weak_and_too_long():
    srv = SHARED.get()
    key = tenant(srv)
    weak = ("short1a", "abcdefghij", "1234567890", "        ", "        1")
    for pw in weak:
        r = call(srv, "POST", "/auth/register", {"email": new_email(), "password": pw}, key=key)
        expect_error(r, 400, "password_too_weak")
    for pw in ("a1" * 64 + "x", "a1" * 100, "a1" * 300):  # 129, 200, 600 characters
        r = call(srv, "POST", "/auth/register", {"email": new_email(), "password": pw}, key=key)
        expect_error(r, 400, "password_too_long")
    ok = "a1" * 64  # exactly 128
    email = new_email()
    register(srv, key, email, ok)
    assert login(srv, key, email, ok).status == 200
    email = new_email()
    register(srv, key, email, "abcdefg1")  # exactly 8
    assert login(srv, key, email, "abcdefg1").status == 200


def test_password_length_counts_characters_not_bytes():
    srv = SHARED.get()
    key = tenant(srv)
    # 7 characters in 13 bytes: too short however the bytes are counted
    r = call(srv, "POST", "/auth/register", {"email": new_email(), "password": "é" * 6 + "1"},
             key=key)
    expect_error(r, 400, "password_too_weak")
    # 8 characters (15 bytes) is enough
    email = new_email()
    register(srv, key, email, "é" * 7 + "1")
    assert login(srv, key, email, "é" * 7 + "1").status == 200
    # 128 characters of up to 4 bytes each are allowed; 129 are not
    for ch in ("é", "語", "😀"):
        pw = ch * 127 + "1"
        email = new_email()
        register(srv, key, email, pw)
        assert login(srv, key, email, pw).status == 200, ch
        r = call(srv, "POST", "/auth/register", {"email": new_email(), "password": ch + pw},
                 key=key)
        expect_error(r, 400, "password_too_long")


def test_passwords_sharing_their_first_72_bytes_do_not_verify_against_each_other():
    srv = SHARED.get()
    key = tenant(srv)
    pairs = [
        ("a" * 72 + "1x", "a" * 72 + "2y"),
        ("a" * 71 + "1", "a" * 71 + "1" + "b"),              # exactly 72 vs one more
        ("é" * 35 + "1a" + "Z9", "é" * 35 + "1a" + "Q8"),   # 72 bytes, multi-byte
        ("p4ss" + "x" * 100, "p4ss" + "x" * 101),
    ]
    for first, second in pairs:
        assert len(first.encode()) >= 72 and first.encode()[:72] == second.encode()[:72]
        email = new_email()
        register(srv, key, email, first)
        expect_error(login(srv, key, email, second), 401, "invalid_credentials")
        assert login(srv, key, email, first).status == 200
        # the other way round: the second as the registered password
        email = new_email()
        register(srv, key, email, second)
        expect_error(login(srv, key, email, first), 401, "invalid_credentials")
        assert login(srv, key, email, second).status == 200


# --- login -------------------------------------------------------------------------

def test_login_is_200_with_the_register_shape_and_a_new_session():
    srv = SHARED.get()
    key = tenant(srv)
    email = new_email()
    reg = register(srv, key, email, name="Grace")
    r = login(srv, key, email, PW)
    assert r.status == 200, r
    user, s = check_auth_body(r.json, email)
    assert user == reg["user"], (user, reg["user"])
    assert s["id"] != reg["session"]["id"] and s["token"] != reg["session"]["token"]
    # both sessions are live
    for tok in (s["token"], reg["session"]["token"]):
        assert call(srv, "GET", "/auth/session", key=key, session=tok).status == 200


def test_wrong_password_and_unknown_email_give_identical_401_bodies():
    srv = SHARED.get()
    key = tenant(srv)
    email = new_email()
    register(srv, key, email)
    rid = {"X-Request-Id": "same-request-id"}
    wrong = login(srv, key, email, PW + "x", headers=rid)
    unknown = login(srv, key, new_email(), PW, headers=rid)
    expect_error(wrong, 401, "invalid_credentials")
    expect_error(unknown, 401, "invalid_credentials")
    assert wrong.raw == unknown.raw, (wrong.raw, unknown.raw)
    assert wrong.header("Content-Type") == unknown.header("Content-Type")
    assert "www-authenticate" not in wrong.headers or \
        wrong.header("WWW-Authenticate") == unknown.header("WWW-Authenticate")
    # and with generated request ids, everything but request_id is identical
    a, b = login(srv, key, email, "nope12345"), login(srv, key, new_email(), "nope12345")
    ea, eb = dict(a.json["error"]), dict(b.json["error"])
    assert ea.pop("request_id") != eb.pop("request_id")
    assert ea == eb, (a, b)


def test_wrong_password_and_unknown_email_take_the_same_time():
    # Cost 8 so that bcrypt (~15-40 ms) dominates everything else. The two
    # kinds are interleaved (alternating which goes first) so machine-wide
    # noise hits both alike; each user and each unknown email fails at most
    # five times (below the throttle of 10). A missing dummy hash makes the
    # unknown-email side ~10x faster and fails every round; noise on a
    # loaded 2-core machine lets one of the five rounds pass. Each round
    # comes from its own client IP (X-Forwarded-For through a trusted
    # 127.0.0.1), below the throttle's 100 failures per IP.
    n = 15
    with Server(env={"BCRYPT_WORK_FACTOR": "8", "TRUSTED_PROXIES": "127.0.0.1"}) as srv:
        _, key = srv.create_tenant()
        emails = [new_email("t") for _ in range(n)]
        for e in emails:
            register(srv, key, e)
        for e in emails[:3]:  # warm up connections, caches and the dummy hash
            login(srv, key, e, "warm-up-1")
            login(srv, key, new_email("w"), "warm-up-1")
        rounds = []
        for rnd in range(5):
            client = {"X-Forwarded-For": "198.18.0.%d" % (rnd + 1)}
            wrong, unknown = [], []
            for i in range(n):
                pair = [("wrong", emails[i]), ("unknown", new_email("x"))]
                if i % 2:
                    pair.reverse()
                for kind, e in pair:
                    t0 = time.perf_counter()
                    r = login(srv, key, e, "Wrong-password-9", headers=client)
                    dt = time.perf_counter() - t0
                    expect_error(r, 401, "invalid_credentials")
                    (wrong if kind == "wrong" else unknown).append(dt)
            mw, mu = statistics.median(wrong), statistics.median(unknown)
            ratio = max(mw, mu) / min(mw, mu)
            rounds.append("wrong %.1f ms / unknown %.1f ms (ratio %.2f)"
                          % (mw * 1000, mu * 1000, ratio))
            if ratio <= 1.25:
                print("  " + rounds[-1], flush=True)
                return
        raise AssertionError("median login latency differs by more than 25%% between wrong "
                             "password and unknown email in every round: %s" % "; ".join(rounds))


def test_failed_logins_are_throttled_per_email_and_counted_in_the_database():
    srv = SHARED.get()
    tenant_a, key = srv.create_tenant("Throttled")
    key_b = tenant(srv, "Other")
    email, other = new_email("victim"), new_email("bystander")
    register(srv, key, email)
    register(srv, key, other)
    register(srv, key_b, email)
    # a second node on the same database (same configuration)
    node2 = Server(database_url=srv.database_url, env={"JWT_SECRET": srv.env["JWT_SECRET"]})
    node2.start()
    try:
        # 5 failures on each node: together they reach the limit of 10
        for i in range(10):
            node = srv if i % 2 == 0 else node2
            r = login(node, key, email, "wrong-%d-pass" % i)
            expect_error(r, 401, "invalid_credentials")
        rows = db_rows(srv, "SELECT COUNT(*) FROM login_failures WHERE tenant_id = '%s'"
                            " AND email_normalized = '%s'" % (tenant_a["id"], email.lower()))
        assert rows == [["10"]], rows
        for node in (srv, node2):
            # the throttle holds even for the right password, and for any case of the email
            for addr, pw in ((email, "wrong-x-pass1"), (email, PW), (email.upper(), PW)):
                r = login(node, key, addr, pw)
                expect_error(r, 429, "too_many_attempts")
                ra = r.header("Retry-After")
                assert ra is not None and ra.isdigit() and 1 <= int(ra) <= 15 * 60, r.headers
        # another email of the same tenant is not affected
        expect_error(login(srv, key, other, "wrong-y-pass1"), 401, "invalid_credentials")
        assert login(node2, key, other, PW).status == 200
        # the same email in another tenant is not affected
        assert login(srv, key_b, email, PW).status == 200
    finally:
        rc = node2.stop()
    assert rc == 0, node2.logs()[-3000:]


def test_concurrent_wrong_logins_are_throttled_near_the_limit():
    # The count is checked before hashing, so requests in flight at the same
    # time may slip past it, but never more than the hash pool runs at once
    # (one thread per CPU on this machine).
    srv = SHARED.get()
    key = tenant(srv)
    email = new_email("burst")
    register(srv, key, email)
    results = concurrently(40, lambda i: login(srv, key, email, "burst-%d-guess" % i))
    statuses = [getattr(r, "status", r) for r in results]
    assert set(statuses) <= {401, 429}, results
    allowed = 10 + 2 * (os.cpu_count() or 2)
    assert 10 <= statuses.count(401) <= allowed, (statuses.count(401), allowed)
    expect_error(login(srv, key, email, PW), 429, "too_many_attempts")


def test_unknown_emails_are_throttled_like_known_ones():
    # otherwise the 429 would tell which emails have an account
    srv = SHARED.get()
    key = tenant(srv)
    ghost = new_email("ghost")
    for i in range(10):
        expect_error(login(srv, key, ghost, "guess-%d-pw" % i), 401, "invalid_credentials")
    expect_error(login(srv, key, ghost, "guess-x-pw"), 429, "too_many_attempts")


# --- sessions ------------------------------------------------------------------

def test_one_tenants_login_flood_does_not_delay_another_tenants_login():
    # Hashes queue per tenant and are served round-robin. Cost 10 (~50 ms a
    # hash) and THREADS=2: tenant A's 200 logins keep both hash threads busy
    # for ~5 s. In one FIFO queue B's login waited behind all of them; now it
    # waits for at most one hash per thread, then gets its own.
    flood = 200
    bound = 4.0 if sanitized() else 2.0
    with Server(env={"BCRYPT_WORK_FACTOR": "10", "THREADS": "2"}) as srv:
        key_a, key_b = tenant(srv, "Flooder"), tenant(srv, "Bystander")
        email_a, email_b = new_email("flood"), new_email("calm")
        register(srv, key_a, email_a)
        register(srv, key_b, email_b)
        body = json.dumps({"email": email_a, "password": PW}).encode()
        lock = threading.Lock()
        sent, answers = [0], []

        def flood_login():
            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=120)
            try:
                conn.request("POST", "/auth/login", body=body,
                             headers={"Authorization": "Bearer " + key_a,
                                      "Content-Type": "application/json"})
                with lock:
                    sent[0] += 1
                r = conn.getresponse()
                r.read()
                status = r.status
            except OSError as e:
                status = repr(e)
            finally:
                conn.close()
            with lock:
                answers.append(status)
        threads = [threading.Thread(target=flood_login) for _ in range(flood)]
        for t in threads:
            t.start()
        try:
            wait_for(lambda: sent[0] == flood, timeout=30, what="the flood to be sent")
            # a few answered: the server has read the flood and is hashing it
            wait_for(lambda: len(answers) >= 4, timeout=30, interval=0.01,
                     what="the first answers to the flood")
            t0 = time.monotonic()
            r = login(srv, key_b, email_b, PW)
            took = time.monotonic() - t0
            with lock:
                waiting = flood - len(answers)
        finally:
            for t in threads:
                t.join(120)
        print("  B's login: %.3f s, %d of A's logins still waiting" % (took, waiting), flush=True)
        assert r.status == 200, r
        assert waiting >= flood // 2, \
            "B's login was answered only after %d of A's %d logins" % (flood - waiting, flood)
        assert took <= bound, "B's login took %.2f s under A's flood" % took
        assert answers.count(200) == flood, [a for a in answers if a != 200][:5]


def test_get_session_returns_user_and_session_without_the_token():
    srv = SHARED.get()
    key = tenant(srv)
    email = new_email()
    reg = register(srv, key, email)
    r = call(srv, "GET", "/auth/session", key=key, session=reg["session"]["token"])
    assert r.status == 200, r
    assert set(r.json) == {"user", "session"}, r
    assert r.json["user"] == reg["user"], r
    s = r.json["session"]
    assert s["id"] == reg["session"]["id"] and s["expires_at"] == reg["session"]["expires_at"], r
    assert "token" not in s and "token_hash" not in s, r


def test_logout_is_204_and_kills_only_that_token_at_once():
    srv = SHARED.get()
    key = tenant(srv)
    email = new_email()
    first = register(srv, key, email)["session"]["token"]
    second = login(srv, key, email, PW).json["session"]["token"]
    r = call(srv, "POST", "/auth/logout", key=key, session=first)
    assert r.status == 204 and r.raw == "", r
    for method, path in (("GET", "/auth/session"), ("GET", "/auth/sessions"),
                         ("POST", "/auth/logout")):
        expect_error(call(srv, method, path, key=key, session=first), 401, "invalid_session")
    assert call(srv, "GET", "/auth/session", key=key, session=second).status == 200


def test_list_sessions_shows_live_sessions_and_marks_the_current_one():
    srv = SHARED.get()
    key = tenant(srv)
    email = new_email()
    reg = register(srv, key, email)
    toks = [reg["session"]] + [login(srv, key, email, PW).json["session"] for _ in range(3)]
    dead = toks.pop(1)
    assert call(srv, "POST", "/auth/logout", key=key, session=dead["token"]).status == 204
    # another user's sessions never show up
    register(srv, key)
    page = sessions_list(srv, key, toks[0]["token"])
    ids = [s["id"] for s in page["data"]]
    assert sorted(ids) == sorted(s["id"] for s in toks), (ids, toks)
    assert page["has_more"] is False and page["next_cursor"] is None, page
    for s in page["data"]:
        assert ID["ses"].match(s["id"]) and "token" not in s and "token_hash" not in s, s
        parse_ts(s["expires_at"])
        assert s["current"] is (s["id"] == toks[0]["id"]), s
    # pagination: limit 2 then the rest
    p1 = sessions_list(srv, key, toks[2]["token"], "?limit=2")
    assert len(p1["data"]) == 2 and p1["has_more"] is True and p1["next_cursor"], p1
    p2 = sessions_list(srv, key, toks[2]["token"], "?limit=2&after=" + p1["next_cursor"])
    assert len(p2["data"]) == 1 and p2["has_more"] is False, p2
    assert sorted(s["id"] for s in p1["data"] + p2["data"]) == sorted(ids)
    assert [s["current"] for s in p1["data"] + p2["data"]].count(True) == 1


def test_delete_session_by_id_kills_it_and_other_users_sessions_are_404():
    srv = SHARED.get()
    key = tenant(srv)
    email = new_email()
    mine = register(srv, key, email)["session"]
    phone = login(srv, key, email, PW).json["session"]
    theirs = register(srv, key)["session"]
    r = call(srv, "DELETE", "/auth/sessions/" + phone["id"], key=key, session=mine["token"])
    assert r.status == 204 and r.raw == "", r
    expect_error(call(srv, "GET", "/auth/session", key=key, session=phone["token"]), 401,
                 "invalid_session")
    # already revoked, another user's, malformed, unknown: 404
    for sid in (phone["id"], theirs["id"], "nope", new_id("ses")):
        r = call(srv, "DELETE", "/auth/sessions/" + sid, key=key, session=mine["token"])
        expect_error(r, 404, "not_found")
    assert call(srv, "GET", "/auth/session", key=key, session=theirs["token"]).status == 200
    # revoking the current session works too, and it is dead at once
    r = call(srv, "DELETE", "/auth/sessions/" + mine["id"], key=key, session=mine["token"])
    assert r.status == 204, r
    expect_error(call(srv, "GET", "/auth/sessions", key=key, session=mine["token"]), 401,
                 "invalid_session")


def test_session_without_api_key_is_401_missing_api_key():
    srv = SHARED.get()
    key = tenant(srv)
    tok = register(srv, key)["session"]["token"]
    for method, path in (("GET", "/auth/session"), ("GET", "/auth/sessions"),
                         ("POST", "/auth/logout")):
        expect_error(call(srv, method, path, session=tok), 401, "missing_api_key")
    # the session survived (it was never looked at)
    assert call(srv, "GET", "/auth/session", key=key, session=tok).status == 200


def test_session_of_another_tenant_is_401_invalid_session():
    srv = SHARED.get()
    key_a, key_b = tenant(srv, "A"), tenant(srv, "B")
    reg = register(srv, key_a)
    tok = reg["session"]["token"]
    for method, path in (("GET", "/auth/session"), ("GET", "/auth/sessions"),
                         ("POST", "/auth/logout"), ("GET", "/users/" + reg["user"]["id"]),
                         ("POST", "/auth/verify-email/request")):
        expect_error(call(srv, method, path, key=key_b, session=tok), 401, "invalid_session")
    # and the logout attempt through tenant B did not kill it
    assert call(srv, "GET", "/auth/session", key=key_a, session=tok).status == 200


def test_session_routes_without_a_session_are_401_invalid_session():
    srv = SHARED.get()
    key = tenant(srv)
    for method, path in (("GET", "/auth/session"), ("GET", "/auth/sessions"),
                         ("POST", "/auth/logout"), ("DELETE", "/auth/sessions/" + new_id("ses")),
                         ("POST", "/auth/verify-email/request")):
        expect_error(call(srv, method, path, key=key), 401, "invalid_session")


def test_bad_session_token_is_401_and_never_falls_back_to_a_system_call():
    srv = SHARED.get()
    key = tenant(srv)
    reg = register(srv, key)
    tok = reg["session"]["token"]
    bad = ["", "x", tok[:-1], tok + "A", tok[:-1] + ("B" if tok[-1] != "B" else "C"),
           "a" * 43, tok.lower() if tok.lower() != tok else tok.upper(), "é" * 43]
    for b in bad:
        r = call(srv, "GET", "/users/" + reg["user"]["id"], key=key,
                 headers={"X-Session-Token": b.encode("utf-8").decode("latin-1")})
        expect_error(r, 401, "invalid_session")


# --- users -----------------------------------------------------------------------

def test_get_user_as_system_and_self_200_as_another_user_403_other_tenant_404():
    srv = SHARED.get()
    key, key_b = tenant(srv), tenant(srv, "B")
    email = new_email()
    me = register(srv, key, email, name="Me")
    other = register(srv, key)
    uid = me["user"]["id"]
    r = call(srv, "GET", "/users/" + uid, key=key)
    assert r.status == 200, r
    user = r.json.get("user", r.json)  # a bare user object (or wrapped in "user")
    assert user == me["user"], r
    r = call(srv, "GET", "/users/" + uid, key=key, session=me["session"]["token"])
    assert r.status == 200 and r.json.get("user", r.json) == me["user"], r
    expect_error(call(srv, "GET", "/users/" + uid, key=key, session=other["session"]["token"]),
                 403, "forbidden")
    expect_error(call(srv, "GET", "/users/" + uid, key=key_b), 404, "not_found")
    expect_error(call(srv, "DELETE", "/users/" + uid, key=key_b), 404, "not_found")
    for bad in (new_id("usr"), "usr_nope", "ses_" + uid[4:]):
        expect_error(call(srv, "GET", "/users/" + bad, key=key), 404, "not_found")
    expect_error(call(srv, "GET", "/users/" + uid), 401, "missing_api_key")


def test_delete_user_as_self_removes_the_user_and_kills_every_session():
    srv = SHARED.get()
    key = tenant(srv)
    email = new_email()
    reg = register(srv, key, email)
    uid, tok = reg["user"]["id"], reg["session"]["token"]
    tok2 = login(srv, key, email, PW).json["session"]["token"]
    other = register(srv, key)
    expect_error(call(srv, "DELETE", "/users/" + uid, key=key, session=other["session"]["token"]),
                 403, "forbidden")
    r = call(srv, "DELETE", "/users/" + uid, key=key, session=tok)
    assert r.status == 204 and r.raw == "", r
    for t in (tok, tok2):
        for method, path in (("GET", "/auth/session"), ("GET", "/auth/sessions"),
                             ("GET", "/users/" + uid), ("POST", "/auth/logout")):
            expect_error(call(srv, method, path, key=key, session=t), 401, "invalid_session")
    assert db_rows(srv, "SELECT id FROM sessions WHERE user_id = '%s' AND revoked_at IS NULL"
                        % uid) == []
    expect_error(call(srv, "GET", "/users/" + uid, key=key), 404, "not_found")
    expect_error(call(srv, "DELETE", "/users/" + uid, key=key), 404, "not_found")
    expect_error(login(srv, key, email, PW), 401, "invalid_credentials")
    # the address is free again; the other user is untouched
    register(srv, key, email)
    assert call(srv, "GET", "/auth/session", key=key,
                session=other["session"]["token"]).status == 200


def test_delete_user_removes_their_memberships():
    srv = SHARED.get()
    key = tenant(srv)
    owner, member = register(srv, key), register(srv, key)
    r = call(srv, "POST", "/organizations", {"name": "Doomed Org"}, key=key,
             session=member["session"]["token"])
    assert r.status == 201, r
    org = r.json["id"]
    uid = member["user"]["id"]
    assert db_rows(srv, "SELECT COUNT(*) FROM memberships WHERE user_id = '%s'" % uid) == [["1"]]
    # the only owner cannot be deleted: the organization would be left ownerless
    expect_error(call(srv, "DELETE", "/users/" + uid, key=key), 409, "conflict")
    r = call(srv, "POST", "/organizations/%s/invitations" % org,
             {"email": owner["user"]["email"], "role": "owner"}, key=key)
    assert r.status == 201, r
    r = call(srv, "POST", "/invitations/%s/accept" % r.json["id"],
             {"token": invitation_token(srv, r.json["id"])}, key=key,
             session=owner["session"]["token"])
    assert r.status == 200, r
    assert call(srv, "DELETE", "/users/" + uid, key=key).status == 204
    assert db_rows(srv, "SELECT COUNT(*) FROM memberships WHERE user_id = '%s'" % uid) == [["0"]]
    # the membership that went with the user is announced like a removal
    removed = [json.loads(row[0]) for row in db_rows(
        srv, "SELECT payload FROM webhook_events WHERE type = 'organization.member_removed'"
             " AND payload LIKE '%%%s%%'" % uid)]
    assert [p.get("data", p) for p in removed] == \
        [{"organization_id": org, "user_id": uid, "role": "owner"}], removed
    r = call(srv, "GET", "/organizations/%s/members" % org, key=key)
    assert r.status in (200, 404), r
    if r.status == 200:
        assert all(m["user"]["id"] != uid for m in r.json["data"]), r
    expect_error(call(srv, "GET", "/users/%s/organizations" % uid, key=key), 404, "not_found")
    assert call(srv, "GET", "/auth/session", key=key,
                session=owner["session"]["token"]).status == 200


def test_delete_user_as_system_kills_every_session():
    srv = SHARED.get()
    key = tenant(srv)
    email = new_email()
    reg = register(srv, key, email)
    toks = [reg["session"]["token"], login(srv, key, email, PW).json["session"]["token"]]
    r = call(srv, "DELETE", "/users/" + reg["user"]["id"], key=key)
    assert r.status == 204, r
    for t in toks:
        expect_error(call(srv, "GET", "/auth/sessions", key=key, session=t), 401,
                     "invalid_session")


# --- stored hashes -----------------------------------------------------------------

def test_imported_plain_bcrypt_hash_verifies_and_is_upgraded_on_login():
    srv = SHARED.get()
    ten, key = srv.create_tenant("Imported")
    password = "imported pass 42"
    legacy = plain_bcrypt(password)
    SECRETS["passwords"].add(password)
    email = new_email("legacy")
    uid = new_id("usr")
    now = int(time.time() * 1000)
    db_rows(srv, "INSERT INTO users (id, tenant_id, email, email_normalized, name, password_hash,"
                 " email_verified, created_at, updated_at) VALUES ('%s', '%s', '%s', '%s', NULL,"
                 " '%s', 0, %d, %d)" % (uid, ten["id"], email, email.lower(), legacy, now, now))
    # a wrong password fails and leaves the hash alone
    expect_error(login(srv, key, email, password + "!"), 401, "invalid_credentials")
    assert stored_hash(srv, uid) == legacy
    r = login(srv, key, email, password)
    assert r.status == 200 and r.json["user"]["id"] == uid, r
    upgraded = stored_hash(srv, uid)
    assert upgraded.startswith(SCHEME + "2b$04$"), upgraded
    # still the same password, and only that one
    assert login(srv, key, email, password).status == 200
    expect_error(login(srv, key, email, password[:-1]), 401, "invalid_credentials")
    assert stored_hash(srv, uid) == upgraded  # no rehash when nothing changed
    # $2y$ (PHP) and $2a$ spellings of the same hash verify too
    for prefix in ("$2y$", "$2a$"):
        email2, uid2 = new_email("legacy"), new_id("usr")
        db_rows(srv, "INSERT INTO users (id, tenant_id, email, email_normalized, password_hash,"
                     " email_verified, created_at, updated_at) VALUES ('%s', '%s', '%s', '%s',"
                     " '%s', 0, %d, %d)" % (uid2, ten["id"], email2, email2.lower(),
                                            prefix + legacy[4:], now, now))
        assert login(srv, key, email2, password).status == 200, prefix
        assert stored_hash(srv, uid2).startswith(SCHEME), prefix


def test_login_rehashes_when_the_work_factor_changes():
    first = Server(env={"BCRYPT_WORK_FACTOR": "4"}).start()
    try:
        _, key = first.create_tenant()
        email = new_email()
        uid = register(first, key, email)["user"]["id"]
        before = stored_hash(first, uid)
        assert before.startswith(SCHEME + "2b$04$"), before
    finally:
        assert first.stop() == 0, first.logs()[-3000:]
    env = {"BCRYPT_WORK_FACTOR": "5", "JWT_SECRET": first.env["JWT_SECRET"]}
    with Server(database_url=first.database_url, env=env) as second:
        expect_error(login(second, key, email, PW + "?"), 401, "invalid_credentials")
        assert stored_hash(second, uid) == before  # a failed login changes nothing
        assert login(second, key, email, PW).status == 200
        after = stored_hash(second, uid)
        assert after.startswith(SCHEME + "2b$05$"), after
        assert login(second, key, email, PW).status == 200
        assert stored_hash(second, uid) == after
        expect_error(login(second, key, email, "a" + PW), 401, "invalid_credentials")


def test_expired_session_is_401_invalid_session():
    srv = SHARED.get()
    key = tenant(srv)
    email = new_email()
    old = register(srv, key, email)["session"]
    live = login(srv, key, email, PW).json["session"]
    db_rows(srv, "UPDATE sessions SET expires_at = 1 WHERE id = '%s'" % old["id"])
    for method, path in (("GET", "/auth/session"), ("GET", "/auth/sessions"),
                         ("POST", "/auth/logout")):
        expect_error(call(srv, method, path, key=key, session=old["token"]), 401,
                     "invalid_session")
    ids = [s["id"] for s in sessions_list(srv, key, live["token"])["data"]]
    assert ids == [live["id"]], ids
    # revoking it (dead already) is harmless either way: 204 or 404
    r = call(srv, "DELETE", "/auth/sessions/" + old["id"], key=key, session=live["token"])
    assert r.status in (204, 404), r
    assert call(srv, "GET", "/auth/session", key=key, session=live["token"]).status == 200


# --- password reset and email verification -----------------------------------------

def test_password_reset_request_is_202_with_the_same_body_for_unknown_emails():
    srv = SHARED.get()
    key = tenant(srv)
    email = new_email()
    register(srv, key, email)
    rid = {"X-Request-Id": "reset-probe"}
    known = call(srv, "POST", "/auth/password-reset/request", {"email": email}, key=key,
                 headers=rid)
    unknown = call(srv, "POST", "/auth/password-reset/request", {"email": new_email()}, key=key,
                   headers=rid)
    assert known.status == 202 and unknown.status == 202, (known, unknown)
    assert known.raw == unknown.raw, (known.raw, unknown.raw)
    assert mail_count(srv, email) == 1
    expect_error(call(srv, "POST", "/auth/password-reset/request", {"email": email}), 401,
                 "missing_api_key")


def test_password_reset_changes_the_password_and_revokes_every_session():
    srv = SHARED.get()
    key = tenant(srv)
    email = new_email()
    reg = register(srv, key, email)
    toks = [reg["session"]["token"], login(srv, key, email, PW).json["session"]["token"]]
    other = register(srv, key)["session"]["token"]
    r = call(srv, "POST", "/auth/password-reset/request", {"email": " " + email.upper()}, key=key)
    assert r.status == 202, r
    token = mail_token(srv, email)
    new_pw = "brand new pass 7"
    # the new password must satisfy the policy; the token is not spent by that
    r = call(srv, "POST", "/auth/password-reset/complete", {"token": token, "password": "weak"},
             key=key)
    expect_error(r, 400, "password_too_weak")
    for long_pw in ("a1" * 64 + "x", "a1" * 300):
        r = call(srv, "POST", "/auth/password-reset/complete",
                 {"token": token, "password": long_pw}, key=key)
        expect_error(r, 400, "password_too_long")
    SECRETS["passwords"].add(new_pw)
    r = call(srv, "POST", "/auth/password-reset/complete", {"token": token, "password": new_pw},
             key=key)
    assert r.status == 200, r
    check_user(r.json["user"], email)
    assert r.json["user"]["id"] == reg["user"]["id"]
    for t in toks:
        expect_error(call(srv, "GET", "/auth/session", key=key, session=t), 401,
                     "invalid_session")
    assert call(srv, "GET", "/auth/session", key=key, session=other).status == 200
    expect_error(login(srv, key, email, PW), 401, "invalid_credentials")
    assert login(srv, key, email, new_pw).status == 200
    # single use; unknown and malformed tokens
    for bad in (token, "A" * 43, "short", token[:-1] + ("x" if token[-1] != "x" else "y")):
        r = call(srv, "POST", "/auth/password-reset/complete",
                 {"token": bad, "password": "another pass 8"}, key=key)
        expect_error(r, 400, "invalid_token")
    # a token of another tenant does not work here
    key_b = tenant(srv, "B")
    register(srv, key_b, email)
    n = mail_count(srv, email)
    assert call(srv, "POST", "/auth/password-reset/request", {"email": email},
                key=key_b).status == 202
    token_b = mail_token(srv, email, since_count=n)
    r = call(srv, "POST", "/auth/password-reset/complete",
             {"token": token_b, "password": "another pass 8"}, key=key)
    expect_error(r, 400, "invalid_token")
    assert login(srv, key, email, new_pw).status == 200


def test_a_reset_token_used_concurrently_works_exactly_once():
    srv = SHARED.get()
    key = tenant(srv)
    email = new_email()
    register(srv, key, email)
    assert call(srv, "POST", "/auth/password-reset/request", {"email": email},
                key=key).status == 202
    token = mail_token(srv, email)
    pws = ["parallel pass %d" % i for i in range(8)]
    results = concurrently(8, lambda i: srv.request(
        "POST", "/auth/password-reset/complete", {"token": token, "password": pws[i]}, key=key))
    ok = [i for i, r in enumerate(results) if getattr(r, "status", None) == 200]
    assert len(ok) == 1, results
    for i, r in enumerate(results):
        if i != ok[0]:
            expect_error(r, 400, "invalid_token")
    assert login(srv, key, email, pws[ok[0]]).status == 200
    expect_error(login(srv, key, email, PW), 401, "invalid_credentials")


def test_expired_reset_token_is_400_invalid_token():
    srv = SHARED.get()
    key = tenant(srv)
    email = new_email()
    register(srv, key, email)
    assert call(srv, "POST", "/auth/password-reset/request", {"email": email},
                key=key).status == 202
    token = mail_token(srv, email)
    db_rows(srv, "UPDATE auth_tokens SET expires_at = 1 WHERE user_id IN"
                 " (SELECT id FROM users WHERE email = '%s')" % email)
    r = call(srv, "POST", "/auth/password-reset/complete",
             {"token": token, "password": "another pass 8"}, key=key)
    expect_error(r, 400, "invalid_token")
    assert login(srv, key, email, PW).status == 200


def test_email_verification_request_and_complete():
    srv = SHARED.get()
    key = tenant(srv)
    email = new_email()
    reg = register(srv, key, email)
    tok = reg["session"]["token"]
    r = call(srv, "POST", "/auth/verify-email/request", key=key, session=tok)
    assert r.status == 202, r
    vtoken = mail_token(srv, email)
    r = call(srv, "POST", "/auth/verify-email/complete", {"token": vtoken}, key=key)
    assert r.status == 200, r
    assert r.json["user"]["id"] == reg["user"]["id"] and r.json["user"]["email_verified"] is True
    r = call(srv, "GET", "/auth/session", key=key, session=tok)
    assert r.json["user"]["email_verified"] is True, r
    expect_error(call(srv, "POST", "/auth/verify-email/complete", {"token": vtoken}, key=key),
                 400, "invalid_token")
    expect_error(call(srv, "POST", "/auth/verify-email/complete", {"token": "B" * 43}, key=key),
                 400, "invalid_token")
    # a reset token is not a verification token (and the other way round)
    email2 = new_email()
    register(srv, key, email2)
    call(srv, "POST", "/auth/password-reset/request", {"email": email2}, key=key)
    rtoken = mail_token(srv, email2)
    expect_error(call(srv, "POST", "/auth/verify-email/complete", {"token": rtoken}, key=key),
                 400, "invalid_token")


# --- secrets -----------------------------------------------------------------------

def test_password_hashes_and_token_hashes_never_appear_in_answers_or_logs():
    # Runs last: it checks everything this module's shared server stored
    # against everything it answered and logged.
    srv = SHARED.get()
    key = tenant(srv)
    email = new_email()
    reg = register(srv, key, email)
    tok = reg["session"]["token"]
    login(srv, key, email, "wrong pass 1")
    call(srv, "GET", "/auth/session", key=key, session=tok)
    call(srv, "GET", "/auth/sessions", key=key, session=tok)
    last = call(srv, "GET", "/users/" + reg["user"]["id"], key=key, session=tok)
    srv.wait_log(last.header("X-Request-Id"))
    hashes = set()
    for row in db_rows(srv, "SELECT password_hash FROM users"):
        h = row[0]
        hashes.add(h)
        hashes.add(h[-31:])  # the bcrypt checksum alone
    for table in ("sessions", "auth_tokens"):
        hashes.update(r[0] for r in db_rows(srv, "SELECT token_hash FROM %s" % table))
    assert len(hashes) >= 3, hashes  # at least this test's user and session
    logs = srv.logs()
    for h in hashes:
        assert h not in logs, "a stored hash appears in the log: %s" % h
        for r in ANSWERS:
            assert h not in r.raw and h not in repr(r.headers), \
                "a stored hash appears in an answer: %s in %r" % (h, r)
    for t in SECRETS["tokens"]:
        assert t not in logs, "a session token appears in the log: %s" % t
    for p in SECRETS["passwords"]:
        if len(p) >= 8 and p.strip():
            assert p not in logs, "a password appears in the log: %r" % p
