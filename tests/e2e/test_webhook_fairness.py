"""test_webhook_fairness.py: one tenant's hanging endpoints do not hold up
another tenant's webhooks (docs/internals/webhooks.md, "Fair claiming").

Tenant A has 10 endpoints on a loopback receiver that accepts and never
answers, and 3 events for each (30 deliveries, each attempt lasting until
saasd's 15 s timeout). Tenant B's one endpoint, on a fast receiver, must get
its first delivery within 10 s of its event, and its next events as fast.
Meanwhile no more than 2 of A's attempts (the per-tenant cap) and never 2 to
one endpoint are held open at once. Before fair claiming, two delivery
threads took due deliveries oldest first: B waited behind A's 30 attempts
(about 225 s). Runs on SQLite and PostgreSQL (SAASD_TEST_BACKEND)."""
import time

from harness import Server, sanitized, wait_for
from webhook_receiver import Hanger, Receiver

ENV = {"RATE_LIMIT_PER_MINUTE": "100000000"}
PW = "correct horse 1"
BOUND = 10.0  # seconds from B's event to its delivery
TENANT_CAP = 2


def register(srv, key, tag):
    r = srv.request("POST", "/auth/register",
                    {"email": "%s.%d@example.com" % (tag, time.monotonic_ns()),
                     "password": PW}, key=key)
    assert r.status == 201, r


def test_a_tenants_hanging_endpoints_do_not_delay_another_tenants_delivery():
    srv = Server(env=ENV).start()
    hang = Hanger().start()
    try:
        with Receiver() as fast:
            _, key_a = srv.create_tenant("Hanging")
            for i in range(10):
                r = srv.request("POST", "/webhooks", {"url": hang.url("/a/%d" % i),
                                                      "events": ["user.created"]}, key=key_a)
                assert r.status == 201, r
            _, key_b = srv.create_tenant("Fast")
            r = srv.request("POST", "/webhooks", {"url": fast.url("/b"),
                                                  "events": ["user.created"]}, key=key_b)
            assert r.status == 201, r
            for n in range(3):  # 3 user.created events x 10 endpoints
                register(srv, key_a, "a%d" % n)
            # A's attempts have taken delivery threads and hang there
            hang.wait_open(TENANT_CAP, timeout=10)
            t0 = time.monotonic()
            register(srv, key_b, "b0")
            got = fast.wait_count("/b", 1, timeout=BOUND)
            took = got[0].at - t0
            print("    tenant B's first delivery after %.2fs" % took)
            assert took <= BOUND, took
            # and B keeps being served while A's attempts still hang
            for n in range(1, 3):
                t1 = time.monotonic()
                register(srv, key_b, "b%d" % n)
                got = fast.wait_count("/b", n + 1, timeout=BOUND)
                assert got[n].at - t1 <= BOUND, (n, got[n].at - t1)
            with hang.lock:
                max_open, per_path = hang.max_open, dict(hang.max_open_per_path)
                held = [p for p in hang.open.values() if p]
            assert held, "A's attempts should still be hanging"
            assert max_open <= TENANT_CAP, max_open
            assert all(v == 1 for v in per_path.values()), per_path
    finally:
        hang.close_all()  # the hanging attempts end at once, so the stop is quick
        rc = srv.stop(timeout=30 if sanitized() else 20)
    assert rc == 0, srv.logs()[-4000:]


def test_the_connect_timeout_is_2_s():
    """An endpoint whose listen queue is full never completes the TCP
    handshake: the attempt fails after the 2 s connect timeout, not 5 s."""
    import socket
    srv = Server(env=ENV).start()
    full = socket.socket()
    fillers = []
    try:
        full.bind(("127.0.0.1", 0))
        full.listen(0)  # never accepted: a backlog of one, then SYNs are dropped
        port = full.getsockname()[1]
        for _ in range(8):
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex(("127.0.0.1", port))
            fillers.append(c)
        time.sleep(0.2)
        probe = socket.socket()
        probe.settimeout(1.0)
        try:
            probe.connect(("127.0.0.1", port))
            connected = True
        except OSError:
            connected = False
        finally:
            probe.close()
        assert not connected, "the full backlog still completes handshakes"
        _, key = srv.create_tenant("Slow Connect")
        r = srv.request("POST", "/webhooks", {"url": "http://127.0.0.1:%d/h" % port,
                                              "events": ["*"]}, key=key)
        assert r.status == 201, r
        ep = r.json
        r = srv.request("POST", "/webhooks/%s/test" % ep["id"], key=key)
        assert r.status == 202, r

        def attempted():
            ds = srv.request("GET", "/webhooks/%s/deliveries" % ep["id"], key=key).json["data"]
            return ds[0] if ds and ds[0]["attempt_log"] else None
        d = wait_for(attempted, timeout=12, what="the attempt recorded")
        at = d["attempt_log"][0]
        print("    attempt: %s after %d ms" % (at["error"], at["latency_ms"]))
        assert "timed out" in (at["error"] or "").lower() or "timeout" in \
            (at["error"] or "").lower(), at
        assert 1800 <= at["latency_ms"] <= 3500, at
    finally:
        for c in fillers:
            c.close()
        full.close()
        rc = srv.stop()
    assert rc == 0, srv.logs()[-4000:]
