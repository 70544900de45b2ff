"""test_webhook_workers.py: webhook delivery across processes. Pending
deliveries survive a kill -9 of saasd and go out from the next process on
the same database; `saasd worker` (no HTTP port) delivers on its own; and
`saasd serve` plus two `saasd worker` processes on one database deliver
every event, never handing one attempt to two workers (the receiver counts
webhook-id occurrences: exactly one per event when it answers 200, two when
it failed the first try). After a restart retries come due by advancing the
serving process's clock (ENVIRONMENT=test); where workers must take part they
wait in real time (a `saasd worker` keeps its own, unmoved clock). Runs on
SQLite and PostgreSQL (SAASD_TEST_BACKEND)."""
import signal
import socket
import threading
import time
from collections import Counter

from harness import Server, db_rows, free_port, sanitized, wait_for
from webhook_receiver import Receiver, Reply, verify_all

ENV = {"RATE_LIMIT_PER_MINUTE": "100000000", "THREADS": "8"}
PW = "correct horse 1"
SLACK = 3.0 if sanitized() else 1.5
FIRST_RETRY = 5.5 + 1.0 + SLACK  # 5 s +10% jitter, the 1 s poll, scheduling


def scalar(srv, sql, params=()):
    return int(db_rows(srv, sql, params)[0][0])


def dead_port():
    """A loopback port where nothing listens (a receiver may bind it later)."""
    port = free_port()
    s = socket.socket()
    try:
        assert s.connect_ex(("127.0.0.1", port)) != 0
    finally:
        s.close()
    return port


def start_worker(database_url, env=None):
    """A `saasd worker` process on database_url. It has no HTTP port, so
    wait for its start-up log line instead of /health."""
    e = dict(ENV)
    e.update(env or {})
    w = Server(env=e, database_url=database_url, args=("worker",))
    w.start(wait=False)

    def started():
        if w.proc.poll() is not None:
            raise AssertionError("saasd worker exited early (%s):\n%s" % (
                w.proc.returncode, w.logs()))
        return "worker started" in w.stderr_text()
    wait_for(started, timeout=15, what="saasd worker to start")
    return w


def stop_clean(srv):
    rc = srv.stop()
    assert rc == 0, "exit code %s\n%s" % (rc, srv.logs()[-4000:])


def setup_tenant(srv, url, events=("*",)):
    """(api key, endpoint json with its secret) on srv."""
    _, key = srv.create_tenant("Workers")
    r = srv.request("POST", "/webhooks", {"url": url, "events": list(events)}, key=key)
    assert r.status == 201, r
    return key, r.json


