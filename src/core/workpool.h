/*
 * workpool.h: a small bounded pool of threads for slow work (bcrypt) that
 * must never run on the HTTP threads. Submission never blocks: when the
 * queue is full it fails, and the caller answers 503.
 */
#ifndef SAASD_WORKPOOL_H
#define SAASD_WORKPOOL_H

#include <stdbool.h>

struct workpool;

struct workpool *workpool_new(int threads, int queue_cap);
/* Run fn(arg) on a pool thread; false when the queue is full or stopping. */
bool workpool_submit(struct workpool *p, void (*fn)(void *), void *arg);
/* The same, with cancel(arg) to run instead of fn when the pool is drained
 * with cancel_queued before the task started (so its caller still gets
 * an answer). cancel may be NULL: the task then runs anyway. */
bool workpool_submit_cancellable(struct workpool *p, void (*fn)(void *), void (*cancel)(void *),
				 void *arg);
/* Refuse new work, then either finish what is queued or, with
 * cancel_queued, hand each unstarted task to its cancel; join the threads.
 * Only one thread may call it; submitting afterwards fails. */
void workpool_drain(struct workpool *p, bool cancel_queued);
/* Drain (if not done yet) and free the pool. */
void workpool_free(struct workpool *p);

#endif
