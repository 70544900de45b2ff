/*
 * jobs_table.c: every background job of saasd, with its idle interval. Both
 * `saasd serve` and `saasd worker` run this list.
 */
#include "jobs.h"
#include "mail.h"
#include "webhooks.h"

const struct job saasd_jobs[] = {
	{"cleanup", 60000, cleanup_run},
	{"mail", 1000, mail_job_run},
	/* two delivery threads, so one slow endpoint does not hold up the rest */
	{"webhooks", 1000, webhook_job_run},
	{"webhooks", 1000, webhook_job_run},
};
const int saasd_jobs_count = sizeof saasd_jobs / sizeof saasd_jobs[0];
