"""test_rbac_roles.py: API.md's Roles and permissions (RBAC) against the real
binary: the built-in roles and their exact permissions, custom roles
(create/list/update/delete, key grammar, permission validation, built-in
keys refused, a role in use cannot be deleted, system calls only), the
wildcard rule end to end ("billing:*" allows "billing:invoices:read", not
"billing" nor "billingx:read"), POST .../permissions/check and GET
.../members/:userId/permissions, role and role-definition changes taking
effect on the next request, a route x role matrix showing that every
organization route checks its permission, and no escalation (issue 10 item
8): nobody changes or removes a member whose role grants a permission their
own role lacks, nor gives or invites with such a role (wildcards included).

One server per module (rate limit lifted); each test uses its own tenant."""
from harness import expect_error
from orgkit import Tenant, new_email, shared_server

SHARED = shared_server()
BUILTIN = {
    "owner": ["*"],
    "admin": ["org:read", "org:update", "members:read", "members:invite", "billing:read", "audit:read"],
    "member": ["org:read", "members:read"],
}


def teardown_module():
    SHARED.stop()


def tenant(name="Acme"):
    return Tenant(SHARED.get(), name)


def roles(t):
    page = t.ok(200, "GET", "/roles")
    assert set(page) >= {"data"}, page
    return {r["key"]: r for r in page["data"]}


# --- built-in and custom roles ----------------------------------------------------

def test_roles_list_has_the_builtin_roles_with_their_exact_permissions():
    t = tenant()
    got = roles(t)
    assert set(got) == set(BUILTIN), got
    for key, perms in BUILTIN.items():
        assert sorted(got[key]["permissions"]) == sorted(perms), got[key]
        assert got[key]["builtin"] is True, got[key]


def test_roles_list_is_paginated_builtin_first_then_custom_by_key():
    t = tenant()
    custom = ["r%02d" % i for i in range(25)]
    for key in reversed(custom):  # created out of order: listed by key
        t.create_role(key, ["org:read"])
    page = t.ok(200, "GET", "/roles")  # 20 by default
    assert [r["key"] for r in page["data"]] == ["owner", "admin", "member"] + custom[:17], page
    assert page["has_more"] is True and page["next_cursor"] == custom[16], page
    seen, after, pages = [], None, 0
    while True:
        page = t.ok(200, "GET", "/roles?limit=2" + ("&after=" + after if after else ""))
        pages += 1
        seen += [r["key"] for r in page["data"]]
        if not page["has_more"]:
            assert page["next_cursor"] is None, page
            break
        after = page["next_cursor"]
    assert seen == ["owner", "admin", "member"] + custom and pages == 14, (seen, pages)
    after_admin = t.ok(200, "GET", "/roles?limit=2&after=admin")["data"]
    assert [r["key"] for r in after_admin] == ["member", "r00"], after_admin
    last = t.ok(200, "GET", "/roles?after=r24")
    assert last["data"] == [] and last["has_more"] is False, last
    for bad in ("limit=0", "limit=101", "after=Bad%20Key", "after=" + "k" * 65):
        err = expect_error(t.call("GET", "/roles?" + bad), 400, "validation_failed")
        assert bad.split("=")[0] in err["fields"], (bad, err)


def test_custom_role_create_list_update_delete():
    t = tenant()
    r = t.ok(201, "POST", "/roles", {"key": "billing_admin", "name": "Billing admin",
                                      "permissions": ["billing:*", "org:read"]})
    assert r["key"] == "billing_admin" and r["name"] == "Billing admin", r
    assert r["permissions"] == ["billing:*", "org:read"] and r["builtin"] is False, r
    got = roles(t)
    assert set(got) == set(BUILTIN) | {"billing_admin"}
    assert got["billing_admin"]["permissions"] == ["billing:*", "org:read"]
    r = t.ok(200, "PATCH", "/roles/billing_admin", {"name": "Billing"})
    assert r["name"] == "Billing" and r["permissions"] == ["billing:*", "org:read"], r
    r = t.ok(200, "PATCH", "/roles/billing_admin", {"permissions": ["billing:read"]})
    assert r["name"] == "Billing" and r["permissions"] == ["billing:read"], r
    r = t.ok(200, "PATCH", "/roles/billing_admin", {"permissions": []})
    assert r["permissions"] == [], r
    assert roles(t)["billing_admin"]["permissions"] == []
    t.ok(204, "DELETE", "/roles/billing_admin")
    assert "billing_admin" not in roles(t)
    expect_error(t.call("DELETE", "/roles/billing_admin"), 404, "not_found")
    expect_error(t.call("PATCH", "/roles/billing_admin", {"name": "x"}), 404, "not_found")
    # the key is free again
    t.create_role("billing_admin", ["billing:read"])


