"""test_webhook_private_addresses.py: the SSRF guard on webhook URLs
(WEBHOOK_ALLOW_PRIVATE). With private addresses denied, a URL whose host is
a literal loopback, private, link-local or metadata IP (also IPv6 and
IPv4-mapped forms) is refused at create and update with 400
validation_failed, fields.url = private_address; a host name is accepted,
but every address it resolves to is checked when curl connects, so a
receiver listening on loopback behind "localhost" never gets a request and
the attempt fails with "blocked: destination address not allowed (private
or internal)" (which names no address: the tenant reads it, and must not
learn where a name points inside our network) and is retried like any
failure. Azure's wireserver 168.63.129.16 and the 6to4 relay anycast
192.88.99.0/24 are internal too, at create and at connect. Production denies when the variable is unset;
an explicit true allows. (Development's default, allowed, is what every
other webhook test relies on: they deliver to 127.0.0.1.)"""
import os
import tempfile

from harness import Server, Shared, db_rows, expect_error, wait_for
from webhook_receiver import Receiver

SHARED = Shared(env={"WEBHOOK_ALLOW_PRIVATE": "false", "RATE_LIMIT_PER_MINUTE": "100000000"})
STRONG_SECRET = "s3cret-" + "x" * 40
STRONG_ADMIN = "adm_" + "Q7" * 20
QUIET = 1.6  # > one worker poll interval
BLOCKED = "blocked: destination address not allowed (private or internal)"


def teardown_module():
    SHARED.stop()


def create(srv, key, url):
    return srv.request("POST", "/webhooks", {"url": url, "events": ["*"]}, key=key)


def refused_as_private(r, url):
    err = expect_error(r, 400, "validation_failed")
    assert err.get("fields") == {"url": "private_address"}, (url, err)


def sqlite_server(env):
    """Config behaviour only: SQLite whatever the backend under test."""
    tmp = tempfile.mkdtemp(prefix="saasd-e2e-db-")
    return Server(database_url="sqlite:" + os.path.join(tmp, "saasd.db"), env=env)


def test_literal_internal_ips_are_refused_at_create_and_update():
    srv = SHARED.get()
    _, key = srv.create_tenant("Literal")
    with Receiver() as rx:
        port = rx.port
        for url in ("http://127.0.0.1:%d/hook" % port, "http://[::1]:%d/hook" % port,
                    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.7/hook",
                    "https://192.168.1.1:8443/", "http://[::ffff:127.0.0.1]:%d/" % port,
                    "http://[fd00:ec2::254]/", "http://127.1:%d/" % port,
                    "http://0.0.0.0:%d/" % port, "https://user@172.16.0.1/",
                    "http://100.100.100.200/", "http://168.63.129.16/machine?comp=goalstate",
                    "http://168.63.129.16:32526/vmSettings", "http://[::ffff:168.63.129.16]/",
                    "http://192.88.99.1/", "http://192.88.99.255:8080/",
                    "http://[2002:c058:6301::1]/"):
            refused_as_private(create(srv, key, url), url)
        # public literals and host names are accepted (names are checked per connect)
        for url in ("https://1.1.1.1/hook", "https://[2606:4700::1111]/hook",
                    "http://localhost:%d/hook" % port, "https://hooks.example.com/a"):
            r = create(srv, key, url)
            assert r.status == 201, (url, r)
        ep = create(srv, key, "https://ok.example.com/").json
        r = srv.request("PATCH", "/webhooks/" + ep["id"], {"url": "http://127.0.0.1:%d/" % port},
                        key=key)
        refused_as_private(r, "PATCH")
        r = srv.request("GET", "/webhooks/" + ep["id"], key=key)
        assert r.status == 200 and r.json["url"] == "https://ok.example.com/", r
        assert rx.requests() == []


