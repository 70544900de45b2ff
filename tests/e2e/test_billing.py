"""test_billing.py: tiers, subscriptions, entitlements, usage and seats
through the real binary (API.md "Billing" and "Usage and quotas").

Pins down: tier validation and 409 on a duplicate key; archiving (no new
subscribers, existing ones keep the tier); the subscription lifecycle and its
201 shape; the lazy, calendar-correct period roll-forward (periods moved into
the past directly in the database), trialing -> active and
cancel_at_period_end -> canceled; the tenant's default_tier; who may read
and manage billing; usage validation; 402 quota_exceeded with nothing
recorded; unlimited metrics; idempotency keys (a key reused with another
metric or quantity is 409 idempotency_key_reused); the per-day history; the
seats limit at invitation accept. Races are in test_usage_races.py."""
import contextlib
import datetime
import re

from billkit import (DAY_MS, Kit, add_months, db_rows, fmt_ts, now_ms, parse_ts,
                     period_containing, shared_server, uniq)
from harness import Skip, expect_error

SHARED = shared_server()
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$")
SUB_FIELDS = {"id", "tier", "status", "current_period_start", "current_period_end",
              "cancel_at_period_end"}
TIER_FIELDS = {"id", "key", "name", "price_cents", "interval", "features", "limits",
               "trial_days", "archived", "created_at"}
USAGE_FIELDS = {"id", "metric", "quantity", "used", "limit", "remaining", "period_end"}
UNKNOWN_ORG = "org_01m8dh9g9msck31bzcx6t5w4sa"  # well-formed, never issued


def teardown_module():
    SHARED.stop()


def kit():
    return Kit(SHARED.get())


def check_sub(s, tier, status):
    assert SUB_FIELDS <= set(s), s
    assert re.match(r"^sub_[0-9a-z]+$", s["id"]), s
    assert s["tier"] == tier and s["status"] == status, s
    assert RFC3339.match(s["current_period_start"]) and RFC3339.match(s["current_period_end"]), s
    assert isinstance(s["cancel_at_period_end"], bool), s
    assert parse_ts(s["current_period_start"]) < parse_ts(s["current_period_end"]), s


@contextlib.contextmanager
def same_utc_day():
    """For tests that compare with today's date or month: a failure while
    the UTC date changed under the test is a skip, not a failure."""
    day = datetime.datetime.now(datetime.timezone.utc).date()
    try:
        yield day
    except AssertionError:
        if datetime.datetime.now(datetime.timezone.utc).date() != day:
            raise Skip("the UTC date changed during the test")
        raise


def set_period(k, org_id, anchor, start, end):
    db_rows(k.srv, "UPDATE subscriptions SET anchor_at = ?, current_period_start = ?,"
            " current_period_end = ? WHERE organization_id = ?", (anchor, start, end, org_id))


# --- tiers ---------------------------------------------------------------------------

def test_tier_create_is_201_with_every_field_and_listed():
    k = kit()
    t = k.tier("pro", {"api_calls": 10000, "seats": 5, "storage_gb": None}, interval="year",
               features=["sso", "audit log"], price_cents=4900, trial_days=14)
    assert set(t) >= TIER_FIELDS, t
    assert re.match(r"^tier_[0-9a-z]+$", t["id"]), t
    assert (t["key"], t["interval"], t["price_cents"], t["trial_days"], t["archived"]) == \
        ("pro", "year", 4900, 14, False), t
    assert t["features"] == ["sso", "audit log"], t
    assert t["limits"] == {"api_calls": 10000, "seats": 5, "storage_gb": None}, t
    assert RFC3339.match(t["created_at"]), t
    # defaults: no price, no trial, no features, no limits
    bare = k.ok(201, "POST", "/tiers", {"key": "bare", "name": "Bare", "interval": "month"})
    assert (bare["price_cents"], bare["trial_days"], bare["features"], bare["limits"]) == \
        (0, 0, [], {}), bare
    listed = k.ok(200, "GET", "/tiers")
    assert [x["key"] for x in listed["data"]] == ["bare", "pro"], listed
    assert listed["data"][1] == t, listed
    # cursor pagination over keys
    page = k.ok(200, "GET", "/tiers?limit=1")
    assert page["has_more"] and [x["key"] for x in page["data"]] == ["bare"], page
    page = k.ok(200, "GET", "/tiers?limit=1&after=" + page["next_cursor"])
    assert not page["has_more"] and [x["key"] for x in page["data"]] == ["pro"], page
    # another tenant sees none of them
    assert Kit(k.srv, "Other").ok(200, "GET", "/tiers")["data"] == []


def test_tier_create_refuses_invalid_input_with_the_field_named():
    k = kit()
    base = {"key": "ok_key", "name": "Ok", "interval": "month"}
    cases = [
        ({"interval": "week"}, "interval"),
        ({"interval": "monthly"}, "interval"),
        ({"interval": 1}, "interval"),
        ({"limits": {"api_calls": -1}}, "limits"),
        ({"limits": {"api_calls": "10"}}, "limits"),
        ({"limits": {"api_calls": 1.5}}, "limits"),
        ({"limits": {"api_calls": True}}, "limits"),
        ({"limits": {"api_calls": [1]}}, "limits"),
        ({"limits": [["api_calls", 1]]}, "limits"),
        ({"limits": {"API-Calls": 1}}, "limits.API-Calls"),
        ({"limits": {"": 1}}, "limits."),
        ({"limits": {"a" * 65: 1}}, None),
        ({"features": "sso"}, "features"),
        ({"features": [1]}, "features"),
        ({"features": [""]}, "features[0]"),
        ({"features": ["ok", "line\nbreak"]}, "features[1]"),
        ({"features": ["x" * 101]}, "features[0]"),
        ({"key": "Bad Key"}, "key"),
        ({"key": "a" * 65}, "key"),
        ({"key": ""}, "key"),
        ({"name": ""}, "name"),
        ({"price_cents": -1}, "price_cents"),
        ({"price_cents": "900"}, "price_cents"),
        ({"trial_days": -1}, "trial_days"),
        ({"trial_days": 731}, "trial_days"),
        ({"archived": "yes"}, "archived"),
        ({"surprise": 1}, "surprise"),
    ]
    for patch, field in cases:
        body = dict(base, **patch)
        err = expect_error(k.call("POST", "/tiers", body), 400, "validation_failed")
        if field is not None:
            assert field in err.get("fields", {}), (patch, err)
    for missing in ("key", "name", "interval"):
        body = {f: v for f, v in base.items() if f != missing}
        err = expect_error(k.call("POST", "/tiers", body), 400, "validation_failed")
        assert err["fields"].get(missing) == "required", (missing, err)
    assert k.ok(200, "GET", "/tiers")["data"] == [], "a refused tier was stored"


