/*
 * test_ids.c: unit tests for src/core/ids.c. Pins down the id format
 * ("<prefix>_" + 26 lowercase Crockford base32), ordering by creation time,
 * uniqueness, the id_valid/id_plausible format checks, and the API key and
 * token formats. The ordering property runs on a seeded generator and prints
 * the seed on failure (SAASD_TEST_SEED=<n> replays it).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "seeded.h"
#include "core/ids.h"
#include "core/secure.h"

static const char crockford[] = "0123456789abcdefghjkmnpqrstvwxyz";

static bool body_ok(const char *p)
{
	for (int i = 0; i < ID_BODY_LEN; i++)
		if (p[i] == '\0' || strchr(crockford, p[i]) == NULL)
			return false;
	return p[ID_BODY_LEN] == '\0';
}

/* The time encoded in the first 10 characters of an id body. */
static int64_t id_time(const char *id)
{
	const char *p = strchr(id, '_') + 1;
	int64_t t = 0;
	for (int i = 0; i < 10; i++)
		t = t * 32 + (strchr(crockford, p[i]) - crockford);
	return t;
}

TEST(test_ids_new_id_is_prefix_underscore_and_26_crockford_chars)
{
	struct arena a;
	arena_init(&a, 0);
	const char *prefixes[] = {"ten", "key", "usr", "ses", "req", "lf", "x"};
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		char *id = id_new(&a, prefixes[i], 1764000000000);
		size_t plen = strlen(prefixes[i]);
		CHECK(strlen(id) == plen + 1 + ID_BODY_LEN);
		CHECK(strncmp(id, prefixes[i], plen) == 0);
		CHECK(id[plen] == '_');
		CHECK(body_ok(id + plen + 1));
	}
	arena_destroy(&a);
}

TEST(test_ids_body_never_uses_ambiguous_letters_or_uppercase)
{
	/* Crockford base32 leaves out i, l, o and u; ids are lowercase */
	struct arena a;
	arena_init(&a, 0);
	bool clean = true;
	for (int i = 0; i < 2000; i++) {
		const char *b = id_new(&a, "t", i) + 2;
		clean = clean && strpbrk(b, "ilouABCDEFGHIJKLMNOPQRSTUVWXYZ") == NULL;
	}
	CHECK(clean);
	arena_destroy(&a);
}

TEST(test_ids_time_prefix_encodes_now_ms)
{
	struct arena a;
	arena_init(&a, 0);
	const int64_t times[] = {0, 1, 31, 32, 1764174313123, (INT64_C(1) << 48) - 1};
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
		CHECK(id_time(id_new(&a, "t", times[i])) == times[i]);
	CHECK(strncmp(id_new(&a, "t", 0) + 2, "0000000000", 10) == 0);
	arena_destroy(&a);
}

TEST(test_ids_sort_by_creation_time)
{
	struct arena a;
	arena_init(&a, 0);
	const int64_t times[] = {0,
				 1,
				 2,
				 31,
				 32,
				 1000,
				 1700000000000,
				 1700000000001,
				 1764174313123,
				 4102444800000 /* 2100 */,
				 (INT64_C(1) << 48) - 1};
	const size_t n = sizeof times / sizeof times[0];
	char *prev = id_new(&a, "ten", times[0]);
	for (size_t i = 1; i < n; i++) {
		char *id = id_new(&a, "ten", times[i]);
		CHECK(strcmp(prev, id) < 0);
		prev = id;
	}
	arena_destroy(&a);
}

TEST(test_ids_sort_by_creation_time_property)
{
	uint64_t seed = seeded_start(0x5EED1D5ull);
	struct arena a;
	arena_init(&a, 0);
	int failures = 0;
	for (int i = 0; i < 1000; i++) {
		int64_t t1 = (int64_t)(rng_next() % (UINT64_C(1) << 47));
		int64_t t2 = t1 + 1 + (int64_t)(rng_next() % (i % 2 ? 5 : (UINT64_C(1) << 40)));
		char *x = id_new(&a, "key", t1), *y = id_new(&a, "key", t2);
		if (strcmp(x, y) >= 0 && failures++ == 0)
			fprintf(stderr, "  seed %llu case %d: %lld -> %s, %lld -> %s\n",
				(unsigned long long)seed, i, (long long)t1, x, (long long)t2, y);
		if (i % 100 == 99)
			arena_reset(&a);
	}
	CHECK(failures == 0);
	arena_destroy(&a);
}

