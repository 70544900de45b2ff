"""test_cors.py: CORS. A preflight (OPTIONS, any path) from an origin some
tenant allows is 204 with the Access-Control-* headers; from an unknown
origin 204 with none of them. An actual answer carries
Access-Control-Allow-Origin/-Credentials only when the origin is in that
call's tenant's allowed_origins; every answer says Vary: Origin. A change
made with PATCH /tenant applies at once on the same node."""
from harness import BACKEND, Server, Shared, Skip, wait_for

SHARED = Shared()
A_ORIGIN = "http://localhost:5173"
B_ORIGIN = "https://b.example.com"
UNKNOWN = "https://evil.example.net"


def teardown_module():
    SHARED.stop()


def acao(r):
    return {k: v for k, v in r.headers.items() if k.startswith("access-control-")}


def setup():
    srv = SHARED.get()
    _, ka = srv.create_tenant("Cors A")
    _, kb = srv.create_tenant("Cors B")
    assert srv.request("PATCH", "/tenant", {"settings": {"allowed_origins": [A_ORIGIN]}},
                       key=ka).status == 200
    assert srv.request("PATCH", "/tenant", {"settings": {"allowed_origins": [B_ORIGIN]}},
                       key=kb).status == 200
    return srv, ka, kb


def preflight(srv, path, origin):
    h = {"Access-Control-Request-Method": "POST",
         "Access-Control-Request-Headers": "authorization, content-type"}
    if origin is not None:
        h["Origin"] = origin
    return srv.request("OPTIONS", path, headers=h, content_type=None)


def test_preflight_from_an_allowed_origin_on_any_path():
    srv, _, _ = setup()
    for path in ("/auth/login", "/organizations/org_x/members", "/no/such/path", "/"):
        r = preflight(srv, path, A_ORIGIN)
        assert r.status == 204, r
        assert r.header("Access-Control-Allow-Origin") == A_ORIGIN, r.headers
        assert r.header("Access-Control-Allow-Credentials") == "true"
        methods = {m.strip() for m in r.header("Access-Control-Allow-Methods").split(",")}
        assert {"GET", "POST", "PATCH", "DELETE"} <= methods, methods
        headers = {h.strip().lower() for h in
                   r.header("Access-Control-Allow-Headers").split(",")}
        assert headers == {"authorization", "content-type", "x-session-token",
                           "idempotency-key", "x-request-id", "traceparent"}, headers
        assert r.header("Access-Control-Max-Age") == "600"
        assert r.header("Vary") == "Origin"
        assert r.raw == ""
    # either tenant's origin is a known one for a preflight
    assert preflight(srv, "/auth/login", B_ORIGIN).header(
        "Access-Control-Allow-Origin") == B_ORIGIN


def test_preflight_from_an_unknown_origin_has_no_access_control_header():
    srv, _, _ = setup()
    for origin in (UNKNOWN, A_ORIGIN + "/", A_ORIGIN.upper(), "null", "*", None,
                   A_ORIGIN + ":1"):
        r = preflight(srv, "/auth/login", origin)
        assert r.status == 204, r
        assert acao(r) == {}, (origin, r.headers)
        assert r.header("Vary") == "Origin"


def test_actual_answers_carry_cors_only_for_the_calling_tenants_origins():
    srv, ka, kb = setup()
    r = srv.request("GET", "/tenant", key=ka, headers={"Origin": A_ORIGIN})
    assert r.status == 200
    assert r.header("Access-Control-Allow-Origin") == A_ORIGIN
    assert r.header("Access-Control-Allow-Credentials") == "true"
    assert "X-Request-Id" in r.header("Access-Control-Expose-Headers")
    assert r.header("Vary") == "Origin"
    # B's origin, calling A: no CORS headers (but Vary)
    r = srv.request("GET", "/tenant", key=ka, headers={"Origin": B_ORIGIN})
    assert r.status == 200 and acao(r) == {} and r.header("Vary") == "Origin", r.headers
    r = srv.request("GET", "/tenant", key=ka, headers={"Origin": UNKNOWN})
    assert acao(r) == {} and r.header("Vary") == "Origin"
    # errors of the tenant's calls carry them too, so the browser can read them
    r = srv.request("POST", "/auth/login", {}, key=ka, headers={"Origin": A_ORIGIN})
    assert r.status == 400 and r.header("Access-Control-Allow-Origin") == A_ORIGIN
    # no key: no tenant, no CORS headers; Vary all the same
    r = srv.request("GET", "/tenant", headers={"Origin": A_ORIGIN})
    assert r.status == 401 and acao(r) == {} and r.header("Vary") == "Origin"
    r = srv.request("GET", "/health")
    assert r.header("Vary") == "Origin"


def test_a_settings_change_applies_at_once_on_this_node():
    srv, ka, _ = setup()
    new = "https://new.example.org"
    assert acao(preflight(srv, "/auth/login", new)) == {}
    assert srv.request("PATCH", "/tenant", {"settings": {"allowed_origins": [new]}},
                       key=ka).status == 200
    assert preflight(srv, "/auth/login", new).header("Access-Control-Allow-Origin") == new
    r = srv.request("GET", "/tenant", key=ka, headers={"Origin": new})
    assert r.header("Access-Control-Allow-Origin") == new
    # the origin it no longer lists: refused on its calls at once (other
    # tenants of this shared server still allow A_ORIGIN for preflights)
    r = srv.request("GET", "/tenant", key=ka, headers={"Origin": A_ORIGIN})
    assert acao(r) == {}
    assert srv.request("PATCH", "/tenant", {"settings": {"allowed_origins": []}},
                       key=ka).status == 200
    assert acao(preflight(srv, "/auth/login", new)) == {}


def test_a_settings_change_reaches_another_node_within_seconds():
    if BACKEND != "postgres":
        raise Skip("two nodes on one database need the PostgreSQL backend")
    n1 = Server().start()
    try:
        n2 = Server(database_url=n1.database_url,
                    env={"JWT_SECRET": n1.env["JWT_SECRET"]}).start()
        try:
            _, key = n1.create_tenant("Cors Two Nodes")
            origin = "https://two-nodes.example.com"
            assert acao(preflight(n2, "/auth/login", origin)) == {}  # n2 loads its index
            assert n1.request("PATCH", "/tenant", {"settings": {"allowed_origins": [origin]}},
                              key=key).status == 200

            def seen():
                r = preflight(n2, "/auth/login", origin)
                return r.header("Access-Control-Allow-Origin") == origin
            wait_for(seen, timeout=5.0, interval=0.1, what="the origin on the other node")
            r = n2.request("GET", "/tenant", key=key, headers={"Origin": origin})
            assert r.header("Access-Control-Allow-Origin") == origin
        finally:
            assert n2.stop() == 0
    finally:
        assert n1.stop() == 0
