/*
 * jobs_table.c: every background job of saasd, with its idle interval. Both
 * `saasd serve` and `saasd worker` run this list.
 */
#include "jobs.h"
#include "mail.h"

const struct job saasd_jobs[] = {
	{"cleanup", 60000, cleanup_run},
	{"mail", 1000, mail_job_run},
};
const int saasd_jobs_count = sizeof saasd_jobs / sizeof saasd_jobs[0];