/* A time window [from, to] in ids: exactly the ids made in it lie between
 * the first id of from and the last id of to. */
TEST(test_ids_time_bounds_enclose_exactly_the_ids_of_their_milliseconds)
{
	uint64_t seed = seeded_start(0xB0D5ull);
	struct arena a;
	arena_init(&a, 0);
	int failures = 0;
	for (int i = 0; i < 1000; i++) {
		int64_t t = 1 + (int64_t)(rng_next() % (UINT64_C(1) << 47));
		char *id = id_new(&a, "aud", t);
		bool in = strcmp(id_time_bound(&a, "aud", t, false), id) <= 0 &&
			  strcmp(id, id_time_bound(&a, "aud", t, true)) <= 0;
		bool out = strcmp(id, id_time_bound(&a, "aud", t - 1, true)) > 0 &&
			   strcmp(id, id_time_bound(&a, "aud", t + 1, false)) < 0;
		if (!(in && out) && failures++ == 0)
			fprintf(stderr, "  seed %llu case %d: %lld -> %s\n",
				(unsigned long long)seed, i, (long long)t, id);
		if (i % 100 == 99)
			arena_reset(&a);
	}
	CHECK(failures == 0);
	CHECK_STR(id_time_bound(&a, "aud", -5, false), "aud_00000000000000000000000000");
	CHECK_STR(id_time_bound(&a, "aud", INT64_MAX, true), "aud_7zzzzzzzzzzzzzzzzzzzzzzzzz");
	CHECK(id_valid(id_time_bound(&a, "aud", 1234, true), "aud"));
	arena_destroy(&a);
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

TEST(test_ids_10000_ids_in_the_same_millisecond_are_unique)
{
	struct arena a;
	arena_init(&a, 0);
	enum { N = 10000 };
	static char *ids[N];
	for (int i = 0; i < N; i++)
		ids[i] = id_new(&a, "req", 1764174313123);
	qsort(ids, N, sizeof ids[0], cmp_str);
	int dups = 0;
	for (int i = 1; i < N; i++)
		dups += strcmp(ids[i - 1], ids[i]) == 0;
	CHECK(dups == 0);
	arena_destroy(&a);
}

TEST(test_ids_valid_accepts_generated_ids)
{
	struct arena a;
	arena_init(&a, 0);
	for (int i = 0; i < 500; i++) {
		char *id = id_new(&a, "ten", 1764174313123 + i);
		CHECK(id_valid(id, "ten"));
		CHECK(id_plausible(id));
	}
	CHECK(id_valid("key_00000000000000000000000000", "key"));
	CHECK(id_valid("key_0123456789abcdefghjkmnpqrs", "key"));
	CHECK(id_valid("key_tvwxyz00000000000000000000", "key"));
	arena_destroy(&a);
}

TEST(test_ids_valid_refuses_wrong_prefix_length_or_characters)
{
	CHECK(!id_valid("usr_00000000000000000000000000", "ten"));
	CHECK(!id_valid("tenx_00000000000000000000000000", "ten"));
	CHECK(!id_valid("te_00000000000000000000000000", "ten"));
	CHECK(!id_valid("ten00000000000000000000000000", "ten"));
	CHECK(!id_valid("ten-00000000000000000000000000", "ten"));
	CHECK(!id_valid("ten_0000000000000000000000000", "ten")); /* 25 */
	CHECK(!id_valid("ten_000000000000000000000000000", "ten")); /* 27 */
	CHECK(!id_valid("ten_", "ten"));
	CHECK(!id_valid("ten", "ten"));
	CHECK(!id_valid("", "ten"));
	CHECK(!id_valid("TEN_00000000000000000000000000", "ten"));
	CHECK(!id_valid("ten_0000000000000000000000000A", "ten")); /* uppercase */
	CHECK(!id_valid("ten_0000000000000000000000000i", "ten")); /* not Crockford */
	CHECK(!id_valid("ten_0000000000000000000000000l", "ten"));
	CHECK(!id_valid("ten_0000000000000000000000000o", "ten"));
	CHECK(!id_valid("ten_0000000000000000000000000u", "ten"));
	CHECK(!id_valid("ten_000000000000000000000000-0", "ten"));
	CHECK(!id_valid("ten_0000000000000000000000000 ", "ten"));
	CHECK(!id_valid("ten_00000000000000000000000000/", "ten"));
	CHECK(!id_valid("ten_000000000000\x80"
			"0000000000000",
			"ten"));
	CHECK(!id_valid("ten_00000000000000000000000000\n", "ten"));
}

TEST(test_ids_plausible_accepts_any_short_lowercase_prefix)
{
	CHECK(id_plausible("ten_00000000000000000000000000"));
	CHECK(id_plausible("lf_00000000000000000000000000"));
	CHECK(id_plausible("a_00000000000000000000000000"));
	CHECK(id_plausible("abcdefgh_00000000000000000000000000")); /* 8 letters */
}

TEST(test_ids_plausible_refuses_bad_prefix_or_body)
{
	CHECK(!id_plausible(""));
	CHECK(!id_plausible("_00000000000000000000000000"));
	CHECK(!id_plausible("abcdefghi_00000000000000000000000000")); /* 9 letters */
	CHECK(!id_plausible("Ten_00000000000000000000000000"));
	CHECK(!id_plausible("t3n_00000000000000000000000000"));
	CHECK(!id_plausible("t-n_00000000000000000000000000"));
	CHECK(!id_plausible("00000000000000000000000000"));
	CHECK(!id_plausible("ten_0000000000000000000000000"));
	CHECK(!id_plausible("ten_000000000000000000000000000"));
	CHECK(!id_plausible("ten_0000000000000000000000000I"));
	CHECK(!id_plausible("ten__0000000000000000000000000"));
	CHECK(!id_plausible("ten_' OR 1=1 --"));
}

static bool all_base62(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
			return false;
	}
	return s[n] == '\0';
}

