/*
 * workpool.h: a small bounded pool of threads for slow work (bcrypt) that
 * must never run on the HTTP threads. Submission never blocks: when the
 * queue is full it fails, and the caller answers 503. Work is queued per
 * fairness key (an opaque string the caller picks) and served round-robin
 * across keys, so one key's burst cannot delay every other key's work.
 */
#ifndef SAASD_WORKPOOL_H
#define SAASD_WORKPOOL_H

#include <stdbool.h>

/* Fairness keys longer than this (bytes, without the NUL) are compared on
 * their first WORKPOOL_KEY_MAX bytes only. */
#define WORKPOOL_KEY_MAX 63

struct workpool;

/* threads workers; at most queue_cap unstarted tasks in all, and at most
 * key_cap of them under any one fairness key (<= 0 or above queue_cap:
 * queue_cap, i.e. no cap of its own). */
struct workpool *workpool_new_fair(int threads, int queue_cap, int key_cap);
/* workpool_new_fair(threads, queue_cap, queue_cap). */
struct workpool *workpool_new(int threads, int queue_cap);
/* Run fn(arg) on a pool thread; false when the queue is full or stopping.
 * The task goes under the empty fairness key. */
bool workpool_submit(struct workpool *p, void (*fn)(void *), void *arg);
/* The same, with cancel(arg) to run instead of fn when the pool is drained
 * with cancel_queued before the task started (so its caller still gets
 * an answer). cancel may be NULL: the task then runs anyway. */
bool workpool_submit_cancellable(struct workpool *p, void (*fn)(void *), void (*cancel)(void *),
				 void *arg);
/* The same under fairness key key (NULL: the empty key; copied, the caller
 * keeps it): also false when key already has key_cap unstarted tasks.
 * Workers take one task per key in turn, oldest first within a key. */
bool workpool_submit_keyed(struct workpool *p, const char *key, void (*fn)(void *),
			   void (*cancel)(void *), void *arg);
/* Refuse new work, then either finish what is queued or, with
 * cancel_queued, hand each unstarted task (under every key) to its cancel;
 * join the threads. Only one thread may call it; submitting afterwards
 * fails. */
void workpool_drain(struct workpool *p, bool cancel_queued);
/* Drain (if not done yet) and free the pool. */
void workpool_free(struct workpool *p);

#endif
