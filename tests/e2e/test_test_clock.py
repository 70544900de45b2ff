"""test_test_clock.py: POST /admin/test/clock (issue 11). Under
ENVIRONMENT=test only, a loopback peer holding ADMIN_TOKEN moves this saasd
process's clock forward: {"advance_seconds": N} -> {"now", "offset_seconds"}.
Pins down: the route is absent (404, not 405, before auth) in development
and production; a non-loopback socket peer gets 404 even with the token and
even when X-Forwarded-For claims 127.0.0.1 from a trusted proxy, while a
loopback peer is answered whatever X-Forwarded-For says; the body is
validated (integer 1..400 days, nothing else); the offset only grows and
adds up; sessions expire by the moved clock."""
import http.client
import json
import socket
import time

from harness import Server, Shared, Skip, expect_error

SRV = Shared(env={"SESSION_EXPIRATION": "3600"})
MAX_S = 400 * 86400


def teardown_module():
    SRV.stop()


def rfc3339_s(text):
    return time.mktime(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone


def test_absent_in_development_and_production():
    prod = {"ENVIRONMENT": "production", "JWT_SECRET": "s" * 40,
            "ADMIN_TOKEN": "adm_" + "Q7" * 20, "BCRYPT_WORK_FACTOR": "10"}
    for env in ({"ENVIRONMENT": "development"}, prod):
        with Server(env=env) as srv:
            srv.admin_token = srv.env["ADMIN_TOKEN"]
            r = srv.admin("POST", "/admin/test/clock", {"advance_seconds": 60})
            expect_error(r, 404, "not_found")
            # no 405 with an Allow header, and no 401 without the token either
            expect_error(srv.admin("GET", "/admin/test/clock"), 404, "not_found")
            assert srv.request("GET", "/admin/test/clock").header("Allow") is None
            expect_error(srv.request("POST", "/admin/test/clock", {"advance_seconds": 60}),
                         404, "not_found")
            # and nothing moved: a routine answer still carries real time
            t = srv.admin("POST", "/admin/tenants", {"name": "Real Time Co"})
            assert t.status == 201, t
            assert abs(rfc3339_s(t.json["tenant"]["created_at"]) - time.time()) < 120, t


def test_the_body_is_validated_and_the_token_required():
    srv = SRV.get()
    r = srv.request("POST", "/admin/test/clock", {"advance_seconds": 5})
    assert r.status == 401, r
    for body in ({}, {"advance_seconds": 0}, {"advance_seconds": -5},
                 {"advance_seconds": "60"}, {"advance_seconds": 1.5},
                 {"advance_seconds": None}, {"advance_seconds": MAX_S + 1},
                 {"advance_seconds": 60, "rewind": True}):
        r = srv.admin("POST", "/admin/test/clock", body)
        expect_error(r, 400, "validation_failed")
    # nothing of the refused calls moved the clock
    before = srv.advance_clock(1)["offset_seconds"]
    assert srv.advance_clock(1)["offset_seconds"] == before + 1


def test_the_offset_adds_up_and_now_is_real_time_plus_it():
    srv = SRV.get()
    start = srv.advance_clock(1)["offset_seconds"]
    r = srv.advance_clock(86400)
    assert r["offset_seconds"] == start + 86400, r
    assert abs(rfc3339_s(r["now"]) - (time.time() + r["offset_seconds"])) < 60, r
    # the rest of the API reads the same clock: a new tenant is created "then"
    t = srv.admin("POST", "/admin/tenants", {"name": "Future Co"})
    assert t.status == 201, t
    assert abs(rfc3339_s(t.json["tenant"]["created_at"]) - rfc3339_s(r["now"])) < 60, (t, r)


def test_a_session_expires_when_the_clock_passes_its_end():
    srv = SRV.get()
    _, key = srv.create_tenant("Clocked Sessions Co")
    r = srv.request("POST", "/auth/register",
                    {"email": "tick@example.com", "password": "correct horse 1"}, key=key)
    assert r.status == 201, r
    token = r.json["session"]["token"]
    srv.advance_clock(3600 - 120)  # SESSION_EXPIRATION=3600: two minutes left
    r = srv.request("GET", "/auth/session", key=key, session=token)
    assert r.status == 200, r
    srv.advance_clock(121)
    expect_error(srv.request("GET", "/auth/session", key=key, session=token), 401,
                 "invalid_session")


def non_loopback_address():
    """An IPv4 address of this machine that is not loopback, or None. The UDP
    connect only picks a source address; it sends nothing."""
    for probe in ("192.0.2.1", "10.255.255.255", "198.51.100.1"):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.connect((probe, 9))
            addr = s.getsockname()[0]
        except OSError:
            continue
        finally:
            s.close()
        if not addr.startswith("127.") and addr != "0.0.0.0":
            return addr
    return None


def post_from(addr, port, token, headers=None):
    conn = http.client.HTTPConnection(addr, port, timeout=10, source_address=(addr, 0))
    try:
        h = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
        h.update(headers or {})
        conn.request("POST", "/admin/test/clock", body=json.dumps({"advance_seconds": 60}),
                     headers=h)
        r = conn.getresponse()
        return r.status, json.loads(r.read() or b"null")
    finally:
        conn.close()


def test_only_a_loopback_socket_peer_is_answered_never_by_x_forwarded_for():
    addr = non_loopback_address()
    if addr is None:
        raise Skip("no non-loopback address on this machine (tests/unit/test_ipnet.c "
                   "covers the peer check)")
    # the peer is trusted as a proxy, so X-Forwarded-For is read for client_ip:
    # the clock route must still look at the socket only
    env = {"HOST": "0.0.0.0", "TRUSTED_PROXIES": "127.0.0.1, %s" % addr}
    # free_port() checks 127.0.0.1 only: on 0.0.0.0 the port may be taken
    # elsewhere (a busy shared machine), so try a few
    for attempt in range(5):
        srv = Server(env=env)
        try:
            srv.start()
            break
        except AssertionError:
            if attempt == 4 or "Address already in use" not in srv.logs():
                raise
    try:
        status, body = post_from(addr, srv.port, srv.admin_token)
        assert status == 404 and body["error"]["code"] == "not_found", (status, body)
        status, body = post_from(addr, srv.port, srv.admin_token,
                                 {"X-Forwarded-For": "127.0.0.1"})
        assert status == 404 and body["error"]["code"] == "not_found", (status, body)
        # without the token too: 404 before auth, not 401
        status, body = post_from(addr, srv.port, "wrong")
        assert status == 404, (status, body)
        r = srv.admin("POST", "/admin/test/clock", {"advance_seconds": 60},
                      headers={"X-Forwarded-For": "203.0.113.9"})
        assert r.status == 200 and r.json["offset_seconds"] == 60, r
    finally:
        assert srv.stop() == 0