TEST(test_ids_apikey_is_sk_live_plus_43_base62)
{
	char k[API_KEY_LEN + 1];
	CHECK(API_KEY_LEN == 51);
	for (int i = 0; i < 200; i++) {
		memset(k, '#', sizeof k);
		apikey_generate(k);
		CHECK(strlen(k) == API_KEY_LEN);
		CHECK(strncmp(k, "sk_live_", 8) == 0);
		CHECK(all_base62(k + 8, 43));
		CHECK(apikey_well_formed(k));
	}
}

TEST(test_ids_apikeys_are_distinct_and_use_the_whole_alphabet)
{
	char k1[API_KEY_LEN + 1], k2[API_KEY_LEN + 1];
	apikey_generate(k1);
	apikey_generate(k2);
	CHECK(strcmp(k1, k2) != 0);
	/* 500 keys x 43 chars: every one of the 62 characters shows up */
	bool seen[128] = {false};
	for (int i = 0; i < 500; i++) {
		apikey_generate(k1);
		for (const char *p = k1 + 8; *p; p++)
			seen[(unsigned char)*p] = true;
	}
	int distinct = 0;
	for (int c = 0; c < 128; c++)
		distinct += seen[c];
	CHECK(distinct == 62);
}

TEST(test_ids_apikey_well_formed_refuses_wrong_prefix_length_or_characters)
{
	char k[API_KEY_LEN + 2];
	apikey_generate(k);
	CHECK(apikey_well_formed(k));

	char bad[API_KEY_LEN + 2];
	memcpy(bad, k, sizeof k);
	bad[0] = 'S'; /* "Sk_live_" */
	CHECK(!apikey_well_formed(bad));
	memcpy(bad, "sk_test_", 8);
	CHECK(!apikey_well_formed(bad));
	memcpy(bad, k, API_KEY_LEN + 1);
	bad[API_KEY_LEN - 1] = '\0'; /* 42 random chars */
	CHECK(!apikey_well_formed(bad));
	memcpy(bad, k, API_KEY_LEN + 1);
	bad[API_KEY_LEN] = 'a'; /* 44 random chars */
	bad[API_KEY_LEN + 1] = '\0';
	CHECK(!apikey_well_formed(bad));
	const char bytes[] = {'-', '_', '+', '/', '=', ' ', '.', '\x80', '\xff'};
	for (size_t i = 0; i < sizeof bytes; i++) {
		memcpy(bad, k, API_KEY_LEN + 1);
		bad[20] = bytes[i];
		CHECK(!apikey_well_formed(bad));
	}
	CHECK(!apikey_well_formed(""));
	CHECK(!apikey_well_formed("sk_live_"));
	CHECK(!apikey_well_formed(k + 8)); /* the random part alone */
	CHECK(apikey_well_formed("sk_live_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg"));
	/* publishable keys: same shape, pk_live_ prefix */
	char pk[API_KEY_LEN + 1];
	apikey_generate_publishable(pk);
	CHECK(strncmp(pk, "pk_live_", 8) == 0 && strlen(pk) == API_KEY_LEN);
	CHECK(apikey_well_formed(pk) && apikey_is_publishable(pk));
	CHECK(!apikey_is_publishable(k));
	CHECK(!apikey_well_formed("pk_test_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg"));
	CHECK(!apikey_well_formed("pk_live_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"));
}