def test_tier_duplicate_key_is_409_and_keys_are_per_tenant():
    k = kit()
    k.tier("pro", {"api_calls": 1})
    err = expect_error(k.call("POST", "/tiers", {"key": "pro", "name": "Again",
                                                "interval": "year"}), 409, "conflict")
    assert err.get("fields", {}).get("key") == "taken", err
    assert [t["name"] for t in k.ok(200, "GET", "/tiers")["data"]] == ["Tier"]
    Kit(k.srv, "Other").tier("pro")  # another tenant's "pro" is its own


def test_tier_patch_updates_fields_validates_and_404s_unknown_keys():
    k = kit()
    k.tier("pro", {"api_calls": 10}, features=["a"])
    t = k.ok(200, "PATCH", "/tiers/pro", {"name": "Pro 2", "limits": {"api_calls": 20,
                                                                      "seats": None},
                                          "features": ["a", "b"], "price_cents": 100})
    assert (t["name"], t["limits"], t["features"], t["price_cents"], t["interval"]) == \
        ("Pro 2", {"api_calls": 20, "seats": None}, ["a", "b"], 100, "month"), t
    for body, field in (({"interval": "week"}, "interval"), ({"limits": {"x": -5}}, "limits"),
                        ({"limits": {"Bad!": 5}}, "limits.Bad!"), ({"trial_days": 9999}, "trial_days")):
        err = expect_error(k.call("PATCH", "/tiers/pro", body), 400, "validation_failed")
        assert field in err["fields"], (body, err)
    # the key is set once (like a role's): an update refuses it, nothing changes
    err = expect_error(k.call("PATCH", "/tiers/pro", {"key": "pro2", "name": "Renamed"}), 400,
                       "validation_failed")
    assert err["fields"]["key"] == "unknown_field", err
    assert [t["name"] for t in k.ok(200, "GET", "/tiers")["data"]] == ["Pro 2"]
    expect_error(k.call("PATCH", "/tiers/pro2", {"name": "x"}), 404, "not_found")
    assert k.ok(200, "GET", "/tiers")["data"][0]["limits"] == {"api_calls": 20, "seats": None}
    expect_error(k.call("PATCH", "/tiers/nope", {"name": "x"}), 404, "not_found")
    expect_error(k.call("PATCH", "/tiers/BAD%20KEY", {"name": "x"}), 404, "not_found")
    expect_error(Kit(k.srv, "Other").call("PATCH", "/tiers/pro", {"name": "x"}), 404, "not_found")


def test_archived_tier_cannot_be_subscribed_but_existing_subscribers_keep_it():
    k = kit()
    k.tier("legacy", {"api_calls": 5}, features=["old"])
    k.tier("current", {"api_calls": 50})
    kept, _ = k.org()
    k.subscribe(kept, "legacy")
    t = k.ok(200, "PATCH", "/tiers/legacy", {"archived": True})
    assert t["archived"] is True, t
    assert k.ok(200, "GET", "/tiers")["data"][1]["archived"] is True  # still listed
    fresh, _ = k.org()
    err = expect_error(k.call("POST", "/organizations/%s/subscription" % fresh, {"tier": "legacy"}),
                       400, "validation_failed")
    assert "tier" in err["fields"], err
    expect_error(k.call("GET", "/organizations/%s/subscription" % fresh), 404, "not_found")
    # the existing subscriber keeps it: subscription, entitlements, enforcement
    assert k.sub(kept)["tier"] == "legacy"
    e = k.ent(kept)
    assert (e["tier"], e["features"], e["limits"]) == ("legacy", ["old"], {"api_calls": 5}), e
    assert k.use(kept, quantity=5).status == 201
    expect_error(k.use(kept), 402, "quota_exceeded")
    # ...but cannot move to it again once it has left it
    assert k.ok(200, "PATCH", "/organizations/%s/subscription" % kept, {"tier": "current"})["tier"] == "current"
    expect_error(k.call("PATCH", "/organizations/%s/subscription" % kept, {"tier": "legacy"}),
                 400, "validation_failed")
    # unarchived, it can be chosen again
    k.ok(200, "PATCH", "/tiers/legacy", {"archived": False})
    k.subscribe(fresh, "legacy")


# --- subscriptions -----------------------------------------------------------------

def test_subscription_create_is_201_active_for_one_calendar_month_and_get_returns_it():
    k = kit()
    k.tier("pro", {"api_calls": 100})
    org_id, _ = k.org()
    before = now_ms()
    s = k.subscribe(org_id, "pro")
    after = now_ms()
    check_sub(s, "pro", "active")
    assert s["cancel_at_period_end"] is False, s
    start = parse_ts(s["current_period_start"])
    assert before - 1000 <= start <= after + 1000, s
    assert parse_ts(s["current_period_end"]) == add_months(start, 1), s
    assert k.sub(org_id) == s


def test_subscription_with_trial_days_is_trialing_for_exactly_that_many_days():
    k = kit()
    k.tier("trial", {"api_calls": 100}, trial_days=14)
    k.tier("yearly", interval="year")
    org_id, _ = k.org()
    s = k.subscribe(org_id, "trial")
    check_sub(s, "trial", "trialing")
    assert parse_ts(s["current_period_end"]) - parse_ts(s["current_period_start"]) == 14 * DAY_MS, s
    yearly_org, _ = k.org()
    y = k.subscribe(yearly_org, "yearly")
    check_sub(y, "yearly", "active")
    assert parse_ts(y["current_period_end"]) == add_months(parse_ts(y["current_period_start"]), 12), y


def test_subscription_create_refuses_unknown_tier_and_a_second_live_subscription():
    k = kit()
    k.tier("pro")
    org_id, _ = k.org()
    for tier in ("nope", "Bad Key", "", 5, None):
        err = expect_error(k.call("POST", "/organizations/%s/subscription" % org_id, {"tier": tier}),
                           400, "validation_failed")
        assert "tier" in err["fields"], (tier, err)
    expect_error(k.call("POST", "/organizations/%s/subscription" % org_id, {}), 400,
                 "validation_failed")
    # another tenant's tier of the same key does not exist here
    other = Kit(k.srv, "Other")
    other.tier("gold")
    expect_error(k.call("POST", "/organizations/%s/subscription" % org_id, {"tier": "gold"}),
                 400, "validation_failed")
    first = k.subscribe(org_id, "pro")
    expect_error(k.call("POST", "/organizations/%s/subscription" % org_id, {"tier": "pro"}),
                 409, "conflict")
    assert k.sub(org_id)["id"] == first["id"]
    expect_error(k.call("POST", "/organizations/%s/subscription" % UNKNOWN_ORG, {"tier": "pro"}),
                 404, "not_found")
    # another tenant cannot see or touch this organization's subscription
    for method, path in (("GET", "/subscription"), ("DELETE", "/subscription"),
                         ("GET", "/entitlements")):
        expect_error(other.call(method, "/organizations/" + org_id + path), 404, "not_found")
    expect_error(other.call("POST", "/organizations/%s/subscription" % org_id, {"tier": "gold"}),
                 404, "not_found")


