"""test_webhooks.py: webhooks end to end (API.md "Webhooks"). saasd delivers
to a real HTTP receiver on loopback (webhook_receiver.py) and every request
is verified with an independent Python implementation of Standard Webhooks
and, when it can be installed, the reference npm package standardwebhooks.

Pins down: endpoint CRUD and validation (http(s) only, known event types and
prefix.* filters, the whsec_ secret shown only at creation), tenant isolation
(404), each documented event type delivered once with the documented
envelope and a valid signature, filters respected, a failing endpoint retried
after ~5 s (by saasd's clock, advanced: ENVIRONMENT=test) until it recovers
with both attempts listed, Retry-After honoured,
410 disabling the endpoint, redirects not followed, manual retry of a failed
delivery only (a pending one may be mid-attempt: 409), the test event,
events written with their change, usage.quota_exceeded once per period (also
when the period's first request is already over the limit, and under racing
refusals). Restart and multi-worker delivery are in test_webhook_workers.py."""
import base64
import calendar
import json
import re
import threading
import time
import uuid
from collections import Counter

from harness import Server, Shared, Skip, expect_error, invitation_token, sanitized
from harness import db_rows as server_rows
from webhook_receiver import Receiver, Reply, node_unavailable_reason, node_verifier, \
    verify_all, verify_python

SHARED = Shared(env={"RATE_LIMIT_PER_MINUTE": "100000000"})
PW = "correct horse 1"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$")
ENDPOINT_FIELDS = {"id", "url", "events", "enabled", "disabled_reason", "created_at"}
DELIVERY_FIELDS = {"id", "event_id", "event_type", "status", "attempts", "last_status_code",
                   "last_error", "next_attempt_at", "delivered_at", "created_at", "attempt_log"}
ATTEMPT_FIELDS = {"attempt", "status_code", "latency_ms", "error", "at"}
UNKNOWN_WHK = "whk_01m8dh9g9msck31bzcx6t5w4sa"  # well-formed, never issued
SLACK = 2.0 if sanitized() else 1.0  # scheduling slack on top of the 1 s worker poll
QUIET = 1.6  # > one worker poll interval: long enough for a due delivery to go out


def teardown_module():
    SHARED.stop()


# --- helpers ----------------------------------------------------------------------

class T:
    """One tenant on the shared server."""

    def __init__(self, name="Hooks"):
        self.srv = SHARED.get()
        self.tenant, self.key = self.srv.create_tenant(name)
        self.id = self.tenant["id"]

    def call(self, method, path, body=None, session=None, **kw):
        return self.srv.request(method, path, body, key=self.key, session=session, **kw)

    def ok(self, status, method, path, body=None, session=None):
        r = self.call(method, path, body, session)
        assert r.status == status, "%s %s: expected %d, got %r" % (method, path, status, r)
        return r.json

    def endpoint(self, url, events=("*",)):
        return self.ok(201, "POST", "/webhooks", {"url": url, "events": list(events)})

    def register(self, email=None):
        email = email or "u.%s@example.com" % uuid.uuid4().hex[:12]
        j = self.ok(201, "POST", "/auth/register", {"email": email, "password": PW})
        return j["user"]["id"], j["session"]["token"], email

    def deliveries(self, ep_id):
        """Every delivery of the endpoint, following the cursor."""
        out, after = [], None
        while True:
            path = "/webhooks/%s/deliveries?limit=100" % ep_id
            if after:
                path += "&after=" + after
            page = self.ok(200, "GET", path)
            assert set(page) == {"data", "has_more", "next_cursor"}, page
            out.extend(page["data"])
            if not page["has_more"]:
                return out
            after = page["next_cursor"]

    def wait_deliveries(self, ep_id, pred, timeout=10.0, what="deliveries"):
        deadline = time.monotonic() + timeout
        while True:
            ds = self.deliveries(ep_id)
            if pred(ds):
                return ds
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for %s: %r" % (what, ds))
            time.sleep(0.1)


def db_rows(sql, params=()):
    """Rows of sql on the shared server's database (? placeholders)."""
    return server_rows(SHARED.get(), sql, params)


def finished(attempts, status_code):
    """Predicate on a deliveries list: the newest delivery has recorded
    attempt number `attempts`, answered with status_code. (The delivery row
    and its attempt log are read by two queries, so a log entry may show
    up while the row still carries the claim's lease: wait for both.)"""
    def pred(ds):
        return bool(ds) and ds[0]["attempts"] == attempts and \
            ds[0]["last_status_code"] == status_code and len(ds[0]["attempt_log"]) == attempts
    return pred


def ms(ts):
    """RFC 3339 UTC (with or without milliseconds) -> epoch milliseconds."""
    m = re.match(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,3}))?Z$", ts)
    assert m, ts
    secs = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
    return secs * 1000 + int((m.group(2) or "0").ljust(3, "0"))


def check_endpoint(j, url, events, enabled=True):
    assert set(j) == ENDPOINT_FIELDS, j
    assert re.match(r"^whk_[0-9a-z]{26}$", j["id"]), j
    assert j["url"] == url and j["events"] == list(events) and j["enabled"] is enabled, j
    assert RFC3339.match(j["created_at"]), j


def check_envelope(p, tenant_id, type_):
    assert set(p) == {"id", "type", "created_at", "tenant_id", "data"}, p
    assert re.match(r"^evt_[0-9a-z]{26}$", p["id"]), p
    assert p["type"] == type_ and p["tenant_id"] == tenant_id, p
    assert RFC3339.match(p["created_at"]), p
    assert isinstance(p["data"], dict), p


