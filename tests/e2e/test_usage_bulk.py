"""test_usage_bulk.py: POST /usage/events (API.md "Metering in bulk"), on
both backends. Each event is decided alone and in order with the rules of
the single call: exact quota (402 and nothing recorded past the limit),
idempotent replay (200, counted once; another quantity under the key is
409), 404 for an organization of no such or another tenant, 400 for a bad
event beside good ones; 1..1000 events; bodies up to 1 MiB on this route
only. Four concurrent calls of 1000 events against one limit record exactly
the limit, and the counter equals the records afterwards."""
import json
import threading
import uuid

from billkit import Kit, db_rows, shared_server
from harness import expect_error, raw_http

SHARED = shared_server()


def teardown_module():
    SHARED.stop()


def bulk(kit, events, **kw):
    return kit.call("POST", "/usage/events", {"events": events}, **kw)


def post_raw(kit, path, body):
    head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
            % (path, kit.key, len(body))).encode()
    return raw_http(kit.srv.port, head, body)


def records(srv, org_id):
    rows = db_rows(srv, "SELECT COUNT(*), COALESCE(SUM(quantity), 0) FROM usage_records"
                   " WHERE organization_id = ?", (org_id,))
    return int(rows[0][0]), int(rows[0][1])


def counter(srv, org_id, metric="api_calls"):
    rows = db_rows(srv, "SELECT COALESCE(SUM(used), 0) FROM usage_counters"
                   " WHERE organization_id = ? AND metric = ?", (org_id, metric))
    return int(rows[0][0])


def test_events_are_decided_in_order_with_the_quota_of_the_single_call():
    kit = Kit(SHARED.get())
    org = kit.metered_org(5)
    events = [{"organization_id": org, "metric": "api_calls", "quantity": q}
              for q in (2, 2, 2, 1)]
    r = bulk(kit, events)
    assert r.status == 200, r
    res = r.json["results"]
    assert [x["status"] for x in res] == [201, 201, 402, 201], res
    assert [x.get("used") for x in res] == [2, 4, 4, 5], res
    assert all(x["limit"] == 5 for x in res), res
    assert res[0]["id"].startswith("use_") and "id" not in res[2]
    assert res[2]["error"]["code"] == "quota_exceeded"
    assert r.json["accepted"] == 3 and r.json["rejected"] == 1
    assert records(kit.srv, org) == (3, 5) and counter(kit.srv, org) == 5
    # the single route sees the same counter
    expect_error(kit.call("POST", "/organizations/%s/usage" % org, {"metric": "api_calls"}),
                 402, "quota_exceeded")


def test_replays_count_once_and_a_changed_quantity_is_refused():
    kit = Kit(SHARED.get())
    org = kit.metered_org(100)
    key = "k-" + uuid.uuid4().hex
    first = kit.ok(201, "POST", "/organizations/%s/usage" % org,
                   {"metric": "api_calls", "quantity": 3, "idempotency_key": key})
    ev = {"organization_id": org, "metric": "api_calls", "quantity": 3, "idempotency_key": key}
    fresh = {"organization_id": org, "metric": "api_calls", "idempotency_key": key + "-2"}
    r = bulk(kit, [ev, fresh, fresh, dict(ev, quantity=4)])
    assert r.status == 200, r
    res = r.json["results"]
    assert [x["status"] for x in res] == [200, 201, 200, 409], res
    assert res[0]["id"] == first["id"] and res[0]["replayed"] is True
    assert res[1]["id"] == res[2]["id"] and "replayed" not in res[1]
    assert res[3]["error"]["code"] == "idempotency_key_reused"
    assert records(kit.srv, org) == (2, 4) and counter(kit.srv, org) == 4


def test_bad_events_and_unknown_organizations_beside_good_ones():
    kit = Kit(SHARED.get())
    other = Kit(SHARED.get(), "Other Co")
    org = kit.metered_org(100)
    foreign = other.metered_org(100)
    good = {"organization_id": org, "metric": "api_calls"}
    r = bulk(kit, [good, "not an object", {"organization_id": org},
                   dict(good, quantity=0), dict(good, extra=1), dict(good, metric="Bad Metric!"),
                   {"organization_id": foreign, "metric": "api_calls"},
                   {"organization_id": "org_" + "0" * 26, "metric": "api_calls"},
                   {"organization_id": "nonsense", "metric": "api_calls"}, good])
    assert r.status == 200, r
    res = r.json["results"]
    assert [x["status"] for x in res] == [201, 400, 400, 400, 400, 400, 404, 404, 404, 201], res
    assert res[1]["error"]["fields"] == {"event": "invalid_type"}
    assert res[2]["error"]["fields"] == {"metric": "required"}
    assert res[3]["error"]["fields"] == {"quantity": "out_of_range"}
    assert res[4]["error"]["fields"] == {"extra": "unknown_field"}
    assert res[5]["error"]["fields"] == {"metric": "invalid_format"}
    assert res[6]["error"]["code"] == "not_found"
    assert r.json["accepted"] == 2 and r.json["rejected"] == 8
    assert records(kit.srv, org) == (2, 2)
    assert records(kit.srv, foreign) == (0, 0)  # another tenant's organization is untouched