def test_subscription_patch_changes_tier_and_keeps_the_period():
    k = kit()
    k.tier("basic", {"api_calls": 2})
    k.tier("pro", {"api_calls": 10}, features=["sso"])
    org_id, _ = k.org()
    s = k.subscribe(org_id, "basic")
    assert k.use(org_id, quantity=2).status == 201
    expect_error(k.use(org_id), 402, "quota_exceeded")
    c = k.ok(200, "PATCH", "/organizations/%s/subscription" % org_id, {"tier": "pro"})
    check_sub(c, "pro", "active")
    assert c["id"] == s["id"], c
    assert (c["current_period_start"], c["current_period_end"]) == \
        (s["current_period_start"], s["current_period_end"]), c
    e = k.ent(org_id)
    assert (e["tier"], e["features"], e["limits"], e["usage"]) == \
        ("pro", ["sso"], {"api_calls": 10}, {"api_calls": 2}), e  # usage carries over
    r = k.use(org_id)
    assert r.status == 201 and (r.json["used"], r.json["limit"]) == (3, 10), r
    expect_error(k.call("PATCH", "/organizations/%s/subscription" % org_id, {"tier": "nope"}),
                 400, "validation_failed")
    expect_error(k.call("PATCH", "/organizations/%s/subscription" % org_id, {"tier": "pro", "x": 1}),
                 400, "validation_failed")
    unsubscribed, _ = k.org()
    expect_error(k.call("PATCH", "/organizations/%s/subscription" % unsubscribed, {"tier": "pro"}),
                 404, "not_found")


def test_subscription_delete_cancels_now_and_a_new_one_can_follow():
    k = kit()
    k.tier("pro", {"api_calls": 10})
    org_id, _ = k.org()
    s = k.subscribe(org_id, "pro")
    c = k.ok(200, "DELETE", "/organizations/%s/subscription" % org_id)
    check_sub(c, "pro", "canceled")
    assert c["id"] == s["id"] and c.get("canceled_at"), c
    assert k.sub(org_id)["status"] == "canceled"
    # a canceled subscription is not live: no change, no second cancel, no payment state
    expect_error(k.call("PATCH", "/organizations/%s/subscription" % org_id, {"tier": "pro"}),
                 409, "conflict")
    expect_error(k.call("DELETE", "/organizations/%s/subscription" % org_id), 409, "conflict")
    expect_error(k.call("POST", "/organizations/%s/subscription/status" % org_id,
                        {"status": "active"}), 409, "conflict")
    assert k.ent(org_id)["tier"] is None  # no default tier on this tenant
    again = k.subscribe(org_id, "pro")
    check_sub(again, "pro", "active")
    assert again["id"] != s["id"], again
    expect_error(k.call("DELETE", "/organizations/%s/subscription" % UNKNOWN_ORG), 404, "not_found")


def test_subscription_delete_at_period_end_only_flags_it():
    k = kit()
    k.tier("pro", {"api_calls": 10})
    org_id, _ = k.org()
    s = k.subscribe(org_id, "pro")
    for bad in ("yes", "1", "TRUE", ""):
        expect_error(k.call("DELETE", "/organizations/%s/subscription?at_period_end=%s" % (org_id, bad)),
                     400, "validation_failed")
    c = k.ok(200, "DELETE", "/organizations/%s/subscription?at_period_end=true" % org_id)
    check_sub(c, "pro", "active")
    assert c["cancel_at_period_end"] is True, c
    assert c["current_period_end"] == s["current_period_end"], c
    assert k.sub(org_id)["cancel_at_period_end"] is True
    assert k.ent(org_id)["tier"] == "pro"  # still entitled until the period ends
    assert k.use(org_id).status == 201
    # ?at_period_end=false cancels now
    c = k.ok(200, "DELETE", "/organizations/%s/subscription?at_period_end=false" % org_id)
    assert c["status"] == "canceled", c


def test_subscription_status_is_reported_by_the_tenant_backend_only():
    k = kit()
    k.tier("pro", {"api_calls": 10})
    org_id, owner = k.org()
    k.subscribe(org_id, "pro")
    path = "/organizations/%s/subscription/status" % org_id
    s = k.ok(200, "POST", path, {"status": "past_due"})
    check_sub(s, "pro", "past_due")
    assert k.sub(org_id)["status"] == "past_due"
    assert k.ent(org_id)["tier"] == "pro"  # past_due keeps the entitlements
    s = k.ok(200, "POST", path, {"status": "active"})
    check_sub(s, "pro", "active")
    for bad in ("canceled", "trialing", "ACTIVE", "", 1, None):
        expect_error(k.call("POST", path, {"status": bad}), 400, "validation_failed")
    expect_error(k.call("POST", path, {"status": "active", "extra": 1}), 400, "validation_failed")
    # the organization's own owner (a session) may not claim it has paid
    expect_error(k.call("POST", path, {"status": "active"}, owner), 403, "forbidden")
    k.ok(200, "POST", path, {"status": "past_due"})
    expect_error(k.call("POST", path, {"status": "active"}, owner), 403, "forbidden")
    assert k.sub(org_id)["status"] == "past_due"
    unsubscribed, _ = k.org()
    expect_error(k.call("POST", "/organizations/%s/subscription/status" % unsubscribed,
                        {"status": "active"}), 404, "not_found")


# --- period roll-forward (periods moved into the past in the database) --------------

def test_trial_end_rolls_to_active_with_paid_periods_counted_from_the_trial_end():
    k = kit()
    k.tier("trial", {"api_calls": 3}, trial_days=7)
    org_id, _ = k.org()
    k.subscribe(org_id, "trial")
    assert k.use(org_id, quantity=3).status == 201
    trial_end = now_ms() - 3600 * 1000  # the trial ended an hour ago
    set_period(k, org_id, trial_end - 7 * DAY_MS, trial_end - 7 * DAY_MS, trial_end)
    s = k.sub(org_id)
    check_sub(s, "trial", "active")
    assert parse_ts(s["current_period_start"]) == trial_end, s
    assert parse_ts(s["current_period_end"]) == add_months(trial_end, 1), s
    # the new period has its own quota
    e = k.ent(org_id)
    assert e["usage"] == {"api_calls": 0} and e["period_start"] == s["current_period_start"], e
    assert k.use(org_id).status == 201


