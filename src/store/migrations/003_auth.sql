-- 003_auth: one-time tokens (password reset, email verification) and the
-- failed-login record used for brute-force throttling. Tokens are stored as
-- keyed hashes only.

CREATE TABLE auth_tokens (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

CREATE INDEX auth_tokens_by_user ON auth_tokens (tenant_id, user_id, purpose, created_at);

CREATE TABLE login_failures (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    email_normalized TEXT NOT NULL,
    created_at       BIGINT NOT NULL
);

CREATE INDEX login_failures_by_email ON login_failures (tenant_id, email_normalized, created_at);
