"""test_rate_limit.py: per-tenant rate limiting, /metrics and traceparent on
one node (API.md "Rate limiting", "Health and operations", "Conventions").
Shared multi-node limits through Redis are in test_multinode.py.

Pins down: RateLimit-Limit/Remaining/Reset on every answer to a call with a
valid key, errors included, and on nothing else (/health, /metrics, admin,
key errors); a tenant's rate_limit_per_minute admits exactly that many calls
and then answers 429 rate_limited with an integer Retry-After >= 1, and the
refused call does nothing; other tenants are unaffected; RATE_LIMIT_PER_MINUTE
is the default; a setting changed on this node (PATCH /tenant or the admin
route) applies to the very next call, on other nodes within the key cache's 2 s;
with REDIS_URL the counts live in Redis; an unreachable REDIS_URL fails
open to the node's own limiter. /metrics is
Prometheus text with route templates (never raw ids), latency histograms,
rejections, deliveries by outcome, outbox depth, store errors, RSS and open
connections, behind METRICS_TOKEN when set. A valid traceparent's trace id
is on every log line of the request and of the webhook delivery it causes,
and the delivery carries it on in its own traceparent.

The module's server runs with RATE_LIMIT_PER_MINUTE=20; setup goes through
the admin routes (not rate limited) so each tenant's budget is exact. Every
test needs far less than a minute, and a burst that straddles a window edge
still counts the same (the previous window weighs ~1 just after it)."""
import re
import time
import uuid

from billkit import db_rows
from harness import Server, Shared, expect_error, free_port, sanitized, wait_for
from rediskit import Redis, rate_limit_count, require_redis_server
from webhook_receiver import Receiver

DEFAULT_LIMIT = 20
METRICS_TOKEN = "mt_" + uuid.uuid4().hex
SHARED = Shared(env={"RATE_LIMIT_PER_MINUTE": str(DEFAULT_LIMIT), "METRICS_TOKEN": METRICS_TOKEN})
PW = "correct horse 1"
UNKNOWN_ORG = "org_01m8dh9g9msck31bzcx6t5w4sa"  # well-formed, never issued
RL_HEADERS = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset")
SLOW = 2.0 if sanitized() else 1.0


def teardown_module():
    SHARED.stop()


def tenant(srv, limit=None, name="Limited"):
    """(tenant, key), with rate_limit_per_minute set through the admin route
    before the key is first used (so the key cache starts with it)."""
    t, key = srv.create_tenant(name)
    if limit is not None:
        r = srv.admin("PATCH", "/admin/tenants/" + t["id"],
                      {"settings": {"rate_limit_per_minute": limit}})
        assert r.status == 200, r
        assert r.json["settings"]["rate_limit_per_minute"] == limit, r
    return t, key


def rl(resp):
    """(limit, remaining, reset) as ints; asserts all three are plain integers."""
    vals = []
    for h in RL_HEADERS:
        v = resp.header(h)
        assert v is not None and re.fullmatch(r"\d+", v), "%s: %r in %r" % (h, v, resp.headers)
        vals.append(int(v))
    return tuple(vals)


def no_rl(resp):
    for h in RL_HEADERS + ("retry-after",):
        assert resp.header(h) is None, "unexpected %s on %r: %r" % (h, resp, resp.headers)


def expect_error_resp(resp, status, code):
    expect_error(resp, status, code)
    return resp


def check_429(resp, limit):
    expect_error(resp, 429, "rate_limited")
    lim, remaining, reset = rl(resp)
    assert (lim, remaining) == (limit, 0), resp.headers
    assert 1 <= reset <= 60, resp.headers
    ra = resp.header("Retry-After")
    assert ra is not None and re.fullmatch(r"[1-9]\d*", ra), "Retry-After %r" % ra
    # at most until the previous window has fully decayed
    assert int(ra) <= 120, ra
    return int(ra)


# --- headers ----------------------------------------------------------------------

