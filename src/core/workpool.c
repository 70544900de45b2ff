/*
 * workpool.c: a ring-buffer queue under one mutex with two condition
 * variables. Workers drain the queue before exiting on workpool_drain.
 */
#include "workpool.h"

#include <pthread.h>
#include <stdlib.h>

struct task {
	void (*fn)(void *);
	void (*cancel)(void *); /* instead of fn when drained unstarted; may be NULL */
	void *arg;
};

struct workpool {
	pthread_mutex_t mu;
	pthread_cond_t nonempty;
	struct task *ring;
	int cap, head, count;
	bool stopping;
	bool cancelling; /* drain hands unstarted tasks to their cancel */
	bool joined;
	int nthreads;
	pthread_t *threads;
};

static void *worker(void *arg)
{
	struct workpool *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->count == 0 && !p->stopping)
			pthread_cond_wait(&p->nonempty, &p->mu);
		if (p->count == 0) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		struct task t = p->ring[p->head];
		p->head = (p->head + 1) % p->cap;
		p->count--;
		bool cancel = p->cancelling && t.cancel != NULL;
		pthread_mutex_unlock(&p->mu);
		(cancel ? t.cancel : t.fn)(t.arg);
	}
}

struct workpool *workpool_new(int threads, int queue_cap)
{
	struct workpool *p = calloc(1, sizeof *p);
	if (p == NULL)
		abort();
	p->cap = queue_cap > 0 ? queue_cap : 1024;
	p->ring = calloc((size_t)p->cap, sizeof *p->ring);
	p->nthreads = threads > 0 ? threads : 1;
	p->threads = calloc((size_t)p->nthreads, sizeof *p->threads);
	if (p->ring == NULL || p->threads == NULL)
		abort();
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->nonempty, NULL);
	for (int i = 0; i < p->nthreads; i++)
		if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
			abort();
	return p;
}

bool workpool_submit_cancellable(struct workpool *p, void (*fn)(void *), void (*cancel)(void *),
				 void *arg)
{
	pthread_mutex_lock(&p->mu);
	bool ok = !p->stopping && p->count < p->cap;
	if (ok) {
		p->ring[(p->head + p->count) % p->cap] = (struct task){fn, cancel, arg};
		p->count++;
		pthread_cond_signal(&p->nonempty);
	}
	pthread_mutex_unlock(&p->mu);
	return ok;
}

bool workpool_submit(struct workpool *p, void (*fn)(void *), void *arg)
{
	return workpool_submit_cancellable(p, fn, NULL, arg);
}

void workpool_drain(struct workpool *p, bool cancel_queued)
{
	if (p == NULL || p->joined)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	p->cancelling = cancel_queued;
	pthread_cond_broadcast(&p->nonempty);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	p->joined = true;
}

void workpool_free(struct workpool *p)
{
	if (p == NULL)
		return;
	workpool_drain(p, false);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->nonempty);
	free(p->ring);
	free(p->threads);
	free(p);
}
