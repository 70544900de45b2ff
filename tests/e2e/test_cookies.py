"""test_cookies.py: cookie sessions (API.md "Keys, browsers, cookies").
register and login with "session_cookie": true set saasd_session (HttpOnly,
Secure, SameSite=Lax, Path=/, Max-Age until the session ends, Domain from
cookie_domain) and leave the token out of the body; the cookie alone is the
session; an unsafe cookie-borne call needs an Origin from the calling
tenant's allowed_origins (else 403 csrf_rejected) while X-Session-Token
calls are not subject to it; logout clears the cookie, refresh rotates it,
and a cookie naming no live session is 401 with the cookie cleared."""
import calendar
import http.client
import json
import time
import uuid

from harness import Response, Shared, expect_error

SHARED = Shared()
PW = "correct horse 1"
A_ORIGIN = "http://localhost:5173"
B_ORIGIN = "https://b.example.com"
COOKIE = "saasd_session"


def teardown_module():
    SHARED.stop()


def new_email():
    return "ck.%s@example.com" % uuid.uuid4().hex[:12]


def setup(domain=None):
    """A tenant allowing A_ORIGIN (and another allowing B_ORIGIN); returns
    (srv, secret key, publishable key, other tenant's publishable key)."""
    srv = SHARED.get()
    _, sk = srv.create_tenant("Cookie Co")
    _, sk_b = srv.create_tenant("Cookie Other Co")
    settings = {"allowed_origins": [A_ORIGIN]}
    if domain is not None:
        settings["cookie_domain"] = domain
    assert srv.request("PATCH", "/tenant", {"settings": settings}, key=sk).status == 200
    assert srv.request("PATCH", "/tenant", {"settings": {"allowed_origins": [B_ORIGIN]}},
                       key=sk_b).status == 200
    return srv, sk, publishable(srv, sk), publishable(srv, sk_b)


def publishable(srv, sk):
    r = srv.request("POST", "/api-keys", {"name": "web", "type": "publishable"}, key=sk)
    assert r.status == 201, r
    return r.json["key"]


def parse_set_cookie(value):
    """(name, value, {attribute lower-case: value or True}) of one Set-Cookie."""
    parts = [p.strip() for p in value.split(";")]
    name, _, val = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        k, eq, v = p.partition("=")
        assert k.lower() not in attrs, "attribute twice: %r" % value
        attrs[k.lower()] = v if eq else True
    return name, val, attrs


def set_cookies(r):
    """Every Set-Cookie of a response, parsed (http.client joins repeats)."""
    raw = [v for k, v in r.all_headers if k.lower() == "set-cookie"]
    return [parse_set_cookie(v) for v in raw]


def request(srv, method, path, body=None, key=None, session=None, cookie=None, origin=None):
    """srv.request with a Cookie and an Origin, keeping repeated headers
    (Response.all_headers: Set-Cookie may come twice)."""
    h = {}
    if key is not None:
        h["Authorization"] = "Bearer " + key
    if session is not None:
        h["X-Session-Token"] = session
    if cookie is not None:
        h["Cookie"] = cookie
    if origin is not None:
        h["Origin"] = origin
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        conn.request(method, path, body=data, headers=h)
        resp = conn.getresponse()
        payload = resp.read().decode("utf-8", "replace")
        out = Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, payload)
        out.all_headers = resp.getheaders()
        return out
    finally:
        conn.close()


def cookie_login(srv, pk, email=None, register=True):
    """Register (or log in) with session_cookie: the answer and the token."""
    email = email or new_email()
    if register:
        r = request(srv, "POST", "/auth/register",
                    {"email": email, "password": PW, "session_cookie": True}, key=pk,
                    origin=A_ORIGIN)
        assert r.status == 201, r
    else:
        r = request(srv, "POST", "/auth/login",
                    {"email": email, "password": PW, "session_cookie": True}, key=pk,
                    origin=A_ORIGIN)
        assert r.status == 200, r
    cookies = set_cookies(r)
    assert len(cookies) == 1, cookies
    name, token, _ = cookies[0]
    assert name == COOKIE and token
    return r, token, email


