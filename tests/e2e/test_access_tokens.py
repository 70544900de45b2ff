"""test_access_tokens.py: access tokens for the edge (API.md "Access tokens").

Every token is verified by the npm package jose (tests/e2e/verify_jwt.mjs,
tests/node), never by saasd's own code: signature against the served JWKS
(local and remote key sets), iss (PUBLIC_URL), aud (the tenant), exp, typ
and the claims (sub, sid, email, aal, amr; org and ent with organization_id,
from the same answers as the permissions and entitlements routes). Pins
down: a token of another tenant has another aud and fails this tenant's
audience; `saasd signing-key rotate` makes a new kid while tokens of the old
key still verify (both in the JWKS); a token is expired once saasd's clock
passes ACCESS_TOKEN_TTL (jose given saasd's clock); the well-known
documents are cacheable; on PostgreSQL two nodes on one database sign with
one key."""
import base64
import json
import os
import subprocess
import time

from harness import BACKEND, ROOT, Server, Shared, Skip, db_rows, expect_error
from orgkit import Tenant, new_email
from webhook_receiver import NODE_DIR, install_standardwebhooks

SHARED = Shared(env={"THREADS": "4"})
VERIFY = os.path.join(ROOT, "tests", "e2e", "verify_jwt.mjs")
TTL = 300


