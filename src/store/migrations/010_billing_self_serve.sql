-- 010_billing_self_serve: the tenant setting self_serve_billing (may a
-- session move an organization to a paid tier? default no), and the
-- payment state a subscription keeps when it ends: an organization whose
-- subscription was canceled past_due subscribes again past_due.

ALTER TABLE tenants ADD COLUMN self_serve_billing INTEGER NOT NULL DEFAULT 0;

ALTER TABLE subscriptions ADD COLUMN payment_past_due INTEGER NOT NULL DEFAULT 0;

UPDATE subscriptions SET payment_past_due = 1 WHERE status = 'past_due';