def test_custom_role_validation():
    t = tenant()
    good = {"key": "ok_key", "name": "OK", "permissions": ["org:read"]}
    cases = [
        ({"key": "Bad"}, "key"), ({"key": "bad-key"}, "key"), ({"key": ""}, "key"),
        ({"key": "k" * 65}, "key"), ({"key": "a b"}, "key"), ({"key": 7}, "key"),
        ({"name": ""}, "name"), ({"name": "n" * 101}, "name"),
        ({"permissions": ["billing:*:read"]}, "permissions[0]"),
        ({"permissions": ["org:read", "Org:Read"]}, "permissions[1]"),
        ({"permissions": ["org:"]}, "permissions[0]"),
        ({"permissions": [""]}, "permissions[0]"),
        ({"permissions": ["org read"]}, "permissions[0]"),
        ({"permissions": ["x" * 129]}, "permissions[0]"),
        ({"permissions": "org:read"}, "permissions"),
        ({"permissions": [3]}, "permissions"),
        ({"permissions": ["p:%d" % i for i in range(101)]}, "permissions"),
        ({"extra": True}, "extra"),
    ]
    for change, field in cases:
        body = dict(good, **change)
        err = expect_error(t.call("POST", "/roles", body), 400, "validation_failed")
        assert field in err.get("fields", {}), (change, err)
    for missing in ("key", "name", "permissions"):
        body = {k: v for k, v in good.items() if k != missing}
        err = expect_error(t.call("POST", "/roles", body), 400, "validation_failed")
        assert missing in err.get("fields", {}), (missing, err)
    assert set(roles(t)) == set(BUILTIN)
    t.ok(201, "POST", "/roles", dict(good, key="k" * 64, permissions=["p:%d" % i
                                                                       for i in range(100)]))
    t.ok(201, "POST", "/roles", good)
    err = expect_error(t.call("PATCH", "/roles/ok_key", {"permissions": ["*:*"]}), 400,
                       "validation_failed")
    assert err["fields"] == {"permissions[0]": "invalid_format"}, err
    expect_error(t.call("PATCH", "/roles/ok_key", {"name": ""}), 400, "validation_failed")
    expect_error(t.call("PATCH", "/roles/ok_key", {"key": "other"}), 400, "validation_failed")
    assert roles(t)["ok_key"]["permissions"] == ["org:read"]


def test_duplicate_and_builtin_keys_are_409_and_builtin_roles_cannot_change_or_go():
    t = tenant()
    t.create_role("support", ["org:read"])
    expect_error(t.call("POST", "/roles", {"key": "support", "name": "Again",
                                           "permissions": []}), 409, "conflict")
    for key in BUILTIN:
        expect_error(t.call("POST", "/roles", {"key": key, "name": "Mine",
                                               "permissions": ["*"]}), 409, "conflict")
        expect_error(t.call("PATCH", "/roles/" + key, {"permissions": ["*"]}), 409, "conflict")
        expect_error(t.call("DELETE", "/roles/" + key), 409, "conflict")
    assert {k: sorted(v["permissions"]) for k, v in roles(t).items() if k in BUILTIN} == \
        {k: sorted(v) for k, v in BUILTIN.items()}
    # custom role keys are per tenant
    other = tenant("Other")
    other.create_role("support", ["members:read"])
    assert roles(t)["support"]["permissions"] == ["org:read"]