def test_payment_reported_during_the_trial_still_starts_paid_months_at_the_trial_end():
    k = kit()
    k.tier("trial", {"api_calls": 3}, trial_days=7)
    org_id, _ = k.org()
    k.subscribe(org_id, "trial")
    s = k.ok(200, "POST", "/organizations/%s/subscription/status" % org_id, {"status": "active"})
    assert s["status"] == "active", s
    trial_end = now_ms() - 3600 * 1000
    set_period(k, org_id, trial_end - 7 * DAY_MS, trial_end - 7 * DAY_MS, trial_end)
    s = k.sub(org_id)
    assert (parse_ts(s["current_period_start"]), parse_ts(s["current_period_end"])) == \
        (trial_end, add_months(trial_end, 1)), s


def test_long_overdue_month_period_rolls_to_the_period_containing_now_on_the_anchor_day():
    k = kit()
    k.tier("pro", {"api_calls": 5})
    org_id, _ = k.org()
    k.subscribe(org_id, "pro")
    assert k.use(org_id, quantity=5).status == 201
    this_year = datetime.datetime.now(datetime.timezone.utc).year
    anchor = parse_ts("%d-01-31T10:00:00Z" % (this_year - 1))  # a month-end anchor
    set_period(k, org_id, anchor, anchor, add_months(anchor, 1))
    before = now_ms()
    s = k.sub(org_id)
    after = now_ms()
    check_sub(s, "pro", "active")
    want = {period_containing(anchor, 1, before), period_containing(anchor, 1, after)}
    got = (parse_ts(s["current_period_start"]), parse_ts(s["current_period_end"]))
    assert got in want, (s, [tuple(map(fmt_ts, w)) for w in want])
    # day clamped to the month's length, never drifting away from the 31st
    for ms in got:
        d = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
        nxt = d + datetime.timedelta(days=1)
        assert d.day == 31 or nxt.month != d.month, fmt_ts(ms)
        assert (d.hour, d.minute) == (10, 0), fmt_ts(ms)
    assert k.ent(org_id)["usage"] == {"api_calls": 0}
    # the roll is stored: a second read gives the same period
    assert k.sub(org_id) == s


def test_year_interval_from_a_leap_day_rolls_to_feb_28_in_common_years():
    k = kit()
    k.tier("yearly", {"api_calls": 5}, interval="year")
    org_id, _ = k.org()
    k.subscribe(org_id, "yearly")
    anchor = parse_ts("2024-02-29T00:00:00Z")
    set_period(k, org_id, anchor, anchor, add_months(anchor, 12))
    before = now_ms()
    s = k.sub(org_id)
    after = now_ms()
    want = {period_containing(anchor, 12, before), period_containing(anchor, 12, after)}
    got = (parse_ts(s["current_period_start"]), parse_ts(s["current_period_end"]))
    assert got in want, s
    for text in (s["current_period_start"], s["current_period_end"]):
        y = int(text[:4])
        leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
        assert text[5:10] == ("02-29" if leap else "02-28"), s


def test_cancel_at_period_end_becomes_canceled_when_the_period_is_over():
    k = kit()
    k.tier("pro", {"api_calls": 5})
    k.tier("free", {"api_calls": 1})
    k.ok(200, "PATCH", "/tenant", {"settings": {"default_tier": "free"}})
    org_id, _ = k.org()
    k.subscribe(org_id, "pro")
    k.ok(200, "DELETE", "/organizations/%s/subscription?at_period_end=true" % org_id)
    end = now_ms() - 1000
    set_period(k, org_id, end - 30 * DAY_MS, end - 30 * DAY_MS, end)
    s = k.sub(org_id)
    check_sub(s, "pro", "canceled")
    assert parse_ts(s["canceled_at"]) == end, s
    e = k.ent(org_id)
    assert (e["tier"], e["limits"]) == ("free", {"api_calls": 1}), e  # back on the default
    expect_error(k.call("PATCH", "/organizations/%s/subscription" % org_id, {"tier": "pro"}),
                 409, "conflict")


def test_a_scheduled_cancellation_can_be_taken_back_and_the_subscription_renews():
    k = kit()
    k.tier("pro", {"api_calls": 5})
    k.tier("max", {"api_calls": 50})
    org_id, _ = k.org()
    s = k.subscribe(org_id, "pro")
    path = "/organizations/%s/subscription" % org_id
    c = k.ok(200, "PATCH", path, {"cancel_at_period_end": True})  # like DELETE ?at_period_end
    check_sub(c, "pro", "active")
    assert c["cancel_at_period_end"] is True, c
    c = k.ok(200, "PATCH", path, {"cancel_at_period_end": False})  # taken back
    assert c["cancel_at_period_end"] is False and c["id"] == s["id"], c
    assert c["current_period_end"] == s["current_period_end"], c

    def updated_events():
        return int(db_rows(k.srv, "SELECT COUNT(*) FROM webhook_events WHERE type ="
                           " 'subscription.updated' AND payload LIKE ?", ("%" + s["id"] + "%",))[0][0])
    assert updated_events() == 2
    # what changes nothing announces nothing
    k.ok(200, "PATCH", path, {"cancel_at_period_end": False})
    k.ok(200, "PATCH", path, {"tier": "pro"})
    assert updated_events() == 2
    k.ok(200, "DELETE", path + "?at_period_end=true")
    k.ok(200, "DELETE", path + "?at_period_end=true")
    assert updated_events() == 3
    c = k.ok(200, "PATCH", path, {"tier": "max", "cancel_at_period_end": False})  # both at once
    assert (c["tier"], c["cancel_at_period_end"]) == ("max", False), c
    # the period ends: with nothing scheduled any more, it renews
    end = now_ms() - 1000
    set_period(k, org_id, end - 30 * DAY_MS, end - 30 * DAY_MS, end)
    r = k.sub(org_id)
    check_sub(r, "max", "active")
    assert parse_ts(r["current_period_start"]) == end and r.get("canceled_at") is None, r
    # validation: something to change, of the right type, nothing unknown
    for body, field in (({}, "tier"), ({"cancel_at_period_end": "no"}, "cancel_at_period_end"),
                        ({"cancel_at_period_end": None}, "cancel_at_period_end"),
                        ({"cancel_at_period_end": False, "status": "x"}, "status")):
        err = expect_error(k.call("PATCH", path, body), 400, "validation_failed")
        assert field in err["fields"], (body, err)
    # a canceled subscription is final
    k.ok(200, "DELETE", path)
    expect_error(k.call("PATCH", path, {"cancel_at_period_end": False}), 409, "conflict")


