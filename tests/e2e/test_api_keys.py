"""test_api_keys.py: who is calling (API key, session token) and the API key
lifecycle: create, list without secrets, last use, revoke (at once on this
node, within seconds on another node sharing the database), the last-key
guard, and isolation between tenants."""
import hashlib
import re
import time

from harness import Server, Shared, expect_error, wait_for

SHARED = Shared()
KEY_FORMAT = re.compile(r"^sk_live_[0-9A-Za-z]{32,}$")
KEY_ID = re.compile(r"^key_[0-9a-z]+$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
UNKNOWN_KEY_ID = "key_01m8dh9g9msck31bzcx6t5w4sa"  # well-formed, never issued


def teardown_module():
    SHARED.stop()


def new_key(srv, key, name="extra"):
    r = srv.request("POST", "/api-keys", {"name": name}, key=key)
    assert r.status == 201, r
    return r.json["api_key"], r.json["key"]


def key_ids(srv, key):
    r = srv.request("GET", "/api-keys?limit=100", key=key)
    assert r.status == 200, r
    return [k["id"] for k in r.json["data"]]


# --- authentication -------------------------------------------------------------

def test_missing_api_key_is_401_missing_api_key():
    srv = SHARED.get()
    for method, path in (("GET", "/tenant"), ("PATCH", "/tenant"), ("GET", "/api-keys"),
                         ("POST", "/api-keys"), ("DELETE", "/api-keys/" + UNKNOWN_KEY_ID)):
        r = srv.request(method, path)
        expect_error(r, 401, "missing_api_key")
        # a session token alone is not a key
        r = srv.request(method, path, session="s" * 43)
        expect_error(r, 401, "missing_api_key")


def test_malformed_or_unknown_api_key_is_401_invalid_api_key():
    srv = SHARED.get()
    _, key = srv.create_tenant("Real Key Co")
    bad = [
        {"Authorization": "Bearer sk_live_" + "A" * 43},  # well-formed, unknown
        {"Authorization": "Bearer " + key[:-1]},  # truncated
        {"Authorization": "Bearer " + key + "A"},  # extended
        {"Authorization": "Bearer " + key[:-1] + ("A" if key[-1] != "A" else "B")},
        {"Authorization": "Bearer " + key.replace("sk_live_", "sk_test_")},
        {"Authorization": "Bearer " + key.replace("sk_live_", "")},
        {"Authorization": "Bearer sk_live_"},
        {"Authorization": "Bearer sk_live_" + "!" * 43},
        {"Authorization": "Bearer " + key + " " + key},
        {"Authorization": "Basic " + key},
        {"Authorization": key},  # no scheme
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer " + "x" * 4000},
        {"Authorization": "Bearer " + srv.admin_token},  # the admin token is not a key
    ]
    for headers in bad:
        r = srv.request("GET", "/tenant", headers=headers)
        expect_error(r, 401, "invalid_api_key")
        assert key not in r.raw, r
    assert srv.request("GET", "/tenant", key=key).status == 200  # the real one works


def test_unknown_session_token_is_401_invalid_session_and_never_a_system_call():
    srv = SHARED.get()
    _, key = srv.create_tenant("Session Co")
    before = key_ids(srv, key)
    for token in ("A" * 43, "not-a-token", "x" * 5000, "0", "A" * 42 + "!"):
        r = srv.request("GET", "/tenant", key=key, session=token)
        expect_error(r, 401, "invalid_session")
        # a write with an unknown session must not happen as the system
        r = srv.request("POST", "/api-keys", {"name": "should not exist"}, key=key, session=token)
        expect_error(r, 401, "invalid_session")
        r = srv.request("PATCH", "/tenant", {"name": "hijacked"}, key=key, session=token)
        expect_error(r, 401, "invalid_session")
    # an empty header is present too
    r = srv.request("GET", "/tenant", key=key, headers={"X-Session-Token": ""})
    assert r.status == 401, r
    assert key_ids(srv, key) == before
    assert srv.request("GET", "/tenant", key=key).json["name"] == "Session Co"


# --- create and list --------------------------------------------------------------

def test_create_api_key_is_201_with_the_key_shown_once_and_it_works():
    srv = SHARED.get()
    tenant, key = srv.create_tenant("Keys Co")
    r = srv.request("POST", "/api-keys", {"name": "ci deploy"}, key=key)
    assert r.status == 201, r
    assert set(r.json) == {"api_key", "key"}, r
    meta, plain = r.json["api_key"], r.json["key"]
    assert KEY_FORMAT.match(plain), plain
    assert plain != key
    assert {"id", "name", "prefix", "created_at"} <= set(meta), meta
    assert KEY_ID.match(meta["id"]) and meta["name"] == "ci deploy", meta
    assert RFC3339.match(meta["created_at"]), meta
    assert plain.startswith(meta["prefix"]) and len(meta["prefix"]) < len(plain) - 16, meta
    assert meta["prefix"].startswith("sk_live_"), meta
    assert not any(plain in str(v) for v in meta.values()), meta
    # the new key selects the same tenant, and the old one still works
    assert srv.request("GET", "/tenant", key=plain).json["id"] == tenant["id"]
    assert srv.request("GET", "/tenant", key=key).json["id"] == tenant["id"]


def test_create_api_key_validates_name():
    srv = SHARED.get()
    _, key = srv.create_tenant("Key Names Co")
    before = key_ids(srv, key)
    for body in ({}, {"name": ""}, {"name": 5}, {"name": None}, {"name": "x" * 1000},
                 {"name": "a\nb"}):
        err = expect_error(srv.request("POST", "/api-keys", body, key=key), 400,
                           "validation_failed")
        assert set(err["fields"]) == {"name"}, (body, err)
    err = expect_error(srv.request("POST", "/api-keys", {"name": "a", "scopes": []}, key=key),
                       400, "validation_failed")
    assert err["fields"] == {"scopes": "unknown_field"}, err
    assert key_ids(srv, key) == before


def test_list_api_keys_shows_no_secret_and_records_last_use():
    srv = SHARED.get()
    _, key = srv.create_tenant("List Keys Co")
    meta, plain = new_key(srv, key, "reporting")
    r = srv.request("GET", "/api-keys", key=key)
    assert r.status == 200, r
    assert set(r.json) == {"data", "has_more", "next_cursor"}, r
    by_id = {k["id"]: k for k in r.json["data"]}
    assert meta["id"] in by_id and len(by_id) == 2, r
    listed = by_id[meta["id"]]
    assert listed["name"] == "reporting" and listed["prefix"] == meta["prefix"], listed
    assert listed["last_used_at"] is None, listed  # never used yet
    for k in r.json["data"]:
        assert not ({"key", "key_hash", "hash", "secret"} & set(k)), k
    for secret in (key, plain):
        assert secret not in r.raw
        assert secret[len(meta["prefix"]):] not in r.raw
        assert hashlib.sha256(secret.encode()).hexdigest() not in r.raw
    # using the key records its use
    assert srv.request("GET", "/tenant", key=plain).status == 200
    used = {k["id"]: k for k in srv.request("GET", "/api-keys", key=key).json["data"]}
    assert used[meta["id"]]["last_used_at"] is not None, used
    assert RFC3339.match(used[meta["id"]]["last_used_at"]), used


def test_list_api_keys_paginates_newest_first():
    srv = SHARED.get()
    _, key = srv.create_tenant("Many Keys Co")
    made = []
    time.sleep(0.002)  # after the tenant's first key, to the millisecond
    for i in range(3):
        made.append(new_key(srv, key, "k%d" % i)[0]["id"])
        time.sleep(0.002)  # ids are time-ordered to the millisecond
    ids = key_ids(srv, key)
    assert ids[:3] == made[::-1] and len(ids) == 4, (ids, made)
    page = srv.request("GET", "/api-keys?limit=3", key=key).json
    assert [k["id"] for k in page["data"]] == ids[:3] and page["has_more"] is True, page
    rest = srv.request("GET", "/api-keys?limit=3&after=" + page["next_cursor"], key=key).json
    assert [k["id"] for k in rest["data"]] == ids[3:] and rest["has_more"] is False, rest
    for q in ("limit=0", "limit=101", "limit=abc", "after=zzz"):
        expect_error(srv.request("GET", "/api-keys?" + q, key=key), 400, "validation_failed")


# --- revoke -----------------------------------------------------------------------------

def test_revoked_key_is_refused_at_once_on_the_same_node():
    srv = SHARED.get()
    _, key = srv.create_tenant("Revoke Co")
    meta, plain = new_key(srv, key, "short-lived")
    # warm every cache: use it a few times first
    for _ in range(5):
        assert srv.request("GET", "/tenant", key=plain).status == 200
    r = srv.request("DELETE", "/api-keys/" + meta["id"], key=key)
    assert r.status == 204 and r.raw == "", r
    for _ in range(5):
        expect_error(srv.request("GET", "/tenant", key=plain), 401, "invalid_api_key")
    assert meta["id"] not in key_ids(srv, key)
    # revoking twice: the key no longer exists
    expect_error(srv.request("DELETE", "/api-keys/" + meta["id"], key=key), 404, "not_found")
    # a key may revoke itself; the tenant's other key goes on working
    meta2, plain2 = new_key(srv, key, "self-revoking")
    assert srv.request("DELETE", "/api-keys/" + meta2["id"], key=plain2).status == 204
    expect_error(srv.request("GET", "/tenant", key=plain2), 401, "invalid_api_key")
    assert srv.request("GET", "/tenant", key=key).status == 200


def test_revoking_the_last_active_key_is_409_conflict():
    srv = SHARED.get()
    _, key = srv.create_tenant("Last Key Co")
    only = key_ids(srv, key)
    assert len(only) == 1, only
    expect_error(srv.request("DELETE", "/api-keys/" + only[0], key=key), 409, "conflict")
    assert srv.request("GET", "/tenant", key=key).status == 200  # still works
    assert key_ids(srv, key) == only
    # with a second key the first may go; then the second is the last
    meta, plain = new_key(srv, key)
    assert srv.request("DELETE", "/api-keys/" + only[0], key=plain).status == 204
    expect_error(srv.request("DELETE", "/api-keys/" + meta["id"], key=plain), 409, "conflict")
    assert srv.request("GET", "/tenant", key=plain).status == 200


def test_another_tenants_key_id_is_404_and_stays_valid():
    srv = SHARED.get()
    _, key_a = srv.create_tenant("Owner A")
    _, key_b = srv.create_tenant("Other B")
    meta_b, plain_b = new_key(srv, key_b, "b's second key")
    for kid in (meta_b["id"], key_ids(srv, key_b)[-1]):
        expect_error(srv.request("DELETE", "/api-keys/" + kid, key=key_a), 404, "not_found")
    assert srv.request("GET", "/tenant", key=plain_b).status == 200
    assert meta_b["id"] in key_ids(srv, key_b)
    # lists never mix tenants
    assert not set(key_ids(srv, key_a)) & set(key_ids(srv, key_b))
    for kid in (UNKNOWN_KEY_ID, "nope", "key_", "ten_01m8dh9g9msck31bzcx6t5w4sa"):
        expect_error(srv.request("DELETE", "/api-keys/" + kid, key=key_a), 404, "not_found")


def test_revocation_reaches_a_second_node_on_the_same_database_within_5_seconds():
    first = Server().start()
    second = None
    try:
        second = Server(database_url=first.database_url).start()
        _, key = first.create_tenant("Two Nodes Co")
        meta, plain = new_key(first, key, "shared")
        # both nodes accept (and cache) the key
        for node in (first, second, second):
            assert node.request("GET", "/tenant", key=plain).status == 200
        t0 = time.monotonic()
        assert first.request("DELETE", "/api-keys/" + meta["id"], key=key).status == 204
        expect_error(first.request("GET", "/tenant", key=plain), 401, "invalid_api_key")

        # the second node trusts its cached entry for KEYCACHE_TTL_MS (2 s):
        # move its clock (ENVIRONMENT=test) past that instead of waiting
        second.advance_clock(3)

        def refused_on_second():
            return second.request("GET", "/tenant", key=plain).status == 401
        wait_for(refused_on_second, timeout=5.0, interval=0.05,
                 what="the second node to refuse the revoked key")
        assert time.monotonic() - t0 < 5.0
        expect_error(second.request("GET", "/tenant", key=plain), 401, "invalid_api_key")
        # and a key created on one node works on the other at once
        meta2, plain2 = new_key(second, key, "from node two")
        assert first.request("GET", "/tenant", key=plain2).status == 200
    finally:
        rcs = [n.stop() for n in (second, first) if n is not None]
    assert rcs == [0, 0], rcs
