"""test_invitations.py: the invitation part of API.md's Organizations section
against the real binary: create (shape, default role, 7-day expiry, the mail
through the outbox with the tenant's invite_url, EMAIL_PROVIDER=log), who may
invite and with which role, already_member, re-inviting a pending email
refreshes it, list with pagination and statuses, revoke, accept (only the
invitee's session, case-insensitive email), reject, expiry (expires_at moved
into the past in the database), and races: ten concurrent accepts make one
membership, accept against revoke, concurrent re-invites stay one
invitation.

One server per module (rate limit lifted, 8 HTTP threads); each test uses
its own tenant."""
import datetime
import re
import time

from harness import expect_error, wait_for
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


def mails_to(srv, email):
    """The invitation mails the log provider wrote for email, oldest first."""
    return [line for line in srv.log_lines()
            if str(line.get("msg", "")).startswith("mail (EMAIL_PROVIDER=log")
            and line.get("to") == email]


def wait_mails(srv, email, n):
    return wait_for(lambda: (lambda m: m if len(m) >= n else None)(mails_to(srv, email)),
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


def test_reinviting_a_pending_email_refreshes_the_invitation_instead_of_duplicating_it():
    t = tenant()
    owner = t.register()
    org = t.create_org(owner)
    email = new_email("again")
    first = t.invite(org["id"], email, "member", by=owner)
    expire(t, first["id"])  # so the refresh visibly moves the expiry forward
    second = t.invite(org["id"], email.upper(), "admin", by=owner)
    assert second["id"] == first["id"], (first, second)
    assert second["role"] == "admin" and second["status"] == "pending", second
    assert parse_ts(second["expires_at"]) > time.time() + SEVEN_DAYS - 60, second
    assert listed(t, org["id"]) == {first["id"]: "pending"}
    items = walk(t, "/organizations/%s/invitations" % org["id"])
    assert items[0]["role"] == "admin", items
    # each (re)invite mails a fresh link
    mails = wait_mails(t.srv, email, 1) + wait_mails(t.srv, email.upper(), 1)
    tokens = [TOKEN.search(m["text"].split("token=", 1)[1]).group(0) for m in mails]
    assert len(set(tokens)) == 2, tokens
    # once it is no longer pending, inviting again makes a new invitation
    t.ok(204, "DELETE", "/invitations/" + first["id"], user=owner)
    third = t.invite(org["id"], email, by=owner)
    assert third["id"] != first["id"]
    assert listed(t, org["id"]) == {first["id"]: "revoked", third["id"]: "pending"}


def test_concurrent_reinvites_of_one_email_stay_one_invitation():
    t = tenant()
    owner = t.register()
    org = t.create_org(owner)
    for _ in range(max(2, ROUNDS // 2)):
        email = new_email("dup")
        resps = race([lambda: t.call("POST", "/organizations/%s/invitations" % org["id"],
                                     {"email": email}, owner) for _ in range(6)])
        assert [r.status for r in resps] == [201] * 6, statuses(resps)
        assert len({r.json["id"] for r in resps}) == 1, [r.json for r in resps]
    items = walk(t, "/organizations/%s/invitations" % org["id"], limit=100)
    emails = [i["email"] for i in items]
    assert len(emails) == len(set(emails)), emails


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
    t.ok(200, "POST", "/invitations/%s/reject" % invs[3]["id"], user=rejecter)
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
    assert len(walk(t, path, user=member, limit=3)) == len(want) + 2
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
    expect_error(t.call("POST", path + "/accept", user=invitee), 409, "invitation_not_pending")
    expect_error(t.call("POST", path + "/reject", user=invitee), 409, "invitation_not_pending")
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
    expect_error(t.call("POST", path, user=other), 404, "not_found")
    expect_error(t.call("POST", path, user=owner), 404, "not_found")
    expect_error(t.call("POST", "/invitations/inv_%s/accept" % ("0" * 26), user=invitee), 404,
                 "not_found")
    assert t.org(org["id"])["member_count"] == 1
    m = t.accept(inv["id"], invitee)
    assert m["user"]["id"] == invitee.id and m["role"] == "admin", m
    assert m["organization_id"] == org["id"] and "joined_at" in m, m
    assert t.org(org["id"])["member_count"] == 2
    assert t.members(org["id"]) == {owner.id: "owner", invitee.id: "admin"}
    mine = t.ok(200, "GET", "/users/%s/organizations" % invitee.id, user=invitee)["data"]
    assert [(x["organization"]["id"], x["role"]) for x in mine] == [(org["id"], "admin")]
    expect_error(t.call("POST", path, user=invitee), 409, "invitation_not_pending")
    expect_error(t.call("POST", "/invitations/%s/reject" % inv["id"], user=invitee), 409,
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
    expect_error(t.call("POST", path, user=other), 404, "not_found")
    r = t.ok(200, "POST", path, user=invitee)
    assert r["id"] == inv["id"] and r["status"] == "rejected", r
    expect_error(t.call("POST", path, user=invitee), 409, "invitation_not_pending")
    expect_error(t.call("POST", "/invitations/%s/accept" % inv["id"], user=invitee), 409,
                 "invitation_not_pending")
    expect_error(t.call("DELETE", "/invitations/" + inv["id"]), 409, "invitation_not_pending")
    assert t.members(org["id"]) == {owner.id: "owner"}
    assert listed(t, org["id"]) == {inv["id"]: "rejected"}


def test_expired_invitation_cannot_be_accepted_is_listed_expired_and_a_reinvite_renews_it():
    t = tenant()
    owner = t.register()
    org = t.create_org(owner)
    email = new_email("exp")
    inv = t.invite(org["id"], email, by=owner)
    invitee = t.register(email=email)
    expire(t, inv["id"])
    for action in ("accept", "reject"):
        expect_error(t.call("POST", "/invitations/%s/%s" % (inv["id"], action), user=invitee),
                     409, "invitation_not_pending")
    expect_error(t.call("DELETE", "/invitations/" + inv["id"]), 409, "invitation_not_pending")
    item = walk(t, "/organizations/%s/invitations" % org["id"])[0]
    assert item["id"] == inv["id"] and item["status"] == "expired", item
    assert parse_ts(item["expires_at"]) < time.time(), item
    assert t.members(org["id"]) == {owner.id: "owner"}
    # inviting the address again renews the same invitation
    again = t.invite(org["id"], email, by=owner)
    assert again["id"] == inv["id"] and again["status"] == "pending", again
    t.accept(inv["id"], invitee)
    assert t.members(org["id"]) == {owner.id: "owner", invitee.id: "member"}


def test_deleting_the_organization_takes_its_invitations_along():
    t = tenant()
    owner = t.register()
    org = t.create_org(owner)
    email = new_email()
    inv = t.invite(org["id"], email, by=owner)
    invitee = t.register(email=email)
    t.ok(204, "DELETE", "/organizations/" + org["id"], user=owner)
    expect_error(t.call("POST", "/invitations/%s/accept" % inv["id"], user=invitee), 404,
                 "not_found")
    expect_error(t.call("DELETE", "/invitations/" + inv["id"]), 404, "not_found")


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
        resps = race([lambda: t.call("POST", "/invitations/%s/accept" % inv["id"], user=invitee)
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
        other = ("DELETE", path, None) if i % 2 == 0 else ("POST", path + "/reject", invitee)
        resps = race([lambda: t.call("POST", path + "/accept", user=invitee),
                      lambda: t.call(other[0], other[1], user=other[2])])
        accept, rival = resps
        assert sorted([accept.status < 300, rival.status < 300]) == [False, True], \
            statuses(resps)
        loser = rival if accept.status < 300 else accept
        expect_error(loser, 409, "invitation_not_pending")
        status = listed(t, org["id"])[inv["id"]]
        is_member = invitee.id in t.members(org["id"])
        assert (status == "accepted") == is_member, (status, is_member, statuses(resps))
        assert status in ("accepted", "revoked", "rejected"), status