def test_roles_routes_are_for_the_tenant_backend_only():
    t = tenant()
    u = t.register()
    t.create_role("viewer", ["org:read"])
    for method, path, body in (("GET", "/roles", None),
                               ("POST", "/roles", {"key": "x", "name": "X", "permissions": []}),
                               ("PATCH", "/roles/viewer", {"name": "Y"}),
                               ("DELETE", "/roles/viewer", None)):
        expect_error(t.call(method, path, body, u), 403, "forbidden")
    assert roles(t)["viewer"]["name"] == "Viewer"


def test_a_role_members_hold_cannot_be_deleted_until_nobody_holds_it():
    t = tenant()
    owner = t.register()
    org1, org2 = t.create_org(owner), t.create_org(owner)
    t.create_role("auditor", ["org:read", "members:read"])
    a = t.add_member(org1["id"], "auditor")
    b = t.add_member(org2["id"], "auditor")
    err = expect_error(t.call("DELETE", "/roles/auditor"), 409, "conflict")
    assert err["message"], err
    t.set_role(org1["id"], a.id, "member")
    expect_error(t.call("DELETE", "/roles/auditor"), 409, "conflict")
    t.ok(204, "DELETE", "/organizations/%s/members/%s" % (org2["id"], b.id))
    t.ok(204, "DELETE", "/roles/auditor")
    # another tenant holding a role with the same key does not block this one
    other = tenant("Other")
    other.create_role("auditor", ["org:read"])
    oo = other.create_org(other.register())
    other.add_member(oo["id"], "auditor")
    t.create_role("auditor", ["org:read"])
    t.ok(204, "DELETE", "/roles/auditor")
    expect_error(other.call("DELETE", "/roles/auditor"), 409, "conflict")


# --- permission queries ------------------------------------------------------------------

def test_wildcard_custom_role_through_permissions_check():
    t = tenant()
    owner = t.register()
    org = t.create_org(owner)
    t.create_role("billing_admin", ["billing:*", "org:read"])
    b = t.add_member(org["id"], "billing_admin")
    oid = org["id"]
    want = {"billing:invoices:read": True, "billing:read": True, "billing:invoices:*": True,
            "billing:*": True, "org:read": True, "billing": False, "billingx:read": False,
            "billin:read": False, "org:update": False, "members:read": False, "*": False}
    for perm, allowed in want.items():
        for by in (None, owner, b):  # system, an owner, the user themself
            assert t.check(oid, b.id, perm, by) == (allowed, "billing_admin"), (perm, by)
    # built-in roles
    admin = t.add_member(oid, "admin")
    member = t.add_member(oid, "member")
    for perm in ("anything", "org:delete", "billing:invoices:read", "*", "members:remove"):
        assert t.check(oid, owner.id, perm) == (True, "owner"), perm
    for perm in BUILTIN["admin"]:
        assert t.check(oid, admin.id, perm) == (True, "admin"), perm
    for perm in ("billing:update", "billing:*", "members:update", "org:delete", "org"):
        assert t.check(oid, admin.id, perm) == (False, "admin"), perm
    for perm in BUILTIN["member"]:
        assert t.check(oid, member.id, perm) == (True, "member"), perm
    assert t.check(oid, member.id, "members:invite") == (False, "member")
    # a user who is not a member: not allowed, no role
    stranger = t.register()
    assert t.check(oid, stranger.id, "org:read") == (False, None)
    assert t.check(oid, "usr_" + "0" * 26, "org:read") == (False, None)
    # validation
    path = "/organizations/%s/permissions/check" % oid
    for body in ({"user_id": b.id}, {"permission": "org:read"},
                 {"user_id": b.id, "permission": "billing:*:x"},
                 {"user_id": b.id, "permission": "Org:Read"},
                 {"user_id": b.id, "permission": ""},
                 {"user_id": b.id, "permission": "org:read", "x": 1}):
        expect_error(t.call("POST", path, body), 400, "validation_failed")


