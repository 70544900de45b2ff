/*
 * outbox.h: SQL for the email outbox (email_outbox). Services insert rows in
 * their own transaction; the mail job claims due rows one at a time with a
 * lease and records each attempt's outcome; a recorded outcome (sent or
 * failed) drops the bodies and the encrypted link. Never holds delivery logic.
 */
#ifndef SAASD_STORE_OUTBOX_H
#define SAASD_STORE_OUTBOX_H

#include "store.h"

struct outbox_row {
	char *id; /* "msg_..." */
	char *tenant_id;
	char *to_addr;
	char *from_addr;
	char *subject;
	char *text_body; /* "" once sent or failed */
	char *html_body; /* may be NULL; NULL once sent or failed */
	char *link_box; /* the encrypted link (svc/mail.c), or NULL */
	char *status; /* pending | sent | failed */
	int64_t attempts; /* attempts started so far (a claim counts one) */
	int64_t next_attempt_at; /* due time, or lease deadline while claimed */
	char *last_error; /* NULL until an attempt failed */
	int64_t created_at;
	int64_t sent_at; /* 0 until sent */
};

/* Insert a pending message (attempts 0, due at next_attempt_at). */
enum status store_outbox_insert(struct db *d, struct arena *a, const struct outbox_row *m);

/*
 * Claim a due pending message (next_attempt_at <= now_ms) in tenant turns:
 * of the tenants with one due, the one whose mail was served longest ago
 * (job_tenant_turns, kind 'mail'), and its most overdue message. One
 * statement moves its next_attempt_at to lease_until and counts the attempt,
 * so two workers (threads, processes, SQLite or PostgreSQL) never both get
 * the same attempt; a second one sends the tenant to the back of the round
 * (run both in one transaction, as the job queue does). *found is false
 * when nothing is due (or another worker won the race). Cross-tenant
 * maintenance query: the job serves all tenants.
 */
enum status store_outbox_claim(struct db *d, struct arena *a, int64_t now_ms, int64_t lease_until,
			       struct outbox_row *out, bool *found);

/*
 * Outcome of the attempt numbered `attempt` (the claim's attempts value).
 * Each acts only while that claim still holds the row (pending, same
 * attempts), else ST_NOT_FOUND: the lease expired and another worker owns it.
 */
enum status store_outbox_mark_sent(struct db *d, struct arena *a, const char *tenant_id,
				   const char *id, int64_t attempt, int64_t now_ms);
enum status store_outbox_mark_retry(struct db *d, struct arena *a, const char *tenant_id,
				    const char *id, int64_t attempt, int64_t next_attempt_at,
				    const char *error);
enum status store_outbox_mark_failed(struct db *d, struct arena *a, const char *tenant_id,
				     const char *id, int64_t attempt, const char *error);

/*
 * Delete up to `limit` messages of every tenant that were sent, or failed,
 * before before_ms (failed ones by created_at); *removed gets the count.
 * Cross-tenant maintenance (the cleanup job): touches only finished rows.
 */
enum status store_outbox_prune(struct db *d, struct arena *a, int64_t before_ms, int limit,
			       int64_t *removed);

/* One message of a tenant (tests and support tooling). */
enum status store_outbox_get(struct db *d, struct arena *a, const char *tenant_id, const char *id,
			     struct outbox_row *out);
/* Pending messages of every tenant (metrics; cross-tenant by design). */
enum status store_outbox_count_pending(struct db *d, struct arena *a, int64_t *count);

#endif
