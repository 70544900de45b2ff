-- 001_foundation: tenants, their API keys, and instance-wide metadata.
-- Portable SQL: TEXT ids, BIGINT epoch milliseconds, INTEGER booleans.

CREATE TABLE instance_meta (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE tenants (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    app_name              TEXT,
    email_from            TEXT,
    invite_url            TEXT,
    reset_url             TEXT,
    verify_url            TEXT,
    rate_limit_per_minute BIGINT,
    default_tier          TEXT,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);

CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, id);
