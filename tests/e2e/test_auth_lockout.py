"""test_auth_lockout.py: the login throttle cannot be turned against an
account's owner (issue 10, item 7). Failures count per (email, client IP),
per client IP (100) and per email (1000, see tests/unit/test_login_throttle.c):
an attacker failing from one IP is refused with 429 `too_many_attempts` and
`Retry-After` while the owner logs in from another. The client IP comes from
X-Forwarded-For only when the peer is in TRUSTED_PROXIES (right-most entry
that is not a trusted proxy); without TRUSTED_PROXIES the header is ignored
and every test client is 127.0.0.1.

Two shared servers: PROXIED trusts 127.0.0.1 as a proxy, PLAIN trusts
nobody. Every test uses its own tenant."""
import json
import shutil
import tempfile
import uuid

from harness import Shared, db_rows, expect_error, raw_http, run_cli

PROXIED = Shared(env={"TRUSTED_PROXIES": "127.0.0.1"})
PLAIN = Shared(env={"TRUSTED_PROXIES": None})
PW = "correct horse 1"
WINDOW_S = 15 * 60


def teardown_module():
    PROXIED.stop()
    PLAIN.stop()


def new_email(tag="u"):
    return "%s.%s@example.com" % (tag, uuid.uuid4().hex[:12])


def register(srv, key, email):
    r = srv.request("POST", "/auth/register", {"email": email, "password": PW}, key=key)
    assert r.status == 201, r
    return r.json["user"]["id"]


def login(srv, key, email, password, xff=None):
    headers = {"X-Forwarded-For": xff} if xff is not None else None
    return srv.request("POST", "/auth/login", {"email": email, "password": password}, key=key,
                       headers=headers)


def expect_throttled(r):
    expect_error(r, 429, "too_many_attempts")
    ra = r.header("Retry-After")
    assert ra is not None and ra.isdigit() and 1 <= int(ra) <= WINDOW_S, r.headers


def failure_ips(srv, tenant_id, email):
    rows = db_rows(srv, "SELECT client_ip, COUNT(*) FROM login_failures WHERE tenant_id = ?"
                        " AND email_normalized = ? GROUP BY client_ip ORDER BY client_ip",
                   (tenant_id, email.lower()))
    return {ip: int(n) for ip, n in rows}


def test_an_attacker_ip_cannot_lock_the_owner_out_from_another_ip():
    srv = PROXIED.get()
    t, key = srv.create_tenant("Lockout")
    email = new_email("owner")
    user_id = register(srv, key, email)
    got = [login(srv, key, email, "guess-%d-pass" % i, xff="203.0.113.9") for i in range(15)]
    for r in got[:10]:
        expect_error(r, 401, "invalid_credentials")
    for r in got[10:]:
        expect_throttled(r)
    # the owner, from elsewhere, is not locked out
    r = login(srv, key, email, PW, xff="198.51.100.7")
    assert r.status == 200, r
    assert r.json["user"]["id"] == user_id
    # the attacker stays refused, even with the right password
    expect_throttled(login(srv, key, email, PW, xff="203.0.113.9"))
    # the refusals were not counted, and the owner's success cleared nothing of the attacker's
    assert failure_ips(srv, t["id"], email) == {"203.0.113.9": 10}


def test_forwarded_for_is_ignored_without_trusted_proxies():
    srv = PLAIN.get()
    t, key = srv.create_tenant("NoProxy")
    email = new_email("owner")
    register(srv, key, email)
    for i in range(10):
        r = login(srv, key, email, "guess-%d-pass" % i, xff="203.0.113.9")
        expect_error(r, 401, "invalid_credentials")
    # both "clients" are 127.0.0.1: the header named nobody
    expect_throttled(login(srv, key, email, PW, xff="198.51.100.7"))
    expect_throttled(login(srv, key, email, PW))
    assert failure_ips(srv, t["id"], email) == {"127.0.0.1": 10}


