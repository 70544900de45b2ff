"""test_usage_races.py: quota enforcement and idempotency under real
concurrency (API.md "Usage and quotas": exact under any concurrency; the
same idempotency_key counts once, also when the requests race).

120 racing POSTs of quantity 1 against a limit of 50 record exactly 50 (each
`used` from 1 to 50 handed out once, the other 70 refused with 402 and
used == 50); 10 racing POSTs with one idempotency key all get the first
answer and count once, also when that one unit is the last of the quota;
racing requests with one key and two quantities record once, the requests
like the recorded one replaying it and the others 409 idempotency_key_reused;
racing subscription creates make one subscription; racing invitation
accepts never exceed the seats limit.
Requests come from 32 threads with keep-alive connections released together
by a barrier. With PostgreSQL the same runs against two saasd processes
sharing one database, requests split across both."""
import threading
import uuid

from billkit import Kit, db_rows, hammer, shared_server
from harness import BACKEND, Server, Skip, expect_error, invitation_token

SHARED = shared_server()
RACERS = 120
LIMIT = 50
CONCURRENCY = 32
SAME_KEY = 10


def teardown_module():
    SHARED.stop()


def count_records(srv, org_id):
    rows = db_rows(srv, "SELECT COUNT(*), COALESCE(SUM(quantity), 0) FROM usage_records"
                   " WHERE organization_id = ?", (org_id,))
    return int(rows[0][0]), int(rows[0][1])


def check_quota_race(kit, ports):
    org_id = kit.metered_org(LIMIT)
    path = "/organizations/%s/usage" % org_id
    resps = hammer(ports, kit.key, [("POST", path, {"metric": "api_calls"})] * RACERS,
                   concurrency=CONCURRENCY)
    ok = [r for r in resps if r.status == 201]
    refused = [r for r in resps if r.status == 402]
    others = [r for r in resps if r.status not in (201, 402)]
    assert not others, "unexpected answers: %r" % others[:5]
    assert (len(ok), len(refused)) == (LIMIT, RACERS - LIMIT), (len(ok), len(refused))
    # every successful increment saw its own total: 1..50, each once
    assert sorted(r.json["used"] for r in ok) == list(range(1, LIMIT + 1))
    assert all(r.json["limit"] == LIMIT and r.json["remaining"] == LIMIT - r.json["used"]
               for r in ok)
    assert len({r.json["id"] for r in ok}) == LIMIT
    for r in refused:
        err = expect_error(r, 402, "quota_exceeded")
        assert (err["limit"], err["used"], err["metric"]) == (LIMIT, LIMIT, "api_calls"), err
    assert kit.ent(org_id)["usage"] == {"api_calls": LIMIT}
    assert kit.history(org_id)["total"] == LIMIT
    assert count_records(kit.srv, org_id) == (LIMIT, LIMIT)
    expect_error(kit.use(org_id), 402, "quota_exceeded")


def check_idempotency_race(kit, ports, limit, before):
    """SAME_KEY racing requests with one key, on an org whose quota has
    `limit - before` left: one record, every answer the same."""
    org_id = kit.metered_org(limit)
    if before:
        assert kit.use(org_id, quantity=before).status == 201
    key = "evt-" + uuid.uuid4().hex
    path = "/organizations/%s/usage" % org_id
    body = {"metric": "api_calls", "quantity": 1, "idempotency_key": key}
    resps = hammer(ports, kit.key, [("POST", path, body)] * SAME_KEY, concurrency=SAME_KEY)
    assert all(r.status == 201 for r in resps), \
        "expected %d x 201, got %r" % (SAME_KEY, sorted((r.status, r.raw[:120]) for r in resps))
    first = resps[0].json
    assert all(r.json == first for r in resps), [r.json for r in resps]
    assert (first["used"], first["quantity"], first["idempotency_key"]) == (before + 1, 1, key), first
    replayed = [r.header("Idempotent-Replayed") for r in resps]
    assert replayed.count("true") == SAME_KEY - 1 and replayed.count(None) == 1, replayed
    assert kit.ent(org_id)["usage"] == {"api_calls": before + 1}
    assert kit.history(org_id)["total"] == before + 1
    n = db_rows(kit.srv, "SELECT COUNT(*) FROM usage_records WHERE idempotency_key = ?", (key,))
    assert int(n[0][0]) == 1, n
    # and afterwards it is still the same answer
    again = kit.use(org_id, quantity=1, key=key)
    assert again.status == 201 and again.json == first, again


def test_120_racing_requests_against_a_limit_of_50_record_exactly_50():
    srv = SHARED.get()
    check_quota_race(Kit(srv), [srv.port])


def test_10_racing_requests_with_one_idempotency_key_record_once():
    srv = SHARED.get()
    check_idempotency_race(Kit(srv), [srv.port], limit=1000, before=0)


def test_racing_idempotent_requests_for_the_last_unit_of_quota_all_get_the_first_answer():
    """The losers must not be refused with 402 because the winner used the
    last unit: their answer is the winner's record."""
    srv = SHARED.get()
    check_idempotency_race(Kit(srv), [srv.port], limit=5, before=4)


