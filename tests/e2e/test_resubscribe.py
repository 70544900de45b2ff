"""test_resubscribe.py: canceling and subscribing again through the real
binary (docs/internals/billing.md "Subscribing again").

Pins down: a subscription created while the canceled one's paid period still
runs keeps that period and anchor, so the usage already counted in it still
counts (same tier: nothing left; a bigger tier: only the difference); the
tier's trial is for an organization's first subscription only, and a trial
canceled early gives a paid period from now, not the rest of the trial nor a
new one; once the old period is over the new subscription starts fresh at
now, with a fresh quota; a kept period still rolls forward on its anchor, and
after an interval change from the end of the kept period; subscription.created
keeps its shape; an organization whose subscription ended past_due subscribes
again past_due (the debt is not canceled with it) until the backend reports the
payment. Periods are moved into the past directly in the database."""
import json

from billkit import (DAY_MS, Kit, add_months, db_rows, fmt_ts, now_ms, parse_ts,
                     shared_server)
from harness import expect_error

SHARED = shared_server()
EVENT_FIELDS = {"id", "organization_id", "tier", "status", "current_period_start",
                "current_period_end", "cancel_at_period_end"}


def teardown_module():
    SHARED.stop()


def kit():
    return Kit(SHARED.get())


def period(s):
    return parse_ts(s["current_period_start"]), parse_ts(s["current_period_end"])


def cancel(k, org_id):
    c = k.ok(200, "DELETE", "/organizations/%s/subscription" % org_id)
    assert c["status"] == "canceled", c
    return c


def move_into_the_past(k, org_id, end, months=1):
    """The subscription's period becomes [end - months, end) on that anchor,
    its usage counters moving along with it."""
    start = add_months(end, -months)
    db_rows(k.srv, "UPDATE subscriptions SET anchor_at = ?, current_period_start = ?,"
            " current_period_end = ? WHERE organization_id = ?", (start, start, end, org_id))
    db_rows(k.srv, "UPDATE usage_counters SET period_start = ? WHERE organization_id = ?",
            (start, org_id))
    return start


def check_consistent(k, org_id, s):
    """GET subscription, entitlements and the usage history agree on s's period."""
    assert k.sub(org_id) == s
    e = k.ent(org_id)
    assert (e["tier"], e["period_start"], e["period_end"]) == \
        (s["tier"], s["current_period_start"], s["current_period_end"]), (e, s)
    return e


def created_events(k, org_id):
    rows = db_rows(k.srv, "SELECT payload FROM webhook_events WHERE tenant_id = ?"
                   " AND type = 'subscription.created' ORDER BY created_at, id", (k.tenant["id"],))
    subs = [json.loads(r[0])["data"]["subscription"] for r in rows]
    return [s for s in subs if s["organization_id"] == org_id]


def test_resubscribing_to_the_same_tier_inside_the_period_keeps_the_used_up_quota():
    k = kit()
    k.tier("pro", {"api_calls": 5})
    org_id, owner = k.org()
    first = k.subscribe(org_id, "pro")
    assert k.use(org_id, quantity=5).status == 201
    expect_error(k.use(org_id), 402, "quota_exceeded")
    # the organization's owner (billing:update) cancels and subscribes again
    k.ok(200, "DELETE", "/organizations/%s/subscription" % org_id, None, owner)
    again = k.ok(201, "POST", "/organizations/%s/subscription" % org_id, {"tier": "pro"}, owner)
    assert again["id"] != first["id"] and again["status"] == "active", again
    assert period(again) == period(first), (again, first)
    err = expect_error(k.use(org_id), 402, "quota_exceeded")
    assert (err["limit"], err["used"], err["metric"]) == (5, 5, "api_calls"), err
    e = check_consistent(k, org_id, again)
    assert e["usage"] == {"api_calls": 5}, e
    assert k.history(org_id)["total"] == 5
    # and again, as often as you like: still the same period, still used up
    cancel(k, org_id)
    third = k.subscribe(org_id, "pro")
    assert period(third) == period(first), third
    expect_error(k.use(org_id), 402, "quota_exceeded")
    # subscription.created has its usual shape, with the kept period
    events = created_events(k, org_id)
    assert len(events) == 3, events
    for ev, s in zip(events, (first, again, third)):
        assert set(ev) == EVENT_FIELDS, ev
        assert (ev["id"], ev["status"]) == (s["id"], s["status"]), ev
        assert period(ev) == period(first), ev