def test_past_due_subscription_rolls_forward_and_stays_past_due():
    k = kit()
    k.tier("pro", {"api_calls": 5})
    org_id, _ = k.org()
    k.subscribe(org_id, "pro")
    k.ok(200, "POST", "/organizations/%s/subscription/status" % org_id, {"status": "past_due"})
    end = now_ms() - 1000
    anchor = add_months(end, -1)
    set_period(k, org_id, anchor, anchor, end)
    s = k.sub(org_id)
    check_sub(s, "pro", "past_due")
    assert parse_ts(s["current_period_start"]) == end, s


def ended_an_hour_ago(k, org_id, months):
    """Make the subscription's current period one of `months` months that
    ended an hour ago (anchored at its start), and move the usage counters
    along with it. Returns the old period end."""
    end = now_ms() - 3600 * 1000
    start = add_months(end, -months)
    set_period(k, org_id, start, start, end)
    db_rows(k.srv, "UPDATE usage_counters SET period_start = ? WHERE organization_id = ?",
            (start, org_id))
    return end


def test_changing_to_a_yearly_tier_starts_the_year_at_the_end_of_the_current_month():
    """'The current period stands; later periods follow the new tier's
    interval': the first yearly period starts where the monthly one ended,
    not back at the anchor (which would re-open the stood month and count
    its usage against the year)."""
    k = kit()
    k.tier("monthly", {"api_calls": 10})
    k.tier("yearly", {"api_calls": 100}, interval="year")
    org_id, _ = k.org()
    before = k.subscribe(org_id, "monthly")
    assert k.use(org_id, quantity=4).status == 201
    s = k.ok(200, "PATCH", "/organizations/%s/subscription" % org_id, {"tier": "yearly"})
    assert (s["tier"], s["current_period_start"], s["current_period_end"]) == \
        ("yearly", before["current_period_start"], before["current_period_end"]), s
    end = ended_an_hour_ago(k, org_id, 1)
    s = k.sub(org_id)
    assert (parse_ts(s["current_period_start"]), parse_ts(s["current_period_end"])) == \
        (end, add_months(end, 12)), (s, fmt_ts(end))
    e = k.ent(org_id)
    assert (e["limits"], e["usage"]) == ({"api_calls": 100}, {"api_calls": 0}), e
    # a yearly tier changed back to monthly: months from the end of the year
    k.ok(200, "PATCH", "/organizations/%s/subscription" % org_id, {"tier": "monthly"})
    end = ended_an_hour_ago(k, org_id, 12)
    s = k.sub(org_id)
    assert (parse_ts(s["current_period_start"]), parse_ts(s["current_period_end"])) == \
        (end, add_months(end, 1)), (s, fmt_ts(end))


def test_editing_a_tier_interval_moves_subscribers_to_it_from_their_period_end():
    k = kit()
    k.tier("flex", {"api_calls": 10})
    org_id, _ = k.org()
    k.subscribe(org_id, "flex")
    k.ok(200, "PATCH", "/tiers/flex", {"interval": "year"})
    end = ended_an_hour_ago(k, org_id, 1)
    s = k.sub(org_id)
    assert (parse_ts(s["current_period_start"]), parse_ts(s["current_period_end"])) == \
        (end, add_months(end, 12)), s
    # and back to months: a month from the end of the year
    k.ok(200, "PATCH", "/tiers/flex", {"interval": "month"})
    end = ended_an_hour_ago(k, org_id, 12)
    s = k.sub(org_id)
    assert (parse_ts(s["current_period_start"]), parse_ts(s["current_period_end"])) == \
        (end, add_months(end, 1)), s


def test_usage_rolls_the_period_forward_too():
    """Recording is also a read: it rolls an overdue period before counting."""
    k = kit()
    k.tier("pro", {"api_calls": 2})
    org_id, _ = k.org()
    k.subscribe(org_id, "pro")
    assert k.use(org_id, quantity=2).status == 201
    end = now_ms() - 1000
    set_period(k, org_id, add_months(end, -1), add_months(end, -1), end)
    r = k.use(org_id, quantity=2)
    assert r.status == 201 and r.json["used"] == 2, r
    assert parse_ts(r.json["period_end"]) == add_months(end, 1), r


# --- default tier and entitlements ---------------------------------------------------

def test_default_tier_gives_entitlements_by_calendar_month_to_unsubscribed_orgs():
    k = kit()
    org_id, _ = k.org()
    e = k.ent(org_id)
    assert (e["tier"], e["features"], e["limits"], e["usage"]) == (None, [], {}, {}), e
    r = k.use(org_id, quantity=1000)  # no tier at all: nothing is limited
    assert r.status == 201 and r.json["limit"] is None and r.json["remaining"] is None, r
    k.tier("free", {"api_calls": 3, "seats": 2}, features=["basic"])
    k.tier("pro", {"api_calls": 100})
    t = k.ok(200, "PATCH", "/tenant", {"settings": {"default_tier": "free"}})
    assert t["settings"]["default_tier"] == "free", t
    fresh, _ = k.org()
    with same_utc_day() as today:
        e = k.ent(fresh)
        assert e["period_start"] == today.strftime("%Y-%m-01T00:00:00.000Z"), e
    assert (e["tier"], e["features"], e["limits"]) == ("free", ["basic"], {"api_calls": 3, "seats": 2}), e
    assert e["usage"] == {"api_calls": 0, "seats": 1}, e
    assert parse_ts(e["period_end"]) == add_months(parse_ts(e["period_start"]), 1), e
    expect_error(k.call("GET", "/organizations/%s/subscription" % fresh), 404, "not_found")
    assert k.use(fresh, quantity=3).status == 201
    r = k.use(fresh)
    err = expect_error(r, 402, "quota_exceeded")
    assert (err["limit"], err["used"], err["metric"]) == (3, 3, "api_calls"), err
    # API.md: "body adds limit, used, metric": at the top level too
    assert (r.json["limit"], r.json["used"], r.json["metric"]) == (3, 3, "api_calls"), r.json
    # a subscription replaces the default; canceling brings the default (and
    # this month's default-tier usage) back
    k.subscribe(fresh, "pro")
    assert k.ent(fresh)["usage"]["api_calls"] == 0
    assert k.use(fresh).status == 201
    k.ok(200, "DELETE", "/organizations/%s/subscription" % fresh)
    e = k.ent(fresh)
    assert (e["tier"], e["usage"]["api_calls"]) == ("free", 3), e
    expect_error(k.use(fresh), 402, "quota_exceeded")
    # a default_tier must name an existing tier; cleared, there is no tier
    err = expect_error(k.call("PATCH", "/tenant", {"settings": {"default_tier": "missing"}}),
                       400, "validation_failed")
    assert err["fields"] == {"settings.default_tier": "unknown_tier"}, err
    k.ok(200, "PATCH", "/tenant", {"settings": {"default_tier": None}})
    assert k.ent(fresh)["tier"] is None
    err = expect_error(k.call("PATCH", "/tenant", {"settings": {"default_tier": "Bad Key!"}}),
                       400, "validation_failed")