# --- endpoints ---------------------------------------------------------------------------

def test_create_shows_a_whsec_secret_once_and_never_again():
    t = T()
    url = "https://hooks.example.com/saasd?x=1"
    j = t.endpoint(url, ["subscription.*", "user.created"])
    secret = j.pop("secret")
    check_endpoint(j, url, ["subscription.*", "user.created"])
    assert j["disabled_reason"] is None, j
    assert secret.startswith("whsec_"), secret
    key = base64.b64decode(secret[len("whsec_"):], validate=True)
    assert len(key) >= 24, len(key)
    other = t.endpoint(url)["secret"]
    assert other != secret
    got = t.ok(200, "GET", "/webhooks/" + j["id"])
    check_endpoint(got, url, ["subscription.*", "user.created"])
    listed = t.ok(200, "GET", "/webhooks")
    assert len(listed["data"]) == 2 and all("secret" not in e for e in listed["data"]), listed
    patched = t.ok(200, "PATCH", "/webhooks/" + j["id"], {"enabled": True})
    assert "secret" not in patched, patched
    for r in (t.call("GET", "/webhooks/" + j["id"]), t.call("GET", "/webhooks"),
              t.call("GET", "/webhooks/%s/deliveries" % j["id"])):
        assert secret not in r.raw and secret[6:] not in r.raw, r
    # nor in the server's log
    assert secret[6:] not in t.srv.logs()


def test_url_must_be_http_or_https():
    t = T()
    for url in ("ftp://example.com/hook", "file:///etc/passwd", "javascript:alert(1)",
                "gopher://example.com", "example.com/hook", "http://", "https:///path",
                "http:// example.com", "HTTP//example.com", "", "ws://example.com/hook",
                "https://example.com/" + "a" * 2100):
        r = t.call("POST", "/webhooks", {"url": url, "events": ["*"]})
        err = expect_error(r, 400, "validation_failed")
        assert "url" in err.get("fields", {}), (url, err)
    for url in (None, 42, ["http://x.test"]):
        r = t.call("POST", "/webhooks", {"url": url, "events": ["*"]})
        expect_error(r, 400, "validation_failed")
    r = t.call("POST", "/webhooks", {"events": ["*"]})
    assert "url" in expect_error(r, 400, "validation_failed")["fields"], r
    for url in ("http://127.0.0.1:9/hook", "https://hooks.example.com/a/b?c=d#e"):
        r = t.call("POST", "/webhooks", {"url": url, "events": ["*"]})
        assert r.status == 201, (url, r)
    # an update is validated the same way and changes nothing when refused
    ep = t.endpoint("https://ok.example.com/")
    expect_error(t.call("PATCH", "/webhooks/" + ep["id"], {"url": "ftp://example.com/"}),
                 400, "validation_failed")
    assert t.ok(200, "GET", "/webhooks/" + ep["id"])["url"] == "https://ok.example.com/"


def test_event_filters_accept_known_types_prefixes_and_star_only():
    t = T()
    url = "https://hooks.example.com/"
    good = [["*"], ["subscription.*"], ["organization.*", "user.created"],
            ["user.created", "organization.created", "organization.member_added",
             "organization.member_removed", "invitation.created", "invitation.accepted",
             "subscription.created", "subscription.updated", "subscription.canceled",
             "usage.quota_exceeded"],
            ["user.*", "invitation.*", "usage.*"]]
    for events in good:
        check_endpoint({k: v for k, v in t.endpoint(url, events).items() if k != "secret"},
                       url, events)
    for events in (["user.deleted"], ["payment.succeeded"], ["subscription"],
                   ["subscriptions.*"], ["sub.*"], ["subscription.created.*"], ["*.created"],
                   ["User.Created"], ["user.created", "nope"], [""], [" user.created"]):
        r = t.call("POST", "/webhooks", {"url": url, "events": events})
        err = expect_error(r, 400, "validation_failed")
        assert any(k.startswith("events") for k in err.get("fields", {})), (events, err)
    for events in ([], "user.created", [1], [None], {"user.created": True}, None,
                   ["user.created"] * 33):
        r = t.call("POST", "/webhooks", {"url": url, "events": events})
        expect_error(r, 400, "validation_failed")
    r = t.call("POST", "/webhooks", {"url": url})
    assert "events" in expect_error(r, 400, "validation_failed")["fields"], r
    # a client cannot choose its own secret, nor slip in other fields
    r = t.call("POST", "/webhooks", {"url": url, "events": ["*"], "secret": "whsec_bWluZQ=="})
    expect_error(r, 400, "validation_failed")
    expect_error(t.call("POST", "/webhooks", raw=b"{", content_type="application/json"),
                 400, "invalid_json")


