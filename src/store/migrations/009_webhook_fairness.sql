-- 009_webhook_fairness: what fair delivery needs. A claimed delivery holds a
-- lease (lease_until, NULL once its outcome is recorded), so the claim can
-- count what is in flight per endpoint and per tenant on every node. Each
-- endpoint keeps a circuit breaker: its run of consecutive timed-out
-- attempts and the time before which none of its deliveries is claimed.
-- webhook_tenant_turns orders tenants by when they were last served
-- (round-robin claiming).

ALTER TABLE webhook_deliveries ADD COLUMN lease_until BIGINT;

CREATE INDEX webhook_deliveries_leased_by_endpoint ON webhook_deliveries (endpoint_id)
    WHERE lease_until IS NOT NULL;
CREATE INDEX webhook_deliveries_leased_by_tenant ON webhook_deliveries (tenant_id)
    WHERE lease_until IS NOT NULL;

ALTER TABLE webhook_endpoints ADD COLUMN timeout_streak INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhook_endpoints ADD COLUMN paused_until BIGINT NOT NULL DEFAULT 0;

CREATE TABLE webhook_tenant_turns (
    tenant_id  TEXT PRIMARY KEY REFERENCES tenants(id),
    served_seq BIGINT NOT NULL
);

CREATE INDEX webhook_tenant_turns_by_seq ON webhook_tenant_turns (served_seq);
