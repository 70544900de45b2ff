"""orgkit.py: helpers shared by the organization, invitation, RBAC and
tenant-isolation e2e tests (test_orgs.py, test_invitations.py,
test_rbac_roles.py, test_tenant_isolation.py). Not a test module itself.

Tenant wraps one tenant of a running saasd: its key, and shortcuts to
register users (with sessions), create organizations, invite and accept
(with the token of the invitation mail, read by harness.invitation_token).
db_exec/db_rows reach the server's database directly (the sqlite3 module for
SQLite, the harness's wire-protocol client for PostgreSQL) for what the API
cannot do, such as moving an invitation's expiry into the past. race() runs
callables on threads released together by a barrier."""
import os
import threading
import uuid

from harness import Shared, db_rows, expect_error, invitation_token

PW = "correct horse 1"


def shared_server():
    """A module's shared server: rate limit out of the way, enough HTTP
    threads that racing requests really run at the same time."""
    return Shared(env={"RATE_LIMIT_PER_MINUTE": "100000000", "THREADS": "8"})


def new_email(tag="u"):
    return "%s.%s@example.com" % (tag, uuid.uuid4().hex[:12])


class User:
    def __init__(self, reg, email):
        self.id = reg["user"]["id"]
        self.email = email
        self.token = reg["session"]["token"]
        self.session_id = reg["session"]["id"]
        self.json = reg["user"]

    def __repr__(self):
        return "<User %s %s>" % (self.id, self.email)


class Tenant:
    def __init__(self, srv, name="Acme"):
        self.srv = srv
        self.json, self.key = srv.create_tenant(name)
        self.id = self.json["id"]

    # --- raw calls ---------------------------------------------------------
    def call(self, method, path, body=None, user=None, **kw):
        """As the tenant's backend (user None) or as user (a User or a token)."""
        session = None
        if user is not None:
            session = user if isinstance(user, str) else user.token
        return self.srv.request(method, path, body, key=self.key, session=session, **kw)

    def ok(self, status, method, path, body=None, user=None):
        r = self.call(method, path, body, user)
        assert r.status == status, "%s %s as %r: expected %d, got %r" % (
            method, path, user, status, r)
        return r.json

    # --- shortcuts ---------------------------------------------------------
    def register(self, email=None, name=None):
        email = email or new_email()
        body = {"email": email, "password": PW}
        if name:
            body["name"] = name
        r = self.call("POST", "/auth/register", body)
        assert r.status == 201, r
        return User(r.json, email)

    def create_org(self, owner, name=None, slug=None):
        """An organization whose owner is owner (created through its session)."""
        body = {"name": name or "Org " + uuid.uuid4().hex[:8]}
        if slug:
            body["slug"] = slug
        return self.ok(201, "POST", "/organizations", body, owner)

    def invite(self, org_id, email, role=None, by=None, status=201):
        body = {"email": email}
        if role is not None:
            body["role"] = role
        r = self.call("POST", "/organizations/%s/invitations" % org_id, body, by)
        assert r.status == status, "invite %s as %s by %r: %r" % (email, role, by, r)
        return r.json

    def token(self, inv_id):
        """The token of inv_id's mail (what the mailed link carries)."""
        return invitation_token(self.srv, inv_id)

    def accept(self, inv_id, user):
        """user accepts inv_id with its mailed token, as a client following
        the link does."""
        return self.ok(200, "POST", "/invitations/%s/accept" % inv_id,
                       {"token": self.token(inv_id)}, user)

    def add_member(self, org_id, role="member", user=None):
        """A new (or the given) user made a member of org_id with role, through
        a system invitation and the user's accept. Returns the User."""
        user = user or self.register()
        inv = self.invite(org_id, user.email, role)
        self.accept(inv["id"], user)
        return user

    def org(self, org_id):
        return self.ok(200, "GET", "/organizations/" + org_id)

    def members(self, org_id):
        """Every member of org_id (all pages) as {user_id: role}."""
        out, after = {}, None
        while True:
            path = "/organizations/%s/members?limit=100" % org_id
            if after:
                path += "&after=" + after
            page = self.ok(200, "GET", path)
            for m in page["data"]:
                assert m["user"]["id"] not in out, "member listed twice: %r" % page
                out[m["user"]["id"]] = m["role"]
            if not page["has_more"]:
                return out
            after = page["next_cursor"]

    def create_role(self, key, permissions, name=None):
        return self.ok(201, "POST", "/roles",
                       {"key": key, "name": name or key.replace("_", " ").title(),
                        "permissions": permissions})

    def set_role(self, org_id, user_id, role, by=None, status=200):
        r = self.call("PATCH", "/organizations/%s/members/%s" % (org_id, user_id),
                      {"role": role}, by)
        assert r.status == status, "set role %s of %s by %r: %r" % (role, user_id, by, r)
        return r

    def check(self, org_id, user_id, permission, by=None):
        """(allowed, role) from POST .../permissions/check."""
        j = self.ok(200, "POST", "/organizations/%s/permissions/check" % org_id,
                    {"user_id": user_id, "permission": permission}, by)
        assert set(j) == {"allowed", "role"}, j
        return j["allowed"], j["role"]


def walk(tenant, path, user=None, limit=1):
    """Follow a list's cursor with a small limit; returns every item and
    checks the envelope of each page."""
    items, after, pages = [], None, 0
    sep = "&" if "?" in path else "?"
    while True:
        p = "%s%slimit=%d" % (path, sep, limit)
        if after is not None:
            p += "&after=" + after
        page = tenant.ok(200, "GET", p, None, user)
        assert set(page) == {"data", "has_more", "next_cursor"}, page
        assert len(page["data"]) <= limit, page
        pages += 1
        items.extend(page["data"])
        if not page["has_more"]:
            assert len(page["data"]) == 0 or page["next_cursor"] is None or \
                isinstance(page["next_cursor"], str), page
            return items
        assert isinstance(page["next_cursor"], str) and page["next_cursor"], page
        assert len(page["data"]) == limit, page
        after = page["next_cursor"]
        assert pages < 1000, "pagination does not end"


def expect(resp, status, code=None):
    if code is None:
        assert resp.status == status, "expected %d, got %r" % (status, resp)
        return resp.json
    return expect_error(resp, status, code)


# --- direct database access ----------------------------------------------------

def db_exec(srv, sql, params=()):
    db_rows(srv, sql, params)


# --- races -------------------------------------------------------------------------

def race(fns, timeout=60):
    """Run every callable on its own thread, all released at once by a
    barrier; returns their results in order (re-raises the first error)."""
    barrier = threading.Barrier(len(fns))
    results = [None] * len(fns)
    errors = []

    def run(i, fn):
        try:
            barrier.wait(timeout)
            results[i] = fn()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), "a racing request did not finish within %ss" % timeout
    if errors:
        raise errors[0]
    return results


def statuses(resps):
    """Sorted list of (status, error code or None)."""
    out = []
    for r in resps:
        code = r.json["error"]["code"] if r.json and isinstance(r.json, dict) and "error" in r.json \
            else None
        out.append((r.status, code))
    return sorted(out)


ROUNDS = int(os.environ.get("ORG_RACE_ROUNDS", "8"))
