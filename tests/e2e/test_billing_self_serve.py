"""test_billing_self_serve.py: who may put an organization on which tier
(API.md "Changes to v1 (hardening)": self-serve billing; docs/internals/billing.md
"Who may choose a tier").

Pins down: with a session, creating or changing a subscription needs
billing:update (billing:manage, its former name, still counts) and a free tier
(price_cents 0): a paid one is 403 forbidden with a message that says so, for the
owner too, and changes nothing; the tenant setting self_serve_billing (default
false, shown in the settings, set by PATCH /tenant and PATCH /admin/tenants/:id)
lets sessions choose paid tiers, whose payment the backend then confirms through
.../subscription/status; canceling (now or at the period end) and taking a
scheduled cancellation back need billing:update only, on any tier; a session
without billing:update gets 403 on every write; system calls may choose any tier."""
from billkit import Kit, shared_server
from harness import expect_error

SHARED = shared_server()


def teardown_module():
    SHARED.stop()


def kit():
    k = Kit(SHARED.get())
    k.tier("free", {"api_calls": 10})
    k.tier("free2", {"api_calls": 20})
    k.tier("pro", {"api_calls": 100}, price_cents=2900)
    k.tier("max", {"api_calls": 1000}, price_cents=9900)
    return k


def create_role(k, key, permissions):
    k.ok(201, "POST", "/roles", {"key": key, "name": key, "permissions": permissions})


def sub_path(org_id):
    return "/organizations/%s/subscription" % org_id


def refused_paid(resp):
    err = expect_error(resp, 403, "forbidden")
    assert "price_cents" in err["message"] and "self_serve_billing" in err["message"], err
    return err


def set_self_serve(k, on):
    s = k.ok(200, "PATCH", "/tenant", {"settings": {"self_serve_billing": on}})["settings"]
    assert s["self_serve_billing"] is on, s


def test_a_session_with_billing_update_may_choose_a_free_tier_but_not_a_paid_one():
    k = kit()
    create_role(k, "biller", ["billing:update", "billing:read"])
    org_id, owner = k.org()
    biller = k.add_member(org_id, "biller")
    path = sub_path(org_id)
    for user in (biller, owner):  # the owner (*) is held to the same rule
        refused_paid(k.call("POST", path, {"tier": "pro"}, user))
    expect_error(k.call("GET", path), 404, "not_found")  # nothing was created
    s = k.ok(201, "POST", path, {"tier": "free"}, biller)
    assert (s["tier"], s["status"]) == ("free", "active"), s
    # changing: to another free tier yes, to a paid one no, and nothing changes
    assert k.ok(200, "PATCH", path, {"tier": "free2"}, biller)["tier"] == "free2"
    for user in (biller, owner):
        refused_paid(k.call("PATCH", path, {"tier": "max"}, user))
        refused_paid(k.call("PATCH", path, {"tier": "pro", "cancel_at_period_end": True}, user))
    after = k.sub(org_id)
    assert (after["tier"], after["cancel_at_period_end"]) == ("free2", False), after
    # validation still comes first: an unknown tier is 400, not 403
    org2, owner2 = k.org()
    r = k.call("POST", sub_path(org2), {"tier": "nope"}, owner2)
    assert expect_error(r, 400, "validation_failed")["fields"] == {"tier": "unknown_tier"}, r


def test_a_session_without_billing_update_may_not_subscribe_even_to_a_free_tier():
    k = kit()
    create_role(k, "reader", ["billing:read", "org:read"])
    org_id, _ = k.org()
    path = sub_path(org_id)
    users = [k.add_member(org_id, role) for role in ("member", "admin", "reader")]
    for user in users:
        for tier in ("free", "pro"):
            err = expect_error(k.call("POST", path, {"tier": tier}, user), 403, "forbidden")
            assert "self_serve_billing" not in err["message"], err
    k.subscribe(org_id, "pro")
    for user in users:
        for method, p, body in (("PATCH", path, {"tier": "free"}),
                                ("PATCH", path, {"cancel_at_period_end": True}),
                                ("DELETE", path + "?at_period_end=true", None),
                                ("DELETE", path, None)):
            expect_error(k.call(method, p, body, user), 403, "forbidden")
    s = k.sub(org_id)
    assert (s["tier"], s["status"], s["cancel_at_period_end"]) == ("pro", "active", False), s


def test_the_former_permission_name_billing_manage_still_manages_free_tiers():
    k = kit()
    create_role(k, "old_biller", ["billing:manage"])
    org_id, _ = k.org()
    user = k.add_member(org_id, "old_biller")
    refused_paid(k.call("POST", sub_path(org_id), {"tier": "pro"}, user))
    assert k.ok(201, "POST", sub_path(org_id), {"tier": "free"}, user)["tier"] == "free"
    assert k.ok(200, "DELETE", sub_path(org_id), None, user)["status"] == "canceled"


