"""test_error_detail.py: a service's failure carries its own public message and
a log-only detail (svc_fail, docs/internals/status.md). The answer's body has
the message and never the detail; the request's JSON log line has the detail
in "detail" (and a successful request's line has none). Each reason for a
409 conflict has its own message now: a live versus a canceled subscription,
a built-in versus a held versus an existing role.

One server per module; each test uses its own tenant."""
import os

from billkit import Kit
from harness import expect_error
from orgkit import Tenant, shared_server

SHARED = shared_server()


def teardown_module():
    SHARED.stop()


def rid(tag):
    return "errdetail-%s-%s" % (tag, os.urandom(4).hex())


def call_logged(t, tag, method, path, body=None, user=None):
    """t's call with a fresh X-Request-Id; returns (response, its log line)."""
    r_id = rid(tag)
    resp = t.call(method, path, body, user, headers={"X-Request-Id": r_id})
    return resp, t.srv.wait_log(r_id)


def test_a_duplicate_role_key_logs_the_unique_index_and_answers_without_it():
    t = Tenant(SHARED.get())
    t.create_role("support", ["org:read"])
    resp, line = call_logged(t, "dup", "POST", "/roles",
                             {"key": "support", "name": "Again", "permissions": []})
    err = expect_error(resp, 409, "conflict")
    assert err["message"] == "A role with this key already exists (built-in or custom).", err
    assert line["status"] == 409, line
    assert "unique index roles(tenant_id, key)" in line["detail"], line
    assert "support" in line["detail"], line
    # the body carries no trace of the detail, anywhere in the envelope
    assert "unique index" not in resp.raw, resp
    assert set(err) == {"code", "message", "request_id"}, err


def test_a_success_and_a_failure_without_detail_log_no_detail():
    t = Tenant(SHARED.get())
    resp, line = call_logged(t, "ok", "POST", "/roles",
                             {"key": "viewer", "name": "Viewer", "permissions": ["org:read"]})
    assert resp.status == 201 and "detail" not in line, (resp, line)
    resp, line = call_logged(t, "builtin", "POST", "/roles",
                             {"key": "owner", "name": "Mine", "permissions": ["*"]})
    expect_error(resp, 409, "conflict")
    assert "detail" not in line, line


def test_each_role_conflict_has_its_own_message():
    t = Tenant(SHARED.get())
    owner = t.register()
    org = t.create_org(owner)
    t.create_role("auditor", ["org:read"])
    t.add_member(org["id"], "auditor")
    resp, line = call_logged(t, "held", "DELETE", "/roles/auditor")
    err = expect_error(resp, 409, "conflict")
    assert err["message"] == "Roles that members hold cannot be deleted.", err
    assert line["detail"] == "1 members hold role auditor", line
    err = expect_error(t.call("DELETE", "/roles/admin"), 409, "conflict")
    assert err["message"] == "Built-in roles cannot be deleted.", err
    err = expect_error(t.call("PATCH", "/roles/admin", {"name": "X"}), 409, "conflict")
    assert err["message"] == "Built-in roles cannot be changed.", err


def test_a_live_and_a_canceled_subscription_conflict_say_which():
    k = Kit(SHARED.get())
    k.tier("pro", {"api_calls": 10})
    org_id, _ = k.org()
    s = k.subscribe(org_id, "pro")
    path = "/organizations/%s/subscription" % org_id
    r_id = rid("live")
    resp = k.call("POST", path, {"tier": "pro"}, headers={"X-Request-Id": r_id})
    err = expect_error(resp, 409, "conflict")
    assert "already has a live subscription" in err["message"], err
    line = k.srv.wait_log(r_id)
    assert line["detail"] == "live subscription %s (%s)" % (s["id"], s["status"]), line
    assert s["id"] not in resp.raw, resp
    k.ok(200, "DELETE", path)
    for method, p, body in (("PATCH", path, {"tier": "pro"}), ("DELETE", path, None),
                            ("POST", path + "/status", {"status": "active"})):
        err = expect_error(k.call(method, p, body), 409, "conflict")
        assert err["message"] == "The subscription is canceled; create a new one instead.", \
            (method, p, err)


def test_the_sole_owner_delete_logs_how_many_organizations():
    t = Tenant(SHARED.get())
    owner = t.register()
    t.create_org(owner)
    t.create_org(owner)
    resp, line = call_logged(t, "sole", "DELETE", "/users/" + owner.id)
    err = expect_error(resp, 409, "conflict")
    assert "only owner of an organization" in err["message"], err
    assert line["detail"] == "sole owner of 2 organizations", line


def test_a_taken_slug_or_tier_key_logs_its_unique_index_and_the_answer_stays_as_it_was():
    t = Tenant(SHARED.get())
    u = t.register()
    a = t.create_org(u, name="Same Name", slug="same")
    resp, line = call_logged(t, "slug", "POST", "/organizations", {"name": "B", "slug": "same"},
                             u)
    err = expect_error(resp, 409, "conflict")
    assert err["fields"] == {"slug": "taken"} and err["message"], err
    assert line["detail"] == "unique index organizations(tenant_id, slug): same", line
    b = t.create_org(u, name="Other")
    resp, line = call_logged(t, "slugpatch", "PATCH", "/organizations/" + b["id"],
                             {"slug": "same"}, u)
    expect_error(resp, 409, "conflict")
    assert line["detail"] == "unique index organizations(tenant_id, slug): same", line
    assert t.org(a["id"])["slug"] == "same"
    k = Kit(t.srv)
    k.tier("gold")
    r_id = rid("tier")
    resp = k.call("POST", "/tiers", {"key": "gold", "name": "Gold", "interval": "month"},
                  headers={"X-Request-Id": r_id})
    err = expect_error(resp, 409, "conflict")
    assert err["fields"] == {"key": "taken"}, err
    assert k.srv.wait_log(r_id)["detail"] == "unique index tiers(tenant_id, key): gold"
    assert "unique index" not in resp.raw, resp