def test_update_changes_url_events_and_enabled_and_delete_removes():
    t = T()
    ep = t.endpoint("https://a.example.com/", ["user.created"])
    eid = ep["id"]
    j = t.ok(200, "PATCH", "/webhooks/" + eid, {"url": "http://b.example.com/x"})
    check_endpoint(j, "http://b.example.com/x", ["user.created"])
    j = t.ok(200, "PATCH", "/webhooks/" + eid, {"events": ["subscription.*", "usage.*"]})
    check_endpoint(j, "http://b.example.com/x", ["subscription.*", "usage.*"])
    j = t.ok(200, "PATCH", "/webhooks/" + eid, {"enabled": False})
    check_endpoint(j, "http://b.example.com/x", ["subscription.*", "usage.*"], enabled=False)
    check_endpoint(t.ok(200, "GET", "/webhooks/" + eid), "http://b.example.com/x",
                   ["subscription.*", "usage.*"], enabled=False)
    j = t.ok(200, "PATCH", "/webhooks/" + eid, {"enabled": True})
    assert j["enabled"] is True and j["disabled_reason"] is None, j
    for body in ({"events": []}, {"events": ["nope.*"]}, {"enabled": "yes"},
                 {"url": "mailto:x@example.com"}, {"secret": "whsec_x"}):
        expect_error(t.call("PATCH", "/webhooks/" + eid, body), 400, "validation_failed")
    check_endpoint(t.ok(200, "GET", "/webhooks/" + eid), "http://b.example.com/x",
                   ["subscription.*", "usage.*"])
    r = t.call("DELETE", "/webhooks/" + eid)
    assert r.status == 204 and r.raw == "", r
    for method, path in (("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/test"),
                         ("GET", "/deliveries")):
        body = {"enabled": True} if method == "PATCH" else None
        expect_error(t.call(method, "/webhooks/" + eid + path, body), 404, "not_found")
    assert t.ok(200, "GET", "/webhooks")["data"] == []


def test_a_tenant_has_at_most_100_endpoints():
    t = T()
    ids = [t.endpoint("https://example.com/h/%d" % i)["id"] for i in range(100)]
    r = t.call("POST", "/webhooks", {"url": "https://example.com/h/100", "events": ["*"]})
    err = expect_error(r, 409, "conflict")
    assert "100" in err["message"], err
    page = t.ok(200, "GET", "/webhooks?limit=100")
    assert len(page["data"]) == 100 and not page["has_more"], page["has_more"]
    # another tenant is not affected, and deleting one makes room again
    T("Other Hooks").endpoint("https://example.com/other")
    assert t.call("DELETE", "/webhooks/" + ids[0]).status == 204
    t.endpoint("https://example.com/h/again")


def test_the_100_endpoint_cap_is_exact_under_racing_creates():
    """95 endpoints, then 20 creates released at once, eight times over (with
    deletes back to 95 between): each round ends with exactly 100. Its own
    server with many HTTP threads, so the creates really run side by side."""
    with Server(env={"RATE_LIMIT_PER_MINUTE": "100000000", "THREADS": "24"}) as srv:
        _, key = srv.create_tenant("Racing Hooks")

        def create(url):
            return srv.request("POST", "/webhooks", {"url": url, "events": ["*"]}, key=key)
        for i in range(95):
            assert create("https://example.com/r/%d" % i).status == 201
        n = 20
        for round_ in range(8):
            barrier, lock, answers = threading.Barrier(n), threading.Lock(), []

            def race(i):
                barrier.wait()
                r = create("https://example.com/race/%d/%d" % (round_, i))
                with lock:
                    answers.append(r)
            threads = [threading.Thread(target=race, args=(i,)) for i in range(n)]
            for th in threads:
                th.start()
            for th in threads:
                th.join(60)
            assert len(answers) == n, answers
            created = [r for r in answers if r.status == 201]
            for r in answers:
                if r.status != 201:
                    expect_error(r, 409, "conflict")
            count = int(server_rows(srv, "SELECT COUNT(*) FROM webhook_endpoints")[0][0])
            assert (len(created), count) == (5, 100), (round_, len(created), count)
            page = srv.request("GET", "/webhooks?limit=100", key=key).json
            assert len(page["data"]) == 100 and not page["has_more"], round_
            for r in created:
                assert srv.request("DELETE", "/webhooks/" + r.json["id"], key=key).status == 204


def test_list_is_paginated_newest_first():
    t = T()
    ids = [t.endpoint("https://e%d.example.com/" % i)["id"] for i in range(5)]
    seen, after, pages = [], None, 0
    while True:
        path = "/webhooks?limit=2" + ("&after=" + after if after else "")
        page = t.ok(200, "GET", path)
        pages += 1
        seen.extend(e["id"] for e in page["data"])
        if not page["has_more"]:
            break
        after = page["next_cursor"]
    assert seen == list(reversed(ids)), (seen, ids)
    assert pages == 3
    expect_error(t.call("GET", "/webhooks?limit=0"), 400, "validation_failed")
    expect_error(t.call("GET", "/webhooks?limit=101"), 400, "validation_failed")


def test_another_tenants_webhook_is_not_found_and_users_cannot_manage_webhooks():
    a, b = T("A"), T("B")
    ep = a.endpoint("https://a.example.com/")
    eid = ep["id"]
    for method, path, body in (("GET", "", None), ("PATCH", "", {"enabled": False}),
                               ("DELETE", "", None), ("POST", "/test", None),
                               ("GET", "/deliveries", None),
                               ("POST", "/deliveries/dlv_01m8dh9g9msck31bzcx6t5w4sa/retry", None)):
        expect_error(b.call(method, "/webhooks/" + eid + path, body), 404, "not_found")
        expect_error(a.call(method, "/webhooks/" + UNKNOWN_WHK + path, body), 404, "not_found")
        expect_error(a.call(method, "/webhooks/not-an-id" + path, body), 404, "not_found")
    assert b.ok(200, "GET", "/webhooks")["data"] == []
    assert a.ok(200, "GET", "/webhooks/" + eid)["enabled"] is True
    # an end user's session is not the tenant's backend
    _, token, _ = a.register()
    expect_error(a.call("GET", "/webhooks", session=token), 403, "forbidden")
    expect_error(a.call("POST", "/webhooks", {"url": "https://x.example.com/", "events": ["*"]},
                        session=token), 403, "forbidden")
    expect_error(a.srv.request("GET", "/webhooks"), 401, "missing_api_key")


