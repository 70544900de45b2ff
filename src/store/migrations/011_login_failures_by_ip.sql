-- 011_login_failures_by_ip: failed logins also record the client IP, so the
-- throttle counts per (email, IP) and per IP, and one IP cannot lock an
-- email's owner out from everywhere. Rows from before carry '' (no IP).

ALTER TABLE login_failures ADD COLUMN client_ip TEXT NOT NULL DEFAULT '';

CREATE INDEX login_failures_by_ip ON login_failures (tenant_id, client_ip, created_at);
