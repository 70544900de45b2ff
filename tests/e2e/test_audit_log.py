"""test_audit_log.py: the Audit log section of API.md (Additions v1.1)
against the real binary. Every state-changing route of `saasd routes`
(non-GET; the route's declared `action` once the table carries it) has a
case below that calls it once with its own X-Request-Id and finds exactly one
entry with that request id, the declared action, the right actor (the secret
key's id, the admin, the session's user), target and organization: a new
route without a case fails test_every_state_changing_route_has_a_case. A
refused call (403, 409, 400) leaves nothing; a failed login
leaves user.login.failed. Then the filters, the pagination, the NDJSON
export (lines parse, count matches the list, from/to honoured), the
organization route's permission (admin 200, member 403, non-member 404),
the retention setting and its pruning by the cleanup job, and no secret
value (API key, session tokens, passwords, mailed tokens, webhook secret)
anywhere in any entry.

One server per module; the cases share one tenant, the other tests have
their own."""
import json
import subprocess
import uuid

import harness
from harness import Shared, db_rows, expect_error, mail_token, wait_for
from orgkit import PW, Tenant, User, new_email

SHARED = Shared(env={"RATE_LIMIT_PER_MINUTE": "100000000", "THREADS": "4"})
ENTRY_KEYS = {"id", "action", "actor", "target", "ip", "user_agent", "request_id", "created_at"}
UA = "audit-e2e/1.0 (test)"

# what each state-changing route records; None: a POST that changes nothing
ACTIONS = {
    ("POST", "/admin/tenants"): "admin.tenant.create",
    ("PATCH", "/admin/tenants/:id"): "admin.tenant.update",
    ("PATCH", "/tenant"): "tenant.update",
    ("POST", "/api-keys"): "api_key.create",
    ("DELETE", "/api-keys/:id"): "api_key.revoke",
    ("POST", "/auth/register"): "user.register",
    ("POST", "/auth/login"): "user.login",
    ("POST", "/auth/logout"): "user.logout",
    ("POST", "/auth/session/refresh"): "session.refresh",
    ("DELETE", "/auth/sessions/:id"): "session.revoke",
    ("POST", "/auth/password-reset/request"): "password_reset.request",
    ("POST", "/auth/password-reset/complete"): "password_reset.complete",
    ("POST", "/auth/verify-email/request"): "email_verification.request",
    ("POST", "/auth/verify-email/complete"): "email_verification.complete",
    ("DELETE", "/users/:id"): "user.delete",
    ("POST", "/organizations"): "organization.create",
    ("PATCH", "/organizations/:id"): "organization.update",
    ("DELETE", "/organizations/:id"): "organization.delete",
    ("PATCH", "/organizations/:id/members/:userId"): "organization.member.update",
    ("DELETE", "/organizations/:id/members/:userId"): "organization.member.remove",
    ("POST", "/organizations/:id/permissions/check"): "organization.permission.check",
    ("POST", "/organizations/:id/invitations"): "invitation.create",
    ("DELETE", "/invitations/:id"): "invitation.revoke",
    ("POST", "/invitations/:id/accept"): "invitation.accept",
    ("POST", "/invitations/:id/reject"): "invitation.reject",
    ("POST", "/organizations/:id/subscription"): "subscription.create",
    ("PATCH", "/organizations/:id/subscription"): "subscription.update",
    ("DELETE", "/organizations/:id/subscription"): "subscription.cancel",
    ("POST", "/organizations/:id/subscription/status"): "subscription.status.update",
    ("POST", "/organizations/:id/usage"): "usage.record",
    ("POST", "/usage/events"): "usage.record_bulk",
    ("POST", "/tiers"): "tier.create",
    ("PATCH", "/tiers/:key"): "tier.update",
    ("POST", "/webhooks"): "webhook.create",
    ("PATCH", "/webhooks/:id"): "webhook.update",
    ("DELETE", "/webhooks/:id"): "webhook.delete",
    ("POST", "/webhooks/:id/test"): "webhook.test",
    ("POST", "/webhooks/:id/deliveries/:deliveryId/retry"): "webhook.delivery.retry",
    ("POST", "/roles"): "role.create",
    ("PATCH", "/roles/:key"): "role.update",
    ("DELETE", "/roles/:key"): "role.delete",
}


def teardown_module():
    SHARED.stop()


