/*
 * ids.c: id, API key and token generation and format checks. Randomness only
 * from secure.h; no validation here ever touches the database.
 */
#include "ids.h"

#include <pthread.h>
#include <string.h>

#include "secure.h"

static const char b32[] = "0123456789abcdefghjkmnpqrstvwxyz";

/* An id made in the same millisecond as the previous one takes its random
 * part plus one, so ids from this process sort in creation order even within
 * a millisecond (monotonic ULIDs); any other time draws fresh bits. */
static pthread_mutex_t last_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t last_ms, last_hi, last_lo; /* hi/lo: 40 random bits each */

static void next_bits(uint64_t now, uint64_t *t, uint64_t *hi, uint64_t *lo)
{
	uint8_t rnd[10];
	sec_random(rnd, sizeof rnd);
	pthread_mutex_lock(&last_mu);
	if (now != last_ms) {
		last_ms = now;
		last_hi = last_lo = 0;
		for (int i = 0; i < 5; i++) {
			last_hi = last_hi << 8 | rnd[i];
			last_lo = last_lo << 8 | rnd[5 + i];
		}
	} else if (++last_lo >> 40) {
		last_lo = 0;
		last_hi = (last_hi + 1) & 0xFFFFFFFFFFull;
	}
	*t = last_ms;
	*hi = last_hi;
	*lo = last_lo;
	pthread_mutex_unlock(&last_mu);
}

/* "<prefix>_" and the 10 time characters (50 bits, top 2 always zero);
 * returns where the 16 random characters go. */
static char *id_start(struct arena *a, const char *prefix, uint64_t t, char **out)
{
	size_t plen = strlen(prefix);
	*out = arena_alloc(a, plen + 1 + ID_BODY_LEN + 1);
	memcpy(*out, prefix, plen);
	(*out)[plen] = '_';
	char *p = *out + plen + 1;
	for (int i = 9; i >= 0; i--) {
		p[i] = b32[t & 31];
		t >>= 5;
	}
	p[ID_BODY_LEN] = '\0';
	return p + 10;
}

char *id_new(struct arena *a, const char *prefix, int64_t now_ms)
{
	uint64_t t, hi, lo;
	next_bits((uint64_t)now_ms & 0xFFFFFFFFFFFFull, &t, &hi, &lo);
	char *out;
	char *r = id_start(a, prefix, t, &out);
	/* 16 characters carry the 80 random bits, big-endian so they sort */
	for (int i = 7; i >= 0; i--) {
		r[i] = b32[hi & 31];
		hi >>= 5;
		r[8 + i] = b32[lo & 31];
		lo >>= 5;
	}
	return out;
}

char *id_time_bound(struct arena *a, const char *prefix, int64_t ms, bool last)
{
	uint64_t t = ms < 0 ? 0 : ms > 0xFFFFFFFFFFFFll ? 0xFFFFFFFFFFFFull : (uint64_t)ms;
	char *out;
	memset(id_start(a, prefix, t, &out), last ? b32[31] : b32[0], 16);
	return out;
}

static bool is_b32(char c)
{
	return c != '\0' && strchr(b32, c) != NULL;
}

bool id_valid(const char *s, const char *prefix)
{
	size_t plen = strlen(prefix);
	if (strncmp(s, prefix, plen) != 0 || s[plen] != '_')
		return false;
	const char *p = s + plen + 1;
	for (size_t i = 0; i < ID_BODY_LEN; i++)
		if (!is_b32(p[i]))
			return false;
	return p[ID_BODY_LEN] == '\0';
}

bool id_plausible(const char *s)
{
	const char *u = strchr(s, '_');
	if (u == NULL || u == s || u - s > 8)
		return false;
	for (const char *p = s; p < u; p++)
		if (*p < 'a' || *p > 'z')
			return false;
	char prefix[9];
	memcpy(prefix, s, (size_t)(u - s));
	prefix[u - s] = '\0';
	return id_valid(s, prefix);
}

static bool is_base62(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

void apikey_generate(char out[API_KEY_LEN + 1])
{
	size_t plen = sizeof(API_KEY_PREFIX) - 1;
	memcpy(out, API_KEY_PREFIX, plen);
	sec_random_base62(out + plen, API_KEY_RANDOM_LEN);
}

void apikey_generate_publishable(char out[API_KEY_LEN + 1])
{
	size_t plen = sizeof(PUBLISHABLE_KEY_PREFIX) - 1;
	memcpy(out, PUBLISHABLE_KEY_PREFIX, plen);
	sec_random_base62(out + plen, API_KEY_RANDOM_LEN);
}

bool apikey_is_publishable(const char *s)
{
	return strncmp(s, PUBLISHABLE_KEY_PREFIX, sizeof(PUBLISHABLE_KEY_PREFIX) - 1) == 0;
}

bool apikey_well_formed(const char *s)
{
	size_t plen = sizeof(API_KEY_PREFIX) - 1;
	_Static_assert(sizeof(API_KEY_PREFIX) == sizeof(PUBLISHABLE_KEY_PREFIX), "prefix length");
	if (strncmp(s, API_KEY_PREFIX, plen) != 0 && !apikey_is_publishable(s))
		return false;
	for (size_t i = 0; i < API_KEY_RANDOM_LEN; i++)
		if (!is_base62(s[plen + i]))
			return false;
	return s[API_KEY_LEN] == '\0';
}

void token_generate(char out[TOKEN_LEN + 1])
{
	sec_random_base62(out, TOKEN_LEN);
}