# --- events ---------------------------------------------------------------------------------

def test_every_event_type_is_delivered_once_signed_with_the_documented_envelope():
    t = T()
    with Receiver() as rx:
        all_ep = t.endpoint(rx.url("/all"), ["*"])
        subs_ep = t.endpoint(rx.url("/subs"), ["subscription.*"])
        added_ep = t.endpoint(rx.url("/added"), ["organization.member_added"])
        off_ep = t.endpoint(rx.url("/off"), ["*"])
        t.ok(200, "PATCH", "/webhooks/" + off_ep["id"], {"enabled": False})

        owner_id, owner_tok, owner_email = t.register()
        # a refused change emits nothing: the same email again is 409
        expect_error(t.call("POST", "/auth/register", {"email": owner_email, "password": PW}),
                     409, "email_taken")
        org = t.ok(201, "POST", "/organizations", {"name": "Webhook Org"}, owner_tok)
        bob_id, bob_tok, bob_email = t.register()
        inv = t.ok(201, "POST", "/organizations/%s/invitations" % org["id"],
                   {"email": bob_email, "role": "member"})
        t.ok(200, "POST", "/invitations/%s/accept" % inv["id"],
             {"token": invitation_token(t.srv, inv["id"])}, bob_tok)
        r = t.call("DELETE", "/organizations/%s/members/%s" % (org["id"], bob_id))
        assert r.status == 204, r
        big = "big_" + uuid.uuid4().hex[:8]
        small = "small_" + uuid.uuid4().hex[:8]
        for key, limit in ((big, 100), (small, 2)):
            t.ok(201, "POST", "/tiers", {"key": key, "name": key, "interval": "month",
                                         "features": [], "limits": {"api_calls": limit}})
        sub = t.ok(201, "POST", "/organizations/%s/subscription" % org["id"], {"tier": big})
        t.ok(200, "PATCH", "/organizations/%s/subscription" % org["id"], {"tier": small})
        for _ in range(2):
            t.ok(201, "POST", "/organizations/%s/usage" % org["id"], {"metric": "api_calls"})
        for _ in range(3):  # over the limit three times: announced once
            r = t.call("POST", "/organizations/%s/usage" % org["id"], {"metric": "api_calls"})
            expect_error(r, 402, "quota_exceeded")
        t.ok(200, "DELETE", "/organizations/%s/subscription" % org["id"])

        want = ["user.created", "user.created", "organization.created",
                "organization.member_added", "organization.member_added",
                "invitation.created", "invitation.accepted", "organization.member_removed",
                "subscription.created", "subscription.updated", "usage.quota_exceeded",
                "subscription.canceled"]
        got = rx.wait_types("/all", want, timeout=10 + SLACK)
        rx.wait_types("/subs", ["subscription.created", "subscription.updated",
                                "subscription.canceled"])
        rx.wait_types("/added", ["organization.member_added"] * 2)
        got = rx.requests("/all")
        assert sorted(r.type for r in got) == sorted(want), [r.type for r in got]
        assert sorted(r.type for r in rx.requests("/subs")) == sorted(
            ["subscription.created", "subscription.updated", "subscription.canceled"])
        assert [r.type for r in rx.requests("/added")] == ["organization.member_added"] * 2
        assert rx.requests("/off") == []
        # each event once per endpoint; the same event id at every endpoint
        assert all(n == 1 for n in rx.ids("/all").values()), rx.ids("/all")
        assert set(rx.ids("/subs")) <= set(rx.ids("/all"))

        payloads, with_node = verify_all(all_ep["secret"], got)
        verify_all(subs_ep["secret"], rx.requests("/subs"))
        verify_all(added_ep["secret"], rx.requests("/added"))
        for r in rx.requests("/subs"):  # another endpoint's secret does not verify
            try:
                verify_python(all_ep["secret"], r.headers, r.body)
                raise AssertionError("verified with the wrong endpoint's secret")
            except AssertionError as e:
                assert "no v1 signature" in str(e), e
        now = time.time()
        by_type = {}
        for r, p in zip(got, payloads):
            check_envelope(p, t.id, r.type)
            assert r.headers["webhook-id"] == p["id"], (r.headers, p)
            assert abs(int(r.headers["webhook-timestamp"]) - now) < 60, r.headers
            assert r.headers["webhook-signature"].startswith("v1,"), r.headers
            assert r.headers["content-type"].startswith("application/json"), r.headers
            by_type.setdefault(p["type"], []).append(p["data"])

        users = {d["user"]["id"]: d["user"] for d in by_type["user.created"]}
        assert set(users) == {owner_id, bob_id}, users
        assert users[owner_id]["email"] == owner_email, users
        assert "password" not in str(users) and "hash" not in str(users)
        o = by_type["organization.created"][0]["organization"]
        assert o["id"] == org["id"] and o["owner_id"] == owner_id and o["name"] == "Webhook Org", o
        added = sorted((d["organization_id"], d["user_id"], d["role"])
                       for d in by_type["organization.member_added"])
        assert added == sorted([(org["id"], owner_id, "owner"), (org["id"], bob_id, "member")])
        removed = by_type["organization.member_removed"][0]
        assert (removed["organization_id"], removed["user_id"]) == (org["id"], bob_id), removed
        ic = by_type["invitation.created"][0]["invitation"]
        assert ic["id"] == inv["id"] and ic["email"] == bob_email, ic
        assert ic["organization_id"] == org["id"] and ic["role"] == "member", ic
        ia = by_type["invitation.accepted"][0]
        assert ia["invitation"]["id"] == inv["id"] and ia["user_id"] == bob_id, ia
        s_created = by_type["subscription.created"][0]["subscription"]
        assert s_created["id"] == sub["id"] and s_created["tier"] == big, s_created
        assert s_created["organization_id"] == org["id"], s_created
        assert by_type["subscription.updated"][0]["subscription"]["tier"] == small
        assert by_type["subscription.canceled"][0]["subscription"]["status"] == "canceled"
        q = by_type["usage.quota_exceeded"][0]
        assert q == {"organization_id": org["id"], "metric": "api_calls", "limit": 2,
                     "used": 2}, q
        # the deliveries list says the same: one attempt each, answered 200
        ds = t.wait_deliveries(all_ep["id"], lambda ds: len(ds) == len(want) and all(
            d["status"] == "delivered" for d in ds), what="every delivery recorded")
        assert len(ds) == len(want), ds
        for d in ds:
            assert set(d) == DELIVERY_FIELDS, d
            assert d["status"] == "delivered" and d["attempts"] == 1, d
            assert d["last_status_code"] == 200 and d["next_attempt_at"] is None, d
            assert RFC3339.match(d["delivered_at"]) and d["last_error"] is None, d
            assert len(d["attempt_log"]) == 1, d
            a = d["attempt_log"][0]
            assert set(a) == ATTEMPT_FIELDS, a
            assert a["attempt"] == 1 and a["status_code"] == 200 and a["error"] is None, a
            assert isinstance(a["latency_ms"], int) and a["latency_ms"] >= 0, a
        assert sorted(d["event_type"] for d in ds) == sorted(want)
        assert {d["event_id"] for d in ds} == set(rx.ids("/all"))
        print("    (signatures checked in Python%s)" % (
            " and with the npm package standardwebhooks" if with_node else
            "; npm package unavailable: " + str(node_unavailable_reason())))