def test_ratelimit_headers_on_every_answer_to_a_valid_key_including_errors():
    srv = SHARED.get()
    _, key = tenant(srv)
    calls = [
        (200, None, dict(method="GET", path="/tenant")),
        (404, "not_found", dict(method="GET", path="/organizations/" + UNKNOWN_ORG)),
        (404, "not_found", dict(method="GET", path="/no/such/route")),
        (405, "method_not_allowed", dict(method="PUT", path="/tenant")),
        (400, "validation_failed", dict(method="POST", path="/organizations", body={})),
        (400, "invalid_json", dict(method="POST", path="/organizations", raw=b"{nope")),
        (415, "unsupported_media_type", dict(method="POST", path="/organizations",
                                             raw=b"{}", content_type="text/plain")),
        (401, "invalid_session", dict(method="GET", path="/auth/session")),
        (401, "invalid_session", dict(method="GET", path="/tenant", session="A" * 43)),
        (403, "forbidden", None),  # filled in below: a user on a system-only route
    ]
    reg = srv.request("POST", "/auth/register",
                      {"email": "h.%s@example.com" % uuid.uuid4().hex[:8], "password": PW}, key=key)
    assert reg.status == 201, reg
    calls[-1] = (403, "forbidden", dict(method="GET", path="/api-keys",
                                        session=reg.json["session"]["token"]))
    lim, remaining, reset = rl(reg)
    assert lim == DEFAULT_LIMIT and remaining == DEFAULT_LIMIT - 1, reg.headers
    for status, code, kw in calls:
        kw = dict(kw)
        r = srv.request(kw.pop("method"), kw.pop("path"), key=key, **kw)
        if code is None:
            assert r.status == status, r
        else:
            expect_error(r, status, code)
        lim, left, reset = rl(r)
        # each call counts once, whatever its outcome
        assert (lim, left) == (DEFAULT_LIMIT, remaining - 1), (r, r.headers, remaining)
        assert 1 <= reset <= 60, r.headers
        assert r.header("Retry-After") is None, r.headers
        remaining = left


def test_no_ratelimit_headers_without_a_valid_key():
    srv = SHARED.get()
    _, key = tenant(srv)
    for r in (srv.request("GET", "/health"),
              srv.request("GET", "/health", key=key),  # a key does not make /health a tenant call
              srv.request("GET", "/metrics", key=METRICS_TOKEN),
              srv.admin("GET", "/admin/tenants")):
        assert r.status == 200, r
        no_rl(r)
    no_rl(expect_error_resp(srv.request("GET", "/tenant"), 401, "missing_api_key"))
    no_rl(expect_error_resp(srv.request("GET", "/tenant", key="sk_live_" + "A" * 43),
                            401, "invalid_api_key"))
    # a route that does not exist stays 404/405 with a bad or no key
    for bad in (None, "sk_live_" + "A" * 43, "nope"):
        no_rl(expect_error_resp(srv.request("GET", "/no/such/route", key=bad), 404, "not_found"))
        no_rl(expect_error_resp(srv.request("PUT", "/tenant", key=bad), 405,
                                "method_not_allowed"))
    # the key is still untouched: all of its budget is left
    assert rl(srv.request("GET", "/tenant", key=key))[1] == DEFAULT_LIMIT - 1


# --- limits -------------------------------------------------------------------------

def test_tenant_limit_of_30_admits_exactly_30_then_429_with_retry_after():
    srv = SHARED.get()
    t, key = tenant(srv, limit=30)
    for i in range(30):
        r = srv.request("GET", "/tenant", key=key)
        assert r.status == 200, (i, r)
        lim, remaining, reset = rl(r)
        assert (lim, remaining) == (30, 29 - i), (i, r.headers)
        assert 1 <= reset <= 60
    for _ in range(3):
        check_429(srv.request("GET", "/tenant", key=key), 30)
    # a refused write does nothing
    name = "refused-" + uuid.uuid4().hex[:8]
    check_429(srv.request("POST", "/api-keys", {"name": name}, key=key), 30)
    rows = db_rows(srv, "SELECT COUNT(*) FROM api_keys WHERE tenant_id = ? AND name = ?",
                   (t["id"], name))
    assert int(rows[0][0]) == 0, rows
    # errors of any kind are refused too once the limit is reached
    check_429(srv.request("GET", "/organizations/" + UNKNOWN_ORG, key=key), 30)
    check_429(srv.request("GET", "/no/such/route", key=key), 30)
    # another tenant is unaffected, with the default limit
    _, other = tenant(srv, name="Other")
    r = srv.request("GET", "/tenant", key=other)
    assert r.status == 200, r
    assert rl(r)[:2] == (DEFAULT_LIMIT, DEFAULT_LIMIT - 1)
    # and the first is still refused
    check_429(srv.request("GET", "/tenant", key=key), 30)