TEST(test_ids_token_is_43_base62_and_distinct)
{
	char t1[TOKEN_LEN + 1], t2[TOKEN_LEN + 1];
	for (int i = 0; i < 200; i++) {
		token_generate(t1);
		CHECK(strlen(t1) == 43);
		CHECK(all_base62(t1, 43));
	}
	token_generate(t2);
	CHECK(strcmp(t1, t2) != 0);
}

TEST(test_ids_made_in_one_millisecond_still_sort_in_creation_order)
{
	struct arena a;
	arena_init(&a, 4096);
	char *prev = id_new(&a, "org", 1700000000000);
	for (int i = 0; i < 5000; i++) {
		char *next = id_new(&a, "org", 1700000000000 + i / 100);
		CHECK(strcmp(next, prev) > 0);
		CHECK(id_valid(next, "org"));
		prev = next;
	}
	arena_destroy(&a);
}

int main(void)
{
	if (!sec_init()) {
		fprintf(stderr, "sec_init failed\n");
		return 1;
	}
	RUN(test_ids_made_in_one_millisecond_still_sort_in_creation_order);
	RUN(test_ids_new_id_is_prefix_underscore_and_26_crockford_chars);
	RUN(test_ids_body_never_uses_ambiguous_letters_or_uppercase);
	RUN(test_ids_time_prefix_encodes_now_ms);
	RUN(test_ids_sort_by_creation_time);
	RUN(test_ids_sort_by_creation_time_property);
	RUN(test_ids_time_bounds_enclose_exactly_the_ids_of_their_milliseconds);
	RUN(test_ids_10000_ids_in_the_same_millisecond_are_unique);
	RUN(test_ids_valid_accepts_generated_ids);
	RUN(test_ids_valid_refuses_wrong_prefix_length_or_characters);
	RUN(test_ids_plausible_accepts_any_short_lowercase_prefix);
	RUN(test_ids_plausible_refuses_bad_prefix_or_body);
	RUN(test_ids_apikey_is_sk_live_plus_43_base62);
	RUN(test_ids_apikeys_are_distinct_and_use_the_whole_alphabet);
	RUN(test_ids_apikey_well_formed_refuses_wrong_prefix_length_or_characters);
	RUN(test_ids_token_is_43_base62_and_distinct);
	return check_done("ids");
}