def test_resubscribing_to_a_bigger_tier_inside_the_period_leaves_only_the_difference():
    k = kit()
    k.tier("basic", {"api_calls": 5})
    k.tier("pro", {"api_calls": 8, "exports": 2})
    org_id, _ = k.org()
    first = k.subscribe(org_id, "basic")
    assert k.use(org_id, quantity=5).status == 201
    cancel(k, org_id)
    pro = k.subscribe(org_id, "pro")
    assert (pro["tier"], pro["status"]) == ("pro", "active"), pro
    assert period(pro) == period(first), pro
    e = check_consistent(k, org_id, pro)
    assert (e["limits"], e["usage"]) == ({"api_calls": 8, "exports": 2},
                                         {"api_calls": 5, "exports": 0}), e
    err = expect_error(k.use(org_id, quantity=4), 402, "quota_exceeded")
    assert (err["limit"], err["used"]) == (8, 5), err
    r = k.use(org_id, quantity=3)
    assert r.status == 201 and (r.json["used"], r.json["remaining"]) == (8, 0), r
    assert r.json["period_end"] == pro["current_period_end"], r
    expect_error(k.use(org_id), 402, "quota_exceeded")


def test_a_trial_is_for_the_first_subscription_only():
    k = kit()
    k.tier("trial", {"api_calls": 3}, trial_days=14)
    k.tier("trial2", {"api_calls": 3}, trial_days=30)
    org_id, _ = k.org()
    first = k.subscribe(org_id, "trial")
    assert first["status"] == "trialing" and first["trial_end"] == first["current_period_end"], first
    assert k.use(org_id, quantity=3).status == 201
    cancel(k, org_id)
    before = now_ms()
    again = k.subscribe(org_id, "trial")
    after = now_ms()
    # canceled during the trial: paid from now, no trial left, none new
    assert (again["status"], again["trial_end"]) == ("active", None), again
    start, end = period(again)
    assert before - 1000 <= start <= after + 1000, again
    assert end == add_months(start, 1), again
    e = check_consistent(k, org_id, again)
    assert e["usage"] == {"api_calls": 0}, e  # the trial's usage was the trial's
    assert k.use(org_id, quantity=3).status == 201
    # a paid period is kept from now on, and no other trial tier trials either
    cancel(k, org_id)
    third = k.subscribe(org_id, "trial2")
    assert (third["status"], third["trial_end"]) == ("active", None), third
    assert period(third) == period(again), third
    expect_error(k.use(org_id), 402, "quota_exceeded")
    # a trial canceled when it was over (cancel at period end): no trial again
    other, _ = k.org()
    k.subscribe(other, "trial")
    k.ok(200, "DELETE", "/organizations/%s/subscription?at_period_end=true" % other)
    move_into_the_past(k, other, now_ms() - 3600 * 1000)
    assert k.sub(other)["status"] == "canceled"
    s = k.subscribe(other, "trial")
    assert (s["status"], s["trial_end"]) == ("active", None), s


def test_resubscribing_after_the_old_period_ended_starts_fresh_with_a_fresh_quota():
    k = kit()
    k.tier("pro", {"api_calls": 5})
    org_id, _ = k.org()
    k.subscribe(org_id, "pro")
    assert k.use(org_id, quantity=5).status == 201
    cancel(k, org_id)
    old_end = now_ms() - 3600 * 1000
    move_into_the_past(k, org_id, old_end)
    before = now_ms()
    s = k.subscribe(org_id, "pro")
    after = now_ms()
    assert s["status"] == "active", s
    start, end = period(s)
    assert before - 1000 <= start <= after + 1000 and start > old_end, s
    assert end == add_months(start, 1), s
    e = check_consistent(k, org_id, s)
    assert e["usage"] == {"api_calls": 0}, e
    r = k.use(org_id, quantity=5)
    assert r.status == 201 and r.json["used"] == 5, r
    expect_error(k.use(org_id), 402, "quota_exceeded")


def test_a_kept_period_rolls_forward_on_the_old_anchor():
    k = kit()
    k.tier("pro", {"api_calls": 2})
    org_id, _ = k.org()
    k.subscribe(org_id, "pro")
    end = now_ms() - 1000
    anchor = add_months(end, -3)
    db_rows(k.srv, "UPDATE subscriptions SET anchor_at = ?, current_period_start = ?,"
            " current_period_end = ? WHERE organization_id = ?",
            (anchor, add_months(anchor, 2), add_months(anchor, 3) + 2 * DAY_MS, org_id))
    # the period still runs (two days left): cancel, use nothing, subscribe again
    cancel(k, org_id)
    s = k.subscribe(org_id, "pro")
    assert period(s) == (add_months(anchor, 2), add_months(anchor, 3) + 2 * DAY_MS), s
    # it ends: the next period is on the anchor's grid, with its own quota
    db_rows(k.srv, "UPDATE subscriptions SET current_period_end = ? WHERE organization_id = ?",
            (end, org_id))
    s = k.sub(org_id)
    assert period(s) == (add_months(anchor, 3), add_months(anchor, 4)), (s, fmt_ts(anchor))
    assert k.use(org_id, quantity=2).status == 201
    assert check_consistent(k, org_id, s)["usage"] == {"api_calls": 2}