def test_rate_limit_per_minute_env_is_the_default_for_tenants_without_a_setting():
    srv = SHARED.get()
    _, key = tenant(srv)
    r = srv.request("GET", "/tenant", key=key)
    assert r.status == 200, r
    assert r.json["settings"]["rate_limit_per_minute"] is None, r.json
    assert rl(r)[:2] == (DEFAULT_LIMIT, DEFAULT_LIMIT - 1)
    got = [srv.request("GET", "/tenant", key=key).status for _ in range(DEFAULT_LIMIT + 3)]
    assert got == [200] * (DEFAULT_LIMIT - 1) + [429] * 4, got


def test_a_changed_tenant_setting_takes_effect_within_the_key_cache_ttl():
    srv = SHARED.get()
    t, key = tenant(srv)
    for _ in range(3):
        r = srv.request("GET", "/tenant", key=key)
        assert r.status == 200 and rl(r)[0] == DEFAULT_LIMIT, r
    r = srv.request("PATCH", "/tenant", {"settings": {"rate_limit_per_minute": 5}}, key=key)
    assert r.status == 200 and r.json["settings"]["rate_limit_per_minute"] == 5, r
    t0 = time.monotonic()
    # 4 calls so far: more than the new limit. Poll gently (each poll counts)
    wait_for(lambda: rl(srv.request("GET", "/tenant", key=key))[0] == 5,
             timeout=3.0 * SLOW, interval=0.2, what="RateLimit-Limit: 5")
    assert time.monotonic() - t0 <= 3.0 * SLOW
    check_429(srv.request("GET", "/tenant", key=key), 5)
    # and back up, set by the operator
    r = srv.admin("PATCH", "/admin/tenants/" + t["id"], {"settings": {"rate_limit_per_minute": 1000}})
    assert r.status == 200, r
    def admitted():
        x = srv.request("GET", "/tenant", key=key)
        return x if x.status == 200 else None
    r = wait_for(admitted, timeout=3.0 * SLOW, interval=0.2,
                 what="the tenant to be admitted again under its new limit")
    assert rl(r)[0] == 1000, r.headers


def test_a_limit_changed_on_this_node_applies_to_the_very_next_call():
    srv = SHARED.get()
    t, key = tenant(srv, limit=1000)
    for _ in range(3):  # the key is cached, with the tenant's limit of 1000
        r = srv.request("GET", "/tenant", key=key)
        assert r.status == 200 and rl(r)[0] == 1000, r
    r = srv.request("PATCH", "/tenant", {"settings": {"rate_limit_per_minute": 20}}, key=key)
    assert r.status == 200 and r.json["settings"]["rate_limit_per_minute"] == 20, r
    # 4 calls counted so far: 16 more are admitted, then 429 (before: all 40
    # admitted under the cached 1000 for up to 2 s)
    got = [srv.request("GET", "/tenant", key=key) for _ in range(40)]
    assert rl(got[0])[:2] == (20, 15), got[0].headers
    assert [x.status for x in got] == [200] * 16 + [429] * 24, [x.status for x in got]
    check_429(got[-1], 20)
    # raised by the operator: admitted again at once
    r = srv.admin("PATCH", "/admin/tenants/" + t["id"], {"settings": {"rate_limit_per_minute": 1000}})
    assert r.status == 200, r
    r = srv.request("GET", "/tenant", key=key)
    assert r.status == 200 and rl(r)[0] == 1000, (r, r.headers)
    # and lowered by the operator below the 21 calls admitted: refused at once
    r = srv.admin("PATCH", "/admin/tenants/" + t["id"], {"settings": {"rate_limit_per_minute": 10}})
    assert r.status == 200, r
    check_429(srv.request("GET", "/tenant", key=key), 10)


