-- 014_job_queue: one round of tenant turns for every kind of the job queue
-- (svc/queue.c). Per kind, of the tenants with something claimable, the one
-- served longest ago goes first. Webhooks had a table of their own (009);
-- their turns move here (kind 'webhook') and it goes; mail starts a round.

CREATE TABLE job_tenant_turns (
    kind       TEXT NOT NULL,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    served_seq BIGINT NOT NULL,
    PRIMARY KEY (kind, tenant_id)
);

CREATE INDEX job_tenant_turns_by_seq ON job_tenant_turns (kind, served_seq);

INSERT INTO job_tenant_turns (kind, tenant_id, served_seq)
    SELECT 'webhook', tenant_id, served_seq FROM webhook_tenant_turns;

DROP TABLE webhook_tenant_turns;