def test_canceling_a_paid_subscription_needs_billing_update_only():
    k = kit()
    create_role(k, "biller", ["billing:update"])
    org_id, owner = k.org()
    biller = k.add_member(org_id, "biller")
    path = sub_path(org_id)
    k.subscribe(org_id, "pro")  # the backend chose the paid tier
    # schedule, take back, schedule by DELETE, and keep the (unchanged) paid tier
    s = k.ok(200, "PATCH", path, {"cancel_at_period_end": True}, biller)
    assert (s["tier"], s["cancel_at_period_end"]) == ("pro", True), s
    s = k.ok(200, "PATCH", path, {"tier": "pro", "cancel_at_period_end": False}, biller)
    assert (s["tier"], s["cancel_at_period_end"]) == ("pro", False), s
    s = k.ok(200, "DELETE", path + "?at_period_end=true", None, biller)
    assert (s["status"], s["cancel_at_period_end"]) == ("active", True), s
    # moving down from the paid tier to a free one is allowed
    assert k.ok(200, "PATCH", path, {"tier": "free"}, owner)["tier"] == "free"
    refused_paid(k.call("PATCH", path, {"tier": "pro"}, owner))  # and not back up
    assert k.ok(200, "DELETE", path, None, biller)["status"] == "canceled"
    # after a cancellation, subscribing again is held to the same rule
    refused_paid(k.call("POST", path, {"tier": "pro"}, biller))
    assert k.sub(org_id)["status"] == "canceled"


def test_system_calls_choose_any_tier():
    k = kit()
    org_id, _ = k.org()
    path = sub_path(org_id)
    assert k.ok(201, "POST", path, {"tier": "pro"})["tier"] == "pro"
    assert k.ok(200, "PATCH", path, {"tier": "max"})["tier"] == "max"
    assert k.ok(200, "PATCH", path, {"tier": "free"})["tier"] == "free"
    assert k.ok(200, "DELETE", path)["status"] == "canceled"
    assert k.ok(201, "POST", path, {"tier": "max"})["tier"] == "max"


def test_self_serve_billing_defaults_off_and_when_on_sessions_choose_paid_tiers():
    k = kit()
    settings = k.ok(200, "GET", "/tenant")["settings"]
    assert settings["self_serve_billing"] is False, settings
    create_role(k, "biller", ["billing:update"])
    org_id, owner = k.org()
    biller = k.add_member(org_id, "biller")
    member = k.add_member(org_id, "member")
    path = sub_path(org_id)
    refused_paid(k.call("POST", path, {"tier": "pro"}, biller))
    set_self_serve(k, True)
    assert k.ok(200, "GET", "/tenant")["settings"]["self_serve_billing"] is True
    s = k.ok(201, "POST", path, {"tier": "pro"}, biller)
    assert (s["tier"], s["status"]) == ("pro", "active"), s
    assert k.ok(200, "PATCH", path, {"tier": "max"}, owner)["tier"] == "max"
    # still not without billing:update
    expect_error(k.call("PATCH", path, {"tier": "pro"}, member), 403, "forbidden")
    # the payment backend confirms the payment, sessions cannot
    status = path + "/status"
    expect_error(k.call("POST", status, {"status": "active"}, owner), 403, "forbidden")
    assert k.ok(200, "POST", status, {"status": "past_due"})["status"] == "past_due"
    assert k.ok(200, "POST", status, {"status": "active"})["status"] == "active"
    # off again: paid tiers are refused again, free ones are not
    set_self_serve(k, False)
    refused_paid(k.call("PATCH", path, {"tier": "pro"}, owner))
    assert k.ok(200, "PATCH", path, {"tier": "free"}, owner)["tier"] == "free"
    # other settings leave it alone
    k.ok(200, "PATCH", "/tenant", {"settings": {"self_serve_billing": True}})
    s = k.ok(200, "PATCH", "/tenant", {"settings": {"app_name": "Billing Co"}})["settings"]
    assert s["self_serve_billing"] is True, s


def test_self_serve_billing_is_per_tenant_and_set_by_the_operator_too():
    k, other = kit(), kit()
    srv = k.srv
    r = srv.admin("PATCH", "/admin/tenants/%s" % k.tenant["id"],
                  {"settings": {"self_serve_billing": True}})
    assert r.status == 200 and r.json["settings"]["self_serve_billing"] is True, r
    r = srv.admin("GET", "/admin/tenants/%s" % k.tenant["id"])
    assert r.status == 200 and r.json["settings"]["self_serve_billing"] is True, r
    assert k.ok(200, "GET", "/tenant")["settings"]["self_serve_billing"] is True
    assert other.ok(200, "GET", "/tenant")["settings"]["self_serve_billing"] is False
    org_id, owner = k.org()
    assert k.ok(201, "POST", sub_path(org_id), {"tier": "pro"}, owner)["tier"] == "pro"
    org2, owner2 = other.org()
    refused_paid(other.call("POST", sub_path(org2), {"tier": "pro"}, owner2))


def test_self_serve_billing_must_be_a_boolean():
    k = kit()
    for bad in ("true", 1, None, [], {}):
        r = k.call("PATCH", "/tenant", {"settings": {"self_serve_billing": bad}})
        err = expect_error(r, 400, "validation_failed")
        assert err["fields"] == {"settings.self_serve_billing": "invalid_type"}, err
        r = k.srv.admin("PATCH", "/admin/tenants/%s" % k.tenant["id"],
                        {"settings": {"self_serve_billing": bad}})
        expect_error(r, 400, "validation_failed")
    assert k.ok(200, "GET", "/tenant")["settings"]["self_serve_billing"] is False