def test_checking_others_needs_members_read_checking_oneself_does_not():
    t = tenant()
    owner, outsider = t.register(), t.register()
    org = t.create_org(owner)
    t.create_role("blind", ["org:read"])
    blind = t.add_member(org["id"], "blind")
    oid = org["id"]
    assert t.check(oid, blind.id, "org:read", blind) == (True, "blind")
    expect_error(t.call("POST", "/organizations/%s/permissions/check" % oid,
                        {"user_id": owner.id, "permission": "org:read"}, blind), 403, "forbidden")
    expect_error(t.call("GET", "/organizations/%s/members/%s/permissions" % (oid, owner.id),
                        user=blind), 403, "forbidden")
    got = t.ok(200, "GET", "/organizations/%s/members/%s/permissions" % (oid, blind.id),
               user=blind)
    assert got == {"role": "blind", "permissions": ["org:read"]}, got
    for method, path, body in (
            ("POST", "/organizations/%s/permissions/check" % oid,
             {"user_id": outsider.id, "permission": "org:read"}),
            ("GET", "/organizations/%s/members/%s/permissions" % (oid, outsider.id), None)):
        expect_error(t.call(method, path, body, outsider), 404, "not_found")


def test_member_permissions_lists_the_role_and_its_permissions():
    t = tenant()
    owner = t.register()
    org = t.create_org(owner)
    oid = org["id"]
    t.create_role("ops", ["billing:*", "members:read"])
    users = {role: t.add_member(oid, role) for role in ("admin", "member", "ops")}
    users["owner"] = owner
    expected = dict(BUILTIN, ops=["billing:*", "members:read"])
    for role, u in users.items():
        for by in (None, owner, u):
            got = t.ok(200, "GET", "/organizations/%s/members/%s/permissions" % (oid, u.id),
                       user=by)
            assert got["role"] == role and sorted(got["permissions"]) == sorted(expected[role]), \
                (role, got)
    stranger = t.register()
    for uid in (stranger.id, "usr_" + "0" * 26, "nope"):
        expect_error(t.call("GET", "/organizations/%s/members/%s/permissions" % (oid, uid)),
                     404, "not_found")


def test_role_definition_and_assignment_changes_apply_on_the_next_request():
    t = tenant()
    owner = t.register()
    org = t.create_org(owner)
    oid = org["id"]
    t.create_role("recruiter", ["org:read", "members:read", "members:invite"])
    r = t.add_member(oid, "recruiter")
    inv = "/organizations/%s/invitations" % oid
    t.ok(201, "POST", inv, {"email": new_email()}, r)
    t.ok(200, "PATCH", "/roles/recruiter", {"permissions": ["org:read", "members:read"]})
    expect_error(t.call("POST", inv, {"email": new_email()}, r), 403, "forbidden")
    assert t.check(oid, r.id, "members:invite") == (False, "recruiter")
    t.ok(200, "PATCH", "/roles/recruiter", {"permissions": ["org:read", "members:*"]})
    t.ok(201, "POST", inv, {"email": new_email()}, r)
    got = t.ok(200, "GET", "/organizations/%s/members/%s/permissions" % (oid, r.id))
    assert got["permissions"] == ["org:read", "members:*"], got
    # with members:* the recruiter may now change roles, but only up to its own permissions
    m = t.add_member(oid, "member")
    t.set_role(oid, m.id, "recruiter", by=r)
    expect_error(t.set_role(oid, m.id, "admin", by=r, status=403), 403, "forbidden")
    # a role emptied of permissions grants nothing but membership
    t.ok(200, "PATCH", "/roles/recruiter", {"permissions": []})
    expect_error(t.call("GET", "/organizations/%s/members" % oid, user=r), 403, "forbidden")
    assert t.ok(200, "GET", "/organizations/" + oid, user=r)["id"] == oid


# --- every organization route checks its permission ----------------------------------------

MATRIX_ROLES = {
    "owner": None,  # built-in
    "admin": None,
    "member": None,
    "nothing": [],
    "updater": ["org:update"],
    "deleter": ["org:delete"],
    "reader": ["members:read"],
    "inviter": ["members:invite"],
    "promoter": ["members:update"],
    "remover": ["members:remove"],
}


