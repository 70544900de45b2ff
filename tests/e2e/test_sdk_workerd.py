"""test_sdk_workerd.py: @saasd/sdk in a Cloudflare Worker, run by workerd.

The Worker (sdk/js/test/worker/worker.ts: Hono, `saasd()` middleware,
`requirePermission`, the SDK client) is bundled with esbuild
(sdk/js/scripts/bundle-worker.mjs) and served by the npm package workerd's
binary on 127.0.0.1 with a capnp config written here: its bindings name this
saasd (SAASD_URL, the tenant's secret key, the JWKS URL, the tenant id as
audience, PUBLIC_URL as issuer) and its global outbound network allows only
loopback ("local"). The test drives the Worker over HTTP: a route that
verifies saasd's access token offline (the claims as saasd signed them, the
same as the permissions and entitlements routes answer), one that asks
saasd for an organization permission check through the SDK client, one
that checks a permission offline from the token; refusals for a missing,
malformed, forged, expired and other tenant's token (saasd's error
envelope); a signing-key rotation seen by the Worker. The npm packages come
from sdk/js/package-lock.json (scripts/npm-deps.sh sdk/js). workerd is
always stopped by PID. The SDK's client is driven in Node against the same
saasd (test/e2e/client_flow.ts): session token kept and replaced, access
token verified, refusals as SaasdError."""
import base64
import glob
import json
import os
import platform
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request

from harness import ROOT, Shared, Skip, free_port, wait_for
from orgkit import Tenant

SDK_DIR = os.path.join(ROOT, "sdk", "js")
NPM_DEPS = os.path.join(ROOT, "scripts", "npm-deps.sh")
SHARED = Shared(env={"THREADS": "4"})
TTL = 300
RIG = {}


def install_sdk():
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise Skip("node or npm is not installed")
    r = subprocess.run([NPM_DEPS, SDK_DIR], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, timeout=600)
    assert r.returncode == 0, "npm ci in sdk/js failed: %s" % r.stdout.decode("utf-8", "replace")[-1500:]