def test_register_and_login_set_the_cookie_with_exactly_its_attributes():
    srv, _, pk, _ = setup()
    for register in (True, False):
        email = new_email()
        if not register:
            assert srv.request("POST", "/auth/register", {"email": email, "password": PW},
                               key=pk).status == 201
        before = time.time()
        r, token, _ = cookie_login(srv, pk, email, register=register)
        name, value, attrs = set_cookies(r)[0]
        assert set(attrs) == {"httponly", "secure", "samesite", "path", "max-age"}, attrs
        assert attrs["httponly"] is True and attrs["secure"] is True
        assert attrs["samesite"] == "Lax" and attrs["path"] == "/"
        # Max-Age: the seconds until the session expires (SESSION_EXPIRATION 604800)
        max_age = int(attrs["max-age"])
        expires = calendar.timegm(time.strptime(r.json["session"]["expires_at"][:19],
                                                "%Y-%m-%dT%H:%M:%S"))
        assert abs((expires - before) - max_age) <= 5, (max_age, expires - before)
        assert 604700 <= max_age <= 604800, max_age
        # the token is not in the body; the rest of the answer is
        assert "token" not in r.json["session"], r.json
        assert r.json["session"]["id"].startswith("ses_") and r.json["user"]["email"] == email
        assert value not in r.raw
        # and it is a session
        me = request(srv, "GET", "/auth/session", key=pk, cookie="%s=%s" % (COOKIE, token))
        assert me.status == 200, me
        assert me.json["user"]["email"] == email
        assert me.json["session"]["id"] == r.json["session"]["id"]


def test_without_session_cookie_or_false_the_token_stays_in_the_body():
    srv, _, pk, _ = setup()
    for extra in ({}, {"session_cookie": False}):
        body = {"email": new_email(), "password": PW}
        body.update(extra)
        r = request(srv, "POST", "/auth/register", body, key=pk)
        assert r.status == 201, r
        assert r.json["session"]["token"] and set_cookies(r) == []


def test_session_cookie_of_a_wrong_type_is_validation_failed():
    srv, _, pk, _ = setup()
    for bad in ("true", 1, None, [], {}):
        for path in ("/auth/register", "/auth/login"):
            r = request(srv, "POST", path,
                        {"email": new_email(), "password": PW, "session_cookie": bad}, key=pk)
            err = expect_error(r, 400, "validation_failed")
            assert err["fields"]["session_cookie"] == "invalid_type", err
            assert set_cookies(r) == []


def test_cookie_domain_is_the_tenants_cookie_domain():
    srv, _, pk, _ = setup(domain="example.com")
    r, token, _ = cookie_login(srv, pk)
    _, _, attrs = set_cookies(r)[0]
    assert attrs["domain"] == "example.com", attrs
    # logout clears both the Domain cookie and a host-only one
    out = request(srv, "POST", "/auth/logout", key=pk, cookie="%s=%s" % (COOKIE, token),
                  origin=A_ORIGIN)
    assert out.status == 204, out
    cleared = set_cookies(out)
    assert len(cleared) == 2, cleared
    assert {c[2].get("domain") for c in cleared} == {"example.com", None}
    for name, value, attrs in cleared:
        assert name == COOKIE and value == "" and attrs["max-age"] == "0"
        assert attrs["httponly"] is True and attrs["secure"] is True
        assert attrs["samesite"] == "Lax" and attrs["path"] == "/"