def _routes(oid, victim_id, inv_id):
    """(name, method, path, body, permission it needs; None: any member), in
    an order where an allowed call never breaks a later one (the destructive
    ones last)."""
    o = "/organizations/" + oid
    return [
        ("get org", "GET", o, None, None),
        ("update org", "PATCH", o, {"name": "Renamed"}, "org:update"),
        ("list members", "GET", o + "/members", None, "members:read"),
        ("member perms", "GET", o + "/members/%s/permissions" % victim_id, None, "members:read"),
        ("check", "POST", o + "/permissions/check",
         {"user_id": victim_id, "permission": "org:read"}, "members:read"),
        ("list invitations", "GET", o + "/invitations", None, "members:read"),
        ("invite", "POST", o + "/invitations", {"email": new_email(), "role": "nothing"},
         "members:invite"),
        ("revoke", "DELETE", "/invitations/" + inv_id, None, "members:invite"),
        ("set role", "PATCH", o + "/members/" + victim_id, {"role": "nothing"}, "members:update"),
        ("remove member", "DELETE", o + "/members/" + victim_id, None, "members:remove"),
        ("delete org", "DELETE", o, None, "org:delete"),
    ]


def _holds(role, perm):
    perms = MATRIX_ROLES[role] if MATRIX_ROLES[role] is not None else BUILTIN[role]
    return perm is None or "*" in perms or perm in perms


def _state(t, oid):
    org = t.org(oid)
    invs = t.ok(200, "GET", "/organizations/%s/invitations?limit=100" % oid)["data"]
    return (org["name"], t.members(oid), sorted((i["id"], i["status"]) for i in invs))


def test_every_organization_route_checks_its_permission_for_every_role():
    t = tenant()
    for key, perms in MATRIX_ROLES.items():
        if perms is not None:
            t.create_role(key, perms)
    owner, victim = t.register(), t.register()
    for role in MATRIX_ROLES:
        org = t.create_org(owner)
        oid = org["id"]
        actor = owner if role == "owner" else t.add_member(oid, role)
        # the victim's role grants nothing, so every actor's role covers it
        # and only the route's own permission decides
        t.add_member(oid, "nothing", user=victim)
        inv = t.invite(oid, new_email())
        for name, method, path, body, perm in _routes(oid, victim.id, inv["id"]):
            if _holds(role, perm):
                r = t.call(method, path, body, actor)
                assert r.status < 300, (role, name, r)
                continue
            before = _state(t, oid)
            expect_error(t.call(method, path, body, actor), 403, "forbidden")
            assert _state(t, oid) == before, (role, name)


# --- owners are above every custom role --------------------------------------------

def test_a_custom_role_with_members_update_and_remove_cannot_demote_or_remove_an_owner():
    t = tenant()
    t.create_role("manager", ["org:read", "members:read", "members:update", "members:remove"])
    founder = t.register()
    org = t.create_org(founder)["id"]
    co_owner = t.add_member(org, "owner")
    manager = t.add_member(org, "manager")
    plain = t.add_member(org, "member")
    # two owners exist, so only the owner-only rule can refuse this
    expect_error(t.call("PATCH", "/organizations/%s/members/%s" % (org, co_owner.id),
                        {"role": "member"}, manager), 403, "forbidden")
    expect_error(t.call("DELETE", "/organizations/%s/members/%s" % (org, co_owner.id),
                        None, manager), 403, "forbidden")
    assert t.members(org)[co_owner.id] == "owner"
    # below the owners the manager does its job
    t.set_role(org, plain.id, "manager", by=manager)
    assert t.call("DELETE", "/organizations/%s/members/%s" % (org, plain.id), None,
                  manager).status == 204
    # and an owner may demote another owner while one remains
    t.set_role(org, co_owner.id, "member", by=founder)


# --- nobody acts on a member above their own rights (issue 10 item 8) -----------------

def member_path(org, user):
    return "/organizations/%s/members/%s" % (org, user.id)


