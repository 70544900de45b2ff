"""test_invitations.py: the invitation part of API.md's Organizations section
and its hardening (issue 10) against the real binary: create (shape, default
role, 7-day expiry, the mail through the outbox with the tenant's invite_url,
EMAIL_PROVIDER=log), who may invite and with which role, already_member,
re-inviting a pending email is 409 conflict and changes nothing (an expired
or finished invitation does not block a new one), list with pagination and
statuses, emails listed only to holders of members:invite, revoke, accept
(only the invitee's session, case-insensitive email, and proof of the
address: the mailed token or a verified email; the takeover of issue 10 item
2 refused), reject (the same proof), expiry (expires_at moved into the past
in the database), and races: ten concurrent accepts make one membership,
accept against revoke, concurrent invites of one email make one invitation.

Tokens come from the mails the log provider wrote (harness.invitation_token):
the outbox keeps none.

One server per module (rate limit lifted, 8 HTTP threads); each test uses
its own tenant."""
import datetime
import json
import re
import time

from harness import db_rows, expect_error, log_mails, mail_token, wait_for
from orgkit import ROUNDS, Tenant, db_exec, new_email, race, shared_server, statuses, walk

SHARED = shared_server()
INV_KEYS = {"id", "organization_id", "email", "role", "status", "expires_at"}
TOKEN = re.compile(r"[0-9A-Za-z]{43}")
SEVEN_DAYS = 7 * 24 * 3600


def teardown_module():
    SHARED.stop()


def tenant(name="Acme"):
    return Tenant(SHARED.get(), name)


def parse_ts(s):
    s = s.rstrip("Z")
    fmt = "%Y-%m-%dT%H:%M:%S.%f" if "." in s else "%Y-%m-%dT%H:%M:%S"
    return datetime.datetime.strptime(s, fmt).replace(tzinfo=datetime.timezone.utc).timestamp()


def wait_mails(srv, email, n):
    """At least n mails to email (oldest first), as the log provider wrote them."""
    return wait_for(lambda: (lambda m: m if len(m) >= n else None)(log_mails(srv, email)),
                    timeout=15, what="%d mail(s) to %s" % (n, email))


def listed(t, org_id):
    """{invitation id: status} of org_id's invitations, all pages."""
    return {i["id"]: i["status"]
            for i in walk(t, "/organizations/%s/invitations" % org_id, limit=100)}


def expire(t, inv_id):
    """Move the invitation's expiry one minute into the past."""
    past = int((time.time() - 60) * 1000)
    db_exec(t.srv, "UPDATE invitations SET expires_at = ? WHERE id = ?", (past, inv_id))


# --- create ---------------------------------------------------------------------

def test_create_answers_a_pending_invitation_expiring_in_seven_days_and_mails_the_link():
    t = tenant()
    owner = t.register(name="Olga")
    t.ok(200, "PATCH", "/tenant", {"settings": {
        "invite_url": "https://app.example.test/join?inv={invitation_id}&t={token}"}})
    org = t.create_org(owner, name="Rocket")
    email = new_email("inv")
    before = time.time()
    inv = t.invite(org["id"], email, by=owner)
    assert set(inv) >= INV_KEYS, inv
    assert re.match(r"^inv_[0-9a-z]{26}$", inv["id"]), inv
    assert (inv["organization_id"], inv["email"], inv["role"], inv["status"]) == \
        (org["id"], email, "member", "pending"), inv
    exp = parse_ts(inv["expires_at"])
    assert before + SEVEN_DAYS - 5 <= exp <= time.time() + SEVEN_DAYS + 5, inv
    mail = wait_mails(t.srv, email, 1)[0]
    m = re.search(r"https://app\.example\.test/join\?inv=(inv_[0-9a-z]{26})&t=(%s)"
                  % TOKEN.pattern, mail["text"])
    assert m and m.group(1) == inv["id"], mail["text"]
    assert "Rocket" in mail["subject"], mail
    # the listed invitation is the same
    assert listed(t, org["id"]) == {inv["id"]: "pending"}