def test_signatures_verify_with_the_standardwebhooks_npm_package():
    nv = node_verifier()
    if nv is None:
        raise Skip("npm package standardwebhooks unavailable (%s); signatures are still "
                   "checked in Python by every other webhook test" % node_unavailable_reason())
    t = T()
    with Receiver() as rx:
        ep = t.endpoint(rx.url("/n"), ["user.*"])
        # non-ASCII and escapes in the payload: bytes must be signed as sent
        t.ok(201, "POST", "/auth/register", {"email": "zo\u00eb.%s@example.com" %
                                             uuid.uuid4().hex[:6], "password": PW,
                                             "name": "Zo\u00eb \"Q\" \\ \u2603 </script>"})
        t.ok(202, "POST", "/webhooks/%s/test" % ep["id"])
        got = rx.wait_count("/n", 2)
        results = nv.verify([(ep["secret"], r.headers, r.body) for r in got])
        assert all(res["ok"] for res in results), results
        assert {res["payload"]["type"] for res in results} == {"user.created", "webhook.test"}
        names = [res["payload"]["data"]["user"]["name"] for res in results
                 if res["payload"]["type"] == "user.created"]
        assert names == ["Zo\u00eb \"Q\" \\ \u2603 </script>"], names
        # and the package does refuse what is wrong: the check is not a no-op
        r = got[0]
        other = t.endpoint(rx.url("/other"))["secret"]
        h_old = dict(r.headers, **{"webhook-timestamp": str(int(time.time()) - 3600)})
        h_id = dict(r.headers, **{"webhook-id": r.headers["webhook-id"] + "x"})
        bad = nv.verify([(ep["secret"], r.headers, r.body + b" "),
                         (other, r.headers, r.body),
                         (ep["secret"], h_old, r.body),
                         (ep["secret"], h_id, r.body)])
        assert [b["ok"] for b in bad] == [False] * 4, bad


def test_test_event_reaches_only_that_endpoint():
    t = T()
    with Receiver() as rx:
        a = t.endpoint(rx.url("/a"), ["subscription.*"])
        b = t.endpoint(rx.url("/b"), ["*"])
        r = t.call("POST", "/webhooks/%s/test" % a["id"])
        assert r.status == 202, r
        assert r.json["status"] == "queued" and re.match(r"^evt_", r.json["event_id"]), r
        got = rx.wait_count("/a", 1)
        p = verify_all(a["secret"], got)[0][0]
        check_envelope(p, t.id, "webhook.test")
        assert p["id"] == r.json["event_id"] and p["data"]["endpoint_id"] == a["id"], p
        # deliveries are written with the event: none was ever queued for b
        assert t.deliveries(b["id"]) == [] and rx.requests("/b") == []
        assert len(rx.requests("/a")) == 1 and len(t.deliveries(a["id"])) == 1
        # a disabled endpoint gets no test event
        t.ok(200, "PATCH", "/webhooks/" + b["id"], {"enabled": False})
        expect_error(t.call("POST", "/webhooks/%s/test" % b["id"]), 409, "conflict")


# --- delivery outcomes -----------------------------------------------------------------------