def test_unreachable_redis_fails_open_to_the_nodes_own_limiter():
    port = free_port()  # nothing listens there
    with Server(env={"REDIS_URL": "redis://127.0.0.1:%d" % port,
                     "RATE_LIMIT_PER_MINUTE": "5"}) as srv:
        _, key = srv.create_tenant("No Redis")
        got = [srv.request("GET", "/tenant", key=key) for _ in range(8)]
        assert [r.status for r in got] == [200] * 5 + [429] * 3, got
        assert [rl(r)[1] for r in got[:5]] == [4, 3, 2, 1, 0]
        check_429(got[-1], 5)
        wait_for(lambda: "redis unavailable" in srv.stderr_text(), timeout=5,
                 what="a log line saying redis is unavailable")
        # without METRICS_TOKEN /metrics is open
        r = srv.request("GET", "/metrics")
        assert r.status == 200, r
        assert metric(parse_metrics(r.raw), "saasd_rate_limited_total") == 3


def test_with_redis_the_count_lives_in_redis_and_headers_are_the_same():
    require_redis_server()
    redis = Redis().start()
    try:
        with Server(env={"REDIS_URL": redis.url, "RATE_LIMIT_PER_MINUTE": "5"}) as srv:
            t, key = srv.create_tenant("Redis Co")
            _, other = srv.create_tenant("Redis Other")
            got = [srv.request("GET", "/tenant", key=key) for _ in range(8)]
            assert [r.status for r in got] == [200] * 5 + [429] * 3, got
            assert [rl(r)[:2] for r in got[:5]] == [(5, 4), (5, 3), (5, 2), (5, 1), (5, 0)]
            check_429(got[-1], 5)
            assert srv.request("GET", "/tenant", key=other).status == 200
            # refused calls are not counted
            assert rate_limit_count(redis, t["id"]) == 5
            assert "redis unavailable" not in srv.stderr_text()
    finally:
        redis.remove()


# --- /metrics ---------------------------------------------------------------------------

SAMPLE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)'
                    r'(?:\{(?P<labels>(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})?'
                    r' (?P<value>-?[0-9.e+-]+|\+Inf|NaN)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """Prometheus text exposition -> {name: [(labels dict, float)]}; checks
    the syntax, that every family is TYPE-declared before its samples, and
    that a family's samples are not split up."""
    types, samples, seen_done, current = {}, {}, set(), None
    assert text.endswith("\n"), text[-200:]
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            assert name not in types, "TYPE declared twice: " + line
            types[name] = kind
            continue
        if line.startswith("#"):
            assert line.startswith("# HELP "), line
            continue
        m = SAMPLE.match(line)
        assert m, "not a Prometheus sample line: %r" % line
        name = m.group("name")
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        assert family in types, "sample before its TYPE: %r" % line
        if family != current:
            assert family not in seen_done, "family %s split up" % family
            if current is not None:
                seen_done.add(current)
            current = family
        labels = dict(LABEL.findall(m.group("labels") or ""))
        samples.setdefault(name, []).append((labels, float(m.group("value"))))
    samples["__types__"] = types
    return samples


def metric(parsed, name, **labels):
    """The value of the one sample of name with these labels (None if absent)."""
    got = [v for lab, v in parsed.get(name, [])
           if all(lab.get(k) == str(val) for k, val in labels.items())]
    assert len(got) <= 1, (name, labels, got)
    return got[0] if got else None


def scrape(srv):
    r = srv.request("GET", "/metrics", key=METRICS_TOKEN)
    assert r.status == 200, r
    return parse_metrics(r.raw)


