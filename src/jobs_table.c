/*
 * jobs_table.c: every background job of saasd, with its idle interval. Both
 * `saasd serve` and `saasd worker` run this list.
 */
#include "jobs_table.h"

#include "svc/mail.h"
#include "svc/signing_keys.h"
#include "svc/webhooks.h"

const struct job saasd_jobs[] = {
	{"cleanup", 60000, cleanup_run},
	{"mail", 1000, mail_job_run},
	/* rotates the token signing key at SIGNING_KEY_ROTATION_DAYS */
	{"signing_keys", 60000, sigkeys_rotation_run},
	/* WEBHOOK_DELIVERY_THREADS delivery threads, more than a tenant may hold
	 * (WEBHOOK_TENANT_IN_FLIGHT), so one tenant's hanging endpoints leave
	 * threads for everyone else */
	{"webhooks", 1000, webhook_job_run},
	{"webhooks", 1000, webhook_job_run},
	{"webhooks", 1000, webhook_job_run},
	{"webhooks", 1000, webhook_job_run},
};
const int saasd_jobs_count = sizeof saasd_jobs / sizeof saasd_jobs[0];

_Static_assert(WEBHOOK_DELIVERY_THREADS == 4, "list WEBHOOK_DELIVERY_THREADS webhooks jobs above");
_Static_assert(WEBHOOK_TENANT_IN_FLIGHT < WEBHOOK_DELIVERY_THREADS,
	       "a tenant must not be able to hold every delivery thread");
