"""test_email_lookalikes.py: an email that only looks like another cannot
become a second account (issue 10, item 10). Addresses with control, format
(zero-width, bidi controls, BOM) or space characters (NBSP, ideographic
space) are refused with 400 `validation_failed` and `fields.email =
invalid_format` wherever an email is taken (register, password reset,
invitations); the rest are compared after NFKC and Unicode case folding, so a
fullwidth ＡＬＩＣＥ@example.com is alice@example.com: 409 `email_taken` on
register, and it logs in to that account. Login keeps answering 401
`invalid_credentials` for a malformed email (no enumeration)."""
import uuid

from harness import Shared, expect_error

SHARED = Shared()
PW = "correct horse 1"

# (what, how to spoil a plain local part)
INVISIBLE = [
    ("zero-width space", lambda s: s[:2] + "\u200b" + s[2:]),
    ("zero-width joiner", lambda s: s + "\u200d"),
    ("left-to-right mark", lambda s: s[:1] + "\u200e" + s[1:]),
    ("right-to-left override", lambda s: "\u202e" + s),
    ("first strong isolate", lambda s: s[:3] + "\u2068" + s[3:]),
    ("byte order mark", lambda s: "\ufeff" + s),
    ("no-break space", lambda s: s + "\u00a0"),
    ("ideographic space", lambda s: s[:2] + "\u3000" + s[2:]),
    ("narrow no-break space", lambda s: s[:2] + "\u202f" + s[2:]),
]


def teardown_module():
    SHARED.stop()


def local():
    return "alice" + uuid.uuid4().hex[:10]


def fullwidth(s):
    """ASCII letters, digits and '@' as their fullwidth forms (U+FF01..U+FF5E)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def register(srv, key, email):
    return srv.request("POST", "/auth/register", {"email": email, "password": PW}, key=key)


def expect_invalid_email(r):
    expect_error(r, 400, "validation_failed")
    assert r.json["error"].get("fields") == {"email": "invalid_format"}, r


def test_invisible_and_space_characters_are_refused_on_register():
    srv = SHARED.get()
    _, key = srv.create_tenant("Lookalike")
    for what, spoil in INVISIBLE:
        name = local()
        r = register(srv, key, spoil(name) + "@example.com")
        assert r.status == 400, "%s: %r" % (what, r)
        expect_invalid_email(r)
        # in the domain as well
        expect_invalid_email(register(srv, key, name + "@" + spoil("example") + ".com"))
    # and none of them became an account
    r = srv.request("POST", "/auth/login", {"email": "\u200balice@example.com",
                                            "password": PW}, key=key)
    expect_error(r, 401, "invalid_credentials")


def test_a_fullwidth_address_is_the_same_account():
    srv = SHARED.get()
    _, key = srv.create_tenant("Fullwidth")
    name = local()
    plain = name + "@example.com"
    r = register(srv, key, plain)
    assert r.status == 201, r
    user_id = r.json["user"]["id"]
    wide = fullwidth(name.upper()) + "@example.com"
    assert wide != plain and wide.encode() != plain.upper().encode()
    expect_error(register(srv, key, wide), 409, "email_taken")
    expect_error(register(srv, key, fullwidth(plain)), 409, "email_taken")  # '@' and '.' too
    for addr in (wide, fullwidth(plain), plain.upper()):
        r = srv.request("POST", "/auth/login", {"email": addr, "password": PW}, key=key)
        assert r.status == 200, "%s: %r" % (addr, r)
        assert r.json["user"]["id"] == user_id


def test_a_new_fullwidth_address_is_stored_in_its_plain_form():
    srv = SHARED.get()
    _, key = srv.create_tenant("Stored")
    name = local()
    r = register(srv, key, fullwidth(name) + "@example.com")
    assert r.status == 201, r
    assert r.json["user"]["email"] == name + "@example.com", r
    expect_error(register(srv, key, name + "@example.com"), 409, "email_taken")


def test_password_reset_and_invitations_take_emails_through_the_same_check():
    srv = SHARED.get()
    _, key = srv.create_tenant("Everywhere")
    for what, spoil in INVISIBLE:
        r = srv.request("POST", "/auth/password-reset/request",
                        {"email": spoil(local()) + "@example.com"}, key=key)
        assert r.status == 400, "%s: %r" % (what, r)
        expect_invalid_email(r)
    r = srv.request("POST", "/auth/password-reset/request",
                    {"email": fullwidth(local()) + "@example.com"}, key=key)
    assert r.status == 202, r
    owner = register(srv, key, local() + "@example.com")
    assert owner.status == 201, owner
    org = srv.request("POST", "/organizations", {"name": "Org " + uuid.uuid4().hex[:8]}, key=key,
                      session=owner.json["session"]["token"])
    assert org.status == 201, org
    path = "/organizations/%s/invitations" % org.json["id"]
    for what, spoil in INVISIBLE:
        r = srv.request("POST", path, {"email": spoil(local()) + "@example.com"}, key=key)
        assert r.status == 400, "%s: %r" % (what, r)
        expect_invalid_email(r)
    name = local()
    r = srv.request("POST", path, {"email": fullwidth(name) + "@example.com"}, key=key)
    assert r.status == 201, r
    assert r.json["email"] == name + "@example.com", r