def test_metrics_needs_the_metrics_token_when_one_is_set():
    srv = SHARED.get()
    _, key = tenant(srv)
    for headers in ({}, {"Authorization": "Bearer wrong"},
                    {"Authorization": "Bearer " + METRICS_TOKEN + "x"},
                    {"Authorization": "Bearer " + METRICS_TOKEN[:-1]},
                    {"Authorization": "Basic " + METRICS_TOKEN},
                    {"Authorization": METRICS_TOKEN},
                    {"Authorization": "Bearer " + srv.admin_token},
                    {"Authorization": "Bearer " + key}):
        r = srv.request("GET", "/metrics", headers=headers)
        assert r.status == 401, (headers, r)
        assert r.json and r.json["error"]["request_id"] == r.header("X-Request-Id"), r
        assert "saasd_" not in r.raw, r
        no_rl(r)
    r = srv.request("GET", "/metrics", key=METRICS_TOKEN)
    assert r.status == 200, r
    assert "saasd_http_requests_total" in r.raw


def test_metrics_is_prometheus_text_with_route_templates_and_histograms():
    srv = SHARED.get()
    _, key = tenant(srv, limit=1000)
    org_path = "/organizations/" + UNKNOWN_ORG
    raw_path = "/no-such-path-" + uuid.uuid4().hex
    before = scrape(srv)
    b404 = metric(before, "saasd_http_requests_total", route="/organizations/:id",
                  method="GET", status=404) or 0
    b200 = metric(before, "saasd_http_requests_total", route="/tenant", method="GET",
                  status=200) or 0
    for _ in range(3):
        assert srv.request("GET", org_path, key=key).status == 404
    for _ in range(2):
        assert srv.request("GET", "/tenant", key=key).status == 200
    assert srv.request("GET", raw_path, key=key).status == 404
    # the request line (and its count) is written just after the answer: poll
    wait_for(lambda: metric(scrape(srv), "saasd_http_requests_total", route="/tenant",
                            method="GET", status=200) == b200 + 2, timeout=5)
    r = srv.request("GET", "/metrics", key=METRICS_TOKEN)
    assert r.status == 200, r
    assert (r.header("Content-Type") or "").startswith("text/plain"), r.headers
    m = parse_metrics(r.raw)
    types = m["__types__"]
    assert metric(m, "saasd_http_requests_total", route="/organizations/:id", method="GET",
                  status=404) == b404 + 3
    assert metric(m, "saasd_http_requests_total", route="unmatched", status=404) >= 1
    # labels are templates, never the raw path or an id
    assert UNKNOWN_ORG not in r.raw and raw_path not in r.raw
    routes = {lab["route"] for lab, _ in m["saasd_http_requests_total"]}
    for route in routes:
        assert route == "unmatched" or (route.startswith("/") and not re.search(
            r"(ten|usr|org|key|ses|inv|whk)_[0-9a-z]{10,}", route)), route
    # latency histograms per route, method and status
    assert types["saasd_http_requests_total"] == "counter"
    assert types["saasd_http_request_duration_seconds"] == "histogram"
    series = {}
    for lab, v in m["saasd_http_request_duration_seconds_bucket"]:
        key_ = tuple(sorted((k, x) for k, x in lab.items() if k != "le"))
        series.setdefault(key_, []).append((lab["le"], v))
    assert series
    for key_, buckets in series.items():
        labels = dict(key_)
        assert set(labels) == {"route", "method", "status"}, labels
        les = [le for le, _ in buckets]
        assert les[-1] == "+Inf", les
        bounds = [float(le) for le in les[:-1]]
        assert bounds == sorted(bounds) and len(bounds) >= 5, les
        counts = [v for _, v in buckets]
        assert counts == sorted(counts), (labels, counts)  # cumulative
        count = metric(m, "saasd_http_request_duration_seconds_count", **labels)
        total = metric(m, "saasd_http_request_duration_seconds_sum", **labels)
        assert counts[-1] == count, (labels, counts, count)
        assert total is not None and total >= 0
    tl = (("method", "GET"), ("route", "/organizations/:id"), ("status", "404"))
    assert dict(series[tl])["+Inf"] == b404 + 3
    # the rest of the families
    for name, kind in (("saasd_rate_limited_total", "counter"),
                       ("saasd_store_errors_total", "counter"),
                       ("saasd_mail_deliveries_total", "counter"),
                       ("saasd_webhook_deliveries_total", "counter"),
                       ("saasd_jobs_total", "counter"),
                       ("saasd_outbox_depth", "gauge"),
                       ("saasd_open_connections", "gauge"),
                       ("process_resident_memory_bytes", "gauge")):
        assert types.get(name) == kind, (name, types.get(name))
    for outcome in ("sent", "retry", "failed"):
        assert metric(m, "saasd_mail_deliveries_total", outcome=outcome) >= 0
    for outcome in ("delivered", "retry", "failed"):
        assert metric(m, "saasd_webhook_deliveries_total", outcome=outcome) >= 0
    for kind in ("mail", "webhook"):
        assert metric(m, "saasd_outbox_depth", kind=kind) >= 0  # -1: the store did not answer
        for outcome in ("done", "retry", "failed"):
            assert metric(m, "saasd_jobs_total", kind=kind, outcome=outcome) >= 0
    # the per-kind families are the same counters as the job queue's
    assert (metric(m, "saasd_jobs_total", kind="mail", outcome="done")
            == metric(m, "saasd_mail_deliveries_total", outcome="sent"))
    assert (metric(m, "saasd_jobs_total", kind="webhook", outcome="retry")
            == metric(m, "saasd_webhook_deliveries_total", outcome="retry"))
    assert metric(m, "saasd_store_errors_total") == 0
    assert metric(m, "saasd_open_connections") >= 1  # this scrape's own
    assert metric(m, "process_resident_memory_bytes") > 1 << 20