def test_entitlements_report_usage_of_limited_and_unlimited_metrics_and_seats():
    k = kit()
    k.tier("pro", {"api_calls": 100, "exports": None, "seats": 10}, features=["sso", "api"])
    org_id, owner = k.org()
    k.subscribe(org_id, "pro")
    k.add_member(org_id)
    for q in (3, 4):
        assert k.use(org_id, quantity=q).status == 201
    assert k.use(org_id, "exports", 7).status == 201
    assert k.use(org_id, "not_in_tier", 9).status == 201
    e = k.ent(org_id)
    assert set(e) >= {"tier", "features", "limits", "usage"}, e
    assert e["features"] == ["sso", "api"], e
    assert e["limits"] == {"api_calls": 100, "exports": None, "seats": 10}, e
    assert e["usage"] == {"api_calls": 7, "exports": 7, "seats": 2}, e
    s = k.sub(org_id)
    assert (e["period_start"], e["period_end"]) == (s["current_period_start"], s["current_period_end"])
    # the same through the owner's session
    assert k.ent(org_id, owner) == e
    expect_error(k.call("GET", "/organizations/%s/entitlements" % UNKNOWN_ORG), 404, "not_found")


# --- permissions ---------------------------------------------------------------------

def test_billing_permissions_member_reads_entitlements_admin_reads_billing_owner_manages():
    k = kit()
    k.tier("pro", {"api_calls": 10})
    k.tier("max", {"api_calls": 20})
    org_id, owner = k.org()
    member = k.add_member(org_id, "member")
    admin = k.add_member(org_id, "admin")
    stranger = k.register()
    base = "/organizations/%s" % org_id
    # a plain member: entitlements yes; subscription, usage and history no
    assert k.ent(org_id, member)["tier"] is None
    expect_error(k.call("POST", base + "/subscription", {"tier": "pro"}, member), 403, "forbidden")
    expect_error(k.call("GET", base + "/usage?metric=api_calls", None, member), 403, "forbidden")
    expect_error(k.call("POST", base + "/usage", {"metric": "api_calls"}, member), 403, "forbidden")
    # an admin may not manage billing either
    expect_error(k.call("POST", base + "/subscription", {"tier": "pro"}, admin), 403, "forbidden")
    # the owner may
    s = k.ok(201, "POST", base + "/subscription", {"tier": "pro"}, owner)
    check_sub(s, "pro", "active")
    expect_error(k.call("GET", base + "/subscription", None, member), 403, "forbidden")
    for method, path, body in (("PATCH", "/subscription", {"tier": "max"}),
                               ("DELETE", "/subscription", None),
                               ("DELETE", "/subscription?at_period_end=true", None)):
        expect_error(k.call(method, base + path, body, member), 403, "forbidden")
        expect_error(k.call(method, base + path, body, admin), 403, "forbidden")
    # billing:read: the admin reads the subscription and the usage history
    assert k.ok(200, "GET", base + "/subscription", None, admin)["id"] == s["id"]
    assert k.ok(200, "GET", base + "/usage?metric=api_calls", None, admin)["total"] == 0
    assert k.ent(org_id, admin)["tier"] == "pro"
    assert k.ent(org_id, member)["tier"] == "pro"
    # the owner records usage, changes and cancels
    r = k.use(org_id, user=owner)
    assert r.status == 201, r
    assert k.ok(200, "PATCH", base + "/subscription", {"tier": "max"}, owner)["tier"] == "max"
    # a user outside the organization sees nothing of it
    for method, path, body in (("GET", "/entitlements", None), ("GET", "/subscription", None),
                               ("POST", "/subscription", {"tier": "pro"}),
                               ("POST", "/usage", {"metric": "api_calls"}),
                               ("GET", "/usage?metric=api_calls", None)):
        expect_error(k.call(method, base + path, body, stranger), 404, "not_found")
    # tiers are the tenant backend's alone
    expect_error(k.call("GET", "/tiers", None, owner), 403, "forbidden")
    expect_error(k.call("POST", "/tiers", {"key": "x", "name": "x", "interval": "month"}, owner),
                 403, "forbidden")
    expect_error(k.call("PATCH", "/tiers/pro", {"name": "mine"}, owner), 403, "forbidden")
    assert k.ok(200, "DELETE", base + "/subscription", None, owner)["status"] == "canceled"


# --- usage ---------------------------------------------------------------------------

def test_usage_record_is_201_with_used_limit_remaining_and_period_end():
    k = kit()
    org_id = k.metered_org(10)
    r = k.use(org_id, quantity=4)
    assert r.status == 201, r
    j = r.json
    assert set(j) >= USAGE_FIELDS, j
    assert re.match(r"^use_[0-9a-z]+$", j["id"]), j
    assert (j["metric"], j["quantity"], j["used"], j["limit"], j["remaining"]) == \
        ("api_calls", 4, 4, 10, 6), j
    assert j["period_end"] == k.sub(org_id)["current_period_end"], j
    j = k.use(org_id).json  # quantity defaults to 1
    assert (j["quantity"], j["used"], j["remaining"]) == (1, 5, 5), j