def test_failing_endpoint_is_retried_after_about_5_s_and_recovers():
    t = T()
    with Receiver() as rx:
        rx.script("/flaky", Reply(500, delay=0.2))
        ep = t.endpoint(rx.url("/flaky"), ["webhook.test"])
        t.ok(202, "POST", "/webhooks/%s/test" % ep["id"])
        first = rx.wait_count("/flaky", 1)[0]
        assert first.status == 500
        ds = t.wait_deliveries(ep["id"], finished(1, 500), what="the first attempt recorded")
        d = ds[0]
        assert d["status"] == "pending" and d["attempts"] == 1, d
        assert d["last_status_code"] == 500 and RFC3339.match(d["next_attempt_at"]), d
        assert d["attempt_log"][0]["status_code"] == 500, d
        assert d["attempt_log"][0]["latency_ms"] >= 200, d  # the receiver's 0.2 s
        # the retry is scheduled 5 s +-10% after the attempt ended
        delay = ms(d["next_attempt_at"]) - ms(d["attempt_log"][0]["at"])
        assert 4500 <= delay <= 5500, delay
        # not before it is due (the >= 4.5 s gap by saasd's clock below says so too) ...
        assert rx.quiet("/flaky", 0.5) == [] and len(rx.requests("/flaky")) == 1
        # ... and at once when saasd's clock (ENVIRONMENT=test) passes it
        SHARED.get().advance_clock(6)
        second = rx.wait_count("/flaky", 2, timeout=1 + SLACK + 3)[1]
        assert second.id == first.id
        verify_all(ep["secret"], [first, second])
        ds = t.wait_deliveries(ep["id"], lambda ds: ds[0]["status"] == "delivered",
                               what="delivered on the second attempt")
        d = ds[0]
        assert d["attempts"] == 2 and d["last_status_code"] == 200 and d["last_error"] is None, d
        assert d["next_attempt_at"] is None and RFC3339.match(d["delivered_at"]), d
        log = d["attempt_log"]
        assert [(a["attempt"], a["status_code"]) for a in log] == [(1, 500), (2, 200)], log
        assert all(isinstance(a["latency_ms"], int) and a["latency_ms"] >= 0 for a in log), log
        assert all(RFC3339.match(a["at"]) for a in log), log
        assert ms(log[1]["at"]) - ms(log[0]["at"]) >= 4500, log  # by saasd's clock
        assert len(rx.requests("/flaky")) == 2


def test_retry_after_is_honoured_instead_of_the_5_s_backoff():
    t = T()
    with Receiver() as rx:
        rx.script("/busy", Reply(503, {"Retry-After": "2"}))
        ep = t.endpoint(rx.url("/busy"), ["webhook.test"])
        t.ok(202, "POST", "/webhooks/%s/test" % ep["id"])
        # while it waits, the retry is scheduled exactly 2 s after the attempt
        d = t.wait_deliveries(ep["id"], finished(1, 503), what="the first attempt recorded")[0]
        assert d["status"] == "pending", d
        assert ms(d["next_attempt_at"]) - ms(d["attempt_log"][0]["at"]) == 2000, d
        assert len(rx.requests("/busy")) == 1
        # 2 s on saasd's clock (ENVIRONMENT=test) make it due; the 4.5..5.5 s
        # backoff would still need more than 2 s of real time
        SHARED.get().advance_clock(2)
        rx.wait_count("/busy", 2, timeout=2.0)
        ds = t.wait_deliveries(ep["id"], lambda ds: ds[0]["status"] == "delivered")
        log = ds[0]["attempt_log"]
        assert [(a["attempt"], a["status_code"]) for a in log] == [(1, 503), (2, 200)], log
        assert 2000 <= ms(log[1]["at"]) - ms(log[0]["at"]) < 4450, log


def test_410_gone_disables_the_endpoint_and_nothing_more_is_sent():
    t = T()
    with Receiver() as rx:
        rx.script("/gone", Reply(410))
        ep = t.endpoint(rx.url("/gone"), ["*"])
        t.register()
        rx.wait_count("/gone", 1)
        j = t.wait_deliveries(ep["id"], lambda ds: ds and ds[0]["status"] == "failed",
                              what="the delivery failed")[0]
        assert j["last_status_code"] == 410 and j["attempts"] == 1, j
        e = t.ok(200, "GET", "/webhooks/" + ep["id"])
        assert e["enabled"] is False and e["disabled_reason"], e
        t.register()
        t.ok(201, "POST", "/organizations", {"name": "X", "owner_id": t.register()[0]})
        assert len(t.deliveries(ep["id"])) == 1  # nothing queued while disabled
        assert len(rx.requests("/gone")) == 1
        expect_error(t.call("POST", "/webhooks/%s/test" % ep["id"]), 409, "conflict")
        # enabled again by the tenant: new events flow
        e = t.ok(200, "PATCH", "/webhooks/" + ep["id"], {"enabled": True})
        assert e["enabled"] is True and e["disabled_reason"] is None, e
        t.register()
        got = rx.wait_count("/gone", 2)
        assert verify_all(ep["secret"], got[1:])[0][0]["type"] == "user.created"


def test_redirect_is_not_followed_and_counts_as_a_failure():
    t = T()
    with Receiver() as rx:
        rx.script("/moved", Reply(302, {"Location": rx.url("/target")}))
        rx.script("/moved", Reply(307, {"Location": rx.url("/target")}))
        ep = t.endpoint(rx.url("/moved"), ["webhook.test"])
        t.ok(202, "POST", "/webhooks/%s/test" % ep["id"])
        rx.wait_count("/moved", 1)
        d = t.wait_deliveries(ep["id"], finished(1, 302))[0]
        assert d["status"] == "pending" and d["last_status_code"] == 302, d
        assert d["attempt_log"][0]["status_code"] == 302, d
        # a followed redirect would have happened inside the recorded attempt
        assert rx.requests("/target") == [] and len(rx.requests("/moved")) == 1


