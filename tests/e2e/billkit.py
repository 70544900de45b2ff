"""billkit.py: helpers shared by the billing e2e tests (test_billing.py,
test_resubscribe.py, test_usage_races.py; test_rate_limit.py borrows
db_rows). Not a test module itself.

Kit wraps one tenant of a running saasd (its key) with shortcuts for users,
organizations, tiers, subscriptions and usage. db_rows (harness.py) reaches the
server's database directly (the sqlite3 module for SQLite, the harness's wire client
for PostgreSQL) for what the API cannot do, such as moving a subscription's
period end into the past. add_months mirrors src/svc/period.c so tests can
compute the periods they expect. hammer() fires many requests from a pool of
threads with their own keep-alive connections, released together."""
import calendar
import datetime
import http.client
import json
import threading
import uuid

from harness import (Response, Shared, db_rows,  # db_rows: re-exported for the billing tests
                     invitation_token)

PW = "correct horse 1"
DAY_MS = 86400000


def shared_server(**env):
    """A module's shared server: rate limit out of the way and enough HTTP
    threads that racing requests really run at the same time."""
    e = {"RATE_LIMIT_PER_MINUTE": "100000000", "THREADS": "16"}
    e.update(env)
    return Shared(env=e)


def new_email(tag="u"):
    return "%s.%s@example.com" % (tag, uuid.uuid4().hex[:12])


def uniq(tag):
    return "%s_%s" % (tag, uuid.uuid4().hex[:8])


class User:
    def __init__(self, reg, email):
        self.id = reg["user"]["id"]
        self.email = email
        self.token = reg["session"]["token"]


class Kit:
    """One tenant on srv: call() as its backend (user None) or as a user."""

    def __init__(self, srv, name="Billing Co"):
        self.srv = srv
        self.tenant, self.key = srv.create_tenant(name)

    def call(self, method, path, body=None, user=None, **kw):
        session = user.token if isinstance(user, User) else user
        return self.srv.request(method, path, body, key=self.key, session=session, **kw)

    def ok(self, status, method, path, body=None, user=None):
        r = self.call(method, path, body, user)
        assert r.status == status, "%s %s as %r: expected %d, got %r" % (
            method, path, user, status, r)
        return r.json

    def register(self, email=None):
        email = email or new_email()
        r = self.call("POST", "/auth/register", {"email": email, "password": PW})
        assert r.status == 201, r
        return User(r.json, email)

    def org(self, owner=None):
        """(org_id, owner User): a new organization created by its owner."""
        owner = owner or self.register()
        j = self.ok(201, "POST", "/organizations", {"name": "Org " + uuid.uuid4().hex[:8]}, owner)
        return j["id"], owner

    def accept(self, inv_id, user):
        """user's accept of inv_id with the token of its mail (the response)."""
        return self.call("POST", "/invitations/%s/accept" % inv_id,
                         {"token": invitation_token(self.srv, inv_id)}, user)

    def add_member(self, org_id, role="member", user=None):
        user = user or self.register()
        inv = self.ok(201, "POST", "/organizations/%s/invitations" % org_id,
                      {"email": user.email, "role": role})
        r = self.accept(inv["id"], user)
        assert r.status == 200, r
        return user

    def tier(self, key=None, limits=None, interval="month", **extra):
        body = {"key": key or uniq("t"), "name": "Tier", "interval": interval,
                "features": extra.pop("features", []), "limits": limits or {}}
        body.update(extra)
        return self.ok(201, "POST", "/tiers", body)

    def subscribe(self, org_id, tier_key):
        return self.ok(201, "POST", "/organizations/%s/subscription" % org_id, {"tier": tier_key})

    def sub(self, org_id):
        return self.ok(200, "GET", "/organizations/%s/subscription" % org_id)

    def use(self, org_id, metric="api_calls", quantity=None, key=None, user=None):
        body = {"metric": metric}
        if quantity is not None:
            body["quantity"] = quantity
        if key is not None:
            body["idempotency_key"] = key
        return self.call("POST", "/organizations/%s/usage" % org_id, body, user)

    def ent(self, org_id, user=None):
        return self.ok(200, "GET", "/organizations/%s/entitlements" % org_id, None, user)

    def history(self, org_id, metric="api_calls", query=""):
        return self.ok(200, "GET", "/organizations/%s/usage?metric=%s%s" % (org_id, metric, query))

    def metered_org(self, limit, metric="api_calls"):
        """A new organization subscribed to a new tier with {metric: limit}."""
        t = self.tier(limits={metric: limit})
        org_id, owner = self.org()
        self.subscribe(org_id, t["key"])
        return org_id


# --- direct database access ----------------------------------------------------

# --- time ----------------------------------------------------------------------------

def parse_ts(text):
    """RFC 3339 UTC (with or without milliseconds) -> epoch ms."""
    assert text.endswith("Z"), text
    base, _, frac = text[:-1].partition(".")
    dt = datetime.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    ms = int(frac.ljust(3, "0")[:3]) if frac else 0
    return int(dt.timestamp()) * 1000 + ms


def fmt_ts(ms):
    dt = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)


def add_months(ms, n):
    """anchor + n calendar months, day clamped, time of day kept (period.c)."""
    days, tod = divmod(ms, DAY_MS)
    d = datetime.date(1970, 1, 1) + datetime.timedelta(days=days)
    total = d.year * 12 + (d.month - 1) + n
    y, m = divmod(total, 12)
    day = min(d.day, calendar.monthrange(y, m + 1)[1])
    nd = datetime.date(y, m + 1, day)
    return (nd - datetime.date(1970, 1, 1)).days * DAY_MS + tod


def period_containing(anchor, months, now):
    k = 0
    while add_months(anchor, (k + 1) * months) <= now:
        k += 1
    return add_months(anchor, k * months), add_months(anchor, (k + 1) * months)


def now_ms():
    return int(datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000)


# --- races ---------------------------------------------------------------------------

def hammer(ports, key, requests, concurrency=32, timeout=60):
    """Send requests (a list of (method, path, body)) from `concurrency`
    threads, each with a keep-alive connection of its own to one of ports
    (thread i uses ports[i % len(ports)]), all released by one barrier.
    Returns the Responses in request order."""
    results = [None] * len(requests)
    errors = []
    lock = threading.Lock()
    next_job = [0]
    concurrency = min(concurrency, len(requests))
    barrier = threading.Barrier(concurrency)

    def worker(i):
        conn = http.client.HTTPConnection("127.0.0.1", ports[i % len(ports)], timeout=timeout)
        try:
            conn.connect()
            barrier.wait(timeout)
            while True:
                with lock:
                    j = next_job[0]
                    next_job[0] += 1
                if j >= len(requests):
                    return
                method, path, body = requests[j]
                data = json.dumps(body).encode() if body is not None else None
                h = {"Authorization": "Bearer " + key}
                if data is not None:
                    h["Content-Type"] = "application/json"
                conn.request(method, path, body=data, headers=h)
                r = conn.getresponse()
                payload = r.read()
                results[j] = Response(r.status, {k.lower(): v for k, v in r.getheaders()},
                                      payload.decode("utf-8", "replace"))
        except BaseException as e:  # noqa: BLE001 - re-raised below
            errors.append(e)
            barrier.abort()
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), "a racing request did not finish within %ss" % timeout
    if errors:
        raise errors[0]
    assert all(r is not None for r in results)
    return results