def test_usage_validation_is_400_and_records_nothing():
    k = kit()
    org_id = k.metered_org(None)
    path = "/organizations/%s/usage" % org_id
    cases = [
        ({}, "metric"),
        ({"metric": None}, "metric"),
        ({"metric": ""}, "metric"),
        ({"metric": "API_calls"}, "metric"),
        ({"metric": "api-calls"}, "metric"),
        ({"metric": "api calls"}, "metric"),
        ({"metric": "a" * 65}, "metric"),
        ({"metric": 5}, "metric"),
        ({"metric": ["api_calls"]}, "metric"),
        ({"metric": "api_calls", "quantity": 0}, "quantity"),
        ({"metric": "api_calls", "quantity": -1}, "quantity"),
        ({"metric": "api_calls", "quantity": 1000000001}, "quantity"),
        ({"metric": "api_calls", "quantity": 2 ** 63 - 1}, "quantity"),
        ({"metric": "api_calls", "quantity": 10 ** 30}, None),
        ({"metric": "api_calls", "quantity": "1"}, "quantity"),
        ({"metric": "api_calls", "quantity": 1.5}, "quantity"),
        ({"metric": "api_calls", "quantity": True}, "quantity"),
        ({"metric": "api_calls", "quantity": None}, "quantity"),
        ({"metric": "api_calls", "idempotency_key": ""}, "idempotency_key"),
        ({"metric": "api_calls", "idempotency_key": "k" * 256}, "idempotency_key"),
        ({"metric": "api_calls", "idempotency_key": 5}, "idempotency_key"),
        ({"metric": "api_calls", "idempotency_key": "bad\u0001key"}, "idempotency_key"),
        ({"metric": "api_calls", "surprise": 1}, "surprise"),
    ]
    for body, field in cases:
        r = k.call("POST", path, body)
        if field is None:  # an integer jansson cannot hold: refused either way
            assert r.status == 400, (body, r)
            continue
        err = expect_error(r, 400, "validation_failed")
        assert field in err.get("fields", {}), (body, err)
    expect_error(k.call("POST", path, raw=b"[1]"), 400, "validation_failed")
    expect_error(k.call("POST", path, raw=b"{"), 400, "invalid_json")
    expect_error(k.call("POST", path, {"metric": "api_calls"}, content_type="text/plain"),
                 415, "unsupported_media_type")
    assert k.ent(org_id)["usage"] == {"api_calls": 0}
    assert k.history(org_id)["total"] == 0
    # the edges that are allowed
    assert k.use(org_id, "a" * 64, 1000000000).status == 201
    assert k.use(org_id, quantity=1, key="k" * 255).status == 201
    assert k.use(org_id, "x").status == 201
    expect_error(k.call("POST", "/organizations/%s/usage" % UNKNOWN_ORG, {"metric": "api_calls"}),
                 404, "not_found")
    expect_error(k.call("POST", "/organizations/not-an-id/usage", {"metric": "api_calls"}),
                 404, "not_found")


def test_usage_over_the_limit_is_402_with_limit_used_metric_and_nothing_recorded():
    k = kit()
    org_id = k.metered_org(10)
    assert k.use(org_id, quantity=8).status == 201
    err = expect_error(k.use(org_id, quantity=3), 402, "quota_exceeded")
    assert (err["limit"], err["used"], err["metric"]) == (10, 8, "api_calls"), err
    assert k.history(org_id)["total"] == 8
    assert k.ent(org_id)["usage"]["api_calls"] == 8
    r = k.use(org_id, quantity=2)  # exactly to the limit is allowed
    assert r.status == 201 and (r.json["used"], r.json["remaining"]) == (10, 0), r
    err = expect_error(k.use(org_id), 402, "quota_exceeded")
    assert (err["limit"], err["used"]) == (10, 10), err
    h = k.history(org_id)
    assert h["total"] == 10 and sum(d["quantity"] for d in h["series"]) == 10, h
    assert db_rows(k.srv, "SELECT COUNT(*), SUM(quantity) FROM usage_records WHERE"
                   " organization_id = ?", (org_id,))[0] in ([2, 10], ["2", "10"])
    # other metrics are not affected by this one's exhaustion
    assert k.use(org_id, "exports").status == 201
    # a limit of 0 refuses everything
    zero = k.metered_org(0)
    err = expect_error(k.use(zero), 402, "quota_exceeded")
    assert (err["limit"], err["used"]) == (0, 0), err


def test_raising_the_tier_limit_applies_at_once_and_a_refused_key_can_be_retried():
    k = kit()
    t = k.tier(limits={"api_calls": 2})
    org_id, _ = k.org()
    k.subscribe(org_id, t["key"])
    assert k.use(org_id, quantity=2).status == 201
    expect_error(k.use(org_id, key="retry-me"), 402, "quota_exceeded")
    k.ok(200, "PATCH", "/tiers/" + t["key"], {"limits": {"api_calls": 3}})
    r = k.use(org_id, key="retry-me")  # a refused request stored nothing under its key
    assert r.status == 201 and r.json["used"] == 3, r
    r2 = k.use(org_id, key="retry-me")
    assert r2.status == 201 and r2.json["id"] == r.json["id"], r2
    k.ok(200, "PATCH", "/tiers/" + t["key"], {"limits": {"api_calls": 1}})  # lowered below use
    err = expect_error(k.use(org_id), 402, "quota_exceeded")
    assert (err["limit"], err["used"]) == (1, 3), err


def test_unlimited_null_limit_and_metrics_absent_from_limits_are_unlimited():
    k = kit()
    t = k.tier(limits={"api_calls": None, "seats": 3})
    org_id, _ = k.org()
    k.subscribe(org_id, t["key"])
    for metric in ("api_calls", "absent_metric"):
        for i in range(3):
            r = k.use(org_id, metric, 1000000000)
            assert r.status == 201, r
            assert (r.json["limit"], r.json["remaining"], r.json["used"]) == \
                (None, None, (i + 1) * 1000000000), r
    e = k.ent(org_id)
    assert e["limits"] == {"api_calls": None, "seats": 3}, e
    assert e["usage"]["api_calls"] == 3000000000, e
    assert k.history(org_id, "absent_metric")["total"] == 3000000000


def test_idempotency_key_returns_the_first_answer_and_counts_once():
    k = kit()
    org_id = k.metered_org(100)
    first = k.use(org_id, quantity=5, key="evt-1")
    assert first.status == 201 and first.header("Idempotent-Replayed") is None, first
    assert first.json["idempotency_key"] == "evt-1", first
    for _ in range(2):
        again = k.use(org_id, quantity=5, key="evt-1")
        assert again.status == 201, again
        assert again.json == first.json, (again, first)  # the first answer, not a new one
        assert again.header("Idempotent-Replayed") == "true", again.headers
    assert k.ent(org_id)["usage"]["api_calls"] == 5
    assert k.history(org_id)["total"] == 5
    # keys are per organization, and distinct keys count separately
    other = k.metered_org(100)
    o = k.use(other, quantity=5, key="evt-1")
    assert o.status == 201 and o.json["id"] != first.json["id"], o
    assert k.use(org_id, quantity=1, key="evt-2").json["used"] == 6
    assert k.use(org_id, quantity=1).json["used"] == 7  # no key: always counted
    assert k.use(org_id, quantity=1).json["used"] == 8
    # a replay answers even once the quota is gone
    full = k.metered_org(1)
    f = k.use(full, key="only")
    assert f.status == 201
    expect_error(k.use(full), 402, "quota_exceeded")
    assert k.use(full, key="only").json["id"] == f.json["id"]