def test_mixed_organizations_each_keep_their_own_quota():
    kit = Kit(SHARED.get())
    orgs = [kit.metered_org(3) for _ in range(4)]
    events = [{"organization_id": orgs[i % 4], "metric": "api_calls"} for i in range(20)]
    r = bulk(kit, events)
    assert r.status == 200, r
    res = r.json["results"]
    for i, x in enumerate(res):
        assert x["status"] == (201 if i < 12 else 402), (i, x)
    for o in orgs:
        assert records(kit.srv, o) == (3, 3) and counter(kit.srv, o) == 3


def test_the_call_itself_is_validated():
    kit = Kit(SHARED.get())
    org = kit.metered_org(10 ** 15)
    one = {"organization_id": org, "metric": "api_calls"}
    for body, field, code in (({}, "events", "required"),
                              ({"events": {}}, "events", "invalid_type"),
                              ({"events": []}, "events", "invalid_length"),
                              ({"events": [one] * 1001}, "events", "invalid_length"),
                              ({"events": [one], "x": 1}, "x", "unknown_field")):
        err = expect_error(kit.call("POST", "/usage/events", body), 400, "validation_failed")
        assert err["fields"].get(field) == code, (field, err)
    assert records(kit.srv, org) == (0, 0)
    # a publishable key is no system caller
    pk = kit.ok(201, "POST", "/api-keys", {"name": "pk", "type": "publishable"})["key"]
    r = kit.srv.request("POST", "/usage/events", {"events": [one]}, key=pk)
    expect_error(r, 403, "publishable_key_not_allowed")


def test_bodies_up_to_one_mib_on_this_route_only():
    kit = Kit(SHARED.get())
    org = kit.metered_org(10 ** 15)
    pad = "p" * 900  # 1000 events of about 1 KiB: more than 64 KiB, less than 1 MiB
    events = [{"organization_id": org, "metric": "api_calls",
               "idempotency_key": "%04d-%s" % (i, pad[:240])} for i in range(1000)]
    body = json.dumps({"events": events})
    assert 64 * 1024 < len(body) < 1024 * 1024
    r = bulk(kit, events)
    assert r.status == 200 and r.json["accepted"] == 1000, r
    assert records(kit.srv, org) == (1000, 1000)
    too_big = json.dumps({"events": [{"organization_id": org, "metric": "api_calls",
                                      "idempotency_key": "x" * 255}] * 4000})
    assert len(too_big) > 1024 * 1024
    expect_error(post_raw(kit, "/usage/events", too_big.encode()), 413, "payload_too_large")
    # the 64 KiB cap stays everywhere else
    expect_error(post_raw(kit, "/organizations/%s/usage" % org,
                          b'{"metric":"api_calls","x":"' + b"y" * 70000 + b'"}'),
                 413, "payload_too_large")


def test_four_concurrent_calls_of_1000_events_record_exactly_the_limit():
    kit = Kit(SHARED.get())
    limit = 2500
    org = kit.metered_org(limit)
    answers = []
    lock = threading.Lock()

    def one(batch):
        r = bulk(kit, [{"organization_id": org, "metric": "api_calls",
                        "idempotency_key": "b%d-%d" % (batch, i % 900)} for i in range(1000)],
                 timeout=120)
        with lock:
            answers.append(r)

    threads = [threading.Thread(target=one, args=(b,)) for b in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.status == 200 for r in answers), answers
    for r in answers:
        res = r.json["results"]
        # 900 distinct keys per call: each of the last 100 events replays its
        # key's first event when that one was recorded, and is refused with it
        for i in range(900, 1000):
            first = res[i - 900]
            want = 200 if first["status"] == 201 else 402
            assert res[i]["status"] == want, (i, first, res[i])
            if want == 200:
                assert res[i]["id"] == first["id"]
    statuses = [x["status"] for r in answers for x in r.json["results"]]
    created = statuses.count(201)
    assert created == limit, (created, statuses.count(402), statuses.count(200))
    assert records(kit.srv, org) == (limit, limit)
    assert counter(kit.srv, org) == limit


def test_concurrent_calls_with_the_same_keys_record_each_key_once():
    kit = Kit(SHARED.get())
    org = kit.metered_org(10 ** 15)
    answers = []
    lock = threading.Lock()

    def one():
        r = bulk(kit, [{"organization_id": org, "metric": "api_calls",
                        "idempotency_key": "same-%d" % i} for i in range(500)], timeout=120)
        with lock:
            answers.append(r)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.status == 200 for r in answers), answers
    for i in range(500):
        got = [r.json["results"][i] for r in answers]
        assert sorted(x["status"] for x in got) == [200, 200, 200, 201], got
        assert len({x["id"] for x in got}) == 1, got
    assert records(kit.srv, org) == (500, 500) and counter(kit.srv, org) == 500