def test_create_validates_email_and_role():
    t = tenant()
    owner = t.register()
    org = t.create_org(owner)
    path = "/organizations/%s/invitations" % org["id"]
    for body, field in (({}, "email"), ({"email": "not-an-email"}, "email"),
                        ({"email": ""}, "email"),
                        ({"email": "a@example.com", "role": "Admin"}, "role"),
                        ({"email": "a@example.com", "role": "no_such_role"}, "role"),
                        ({"email": "a@example.com", "extra": 1}, "extra")):
        err = expect_error(t.call("POST", path, body, owner), 400, "validation_failed")
        assert field in err.get("fields", {}), (body, err)
    err = expect_error(t.call("POST", path, {"email": "a@example.com", "role": "no_such_role"}),
                       400, "validation_failed")
    assert err["fields"] == {"role": "unknown_role"}, err
    assert listed(t, org["id"]) == {}


def test_who_may_invite_and_with_which_role():
    t = tenant()
    owner, outsider = t.register(), t.register()
    org = t.create_org(owner)
    admin = t.add_member(org["id"], "admin")
    member = t.add_member(org["id"], "member")
    t.create_role("biller", ["billing:*"])
    t.create_role("reader", ["org:read"])
    oid = org["id"]
    # members lack members:invite; non-members do not see the organization
    expect_error(t.call("POST", "/organizations/%s/invitations" % oid,
                        {"email": new_email()}, member), 403, "forbidden")
    expect_error(t.call("POST", "/organizations/%s/invitations" % oid,
                        {"email": new_email()}, outsider), 404, "not_found")
    # admins may invite up to their own permissions
    for role in ("member", "admin", "reader"):
        assert t.invite(oid, new_email(), role, by=admin)["role"] == role
    for role in ("owner", "biller"):
        expect_error(t.call("POST", "/organizations/%s/invitations" % oid,
                            {"email": new_email(), "role": role}, admin), 403, "forbidden")
    # owners and the system may invite with any role
    for by in (owner, None):
        for role in ("owner", "biller"):
            assert t.invite(oid, new_email(), role, by=by)["role"] == role
    inv = t.invite(oid, new_email(), by=owner)
    assert inv["role"] == "member"
    assert len(listed(t, oid)) == 2 + 3 + 4 + 1  # add_member x2, admin x3, owner/system x4, 1


def test_inviting_a_member_is_409_already_member_whatever_the_case_of_the_email():
    t = tenant()
    owner = t.register(email=new_email("Owner"))
    org = t.create_org(owner)
    m = t.add_member(org["id"], "member")
    for email in (owner.email, owner.email.upper(), "  %s " % m.email, m.email.upper()):
        expect_error(t.call("POST", "/organizations/%s/invitations" % org["id"],
                            {"email": email}, owner), 409, "already_member")
    # a user of another organization of the tenant is not a member of this one
    other_org = t.create_org(t.register())
    t.invite(other_org["id"], m.email)


def test_reinviting_a_pending_email_is_409_and_leaves_the_invitation_as_it_was():
    t = tenant()
    owner = t.register()
    org = t.create_org(owner)
    oid = org["id"]
    email = new_email("again")
    first = t.invite(oid, email, "member", by=owner)
    path = "/organizations/%s/invitations" % oid
    # the same address in another case, another role, by the owner or the system
    for body, by in (({"email": email}, owner), ({"email": email.upper(), "role": "admin"}, owner),
                     ({"email": "  %s " % email, "role": "owner"}, None)):
        err = expect_error(t.call("POST", path, body, by), 409, "conflict")
        assert "pending invitation" in err["message"], err
    items = walk(t, path)
    assert [(i["id"], i["role"], i["status"], i["expires_at"]) for i in items] == \
        [(first["id"], "member", "pending", first["expires_at"])], items
    # no second mail was queued, and the first link still works
    queued = db_rows(t.srv, "SELECT COUNT(*) FROM email_outbox WHERE lower(to_addr) = ?",
                     (email.lower(),))
    assert int(queued[0][0]) == 1, queued
    invitee = t.register(email=email)
    assert t.accept(first["id"], invitee)["role"] == "member"


