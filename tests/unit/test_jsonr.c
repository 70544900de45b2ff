/*
 * test_jsonr.c: unit tests for src/core/jsonr.c, the reader of the JSON
 * shapes stored in text columns. Pins down: what core/jsonw.c writes reads
 * back exactly (a seeded property test over hostile strings: quotes,
 * backslashes, control characters, multi-byte UTF-8), escapes and surrogate
 * pairs decode, and everything outside the two shapes is refused.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "core/arena.h"
#include "core/jsonr.h"
#include "core/jsonw.h"
#include "seeded.h"

TEST(test_jsonr_string_array_reads_empty_plain_and_escaped_items)
{
	struct arena a;
	arena_init(&a, 0);
	const char **s;
	CHECK(jsonr_string_array(&a, "[]", &s) == 0);
	CHECK(jsonr_string_array(&a, " [ ] ", &s) == 0);
	CHECK(jsonr_string_array(&a, "[\"a\",\"b c\"]", &s) == 2);
	CHECK_STR(s[0], "a");
	CHECK_STR(s[1], "b c");
	CHECK(jsonr_string_array(&a, "[\"q\\\"\\\\\\/\\b\\f\\n\\r\\t\"]", &s) == 1);
	CHECK_STR(s[0], "q\"\\/\b\f\n\r\t");
	CHECK(jsonr_string_array(&a, "[\"\\u00e9\\u20AC\\ud83d\\ude00\"]", &s) == 1);
	CHECK_STR(s[0], "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	CHECK(jsonr_string_array(&a, "[\"caf\xc3\xa9\"]", &s) == 1);
	CHECK_STR(s[0], "caf\xc3\xa9");
	arena_destroy(&a);
}

TEST(test_jsonr_string_array_refuses_other_shapes_and_bad_text)
{
	struct arena a;
	arena_init(&a, 0);
	const char **s;
	const char *bad[] = {
		"",
		"[",
		"]",
		"[\"a\"",
		"[\"a\",]",
		"[,\"a\"]",
		"[\"a\"]x",
		"[1]",
		"[null]",
		"[[\"a\"]]",
		"{}",
		"\"a\"",
		"[\"a\" \"b\"]",
		"[\"\\x\"]",
		"[\"\\u12\"]",
		"[\"\\ud83d\"]",
		"[\"\\ude00\"]",
		"[\"\\u0000\"]",
		"[\"tab\there\"]",
		"[\"nl\nx\"]",
		"[\"\\",
		"[\"a\\\"]",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int n = jsonr_string_array(&a, bad[i], &s);
		CHECK(n == -1);
		if (n != -1)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
	}
	CHECK(jsonr_string_array(&a, NULL, &s) == -1);
	arena_destroy(&a);
}

TEST(test_jsonr_int_object_reads_integers_nulls_and_int64_bounds)
{
	struct arena a;
	arena_init(&a, 0);
	struct jsonr_member *m;
	CHECK(jsonr_int_object(&a, "{}", &m) == 0);
	CHECK(jsonr_int_object(&a, "{\"seats\":5, \"api\" : null,\"z\":0,\"n\":-7}", &m) == 4);
	CHECK_STR(m[0].key, "seats");
	CHECK(!m[0].null && m[0].value == 5);
	CHECK_STR(m[1].key, "api");
	CHECK(m[1].null);
	CHECK(!m[2].null && m[2].value == 0);
	CHECK(m[3].value == -7);
	CHECK(jsonr_int_object(&a, "{\"max\":9223372036854775807,\"min\":-9223372036854775808}",
			       &m) == 2);
	CHECK(m[0].value == INT64_MAX);
	CHECK(m[1].value == INT64_MIN);
	arena_destroy(&a);
}

TEST(test_jsonr_int_object_refuses_other_values_overflow_and_trailing_bytes)
{
	struct arena a;
	arena_init(&a, 0);
	struct jsonr_member *m;
	const char *bad[] = {
		"",
		"{",
		"{\"a\":}",
		"{\"a\" 1}",
		"{\"a\":1,}",
		"{\"a\":1}x",
		"{a:1}",
		"{\"a\":1.5}",
		"{\"a\":1e3}",
		"{\"a\":01}",
		"{\"a\":-}",
		"{\"a\":\"1\"}",
		"{\"a\":true}",
		"{\"a\":[1]}",
		"{\"a\":nul}",
		"{\"a\":9223372036854775808}",
		"{\"a\":-9223372036854775809}",
		"{\"a\":99999999999999999999}",
		"[]",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int n = jsonr_int_object(&a, bad[i], &m);
		CHECK(n == -1);
		if (n != -1)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
	}
	arena_destroy(&a);
}

/* A string of hostile bytes: ASCII with quotes, backslashes and controls
 * (1..31, never NUL), and well-formed 2-, 3- and 4-byte UTF-8. */
