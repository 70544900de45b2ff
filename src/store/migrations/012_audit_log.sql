-- 012_audit_log: one row per state-changing call and per login outcome,
-- written in the call's own transaction (docs/internals/audit.md). Ids sort
-- by creation time, so lists page newest first on (tenant_id, id); each
-- filter of GET /audit-logs has an index led by tenant_id. changes holds
-- the changed field names only, comma-separated, never values.
-- tenants.audit_retention_days: entries older than this are pruned.

CREATE TABLE audit_log (
	id TEXT PRIMARY KEY,
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	action TEXT NOT NULL,
	actor_type TEXT NOT NULL,
	actor_id TEXT,
	target_type TEXT,
	target_id TEXT,
	organization_id TEXT,
	ip TEXT NOT NULL DEFAULT '',
	user_agent TEXT NOT NULL DEFAULT '',
	request_id TEXT NOT NULL DEFAULT '',
	changes TEXT,
	created_at BIGINT NOT NULL
);

CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, id);
CREATE INDEX audit_log_by_created ON audit_log (tenant_id, created_at);
CREATE INDEX audit_log_by_org ON audit_log (tenant_id, organization_id, id);
CREATE INDEX audit_log_by_actor ON audit_log (tenant_id, actor_id, id);
CREATE INDEX audit_log_by_target ON audit_log (tenant_id, target_id, id);
CREATE INDEX audit_log_by_action ON audit_log (tenant_id, action, id);

ALTER TABLE tenants ADD COLUMN audit_retention_days BIGINT NOT NULL DEFAULT 365;