def test_a_failed_delivery_is_retried_by_hand():
    t = T()
    with Receiver() as rx:
        rx.script("/manual", Reply(500), Reply(500))
        ep = t.endpoint(rx.url("/manual"), ["webhook.test"])
        ev = t.ok(202, "POST", "/webhooks/%s/test" % ep["id"])["event_id"]
        rx.wait_count("/manual", 1)
        d = t.wait_deliveries(ep["id"], finished(1, 500))[0]
        assert d["status"] == "pending" and d["event_id"] == ev, d
        # skip ahead to the last attempt of the schedule, due now
        db_rows("UPDATE webhook_deliveries SET attempts = 6, next_attempt_at = 0 WHERE id = ?",
                (d["id"],))
        rx.wait_count("/manual", 2, timeout=2 + SLACK)
        d = t.wait_deliveries(ep["id"], lambda ds: ds[0]["status"] == "failed",
                              what="given up after the last attempt")[0]
        assert d["attempts"] == 7 and d["last_status_code"] == 500, d
        assert d["next_attempt_at"] is None, d
        assert len(rx.requests("/manual")) == 2
        # unknown or foreign delivery ids are 404
        other = t.endpoint(rx.url("/other"), ["webhook.test"])
        for path in ("/webhooks/%s/deliveries/%s/retry" % (other["id"], d["id"]),
                     "/webhooks/%s/deliveries/dlv_01m8dh9g9msck31bzcx6t5w4sa/retry" % ep["id"],
                     "/webhooks/%s/deliveries/%s/retry" % (UNKNOWN_WHK, d["id"])):
            expect_error(t.call("POST", path), 404, "not_found")
        r = t.call("POST", "/webhooks/%s/deliveries/%s/retry" % (ep["id"], d["id"]))
        assert r.status == 202 and r.json == {"status": "queued"}, r
        got = rx.wait_count("/manual", 3, timeout=2 + SLACK)
        assert got[2].status == 200 and got[2].id == ev
        verify_all(ep["secret"], got)
        d = t.wait_deliveries(ep["id"], lambda ds: ds[0]["status"] == "delivered")[0]
        assert d["attempts"] == 8 and d["last_status_code"] == 200, d
        assert d["attempt_log"][-1]["status_code"] == 200, d
        # a delivered delivery is not sent again by hand
        r = t.call("POST", "/webhooks/%s/deliveries/%s/retry" % (ep["id"], d["id"]))
        expect_error(r, 409, "conflict")
        assert rx.quiet("/manual", QUIET) == [] and len(rx.requests("/manual")) == 3


def test_deleting_an_endpoint_drops_its_pending_deliveries():
    t = T()
    with Receiver() as rx:
        rx.script("/del", Reply(503, {"Retry-After": "2"}))
        ep = t.endpoint(rx.url("/del"), ["webhook.test"])
        t.ok(202, "POST", "/webhooks/%s/test" % ep["id"])
        rx.wait_count("/del", 1)
        t.wait_deliveries(ep["id"], finished(1, 503))
        r = t.call("DELETE", "/webhooks/" + ep["id"])
        assert r.status == 204, r
        SHARED.get().advance_clock(3)  # the retry was due 2 s after the first try
        assert rx.quiet("/del", QUIET) == []
        assert len(rx.requests("/del")) == 1
        assert db_rows("SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ?",
                       (ep["id"],))[0][0] in (0, "0")


def test_events_are_recorded_with_the_change_in_one_transaction():
    """An event row exists exactly when its change committed: a refused
    registration or invitation leaves no event behind."""
    t = T()
    uid, tok, email = t.register()
    org = t.ok(201, "POST", "/organizations", {"name": "Tx"}, tok)
    expect_error(t.call("POST", "/auth/register", {"email": email, "password": PW}),
                 409, "email_taken")
    expect_error(t.call("POST", "/organizations/%s/invitations" % org["id"],
                        {"email": "not-an-email"}), 400, "validation_failed")
    rows = db_rows("SELECT type FROM webhook_events WHERE tenant_id = ? ORDER BY id", (t.id,))
    types = Counter(r[0] for r in rows)
    assert types == Counter({"user.created": 1, "organization.created": 1,
                             "organization.member_added": 1}), types


