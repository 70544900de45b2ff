-- 002_users_sessions: end users of a tenant and their sessions.
-- Only keyed hashes of session tokens are stored.

CREATE TABLE users (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    email            TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    name             TEXT,
    password_hash    TEXT NOT NULL,
    email_verified   INTEGER NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);

CREATE UNIQUE INDEX users_by_email ON users (tenant_id, email_normalized);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE INDEX sessions_by_user ON sessions (tenant_id, user_id, id);
