"""Billing reads outside write transactions: GET subscription, entitlements
and usage history answer while another connection holds SQLite's write lock
(they read a snapshot and never queue behind writers), and a billing period
that ended is still rolled forward and stored, in a short write of its own,
by the first read after the end. A tier's features and limits are stored as
JSON text (migration 013) and come back as they were sent."""

import json
import sqlite3
import threading
import time

from billkit import Kit, add_months, db_rows, parse_ts, shared_server
from harness import BACKEND, Skip

SHARED = shared_server()


def teardown_module():
    SHARED.stop()


def kit():
    return Kit(SHARED.get())


def hold_write_lock(srv):
    """Another connection holding SQLite's write lock (with an uncommitted
    write) until the returned function is called."""
    conn = sqlite3.connect(srv.database_url[len("sqlite:"):], timeout=10,
                           isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE tenants SET updated_at = updated_at WHERE id = ''")

    def release():
        conn.execute("COMMIT")
        conn.close()
    return release


def test_billing_reads_answer_while_another_connection_holds_the_write_lock():
    if BACKEND != "sqlite":
        raise Skip("SQLite's write lock")
    k = kit()
    k.tier("pro", {"api_calls": 100}, features=["sso"])
    org_id, _ = k.org()
    k.subscribe(org_id, "pro")
    assert k.use(org_id, quantity=3).status == 201
    release = hold_write_lock(k.srv)
    try:
        t0 = time.monotonic()
        s = k.sub(org_id)
        e = k.ent(org_id)
        h = k.history(org_id)
        took = time.monotonic() - t0
    finally:
        release()
    # a write would wait out the 5 s busy timeout (and then answer 503)
    assert took < 2.0, took
    assert s["tier"] == "pro" and s["status"] == "active", s
    assert e["usage"] == {"api_calls": 3} and e["features"] == ["sso"], e
    assert h["total"] == 3, h


def test_a_write_still_waits_for_the_lock_holder_and_then_succeeds():
    if BACKEND != "sqlite":
        raise Skip("SQLite's write lock")
    k = kit()
    k.tier("pro", {"api_calls": 100})
    org_id, _ = k.org()
    k.subscribe(org_id, "pro")
    release = hold_write_lock(k.srv)
    timer = threading.Timer(0.3, release)
    timer.start()
    try:
        t0 = time.monotonic()
        r = k.use(org_id, quantity=1)
        took = time.monotonic() - t0
    finally:
        timer.join()
    assert r.status == 201, r
    assert took >= 0.2, took  # it queued behind the holder, then committed


def test_a_due_period_is_rolled_and_stored_by_the_first_read():
    k = kit()
    k.tier("pro", {"api_calls": 5})
    org_id, _ = k.org()
    k.subscribe(org_id, "pro")
    assert k.use(org_id, quantity=5).status == 201
    now = int(time.time() * 1000)
    anchor = add_months(now, -3)
    db_rows(k.srv, "UPDATE subscriptions SET anchor_at = ?, current_period_start = ?,"
            " current_period_end = ? WHERE organization_id = ?",
            (anchor, anchor, add_months(anchor, 1), org_id))
    e = k.ent(org_id)  # the read finds the period ended: rolls it, reads again
    assert e["usage"] == {"api_calls": 0}, e
    stored = db_rows(k.srv, "SELECT current_period_start, current_period_end FROM subscriptions"
                     " WHERE organization_id = ?", (org_id,))[0]
    assert int(stored[0]) <= now < int(stored[1]), stored
    s = k.sub(org_id)
    assert (parse_ts(s["current_period_start"]), parse_ts(s["current_period_end"])) == \
        (int(stored[0]), int(stored[1])), (s, stored)


def test_tier_features_and_limits_are_stored_as_json_and_read_back_as_sent():
    k = kit()
    features = ["sso", 'say "hi" \\o/', "[beta], {x}: y", "caf\u00e9 \u20ac \U0001F600"]
    t = k.tier("jsonic", {"api_calls": 7, "seats": None, "zero": 0}, features=features)
    assert t["features"] == features and t["limits"] == {"api_calls": 7, "seats": None,
                                                         "zero": 0}, t
    row = db_rows(k.srv, "SELECT features, limits FROM tiers WHERE id = ?", (t["id"],))[0]
    assert json.loads(row[0]) == features, row
    assert json.loads(row[1]) == {"api_calls": 7, "seats": None, "zero": 0}, row
    got = [x for x in k.ok(200, "GET", "/tiers?limit=100")["data"] if x["key"] == "jsonic"]
    assert got and got[0]["features"] == features, got