def test_a_host_name_resolving_to_loopback_is_blocked_at_connect_and_retried():
    srv = SHARED.get()
    _, key = srv.create_tenant("Rebind")
    with Receiver() as rx:
        r = create(srv, key, "http://localhost:%d/hook" % rx.port)
        assert r.status == 201, r
        ep = r.json
        r = srv.request("POST", "/webhooks/%s/test" % ep["id"], key=key)
        assert r.status == 202, r

        def attempted():
            page = srv.request("GET", "/webhooks/%s/deliveries" % ep["id"], key=key).json
            ds = page["data"]
            return ds[0] if ds and len(ds[0]["attempt_log"]) == 1 and \
                ds[0]["last_error"] else None
        d = wait_for(attempted, timeout=10, what="the first attempt recorded")
        assert d["status"] == "pending" and d["attempts"] == 1, d  # retried like any failure
        assert d["last_status_code"] in (None, 0), d
        assert d["next_attempt_at"] is not None and d["delivered_at"] is None, d
        # the tenant reads this error: it says what happened, not where
        # "localhost" points
        err = d["last_error"]
        assert err == BLOCKED, err
        assert d["attempt_log"][0]["error"] == err, d
        listed = srv.request("GET", "/webhooks/%s/deliveries" % ep["id"], key=key).raw
        assert "127.0.0.1" not in listed and "::1" not in listed, listed
        # the receiver on that port never saw a connection that got as far as a request
        assert rx.quiet("/hook", QUIET) == [] and rx.requests() == []
        # the operator log names the outcome, never the endpoint secret
        wait_for(lambda: BLOCKED in srv.stderr_text(), what="the delivery log line")
        assert ep["secret"] not in srv.logs()


def test_azure_wireserver_and_6to4_relay_are_refused_at_create_and_blocked_at_connect():
    srv = SHARED.get()
    _, key = srv.create_tenant("Wireserver")
    outside = ("http://168.63.129.16:1/hook", "http://192.88.99.1:1/hook")
    # refused at create (this also keeps the rest of the test from ever
    # sending a packet off the host on a build that does not know them)
    for url in outside:
        refused_as_private(create(srv, key, url), url)
    # an endpoint row that points there anyway (made before the policy knew
    # these addresses) is refused per connect, before any socket exists
    for url in outside:
        ep = create(srv, key, "https://hooks.example.com/wire").json
        db_rows(srv, "UPDATE webhook_endpoints SET url = ? WHERE id = ?", (url, ep["id"]))
        r = srv.request("POST", "/webhooks/%s/test" % ep["id"], key=key)
        assert r.status == 202, r

        def attempted():
            ds = srv.request("GET", "/webhooks/%s/deliveries" % ep["id"], key=key).json["data"]
            # the list reads the delivery and its attempt log in two queries:
            # wait until both show the attempt
            done = ds and len(ds[0]["attempt_log"]) == 1 and ds[0]["last_error"] is not None
            return ds[0] if done else None
        d = wait_for(attempted, timeout=10, what="the attempt to %s recorded" % url)
        assert d["last_error"] == BLOCKED and d["last_status_code"] in (None, 0), d
        assert d["attempt_log"][0]["latency_ms"] < 1000, d  # no connect was tried


def test_production_denies_by_default_and_an_explicit_true_allows():
    base = {"ENVIRONMENT": "production", "JWT_SECRET": STRONG_SECRET,
            "ADMIN_TOKEN": STRONG_ADMIN, "BCRYPT_WORK_FACTOR": "10"}
    url = "http://127.0.0.1:9/hook"
    for value, allowed in ((None, False), ("true", True), ("false", False)):
        srv = sqlite_server(dict(base, WEBHOOK_ALLOW_PRIVATE=value))
        srv.admin_token = STRONG_ADMIN
        with srv:
            _, key = srv.create_tenant("Prod")
            r = create(srv, key, url)
            if allowed:
                assert r.status == 201, (value, r)
            else:
                refused_as_private(r, (value, url))


def test_the_flag_form_denies_and_development_without_it_delivers_to_localhost():
    srv = sqlite_server({"WEBHOOK_ALLOW_PRIVATE": None})
    srv.args = ["serve", "--webhook-allow-private=false"]
    with srv:
        _, key = srv.create_tenant("Flag")
        refused_as_private(create(srv, key, "http://127.0.0.1:9/"), "flag")
    # and without anything, development allows, also through "localhost" (the
    # control for the blocked test above: the same URL does reach the receiver)
    srv = sqlite_server({"WEBHOOK_ALLOW_PRIVATE": None})
    with srv, Receiver() as rx:
        _, key = srv.create_tenant("Dev")
        assert create(srv, key, "http://127.0.0.1:9/").status == 201
        ep = create(srv, key, "http://localhost:%d/hook" % rx.port).json
        r = srv.request("POST", "/webhooks/%s/test" % ep["id"], key=key)
        assert r.status == 202, r
        assert rx.wait_count("/hook", 1)[0].id == r.json["event_id"]
