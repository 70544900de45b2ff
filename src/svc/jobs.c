/*
 * jobs.c: one thread per job, sleeping on a condition variable so jobs_stop()
 * wakes them at once instead of waiting out an interval, and jobs_wake()
 * makes a job run at once when work for it was just committed.
 */
#include "jobs.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/log.h"

struct job_thread {
	struct jobs *owner;
	const struct job *job;
	pthread_t thread;
	bool woken; /* under owner->mu: run again without waiting */
};

struct jobs {
	const struct svc_env *env;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stopping;
	int n;
	struct job_thread threads[];
};

/* The jobs of this process (one jobs_start per process), for jobs_wake. */
static pthread_mutex_t running_mu = PTHREAD_MUTEX_INITIALIZER;
static struct jobs *running;

static void *job_main(void *arg)
{
	struct job_thread *t = arg;
	struct jobs *j = t->owner;
	for (;;) {
		pthread_mutex_lock(&j->mu);
		bool stop = j->stopping;
		pthread_mutex_unlock(&j->mu);
		if (stop)
			break;
		int handled = t->job->run(j->env);
		if (handled > 0)
			continue; /* more may be waiting */
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += t->job->interval_ms / 1000;
		until.tv_nsec += (long)(t->job->interval_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&j->mu);
		while (!j->stopping && !t->woken) {
			if (pthread_cond_timedwait(&j->cv, &j->mu, &until) == ETIMEDOUT)
				break;
		}
		t->woken = false;
		pthread_mutex_unlock(&j->mu);
	}
	return NULL;
}

struct jobs *jobs_start(const struct svc_env *env, const struct job *list, int n)
{
	struct jobs *j = calloc(1, sizeof *j + sizeof(struct job_thread) * (size_t)n);
	if (j == NULL)
		abort();
	j->env = env;
	j->n = n;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	for (int i = 0; i < n; i++) {
		j->threads[i].owner = j;
		j->threads[i].job = &list[i];
		if (pthread_create(&j->threads[i].thread, NULL, job_main, &j->threads[i]) != 0) {
			log_msg(LOG_ERROR, "cannot start job %s", list[i].name);
			abort();
		}
	}
	pthread_mutex_lock(&running_mu);
	running = j;
	pthread_mutex_unlock(&running_mu);
	return j;
}

void jobs_wake(const char *name)
{
	pthread_mutex_lock(&running_mu);
	struct jobs *j = running;
	if (j != NULL) {
		pthread_mutex_lock(&j->mu);
		for (int i = 0; i < j->n; i++)
			if (strcmp(j->threads[i].job->name, name) == 0)
				j->threads[i].woken = true;
		pthread_cond_broadcast(&j->cv);
		pthread_mutex_unlock(&j->mu);
	}
	pthread_mutex_unlock(&running_mu);
}

void jobs_stop(struct jobs *j)
{
	if (j == NULL)
		return;
	pthread_mutex_lock(&running_mu);
	if (running == j)
		running = NULL;
	pthread_mutex_unlock(&running_mu);
	pthread_mutex_lock(&j->mu);
	j->stopping = true;
	pthread_cond_broadcast(&j->cv);
	pthread_mutex_unlock(&j->mu);
	for (int i = 0; i < j->n; i++)
		pthread_join(j->threads[i].thread, NULL);
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	free(j);
}
