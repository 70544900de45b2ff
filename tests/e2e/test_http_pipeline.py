"""test_http_pipeline.py: what every request goes through, whatever its
route: /health, X-Request-Id, the error envelope, routing errors (404, 405),
the JSON content-type rule (415), and the one JSON log line per request."""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

from harness import (BACKEND, BIN, Server, Shared, Skip, expect_error, pg_dbname, pg_sql,
                     raw_http, sanitized, wait_for)

SHARED = Shared()
GENERATED_ID = re.compile(r"^req_[0-9a-z]{26}$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
LOG_KEYS = ("ts", "level", "request_id", "trace_id", "tenant_id", "method", "route", "status",
            "duration_ms")


def teardown_module():
    SHARED.stop()


def get_raw(srv, path, extra_headers=b""):
    head = (b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            + extra_headers + b"\r\n")
    return raw_http(srv.port, head)


# --- /health -----------------------------------------------------------------

def test_health_is_200_with_status_database_and_version():
    srv = SHARED.get()
    r = srv.request("GET", "/health")
    assert r.status == 200, r
    assert r.header("Content-Type").startswith("application/json"), r.headers
    assert set(r.json) == {"status", "database", "version"}, r
    assert r.json["status"] == "ok" and r.json["database"] == "ok", r
    assert re.match(r"^\d+\.\d+\.\d+", r.json["version"]), r


def test_health_answers_right_after_process_start_on_sqlite():
    if BACKEND != "sqlite":
        raise Skip("the start-up bound is stated for SQLite")
    # Measured from Popen to the first 200, polling with raw sockets every
    # 0.5 ms, on a fresh database (so the migrations are included). Idle, a
    # normal build answers in ~35-45 ms and an ASan build in ~70 ms. The
    # 50 ms target itself is a benchmark (bench/run.sh, "startup", medians
    # of 10 starts, recorded in bench/README.md): on a shared 2-core machine
    # a timed test at that bound fails on scheduling noise alone. This test
    # catches what a benchmark run might not be there to see: a start that
    # blocks (a network wait, a lock, work done before listening), with a
    # bound ten times the target. Best of up to five starts; the bound grows
    # with the 1-minute load when the machine is oversubscribed.
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    bound = (2.0 if sanitized() else 0.5) * max(1.0, load)
    req = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    best = None
    for _ in range(5):
        srv = Server()  # fresh database: includes running the migrations
        srv.stdout = open(srv.stdout_path, "ab")
        srv.stderr = open(srv.stderr_path, "ab")
        t0 = time.monotonic()
        srv.proc = subprocess.Popen([BIN, "serve"], env=srv.env, cwd=srv.tmp,
                                    stdout=srv.stdout, stderr=srv.stderr)
        try:
            while True:
                assert srv.proc.poll() is None, srv.logs()
                assert time.monotonic() - t0 < 10, "no 200 from /health in 10 s\n" + srv.logs()
                try:
                    with socket.create_connection(("127.0.0.1", srv.port), timeout=2) as c:
                        c.sendall(req)
                        if c.recv(64).startswith(b"HTTP/1.1 200"):
                            break
                except OSError:
                    time.sleep(0.0005)
            elapsed = time.monotonic() - t0
        finally:
            assert srv.stop() == 0
        best = elapsed if best is None else min(best, elapsed)
        if best <= bound:
            break
    assert best <= bound, "first 200 from /health after %.1f ms (bound %.0f ms, load %.2f/cpu)" % (
        best * 1000, bound * 1000, load)


def test_health_is_503_database_unavailable_when_sqlite_file_cannot_be_opened():
    if BACKEND != "sqlite":
        raise Skip("SQLite-specific way to break the store")
    # SQLite opens one connection per HTTP thread, lazily, on the thread's
    # first request. So: start, wait for the "listening" line WITHOUT sending
    # any request (no HTTP thread has a connection yet), then put a plain
    # file where the database directory was. Every connect now fails
    # (ENOTDIR), which is the store not answering. Background readers that
    # connect meanwhile make the directory again; the loop below replaces it.
    # No reliance on file permissions (the tests may run as root). Moving the directory back must heal the node.
    tmp = tempfile.mkdtemp(prefix="saasd-e2e-health-")
    dbdir = os.path.join(tmp, "dbdir")
    srv = Server(database_url="sqlite:" + os.path.join(dbdir, "saasd.db"))
    srv.start(wait=False)
    try:
        wait_for(lambda: "listening on" in srv.stderr_text(), 15, what="listening log line")
        os.rename(dbdir, dbdir + ".moved")
        # a background reader (the origin index, the signing keys) may
        # connect in between and so make the directory again: replace it
        for _ in range(100):
            try:
                with open(dbdir, "x") as f:
                    f.write("not a directory")
                break
            except (FileExistsError, IsADirectoryError):
                shutil.rmtree(dbdir, ignore_errors=True)
        r = srv.request("GET", "/health")
        assert r.status == 503, r
        assert r.json["database"] == "unavailable", r
        assert r.json["status"] != "ok", r
        assert r.header("X-Request-Id"), r.headers
        os.remove(dbdir)
        shutil.rmtree(dbdir, ignore_errors=True)  # made again meanwhile, as above
        os.rename(dbdir + ".moved", dbdir)
        r = srv.request("GET", "/health")
        assert r.status == 200 and r.json["database"] == "ok", r
    finally:
        assert srv.stop() == 0, srv.logs()[-3000:]
    shutil.rmtree(tmp, ignore_errors=True)


def test_health_is_503_database_unavailable_when_postgres_refuses_connections():
    if BACKEND != "postgres":
        raise Skip("PostgreSQL-specific way to break the store")
    # The server's own database is closed to new connections
    # (ALLOW_CONNECTIONS false, which binds superusers too) and its pooled
    # connections are terminated: every health check now finds the store
    # unreachable, whichever pooled connection it picks. Re-opening the
    # database must heal the node without a restart.
    srv = Server().start()
    db = pg_dbname(srv.database_url)
    try:
        pg_sql("ALTER DATABASE %s WITH ALLOW_CONNECTIONS false" % db)
        pg_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s'" % db)
        for _ in range(3):  # broken pooled connections first, then failed connects
            r = srv.request("GET", "/health")
            assert r.status == 503, r
            assert r.json["database"] == "unavailable", r
        pg_sql("ALTER DATABASE %s WITH ALLOW_CONNECTIONS true" % db)
        # Heals without a restart. Not necessarily on the next request: each
        # terminated connection still in the pool fails one request (503)
        # when it is next used, then is dropped and replaced.
        wait_for(lambda: srv.request("GET", "/health").status == 200, 10, interval=0.01,
                 what="/health to recover after the database came back")
        r = srv.request("GET", "/health")
        assert r.status == 200 and r.json["database"] == "ok", r
    finally:
        pg_sql("ALTER DATABASE %s WITH ALLOW_CONNECTIONS true" % db)
        assert srv.stop() == 0, srv.logs()[-3000:]


# --- X-Request-Id --------------------------------------------------------------

def test_request_id_is_echoed_when_1_to_128_printable_ascii():
    srv = SHARED.get()
    for rid in ("a", "x" * 128, "Abc-123_~!@#$%^&*()[]{}<>?/|\\'\"=+,.;:` inner space"):
        r = srv.request("GET", "/health", headers={"X-Request-Id": rid})
        assert r.status == 200 and r.header("X-Request-Id") == rid, (rid, r.headers)
        r = srv.request("GET", "/no-such-route", headers={"X-Request-Id": rid})
        err = expect_error(r, 404, "not_found")
        assert err["request_id"] == rid, r


def test_request_id_is_generated_when_absent_too_long_or_not_printable():
    srv = SHARED.get()
    seen = set()
    cases = [None, b"", b"x" * 129, b"y" * 1000, b"a\x01b", b"a\x7fb", b"a\tb",
             b"caf\xc3\xa9", b"\xff\xfe"]
    for rid in cases:
        hdr = b"" if rid is None else b"X-Request-Id: " + rid + b"\r\n"
        for path in ("/health", "/no-such-route"):
            r = get_raw(srv, path, hdr)
            got = r.header("X-Request-Id")
            assert got and GENERATED_ID.match(got), (rid, r.headers)
            assert got not in seen, "generated request id repeated: " + got
            seen.add(got)
            if r.status != 200:
                assert r.json["error"]["request_id"] == got, r


def test_every_answer_carries_x_request_id_and_errors_repeat_it_in_the_body():
    srv = SHARED.get()
    _, key = srv.create_tenant("ReqId Co")
    big = b'{"name":"' + b"a" * (70 * 1024) + b'"}'
    answers = [
        srv.request("GET", "/health"),  # 200
        srv.admin("POST", "/admin/tenants", {"name": "x"}),  # 201
        srv.request("GET", "/tenant", key=key),  # 200 with a key
        srv.request("GET", "/tenant"),  # 401
        srv.request("GET", "/tenant", key="sk_live_nope"),  # 401
        srv.request("GET", "/nope"),  # 404
        srv.request("DELETE", "/health"),  # 405
        srv.admin("POST", "/admin/tenants", raw=b"{", content_type="application/json"),  # 400
        srv.admin("POST", "/admin/tenants", raw=b"{}", content_type="text/plain"),  # 415
        srv.admin("POST", "/admin/tenants", raw=big),  # 413
    ]
    for r in answers:
        rid = r.header("X-Request-Id")
        assert rid, r
        if r.status >= 400:
            assert r.json["error"]["request_id"] == rid, r
    assert len({r.header("X-Request-Id") for r in answers}) == len(answers)


# --- routing and the error envelope ------------------------------------------------

def test_unknown_route_is_404_not_found_envelope():
    srv = SHARED.get()
    for path in ("/nope", "/", "/admin", "/tenant/extra", "/api-keys/key_x/more",
                 "/health/x", "/HEALTH", "/a" * 200, "/%ff%fe"):
        for method in ("GET", "POST", "DELETE"):
            r = srv.request(method, path)
            err = expect_error(r, 404, "not_found")
            assert set(err) <= {"code", "message", "request_id"}, r


def test_percent_decoding_works_but_an_encoded_nul_never_cuts_a_path_short():
    srv = SHARED.get()
    tenant, key = srv.create_tenant("Escapes Co")
    tid = tenant["id"]
    # ordinary escapes are decoded: %5F is "_", %2D is "-"
    r = srv.admin("GET", "/admin/tenants/" + tid.replace("_", "%5F"))
    assert r.status == 200 and r.json["id"] == tid, r
    assert srv.request("GET", "/api%2Dkeys", key=key).status == 200
    # "%00" must not turn a path into a shorter one that exists
    for path in ("/health%00", "/health%00/x", "/admin/tenants/%00",
                 "/admin/tenants/" + tid + "%00", "/admin/tenants/" + tid + "%00junk"):
        r = srv.admin("GET", path)
        expect_error(r, 404, "not_found")
    key_id = srv.request("GET", "/api-keys", key=key).json["data"][0]["id"]
    meta = srv.request("POST", "/api-keys", {"name": "spare"}, key=key).json["api_key"]
    r = srv.request("DELETE", "/api-keys/" + meta["id"] + "%00x", key=key)
    expect_error(r, 404, "not_found")
    assert meta["id"] in [k["id"] for k in srv.request("GET", "/api-keys", key=key).json["data"]]
    # nor a query value
    r = srv.admin("GET", "/admin/tenants?after=" + tid + "%00")
    expect_error(r, 400, "validation_failed")
    r = srv.admin("GET", "/admin/tenants?limit=5%00")
    expect_error(r, 400, "validation_failed")
    assert key_id


def test_known_path_with_other_method_is_405_with_allow_header():
    srv = SHARED.get()
    cases = [
        ("DELETE", "/health", {"GET"}),
        ("POST", "/health", {"GET"}),
        ("PUT", "/tenant", {"GET", "PATCH"}),
        ("DELETE", "/tenant", {"GET", "PATCH"}),
        ("PATCH", "/api-keys", {"GET", "POST"}),
        ("GET", "/api-keys/key_01abc", {"DELETE"}),
        ("DELETE", "/admin/tenants", {"GET", "POST"}),
        ("POST", "/admin/tenants/ten_x", {"GET", "PATCH"}),
    ]
    for method, path, allow in cases:
        r = srv.request(method, path)
        expect_error(r, 405, "method_not_allowed")
        got = {m.strip() for m in (r.header("Allow") or "").split(",") if m.strip()}
        assert got == allow, (method, path, r.header("Allow"))


def test_body_without_json_content_type_is_415_unsupported_media_type():
    srv = SHARED.get()
    body = b'{"name":"Typed"}'
    for ct in (None, "text/plain", "application/x-www-form-urlencoded", "application/jsonx",
               "application/json-patch+json", "text/json"):
        r = srv.admin("POST", "/admin/tenants", raw=body, content_type=ct)
        expect_error(r, 415, "unsupported_media_type")
    _, key = srv.create_tenant("Typed Co")
    r = srv.request("POST", "/api-keys", raw=b'{"name":"k"}', key=key, content_type="text/plain")
    expect_error(r, 415, "unsupported_media_type")
    # the rule is about the media type, not the exact header text
    for ct in ("application/json; charset=utf-8", "Application/JSON"):
        r = srv.admin("POST", "/admin/tenants", raw=body, content_type=ct)
        assert r.status == 201, (ct, r)


# --- request logs ------------------------------------------------------------------

def test_every_request_logs_one_json_line_with_fixed_keys_and_route_template():
    srv = SHARED.get()
    tenant, key = srv.create_tenant("Logged Co")
    tid = tenant["id"]
    calls = [
        ("GET", "/health", None, 200, "/health", None),
        ("GET", "/admin/tenants/" + tid, "admin", 200, "/admin/tenants/:id", None),
        ("PATCH", "/admin/tenants/" + tid, "admin", 200, "/admin/tenants/:id", None),
        ("GET", "/tenant", key, 200, "/tenant", tid),
        ("GET", "/api-keys", key, 200, "/api-keys", tid),
        ("DELETE", "/api-keys/key_01m8dh9g9msck31bzcx6t5w4sa", key, 404, "/api-keys/:id", tid),
        ("GET", "/tenant", None, 401, "/tenant", None),
    ]
    for i, (method, path, who, status, route, tenant_id) in enumerate(calls):
        rid = "log-test-%d-%s" % (i, os.urandom(4).hex())
        body = {"name": "Logged Co"} if method == "PATCH" else None
        k = srv.admin_token if who == "admin" else who
        r = srv.request(method, path, body=body, key=k, headers={"X-Request-Id": rid})
        assert r.status == status, (method, path, r)
        line = srv.wait_log(rid)
        for name in LOG_KEYS:
            assert name in line, (name, line)
        assert RFC3339.match(line["ts"]), line
        assert line["level"] in ("info", "warn", "error"), line
        assert line["method"] == method and line["route"] == route, line
        assert line["status"] == status and line["tenant_id"] == tenant_id, line
        assert line["trace_id"] is None, line
        assert isinstance(line["duration_ms"], (int, float)) and 0 <= line["duration_ms"] < 10000
        same = [l for l in srv.log_lines() if l.get("request_id") == rid]
        assert len(same) == 1, same
    # unmatched paths never log the raw path (it may carry anything)
    rid = "log-test-unmatched-" + os.urandom(4).hex()
    srv.request("GET", "/secret/path/" + key, headers={"X-Request-Id": rid})
    line = srv.wait_log(rid)
    assert line["status"] == 404 and key not in str(line) and "/secret/path" not in str(line)


def test_valid_traceparent_trace_id_is_logged_and_invalid_ones_are_not():
    srv = SHARED.get()
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    rid = "trace-" + os.urandom(4).hex()
    srv.request("GET", "/health", headers={"X-Request-Id": rid,
                                           "traceparent": "00-%s-00f067aa0ba902b7-01" % trace})
    assert srv.wait_log(rid)["trace_id"] == trace
    bad = ["00-%s-00f067aa0ba902b7" % trace,  # truncated
           "00-%s-00f067aa0ba902b7-01" % trace.upper(),  # upper-case hex
           "00-%s-00f067aa0ba902b7-01" % ("0" * 32),  # all-zero trace id
           "ff-%s-00f067aa0ba902b7-01" % trace,  # version ff is invalid
           "00-%s-00f067aa0ba902b7-01" % ("g" * 32),  # not hex
           "garbage"]
    for tp in bad:
        rid = "trace-bad-" + os.urandom(4).hex()
        r = srv.request("GET", "/health", headers={"X-Request-Id": rid, "traceparent": tp})
        assert r.status == 200, r
        assert srv.wait_log(rid)["trace_id"] is None, tp


def test_api_keys_and_admin_token_never_appear_in_logs():
    srv = Server().start()
    secrets = [srv.admin_token]
    try:
        bootstrap = re.findall(r"sk_live_[0-9A-Za-z]{20,}", srv.stdout_text())
        secrets += bootstrap
        tenant, key = srv.create_tenant("Quiet Co")
        secrets.append(key)
        r = srv.request("POST", "/api-keys", {"name": "second"}, key=key)
        assert r.status == 201, r
        key2, key2_id = r.json["key"], r.json["api_key"]["id"]
        secrets.append(key2)
        srv.request("GET", "/tenant", key=key2)
        assert srv.request("DELETE", "/api-keys/" + key2_id, key=key).status == 204
        srv.request("GET", "/tenant", key=key2)  # revoked key: 401
        unknown = "sk_live_" + "Z" * 43
        secrets.append(unknown)
        srv.request("GET", "/tenant", key=unknown)
        srv.request("GET", "/tenant", key=key + "x")  # malformed key
        srv.request("GET", "/admin/tenants", key=srv.admin_token + "x")  # wrong admin token
        srv.request("GET", "/admin/tenants/" + tenant["id"], key=srv.admin_token)
        srv.request("DELETE", "/api-keys/" + key, key=key)  # a key in the path
        srv.request("GET", "/tenant", key=key, headers={"X-Session-Token": "s" * 43})
    finally:
        rc = srv.stop()
    assert rc == 0
    stderr = srv.stderr_text()
    assert len(stderr.splitlines()) > 10, stderr  # the requests above were logged
    for s in secrets:
        assert s not in stderr, "secret %s... found in the logs" % s[:12]
    assert not re.search(r"sk_live_[0-9A-Za-z]{20,}", stderr), stderr
    # stdout carries only the first-run key banner; the admin token is never printed
    assert srv.admin_token not in srv.stdout_text()
    assert srv.admin_token[:-1] not in stderr  # not even most of it
