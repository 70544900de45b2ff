"""test_tenants_admin.py: the operator routes under /admin/tenants (guarded
by ADMIN_TOKEN, 404 without one) and a tenant's own GET/PATCH /tenant
(name and settings), including isolation between tenants, and the operator's
cap on the rate limit a tenant may set itself (MAX_TENANT_RATE_LIMIT)."""
import re
import time

from harness import Server, Shared, expect_error

SHARED = Shared()
KEY_FORMAT = re.compile(r"^sk_live_[0-9A-Za-z]{32,}$")
TENANT_ID = re.compile(r"^ten_[0-9a-z]+$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
SETTINGS = ("app_name", "email_from", "invite_url", "reset_url", "verify_url",
            "rate_limit_per_minute", "default_tier", "self_serve_billing", "audit_retention_days",
            "allowed_origins", "allowed_redirect_urls", "cookie_domain")
UNKNOWN_TENANT = "ten_01m8dh9g9msck31bzcx6t5w4sa"  # well-formed, never issued


def teardown_module():
    SHARED.stop()


def check_tenant_shape(t, name):
    assert TENANT_ID.match(t["id"]), t
    assert t["name"] == name, t
    assert RFC3339.match(t["created_at"]), t
    assert set(t["settings"]) == set(SETTINGS), t


# --- who may call /admin ---------------------------------------------------------

def test_admin_routes_are_404_when_admin_token_is_not_configured():
    with Server(env={"ADMIN_TOKEN": ""}) as srv:
        for token in (None, "", srv.admin_token, "changeme"):
            for method, path, body in (("GET", "/admin/tenants", None),
                                       ("POST", "/admin/tenants", {"name": "x"}),
                                       ("GET", "/admin/tenants/" + UNKNOWN_TENANT, None),
                                       ("PATCH", "/admin/tenants/" + UNKNOWN_TENANT,
                                        {"name": "x"})):
                r = srv.request(method, path, body=body, key=token)
                expect_error(r, 404, "not_found")
        # not even a wrong method (405 and its Allow header) gives them away
        for method, path in (("DELETE", "/admin/tenants"), ("PUT", "/admin/tenants"),
                             ("DELETE", "/admin/tenants/" + UNKNOWN_TENANT)):
            r = srv.request(method, path, key=srv.admin_token)
            expect_error(r, 404, "not_found")
            assert r.header("Allow") is None, r.headers
        assert srv.request("GET", "/health").status == 200


def test_admin_routes_are_401_without_or_with_a_wrong_token():
    srv = SHARED.get()
    _, tenant_key = srv.create_tenant("Not An Admin Co")
    tok = srv.admin_token
    for headers in ({}, {"Authorization": ""}, {"Authorization": "Bearer "},
                    {"Authorization": "Bearer wrong"},
                    {"Authorization": "Bearer " + tok + "x"},
                    {"Authorization": "Bearer " + tok[:-1]},
                    {"Authorization": "Bearer " + tok.upper()},
                    {"Authorization": "Basic " + tok},
                    {"Authorization": tok},
                    {"Authorization": "Bearer " + tenant_key}):
        for method, path in (("GET", "/admin/tenants"), ("POST", "/admin/tenants"),
                             ("GET", "/admin/tenants/" + UNKNOWN_TENANT)):
            r = srv.request(method, path, body={"name": "x"} if method == "POST" else None,
                            headers=headers)
            assert r.status == 401, (headers, r)
            err = expect_error(r, 401, r.json["error"]["code"])
            assert tok not in r.raw, r


# --- POST /admin/tenants ---------------------------------------------------------------

def test_admin_create_tenant_is_201_with_tenant_and_sk_live_key():
    srv = SHARED.get()
    r = srv.admin("POST", "/admin/tenants", {"name": "Acme Inc"})
    assert r.status == 201, r
    assert set(r.json) == {"tenant", "api_key"}, r
    t = r.json["tenant"]
    check_tenant_shape(t, "Acme Inc")
    assert all(t["settings"][k] is None for k in SETTINGS
               if k not in ("self_serve_billing", "audit_retention_days", "allowed_origins",
                            "allowed_redirect_urls")), t
    assert t["settings"]["allowed_origins"] == [] == t["settings"]["allowed_redirect_urls"], t
    assert t["settings"]["audit_retention_days"] == 365, t
    assert t["settings"]["self_serve_billing"] is False, t
    key = r.json["api_key"]
    assert KEY_FORMAT.match(key), key
    # the key selects exactly this tenant
    me = srv.request("GET", "/tenant", key=key)
    assert me.status == 200 and me.json["id"] == t["id"], me
    # and is never shown again
    again = srv.admin("GET", "/admin/tenants/" + t["id"])
    assert key not in again.raw and key[8:] not in again.raw, again
    # two creations: two tenants, two different keys
    r2 = srv.admin("POST", "/admin/tenants", {"name": "Acme Inc"})
    assert r2.status == 201 and r2.json["tenant"]["id"] != t["id"], r2
    assert r2.json["api_key"] != key


def test_admin_create_tenant_accepts_unicode_names_up_to_200_characters():
    srv = SHARED.get()
    for name in ("Ünïcødé 株式会社 🚀", "x" * 200, "é" * 200):
        r = srv.admin("POST", "/admin/tenants", {"name": name})
        assert r.status == 201, r
        assert r.json["tenant"]["name"] == name
        got = srv.admin("GET", "/admin/tenants/" + r.json["tenant"]["id"])
        assert got.json["name"] == name, got


def test_admin_create_tenant_validates_name():
    srv = SHARED.get()
    cases = [({}, "required"), ({"name": ""}, None), ({"name": "x" * 201}, None),
             ({"name": "é" * 201}, None), ({"name": 42}, "invalid_type"),
             ({"name": None}, "invalid_type"), ({"name": ["a"]}, "invalid_type"),
             ({"name": {"a": 1}}, "invalid_type")]
    r0 = srv.admin("GET", "/admin/tenants?limit=100")
    for body, code in cases:
        err = expect_error(srv.admin("POST", "/admin/tenants", body), 400, "validation_failed")
        assert set(err["fields"]) == {"name"}, (body, err)
        if code:
            assert err["fields"]["name"] == code, (body, err)
    # an empty body is a missing name, too
    err = expect_error(srv.admin("POST", "/admin/tenants", raw=b""), 400, "validation_failed")
    assert set(err["fields"]) == {"name"}, err
    r1 = srv.admin("GET", "/admin/tenants?limit=100")
    assert [t["id"] for t in r0.json["data"]] == [t["id"] for t in r1.json["data"]], \
        "a refused create left a tenant behind"


# --- GET /admin/tenants -------------------------------------------------------------------

def test_admin_list_tenants_is_newest_first_and_paginates_with_after_cursor():
    srv = Server().start()  # own database: the list holds exactly what we made
    try:
        made = []
        for i in range(5):
            made.append(srv.create_tenant("Paged %d" % i)[0]["id"])
            time.sleep(0.002)  # ids are time-ordered to the millisecond
        first = srv.admin("GET", "/admin/tenants")
        assert first.status == 200, first
        assert set(first.json) == {"data", "has_more", "next_cursor"}, first
        assert first.json["has_more"] is False and first.json["next_cursor"] is None, first
        all_ids = [t["id"] for t in first.json["data"]]
        # newest first; the first-run "default" tenant is the oldest
        assert all_ids[:5] == made[::-1], (all_ids, made)
        assert len(all_ids) == 6 and first.json["data"][5]["name"] == "default", first
        for t in first.json["data"]:
            check_tenant_shape(t, t["name"])
        # walk in pages of 2
        seen, cursor, pages = [], None, 0
        while True:
            path = "/admin/tenants?limit=2" + ("&after=" + cursor if cursor else "")
            page = srv.admin("GET", path)
            assert page.status == 200, page
            pages += 1
            ids = [t["id"] for t in page.json["data"]]
            assert 1 <= len(ids) <= 2, page
            seen += ids
            if not page.json["has_more"]:
                assert page.json["next_cursor"] is None, page
                break
            assert page.json["next_cursor"] == ids[-1], page
            cursor = page.json["next_cursor"]
        assert seen == all_ids and pages == 3, (seen, all_ids)
        # limit=1 with a full page: has_more is true exactly when more exist
        page = srv.admin("GET", "/admin/tenants?limit=6")
        assert len(page.json["data"]) == 6 and page.json["has_more"] is False, page
        page = srv.admin("GET", "/admin/tenants?limit=5")
        assert len(page.json["data"]) == 5 and page.json["has_more"] is True, page
        # a cursor past the oldest: an empty last page
        page = srv.admin("GET", "/admin/tenants?after=" + all_ids[-1])
        assert page.json == {"data": [], "has_more": False, "next_cursor": None}, page
    finally:
        assert srv.stop() == 0


def test_admin_list_tenants_refuses_invalid_limit_and_cursor():
    srv = SHARED.get()
    for q in ("limit=0", "limit=101", "limit=abc", "limit=-1", "limit=1.5", "limit=",
              "limit=99999999999999999999", "limit=ten"):
        err = expect_error(srv.admin("GET", "/admin/tenants?" + q), 400, "validation_failed")
        assert set(err["fields"]) == {"limit"}, (q, err)
    for q in ("after=nope", "after=ten_", "after=%27%20OR%201%3D1--", "after=TEN_01M8DH9G9MSCK31BZCX6T5W4SA"):
        err = expect_error(srv.admin("GET", "/admin/tenants?" + q), 400, "validation_failed")
        assert set(err["fields"]) == {"after"}, (q, err)
    for q in ("limit=1", "limit=100", "limit=20&after="):
        assert srv.admin("GET", "/admin/tenants?" + q).status == 200, q


# --- GET/PATCH /admin/tenants/:id ------------------------------------------------------------

def test_admin_get_and_patch_tenant_by_id():
    srv = SHARED.get()
    tenant, key = srv.create_tenant("Before Co")
    got = srv.admin("GET", "/admin/tenants/" + tenant["id"])
    assert got.status == 200, got
    assert got.json["id"] == tenant["id"] and got.json["name"] == "Before Co", got
    assert got.json["created_at"] == tenant["created_at"], got
    r = srv.admin("PATCH", "/admin/tenants/" + tenant["id"],
                  {"name": "After Co", "settings": {"app_name": "After App",
                                                     "rate_limit_per_minute": 60}})
    assert r.status == 200, r
    assert r.json["name"] == "After Co", r
    assert r.json["settings"]["app_name"] == "After App", r
    assert r.json["settings"]["rate_limit_per_minute"] == 60, r
    assert r.json["created_at"] == tenant["created_at"], r
    # the tenant sees the operator's change
    me = srv.request("GET", "/tenant", key=key)
    assert me.json["name"] == "After Co" and me.json["settings"]["app_name"] == "After App", me
    err = expect_error(srv.admin("PATCH", "/admin/tenants/" + tenant["id"], {"name": ""}),
                       400, "validation_failed")
    assert "name" in err["fields"], err


def test_admin_unknown_tenant_id_is_404():
    srv = SHARED.get()
    _, key = srv.create_tenant("Has A Key Co")
    key_id = srv.request("GET", "/api-keys", key=key).json["data"][0]["id"]
    for tid in (UNKNOWN_TENANT, "nope", "ten_", key_id, "ten_" + "z" * 26, "ten_" + "0" * 300):
        expect_error(srv.admin("GET", "/admin/tenants/" + tid), 404, "not_found")
        expect_error(srv.admin("PATCH", "/admin/tenants/" + tid, {"name": "x"}), 404, "not_found")


# --- GET/PATCH /tenant ----------------------------------------------------------------------

def test_tenant_get_returns_the_calling_tenant():
    srv = SHARED.get()
    tenant, key = srv.create_tenant("Self Co")
    r = srv.request("GET", "/tenant", key=key)
    assert r.status == 200, r
    check_tenant_shape(r.json, "Self Co")
    assert r.json["id"] == tenant["id"] and r.json["created_at"] == tenant["created_at"], r
    assert r.json["settings"] == tenant["settings"], r


def test_tenant_patch_updates_name_and_every_setting():
    srv = SHARED.get()
    _, key = srv.create_tenant("Patch Co")
    settings = {
        "app_name": "Patchy",
        "email_from": "Patchy <hello@patchy.example>",
        "invite_url": "https://app.patchy.example/invite?token={token}&id={invitation_id}",
        "reset_url": "https://app.patchy.example/reset/{token}",
        "verify_url": "http://localhost:3000/verify?t={token}",
        "rate_limit_per_minute": 250,
        "default_tier": "free_tier",
        "self_serve_billing": True,
        "audit_retention_days": 90,
        "allowed_origins": ["https://app.patchy.example", "http://localhost:3000"],
        "allowed_redirect_urls": ["https://app.patchy.example/auth/"],
        "cookie_domain": "patchy.example",
    }
    # a default tier must name an existing tier of the tenant
    r = srv.request("PATCH", "/tenant", {"settings": {"default_tier": "free_tier"}}, key=key)
    assert r.status == 400 and r.json["error"]["fields"] == {
        "settings.default_tier": "unknown_tier"}, r
    assert srv.request("POST", "/tiers", {"key": "free_tier", "name": "Free",
                                          "interval": "month"}, key=key).status == 201
    r = srv.request("PATCH", "/tenant", {"name": "Patch Co 2", "settings": settings}, key=key)
    assert r.status == 200, r
    assert r.json["name"] == "Patch Co 2" and r.json["settings"] == settings, r
    again = srv.request("GET", "/tenant", key=key)
    assert again.json["name"] == "Patch Co 2" and again.json["settings"] == settings, again
    # a patch of one setting leaves the rest alone; an empty patch changes nothing
    r = srv.request("PATCH", "/tenant", {"settings": {"app_name": "Renamed"}}, key=key)
    assert r.json["settings"] == dict(settings, app_name="Renamed"), r
    r = srv.request("PATCH", "/tenant", {}, key=key)
    assert r.status == 200 and r.json["name"] == "Patch Co 2", r
    assert r.json["settings"] == dict(settings, app_name="Renamed"), r


def test_tenant_patch_null_clears_a_setting_and_leaves_the_others():
    srv = SHARED.get()
    _, key = srv.create_tenant("Clear Co")
    full = {"app_name": "A", "email_from": "a@a.example", "reset_url": "https://a.example/{token}",
            "rate_limit_per_minute": 10, "default_tier": "pro"}
    assert srv.request("POST", "/tiers", {"key": "pro", "name": "Pro",
                                          "interval": "month"}, key=key).status == 201
    assert srv.request("PATCH", "/tenant", {"settings": full}, key=key).status == 200
    for name in full:
        r = srv.request("PATCH", "/tenant", {"settings": {name: None}}, key=key)
        assert r.status == 200, r
        assert r.json["settings"][name] is None, (name, r)
        got = srv.request("GET", "/tenant", key=key).json["settings"]
        assert got[name] is None, (name, got)
        full[name] = None
        assert {k: got[k] for k in full} == full, got


def test_tenant_patch_refuses_invalid_url_templates_with_the_setting_path():
    srv = SHARED.get()
    _, key = srv.create_tenant("Url Co")
    good = "https://ok.example/{token}"
    assert srv.request("PATCH", "/tenant", {"settings": {"reset_url": good}}, key=key).status == 200
    bad = ["https://ok.example/reset",  # no {token}
           "ftp://ok.example/{token}", "javascript:alert(1)//{token}", "//ok.example/{token}",
           "ok.example/{token}", "https:///{token}", "https://ok.example/{token} x",
           "https://ok.example/\n{token}", "", "https://" + "a" * 2100 + "/{token}"]
    for name in ("reset_url", "invite_url", "verify_url"):
        for url in bad:
            r = srv.request("PATCH", "/tenant", {"settings": {name: url}}, key=key)
            err = expect_error(r, 400, "validation_failed")
            assert list(err["fields"]) == ["settings." + name], (name, url, err)
    assert srv.request("GET", "/tenant", key=key).json["settings"]["reset_url"] == good


def test_tenant_patch_refuses_invalid_setting_values():
    srv = SHARED.get()
    _, key = srv.create_tenant("Values Co")
    cases = [("email_from", "not-an-email"), ("email_from", "a@b\r\nBcc: x@y.example"),
             ("default_tier", "Pro Tier"), ("default_tier", "x" * 65),
             ("rate_limit_per_minute", 0), ("rate_limit_per_minute", -5),
             ("rate_limit_per_minute", 100000001), ("rate_limit_per_minute", 1.5),
             ("rate_limit_per_minute", "60"), ("app_name", ""), ("app_name", "x" * 201)]
    for name, value in cases:
        r = srv.request("PATCH", "/tenant", {"settings": {name: value}}, key=key)
        err = expect_error(r, 400, "validation_failed")
        assert list(err["fields"]) == ["settings." + name], (name, value, err)
    err = expect_error(srv.request("PATCH", "/tenant", {"name": None}, key=key),
                       400, "validation_failed")
    assert list(err["fields"]) == ["name"], err


# --- MAX_TENANT_RATE_LIMIT ---------------------------------------------------------

def test_tenant_may_not_raise_its_own_rate_limit_above_max_tenant_rate_limit():
    with Server(env={"MAX_TENANT_RATE_LIMIT": "5000"}) as srv:
        t, key = srv.create_tenant("Greedy Co")
        for value in (5001, 100000, 100000000):
            r = srv.request("PATCH", "/tenant", {"settings": {"rate_limit_per_minute": value}},
                            key=key)
            err = expect_error(r, 400, "validation_failed")
            assert err["fields"] == {"settings.rate_limit_per_minute": "out_of_range"}, err
        got = srv.request("GET", "/tenant", key=key).json["settings"]["rate_limit_per_minute"]
        assert got is None, got
        r = srv.request("PATCH", "/tenant", {"settings": {"rate_limit_per_minute": 5000}}, key=key)
        assert r.status == 200 and r.json["settings"]["rate_limit_per_minute"] == 5000, r
        # the operator may go above it
        r = srv.admin("PATCH", "/admin/tenants/" + t["id"],
                      {"settings": {"rate_limit_per_minute": 100000000}})
        assert r.status == 200 and r.json["settings"]["rate_limit_per_minute"] == 100000000, r
        # the tenant may still change its other settings, and lower its limit
        r = srv.request("PATCH", "/tenant", {"settings": {"app_name": "Still Greedy"}}, key=key)
        assert r.status == 200, r
        assert r.json["settings"]["rate_limit_per_minute"] == 100000000, r
        r = srv.request("PATCH", "/tenant", {"settings": {"rate_limit_per_minute": 100}}, key=key)
        assert r.status == 200 and r.json["settings"]["rate_limit_per_minute"] == 100, r
        expect_error(srv.request("PATCH", "/tenant",
                                 {"settings": {"rate_limit_per_minute": 5001}}, key=key),
                     400, "validation_failed")


def test_max_tenant_rate_limit_defaults_to_100000_and_is_in_the_help():
    srv = SHARED.get()
    _, key = srv.create_tenant("Default Cap Co")
    r = srv.request("PATCH", "/tenant", {"settings": {"rate_limit_per_minute": 100000}}, key=key)
    assert r.status == 200 and r.json["settings"]["rate_limit_per_minute"] == 100000, r
    err = expect_error(srv.request("PATCH", "/tenant",
                                   {"settings": {"rate_limit_per_minute": 100001}}, key=key),
                       400, "validation_failed")
    assert err["fields"] == {"settings.rate_limit_per_minute": "out_of_range"}, err
    r = srv.cli("--help")
    assert r.returncode == 0 and "MAX_TENANT_RATE_LIMIT" in r.stdout, r


def test_tenant_patch_that_fails_validation_changes_nothing():
    srv = SHARED.get()
    tenant, key = srv.create_tenant("Atomic Co")
    r = srv.request("PATCH", "/tenant", {"name": "Should Not Stick",
                                         "settings": {"app_name": "Nope",
                                                      "reset_url": "https://x.example/no-token"}},
                    key=key)
    err = expect_error(r, 400, "validation_failed")
    assert set(err["fields"]) == {"settings.reset_url"}, err
    got = srv.request("GET", "/tenant", key=key).json
    assert got["name"] == "Atomic Co" and got["settings"]["app_name"] is None, got


def test_tenant_never_sees_or_changes_another_tenants_data():
    srv = SHARED.get()
    a, key_a = srv.create_tenant("Tenant A")
    b, key_b = srv.create_tenant("Tenant B")
    assert srv.request("GET", "/tenant", key=key_a).json["id"] == a["id"]
    assert srv.request("GET", "/tenant", key=key_b).json["id"] == b["id"]
    r = srv.request("PATCH", "/tenant", {"name": "A renamed",
                                         "settings": {"app_name": "A app"}}, key=key_a)
    assert r.status == 200 and r.json["id"] == a["id"], r
    got_b = srv.request("GET", "/tenant", key=key_b).json
    assert got_b["name"] == "Tenant B" and got_b["settings"]["app_name"] is None, got_b
    # tenant routes ignore any attempt to name another tenant
    for path in ("/tenant?id=" + b["id"], "/tenant?tenant_id=" + b["id"]):
        r = srv.request("GET", path, key=key_a)
        assert r.status == 200 and r.json["id"] == a["id"], r
    r = srv.request("PATCH", "/tenant", {"id": b["id"], "name": "hijack"}, key=key_a)
    err = expect_error(r, 400, "validation_failed")
    assert err["fields"] == {"id": "unknown_field"}, err
    assert srv.request("GET", "/tenant", key=key_b).json["name"] == "Tenant B"
    # and a tenant key is not an admin token
    r = srv.request("GET", "/admin/tenants/" + b["id"], key=key_a)
    assert r.status == 401 and b["id"] not in r.raw, r