static char *random_text(struct arena *a)
{
	static const char *pieces[] = {"\"",
				       "\\",
				       "/",
				       "\n",
				       "\t",
				       "\x01",
				       "\x1f",
				       "\x7f",
				       "\xc3\xa9",
				       "\xe2\x82\xac",
				       "\xf0\x9f\x98\x80",
				       "[",
				       "]",
				       ",",
				       "{",
				       "}",
				       ":",
				       "u",
				       "\\u0041"};
	int n = (int)rng_range(0, 12);
	char *s = arena_alloc(a, 12 * 8 + 1);
	size_t len = 0;
	for (int i = 0; i < n; i++) {
		const char *p = rng_range(0, 2) == 0
					? pieces[rng_range(0, sizeof pieces / sizeof pieces[0] - 1)]
					: (const char[]){(char)rng_range(' ', '~'), 0};
		size_t pl = strlen(p);
		memcpy(s + len, p, pl);
		len += pl;
	}
	s[len] = '\0';
	return s;
}

TEST(test_jsonr_reads_back_exactly_what_jsonw_writes_for_300_seeded_cases)
{
	uint64_t seed = seeded_start(20261204);
	struct arena a;
	arena_init(&a, 0);
	for (int k = 0; k < 300; k++) {
		int n = (int)rng_range(0, 6);
		const char *items[6];
		int64_t vals[6];
		struct jsonw wa, wo;
		jsonw_init(&wa, &a);
		jsonw_init(&wo, &a);
		jsonw_array_begin(&wa);
		jsonw_object_begin(&wo);
		for (int i = 0; i < n; i++) {
			items[i] = random_text(&a);
			vals[i] = rng_range(0, 3) == 0 ? -1 : (int64_t)(rng_next() >> 1);
			jsonw_string(&wa, items[i]);
			jsonw_key(&wo, items[i]);
			if (vals[i] < 0)
				jsonw_null(&wo);
			else
				jsonw_int(&wo, vals[i]);
		}
		jsonw_array_end(&wa);
		jsonw_object_end(&wo);
		const char **got;
		struct jsonr_member *m;
		bool ok = jsonr_string_array(&a, jsonw_text(&wa), &got) == n &&
			  jsonr_int_object(&a, jsonw_text(&wo), &m) == n;
		for (int i = 0; ok && i < n; i++)
			ok = strcmp(got[i], items[i]) == 0 && strcmp(m[i].key, items[i]) == 0 &&
			     m[i].null == (vals[i] < 0) && (vals[i] < 0 || m[i].value == vals[i]);
		CHECK(ok);
		if (!ok) {
			fprintf(stderr, "  seed %" PRIu64 " case %d: %s | %s\n", seed, k,
				jsonw_text(&wa), jsonw_text(&wo));
			break;
		}
		arena_reset(&a);
	}
	arena_destroy(&a);
}

int main(void)
{
	RUN(test_jsonr_string_array_reads_empty_plain_and_escaped_items);
	RUN(test_jsonr_string_array_refuses_other_shapes_and_bad_text);
	RUN(test_jsonr_int_object_reads_integers_nulls_and_int64_bounds);
	RUN(test_jsonr_int_object_refuses_other_values_overflow_and_trailing_bytes);
	RUN(test_jsonr_reads_back_exactly_what_jsonw_writes_for_300_seeded_cases);
	return check_done("jsonr");
}