def test_idempotency_key_reused_with_another_quantity_or_metric_is_409_and_counts_nothing():
    k = kit()
    org_id = k.metered_org(100)
    first = k.use(org_id, quantity=5, key="evt-1")
    assert first.status == 201, first
    for metric, quantity in (("api_calls", 50), ("api_calls", None), ("exports", 5)):
        r = k.use(org_id, metric=metric, quantity=quantity, key="evt-1")
        err = expect_error(r, 409, "idempotency_key_reused")
        assert "idempotency key" in err["message"], err
        assert r.header("Idempotent-Replayed") is None, r.headers
    # the same parameters still replay, and only the first call counted
    again = k.use(org_id, quantity=5, key="evt-1")
    assert again.status == 201 and again.json == first.json, again
    assert again.header("Idempotent-Replayed") == "true", again.headers
    assert k.ent(org_id)["usage"]["api_calls"] == 5
    assert k.history(org_id)["total"] == 5 and k.history(org_id, "exports")["total"] == 0
    # quantity 1 is the default: naming it or not is the same request
    k.use(org_id, key="evt-2")
    r = k.use(org_id, quantity=1, key="evt-2")
    assert r.status == 201 and r.header("Idempotent-Replayed") == "true", r
    expect_error(k.use(org_id, quantity=2, key="evt-2"), 409, "idempotency_key_reused")
    # once the quota is gone: the same request still replays, another is still 409
    full = k.metered_org(1)
    assert k.use(full, key="only").status == 201
    assert k.use(full, key="only").header("Idempotent-Replayed") == "true"
    expect_error(k.use(full, quantity=3, key="only"), 409, "idempotency_key_reused")
    assert k.ent(full)["usage"]["api_calls"] == 1


# --- history -------------------------------------------------------------------------

def test_usage_history_totals_and_per_day_series_with_from_and_to():
    k = kit()
    org_id = k.metered_org(None)
    with same_utc_day() as today:
        ids = [k.use(org_id, quantity=q).json["id"] for q in (1, 2, 4, 8)]
        h = k.history(org_id)
        assert h == {"metric": "api_calls", "total": 15,
                     "series": [{"date": today.isoformat(), "quantity": 15}]}, h
        # move two records into the past, keeping the time of day
        for rid, days in ((ids[0], 2), (ids[1], 1)):
            db_rows(k.srv, "UPDATE usage_records SET created_at = created_at - ? WHERE id = ?",
                    (days * DAY_MS, rid))
        d2, d1 = today - datetime.timedelta(days=2), today - datetime.timedelta(days=1)
        tomorrow = today + datetime.timedelta(days=1)
        q = "&from=%s&to=%s" % (d2.isoformat(), tomorrow.isoformat())
        h = k.history(org_id, query=q)
        assert h["total"] == 15, h
        assert h["series"] == [{"date": d2.isoformat(), "quantity": 1},
                               {"date": d1.isoformat(), "quantity": 2},
                               {"date": today.isoformat(), "quantity": 12}], h
        h = k.history(org_id, query="&from=%sT00:00:00Z&to=%sT00:00:00Z" % (d1, today))  # [from, to)
        assert h["total"] == 2 and h["series"] == [{"date": d1.isoformat(), "quantity": 2}], h
        h = k.history(org_id, query="&from=%s" % d1.isoformat())  # to defaults to now
        assert h["total"] == 14, h
        assert k.history(org_id, "other_metric", q) == {"metric": "other_metric", "total": 0,
                                                        "series": []}
        later = [(today + datetime.timedelta(days=n)).isoformat() for n in (10, 11)]
        assert k.history(org_id, query="&from=%s&to=%s" % tuple(later)) == \
            {"metric": "api_calls", "total": 0, "series": []}
        base = "/organizations/%s/usage" % org_id
        for query, field in (("", "metric"), ("?metric=Bad-Metric", "metric"),
                             ("?metric=api_calls&from=yesterday", "from"),
                             ("?metric=api_calls&from=%s&to=garbage" % d1, "to"),
                             ("?metric=api_calls&from=%s&to=%s" % (today, d1), "to"),
                             ("?metric=api_calls&from=%s&to=%s" % (today, today), "to"),
                             ("?metric=api_calls&from=%s" % later[0], "to"),  # to: now < from
                             ("?metric=api_calls&from=2020-01-01&to=2022-01-01", "to")):
            err = expect_error(k.call("GET", base + query), 400, "validation_failed")
            assert field in err.get("fields", {}), (query, err)


# --- seats ---------------------------------------------------------------------------

def test_seats_limit_refuses_the_accept_beyond_it_with_402_and_adds_no_member():
    k = kit()
    t = k.tier(limits={"seats": 2})
    org_id, owner = k.org()
    k.subscribe(org_id, t["key"])
    k.add_member(org_id)  # owner + 1 = 2 seats
    third = k.register()
    inv = k.ok(201, "POST", "/organizations/%s/invitations" % org_id, {"email": third.email})
    r = k.accept(inv["id"], third)
    err = expect_error(r, 402, "quota_exceeded")
    assert (err["metric"], err["limit"], err["used"]) == ("seats", 2, 2), err
    assert k.ok(200, "GET", "/organizations/" + org_id)["member_count"] == 2
    members = k.ok(200, "GET", "/organizations/%s/members" % org_id)["data"]
    assert third.id not in [m["user"]["id"] for m in members], members
    expect_error(k.call("GET", "/organizations/" + org_id, None, third), 404, "not_found")
    assert k.ent(org_id)["usage"]["seats"] == 2
    # the invitation is still pending: with a larger tier the same accept works
    k.ok(200, "PATCH", "/tiers/" + t["key"], {"limits": {"seats": 3}})
    assert k.accept(inv["id"], third).status == 200
    assert k.ok(200, "GET", "/organizations/" + org_id)["member_count"] == 3
    # unlimited seats (null) and no seats limit at all admit anyone
    k.ok(200, "PATCH", "/tiers/" + t["key"], {"limits": {"seats": None}})
    k.add_member(org_id)
    k.ok(200, "PATCH", "/tiers/" + t["key"], {"limits": {}})
    k.add_member(org_id)
    assert k.ok(200, "GET", "/organizations/" + org_id)["member_count"] == 5


def test_seats_limit_of_the_default_tier_applies_to_unsubscribed_orgs():
    k = kit()
    k.tier("solo", {"seats": 1})
    k.ok(200, "PATCH", "/tenant", {"settings": {"default_tier": "solo"}})
    org_id, _ = k.org()
    second = k.register()
    inv = k.ok(201, "POST", "/organizations/%s/invitations" % org_id, {"email": second.email})
    err = expect_error(k.accept(inv["id"], second), 402, "quota_exceeded")
    assert (err["metric"], err["limit"], err["used"]) == ("seats", 1, 1), err
    assert k.ok(200, "GET", "/organizations/" + org_id)["member_count"] == 1