def test_the_cookie_alone_is_the_session_and_the_header_wins():
    srv, sk, pk, _ = setup()
    _, token, email = cookie_login(srv, pk)
    other = srv.request("POST", "/auth/register", {"email": new_email(), "password": PW},
                        key=pk).json
    jar = "a=1; %s=%s; b=\"2\"" % (COOKIE, token)
    me = request(srv, "GET", "/auth/session", key=pk, cookie=jar)
    assert me.status == 200 and me.json["user"]["email"] == email
    # a quoted value is the same cookie
    me = request(srv, "GET", "/auth/session", key=pk, cookie='%s="%s"' % (COOKIE, token))
    assert me.status == 200 and me.json["user"]["email"] == email
    # X-Session-Token wins over the cookie
    me = request(srv, "GET", "/auth/session", key=pk, cookie=jar,
                 session=other["session"]["token"])
    assert me.status == 200 and me.json["user"]["id"] == other["user"]["id"]
    # a key route taking a publishable key with a session reads it too: the
    # user may read themself
    mine = request(srv, "GET", "/auth/session", key=pk, cookie=jar).json["user"]["id"]
    r = request(srv, "GET", "/users/" + mine, key=pk, cookie=jar)
    assert r.status == 200, r
    # the tenant's backend routes never read it (a proxy may forward cookies)
    assert request(srv, "GET", "/tenant", key=sk, cookie=jar).status == 200
    # another tenant's key with this cookie: no such session there
    _, sk_other = srv.create_tenant("Cookie Third Co")
    expect_error(request(srv, "GET", "/auth/session", key=publishable(srv, sk_other),
                         cookie=jar), 401, "invalid_session")
    # without the cookie a publishable key on that route is refused
    expect_error(request(srv, "GET", "/users/" + mine, key=pk), 403,
                 "publishable_key_not_allowed")


def test_csrf_unsafe_cookie_calls_need_an_allowed_origin():
    srv, _, pk, _ = setup()
    _, token, _ = cookie_login(srv, pk)
    jar = "%s=%s" % (COOKIE, token)
    for origin in (None, B_ORIGIN, "https://evil.example.net", "null", A_ORIGIN + "/",
                   A_ORIGIN.upper(), ""):
        r = request(srv, "POST", "/organizations", {"name": "Csrf Org"}, key=pk, cookie=jar,
                    origin=origin)
        expect_error(r, 403, "csrf_rejected")
        r = request(srv, "DELETE", "/auth/sessions/ses_01m8dh9g9msck31bzcx6t5w4sa", key=pk,
                    cookie=jar, origin=origin)
        expect_error(r, 403, "csrf_rejected")
        r = request(srv, "POST", "/auth/logout", key=pk, cookie=jar, origin=origin)
        expect_error(r, 403, "csrf_rejected")
    # the other tenant's origin gets no CORS headers on the refusal either
    r = request(srv, "POST", "/organizations", {"name": "Csrf Org"}, key=pk, cookie=jar,
                origin=B_ORIGIN)
    assert r.header("Access-Control-Allow-Origin") is None
    # the session survived all of that, and safe methods need no Origin
    assert request(srv, "GET", "/auth/session", key=pk, cookie=jar).status == 200
    assert request(srv, "GET", "/auth/sessions", key=pk, cookie=jar).status == 200
    # with the tenant's own origin: done
    r = request(srv, "POST", "/organizations", {"name": "Csrf Org"}, key=pk, cookie=jar,
                origin=A_ORIGIN)
    assert r.status == 201, r
    assert r.header("Access-Control-Allow-Origin") == A_ORIGIN
    r = request(srv, "DELETE", "/organizations/" + r.json["id"], key=pk, cookie=jar,
                origin=A_ORIGIN)
    assert r.status == 204, r


def test_header_token_calls_are_not_subject_to_csrf():
    srv, _, pk, _ = setup()
    reg = srv.request("POST", "/auth/register", {"email": new_email(), "password": PW},
                      key=pk).json
    tok = reg["session"]["token"]
    for origin in (None, B_ORIGIN, "https://evil.example.net"):
        r = request(srv, "POST", "/organizations", {"name": "Hdr Org"}, key=pk, session=tok,
                    origin=origin)
        assert r.status == 201, r
    # nor a sign-in with a stray cookie (register and login do not read it)
    r = request(srv, "POST", "/auth/login", {"email": reg["user"]["email"], "password": PW},
                key=pk, cookie="%s=garbage" % COOKIE)
    assert r.status == 200, r
    assert request(srv, "POST", "/auth/logout", key=pk, session=tok).status == 204


