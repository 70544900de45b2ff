/*
 * jobs.h: background work in threads of this process (saasd serve) or alone
 * (saasd worker): each job runs every interval until jobs_stop(). A job's
 * run function must return promptly (it is given bounded batches of work).
 */
#ifndef SAASD_JOBS_H
#define SAASD_JOBS_H

#include "svc.h"

struct job {
	const char *name;
	int interval_ms;
	/* One pass; returns how many items it handled (0 = idle). A busy job
	 * runs again at once instead of waiting for the next interval. */
	int (*run)(const struct svc_env *env);
};

struct jobs;

struct jobs *jobs_start(const struct svc_env *env, const struct job *list, int n);
/* Signal every job to stop and join its thread. */
void jobs_stop(struct jobs *j);
/* Run the job(s) of this name at once instead of after their idle interval
 * (a no-op when no jobs run in this process). Call it after the commit that
 * gave them work. */
void jobs_wake(const char *name);

/* cleanup.c: delete dead sessions and other expired rows. */
int cleanup_run(const struct svc_env *env);

#endif