def register_many(srv, key, n, threads=8):
    """n user registrations (n user.created events) from a few threads."""
    errors, lock = [], threading.Lock()
    todo = list(range(n))

    def run():
        while True:
            with lock:
                if not todo:
                    return
                i = todo.pop()
            r = srv.request("POST", "/auth/register",
                            {"email": "w%d.%d@example.com" % (i, time.monotonic_ns()),
                             "password": PW}, key=key)
            if r.status != 201:
                with lock:
                    errors.append(r)
    ts = [threading.Thread(target=run) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    assert not errors, errors[:3]


def event_ids(srv, tenant_key_endpoint):
    return {r[0] for r in db_rows(srv, "SELECT event_id FROM webhook_deliveries"
                                       " WHERE endpoint_id = ?", (tenant_key_endpoint,))}


def delivery_log_lines(srv):
    return [line for line in srv.log_lines() if line.get("msg") == "webhook delivery"]


def unfinished_attempts(srv, endpoint_id):
    """Deliveries of the endpoint whose latest attempt is claimed but not
    recorded (a worker was in the middle of it)."""
    return scalar(srv, "SELECT COUNT(*) FROM webhook_deliveries d WHERE d.endpoint_id = ? AND"
                       " d.attempts > (SELECT COUNT(*) FROM webhook_attempts a"
                       " WHERE a.delivery_id = d.id)", (endpoint_id,))


def test_pending_deliveries_survive_kill_9_and_go_out_after_a_restart():
    port = dead_port()
    first = Server(env=ENV).start()
    try:
        key, ep = setup_tenant(first, "http://127.0.0.1:%d/hook" % port)
        n = 12
        register_many(first, key, n)
        # every delivery has had its first (refused) attempt recorded and none
        # is in the middle of one: kill -9 now, before the ~5 s retries
        wait_for(lambda: scalar(first, "SELECT COUNT(*) FROM webhook_deliveries WHERE"
                                       " endpoint_id = ? AND status = 'pending' AND attempts >= 1"
                                       " AND last_error IS NOT NULL", (ep["id"],)) == n and
                 unfinished_attempts(first, ep["id"]) == 0,
                 timeout=10, what="the first attempt of every delivery")
    finally:
        rc = first.stop(sig=signal.SIGKILL)
    assert rc == -signal.SIGKILL, rc
    want = event_ids(first, ep["id"])
    assert len(want) == n
    # On a slow machine a retry may have been claimed just before the kill: its
    # 60 s lease (tested in test_webhook_delivery.c) would hold it back, and a
    # second refused attempt would push it 5 min out. Let that time pass.
    db_rows(first, "UPDATE webhook_deliveries SET next_attempt_at = 0 WHERE endpoint_id = ? AND"
                   " (attempts > 1 OR attempts > (SELECT COUNT(*) FROM webhook_attempts a"
                   " WHERE a.delivery_id = webhook_deliveries.id))", (ep["id"],))
    with Receiver(port=port) as rx:
        second = Server(env=ENV, database_url=first.database_url).start()
        try:
            # the retries are due ~5 s after the refused attempts: move the new
            # process's clock (ENVIRONMENT=test) past them rather than wait
            second.advance_clock(6)
            rx.wait(lambda rs: set(r.id for r in rs) >= want, timeout=2 + SLACK,
                    what="every pending delivery after the restart")
            wait_for(lambda: scalar(second, "SELECT COUNT(*) FROM webhook_deliveries WHERE"
                                            " endpoint_id = ? AND status = 'delivered'",
                                    (ep["id"],)) == n, timeout=5, what="all recorded delivered")
            got = rx.requests()
            ids = Counter(r.id for r in got)
            assert set(ids) == want and all(c == 1 for c in ids.values()), ids
            payloads, _ = verify_all(ep["secret"], got)
            assert all(p["type"] == "user.created" for p in payloads)
            assert unfinished_attempts(second, ep["id"]) == 0
            rows = db_rows(second, "SELECT attempts FROM webhook_deliveries WHERE endpoint_id = ?",
                           (ep["id"],))
            assert all(int(r[0]) >= 2 for r in rows), rows
        finally:
            stop_clean(second)


def test_saasd_worker_alone_delivers_what_serve_queued():
    port = dead_port()
    serve = Server(env=ENV).start()
    try:
        key, ep = setup_tenant(serve, "http://127.0.0.1:%d/hook" % port)
        register_many(serve, key, 5, threads=2)
        r = serve.request("POST", "/webhooks/%s/test" % ep["id"], key=key)
        assert r.status == 202, r
        wait_for(lambda: scalar(serve, "SELECT COUNT(*) FROM webhook_deliveries WHERE"
                                       " endpoint_id = ? AND attempts >= 1 AND"
                                       " last_error IS NOT NULL", (ep["id"],)) == 6,
                 timeout=10, what="the first attempt of every delivery")
    finally:
        stop_clean(serve)  # SIGTERM: an attempt in progress is finished and recorded
    assert unfinished_attempts(serve, ep["id"]) == 0
    # make the retries due now rather than in ~5 s
    db_rows(serve, "UPDATE webhook_deliveries SET next_attempt_at = 0 WHERE endpoint_id = ?",
            (ep["id"],))
    want = event_ids(serve, ep["id"])
    with Receiver(port=port) as rx:
        worker = start_worker(serve.database_url)
        try:
            rx.wait(lambda rs: set(r.id for r in rs) >= want, timeout=2 + SLACK,
                    what="the worker's deliveries")
            wait_for(lambda: scalar(serve, "SELECT COUNT(*) FROM webhook_deliveries WHERE"
                                           " endpoint_id = ? AND status = 'delivered'",
                                    (ep["id"],)) == 6, timeout=5, what="all recorded delivered")
        finally:
            stop_clean(worker)
        ids = Counter(r.id for r in rx.requests())
        assert set(ids) == want and all(c == 1 for c in ids.values()), ids
        verify_all(ep["secret"], rx.requests())
        assert len(delivery_log_lines(worker)) == 6


def test_serve_and_two_workers_deliver_every_event_and_no_attempt_twice():
    # eight tenants with an endpoint each, and the receiver holds its first
    # answers until every event is queued (4 s at most) and 1.5 s more: an
    # endpoint has one delivery in flight and serve has four delivery threads,
    # so serve holds at most four endpoints and the workers' 1 s polls find the
    # others free. (Serve's threads are woken by each commit, the workers only
    # poll: without the 1.5 s, serve drains a fast queue before they look.)
    # (With one endpoint, or answers as fast as registrations come, serve
    # alone keeps up and the workers never get a delivery.)
    tenants, per = 8, 25
    n = tenants * per
    seen, lock = [], threading.Lock()
    queued = threading.Event()
    queued_at = []

    def policy(path, headers, body):
        """Hold until every event is queued, then fail the first request of
        every 10th event (in arrival order), answer everything else 200
        after 10 ms (so no thread can drain the queue alone)."""
        queued.wait(4)
        if queued_at:
            time.sleep(max(0.0, queued_at[0] + 1.5 - time.monotonic()))
        with lock:
            msg = headers.get("webhook-id")
            if msg not in seen:
                seen.append(msg)
                if len(seen) % 10 == 0:
                    return Reply(500, delay=0.01)
        return Reply(200, delay=0.01)

    with Receiver() as rx:
        rx.policy = policy
        serve = Server(env=ENV).start()
        workers = []
        try:
            setups = [setup_tenant(serve, rx.url("/hook")) for _ in range(tenants)]
            workers = [start_worker(serve.database_url) for _ in range(2)]
            for key, _ in setups:
                register_many(serve, key, per)
            queued_at.append(time.monotonic())
            queued.set()
            want, secrets = set(), {}
            for _, ep in setups:
                ids = event_ids(serve, ep["id"])
                assert len(ids) == per
                want |= ids
                secrets.update({i: ep["secret"] for i in ids})

            def complete(rs):
                ids = Counter(r.id for r in rs)
                failed = {r.id for r in rs if r.status != 200}
                return set(ids) >= want and all(ids[m] >= 2 for m in failed)
            # real time: the retries must be spread over the processes, and the
            # workers (other processes) keep their own, unmoved clock
            rx.wait(complete, timeout=15 + FIRST_RETRY, what="every event, retries included")
            wait_for(lambda: scalar(serve, "SELECT COUNT(*) FROM webhook_deliveries WHERE"
                                           " status = 'delivered'") == n,
                     timeout=10, what="all recorded delivered")
            assert rx.quiet("/hook", 1.6) == []  # nothing late: no duplicate attempt
            ids = Counter(r.id for r in rx.requests())
            retried = {r.id for r in rx.requests() if r.status != 200}
            assert len(retried) == n // 10, len(retried)
            assert set(ids) == want, (len(ids), len(want))
            dup = {m: c for m, c in ids.items() if c != (2 if m in retried else 1)}
            assert not dup, "delivered more (or less) often than attempted: %r" % dup
            for _, ep in setups:
                mine = [r for r in rx.requests() if secrets.get(r.id) == ep["secret"]]
                payloads, _ = verify_all(ep["secret"], mine)
                assert len({p["id"] for p in payloads}) == per
            # the attempt log agrees: one row per (delivery, attempt), none twice
            dups = db_rows(serve, "SELECT delivery_id, attempt, COUNT(*) FROM webhook_attempts"
                                  " GROUP BY delivery_id, attempt HAVING COUNT(*) > 1")
            assert dups == [], dups
            rows = db_rows(serve, "SELECT d.event_id, d.attempts, COUNT(a.id)"
                                  " FROM webhook_deliveries d JOIN webhook_attempts a"
                                  " ON a.delivery_id = d.id GROUP BY d.event_id, d.attempts")
            assert len(rows) == n
            for event_id, attempts, logged in rows:
                expect = 2 if event_id in retried else 1
                assert int(attempts) == expect and int(logged) == expect, (event_id, attempts,
                                                                           logged)
        finally:
            for w in workers:
                stop_clean(w)
            stop_clean(serve)
    # who delivered: at least two processes took part, and together they made exactly
    # the attempts the receiver saw
    share = [len(delivery_log_lines(p)) for p in [serve] + workers]
    print("    attempts per process (serve, worker, worker): %s" % share)
    assert sum(share) == n + n // 10, share
    assert sum(1 for s in share if s > 0) >= 2, share