def check_reused_key_race(kit, ports, limit):
    """SAME_KEY racing requests with one key, half of quantity 1 and half of
    quantity 2: one record; the requests with its quantity get it (once new,
    then replayed), the others 409, whichever quantity won."""
    org_id = kit.metered_org(limit)
    key = "evt-" + uuid.uuid4().hex
    path = "/organizations/%s/usage" % org_id
    reqs = [("POST", path, {"metric": "api_calls", "quantity": 1 + i % 2, "idempotency_key": key})
            for i in range(SAME_KEY)]
    resps = hammer(ports, kit.key, reqs, concurrency=SAME_KEY)
    ok = [r for r in resps if r.status == 201]
    assert ok, sorted((r.status, r.raw[:120]) for r in resps)
    won = ok[0].json["quantity"]
    for (_, _, body), r in zip(reqs, resps):
        if body["quantity"] == won:
            assert r.status == 201 and r.json == ok[0].json, (body, r)
        else:
            expect_error(r, 409, "idempotency_key_reused")
    replayed = [r.header("Idempotent-Replayed") for r in ok]
    assert replayed.count(None) == 1 and len(ok) == SAME_KEY // 2, replayed
    assert kit.ent(org_id)["usage"] == {"api_calls": won}
    n = db_rows(kit.srv, "SELECT COUNT(*) FROM usage_records WHERE idempotency_key = ?", (key,))
    assert int(n[0][0]) == 1, n


def test_racing_requests_with_one_key_and_two_quantities_record_once_and_409_the_others():
    srv = SHARED.get()
    check_reused_key_race(Kit(srv), [srv.port], limit=1000)
    check_reused_key_race(Kit(srv), [srv.port], limit=2)  # the loser may find no quota left


def test_racing_requests_on_many_organizations_keep_each_quota_exact():
    """Counters of different organizations do not interfere: 4 orgs x 30
    racing requests against a limit of 10 each."""
    srv = SHARED.get()
    k = Kit(srv)
    orgs = [k.metered_org(10) for _ in range(4)]
    reqs = [("POST", "/organizations/%s/usage" % orgs[i % 4], {"metric": "api_calls"})
            for i in range(120)]
    resps = hammer([srv.port], k.key, reqs, concurrency=CONCURRENCY)
    for i, org_id in enumerate(orgs):
        mine = resps[i::4]
        assert sorted(r.status for r in mine) == [201] * 10 + [402] * 20, \
            sorted((r.status, r.raw[:100]) for r in mine)
        assert k.ent(org_id)["usage"] == {"api_calls": 10}


def test_racing_subscription_creates_make_exactly_one_subscription():
    srv = SHARED.get()
    k = Kit(srv)
    t = k.tier(limits={"api_calls": 10})
    org_id, _ = k.org()
    reqs = [("POST", "/organizations/%s/subscription" % org_id, {"tier": t["key"]})] * 8
    resps = hammer([srv.port], k.key, reqs, concurrency=8)
    assert sorted(r.status for r in resps) == [201] + [409] * 7, \
        sorted((r.status, r.raw[:100]) for r in resps)
    won = [r.json for r in resps if r.status == 201][0]
    assert k.sub(org_id)["id"] == won["id"]
    n = db_rows(srv, "SELECT COUNT(*) FROM subscriptions WHERE organization_id = ?", (org_id,))
    assert int(n[0][0]) == 1, n


def test_racing_invitation_accepts_never_exceed_the_seats_limit():
    srv = SHARED.get()
    k = Kit(srv)
    t = k.tier(limits={"seats": 3})
    org_id, _ = k.org()
    k.subscribe(org_id, t["key"])
    k.add_member(org_id)  # 2 of 3 seats taken
    invitees = [k.register() for _ in range(6)]
    invs = [k.ok(201, "POST", "/organizations/%s/invitations" % org_id, {"email": u.email})
            for u in invitees]
    # each accept carries its own user's session and its mailed token
    tokens = [invitation_token(srv, inv["id"]) for inv in invs]
    resps = [None] * len(invs)
    barrier = threading.Barrier(len(invs))

    def accept(i):
        barrier.wait(30)
        resps[i] = k.call("POST", "/invitations/%s/accept" % invs[i]["id"],
                          {"token": tokens[i]}, invitees[i])

    threads = [threading.Thread(target=accept, args=(i,)) for i in range(len(invs))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert sorted(r.status for r in resps) == [200] + [402] * 5, \
        sorted((r.status, r.raw[:100]) for r in resps)
    for r in resps:
        if r.status == 402:
            err = expect_error(r, 402, "quota_exceeded")
            assert (err["metric"], err["limit"], err["used"]) == ("seats", 3, 3), err
    assert k.ok(200, "GET", "/organizations/" + org_id)["member_count"] == 3
    assert k.ent(org_id)["usage"]["seats"] == 3


# --- two saasd processes on one PostgreSQL database ---------------------------------

class TwoNodes:
    def __enter__(self):
        if BACKEND != "postgres":
            raise Skip("two processes sharing one database: PostgreSQL only")
        env = {"RATE_LIMIT_PER_MINUTE": "100000000", "THREADS": "16"}
        self.a = Server(env=env).start()
        try:
            self.b = Server(env=env, database_url=self.a.database_url).start()
        except BaseException:
            self.a.stop()
            raise
        return self

    def __exit__(self, *exc):
        rcs = [self.b.stop(), self.a.stop()]
        if exc[0] is None:
            assert rcs == [0, 0], rcs


def test_two_processes_on_one_postgres_record_exactly_50_of_120():
    with TwoNodes() as nodes:
        check_quota_race(Kit(nodes.a), [nodes.a.port, nodes.b.port])


def test_two_processes_on_one_postgres_count_a_racing_idempotency_key_once():
    with TwoNodes() as nodes:
        k = Kit(nodes.a)
        check_idempotency_race(k, [nodes.a.port, nodes.b.port], limit=1000, before=0)
        check_idempotency_race(k, [nodes.a.port, nodes.b.port], limit=5, before=4)
        check_reused_key_race(k, [nodes.a.port, nodes.b.port], limit=2)