def test_quota_exceeded_is_announced_once_even_when_the_first_request_is_over_the_limit():
    """The period's very first usage request already goes over the limit
    (quantity 3, limit 2): nothing is recorded, and usage.quota_exceeded
    must still go out, once."""
    t = T()
    with Receiver() as rx:
        ep = t.endpoint(rx.url("/q"), ["usage.*"])
        uid, tok, _ = t.register()
        org = t.ok(201, "POST", "/organizations", {"name": "Q"}, tok)
        key = "q_" + uuid.uuid4().hex[:8]
        t.ok(201, "POST", "/tiers", {"key": key, "name": key, "interval": "month",
                                     "features": [], "limits": {"api_calls": 2}})
        t.ok(201, "POST", "/organizations/%s/subscription" % org["id"], {"tier": key})
        for _ in range(2):
            r = t.call("POST", "/organizations/%s/usage" % org["id"],
                       {"metric": "api_calls", "quantity": 3})
            expect_error(r, 402, "quota_exceeded")
        rows = db_rows("SELECT payload FROM webhook_events WHERE tenant_id = ? AND type = ?",
                       (t.id, "usage.quota_exceeded"))
        assert len(rows) == 1, "usage.quota_exceeded events: %r" % rows
        got = rx.wait_types("/q", ["usage.quota_exceeded"])
        p = verify_all(ep["secret"], got)[0][0]
        check_envelope(p, t.id, "usage.quota_exceeded")
        assert p["data"]["organization_id"] == org["id"] and p["data"]["limit"] == 2, p
        assert p["data"]["metric"] == "api_calls" and p["data"]["used"] == 0, p
        # a later refusal in the same period is not announced again
        r = t.call("POST", "/organizations/%s/usage" % org["id"], {"metric": "api_calls"})
        assert r.status == 201, r
        expect_error(t.call("POST", "/organizations/%s/usage" % org["id"],
                            {"metric": "api_calls", "quantity": 2}), 402, "quota_exceeded")
        assert len(db_rows("SELECT id FROM webhook_events WHERE tenant_id = ? AND type = ?",
                           (t.id, "usage.quota_exceeded"))) == 1
        # racing refusals on a fresh organization: still announced once
        org2 = t.ok(201, "POST", "/organizations", {"name": "Q2"}, tok)
        t.ok(201, "POST", "/organizations/%s/subscription" % org2["id"], {"tier": key})
        results = []

        def over():
            results.append(t.call("POST", "/organizations/%s/usage" % org2["id"],
                                  {"metric": "api_calls", "quantity": 5}).status)
        threads = [threading.Thread(target=over) for _ in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(30)
        assert results == [402] * 8, results
        rows = db_rows("SELECT payload FROM webhook_events WHERE tenant_id = ? AND type = ?",
                       (t.id, "usage.quota_exceeded"))
        orgs = Counter(json.loads(r[0])["data"]["organization_id"] for r in rows)
        assert orgs == Counter({org["id"]: 1, org2["id"]: 1}), orgs


def test_a_delivery_in_flight_or_waiting_cannot_be_retried_by_hand():
    """Only a failed delivery goes back in the queue by hand. A pending one
    may be in the middle of an attempt: making it due again had a second
    worker post the same event at the same time, and the first attempt,
    fenced out, vanished from the attempt log."""
    t = T()
    with Receiver() as rx:
        rx.script("/slow", Reply(500, delay=2.0))
        ep = t.endpoint(rx.url("/slow"), ["webhook.test"])
        t.ok(202, "POST", "/webhooks/%s/test" % ep["id"])
        rx.wait_count("/slow", 1)  # the attempt is in progress (answer in 2 s)
        d = t.deliveries(ep["id"])[0]
        assert d["status"] == "pending", d
        r = t.call("POST", "/webhooks/%s/deliveries/%s/retry" % (ep["id"], d["id"]))
        expect_error(r, 409, "conflict")
        d = t.wait_deliveries(ep["id"], finished(1, 500), timeout=5 + SLACK)[0]
        assert len(rx.requests("/slow")) == 1, rx.requests("/slow")
        # waiting for its retry: refused too, and the schedule is kept
        r = t.call("POST", "/webhooks/%s/deliveries/%s/retry" % (ep["id"], d["id"]))
        expect_error(r, 409, "conflict")
        after = t.deliveries(ep["id"])[0]
        assert after["next_attempt_at"] == d["next_attempt_at"] and after["attempts"] == 1, after
        assert len(rx.requests("/slow")) == 1


def test_a_period_end_seen_later_announces_cancel_and_renewal_once():
    """Periods roll forward lazily, on the next read after they end. That
    read announces the change once, even when several reads race:
    cancel-at-period-end -> subscription.canceled, a renewal (or the end of
    a trial) -> subscription.updated."""
    t = T()
    uid, tok, _ = t.register()
    key = "p_" + uuid.uuid4().hex[:8]
    t.ok(201, "POST", "/tiers", {"key": key, "name": key, "interval": "month"})
    orgs = [t.ok(201, "POST", "/organizations", {"name": n}, tok)["id"] for n in ("C", "R")]
    for org in orgs:
        t.ok(201, "POST", "/organizations/%s/subscription" % org, {"tier": key})
    t.ok(200, "DELETE", "/organizations/%s/subscription?at_period_end=true" % orgs[0])
    past = int(time.time() * 1000) - 3600 * 1000
    for org in orgs:
        db_rows("UPDATE subscriptions SET current_period_end = ? WHERE organization_id = ?",
                (past, org))
    statuses = []

    def read(org):
        statuses.append(t.call("GET", "/organizations/%s/subscription" % org).json["status"])
    threads = [threading.Thread(target=read, args=(orgs[i % 2],)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert sorted(statuses) == ["active"] * 4 + ["canceled"] * 4, statuses
    rows = db_rows("SELECT type, payload FROM webhook_events WHERE tenant_id = ?"
                   " AND type IN ('subscription.canceled', 'subscription.updated')", (t.id,))
    seen = Counter((r[0], json.loads(r[1])["data"]["subscription"]["organization_id"])
                   for r in rows)
    assert seen[("subscription.canceled", orgs[0])] == 1, rows
    renewals = [r for r in rows if r[0] == "subscription.updated"
                and json.loads(r[1])["data"]["subscription"]["organization_id"] == orgs[1]]
    assert len(renewals) == 1, rows
    assert ms(json.loads(renewals[0][1])["data"]["subscription"]["current_period_end"]) > \
        time.time() * 1000, renewals
