-- 017_audit_time_by_id: ids encode created_at to the millisecond, so the
-- time filters of GET /audit-logs and the retention prune run on id ranges
-- (store/audit.c). The (tenant_id, created_at) index is then unused; it cost
-- every audited call one more b-tree write in its transaction.
DROP INDEX audit_log_by_created;
