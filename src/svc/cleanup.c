/*
 * cleanup.c: the expired-row cleanup job. Deletes sessions that expired or
 * were revoked more than a day ago (in bounded batches), one-time tokens
 * past their expiry, failed-login records older than a day, and outbox
 * messages sent (or failed for good) more than 7 days ago, and audit
 * entries past their tenant's audit_retention_days. This
 * maintenance is the one deliberate cross-tenant write: it touches only
 * dead rows.
 */
#include "../core/log.h"
#include "../store/audit.h"
#include "../store/outbox.h"
#include "../store/sessions.h"
#include "../store/tokens.h"
#include "../store/users.h"
#include "../store/webhooks.h"
#include "jobs.h"

#define CLEANUP_GRACE_MS (24LL * 3600 * 1000)
#define CLEANUP_BATCH 500
#define WEBHOOK_HISTORY_MS (30LL * 24 * 3600 * 1000)
#define OUTBOX_HISTORY_MS (7LL * 24 * 3600 * 1000)

int cleanup_run(const struct svc_env *env)
{
	struct db *d = store_acquire(env->store);
	if (d == NULL)
		return 0;
	struct arena a;
	arena_init(&a, 512);
	int64_t removed = 0;
	int64_t before = clock_now(env->clock) - CLEANUP_GRACE_MS;
	if (store_session_delete_dead(d, &a, before, CLEANUP_BATCH, &removed) != ST_OK)
		removed = 0;
	int64_t other = 0, hooks = 0;
	/* webhook history is kept 30 days for the delivery log */
	if (store_webhook_prune(d, &a, clock_now(env->clock) - WEBHOOK_HISTORY_MS, CLEANUP_BATCH,
				&hooks) != ST_OK)
		log_msg(LOG_WARN, "cleanup could not prune webhook history");
	removed += hooks;
	int64_t mails = 0;
	if (store_outbox_prune(d, &a, clock_now(env->clock) - OUTBOX_HISTORY_MS, CLEANUP_BATCH,
			       &mails) != ST_OK)
		log_msg(LOG_WARN, "cleanup could not prune the mail outbox");
	removed += mails;
	int64_t audits = 0;
	if (store_audit_prune(d, &a, clock_now(env->clock), CLEANUP_BATCH, &audits) != ST_OK)
		log_msg(LOG_WARN, "cleanup could not prune the audit log");
	removed += audits;
	if (store_token_prune(d, &a, before, &other) != ST_OK ||
	    store_login_failure_prune(d, &a, before, &other) != ST_OK)
		log_msg(LOG_WARN, "cleanup could not prune tokens or login failures");
	arena_destroy(&a);
	store_release(env->store, d);
	if (removed > 0)
		log_msg(LOG_INFO, "cleanup removed %lld dead rows", (long long)removed);
	return removed >= CLEANUP_BATCH ? (int)removed : 0;
}