def test_logout_clears_the_cookie_and_the_session_ends():
    srv, _, pk, _ = setup()
    _, token, _ = cookie_login(srv, pk)
    jar = "%s=%s" % (COOKIE, token)
    r = request(srv, "POST", "/auth/logout", key=pk, cookie=jar, origin=A_ORIGIN)
    assert r.status == 204, r
    cleared = set_cookies(r)
    assert len(cleared) == 1, cleared
    name, value, attrs = cleared[0]
    assert (name, value) == (COOKIE, "")
    assert attrs == {"httponly": True, "secure": True, "samesite": "Lax", "path": "/",
                     "max-age": "0"}, attrs
    # the cookie no longer works: 401, and the answer clears it again
    r = request(srv, "GET", "/auth/session", key=pk, cookie=jar)
    expect_error(r, 401, "invalid_session")
    assert [(c[0], c[1], c[2]["max-age"]) for c in set_cookies(r)] == [(COOKIE, "", "0")]
    # a header-token logout sets no cookie
    tok = srv.request("POST", "/auth/register", {"email": new_email(), "password": PW},
                      key=pk).json["session"]["token"]
    r = request(srv, "POST", "/auth/logout", key=pk, session=tok)
    assert r.status == 204 and set_cookies(r) == []


def test_a_malformed_or_doubled_cookie_is_401_and_cleared():
    srv, _, pk, _ = setup()
    _, token, _ = cookie_login(srv, pk)
    for jar in ("%s=%s; %s=%s" % (COOKIE, token, COOKIE, token),
                "%s=a b" % COOKIE, "%s=%s" % (COOKIE, "x" * 300),
                "%s=unknowntoken" % COOKIE):
        r = request(srv, "GET", "/auth/session", key=pk, cookie=jar)
        expect_error(r, 401, "invalid_session")
        assert [(c[0], c[1]) for c in set_cookies(r)] == [(COOKIE, "")], r.all_headers
    # an empty value, or none of ours: no session (401 without a clearing)
    for jar in ("%s=" % COOKIE, "other=1", "%sx=%s" % (COOKIE, token)):
        r = request(srv, "GET", "/auth/session", key=pk, cookie=jar)
        expect_error(r, 401, "invalid_session")
        assert set_cookies(r) == []


def test_refresh_of_a_cookie_session_sets_the_new_token_as_the_cookie():
    srv, _, pk, _ = setup()
    first, token, email = cookie_login(srv, pk)
    jar = "%s=%s" % (COOKIE, token)
    r = request(srv, "POST", "/auth/session/refresh", key=pk, cookie=jar, origin=A_ORIGIN)
    assert r.status == 200, r
    assert "token" not in r.json["session"], r.json
    assert r.json["session"]["id"] == first.json["session"]["id"]
    cookies = set_cookies(r)
    assert len(cookies) == 1, cookies
    name, new, attrs = cookies[0]
    assert name == COOKIE and new and new != token
    assert set(attrs) == {"httponly", "secure", "samesite", "path", "max-age"}
    assert int(attrs["max-age"]) > 604000
    me = request(srv, "GET", "/auth/session", key=pk, cookie="%s=%s" % (COOKIE, new))
    assert me.status == 200 and me.json["user"]["email"] == email
    # refresh is an unsafe method: the CSRF rule holds
    expect_error(request(srv, "POST", "/auth/session/refresh", key=pk,
                         cookie="%s=%s" % (COOKIE, new)), 403, "csrf_rejected")
    # a header-token refresh still answers the token in the body, no cookie
    tok = srv.request("POST", "/auth/register", {"email": new_email(), "password": PW},
                      key=pk).json["session"]["token"]
    r = request(srv, "POST", "/auth/session/refresh", key=pk, session=tok)
    assert r.status == 200 and r.json["session"]["token"] and set_cookies(r) == []


def test_an_expired_cookie_session_is_401_and_cleared():
    srv, _, pk, _ = setup()
    _, token, _ = cookie_login(srv, pk)
    srv.advance_clock(604800 + 60)
    r = request(srv, "GET", "/auth/session", key=pk, cookie="%s=%s" % (COOKIE, token))
    expect_error(r, 401, "invalid_session")
    assert [(c[0], c[1]) for c in set_cookies(r)] == [(COOKIE, "")]