def test_only_the_right_most_untrusted_entry_counts_so_spoofing_the_left_does_not_help():
    srv = PROXIED.get()
    t, key = srv.create_tenant("Spoof")
    email = new_email("owner")
    register(srv, key, email)
    for i in range(10):
        # the client writes a new address each time; our proxy appends the real one
        r = login(srv, key, email, "guess-%d-pass" % i, xff="10.9.%d.1, 203.0.113.77" % i)
        expect_error(r, 401, "invalid_credentials")
    expect_throttled(login(srv, key, email, PW, xff="10.9.99.1, 203.0.113.77"))
    # a chain through another trusted hop (127.0.0.1 itself) names the same client
    expect_throttled(login(srv, key, email, PW, xff="203.0.113.77, 127.0.0.1"))
    assert failure_ips(srv, t["id"], email) == {"203.0.113.77": 10}
    assert login(srv, key, email, PW, xff="2001:db8::5").status == 200


def test_one_ip_is_capped_at_100_failures_whatever_the_emails():
    srv = PROXIED.get()
    t, key = srv.create_tenant("Spray")
    _, other_key = srv.create_tenant("Elsewhere")
    victim = new_email("victim")
    register(srv, key, victim)
    register(srv, other_key, victim)
    sprayer = "192.0.2.50"
    for i in range(100):
        r = login(srv, key, new_email("spray%d" % i), "guess-%d-pass" % i, xff=sprayer)
        expect_error(r, 401, "invalid_credentials")
    # a fresh email from that IP, and a real account's right password, are refused
    expect_throttled(login(srv, key, new_email("fresh"), "guess-x-pass", xff=sprayer))
    expect_throttled(login(srv, key, victim, PW, xff=sprayer))
    rows = db_rows(srv, "SELECT COUNT(*) FROM login_failures WHERE tenant_id = ? AND client_ip = ?",
                   (t["id"], sprayer))
    assert int(rows[0][0]) == 100, rows
    # another IP, and the same IP in another tenant, are not affected
    assert login(srv, key, victim, PW, xff="198.51.100.8").status == 200
    assert login(srv, other_key, victim, PW, xff=sprayer).status == 200


def test_a_success_clears_only_the_failures_of_that_email_from_that_ip():
    srv = PROXIED.get()
    t, key = srv.create_tenant("Clear")
    email = new_email("owner")
    register(srv, key, email)
    for i in range(9):
        expect_error(login(srv, key, email, "typo-%d-pass" % i, xff="198.51.100.20"), 401,
                     "invalid_credentials")
    for i in range(5):
        expect_error(login(srv, key, email, "guess-%d-pass" % i, xff="203.0.113.20"), 401,
                     "invalid_credentials")
    assert login(srv, key, email, PW, xff="198.51.100.20").status == 200
    assert failure_ips(srv, t["id"], email) == {"203.0.113.20": 5}
    # the owner's count starts again from zero
    for i in range(9):
        expect_error(login(srv, key, email, "typo-%d-again" % i, xff="198.51.100.20"), 401,
                     "invalid_credentials")
    assert login(srv, key, email, PW, xff="198.51.100.20").status == 200


def test_a_malformed_trusted_proxies_list_stops_the_start_with_exit_2():
    tmp = tempfile.mkdtemp(prefix="saasd-e2e-")
    for bad in ("10.0.0.0/8, bogus", "10.0.0.0/33", "::/129"):
        r = run_cli(["serve"], env={"TRUSTED_PROXIES": bad}, cwd=tmp, timeout=15)
        assert r.returncode == 2, r
        assert "TRUSTED_PROXIES" in r.stderr, r
    r = run_cli(["--help"], env={}, cwd=tmp)
    assert r.returncode == 0 and "TRUSTED_PROXIES" in r.stdout, r
    shutil.rmtree(tmp, ignore_errors=True)


def test_several_forwarded_for_headers_read_as_one_list_in_order():
    # RFC 9110: repeated fields are one comma-separated list; the proxy's
    # header comes last, so the client cannot hide behind an earlier one
    srv = PROXIED.get()
    t, key = srv.create_tenant("TwoHeaders")
    email = new_email("owner")
    register(srv, key, email)
    body = json.dumps({"email": email, "password": "guess-1-pass"}).encode()
    head = ("POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n"
            "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 10.0.0.1, 203.0.113.88\r\n"
            "Connection: close\r\n\r\n" % (key, len(body))).encode()
    r = raw_http(srv.port, head, body)
    expect_error(r, 401, "invalid_credentials")
    assert failure_ips(srv, t["id"], email) == {"203.0.113.88": 1}