def test_a_custom_role_with_members_update_and_remove_cannot_demote_or_remove_an_admin():
    t = tenant()
    t.create_role("manager", ["org:read", "members:read", "members:update", "members:remove"])
    founder = t.register()
    org = t.create_org(founder)["id"]
    admin = t.add_member(org, "admin")
    manager = t.add_member(org, "manager")
    plain = t.add_member(org, "member")
    # the admin holds org:update, members:invite and billing:read, which the manager lacks
    for role in ("member", "manager", "admin"):
        err = expect_error(t.call("PATCH", member_path(org, admin), {"role": role}, manager),
                           403, "forbidden")
        assert "permissions your own role lacks" in err["message"], err
    err = expect_error(t.call("DELETE", member_path(org, admin), None, manager), 403,
                       "forbidden")
    assert "permissions your own role lacks" in err["message"], err
    # nor may it give a role with more than its own
    for role in ("admin", "owner"):
        err = expect_error(t.call("PATCH", member_path(org, plain), {"role": role}, manager),
                           403, "forbidden")
        assert "permissions your own role lacks" in err["message"], err
    assert t.members(org) == {founder.id: "owner", admin.id: "admin", manager.id: "manager",
                              plain.id: "member"}
    # below its own rights it does its job, and it may step down itself
    t.set_role(org, plain.id, "manager", by=manager)
    t.set_role(org, plain.id, "member", by=manager)
    assert t.call("DELETE", member_path(org, plain), None, manager).status == 204
    # an owner and the system act on the admin as before
    t.set_role(org, admin.id, "member", by=founder)
    t.set_role(org, admin.id, "admin")
    assert t.call("DELETE", member_path(org, admin), None, founder).status == 204
    t.set_role(org, manager.id, "member", by=manager)
    assert t.members(org) == {founder.id: "owner", manager.id: "member"}


def test_wildcards_decide_whose_role_an_actor_covers():
    t = tenant()
    t.create_role("member_admin", ["org:read", "members:*"])
    t.create_role("listed_member_perms", ["org:read", "members:read", "members:update",
                                          "members:remove", "members:invite"])
    t.create_role("biller", ["org:read", "members:read", "billing:*"])
    t.create_role("bill_manager", ["org:read", "members:read", "members:update",
                                   "members:remove", "billing:read", "billing:update"])
    founder = t.register()
    org = t.create_org(founder)["id"]
    star = t.add_member(org, "member_admin")
    listed = t.add_member(org, "listed_member_perms")
    biller = t.add_member(org, "biller")
    bill_manager = t.add_member(org, "bill_manager")
    # "members:*" covers every members:x named one by one, not the reverse
    t.set_role(org, listed.id, "member", by=star)
    t.set_role(org, listed.id, "listed_member_perms", by=star)
    expect_error(t.call("PATCH", member_path(org, star), {"role": "member"}, listed), 403,
                 "forbidden")
    expect_error(t.call("DELETE", member_path(org, star), None, listed), 403, "forbidden")
    expect_error(t.call("PATCH", member_path(org, listed), {"role": "member_admin"}, listed),
                 403, "forbidden")
    # "billing:*" is more than billing:read + billing:update
    expect_error(t.call("PATCH", member_path(org, biller), {"role": "member"}, bill_manager),
                 403, "forbidden")
    expect_error(t.call("DELETE", member_path(org, biller), None, bill_manager), 403,
                 "forbidden")
    expect_error(t.call("PATCH", member_path(org, listed), {"role": "biller"}, bill_manager),
                 403, "forbidden")
    # and "members:*" alone does not cover an admin or the biller
    for target in (biller, bill_manager):
        expect_error(t.call("DELETE", member_path(org, target), None, star), 403, "forbidden")
    admin = t.add_member(org, "admin")
    expect_error(t.call("PATCH", member_path(org, admin), {"role": "member"}, star), 403,
                 "forbidden")
    assert t.members(org) == {founder.id: "owner", star.id: "member_admin",
                              listed.id: "listed_member_perms", biller.id: "biller",
                              bill_manager.id: "bill_manager", admin.id: "admin"}
    # "*" covers all of them
    for target in (star, listed, biller, bill_manager, admin):
        t.set_role(org, target.id, "member", by=founder)