def test_metrics_count_rate_limit_rejections_and_mail_deliveries():
    srv = SHARED.get()
    before = scrape(srv)
    rejected = metric(before, "saasd_rate_limited_total")
    sent = metric(before, "saasd_mail_deliveries_total", outcome="sent")
    done = metric(before, "saasd_jobs_total", kind="mail", outcome="done")
    _, key = tenant(srv, limit=2)
    email = "m.%s@example.com" % uuid.uuid4().hex[:8]
    assert srv.request("POST", "/auth/register", {"email": email, "password": PW},
                       key=key).status == 201
    r = srv.request("POST", "/auth/password-reset/request", {"email": email}, key=key)
    assert r.status == 202, r
    check_429(srv.request("GET", "/tenant", key=key), 2)
    check_429(srv.request("GET", "/tenant", key=key), 2)
    after = scrape(srv)
    assert metric(after, "saasd_rate_limited_total") == rejected + 2
    wait_for(lambda: metric(scrape(srv), "saasd_http_requests_total", route="/tenant",
                            method="GET", status=429), timeout=5, what="a 429 series")
    # the reset mail goes out through the outbox (EMAIL_PROVIDER=log)
    wait_for(lambda: metric(scrape(srv), "saasd_mail_deliveries_total", outcome="sent")
             >= sent + 1, timeout=10 * SLOW, interval=0.1, what="a mail counted as sent")
    assert metric(scrape(srv), "saasd_jobs_total", kind="mail", outcome="done") >= done + 1
    wait_for(lambda: metric(scrape(srv), "saasd_outbox_depth", kind="mail") == 0,
             timeout=10 * SLOW, interval=0.1, what="the mail outbox to drain")


# --- traceparent ------------------------------------------------------------------------

