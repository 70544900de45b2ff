"""test_orgs.py: the Organizations section of API.md (organizations and
members) against the real binary: creation by a session (creator becomes
owner) and by the system (owner_id), slugs, member_count, update and delete
with their permissions, a user's organizations with roles, the members list,
role changes and removals, leaving, the last-owner rule (also under racing
requests: owners removing or demoting each other, both leaving, the system
removing both), role changes taking effect on the next request, no role
above one's own permissions, a non-member seeing 404, and cursor pagination
of every list.

One server per module (rate limit lifted, 8 HTTP threads); each test uses
its own tenant."""
import json
import re
import uuid

from harness import db_rows, expect_error
from orgkit import ROUNDS, Tenant, expect, race, shared_server, statuses, walk

SHARED = shared_server()
ORG_KEYS = {"id", "name", "slug", "owner_id", "member_count", "created_at", "updated_at"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")


def teardown_module():
    SHARED.stop()


def tenant(name="Acme"):
    return Tenant(SHARED.get(), name)


# --- create ----------------------------------------------------------------------

def test_session_creates_organization_and_becomes_its_owner():
    t = tenant()
    u = t.register(name="Olga")
    org = t.create_org(u, name="Acme, Inc.")
    assert set(org) >= {"id", "name", "slug", "owner_id", "created_at"}, org
    assert re.match(r"^org_[0-9a-z]{26}$", org["id"]), org
    assert org["name"] == "Acme, Inc." and org["slug"] == "acme-inc", org
    assert org["owner_id"] == u.id, org
    assert RFC3339.match(org["created_at"]), org
    assert t.members(org["id"]) == {u.id: "owner"}
    got = t.ok(200, "GET", "/organizations/" + org["id"], user=u)
    assert set(got) == ORG_KEYS and got["member_count"] == 1, got
    assert {k: got[k] for k in ("id", "name", "slug", "owner_id", "created_at")} == \
        {k: org[k] for k in ("id", "name", "slug", "owner_id", "created_at")}
    mine = t.ok(200, "GET", "/users/%s/organizations" % u.id, user=u)
    assert [(x["organization"]["id"], x["role"]) for x in mine["data"]] == [(org["id"], "owner")]


def test_system_creates_organization_for_owner_id_and_refuses_missing_or_foreign_owner():
    t, other = tenant(), tenant("Other")
    u = t.register()
    org = t.ok(201, "POST", "/organizations", {"name": "Backend Made", "owner_id": u.id})
    assert org["owner_id"] == u.id and org["slug"] == "backend-made", org
    assert t.members(org["id"]) == {u.id: "owner"}
    err = expect_error(t.call("POST", "/organizations", {"name": "No Owner"}), 400,
                       "validation_failed")
    assert err["fields"] == {"owner_id": "required"}, err
    stranger = other.register()
    for owner in (stranger.id, "usr_" + "0" * 26, "not-an-id"):
        err = expect_error(t.call("POST", "/organizations", {"name": "X", "owner_id": owner}),
                           400, "validation_failed")
        assert err["fields"] == {"owner_id": "not_found"}, (owner, err)
    # a session cannot create an organization for somebody else
    v = t.register()
    err = expect_error(t.call("POST", "/organizations", {"name": "X", "owner_id": v.id}, u),
                       400, "validation_failed")
    assert err["fields"].get("owner_id") == "not_allowed", err
    # nothing was created for anyone on the way
    assert t.ok(200, "GET", "/users/%s/organizations" % v.id)["data"] == []
    assert t.ok(200, "GET", "/users/%s/organizations" % u.id)["data"][0]["organization"]["id"] \
        == org["id"]


def test_create_validates_name_slug_and_unknown_fields():
    t = tenant()
    u = t.register()
    for body, field in (({}, "name"), ({"name": ""}, "name"), ({"name": "x" * 201}, "name"),
                        ({"name": 5}, "name"), ({"name": "A", "slug": "Bad Slug"}, "slug"),
                        ({"name": "A", "slug": "-edge"}, "slug"),
                        ({"name": "A", "slug": "x" * 65}, "slug"),
                        ({"name": "A", "colour": "red"}, "colour")):
        err = expect_error(t.call("POST", "/organizations", body, u), 400, "validation_failed")
        assert field in err.get("fields", {}), (body, err)
    assert t.ok(200, "GET", "/users/%s/organizations" % u.id, user=u)["data"] == []


def test_explicit_slug_taken_is_409_and_derived_slug_gets_a_suffix():
    t, other = tenant(), tenant("Other")
    u = t.register()
    a = t.create_org(u, name="Same Name", slug="same")
    err = expect_error(t.call("POST", "/organizations", {"name": "B", "slug": "same"}, u),
                       409, "conflict")
    assert err.get("fields") == {"slug": "taken"}, err
    b = t.create_org(u, name="Same")  # derives "same", which is taken
    assert b["slug"] != "same" and b["slug"].startswith("same-"), b
    assert re.match(r"^[a-z0-9-]{1,64}$", b["slug"]), b
    # slugs are per tenant
    ou = other.register()
    assert other.create_org(ou, name="Whatever", slug="same")["slug"] == "same"
    # PATCH onto a taken slug is 409 as well
    err = expect_error(t.call("PATCH", "/organizations/" + b["id"], {"slug": "same"}, u),
                       409, "conflict")
    assert t.org(a["id"])["slug"] == "same"


def test_concurrent_creates_with_one_name_all_succeed_with_distinct_slugs():
    t = tenant()
    u = t.register()
    name = "Race " + uuid.uuid4().hex[:6]
    resps = race([lambda: t.call("POST", "/organizations", {"name": name}, u)
                  for _ in range(8)])
    assert [r.status for r in resps] == [201] * 8, statuses(resps)
    slugs = [r.json["slug"] for r in resps]
    assert len(set(slugs)) == 8, slugs


# --- get / update / delete ----------------------------------------------------------

def test_get_shows_member_count_to_members_and_system_and_404_to_non_members():
    t = tenant()
    owner, outsider = t.register(), t.register()
    org = t.create_org(owner)
    assert t.org(org["id"])["member_count"] == 1
    m = t.add_member(org["id"], "member")
    t.add_member(org["id"], "admin")
    assert t.org(org["id"])["member_count"] == 3
    assert t.ok(200, "GET", "/organizations/" + org["id"], user=m)["member_count"] == 3
    expect_error(t.call("GET", "/organizations/" + org["id"], user=outsider), 404, "not_found")
    for bad in ("org_" + "0" * 26, "org_nope", owner.id, "x"):
        expect_error(t.call("GET", "/organizations/" + bad), 404, "not_found")
        expect_error(t.call("GET", "/organizations/" + bad, user=owner), 404, "not_found")
    t.ok(204, "DELETE", "/organizations/%s/members/%s" % (org["id"], m.id))
    assert t.org(org["id"])["member_count"] == 2


def test_update_needs_org_update_admin_yes_member_no_outsider_404():
    t = tenant()
    owner, outsider = t.register(), t.register()
    org = t.create_org(owner, name="Before")
    admin = t.add_member(org["id"], "admin")
    member = t.add_member(org["id"], "member")
    path = "/organizations/" + org["id"]
    got = t.ok(200, "PATCH", path, {"name": "By Owner"}, owner)
    assert got["name"] == "By Owner" and got["slug"] == org["slug"], got
    assert set(got) == ORG_KEYS and got["member_count"] == 3, got
    assert t.ok(200, "PATCH", path, {"name": "By Admin", "slug": "by-admin"}, admin)["slug"] == \
        "by-admin"
    expect_error(t.call("PATCH", path, {"name": "By Member"}, member), 403, "forbidden")
    expect_error(t.call("PATCH", path, {"name": "By Outsider"}, outsider), 404, "not_found")
    assert t.ok(200, "PATCH", path, {"name": "By System"})["name"] == "By System"
    for body in ({"name": ""}, {"slug": "UPPER"}, {"owner_id": owner.id}):
        expect_error(t.call("PATCH", path, body, owner), 400, "validation_failed")
    got = t.org(org["id"])
    assert (got["name"], got["slug"]) == ("By System", "by-admin"), got


def test_delete_needs_org_delete_which_only_owners_hold():
    t = tenant()
    owner, outsider = t.register(), t.register()
    org = t.create_org(owner)
    admin = t.add_member(org["id"], "admin")
    member = t.add_member(org["id"], "member")
    inv = t.invite(org["id"], "pending@example.com")
    path = "/organizations/" + org["id"]
    expect_error(t.call("DELETE", path, user=member), 403, "forbidden")
    expect_error(t.call("DELETE", path, user=admin), 403, "forbidden")
    expect_error(t.call("DELETE", path, user=outsider), 404, "not_found")
    t.org(org["id"])
    t.ok(204, "DELETE", path, user=owner)
    expect_error(t.call("GET", path), 404, "not_found")
    expect_error(t.call("DELETE", path, user=owner), 404, "not_found")
    expect_error(t.call("GET", path + "/members"), 404, "not_found")
    for u in (owner, admin, member):
        assert t.ok(200, "GET", "/users/%s/organizations" % u.id)["data"] == []
    expect_error(t.call("DELETE", "/invitations/" + inv["id"]), 404, "not_found")
    # each member that went with it is announced like a removal
    removed = [json.loads(row[0]) for row in db_rows(
        t.srv, "SELECT payload FROM webhook_events WHERE type = 'organization.member_removed'"
               " AND payload LIKE ?", ("%" + org["id"] + "%",))]
    assert sorted((p["data"]["user_id"], p["data"]["role"]) for p in removed) == \
        sorted([(owner.id, "owner"), (admin.id, "admin"), (member.id, "member")]), removed
    # the system may delete any organization of its tenant
    org2 = t.create_org(owner)
    t.ok(204, "DELETE", "/organizations/" + org2["id"])
    expect_error(t.call("GET", "/organizations/" + org2["id"]), 404, "not_found")


# --- a user's organizations ------------------------------------------------------------

def test_user_organizations_lists_each_membership_with_its_role_and_paginates():
    t = tenant()
    u, other = t.register(), t.register()
    roles = {}
    for i in range(5):
        org = t.create_org(u, name="Own %d" % i)
        roles[org["id"]] = "owner"
    for role in ("admin", "member"):
        org = t.create_org(other)
        t.add_member(org["id"], role, user=u)
        roles[org["id"]] = role
    t.create_org(other)  # not u's
    path = "/users/%s/organizations" % u.id
    for limit in (1, 2, 3, 100):
        items = walk(t, path, user=u, limit=limit)
        assert {x["organization"]["id"]: x["role"] for x in items} == roles, items
        assert len(items) == len(roles), items
    items = walk(t, path, limit=2)  # the system sees the same
    assert {x["organization"]["id"]: x["role"] for x in items} == roles
    for x in items:
        assert set(x) >= {"organization", "role"}, x
        assert set(x["organization"]) >= {"id", "name", "slug", "owner_id", "created_at"}, x
    page = t.ok(200, "GET", path + "?limit=7", user=u)
    assert len(page["data"]) == 7 and page["has_more"] is False and page["next_cursor"] is None
    page = t.ok(200, "GET", path, user=u)  # default limit 20
    assert len(page["data"]) == 7 and page["has_more"] is False
    for q in ("limit=0", "limit=101", "limit=x", "after=%20"):
        expect_error(t.call("GET", path + "?" + q, user=u), 400, "validation_failed")
    # another user of the tenant may not look
    r = t.call("GET", path, user=other)
    assert r.status in (403, 404), r
    expect_error(t.call("GET", "/users/%s/organizations" % ("usr_" + "0" * 26)), 404,
                 "not_found")


# --- members ------------------------------------------------------------------------------

def test_members_list_shape_permission_and_pagination():
    t = tenant()
    owner, outsider = t.register(), t.register()
    org = t.create_org(owner)
    want, users = {owner.id: "owner"}, {}
    for role in ("admin", "member", "member", "admin", "member"):
        u = t.add_member(org["id"], role)
        want[u.id], users[role] = role, u
    t.create_role("no_read", ["org:read"])
    blind = t.add_member(org["id"], "no_read")
    want[blind.id] = "no_read"
    path = "/organizations/%s/members" % org["id"]
    for limit in (1, 3, 7, 20):
        items = walk(t, path, user=owner, limit=limit)
        assert {m["user"]["id"]: m["role"] for m in items} == want, items
        assert len(items) == len(want)
    m = items[0]
    assert set(m) >= {"user", "role", "joined_at"}, m
    assert set(m["user"]) >= {"id", "email", "name", "email_verified", "created_at"}, m
    assert "password_hash" not in str(items)
    assert RFC3339.match(m["joined_at"]), m
    assert len(walk(t, path, user=users["member"], limit=5)) == len(want)  # member holds members:read
    expect_error(t.call("GET", path, user=blind), 403, "forbidden")
    expect_error(t.call("GET", path, user=outsider), 404, "not_found")
    expect_error(t.call("GET", path + "?limit=0", user=owner), 400, "validation_failed")


def test_role_change_needs_members_update_and_takes_effect_on_the_next_request():
    t = tenant()
    owner = t.register()
    org = t.create_org(owner)
    admin = t.add_member(org["id"], "admin")
    m = t.add_member(org["id"], "member")
    inv_path = "/organizations/%s/invitations" % org["id"]
    expect_error(t.call("POST", inv_path, {"email": "x@example.com"}, m), 403, "forbidden")
    # admin lacks members:update; member too
    expect_error(t.call("PATCH", "/organizations/%s/members/%s" % (org["id"], m.id),
                        {"role": "admin"}, admin), 403, "forbidden")
    expect_error(t.call("PATCH", "/organizations/%s/members/%s" % (org["id"], admin.id),
                        {"role": "member"}, m), 403, "forbidden")
    r = t.set_role(org["id"], m.id, "admin", by=owner)
    assert r.json["role"] == "admin" and r.json["user_id"] == m.id, r
    assert r.json["organization_id"] == org["id"], r
    # the very next request of the promoted member may invite
    t.ok(201, "POST", inv_path, {"email": "y@example.com"}, m)
    t.set_role(org["id"], m.id, "member", by=owner)
    expect_error(t.call("POST", inv_path, {"email": "z@example.com"}, m), 403, "forbidden")
    # system may change roles
    t.set_role(org["id"], admin.id, "member")
    expect_error(t.call("PATCH", "/organizations/" + org["id"], {"name": "N"}, admin), 403,
                 "forbidden")
    assert t.members(org["id"]) == {owner.id: "owner", admin.id: "member", m.id: "member"}


def test_role_change_validates_role_and_target():
    t = tenant()
    owner, outsider = t.register(), t.register()
    org = t.create_org(owner)
    m = t.add_member(org["id"], "member")
    base = "/organizations/%s/members/" % org["id"]
    err = expect_error(t.call("PATCH", base + m.id, {"role": "no_such_role"}, owner), 400,
                       "validation_failed")
    assert err["fields"] == {"role": "unknown_role"}, err
    for bad in ({"role": "Admin"}, {"role": ""}, {}, {"role": 3}, {"role": "member", "x": 1}):
        expect_error(t.call("PATCH", base + m.id, bad, owner), 400, "validation_failed")
    expect_error(t.call("PATCH", base + outsider.id, {"role": "member"}, owner), 404,
                 "not_found")
    expect_error(t.call("PATCH", base + "usr_" + "0" * 26, {"role": "member"}, owner), 404,
                 "not_found")
    expect_error(t.call("PATCH", base + "nope", {"role": "member"}, owner), 404, "not_found")
    # a non-member asking gets 404, whatever the body
    expect_error(t.call("PATCH", base + m.id, {"role": "member"}, outsider), 404, "not_found")
    expect_error(t.call("PATCH", base + m.id, {"role": "no_such_role"}, outsider), 404,
                 "not_found")
    expect_error(t.call("PATCH", "/organizations/%s/members/%s" % ("org_" + "0" * 26, m.id),
                        {"role": "member"}), 404, "not_found")
    assert t.members(org["id"]) == {owner.id: "owner", m.id: "member"}


def test_nobody_assigns_a_role_with_permissions_they_do_not_hold():
    t = tenant()
    owner = t.register()
    org = t.create_org(owner)
    t.create_role("manager", ["org:read", "members:read", "members:update"])
    t.create_role("biller", ["billing:*"])
    mgr = t.add_member(org["id"], "manager")
    m = t.add_member(org["id"], "member")
    for role in ("admin", "owner", "biller"):
        expect_error(t.set_role(org["id"], m.id, role, by=mgr, status=403), 403, "forbidden")
    t.set_role(org["id"], m.id, "manager", by=mgr)  # exactly its own permissions
    t.set_role(org["id"], m.id, "member", by=mgr)  # fewer
    # an owner (*) may assign anything
    t.set_role(org["id"], m.id, "biller", by=owner)
    t.set_role(org["id"], m.id, "owner", by=owner)
    assert t.members(org["id"])[m.id] == "owner"


def test_remove_needs_members_remove_but_anyone_may_leave():
    t = tenant()
    owner, outsider = t.register(), t.register()
    org = t.create_org(owner)
    admin = t.add_member(org["id"], "admin")
    m1 = t.add_member(org["id"], "member")
    m2 = t.add_member(org["id"], "member")
    base = "/organizations/%s/members/" % org["id"]
    expect_error(t.call("DELETE", base + m1.id, user=admin), 403, "forbidden")
    expect_error(t.call("DELETE", base + m1.id, user=m2), 403, "forbidden")
    expect_error(t.call("DELETE", base + m1.id, user=outsider), 404, "not_found")
    expect_error(t.call("DELETE", base + outsider.id, user=owner), 404, "not_found")
    t.ok(204, "DELETE", base + m1.id, user=m1)  # leaving
    t.ok(204, "DELETE", base + admin.id, user=admin)
    expect_error(t.call("GET", "/organizations/" + org["id"], user=m1), 404, "not_found")
    expect_error(t.call("DELETE", base + m1.id, user=m1), 404, "not_found")
    t.ok(204, "DELETE", base + m2.id, user=owner)
    expect_error(t.call("GET", base[:-1], user=m2), 404, "not_found")
    assert t.members(org["id"]) == {owner.id: "owner"}
    assert t.org(org["id"])["member_count"] == 1
    # a custom role with members:remove may remove others whose role it covers:
    # a member holds members:read, which this remover lacks until it gets it
    t.create_role("remover", ["org:read", "members:remove"])
    rem = t.add_member(org["id"], "remover")
    victim = t.add_member(org["id"], "member")
    expect_error(t.call("DELETE", base + victim.id, user=rem), 403, "forbidden")
    t.ok(200, "PATCH", "/roles/remover", {"permissions": ["org:read", "members:read",
                                                          "members:remove"]})
    t.ok(204, "DELETE", base + victim.id, user=rem)
    # the system may remove
    t.ok(204, "DELETE", base + rem.id)
    assert t.members(org["id"]) == {owner.id: "owner"}


def test_last_owner_can_be_neither_removed_nor_demoted_nor_leave():
    t = tenant()
    owner = t.register()
    org = t.create_org(owner)
    base = "/organizations/%s/members/" % org["id"]
    for who in (owner, None):
        err = expect_error(t.call("DELETE", base + owner.id, user=who), 409, "conflict")
        assert "owner" in err["message"], err
        for role in ("admin", "member"):
            expect_error(t.call("PATCH", base + owner.id, {"role": role}, who), 409, "conflict")
    # owner -> owner is not a demotion
    t.set_role(org["id"], owner.id, "owner", by=owner)
    # with a second owner, the first may be demoted, then the second is the last
    second = t.add_member(org["id"], "owner")
    t.set_role(org["id"], owner.id, "admin", by=second)
    expect_error(t.call("DELETE", base + second.id, user=second), 409, "conflict")
    expect_error(t.call("PATCH", base + second.id, {"role": "member"}), 409, "conflict")
    t.set_role(org["id"], owner.id, "owner", by=second)
    t.ok(204, "DELETE", base + second.id, user=second)
    assert t.members(org["id"]) == {owner.id: "owner"}


# --- races on the last owners ---------------------------------------------------------------

def _two_owner_org(t, a, b):
    org = t.create_org(a)
    t.add_member(org["id"], "owner", user=b)
    return org["id"]


def _owners(t, org_id):
    return sorted(u for u, r in t.members(org_id).items() if r == "owner")


def test_two_owners_removing_each_other_concurrently_never_leave_zero_owners():
    t = tenant()
    a, b = t.register(), t.register()
    for _ in range(ROUNDS):
        org = _two_owner_org(t, a, b)
        base = "/organizations/%s/members/" % org
        resps = race([lambda: t.call("DELETE", base + b.id, user=a),
                      lambda: t.call("DELETE", base + a.id, user=b)])
        got = statuses(resps)
        owners = _owners(t, org)
        assert len(owners) == 1, (got, t.members(org))
        assert got[0] == (204, None) and got[1] in ((404, "not_found"), (409, "conflict")), got
        assert t.org(org)["member_count"] == 1


def test_two_owners_demoting_each_other_concurrently_never_leave_zero_owners():
    t = tenant()
    a, b = t.register(), t.register()
    for i in range(ROUNDS):
        org = _two_owner_org(t, a, b)
        base = "/organizations/%s/members/" % org
        role = ("member", "admin")[i % 2]
        resps = race([lambda: t.call("PATCH", base + b.id, {"role": role}, a),
                      lambda: t.call("PATCH", base + a.id, {"role": role}, b)])
        got = statuses(resps)
        assert len(_owners(t, org)) == 1, (got, t.members(org))
        assert got[0] == (200, None) and got[1] in ((403, "forbidden"), (409, "conflict")), got


def test_two_owners_leaving_concurrently_and_system_removing_both_keep_one_owner():
    t = tenant()
    a, b = t.register(), t.register()
    for i in range(ROUNDS):
        org = _two_owner_org(t, a, b)
        base = "/organizations/%s/members/" % org
        if i % 2:
            calls = [lambda: t.call("DELETE", base + a.id, user=a),
                     lambda: t.call("DELETE", base + b.id, user=b)]
        else:
            calls = [lambda: t.call("DELETE", base + a.id),
                     lambda: t.call("DELETE", base + b.id)]
        got = statuses(race(calls))
        assert len(_owners(t, org)) == 1, (got, t.members(org))
        assert got == [(204, None), (409, "conflict")], got


def test_demote_and_remove_mixed_races_keep_an_owner():
    t = tenant()
    a, b = t.register(), t.register()
    for _ in range(ROUNDS):
        org = _two_owner_org(t, a, b)
        base = "/organizations/%s/members/" % org
        resps = race([lambda: t.call("PATCH", base + b.id, {"role": "member"}, a),
                      lambda: t.call("DELETE", base + a.id, user=b),
                      lambda: t.call("DELETE", base + b.id),
                      lambda: t.call("PATCH", base + a.id, {"role": "admin"})])
        for r in resps:
            assert r.status in (200, 204, 403, 404, 409), r
            assert r.status < 500, r
        assert len(_owners(t, org)) >= 1, (statuses(resps), t.members(org))


def test_non_member_gets_404_never_403_on_every_organization_route():
    t = tenant()
    owner, outsider = t.register(), t.register()
    org = t.create_org(owner)
    m = t.add_member(org["id"], "member")
    inv = t.invite(org["id"], "someone@example.com")
    o = "/organizations/" + org["id"]
    calls = [("GET", o, None), ("PATCH", o, {"name": "x"}), ("DELETE", o, None),
             ("GET", o + "/members", None),
             ("PATCH", o + "/members/" + m.id, {"role": "member"}),
             ("DELETE", o + "/members/" + m.id, None),
             ("GET", o + "/members/%s/permissions" % m.id, None),
             ("GET", o + "/members/%s/permissions" % outsider.id, None),
             ("POST", o + "/permissions/check", {"user_id": m.id, "permission": "org:read"}),
             ("POST", o + "/permissions/check", {"user_id": outsider.id,
                                                  "permission": "org:read"}),
             ("POST", o + "/invitations", {"email": "new@example.com"}),
             ("GET", o + "/invitations", None),
             ("DELETE", "/invitations/" + inv["id"], None)]
    for method, path, body in calls:
        expect(t.call(method, path, body, outsider), 404, "not_found")
    assert t.members(org["id"]) == {owner.id: "owner", m.id: "member"}
    assert t.org(org["id"])["name"] == org["name"]

