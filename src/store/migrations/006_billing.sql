-- 006_billing: tiers, one subscription per organization, usage records and
-- per-period usage counters (the counter row is what enforces a quota: a
-- conditional UPDATE in the same transaction as the record).
-- features: newline-separated strings; limits: newline-separated
-- "metric=N" ("metric=" means unlimited).

CREATE TABLE tiers (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    key         TEXT NOT NULL,
    name        TEXT NOT NULL,
    price_cents BIGINT NOT NULL,
    interval    TEXT NOT NULL,
    features    TEXT NOT NULL,
    limits      TEXT NOT NULL,
    trial_days  BIGINT NOT NULL,
    archived    INTEGER NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE UNIQUE INDEX tiers_by_key ON tiers (tenant_id, key);

CREATE TABLE subscriptions (
    id                   TEXT PRIMARY KEY,
    tenant_id            TEXT NOT NULL REFERENCES tenants(id),
    organization_id      TEXT NOT NULL UNIQUE REFERENCES organizations(id) ON DELETE CASCADE,
    tier_key             TEXT NOT NULL,
    status               TEXT NOT NULL,
    anchor_at            BIGINT NOT NULL,
    current_period_start BIGINT NOT NULL,
    current_period_end   BIGINT NOT NULL,
    trial_end            BIGINT,
    cancel_at_period_end INTEGER NOT NULL DEFAULT 0,
    canceled_at          BIGINT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);

CREATE TABLE usage_records (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    metric          TEXT NOT NULL,
    quantity        BIGINT NOT NULL,
    idempotency_key TEXT,
    period_start    BIGINT NOT NULL,
    period_end      BIGINT NOT NULL,
    used_after      BIGINT NOT NULL,
    limit_value     BIGINT,
    created_at      BIGINT NOT NULL
);

CREATE UNIQUE INDEX usage_records_idempotency ON usage_records (tenant_id, organization_id, idempotency_key);
CREATE INDEX usage_records_by_metric ON usage_records (tenant_id, organization_id, metric, created_at);

CREATE TABLE usage_counters (
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    metric          TEXT NOT NULL,
    period_start    BIGINT NOT NULL,
    used            BIGINT NOT NULL,
    PRIMARY KEY (organization_id, metric, period_start)
);
