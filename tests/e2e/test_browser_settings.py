"""test_browser_settings.py: the tenant's browser settings: allowed_origins
(exact origins), allowed_redirect_urls (exact URLs or prefixes ending in
'/'), cookie_domain; validated with the failing entry named, shown in GET
/tenant, cleared with [] / null."""
from harness import Shared, expect_error

SHARED = Shared()


def teardown_module():
    SHARED.stop()


def patch(srv, key, settings):
    return srv.request("PATCH", "/tenant", {"settings": settings}, key=key)


def test_defaults_are_empty_lists_and_no_cookie_domain():
    srv = SHARED.get()
    _, key = srv.create_tenant("Browser Defaults Co")
    s = srv.request("GET", "/tenant", key=key).json["settings"]
    assert s["allowed_origins"] == [] and s["allowed_redirect_urls"] == []
    assert s["cookie_domain"] is None


def test_settings_are_stored_shown_and_cleared():
    srv = SHARED.get()
    _, key = srv.create_tenant("Browser Settings Co")
    origins = ["https://app.example.com", "http://localhost:3000", "http://127.0.0.1:8080"]
    urls = ["https://app.example.com/auth/", "http://localhost:3000/callback?x=1"]
    r = patch(srv, key, {"allowed_origins": origins, "allowed_redirect_urls": urls,
                         "cookie_domain": "example.com"})
    assert r.status == 200, r
    assert r.json["settings"]["allowed_origins"] == origins
    s = srv.request("GET", "/tenant", key=key).json["settings"]
    assert s["allowed_origins"] == origins and s["allowed_redirect_urls"] == urls
    assert s["cookie_domain"] == "example.com"
    # other settings are left alone by a patch that does not name them
    assert patch(srv, key, {"app_name": "X"}).status == 200
    s = srv.request("GET", "/tenant", key=key).json["settings"]
    assert s["allowed_origins"] == origins and s["cookie_domain"] == "example.com"
    r = patch(srv, key, {"allowed_origins": [], "cookie_domain": None})
    assert r.status == 200, r
    assert r.json["settings"]["allowed_origins"] == []
    assert r.json["settings"]["allowed_redirect_urls"] == urls
    assert r.json["settings"]["cookie_domain"] is None


def test_bad_entries_are_named_by_index():
    srv = SHARED.get()
    _, key = srv.create_tenant("Browser Bad Co")
    bad_origins = ["https://ok.example.com", "https://App.example.com", "https://x.com/",
                   "*", "https://*.example.com", "ftp://x.com", "https://x.com?q",
                   "https://ok.example.com", 7]
    r = patch(srv, key, {"allowed_origins": bad_origins})
    err = expect_error(r, 400, "validation_failed")
    for i in range(1, len(bad_origins)):
        assert "settings.allowed_origins[%d]" % i in err["fields"], (i, err)
    assert "settings.allowed_origins[0]" not in err["fields"], err
    r = patch(srv, key, {"allowed_redirect_urls": ["https://x.com/cb#f", "/rel",
                                                   "https://x.com/ok/"]})
    err = expect_error(r, 400, "validation_failed")
    assert {"settings.allowed_redirect_urls[0]", "settings.allowed_redirect_urls[1]"} <= \
        set(err["fields"]), err
    assert "settings.allowed_redirect_urls[2]" not in err["fields"]
    for bad in ("Example.com", ".example.com", "example.com; Secure", "a..b", "", 5):
        err = expect_error(patch(srv, key, {"cookie_domain": bad}), 400, "validation_failed")
        assert "settings.cookie_domain" in err["fields"], (bad, err)
    for bad in ("https://x.com", {"a": 1}, None):
        err = expect_error(patch(srv, key, {"allowed_origins": bad}), 400, "validation_failed")
        assert "settings.allowed_origins" in err["fields"], (bad, err)
    many = ["https://h%d.example.com" % i for i in range(51)]
    err = expect_error(patch(srv, key, {"allowed_origins": many}), 400, "validation_failed")
    assert "settings.allowed_origins" in err["fields"], err
    assert patch(srv, key, {"allowed_origins": many[:50]}).status == 200
    # nothing of a refused patch was written
    s = srv.request("GET", "/tenant", key=key).json["settings"]
    assert s["allowed_origins"] == many[:50] and s["cookie_domain"] is None