def test_resubscribing_to_a_yearly_tier_keeps_the_month_then_counts_years_from_its_end():
    """Like a tier change: the running period stands (its usage counts
    against the new limit), the new interval starts where it ends."""
    k = kit()
    k.tier("monthly", {"api_calls": 10})
    k.tier("yearly", {"api_calls": 100}, interval="year")
    org_id, _ = k.org()
    first = k.subscribe(org_id, "monthly")
    assert k.use(org_id, quantity=7).status == 201
    cancel(k, org_id)
    y = k.subscribe(org_id, "yearly")
    assert (y["tier"], period(y)) == ("yearly", period(first)), y
    assert check_consistent(k, org_id, y)["usage"] == {"api_calls": 7}
    assert k.use(org_id, quantity=93).status == 201
    expect_error(k.use(org_id), 402, "quota_exceeded")
    end = now_ms() - 3600 * 1000
    move_into_the_past(k, org_id, end)
    s = k.sub(org_id)
    assert period(s) == (end, add_months(end, 12)), (s, fmt_ts(end))
    assert k.ent(org_id)["usage"] == {"api_calls": 0}


def report(k, org_id, status):
    s = k.ok(200, "POST", "/organizations/%s/subscription/status" % org_id, {"status": status})
    assert s["status"] == status, s
    return s


def test_a_past_due_organization_that_cancels_and_subscribes_again_is_still_past_due():
    k = kit()
    k.tier("pro", {"api_calls": 5})
    k.tier("free", {"api_calls": 1})
    org_id, owner = k.org()
    first = k.subscribe(org_id, "pro")
    report(k, org_id, "past_due")
    # the owner cancels and subscribes again, to the same tier or a free one
    for tier in ("pro", "free"):
        k.ok(200, "DELETE", "/organizations/%s/subscription" % org_id, None, owner)
        again = k.ok(201, "POST", "/organizations/%s/subscription" % org_id, {"tier": tier},
                     owner)
        assert (again["tier"], again["status"]) == (tier, "past_due"), again
        assert again["id"] != first["id"] and period(again) == period(first), again
        check_consistent(k, org_id, again)
    assert [e["status"] for e in created_events(k, org_id)] == ["active", "past_due", "past_due"]
    # the backend reports the payment: active, and canceling no longer brings it back
    report(k, org_id, "active")
    cancel(k, org_id)
    s = k.subscribe(org_id, "pro")
    assert s["status"] == "active", s
    assert k.sub(org_id)["status"] == "active"


def test_past_due_carries_over_a_cancellation_at_the_period_end_and_a_fresh_period():
    k = kit()
    k.tier("pro", {"api_calls": 5})
    org_id, _ = k.org()
    k.subscribe(org_id, "pro")
    report(k, org_id, "past_due")
    k.ok(200, "DELETE", "/organizations/%s/subscription?at_period_end=true" % org_id)
    old_end = now_ms() - 3600 * 1000
    move_into_the_past(k, org_id, old_end)
    assert k.sub(org_id)["status"] == "canceled"
    s = k.subscribe(org_id, "pro")
    assert s["status"] == "past_due" and parse_ts(s["current_period_start"]) > old_end, s
    # a past_due subscription keeps its entitlements (API.md), with a fresh quota here
    assert check_consistent(k, org_id, s)["usage"] == {"api_calls": 0}
    # it rolls forward past_due, until paid
    move_into_the_past(k, org_id, now_ms() - 1000)
    assert k.sub(org_id)["status"] == "past_due"
    report(k, org_id, "active")
    cancel(k, org_id)
    assert k.subscribe(org_id, "pro")["status"] == "active"


def test_a_payment_reported_active_before_the_cancellation_leaves_no_debt():
    k = kit()
    k.tier("pro", {"api_calls": 5})
    org_id, _ = k.org()
    k.subscribe(org_id, "pro")
    report(k, org_id, "past_due")
    report(k, org_id, "active")
    cancel(k, org_id)
    assert k.subscribe(org_id, "pro")["status"] == "active"
    # and an organization that never was past_due is not affected by one that was
    other, _ = k.org()
    k.subscribe(other, "pro")
    report(k, other, "past_due")
    cancel(k, other)
    fresh, _ = k.org()
    assert k.subscribe(fresh, "pro")["status"] == "active"
    assert k.subscribe(other, "pro")["status"] == "past_due"