def test_an_expired_or_finished_invitation_does_not_block_a_new_one():
    t = tenant()
    owner = t.register()
    org = t.create_org(owner)
    oid = org["id"]
    email = new_email("next")
    first = t.invite(oid, email, by=owner)
    expire(t, first["id"])
    second = t.invite(oid, email.upper(), "admin", by=owner)
    assert second["id"] != first["id"] and second["status"] == "pending", second
    assert parse_ts(second["expires_at"]) > time.time() + SEVEN_DAYS - 60, second
    assert listed(t, oid) == {first["id"]: "expired", second["id"]: "pending"}
    # the expired one stays dead, its link too
    invitee = t.register(email=email)
    expect_error(t.call("POST", "/invitations/%s/accept" % first["id"],
                        {"token": t.token(first["id"])}, invitee), 409, "invitation_not_pending")
    expect_error(t.call("POST", "/invitations/%s/accept" % second["id"],
                        {"token": t.token(first["id"])}, invitee), 403, "forbidden")
    # each invitation mailed its own link
    assert t.token(first["id"]) != t.token(second["id"])
    # revoked and rejected ones do not block either
    t.ok(204, "DELETE", "/invitations/" + second["id"], user=owner)
    third = t.invite(oid, email, by=owner)
    t.ok(200, "POST", "/invitations/%s/reject" % third["id"], {"token": t.token(third["id"])},
         invitee)
    fourth = t.invite(oid, email, by=owner)
    assert len({first["id"], second["id"], third["id"], fourth["id"]}) == 4
    assert listed(t, oid) == {first["id"]: "expired", second["id"]: "revoked",
                              third["id"]: "rejected", fourth["id"]: "pending"}
    assert t.accept(fourth["id"], invitee)["role"] == "member"