def test_traceparent_trace_id_is_logged_and_carried_on_to_the_webhook_delivery():
    srv = SHARED.get()
    _, key = tenant(srv, limit=1000)
    delivered_before = metric(scrape(srv), "saasd_webhook_deliveries_total", outcome="delivered")
    trace, parent = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    with Receiver() as rx:
        r = srv.request("POST", "/webhooks", {"url": rx.url("/traced"), "events": ["user.created"]},
                        key=key)
        assert r.status == 201, r
        rid = "req-trace-" + uuid.uuid4().hex[:8]
        email = "t.%s@example.com" % uuid.uuid4().hex[:8]
        r = srv.request("POST", "/auth/register", {"email": email, "password": PW}, key=key,
                        headers={"traceparent": "00-%s-%s-01" % (trace, parent),
                                 "X-Request-Id": rid})
        assert r.status == 201, r
        line = srv.wait_log(rid)
        assert line["trace_id"] == trace, line
        assert line["route"] == "/auth/register" and line["status"] == 201, line
        # an untraced request right after: no trace id, and no traceparent on its webhook
        rid2 = "req-plain-" + uuid.uuid4().hex[:8]
        r = srv.request("POST", "/auth/register", {"email": "p" + email, "password": PW},
                        key=key, headers={"X-Request-Id": rid2})
        assert r.status == 201, r
        assert srv.wait_log(rid2)["trace_id"] is None
        got = rx.wait_count("/traced", 2, timeout=10 * SLOW)
    by_email = {g.json()["data"]["user"]["email"]: g for g in got}
    traced, plain = by_email[email], by_email["p" + email]
    tp = traced.headers.get("traceparent")
    m = re.fullmatch(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})", tp or "")
    assert m, "webhook traceparent %r" % tp
    assert m.group(1) == trace, (tp, trace)
    assert m.group(2) != parent and m.group(2) != "0" * 16, tp  # a span of its own
    assert "traceparent" not in plain.headers, plain.headers
    # every log line of the request, and of the delivery it caused, has the trace id
    lines = srv.log_lines()
    mine = [x for x in lines if x.get("request_id") == rid]
    assert mine and all(x.get("trace_id") == trace for x in mine), mine
    event_id = traced.headers["webhook-id"]
    deliveries = wait_for(lambda: [x for x in srv.log_lines()
                                   if x.get("msg") == "webhook delivery"
                                   and x.get("event_id") == event_id], timeout=5)
    assert all(x.get("trace_id") == trace for x in deliveries), deliveries
    plain_lines = [x for x in srv.log_lines()
                   if x.get("event_id") == plain.headers["webhook-id"]]
    assert all("trace_id" not in x for x in plain_lines), plain_lines
    wait_for(lambda: metric(scrape(srv), "saasd_webhook_deliveries_total", outcome="delivered")
             >= delivered_before + 2, timeout=5, what="deliveries counted")
    assert metric(scrape(srv), "saasd_jobs_total", kind="webhook",
                  outcome="done") >= delivered_before + 2


def test_invalid_traceparent_is_ignored():
    srv = SHARED.get()
    _, key = tenant(srv, limit=1000)
    good_span = "b7ad6b7169203331"
    bad = [
        "00-%s-%s-01" % ("0" * 32, good_span),  # all-zero trace id
        "00-%s-%s-01" % (uuid.uuid4().hex, "0" * 16),  # all-zero parent id
        "00-%s-%s-01-extra" % (uuid.uuid4().hex, good_span),  # version 00 has no more fields
        "00-%s-%s-01." % (uuid.uuid4().hex, good_span),
        "01-%s-%s-01." % (uuid.uuid4().hex, good_span),  # later fields start with "-"
        "ff-%s-%s-01" % (uuid.uuid4().hex, good_span),  # version ff is invalid
        "00-%s-%s-01" % (uuid.uuid4().hex.upper(), good_span),  # upper-case hex
        "00-%s-%s-01" % (uuid.uuid4().hex[:31], good_span),  # short trace id
        "00-%s-%s" % (uuid.uuid4().hex, good_span),  # no flags
        "00_%s_%s_01" % (uuid.uuid4().hex, good_span),
        "00-%s-%s-0g" % (uuid.uuid4().hex, good_span),
        "garbage",
        "",
    ]
    for tp in bad:
        rid = "req-bad-tp-" + uuid.uuid4().hex[:8]
        r = srv.request("GET", "/tenant", key=key, headers={"traceparent": tp, "X-Request-Id": rid})
        assert r.status == 200, (tp, r)
        assert srv.wait_log(rid)["trace_id"] is None, tp
    # a valid one from a future version with extra fields is still read
    trace = uuid.uuid4().hex
    rid = "req-future-tp-" + uuid.uuid4().hex[:8]
    r = srv.request("GET", "/tenant", key=key,
                    headers={"traceparent": "01-%s-%s-01-extra" % (trace, good_span),
                             "X-Request-Id": rid})
    assert r.status == 200, r
    assert srv.wait_log(rid)["trace_id"] == trace