def jose_verify(items):
    ok, why = install_standardwebhooks()  # the one tests/node project: jose with it
    if not ok:
        raise Skip(why)
    env = dict(os.environ, JOSE_DIR=NODE_DIR)
    r = subprocess.run(["node", VERIFY], input=json.dumps({"items": items}).encode(), env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert r.returncode == 0, r.stderr.decode("utf-8", "replace")[-2000:]
    return json.loads(r.stdout)["results"]


def srv_now(srv, offset=0):
    return int(time.time()) + offset


def token(t, user, body=None):
    r = t.call("POST", "/auth/token", body if body is not None else {}, user=user)
    assert r.status == 200, r
    assert r.json["token_type"] == "Bearer" and r.json["expires_in"] == TTL, r.json
    assert r.header("cache-control") == "no-store", r
    return r.json["access_token"]


def jwks(srv):
    r = srv.request("GET", "/.well-known/jwks.json")
    assert r.status == 200, r
    assert r.header("cache-control") == "public, max-age=300", r
    return r.json


def issuer(srv):
    return "http://127.0.0.1:%d" % srv.port


def one(srv, tok, aud, now=None, remote=False, iss=None):
    item = {"token": tok, "issuer": iss or issuer(srv), "audience": aud,
            "now": now if now is not None else srv_now(srv)}
    if remote:
        item["jwks_url"] = issuer(srv) + "/.well-known/jwks.json"
    else:
        item["jwks"] = jwks(srv)
    return jose_verify([item])[0]


def test_token_verifies_with_jose_and_carries_the_session_claims():
    srv = SHARED.get()
    t = Tenant(srv)
    u = t.register()
    tok = token(t, u)
    for remote in (False, True):
        res = one(srv, tok, t.id, remote=remote)
        assert res["ok"], res
    p, h = res["payload"], res["header"]
    assert h["alg"] == "EdDSA" and h["typ"] == "JWT", h
    assert h["kid"] in [k["kid"] for k in jwks(srv)["keys"]], h
    assert p["iss"] == issuer(srv) and p["aud"] == t.id and p["sub"] == u.id, p
    assert p["sid"] == u.session_id, p
    assert p["exp"] - p["iat"] == TTL and abs(p["iat"] - time.time()) < 60, p
    assert p["aal"] == 1 and p["amr"] == ["pwd"], p
    assert p["email"] == u.email and p["email_verified"] is False, p
    assert "org" not in p and "ent" not in p, p


def test_jwks_and_openid_configuration():
    srv = SHARED.get()
    keys = jwks(srv)["keys"]
    assert len(keys) >= 1
    for k in keys:
        assert set(k) == {"kty", "crv", "x", "kid", "alg", "use"}, k
        assert (k["kty"], k["crv"], k["alg"], k["use"]) == ("OKP", "Ed25519", "EdDSA", "sig"), k
        assert "d" not in k
    r = srv.request("GET", "/.well-known/openid-configuration")
    assert r.status == 200, r
    assert r.header("cache-control") == "public, max-age=300", r
    assert r.json["issuer"] == issuer(srv), r.json
    assert r.json["jwks_uri"] == issuer(srv) + "/.well-known/jwks.json", r.json
    assert r.json["id_token_signing_alg_values_supported"] == ["EdDSA"], r.json


def test_organization_claims_come_from_permissions_and_entitlements():
    srv = SHARED.get()
    t = Tenant(srv)
    owner = t.register()
    org = t.create_org(owner)
    member = t.add_member(org["id"], role="member")
    for user in (owner, member):
        p = one(srv, token(t, user, {"organization_id": org["id"]}), t.id)["payload"]
        perms = t.call("GET", "/organizations/%s/members/%s/permissions" % (org["id"], user.id))
        ent = t.call("GET", "/organizations/%s/entitlements" % org["id"])
        assert perms.status == 200 and ent.status == 200, (perms, ent)
        assert p["org"] == {"id": org["id"], "role": perms.json["role"],
                            "permissions": perms.json["permissions"]}, p
        assert p["ent"] == {"tier": ent.json["tier"], "features": ent.json["features"]}, p
    outsider = t.register()
    expect_error(t.call("POST", "/auth/token", {"organization_id": org["id"]}, user=outsider),
                 404, "not_found")
    expect_error(t.call("POST", "/auth/token", {"organization_id": "org_nope"}, user=owner),
                 404, "not_found")
    expect_error(t.call("POST", "/auth/token", {"organization_id": 7}, user=owner),
                 400, "validation_failed")
    expect_error(t.call("POST", "/auth/token", {"scope": "x"}, user=owner),
                 400, "validation_failed")
    expect_error(t.call("POST", "/auth/token", {}), 401, "invalid_session")


def test_another_tenants_token_has_another_audience():
    srv = SHARED.get()
    a, b = Tenant(srv, "A"), Tenant(srv, "B")
    tok_b = token(b, b.register())
    res = one(srv, tok_b, b.id)
    assert res["ok"] and res["payload"]["aud"] == b.id, res
    res = one(srv, tok_b, a.id)
    assert not res["ok"] and res["code"] == "ERR_JWT_CLAIM_VALIDATION_FAILED", res


def test_rotation_keeps_old_tokens_verifying_and_new_tokens_take_the_new_kid():
    with Server(env={"THREADS": "2"}) as srv:
        t = Tenant(srv)
        u = t.register()
        old = token(t, u)
        old_kid = one(srv, old, t.id)["header"]["kid"]
        r = srv.cli("signing-key", "rotate")
        assert r.returncode == 0, r.stderr
        new_kid = json.loads(r.stdout)["kid"]
        assert new_kid != old_kid
        # the serving process rereads the keys within SIGKEYS_REFRESH_MS
        clock = srv.advance_clock(3)
        now = srv_now(srv, clock["offset_seconds"])
        kids = [k["kid"] for k in jwks(srv)["keys"]]
        assert kids[:2] == [new_kid, old_kid], kids
        new = token(t, u)
        res_new = one(srv, new, t.id, now=now)
        assert res_new["ok"] and res_new["header"]["kid"] == new_kid, res_new
        res_old = one(srv, old, t.id, now=now)
        assert res_old["ok"] and res_old["header"]["kid"] == old_kid, res_old
        # once the old key's tokens have all expired it leaves the JWKS
        clock = srv.advance_clock(TTL + 61)
        assert old_kid not in [k["kid"] for k in jwks(srv)["keys"]]
        assert new_kid in [k["kid"] for k in jwks(srv)["keys"]]


def test_token_expires_after_the_ttl_by_saasds_clock():
    with Server(env={"THREADS": "2"}) as srv:
        t = Tenant(srv)
        tok = token(t, t.register())
        keys = jwks(srv)
        base = json.loads(base64.urlsafe_b64decode(tok.split(".")[1] + "=="))
        clock = srv.advance_clock(TTL + 1)
        now = srv_now(srv, clock["offset_seconds"])
        assert now >= base["exp"]
        res = jose_verify([{"token": tok, "issuer": issuer(srv), "audience": t.id, "now": now,
                            "jwks": keys}])[0]
        assert not res["ok"] and res["code"] == "ERR_JWT_EXPIRED", res
        res = jose_verify([{"token": tok, "issuer": issuer(srv), "audience": t.id,
                            "now": base["exp"] - 1, "jwks": keys}])[0]
        assert res["ok"], res


def test_public_url_is_the_issuer_and_is_validated():
    with Server(env={"PUBLIC_URL": "https://auth.example.com"}) as srv:
        r = srv.request("GET", "/.well-known/openid-configuration")
        assert r.json["issuer"] == "https://auth.example.com", r.json
        assert r.json["jwks_uri"] == "https://auth.example.com/.well-known/jwks.json"
    for bad in ("https://auth.example.com/", "ftp://x", "auth.example.com", "https://"):
        s = Server(env={"PUBLIC_URL": bad})
        r = s.cli("migrate")
        assert r.returncode == 2 and "PUBLIC_URL" in r.stderr, (bad, r.stderr)
    for bad in ("59", "3601"):
        r = Server(env={"ACCESS_TOKEN_TTL": bad}).cli("migrate")
        assert r.returncode == 2 and "ACCESS_TOKEN_TTL" in r.stderr, (bad, r.stderr)
    r = Server(env={"SIGNING_KEY_ROTATION_DAYS": "0"}).cli("migrate")
    assert r.returncode == 2 and "SIGNING_KEY_ROTATION_DAYS" in r.stderr, r.stderr


def test_two_nodes_sign_with_one_key():
    if BACKEND != "postgres":
        raise Skip("two nodes share one database on PostgreSQL only")
    # started at once on an empty database: exactly one current key
    # one deployment: one database, one JWT_SECRET, one PUBLIC_URL (the issuer)
    env = {"THREADS": "2", "PUBLIC_URL": "https://auth.example.test"}
    n1 = Server(env=env)
    n2 = Server(database_url=n1.database_url, env=dict(env, JWT_SECRET=n1.env["JWT_SECRET"]))
    n1.start(wait=False)
    n2.start(wait=False)
    try:
        n1.wait_healthy()
        n2.wait_healthy()
        assert jwks(n1) == jwks(n2)
        assert len(jwks(n1)["keys"]) == 1, jwks(n1)
        t = Tenant(n1)
        u = t.register()
        t2 = Tenant.__new__(Tenant)
        t2.__dict__.update(t.__dict__, srv=n2)
        tok1, tok2 = token(t, u), token(t2, u)
        iss = env["PUBLIC_URL"]
        for tok in (tok1, tok2):
            res = one(n1, tok, t.id, iss=iss)
            assert res["ok"], res
        assert (one(n1, tok1, t.id, iss=iss)["header"]["kid"] ==
                one(n2, tok2, t.id, iss=iss)["header"]["kid"])
        # a rotation from one node is seen by the other within seconds
        r = n1.cli("signing-key", "rotate")
        assert r.returncode == 0, r.stderr
        kid = json.loads(r.stdout)["kid"]
        deadline = time.time() + 10
        while time.time() < deadline and jwks(n2)["keys"][0]["kid"] != kid:
            time.sleep(0.2)
        assert jwks(n2)["keys"][0]["kid"] == kid
    finally:
        assert n1.stop() == 0
        assert n2.stop() == 0


# --- session token rotation: POST /auth/session/refresh --------------------------------------

def refresh(t, tok):
    r = t.call("POST", "/auth/session/refresh", {}, user=tok)
    return r


def session_events(srv, tenant_id):
    return [json.loads(p) for (p,) in db_rows(
        srv, "SELECT payload FROM webhook_events WHERE tenant_id = ? AND type = 'session.revoked'",
        (tenant_id,))]


def test_refresh_gives_a_new_token_for_the_same_session():
    srv = SHARED.get()
    t = Tenant(srv)
    u = t.register()
    before = t.call("GET", "/auth/session", user=u).json["session"]
    r = refresh(t, u.token)
    assert r.status == 200, r
    new = r.json["session"]["token"]
    assert new != u.token
    assert r.json["session"]["id"] == u.session_id == before["id"], r.json
    assert r.json["session"]["expires_at"] == before["expires_at"], r.json
    assert r.json["user"]["id"] == u.id, r.json
    for tok in (new, u.token):  # the old one within its 30 s grace
        s = t.call("GET", "/auth/session", user=tok)
        assert s.status == 200 and s.json["session"]["id"] == u.session_id, s
    # the previous token cannot refresh again; the current one can
    expect_error(refresh(t, u.token), 401, "invalid_session")
    r2 = refresh(t, new)
    assert r2.status == 200, r2
    assert t.call("GET", "/auth/session", user=r2.json["session"]["token"]).status == 200
    # tokens stay hashed at rest
    rows = db_rows(srv, "SELECT token_hash, prev_token_hash FROM sessions WHERE id = ?",
                   (u.session_id,))
    assert rows and all(len(h) == 64 for h in rows[0]), rows
    assert r2.json["session"]["token"] not in rows[0] and new not in rows[0]
    expect_error(t.call("POST", "/auth/session/refresh", {"x": 1}, user=r2.json["session"]["token"]),
                 400, "validation_failed")
    expect_error(t.call("POST", "/auth/session/refresh", {}), 401, "invalid_session")


def test_old_token_after_the_grace_revokes_the_whole_session():
    with Server(env={"THREADS": "2"}) as srv:
        t = Tenant(srv)
        u = t.register()
        other = t.register()
        new = refresh(t, u.token).json["session"]["token"]
        assert t.call("GET", "/auth/session", user=u.token).status == 200
        srv.advance_clock(29)
        assert t.call("GET", "/auth/session", user=u.token).status == 200
        assert t.call("GET", "/auth/session", user=new).status == 200
        srv.advance_clock(2)
        expect_error(t.call("GET", "/auth/session", user=u.token), 401, "invalid_session")
        # the new token is dead too: the session is revoked
        expect_error(t.call("GET", "/auth/session", user=new), 401, "invalid_session")
        expect_error(t.call("POST", "/auth/token", {}, user=new), 401, "invalid_session")
        # another user's session is untouched
        assert t.call("GET", "/auth/session", user=other).status == 200
        ev = session_events(srv, t.id)
        assert len(ev) == 1, ev
        assert ev[0]["data"]["reason"] == "token_reused", ev
        assert ev[0]["data"]["session"]["id"] == u.session_id, ev
        assert ev[0]["data"]["session"]["user_id"] == u.id, ev
        # used again: still 401, no second event
        expect_error(t.call("GET", "/auth/session", user=u.token), 401, "invalid_session")
        assert len(session_events(srv, t.id)) == 1


def test_a_key_sealed_under_another_jwt_secret_is_replaced_by_rotate():
    first = Server().start()
    t = Tenant(first)
    assert first.stop() == 0
    with Server(database_url=first.database_url) as srv:  # another JWT_SECRET
        t.srv = srv
        u = t.register()
        expect_error(t.call("POST", "/auth/token", {}, user=u), 500, "internal_error")
        r = srv.cli("signing-key", "rotate")
        assert r.returncode == 0, r.stderr
        kid = json.loads(r.stdout)["kid"]
        tok = token(t, u)
        res = one(srv, tok, t.id)
        assert res["ok"] and res["header"]["kid"] == kid, res