def test_concurrent_invites_of_one_email_make_one_invitation_and_409s():
    t = tenant()
    owner = t.register()
    org = t.create_org(owner)
    for _ in range(max(2, ROUNDS // 2)):
        email = new_email("dup")
        resps = race([lambda: t.call("POST", "/organizations/%s/invitations" % org["id"],
                                     {"email": email}, owner) for _ in range(6)])
        assert statuses(resps) == [(201, None)] + [(409, "conflict")] * 5, statuses(resps)
    items = walk(t, "/organizations/%s/invitations" % org["id"], limit=100)
    emails = [i["email"] for i in items]
    assert len(emails) == len(set(emails)) == max(2, ROUNDS // 2), emails


# --- list -------------------------------------------------------------------------------

def test_list_needs_members_read_paginates_and_shows_every_status():
    t = tenant()
    owner, outsider = t.register(), t.register()
    org = t.create_org(owner)
    oid = org["id"]
    t.create_role("inviter_only", ["members:invite"])
    inviter = t.add_member(oid, "inviter_only")
    member = t.add_member(oid, "member")
    invs = [t.invite(oid, new_email("p%d" % i), by=owner) for i in range(7)]
    want = {i["id"]: "pending" for i in invs}
    for inv in invs[:2]:
        t.ok(204, "DELETE", "/invitations/" + inv["id"])
        want[inv["id"]] = "revoked"
    accepter = t.register(email=invs[2]["email"])
    t.accept(invs[2]["id"], accepter)
    want[invs[2]["id"]] = "accepted"
    rejecter = t.register(email=invs[3]["email"])
    t.ok(200, "POST", "/invitations/%s/reject" % invs[3]["id"],
         {"token": t.token(invs[3]["id"])}, rejecter)
    want[invs[3]["id"]] = "rejected"
    expire(t, invs[4]["id"])
    want[invs[4]["id"]] = "expired"
    path = "/organizations/%s/invitations" % oid
    for limit in (1, 2, 4, 100):
        items = walk(t, path, user=owner, limit=limit)
        got = {i["id"]: i["status"] for i in items}
        assert {k: got.get(k) for k in want} == want, got
        assert len(items) == len(want) + 2, items  # + the two members' accepted ones
        for i in items:
            assert set(i) >= INV_KEYS and i["organization_id"] == oid, i
            assert "token" not in i and "token_hash" not in i, i
    seen = walk(t, path, user=member, limit=3)
    assert {i["id"]: i["status"] for i in seen} == {i["id"]: i["status"] for i in items}
    assert all("email" not in i for i in seen), seen  # members:read without members:invite
    expect_error(t.call("GET", path, user=inviter), 403, "forbidden")
    expect_error(t.call("GET", path, user=outsider), 404, "not_found")
    for q in ("?limit=0", "?limit=101", "?after=%00"):
        expect_error(t.call("GET", path + q, user=owner), 400, "validation_failed")


# --- revoke -------------------------------------------------------------------------------

def test_revoke_needs_members_invite_and_only_a_pending_invitation():
    t = tenant()
    owner, outsider = t.register(), t.register()
    org = t.create_org(owner)
    admin = t.add_member(org["id"], "admin")
    member = t.add_member(org["id"], "member")
    email = new_email("rev")
    inv = t.invite(org["id"], email, by=owner)
    path = "/invitations/" + inv["id"]
    expect_error(t.call("DELETE", path, user=member), 403, "forbidden")
    expect_error(t.call("DELETE", path, user=outsider), 404, "not_found")
    expect_error(t.call("DELETE", "/invitations/inv_" + "0" * 26), 404, "not_found")
    expect_error(t.call("DELETE", "/invitations/nope"), 404, "not_found")
    t.ok(204, "DELETE", path, user=admin)
    expect_error(t.call("DELETE", path, user=owner), 409, "invitation_not_pending")
    assert listed(t, org["id"])[inv["id"]] == "revoked"
    invitee = t.register(email=email)
    proof = {"token": t.token(inv["id"])}
    expect_error(t.call("POST", path + "/accept", proof, invitee), 409, "invitation_not_pending")
    expect_error(t.call("POST", path + "/reject", proof, invitee), 409, "invitation_not_pending")
    assert invitee.id not in t.members(org["id"])
    # the system revokes too
    inv2 = t.invite(org["id"], new_email(), by=owner)
    t.ok(204, "DELETE", "/invitations/" + inv2["id"])


# --- accept / reject -----------------------------------------------------------------------

def test_accept_only_by_the_invitees_session_and_joins_with_the_invited_role():
    t = tenant()
    owner = t.register()
    org = t.create_org(owner)
    inv = t.invite(org["id"], "Dana.%s@Example.COM" % time.time_ns(), "admin", by=owner)
    invitee = t.register(email=inv["email"].lower())
    other = t.register()
    path = "/invitations/%s/accept" % inv["id"]
    expect_error(t.call("POST", path), 401, "invalid_session")
    expect_error(t.call("POST", path, user="not-a-session-token"), 401, "invalid_session")
    # someone else's session is 404, even with the right token
    proof = {"token": t.token(inv["id"])}
    expect_error(t.call("POST", path, proof, other), 404, "not_found")
    expect_error(t.call("POST", path, proof, owner), 404, "not_found")
    expect_error(t.call("POST", "/invitations/inv_%s/accept" % ("0" * 26), proof, invitee), 404,
                 "not_found")
    assert t.org(org["id"])["member_count"] == 1
    m = t.accept(inv["id"], invitee)
    assert m["user"]["id"] == invitee.id and m["role"] == "admin", m
    assert m["organization_id"] == org["id"] and "joined_at" in m, m
    assert t.org(org["id"])["member_count"] == 2
    assert t.members(org["id"]) == {owner.id: "owner", invitee.id: "admin"}
    mine = t.ok(200, "GET", "/users/%s/organizations" % invitee.id, user=invitee)["data"]
    assert [(x["organization"]["id"], x["role"]) for x in mine] == [(org["id"], "admin")]
    proof = {"token": t.token(inv["id"])}
    expect_error(t.call("POST", path, proof, invitee), 409, "invitation_not_pending")
    expect_error(t.call("POST", "/invitations/%s/reject" % inv["id"], proof, invitee), 409,
                 "invitation_not_pending")
    assert listed(t, org["id"]) == {inv["id"]: "accepted"}
    # the new admin acts at once
    t.invite(org["id"], new_email(), by=invitee)


def test_reject_by_the_invitee_leaves_no_membership():
    t = tenant()
    owner = t.register()
    org = t.create_org(owner)
    email = new_email("rej")
    inv = t.invite(org["id"], email, by=owner)
    invitee, other = t.register(email=email), t.register()
    path = "/invitations/%s/reject" % inv["id"]
    expect_error(t.call("POST", path), 401, "invalid_session")
    proof = {"token": t.token(inv["id"])}
    expect_error(t.call("POST", path, proof, other), 404, "not_found")
    r = t.ok(200, "POST", path, proof, invitee)
    assert r["id"] == inv["id"] and r["status"] == "rejected", r
    assert r["email"] == email, r  # the invitee sees their own address
    expect_error(t.call("POST", path, proof, invitee), 409, "invitation_not_pending")
    expect_error(t.call("POST", "/invitations/%s/accept" % inv["id"], proof, invitee), 409,
                 "invitation_not_pending")
    expect_error(t.call("DELETE", "/invitations/" + inv["id"]), 409, "invitation_not_pending")
    assert t.members(org["id"]) == {owner.id: "owner"}
    assert listed(t, org["id"]) == {inv["id"]: "rejected"}


def test_expired_invitation_cannot_be_accepted_and_is_listed_expired():
    t = tenant()
    owner = t.register()
    org = t.create_org(owner)
    email = new_email("exp")
    inv = t.invite(org["id"], email, by=owner)
    invitee = t.register(email=email)
    expire(t, inv["id"])
    proof = {"token": t.token(inv["id"])}
    for action in ("accept", "reject"):
        expect_error(t.call("POST", "/invitations/%s/%s" % (inv["id"], action), proof, invitee),
                     409, "invitation_not_pending")
    expect_error(t.call("DELETE", "/invitations/" + inv["id"]), 409, "invitation_not_pending")
    item = walk(t, "/organizations/%s/invitations" % org["id"])[0]
    assert item["id"] == inv["id"] and item["status"] == "expired", item
    assert parse_ts(item["expires_at"]) < time.time(), item
    assert t.members(org["id"]) == {owner.id: "owner"}
    # inviting the address again makes a new invitation (see
    # test_an_expired_or_finished_invitation_does_not_block_a_new_one)
    again = t.invite(org["id"], email, by=owner)
    assert again["id"] != inv["id"] and again["status"] == "pending", again
    t.accept(again["id"], invitee)
    assert t.members(org["id"]) == {owner.id: "owner", invitee.id: "member"}


def test_deleting_the_organization_takes_its_invitations_along():
    t = tenant()
    owner = t.register()
    org = t.create_org(owner)
    email = new_email()
    inv = t.invite(org["id"], email, by=owner)
    invitee = t.register(email=email)
    token = t.token(inv["id"])
    t.ok(204, "DELETE", "/organizations/" + org["id"], user=owner)
    expect_error(t.call("POST", "/invitations/%s/accept" % inv["id"], {"token": token}, invitee),
                 404, "not_found")
    expect_error(t.call("DELETE", "/invitations/" + inv["id"]), 404, "not_found")


# --- proof of the invited address (issue 10 item 2) ----------------------------------------

def verify_email(t, user):
    """Verify user's email the way a client does: request, then the mailed token."""
    since = len(log_mails(t.srv, user.email))
    t.ok(202, "POST", "/auth/verify-email/request", None, user)
    token = mail_token(t.srv, user.email, since_count=since)
    t.ok(200, "POST", "/auth/verify-email/complete", {"token": token})
    assert t.ok(200, "GET", "/auth/session", user=user)["user"]["email_verified"] is True


def test_a_member_who_registers_the_invited_address_cannot_take_over_the_invitation():
    """The takeover of issue 10 item 2: a plain member lists the pending
    invitations, registers the invited address (no verification needed) and
    accepts as admin. Now the list shows no email to a member, and accept
    needs the mailed token or a verified email."""
    t = tenant()
    owner = t.register()
    org = t.create_org(owner)
    oid = org["id"]
    member = t.add_member(oid, "member")
    victim_email = new_email("cto")
    inv = t.invite(oid, victim_email, "admin", by=owner)
    listing = t.ok(200, "GET", "/organizations/%s/invitations" % oid, user=member)["data"]
    mine = [i for i in listing if i["id"] == inv["id"]]
    assert mine and "email" not in mine[0] and mine[0]["role"] == "admin", listing
    assert victim_email not in json.dumps(listing)
    # the attacker knows the address some other way and registers it
    squatter = t.register(email=victim_email)
    assert squatter.json["email_verified"] is False
    path = "/invitations/%s/accept" % inv["id"]
    for body in (None, {}, {"token": "x" * 43}, {"token": "wrong"},
                 {"token": t.token(inv["id"]).lower()}):
        err = expect_error(t.call("POST", path, body, squatter), 403, "forbidden")
        assert "token" in err["message"] and "verified" in err["message"], err
    # a token of another invitation to the same address proves nothing here
    other_org = t.create_org(owner)
    other = t.invite(other_org["id"], victim_email, by=owner)
    expect_error(t.call("POST", path, {"token": t.token(other["id"])}, squatter), 403,
                 "forbidden")
    # reject is guarded the same way: nobody kills someone else's invitation
    expect_error(t.call("POST", "/invitations/%s/reject" % inv["id"], None, squatter), 403,
                 "forbidden")
    assert squatter.id not in t.members(oid)
    assert listed(t, oid)[inv["id"]] == "pending"
    # whoever reads the mailbox has the token: that accept works
    m = t.ok(200, "POST", path, {"token": t.token(inv["id"])}, squatter)
    assert m["role"] == "admin" and m["user"]["id"] == squatter.id, m
    assert t.members(oid)[squatter.id] == "admin"


def test_a_verified_invitee_accepts_without_a_token_but_never_with_a_wrong_one():
    t = tenant()
    owner = t.register()
    org = t.create_org(owner)
    email = new_email("verified")
    inv = t.invite(org["id"], email, "admin", by=owner)
    invitee = t.register(email=email)
    verify_email(t, invitee)
    path = "/invitations/%s/accept" % inv["id"]
    expect_error(t.call("POST", path, {"token": "not-the-token"}, invitee), 403, "forbidden")
    assert t.ok(200, "POST", path, None, invitee)["role"] == "admin"
    # an empty object is the same as no body; reject works without a token too
    inv2 = t.invite(t.create_org(owner)["id"], email, by=owner)
    r = t.ok(200, "POST", "/invitations/%s/reject" % inv2["id"], {}, invitee)
    assert r["status"] == "rejected", r
    inv3 = t.invite(t.create_org(owner)["id"], email, by=owner)
    assert t.ok(200, "POST", "/invitations/%s/accept" % inv3["id"], {}, invitee)["role"] == \
        "member"


def test_accept_and_reject_validate_the_body():
    t = tenant()
    owner = t.register()
    org = t.create_org(owner)
    email = new_email("body")
    inv = t.invite(org["id"], email, by=owner)
    invitee = t.register(email=email)
    for action in ("accept", "reject"):
        path = "/invitations/%s/%s" % (inv["id"], action)
        for body, field, code in (({"token": 7}, "token", "invalid_type"),
                                  ({"token": None}, "token", "invalid_type"),
                                  ({"token": ["a"]}, "token", "invalid_type"),
                                  ({"token": ""}, "token", "invalid_length"),
                                  ({"token": "t" * 257}, "token", "invalid_length"),
                                  ({"token": "a\tb"}, "token", "invalid_text"),
                                  ({"tokn": t.token(inv["id"])}, "tokn", "unknown_field")):
            err = expect_error(t.call("POST", path, body, invitee), 400, "validation_failed")
            assert err["fields"].get(field) == code, (body, err)
        expect_error(t.srv.request("POST", path, [], key=t.key, session=invitee.token), 400,
                     "validation_failed")  # a body must be an object
    # a token of the longest accepted length is checked, not refused as input
    expect_error(t.call("POST", "/invitations/%s/accept" % inv["id"], {"token": "t" * 256},
                        invitee), 403, "forbidden")
    assert listed(t, org["id"])[inv["id"]] == "pending"
    t.accept(inv["id"], invitee)


def test_emails_in_the_invitation_list_only_for_holders_of_members_invite():
    t = tenant()
    owner = t.register()
    org = t.create_org(owner)
    oid = org["id"]
    t.create_role("reader", ["members:read"])
    t.create_role("recruiter", ["members:read", "members:invite"])
    t.create_role("all_members", ["members:*"])
    readers = {role: t.add_member(oid, role) for role in ("member", "reader", "admin",
                                                          "recruiter", "all_members")}
    emails = {new_email("l%d" % i) for i in range(3)}
    for e in emails:
        t.invite(oid, e, by=owner)
    path = "/organizations/%s/invitations" % oid
    for role, user in list(readers.items()) + [("owner", owner), ("system", None)]:
        items = walk(t, path, user=user, limit=2)
        pending = [i for i in items if i["status"] == "pending"]
        assert len(pending) == 3, (role, items)
        if role in ("member", "reader"):
            assert all("email" not in i for i in items), (role, items)
            assert all(set(i) >= INV_KEYS - {"email"} for i in items), (role, items)
        else:
            assert {i["email"] for i in pending} == emails, (role, items)
    # creating shows the email to the one who invited
    assert t.invite(oid, "new.%s@example.com" % time.time_ns(), "reader",
                    by=readers["recruiter"])["email"].startswith("new.")


# --- races ----------------------------------------------------------------------------------

def test_ten_concurrent_accepts_make_exactly_one_membership():
    t = tenant()
    owner = t.register()
    org = t.create_org(owner)
    for _ in range(max(2, ROUNDS // 2)):
        email = new_email("race")
        inv = t.invite(org["id"], email, by=owner)
        invitee = t.register(email=email)
        before = t.org(org["id"])["member_count"]
        proof = {"token": t.token(inv["id"])}
        resps = race([lambda: t.call("POST", "/invitations/%s/accept" % inv["id"], proof, invitee)
                      for _ in range(10)])
        got = statuses(resps)
        assert got == [(200, None)] + [(409, "invitation_not_pending")] * 9, got
        assert t.org(org["id"])["member_count"] == before + 1
        assert t.members(org["id"])[invitee.id] == "member"
        assert listed(t, org["id"])[inv["id"]] == "accepted"


def test_accept_racing_revoke_and_reject_ends_in_one_consistent_state():
    t = tenant()
    owner = t.register()
    org = t.create_org(owner)
    for i in range(ROUNDS):
        email = new_email("ar")
        inv = t.invite(org["id"], email, by=owner)
        invitee = t.register(email=email)
        path = "/invitations/" + inv["id"]
        proof = {"token": t.token(inv["id"])}
        other = ("DELETE", path, None, None) if i % 2 == 0 else \
            ("POST", path + "/reject", proof, invitee)
        resps = race([lambda: t.call("POST", path + "/accept", proof, invitee),
                      lambda: t.call(other[0], other[1], other[2], other[3])])
        accept, rival = resps
        assert sorted([accept.status < 300, rival.status < 300]) == [False, True], \
            statuses(resps)
        loser = rival if accept.status < 300 else accept
        expect_error(loser, 409, "invitation_not_pending")
        status = listed(t, org["id"])[inv["id"]]
        is_member = invitee.id in t.members(org["id"])
        assert (status == "accepted") == is_member, (status, is_member, statuses(resps))
        assert status in ("accepted", "revoked", "rejected"), status
