/*
 * workpool.c: per-key FIFO queues under one mutex with one condition
 * variable (workers wait on it for work or for the drain). Queues with work
 * wait in a ready ring: a worker takes one task from the first queue and
 * puts the queue back at the end if it has more, so keys are served
 * round-robin. Tasks and queues come from arrays allocated at creation.
 * Workers drain every queue before exiting on workpool_drain.
 */
#include "workpool.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct task {
	void (*fn)(void *);
	void (*cancel)(void *); /* instead of fn when drained unstarted; may be NULL */
	void *arg;
	struct task *next; /* in its key's queue, or in the free list */
};

/* The queue of one fairness key; exists only while it holds a task. */
struct keyq {
	char key[WORKPOOL_KEY_MAX + 1];
	struct task *head, *tail;
	int count;
	struct keyq *next_ready; /* in the ready ring, or in the free list */
	struct keyq *next_in_bucket;
};

struct workpool {
	pthread_mutex_t mu;
	pthread_cond_t nonempty;
	struct task *tasks, *free_tasks;
	struct keyq *queues, *free_queues;
	struct keyq **buckets; /* nbuckets (a power of two) chains, by key hash */
	unsigned nbuckets;
	struct keyq *ready_head, *ready_tail;
	int cap, key_cap, count;
	bool stopping;
	bool cancelling; /* drain hands unstarted tasks to their cancel */
	bool joined;
	int nthreads;
	pthread_t *threads;
};

static unsigned key_hash(const char *key)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < WORKPOOL_KEY_MAX && key[i] != '\0'; i++)
		h = (h ^ (unsigned char)key[i]) * 16777619u;
	return h;
}

static struct keyq **bucket_of(struct workpool *p, const char *key)
{
	return &p->buckets[key_hash(key) & (p->nbuckets - 1)];
}

static struct keyq *queue_find(struct workpool *p, const char *key)
{
	for (struct keyq *q = *bucket_of(p, key); q != NULL; q = q->next_in_bucket)
		if (strncmp(q->key, key, WORKPOOL_KEY_MAX) == 0)
			return q;
	return NULL;
}

static void ready_append(struct workpool *p, struct keyq *q)
{
	q->next_ready = NULL;
	if (p->ready_tail != NULL)
		p->ready_tail->next_ready = q;
	else
		p->ready_head = q;
	p->ready_tail = q;
}

/* A queue for key, new and empty, in its bucket and at the end of the ready
 * ring. There is always a free one: each queue in use holds a task. */
static struct keyq *queue_open(struct workpool *p, const char *key)
{
	struct keyq *q = p->free_queues;
	p->free_queues = q->next_ready;
	size_t n = strnlen(key, WORKPOOL_KEY_MAX);
	memcpy(q->key, key, n);
	q->key[n] = '\0';
	q->head = q->tail = NULL;
	q->count = 0;
	struct keyq **b = bucket_of(p, key);
	q->next_in_bucket = *b;
	*b = q;
	ready_append(p, q);
	return q;
}

static void queue_close(struct workpool *p, struct keyq *q)
{
	struct keyq **link = bucket_of(p, q->key);
	while (*link != q)
		link = &(*link)->next_in_bucket;
	*link = q->next_in_bucket;
	q->next_ready = p->free_queues;
	p->free_queues = q;
}

/* Under the lock, with count > 0: the next task in round-robin order. */
static struct task take_next(struct workpool *p)
{
	struct keyq *q = p->ready_head;
	p->ready_head = q->next_ready;
	if (p->ready_head == NULL)
		p->ready_tail = NULL;
	struct task *t = q->head;
	q->head = t->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->count--;
	p->count--;
	if (q->count > 0)
		ready_append(p, q);
	else
		queue_close(p, q);
	struct task copy = *t;
	t->next = p->free_tasks;
	p->free_tasks = t;
	return copy;
}

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
		struct task t = take_next(p);
		bool cancel = p->cancelling && t.cancel != NULL;
		pthread_mutex_unlock(&p->mu);
		(cancel ? t.cancel : t.fn)(t.arg);
	}
}

static void *calloc_or_abort(size_t n, size_t size)
{
	void *v = calloc(n, size);
	if (v == NULL)
		abort();
	return v;
}

struct workpool *workpool_new_fair(int threads, int queue_cap, int key_cap)
{
	struct workpool *p = calloc_or_abort(1, sizeof *p);
	p->cap = queue_cap > 0 ? queue_cap : 1024;
	p->key_cap = key_cap > 0 && key_cap < p->cap ? key_cap : p->cap;
	p->tasks = calloc_or_abort((size_t)p->cap, sizeof *p->tasks);
	p->queues = calloc_or_abort((size_t)p->cap, sizeof *p->queues);
	for (int i = 0; i < p->cap; i++) {
		p->tasks[i].next = i + 1 < p->cap ? &p->tasks[i + 1] : NULL;
		p->queues[i].next_ready = i + 1 < p->cap ? &p->queues[i + 1] : NULL;
	}
	p->free_tasks = p->tasks;
	p->free_queues = p->queues;
	for (p->nbuckets = 16; p->nbuckets < (unsigned)p->cap; p->nbuckets *= 2)
		;
	p->buckets = calloc_or_abort(p->nbuckets, sizeof *p->buckets);
	p->nthreads = threads > 0 ? threads : 1;
	p->threads = calloc_or_abort((size_t)p->nthreads, sizeof *p->threads);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->nonempty, NULL);
	for (int i = 0; i < p->nthreads; i++)
		if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
			abort();
	return p;
}

struct workpool *workpool_new(int threads, int queue_cap)
{
	return workpool_new_fair(threads, queue_cap, queue_cap);
}

bool workpool_submit_keyed(struct workpool *p, const char *key, void (*fn)(void *),
			   void (*cancel)(void *), void *arg)
{
	if (key == NULL)
		key = "";
	pthread_mutex_lock(&p->mu);
	bool ok = !p->stopping && p->count < p->cap;
	struct keyq *q = ok ? queue_find(p, key) : NULL;
	if (q != NULL && q->count >= p->key_cap)
		ok = false;
	if (ok) {
		if (q == NULL)
			q = queue_open(p, key);
		struct task *t = p->free_tasks;
		p->free_tasks = t->next;
		*t = (struct task){fn, cancel, arg, NULL};
		if (q->tail != NULL)
			q->tail->next = t;
		else
			q->head = t;
		q->tail = t;
		q->count++;
		p->count++;
		pthread_cond_signal(&p->nonempty);
	}
	pthread_mutex_unlock(&p->mu);
	return ok;
}

bool workpool_submit_cancellable(struct workpool *p, void (*fn)(void *), void (*cancel)(void *),
				 void *arg)
{
	return workpool_submit_keyed(p, NULL, fn, cancel, arg);
}

bool workpool_submit(struct workpool *p, void (*fn)(void *), void *arg)
{
	return workpool_submit_keyed(p, NULL, fn, NULL, arg);
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
	free(p->tasks);
	free(p->queues);
	free(p->buckets);
	free(p->threads);
	free(p);
}
