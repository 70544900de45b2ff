/*
 * seeded.h: the generator behind the unit tests' property checks:
 * xorshift64*, deterministic, never used for secrets. seeded_start() takes
 * SAASD_TEST_SEED when set, so a failure (which prints its seed) replays.
 * Header-only like check.h: each test binary is its own program.
 */
#ifndef SAASD_SEEDED_H
#define SAASD_SEEDED_H

#include <stdint.h>
#include <stdlib.h>

static uint64_t rng_state;

/* Seed from SAASD_TEST_SEED, else fallback; returns the seed used. */
static inline uint64_t seeded_start(uint64_t fallback)
{
	const char *env = getenv("SAASD_TEST_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 10) : fallback;
	rng_state = seed ? seed : 1;
	return seed;
}

static inline uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

/* Uniform enough in [lo, hi] for test inputs. */
static inline int64_t rng_range(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rng_next() % (uint64_t)(hi - lo + 1));
}

#endif
