-- 005_organizations: organizations, their members, invitations, and the
-- tenant's custom roles. Permissions are stored space-separated (a
-- permission never contains a space). Deleting an organization or a user
-- removes the memberships and invitations that hang off it.

CREATE TABLE organizations (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    name       TEXT NOT NULL,
    slug       TEXT NOT NULL,
    owner_id   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE UNIQUE INDEX organizations_by_slug ON organizations (tenant_id, slug);

CREATE TABLE memberships (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role            TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);

CREATE UNIQUE INDEX memberships_by_org_user ON memberships (organization_id, user_id);
CREATE INDEX memberships_by_user ON memberships (tenant_id, user_id, id);
CREATE INDEX memberships_by_role ON memberships (tenant_id, role);

CREATE TABLE invitations (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    organization_id  TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email            TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    role             TEXT NOT NULL,
    status           TEXT NOT NULL,
    token_hash       TEXT NOT NULL UNIQUE,
    inviter_id       TEXT,
    expires_at       BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);

CREATE UNIQUE INDEX invitations_one_pending ON invitations (organization_id, email_normalized)
    WHERE status = 'pending';
CREATE INDEX invitations_by_org ON invitations (tenant_id, organization_id, id);

CREATE TABLE roles (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    key         TEXT NOT NULL,
    name        TEXT NOT NULL,
    permissions TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE UNIQUE INDEX roles_by_key ON roles (tenant_id, key);