def workerd_binary():
    """The platform binary of the npm package workerd (run directly, so its
    PID is workerd's own and not a node wrapper's)."""
    arch = {"x86_64": "64", "amd64": "64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine().lower(), platform.machine())
    name = {"linux": "linux", "darwin": "darwin"}.get(platform.system().lower(), "windows")
    cand = os.path.join(SDK_DIR, "node_modules", "@cloudflare", "workerd-%s-%s" % (name, arch),
                        "bin", "workerd")
    if os.access(cand, os.X_OK):
        return cand
    found = glob.glob(os.path.join(SDK_DIR, "node_modules", "@cloudflare", "workerd-*", "bin", "workerd"))
    assert found, "no workerd binary under sdk/js/node_modules/@cloudflare"
    return found[0]


def capnp_text(s):
    return json.dumps(s)  # a capnp text literal: double quotes, JSON escapes


CONFIG = """using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    # the Worker's fetch() goes here: loopback only (saasd on 127.0.0.1)
    (name = "internet", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = %(address)s, http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "2025-09-01",
  bindings = [%(bindings)s],
);
"""


class Workerd:
    def __init__(self, bindings):
        self.tmp = tempfile.mkdtemp(prefix="saasd-workerd-")
        self.port = free_port()
        bundle = os.path.join(self.tmp, "worker.js")
        r = subprocess.run(["node", os.path.join(SDK_DIR, "scripts", "bundle-worker.mjs"), bundle],
                           cwd=SDK_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        assert r.returncode == 0, "bundling the worker failed: %s" % r.stdout.decode("utf-8", "replace")
        text = CONFIG % {
            "address": capnp_text("127.0.0.1:%d" % self.port),
            "bindings": ", ".join("(name = %s, text = %s)" % (capnp_text(k), capnp_text(v))
                                  for k, v in sorted(bindings.items())),
        }
        self.config = os.path.join(self.tmp, "config.capnp")
        with open(self.config, "w") as f:
            f.write(text)
        self.log_path = os.path.join(self.tmp, "workerd.log")
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([workerd_binary(), "serve", self.config, "config"], cwd=self.tmp,
                                     stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        try:
            wait_for(self._up, timeout=30, interval=0.05, what="workerd on port %d" % self.port)
        except AssertionError:
            self.stop()
            raise AssertionError("workerd did not start:\n" + self.logs())

    def _up(self):
        if self.proc.poll() is not None:
            raise AssertionError("workerd exited (%s):\n%s" % (self.proc.returncode, self.logs()))
        try:
            return self.get("/health")[0] == 200
        except OSError:
            return False

    def logs(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")[-4000:]

    def get(self, path, token=None, headers=None):
        """(status, headers, JSON body) of GET path on the Worker."""
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = "Bearer " + token
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), headers=h)
        try:
            with urllib.request.urlopen(req, timeout=15) as res:
                return res.status, res.headers, json.loads(res.read() or b"null")
        except urllib.error.HTTPError as e:
            body = e.read()
            return e.code, e.headers, json.loads(body) if body else None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # by PID: Popen.terminate is kill(pid, SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def issuer(srv):
    return "http://127.0.0.1:%d" % srv.port


def rig():
    """saasd, one tenant with an organization (owner, admin, member), and
    workerd serving the Worker for that tenant."""
    if RIG:
        return RIG
    install_sdk()
    srv = SHARED.get()
    t = Tenant(srv)
    owner = t.register()
    org = t.create_org(owner)
    admin = t.add_member(org["id"], role="admin")
    member = t.add_member(org["id"], role="member")
    w = Workerd({
        "SAASD_URL": issuer(srv),
        "SAASD_KEY": t.key,
        "SAASD_JWKS_URL": issuer(srv) + "/.well-known/jwks.json",
        "SAASD_TENANT_ID": t.id,
        "SAASD_ISSUER": issuer(srv),
        "TEST_CLOCK": "1",
        "JWKS_COOLDOWN_MS": "0",
    })
    RIG.update(srv=srv, t=t, owner=owner, admin=admin, member=member, org=org, w=w)
    return RIG


def token(t, user, org_id=None):
    body = {"organization_id": org_id} if org_id else {}
    r = t.call("POST", "/auth/token", body, user=user)
    assert r.status == 200, r
    return r.json["access_token"]


def decode(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def expect_401(res, what):
    status, headers, body = res
    assert status == 401, (what, status, body)
    assert body["error"]["code"] == "invalid_token", (what, body)
    assert body["error"]["request_id"].startswith("req_"), (what, body)
    assert headers["WWW-Authenticate"].startswith("Bearer"), (what, dict(headers))
    return body


def test_worker_runs_in_workerd():
    w = rig()["w"]
    status, _, body = w.get("/health")
    assert status == 200 and body == {"ok": True, "runtime": "Cloudflare-Workers"}, body


def test_worker_verifies_saasds_token_offline_and_reads_org_claims():
    r = rig()
    t, org, w = r["t"], r["org"], r["w"]
    for user in (r["owner"], r["admin"], r["member"]):
        tok = token(t, user, org["id"])
        status, _, body = w.get("/me", tok)
        assert status == 200, body
        perms = t.ok(200, "GET", "/organizations/%s/members/%s/permissions" % (org["id"], user.id))
        ent = t.ok(200, "GET", "/organizations/%s/entitlements" % org["id"])
        assert body["user"]["id"] == user.id and body["user"]["email"] == user.email, body
        assert body["user"]["sessionId"] == user.session_id, body
        assert body["user"]["aal"] == 1 and body["user"]["amr"] == ["pwd"], body
        assert body["org"] == {"id": org["id"]}, body
        assert body["role"] == perms["role"] and body["permissions"] == perms["permissions"], body
        assert body["entitlements"] == {"tier": ent["tier"], "features": ent["features"]}, body
        assert body["tenantId"] == t.id, body
        # the claims are exactly what saasd signed
        assert body["claims"] == decode(tok.split(".")[1]), body
    # a token without an organization: the user, no org
    status, _, body = w.get("/me", token(t, r["member"]))
    assert status == 200 and body["org"] is None and body["role"] is None, body
    assert body["permissions"] == [] and body["entitlements"] is None, body


def test_worker_asks_saasd_for_a_permission_check_with_the_sdk_client():
    r = rig()
    t, org, w = r["t"], r["org"], r["w"]
    cases = [(r["owner"], "org:delete", True, "owner"),
             (r["admin"], "members:invite", True, "admin"),
             (r["admin"], "org:delete", False, "admin"),
             (r["member"], "org:read", True, "member"),
             (r["member"], "members:invite", False, "member")]
    for user, perm, allowed, role in cases:
        # the Worker's answer is saasd's, for the token's user
        status, _, body = w.get("/orgs/%s/can/%s" % (org["id"], perm), token(t, user))
        assert status == 200, body
        direct = t.ok(200, "POST", "/organizations/%s/permissions/check" % org["id"],
                      {"user_id": user.id, "permission": perm})
        assert body == {"allowed": allowed, "role": role, "user": user.id}, (perm, body)
        assert direct["allowed"] == allowed and direct["role"] == role, direct
    # saasd's errors come back through the SDK as SaasdError
    status, _, body = w.get("/orgs/org_01nope00000000000000000000/can/org:read", token(t, r["member"]))
    assert status == 404 and body["error"]["code"] == "not_found", body
    assert body["error"]["status"] == 404 and body["error"]["request_id"].startswith("req_"), body
    status, _, body = w.get("/orgs/%s/can/Not.A.Permission" % org["id"], token(t, r["member"]))
    assert status == 502 and body["error"]["code"] == "validation_failed", body
    assert "permission" in body["error"]["fields"], body


def test_worker_checks_a_permission_offline_from_the_token():
    r = rig()
    t, org, w = r["t"], r["org"], r["w"]
    status, _, body = w.get("/orgs/%s/billing" % org["id"], token(t, r["admin"], org["id"]))
    assert status == 200 and body["org"] == org["id"], body
    for user, org_id in ((r["member"], org["id"]), (r["admin"], None)):
        status, _, body = w.get("/orgs/%s/billing" % org["id"], token(t, user, org_id))
        assert status == 403 and body["error"]["code"] == "forbidden", body


def test_worker_refuses_missing_malformed_forged_expired_and_foreign_tokens():
    r = rig()
    srv, t, w = r["srv"], r["t"], r["w"]
    body = expect_401(w.get("/me"), "missing")
    assert "required" in body["error"]["message"], body
    expect_401(w.get("/me", headers={"Authorization": "Basic dTpw"}), "basic")
    expect_401(w.get("/me", "not-a-jwt"), "malformed")
    good = token(t, r["member"], r["org"]["id"])
    h, p, s = good.split(".")
    # another payload under the same signature (a role raised to owner)
    claims = decode(p)
    claims["org"]["role"], claims["org"]["permissions"] = "owner", ["*"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    expect_401(w.get("/me", "%s.%s.%s" % (h, forged, s)), "forged payload")
    # a flipped signature byte
    sig = bytearray(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
    sig[0] ^= 1
    expect_401(w.get("/me", "%s.%s.%s" % (h, p, base64.urlsafe_b64encode(bytes(sig)).decode().rstrip("="))),
               "bad signature")
    # alg none
    none_h = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
    expect_401(w.get("/me", "%s.%s." % (none_h, p)), "alg none")
    # expired: the Worker's clock past exp (saasd's test clock is not the Worker's)
    exp = decode(p)["exp"]
    status, _, _ = w.get("/me", good, headers={"X-Test-Now": str(exp - 5)})
    assert status == 200
    body = expect_401(w.get("/me", good, headers={"X-Test-Now": str(exp + 1)}), "expired")
    assert "expired" in body["error"]["message"], body
    # another tenant's token (same saasd, same keys): another audience
    other = Tenant(srv, "Other")
    expect_401(w.get("/me", token(other, other.register())), "other tenant")
    # the same token still works afterwards
    assert w.get("/me", good)[0] == 200


def test_worker_sees_a_signing_key_rotation():
    r = rig()
    srv, t, w = r["srv"], r["t"], r["w"]
    old = token(t, r["member"])
    assert w.get("/me", old)[0] == 200
    res = srv.cli("signing-key", "rotate")
    assert res.returncode == 0, res.stderr
    new_kid = json.loads(res.stdout)["kid"]
    srv.advance_clock(3)  # the serving process rereads its keys (SIGKEYS_REFRESH_MS)
    new = token(t, r["member"])
    assert decode(new.split(".")[0])["kid"] == new_kid
    # an unknown kid makes the Worker refetch the JWKS (cooldown 0 here)
    status, _, body = w.get("/me", new)
    assert status == 200 and body["user"]["id"] == r["member"].id, body
    status, _, body = w.get("/me", old)
    assert status == 200, body


def test_sdk_client_in_node_against_saasd():
    """The SDK's client in Node (sdk/js/test/e2e/client_flow.ts, bundled):
    a publishable key registers (the client keeps the session token), creates
    an organization, gets an access token that verifyAccessToken accepts
    with the org claims, refreshes (the new token kept), meets saasd's
    refusals as SaasdError, logs out; a secret key checks a permission."""
    r = rig()
    srv, t = r["srv"], r["t"]
    pk = t.ok(201, "POST", "/api-keys", {"name": "browser", "type": "publishable"})["key"]
    assert pk.startswith("pk_live_")
    tmp = tempfile.mkdtemp(prefix="saasd-sdk-node-")
    try:
        bundle = os.path.join(tmp, "client_flow.mjs")
        b = subprocess.run(["node", os.path.join(SDK_DIR, "scripts", "bundle-worker.mjs"), bundle,
                            os.path.join(SDK_DIR, "test", "e2e", "client_flow.ts")],
                           cwd=SDK_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        assert b.returncode == 0, b.stdout.decode("utf-8", "replace")
        email = "ada.%s@example.com" % os.urandom(6).hex()
        env = dict(os.environ, SAASD_URL=issuer(srv), SAASD_PK=pk, SAASD_SK=t.key,
                   SAASD_TENANT_ID=t.id, EMAIL=email)
        p = subprocess.run(["node", bundle], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60, stdin=subprocess.DEVNULL)
        assert p.returncode == 0, p.stderr.decode("utf-8", "replace")[-3000:]
        out = json.loads(p.stdout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    user = out["registered"]["user"]
    assert out["registered"]["stored"] is True, out
    assert out["session"]["user"] == user, out
    assert out["org"]["owner"] == user, out
    org = out["org"]["id"]
    tok = out["token"]
    assert tok["type"] == "Bearer" and tok["expiresIn"] == TTL, tok
    assert tok["sub"] == user and tok["aud"] == t.id and tok["sid"] == out["session"]["session"], tok
    assert tok["org"] == {"id": org, "role": "owner", "permissions": ["*"]}, tok
    ent = out["entitlements"]
    assert tok["ent"] == {"tier": ent["tier"], "features": ent["features"]}, (tok, ent)
    assert out["wrongAudience"] == "invalid_token", out
    assert out["refresh"] == {"changed": True, "stored": True, "sameSession": True}, out
    assert out["afterRefresh"] == user, out
    taken = out["emailTaken"]
    assert taken["status"] == 409 and taken["code"] == "email_taken", taken
    assert taken["requestId"].startswith("req_"), taken
    weak = out["weak"]
    assert weak["status"] == 400 and weak["code"] == "password_too_weak", weak
    sys_pk = out["systemWithPk"]
    assert sys_pk["status"] == 403 and sys_pk["code"] == "publishable_key_not_allowed", sys_pk
    assert out["check"] == {"allowed": True, "role": "owner"}, out
    assert out["logout"] == {"stored": None}, out
    assert out["afterLogout"]["status"] == 401 and out["afterLogout"]["code"] == "invalid_session", out
    assert out["bogus"]["code"] == "invalid_session" and out["bogus"]["storedAfter"] is None, out
    assert out["seen"] == ["registered", "refreshed", None, "other", None], out
    assert out["network"]["status"] == 0 and out["network"]["code"] == "network_error", out


def teardown_module():
    w = RIG.pop("w", None)
    if w is not None:
        w.stop()
    RIG.clear()
    SHARED.stop()