def routes():
    r = subprocess.run([harness.BIN, "routes"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30, check=True)
    return json.loads(r.stdout)


def declared_action(route):
    """The route table's action once it declares one, else this module's."""
    if "action" in route:
        return route["action"]
    return ACTIONS.get((route["method"], route["path"]), "?")


def rid():
    return "req-audit-" + uuid.uuid4().hex


def entries(key, query="", srv=None):
    """Every entry of the key's tenant (all pages of GET /audit-logs)."""
    srv = srv or SHARED.get()
    out, after = [], None
    while True:
        path = "/audit-logs?limit=100" + query + ("&after=" + after if after else "")
        r = srv.request("GET", path, key=key)
        assert r.status == 200, r
        assert set(r.json) == {"data", "has_more", "next_cursor"}, r.json
        out += r.json["data"]
        if not r.json["has_more"]:
            return out
        after = r.json["next_cursor"]


def by_request(key, request_id):
    return [e for e in entries(key) if e["request_id"] == request_id]


class Ctx:
    """The shared tenant of the route cases, with a few ready-made things."""

    def __init__(self):
        self.srv = SHARED.get()
        self.t = Tenant(self.srv, "Audited")
        keys = self.t.ok(200, "GET", "/api-keys")["data"]
        self.key_id = keys[0]["id"]
        self.secrets = {self.t.key, self.srv.admin_token, PW}

    def call(self, method, path, body=None, user=None, request_id=None, key=None):
        session = None if user is None else (user if isinstance(user, str) else user.token)
        h = {"X-Request-Id": request_id or rid(), "User-Agent": UA}
        return self.srv.request(method, path, body, key=key or self.t.key, session=session,
                                headers=h)

    def register(self):
        u = self.t.register()
        self.secrets.add(u.token)
        return u

    def org_with(self, role="member"):
        owner = self.register()
        org = self.t.create_org(owner)["id"]
        member = self.t.add_member(org, role)
        self.secrets.add(member.token)
        return owner, org, member


_ctx = None


def ctx():
    global _ctx
    if _ctx is None:
        _ctx = Ctx()
    return _ctx


# --- one case per state-changing route: (response, actor, target, org) -----------
# actor: ("api_key"|"user"|"admin", id); target: (type, id) or None to skip;
# org: the organization_id expected, or None when there is none to check.

def sys_actor(c):
    return ("api_key", c.key_id)


def case_admin_tenant_create(c, r_id):
    r = c.srv.request("POST", "/admin/tenants", {"name": "Audited Too"}, key=c.srv.admin_token,
                      headers={"X-Request-Id": r_id})
    assert r.status == 201, r
    c.secrets.add(r.json["api_key"])
    c.other_key = r.json["api_key"]
    return r, ("admin", "admin"), ("tenant", r.json["tenant"]["id"]), None, r.json["api_key"]


def case_admin_tenant_update(c, r_id):
    r = c.srv.request("PATCH", "/admin/tenants/" + c.t.id, {"name": "Audited Inc"},
                      key=c.srv.admin_token, headers={"X-Request-Id": r_id})
    return r, ("admin", "admin"), ("tenant", c.t.id), None


def case_test_clock(c, r_id):
    # the test clock is the process's, no tenant's: its entry has no log to
    # go in (the server logs the move instead); None as the tenant says so
    r = c.srv.request("POST", "/admin/test/clock", {"advance_seconds": 1},
                      key=c.srv.admin_token, headers={"X-Request-Id": r_id})
    return r, ("admin", "admin"), None, None, None


def case_tenant_update(c, r_id):
    r = c.call("PATCH", "/tenant", {"settings": {"app_name": "Audited App"}}, request_id=r_id)
    return r, sys_actor(c), ("tenant", c.t.id), None


def case_api_key_create(c, r_id):
    r = c.call("POST", "/api-keys", {"name": "second"}, request_id=r_id)
    c.secrets.add(r.json["key"])
    return r, sys_actor(c), ("api_key", r.json["api_key"]["id"]), None


def case_api_key_revoke(c, r_id):
    k = c.t.ok(201, "POST", "/api-keys", {"name": "doomed"})
    c.secrets.add(k["key"])
    kid = k["api_key"]["id"]
    r = c.call("DELETE", "/api-keys/" + kid, request_id=r_id)
    return r, sys_actor(c), ("api_key", kid), None


def case_register(c, r_id):
    r = c.call("POST", "/auth/register", {"email": new_email(), "password": PW}, request_id=r_id)
    c.secrets.add(r.json["session"]["token"])
    return r, sys_actor(c), ("user", r.json["user"]["id"]), None


def case_login(c, r_id):
    u = c.register()
    r = c.call("POST", "/auth/login", {"email": u.email, "password": PW}, request_id=r_id)
    c.secrets.add(r.json["session"]["token"])
    return r, sys_actor(c), ("user", u.id), None


def case_logout(c, r_id):
    u = c.register()
    r = c.call("POST", "/auth/logout", user=u, request_id=r_id)
    return r, ("user", u.id), ("session", u.session_id), None


def case_session_refresh(c, r_id):
    u = c.register()
    r = c.call("POST", "/auth/session/refresh", {}, user=u, request_id=r_id)
    c.secrets.add(r.json["session"]["token"])
    return r, ("user", u.id), ("session", u.session_id), None


def case_session_revoke(c, r_id):
    u = c.register()
    other = c.t.ok(200, "POST", "/auth/login", {"email": u.email, "password": PW})
    c.secrets.add(other["session"]["token"])
    sid = other["session"]["id"]
    r = c.call("DELETE", "/auth/sessions/" + sid, user=u, request_id=r_id)
    return r, ("user", u.id), ("session", sid), None


def case_reset_request(c, r_id):
    u = c.register()
    c.reset_user = u
    r = c.call("POST", "/auth/password-reset/request", {"email": u.email}, request_id=r_id)
    return r, sys_actor(c), None, None


def case_reset_complete(c, r_id):
    u = c.register()
    c.t.call("POST", "/auth/password-reset/request", {"email": u.email})
    token = mail_token(c.srv, u.email)
    c.secrets.add(token)
    new_pw = "another horse 2"
    c.secrets.add(new_pw)
    r = c.call("POST", "/auth/password-reset/complete", {"token": token, "password": new_pw},
               request_id=r_id)
    return r, sys_actor(c), ("user", u.id), None


def case_verify_request(c, r_id):
    u = c.register()
    r = c.call("POST", "/auth/verify-email/request", user=u, request_id=r_id)
    return r, ("user", u.id), ("user", u.id), None


def case_verify_complete(c, r_id):
    u = c.register()
    c.t.call("POST", "/auth/verify-email/request", None, u)
    token = mail_token(c.srv, u.email)
    c.secrets.add(token)
    r = c.call("POST", "/auth/verify-email/complete", {"token": token}, request_id=r_id)
    return r, sys_actor(c), ("user", u.id), None


def case_user_delete(c, r_id):
    u = c.register()
    r = c.call("DELETE", "/users/" + u.id, request_id=r_id)
    return r, sys_actor(c), ("user", u.id), None


def case_org_create(c, r_id):
    u = c.register()
    r = c.call("POST", "/organizations", {"name": "Org " + uuid.uuid4().hex[:6]}, user=u,
               request_id=r_id)
    return r, ("user", u.id), ("organization", r.json["id"]), r.json["id"]


def case_org_update(c, r_id):
    owner = c.register()
    org = c.t.create_org(owner)["id"]
    r = c.call("PATCH", "/organizations/" + org, {"name": "Renamed"}, user=owner, request_id=r_id)
    return r, ("user", owner.id), ("organization", org), org


def case_org_delete(c, r_id):
    owner = c.register()
    org = c.t.create_org(owner)["id"]
    r = c.call("DELETE", "/organizations/" + org, request_id=r_id)
    return r, sys_actor(c), ("organization", org), org


def case_member_update(c, r_id):
    owner, org, member = c.org_with()
    r = c.call("PATCH", "/organizations/%s/members/%s" % (org, member.id), {"role": "admin"},
               user=owner, request_id=r_id)
    return r, ("user", owner.id), ("user", member.id), org


def case_member_remove(c, r_id):
    owner, org, member = c.org_with()
    r = c.call("DELETE", "/organizations/%s/members/%s" % (org, member.id), request_id=r_id)
    return r, sys_actor(c), ("user", member.id), org


def case_permission_check(c, r_id):
    owner, org, member = c.org_with()
    r = c.call("POST", "/organizations/%s/permissions/check" % org,
               {"user_id": member.id, "permission": "org:read"}, request_id=r_id)
    return r, sys_actor(c), ("organization", org), org


def case_invite(c, r_id):
    owner = c.register()
    org = c.t.create_org(owner)["id"]
    r = c.call("POST", "/organizations/%s/invitations" % org, {"email": new_email()},
               user=owner, request_id=r_id)
    return r, ("user", owner.id), ("invitation", r.json["id"]), org


def case_invitation_revoke(c, r_id):
    owner = c.register()
    org = c.t.create_org(owner)["id"]
    inv = c.t.invite(org, new_email())
    r = c.call("DELETE", "/invitations/" + inv["id"], request_id=r_id)
    return r, sys_actor(c), ("invitation", inv["id"]), None


def case_invitation_accept(c, r_id):
    owner = c.register()
    org = c.t.create_org(owner)["id"]
    u = c.register()
    inv = c.t.invite(org, u.email)
    token = c.t.token(inv["id"])
    c.secrets.add(token)
    r = c.call("POST", "/invitations/%s/accept" % inv["id"], {"token": token}, user=u,
               request_id=r_id)
    return r, ("user", u.id), ("invitation", inv["id"]), None


def case_invitation_reject(c, r_id):
    owner = c.register()
    org = c.t.create_org(owner)["id"]
    u = c.register()
    inv = c.t.invite(org, u.email)
    token = c.t.token(inv["id"])
    c.secrets.add(token)
    r = c.call("POST", "/invitations/%s/reject" % inv["id"], {"token": token}, user=u,
               request_id=r_id)
    return r, ("user", u.id), ("invitation", inv["id"]), None


def tier(c, **extra):
    body = {"key": "t_" + uuid.uuid4().hex[:8], "name": "Tier", "interval": "month",
            "features": [], "limits": {"api_calls": 100}}
    body.update(extra)
    return c.t.ok(201, "POST", "/tiers", body)["key"]


def subscribed_org(c):
    owner = c.register()
    org = c.t.create_org(owner)["id"]
    c.t.ok(201, "POST", "/organizations/%s/subscription" % org, {"tier": tier(c)})
    return org


def case_subscription_create(c, r_id):
    owner = c.register()
    org = c.t.create_org(owner)["id"]
    r = c.call("POST", "/organizations/%s/subscription" % org, {"tier": tier(c)}, request_id=r_id)
    return r, sys_actor(c), ("subscription", r.json["id"]), org


def case_subscription_update(c, r_id):
    org = subscribed_org(c)
    r = c.call("PATCH", "/organizations/%s/subscription" % org, {"tier": tier(c)},
               request_id=r_id)
    return r, sys_actor(c), ("organization", org), org


def case_subscription_cancel(c, r_id):
    org = subscribed_org(c)
    r = c.call("DELETE", "/organizations/%s/subscription" % org, request_id=r_id)
    return r, sys_actor(c), ("organization", org), org


def case_subscription_status(c, r_id):
    org = subscribed_org(c)
    r = c.call("POST", "/organizations/%s/subscription/status" % org, {"status": "past_due"},
               request_id=r_id)
    return r, sys_actor(c), ("organization", org), org


def case_usage(c, r_id):
    org = subscribed_org(c)
    r = c.call("POST", "/organizations/%s/usage" % org, {"metric": "api_calls"}, request_id=r_id)
    return r, sys_actor(c), ("usage_record", r.json["id"]), org


def case_usage_bulk(c, r_id):
    org = subscribed_org(c)
    r = c.call("POST", "/usage/events", {"events": [{"organization_id": org,
                                                     "metric": "api_calls"}] * 2},
               request_id=r_id)
    return r, sys_actor(c), None, None


def case_tier_create(c, r_id):
    key = "t_" + uuid.uuid4().hex[:8]
    r = c.call("POST", "/tiers", {"key": key, "name": "T", "interval": "month", "features": [],
                                  "limits": {}}, request_id=r_id)
    return r, sys_actor(c), ("tier", key), None


def case_tier_update(c, r_id):
    key = tier(c)
    r = c.call("PATCH", "/tiers/" + key, {"name": "Renamed"}, request_id=r_id)
    return r, sys_actor(c), ("tier", key), None


# nothing listens on port 1: a delivery fails at once (no DNS, no waiting)
REFUSED_URL = "http://127.0.0.1:1/hook"


def webhook(c):
    ep = c.t.ok(201, "POST", "/webhooks", {"url": REFUSED_URL, "events": ["*"]})
    c.secrets.add(ep["secret"])
    return ep["id"]


def case_webhook_create(c, r_id):
    r = c.call("POST", "/webhooks", {"url": REFUSED_URL, "events": ["*"]},
               request_id=r_id)
    c.secrets.add(r.json["secret"])
    return r, sys_actor(c), ("webhook", r.json["id"]), None


def case_webhook_update(c, r_id):
    wid = webhook(c)
    r = c.call("PATCH", "/webhooks/" + wid, {"enabled": False}, request_id=r_id)
    return r, sys_actor(c), ("webhook", wid), None


def case_webhook_delete(c, r_id):
    wid = webhook(c)
    r = c.call("DELETE", "/webhooks/" + wid, request_id=r_id)
    return r, sys_actor(c), ("webhook", wid), None


def case_webhook_test(c, r_id):
    wid = webhook(c)
    r = c.call("POST", "/webhooks/%s/test" % wid, request_id=r_id)
    return r, sys_actor(c), ("webhook", wid), None


def case_webhook_retry(c, r_id):
    wid = webhook(c)
    c.t.call("POST", "/webhooks/%s/test" % wid)

    def delivery():
        data = c.t.ok(200, "GET", "/webhooks/%s/deliveries" % wid)["data"]
        return data[0]["id"] if data else None
    did = wait_for(delivery, 10.0, what="a delivery")

    def failed_then_retry():
        db_rows(c.srv, "UPDATE webhook_deliveries SET status = 'failed' WHERE id = ?", (did,))
        r = c.call("POST", "/webhooks/%s/deliveries/%s/retry" % (wid, did), request_id=r_id)
        return r if r.status == 202 else None
    r = wait_for(failed_then_retry, 10.0, interval=0.2, what="a retry accepted")
    return r, sys_actor(c), ("webhook_delivery", did), None


def case_role_create(c, r_id):
    key = "r_" + uuid.uuid4().hex[:8]
    r = c.call("POST", "/roles", {"key": key, "name": "R", "permissions": ["org:read"]},
               request_id=r_id)
    return r, sys_actor(c), ("role", key), None


def role(c):
    key = "r_" + uuid.uuid4().hex[:8]
    c.t.create_role(key, ["org:read"])
    return key


def case_role_update(c, r_id):
    key = role(c)
    r = c.call("PATCH", "/roles/" + key, {"name": "Renamed"}, request_id=r_id)
    return r, sys_actor(c), ("role", key), None


def case_role_delete(c, r_id):
    key = role(c)
    r = c.call("DELETE", "/roles/" + key, request_id=r_id)
    return r, sys_actor(c), ("role", key), None


CASES = {
    ("POST", "/admin/test/clock"): case_test_clock,
    ("POST", "/admin/tenants"): case_admin_tenant_create,
    ("PATCH", "/admin/tenants/:id"): case_admin_tenant_update,
    ("PATCH", "/tenant"): case_tenant_update,
    ("POST", "/api-keys"): case_api_key_create,
    ("DELETE", "/api-keys/:id"): case_api_key_revoke,
    ("POST", "/auth/register"): case_register,
    ("POST", "/auth/login"): case_login,
    ("POST", "/auth/logout"): case_logout,
    ("POST", "/auth/session/refresh"): case_session_refresh,
    ("DELETE", "/auth/sessions/:id"): case_session_revoke,
    ("POST", "/auth/password-reset/request"): case_reset_request,
    ("POST", "/auth/password-reset/complete"): case_reset_complete,
    ("POST", "/auth/verify-email/request"): case_verify_request,
    ("POST", "/auth/verify-email/complete"): case_verify_complete,
    ("DELETE", "/users/:id"): case_user_delete,
    ("POST", "/organizations"): case_org_create,
    ("PATCH", "/organizations/:id"): case_org_update,
    ("DELETE", "/organizations/:id"): case_org_delete,
    ("PATCH", "/organizations/:id/members/:userId"): case_member_update,
    ("DELETE", "/organizations/:id/members/:userId"): case_member_remove,
    ("POST", "/organizations/:id/permissions/check"): case_permission_check,
    ("POST", "/organizations/:id/invitations"): case_invite,
    ("DELETE", "/invitations/:id"): case_invitation_revoke,
    ("POST", "/invitations/:id/accept"): case_invitation_accept,
    ("POST", "/invitations/:id/reject"): case_invitation_reject,
    ("POST", "/organizations/:id/subscription"): case_subscription_create,
    ("PATCH", "/organizations/:id/subscription"): case_subscription_update,
    ("DELETE", "/organizations/:id/subscription"): case_subscription_cancel,
    ("POST", "/organizations/:id/subscription/status"): case_subscription_status,
    ("POST", "/organizations/:id/usage"): case_usage,
    ("POST", "/usage/events"): case_usage_bulk,
    ("POST", "/tiers"): case_tier_create,
    ("PATCH", "/tiers/:key"): case_tier_update,
    ("POST", "/webhooks"): case_webhook_create,
    ("PATCH", "/webhooks/:id"): case_webhook_update,
    ("DELETE", "/webhooks/:id"): case_webhook_delete,
    ("POST", "/webhooks/:id/test"): case_webhook_test,
    ("POST", "/webhooks/:id/deliveries/:deliveryId/retry"): case_webhook_retry,
    ("POST", "/roles"): case_role_create,
    ("PATCH", "/roles/:key"): case_role_update,
    ("DELETE", "/roles/:key"): case_role_delete,
}


def state_changing():
    return [r for r in routes() if not r["read_only"]]


def test_every_state_changing_route_has_a_case():
    missing = [(r["method"], r["path"]) for r in state_changing()
               if (r["method"], r["path"]) not in CASES]
    assert missing == [], "routes without an audit case: %r" % missing
    for r in routes():
        if r["read_only"]:
            assert r.get("action") is None, r


def test_a_read_only_post_leaves_no_entry():
    """POST /auth/token signs the session's claims and changes nothing: no
    entry (the session's login has one), so minting tokens never takes a
    write transaction."""
    c = ctx()
    u = c.register()
    r_id = rid()
    r = c.call("POST", "/auth/token", {}, user=u, request_id=r_id)
    assert r.status == 200, r
    assert by_request(c.t.key, r_id) == []


def test_every_state_changing_call_leaves_exactly_one_entry():
    c = ctx()
    for route in state_changing():
        key = (route["method"], route["path"])
        action = declared_action(route)
        r_id = rid()
        got = CASES[key](c, r_id)
        resp, actor, target, org = got[:4]
        assert resp.status < 300, "%s %s: %r" % (key + (resp,))
        tenant_key = got[4] if len(got) > 4 else c.t.key
        if tenant_key is None:  # acts on no tenant: in no tenant's log
            assert by_request(c.t.key, r_id) == [], key
            continue
        found = by_request(tenant_key, r_id)
        if action is None:
            assert found == [], (key, found)
            continue
        assert len(found) == 1, "%s %s left %r" % (key + (found,))
        e = found[0]
        assert set(e) >= ENTRY_KEYS, e
        assert e["id"].startswith("aud_"), e
        assert e["action"] == action, (key, e)
        assert (e["actor"]["type"], e["actor"]["id"]) == actor, (key, e)
        if target is not None:
            assert (e["target"]["type"], e["target"]["id"]) == target, (key, e)
        if org is not None:
            assert e.get("organization_id") == org, (key, e)
        assert e["ip"] == "127.0.0.1", e
        assert e["request_id"] == r_id, e
        if route["path"] not in ("/admin/tenants", "/admin/tenants/:id"):
            assert e["user_agent"] == UA, e
        assert "T" in e["created_at"] and e["created_at"].endswith("Z"), e


def test_a_patch_lists_the_changed_field_names_and_never_their_values():
    c = ctx()
    r_id = rid()
    r = c.call("PATCH", "/tenant", {"name": "Renamed Co", "settings": {"app_name": "Sekrit"}},
               request_id=r_id)
    assert r.status == 200, r
    [e] = by_request(c.t.key, r_id)
    assert sorted(e["changes"]) == ["name", "settings.app_name"], e
    assert "Sekrit" not in json.dumps(e) and "Renamed Co" not in json.dumps(e), e


def test_refused_and_rolled_back_calls_leave_no_entry():
    c = ctx()
    owner, org, member = c.org_with()
    # 403: a plain member may not remove the owner
    r_id = rid()
    expect_error(c.call("DELETE", "/organizations/%s/members/%s" % (org, owner.id), user=member,
                        request_id=r_id), 403, "forbidden")
    assert by_request(c.t.key, r_id) == []
    # 409: the same email invited twice while the first is pending
    email = new_email()
    c.t.invite(org, email)
    r_id = rid()
    expect_error(c.call("POST", "/organizations/%s/invitations" % org, {"email": email},
                        request_id=r_id), 409, "conflict")
    assert by_request(c.t.key, r_id) == []
    # 409 inside the transaction: a role key taken
    key = role(c)
    r_id = rid()
    expect_error(c.call("POST", "/roles", {"key": key, "name": "R", "permissions": ["org:read"]},
                        request_id=r_id), 409, "conflict")
    assert by_request(c.t.key, r_id) == []
    # 400: validation
    r_id = rid()
    expect_error(c.call("PATCH", "/tenant", {"settings": {"audit_retention_days": 0}},
                        request_id=r_id), 400, "validation_failed")
    assert by_request(c.t.key, r_id) == []


def test_a_failed_login_leaves_one_user_login_failed_entry():
    c = ctx()
    u = c.register()
    r_id = rid()
    wrong = "wrong password 9"
    c.secrets.add(wrong)
    expect_error(c.call("POST", "/auth/login", {"email": u.email, "password": wrong},
                        request_id=r_id), 401, "invalid_credentials")
    [e] = by_request(c.t.key, r_id)
    assert e["action"] == "user.login.failed", e
    assert e["actor"] == {"type": "api_key", "id": c.key_id}, e
    assert e["target"] == {"type": "user", "id": u.id}, e
    # an unknown email fails the same way, with no user to name
    r_id = rid()
    expect_error(c.call("POST", "/auth/login", {"email": new_email(), "password": wrong},
                        request_id=r_id), 401, "invalid_credentials")
    [e] = by_request(c.t.key, r_id)
    assert e["action"] == "user.login.failed" and e["target"]["id"] is None, e


def fresh_tenant():
    t = Tenant(SHARED.get(), "Filters")
    return t


def test_filters_by_actor_action_target_organization_and_time():
    t = fresh_tenant()
    owner = t.register()
    org = t.create_org(owner)["id"]
    other = t.create_org(owner)["id"]
    t.ok(200, "PATCH", "/organizations/" + org, {"name": "A"}, owner)
    t.ok(200, "PATCH", "/organizations/" + org, {"name": "B"})
    key = t.key
    all_ = entries(key)
    assert [e["action"] for e in all_] == ["organization.update", "organization.update",
                                           "organization.create", "organization.create",
                                           "user.register", "admin.tenant.create"], all_
    ids = [e["id"] for e in all_]
    assert ids == sorted(ids, reverse=True), "newest first"
    by_owner = entries(key, "&actor_id=" + owner.id)
    assert [e["action"] for e in by_owner] == ["organization.update", "organization.create",
                                               "organization.create"], by_owner
    assert len(entries(key, "&action=organization.create")) == 2
    assert {e["target"]["id"] for e in entries(key, "&target_id=" + other)} == {other}
    in_org = entries(key, "&organization_id=" + org)
    assert len(in_org) == 3 and all(e["organization_id"] == org for e in in_org), in_org
    first = all_[-1]["created_at"]
    last = all_[0]["created_at"]
    assert len(entries(key, "&from=" + last)) >= 1
    assert entries(key, "&to=" + first)[-1]["id"] == all_[-1]["id"]
    assert entries(key, "&to=2000-01-01T00:00:00Z") == []
    assert len(entries(key, "&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z")) == 6
    srv = SHARED.get()
    for q, field in (("from=yesterday", "from"), ("to=2026-13-01T00:00:00Z", "to"),
                     ("limit=0", "limit"), ("limit=101", "limit"), ("after=nope!", "after"),
                     ("from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z", "from"),
                     ("action=" + "a" * 300, "action")):
        err = expect_error(srv.request("GET", "/audit-logs?" + q, key=key), 400,
                           "validation_failed")
        assert field in err["fields"], (q, err)
    # another tenant sees none of it
    assert all(e["id"] not in ids for e in entries(ctx().t.key))


def test_pagination_walks_every_entry_once():
    t = fresh_tenant()
    for i in range(7):
        t.ok(200, "PATCH", "/tenant", {"settings": {"app_name": "n%d" % i}})
    srv = SHARED.get()
    seen, after, pages = [], None, 0
    while True:
        r = srv.request("GET", "/audit-logs?limit=3" + ("&after=" + after if after else ""),
                        key=t.key)
        assert r.status == 200, r
        assert len(r.json["data"]) <= 3
        seen += [e["id"] for e in r.json["data"]]
        pages += 1
        if not r.json["has_more"]:
            assert r.json["next_cursor"] is None
            break
        after = r.json["next_cursor"]
    assert pages == 3 and len(seen) == 8 and len(set(seen)) == 8, seen
    assert seen == sorted(seen, reverse=True)


def test_export_streams_every_entry_as_ndjson_oldest_first():
    t = fresh_tenant()
    for i in range(130):  # more than one export page (100)
        t.ok(200, "PATCH", "/tenant", {"settings": {"app_name": "n%d" % i}})
    srv = SHARED.get()
    r = srv.request("GET", "/audit-logs/export", key=t.key)
    assert r.status == 200, r
    assert r.header("content-type") == "application/x-ndjson", r.headers
    assert r.header("transfer-encoding") == "chunked", r.headers
    lines = [json.loads(line) for line in r.raw.splitlines() if line]
    assert r.raw.endswith("\n")
    listed = entries(t.key)
    assert len(lines) == len(listed) == 131
    assert [e["id"] for e in lines] == [e["id"] for e in reversed(listed)]
    assert lines == list(reversed(listed))
    # from/to select the same window as the list
    mid = lines[60]["created_at"]
    r = srv.request("GET", "/audit-logs/export?from=" + mid, key=t.key)
    window = [json.loads(line) for line in r.raw.splitlines() if line]
    assert window and all(e["created_at"] >= mid for e in window)
    assert len(window) == len(entries(t.key, "&from=" + mid))
    r = srv.request("GET", "/audit-logs/export?to=2000-01-01T00:00:00Z", key=t.key)
    assert r.status == 200 and r.raw == "", r
    err = expect_error(srv.request("GET", "/audit-logs/export?from=soon", key=t.key), 400,
                       "validation_failed")
    assert "from" in err["fields"], err
    # a session user is not the tenant's backend
    u = t.register()
    expect_error(srv.request("GET", "/audit-logs/export", key=t.key, session=u.token), 403,
                 "forbidden")
    expect_error(srv.request("GET", "/audit-logs", key=t.key, session=u.token), 403, "forbidden")


def test_organization_audit_logs_need_audit_read():
    t = fresh_tenant()
    owner = t.register()
    org = t.create_org(owner)["id"]
    other = t.create_org(owner)["id"]
    admin = t.add_member(org, "admin")
    member = t.add_member(org, "member")
    outsider = t.register()
    path = "/organizations/%s/audit-logs" % org
    for who in (owner, admin, None):
        j = t.ok(200, "GET", path, None, who)
        assert j["data"] and all(e["organization_id"] == org for e in j["data"]), j
        assert other not in json.dumps(j)
    expect_error(t.call("GET", path, None, member), 403, "forbidden")
    expect_error(t.call("GET", path, None, outsider), 404, "not_found")
    expect_error(t.call("GET", "/organizations/org_01m8dh9g9msck31bzcx6t5w4sa/audit-logs"), 404,
                 "not_found")
    # a custom role with audit:read may read
    t.create_role("auditor", ["audit:read"])
    t.set_role(org, member.id, "auditor")
    assert t.ok(200, "GET", path, None, member)["data"]


def test_retention_setting_is_validated_and_old_entries_are_pruned():
    t = fresh_tenant()
    assert t.ok(200, "GET", "/tenant")["settings"]["audit_retention_days"] == 365
    for bad in (0, 3651, "30", None, 1.5):
        r = t.call("PATCH", "/tenant", {"settings": {"audit_retention_days": bad}})
        err = expect_error(r, 400, "validation_failed")
        assert "settings.audit_retention_days" in err["fields"], (bad, err)

    # the pruning on a server of its own, whose test clock moves 31 days on
    srv = harness.Server().start()
    try:
        keeper = Tenant(srv, "Keeps 30 days")
        j = keeper.ok(200, "PATCH", "/tenant", {"settings": {"audit_retention_days": 30}})
        assert j["settings"]["audit_retention_days"] == 30
        other = Tenant(srv, "Keeps 365 days")
        other.ok(200, "PATCH", "/tenant", {"settings": {"app_name": "Other"}})
        old = {e["id"] for e in entries(keeper.key, srv=srv)}
        assert len(old) == 2, old  # admin.tenant.create, tenant.update

        srv.advance_clock(29 * 86400)
        keeper.ok(201, "POST", "/api-keys", {"name": "29 days on"})
        young = {e["id"] for e in entries(keeper.key, srv=srv)} - old
        assert len(young) == 1, young
        srv.advance_clock(2 * 86400)  # wakes the cleanup job

        def pruned():
            return {e["id"] for e in entries(keeper.key, srv=srv)} == young
        wait_for(pruned, 15.0, interval=0.1, what="the cleanup job")
        # the tenant that keeps 365 days keeps its 31-day-old entries
        assert len(entries(other.key, srv=srv)) == 2
    finally:
        srv.stop()


def test_no_secret_value_in_any_entry():
    c = ctx()
    # make sure the cases ran (they add the secrets they used)
    if len(c.secrets) < 10:
        test_every_state_changing_call_leaves_exactly_one_entry()
    srv = SHARED.get()
    texts = [json.dumps(entries(c.t.key))]
    if getattr(c, "other_key", None):
        texts.append(json.dumps(entries(c.other_key)))
    r = srv.request("GET", "/audit-logs/export", key=c.t.key)
    texts.append(r.raw)
    secrets = {s for s in c.secrets if s}
    assert len(secrets) >= 10, secrets
    for text in texts:
        for s in secrets:
            assert s not in text, "a secret value is in the audit log: %s..." % s[:6]