def test_inviting_with_a_role_above_ones_own_is_403_and_within_it_works():
    t = tenant()
    t.create_role("recruiter", ["org:read", "members:read", "members:invite"])
    t.create_role("billing_recruiter", ["org:read", "members:read", "members:invite",
                                        "billing:read"])
    founder = t.register()
    org = t.create_org(founder)["id"]
    r = t.add_member(org, "recruiter")
    path = "/organizations/%s/invitations" % org
    for role in ("admin", "owner", "billing_recruiter"):
        err = expect_error(t.call("POST", path, {"email": new_email(), "role": role}, r), 403,
                           "forbidden")
        assert "permissions your own role lacks" in err["message"], err
    for role in ("member", "recruiter"):
        assert t.invite(org, new_email(), role, by=r)["role"] == role
    # an admin may invite an admin (same permissions), an owner anything
    a = t.add_member(org, "admin")
    assert t.invite(org, new_email(), "admin", by=a)["role"] == "admin"
    expect_error(t.call("POST", path, {"email": new_email(), "role": "owner"}, a), 403,
                 "forbidden")
    assert t.invite(org, new_email(), "owner", by=founder)["role"] == "owner"


def test_the_owner_rules_still_hold_with_the_coverage_rule():
    t = tenant()
    founder = t.register()
    org = t.create_org(founder)["id"]
    # the last owner can still be neither demoted nor removed, even by the system
    expect_error(t.call("PATCH", member_path(org, founder), {"role": "admin"}, founder), 409,
                 "conflict")
    expect_error(t.call("DELETE", member_path(org, founder)), 409, "conflict")
    # an owner covers another owner
    co = t.add_member(org, "owner")
    t.set_role(org, co.id, "admin", by=founder)
    t.set_role(org, co.id, "owner", by=founder)
    assert t.call("DELETE", member_path(org, co), None, founder).status == 204
    assert t.members(org) == {founder.id: "owner"}


def test_a_role_carried_by_a_pending_invitation_cannot_be_deleted():
    t = tenant()
    t.create_role("auditor", ["org:read", "billing:read"])
    founder = t.register()
    org = t.create_org(founder)["id"]
    inv = t.invite(org, new_email(), "auditor")
    expect_error(t.call("DELETE", "/roles/auditor"), 409, "conflict")
    t.ok(204, "DELETE", "/invitations/" + inv["id"])
    t.ok(204, "DELETE", "/roles/auditor")


def test_the_route_table_declares_the_permissions_the_matrix_above_enforces():
    """The permission a service checks comes from its route's declaration
    (`saasd routes`, src/routes.c): it must be the one the role matrix
    proves is enforced; routes whose check depends on the path (oneself)
    or body declare none and let the service decide."""
    import json
    import subprocess
    import harness
    r = subprocess.run([harness.BIN, "routes"], stdout=subprocess.PIPE, timeout=30)
    declared = {(x["method"], x["path"]): x["permission"] for x in json.loads(r.stdout)}
    pattern = {"get org": "/organizations/:id", "update org": "/organizations/:id",
               "list members": "/organizations/:id/members",
               "member perms": "/organizations/:id/members/:userId/permissions",
               "check": "/organizations/:id/permissions/check",
               "list invitations": "/organizations/:id/invitations",
               "invite": "/organizations/:id/invitations", "revoke": "/invitations/:id",
               "set role": "/organizations/:id/members/:userId",
               "remove member": "/organizations/:id/members/:userId",
               "delete org": "/organizations/:id"}
    depends_on_self = {"member perms", "check", "remove member"}
    for name, method, _path, _body, perm in _routes("org_x", "usr_x", "inv_x"):
        want = None if name in depends_on_self else perm
        assert declared[(method, pattern[name])] == want, (name, declared[(method, pattern[name])])
