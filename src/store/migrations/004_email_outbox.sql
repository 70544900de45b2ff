-- 004_email_outbox: the durable mail outbox. Rows are written in the same
-- transaction as the change that causes the mail; the "mail" job delivers
-- them. status: pending | sent | failed. While a worker holds a message,
-- next_attempt_at is its lease deadline (see store/outbox.c).

CREATE TABLE email_outbox (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    to_addr         TEXT NOT NULL,
    from_addr       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);

CREATE INDEX email_outbox_due ON email_outbox (status, next_attempt_at);
CREATE INDEX email_outbox_by_tenant ON email_outbox (tenant_id, id);
