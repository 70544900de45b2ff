/*
 * test_json_body.c: unit tests for src/http/json_body.c. Pins down what a
 * request body must be before a handler sees it: one JSON object, well-formed
 * UTF-8, no NUL bytes, no duplicate keys, nesting at most JSON_MAX_DEPTH, and
 * that hostile depth is refused by the pre-scan without recursing.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "http/json_body.h"

static const char *why;

/* Parse a C string (without its NUL); drop the result. */
static enum status parse_str(const char *s)
{
	json_t *v = (json_t *)1;
	why = NULL;
	enum status st = json_body_parse(s, strlen(s), &v, &why);
	if (st == ST_OK) {
		CHECK(v != NULL && json_is_object(v));
		json_decref(v);
	} else {
		CHECK(v == NULL);
		CHECK(why != NULL && why[0] != '\0');
	}
	return st;
}

static enum status parse_buf(const char *s, size_t len)
{
	json_t *v = (json_t *)1;
	why = NULL;
	enum status st = json_body_parse(s, len, &v, &why);
	if (st == ST_OK)
		json_decref(v);
	else
		CHECK(v == NULL);
	return st;
}

/* n nested arrays around "1": "[[[1]]]" for n = 3, inside {"a": ...} when
 * in_object (which adds one level). Caller frees. */
static char *nested(int n, bool in_object)
{
	size_t cap = (size_t)n * 2 + 16;
	char *s = malloc(cap);
	size_t k = 0;
	if (in_object) {
		memcpy(s, "{\"a\":", 5);
		k = 5;
	}
	for (int i = 0; i < n; i++)
		s[k++] = '[';
	s[k++] = '1';
	for (int i = 0; i < n; i++)
		s[k++] = ']';
	if (in_object)
		s[k++] = '}';
	s[k] = '\0';
	return s;
}

/* n nested objects: {"a":{"a":{...{}...}}} */
static char *nested_objects(int n)
{
	size_t cap = (size_t)n * 6 + 8;
	char *s = malloc(cap);
	size_t k = 0;
	for (int i = 0; i < n - 1; i++) {
		memcpy(s + k, "{\"a\":", 5);
		k += 5;
	}
	s[k++] = '{';
	for (int i = 0; i < n; i++)
		s[k++] = '}';
	s[k] = '\0';
	return s;
}

TEST(test_json_body_valid_object_is_returned_to_the_caller)
{
	const char *body = "{\"name\":\"Acme\",\"seats\":5,\"tags\":[\"a\",{\"b\":null}],"
			   "\"ok\":true,\"x\":1.5e3}";
	json_t *v = NULL;
	why = NULL;
	CHECK(json_body_parse(body, strlen(body), &v, &why) == ST_OK);
	CHECK(json_is_object(v));
	CHECK_STR(json_string_value(json_object_get(v, "name")), "Acme");
	CHECK(json_integer_value(json_object_get(v, "seats")) == 5);
	CHECK(json_array_size(json_object_get(v, "tags")) == 2);
	json_decref(v);
}

TEST(test_json_body_empty_object_and_surrounding_whitespace_are_ok)
{
	CHECK(parse_str("{}") == ST_OK);
	CHECK(parse_str(" \r\n\t{ } \n") == ST_OK);
}

TEST(test_json_body_multibyte_utf8_and_escapes_are_ok)
{
	CHECK(parse_str("{\"name\":\"Z\xc3\xbcrich \xe2\x82\xac \xf0\x9f\x98\x80\"}") == ST_OK);
	CHECK(parse_str("{\"e\":\"\\u00e9\\ud83d\\ude00\\n\\\"\\\\\"}") == ST_OK);
}

TEST(test_json_body_truncated_json_is_invalid_json)
{
	const char *bad[] = {"{",         "{\"a\"",     "{\"a\":",     "{\"a\":1",
			     "{\"a\":1,", "{\"a\":\"x", "{\"a\":[1,2", "{\"a\":tru",
			     "",          " ",          "}",           "{\"a\":1}}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(parse_str(bad[i]) == ST_INVALID_JSON);
}

TEST(test_json_body_malformed_syntax_is_invalid_json)
{
	const char *bad[] = {
		"{a:1}",      "{'a':1}",     "{\"a\":1,}",        "{\"a\" 1}",
		"{\"a\":01}", "{\"a\":NaN}", "{\"a\":\"\\x41\"}", "{\"a\":\"tab\there\"}",
		"{} {}",      "{}x",         "{\"a\":1}garbage",  "{\"a\":\"\\ud800\"}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		enum status st = parse_str(bad[i]);
		if (st != ST_INVALID_JSON)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
		CHECK(st == ST_INVALID_JSON);
	}
}

TEST(test_json_body_nul_byte_is_invalid_json)
{
	const char a[] = "{\"a\":\"x\0y\"}";
	CHECK(parse_buf(a, sizeof a - 1) == ST_INVALID_JSON);
	CHECK(why != NULL && strstr(why, "NUL") != NULL);
	const char b[] = "{}\0";
	CHECK(parse_buf(b, sizeof b - 1) == ST_INVALID_JSON); /* trailing NUL */
	const char c[] = "\0{}";
	CHECK(parse_buf(c, sizeof c - 1) == ST_INVALID_JSON);
	const char d[] = "{\"a\":1}\0{\"b\":2}"; /* a NUL cannot end the body early */
	CHECK(parse_buf(d, sizeof d - 1) == ST_INVALID_JSON);
}

TEST(test_json_body_invalid_utf8_is_invalid_json)
{
	const char *bad[] = {
		"{\"a\":\"\xff\"}", /* never valid */
		"{\"a\":\"\xc3\"}", /* truncated sequence */
		"{\"a\":\"\xe2\x82\"}", /* truncated sequence */
		"{\"a\":\"\x80\"}", /* lone continuation */
		"{\"a\":\"\xc0\xaf\"}", /* overlong '/' */
		"{\"a\":\"\xe0\x80\xaf\"}", /* overlong '/' */
		"{\"a\":\"\xed\xa0\x80\"}", /* encoded surrogate */
		"{\"a\":\"\xf4\x90\x80\x80\"}", /* above U+10FFFF */
		"{\"\xfe\":1}", /* in a key */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		enum status st = parse_str(bad[i]);
		if (st != ST_INVALID_JSON)
			fprintf(stderr, "  invalid UTF-8 case %zu accepted\n", i);
		CHECK(st == ST_INVALID_JSON);
	}
}

TEST(test_json_body_duplicate_keys_are_invalid_json)
{
	CHECK(parse_str("{\"a\":1,\"a\":2}") == ST_INVALID_JSON);
	CHECK(parse_str("{\"a\":1,\"b\":2,\"a\":1}") == ST_INVALID_JSON);
	CHECK(parse_str("{\"o\":{\"k\":1,\"k\":2}}") == ST_INVALID_JSON);
	CHECK(parse_str("{\"l\":[{\"k\":1,\"k\":2}]}") == ST_INVALID_JSON);
	/* the same key spelled with an escape is still a duplicate */
	CHECK(parse_str("{\"role\":\"member\",\"r\\u006fle\":\"owner\"}") == ST_INVALID_JSON);
	/* same key in sibling objects is fine */
	CHECK(parse_str("{\"x\":{\"k\":1},\"y\":{\"k\":2}}") == ST_OK);
}

TEST(test_json_body_100000_deep_nesting_is_invalid_json_without_crashing)
{
	enum { N = 100000 };
	char *s = malloc(N + 1);
	memset(s, '[', N);
	s[N] = '\0';
	CHECK(parse_str(s) == ST_INVALID_JSON);
	CHECK(why != NULL && strstr(why, "deep") != NULL);
	free(s);
	s = nested(N, true); /* balanced, otherwise valid */
	CHECK(parse_str(s) == ST_INVALID_JSON);
	CHECK(why != NULL && strstr(why, "deep") != NULL);
	free(s);
	s = nested_objects(N);
	CHECK(parse_str(s) == ST_INVALID_JSON);
	free(s);
}

TEST(test_json_body_depth_32_is_ok_and_33_is_invalid_json)
{
	CHECK(JSON_MAX_DEPTH == 32);
	char *s = nested(31, true); /* object + 31 arrays = 32 */
	CHECK(json_body_depth(s, strlen(s), JSON_MAX_DEPTH) == 32);
	CHECK(parse_str(s) == ST_OK);
	free(s);
	s = nested(32, true); /* 33 */
	CHECK(parse_str(s) == ST_INVALID_JSON);
	CHECK(why != NULL && strstr(why, "deep") != NULL);
	free(s);
	s = nested_objects(32);
	CHECK(json_body_depth(s, strlen(s), JSON_MAX_DEPTH) == 32);
	CHECK(parse_str(s) == ST_OK);
	free(s);
	s = nested_objects(33);
	CHECK(parse_str(s) == ST_INVALID_JSON);
	free(s);
}

TEST(test_json_body_depth_is_the_maximum_not_the_total)
{
	/* many shallow siblings never add up to a deep document */
	size_t n = 2000;
	char *s = malloc(n * 3 + 16);
	size_t k = 0;
	memcpy(s, "{\"a\":[", 6);
	k = 6;
	for (size_t i = 0; i < n; i++) {
		if (i)
			s[k++] = ',';
		s[k++] = '[';
		s[k++] = ']';
	}
	memcpy(s + k, "]}", 3);
	CHECK(json_body_depth(s, strlen(s), JSON_MAX_DEPTH) == 3);
	CHECK(parse_str(s) == ST_OK);
	free(s);
}

TEST(test_json_body_brackets_inside_strings_do_not_count)
{
	char s[400];
	int k = snprintf(s, sizeof s, "{\"a\":\"");
	for (int i = 0; i < 100; i++)
		s[k++] = i % 2 ? '{' : '[';
	snprintf(s + k, sizeof s - (size_t)k, "\",\"b\":\"]]]}}}\"}");
	CHECK(json_body_depth(s, strlen(s), JSON_MAX_DEPTH) == 1);
	CHECK(parse_str(s) == ST_OK);
	/* an escaped quote does not end the string */
	const char *esc = "{\"a\":\"\\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}";
	CHECK(json_body_depth(esc, strlen(esc), JSON_MAX_DEPTH) == 1);
	CHECK(parse_str(esc) == ST_OK);
	/* brackets in keys do not count either */
	CHECK(parse_str("{\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\":1}") == ST_OK);
}

TEST(test_json_body_escaped_backslash_ends_the_string_before_counting_resumes)
{
	/* "\\" is a complete string: the brackets after it are structural */
	char *deep = nested(32, false);
	char s[256];
	snprintf(s, sizeof s, "{\"a\":\"\\\\\",\"b\":%s}", deep);
	free(deep);
	CHECK(json_body_depth(s, strlen(s), JSON_MAX_DEPTH) == 33);
	CHECK(parse_str(s) == ST_INVALID_JSON);
}

TEST(test_json_body_depth_counts_and_stops_past_limit)
{
	CHECK(json_body_depth("", 0, 32) == 0);
	CHECK(json_body_depth("1", 1, 32) == 0);
	CHECK(json_body_depth("[]", 2, 32) == 1);
	CHECK(json_body_depth("{}", 2, 32) == 1);
	CHECK(json_body_depth("[{}]", 4, 32) == 2);
	CHECK(json_body_depth("[][][]", 6, 32) == 1);
	CHECK(json_body_depth("[[[[[[", 6, 3) == 4); /* stops one past the limit */
	/* only len bytes are looked at */
	CHECK(json_body_depth("[[[[", 2, 32) == 2);
}

TEST(test_json_body_top_level_array_is_validation_failed)
{
	CHECK(parse_str("[]") == ST_VALIDATION_FAILED);
	CHECK(parse_str("[{\"a\":1}]") == ST_VALIDATION_FAILED);
	CHECK(why != NULL && strstr(why, "object") != NULL);
}

TEST(test_json_body_top_level_scalar_is_validation_failed)
{
	const char *scalars[] = {"42", "-1.5", "\"text\"", "true", "false", "null"};
	for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++) {
		enum status st = parse_str(scalars[i]);
		if (st != ST_VALIDATION_FAILED)
			fprintf(stderr, "  top-level %s gave %d\n", scalars[i], (int)st);
		CHECK(st == ST_VALIDATION_FAILED);
	}
}

int main(void)
{
	RUN(test_json_body_valid_object_is_returned_to_the_caller);
	RUN(test_json_body_empty_object_and_surrounding_whitespace_are_ok);
	RUN(test_json_body_multibyte_utf8_and_escapes_are_ok);
	RUN(test_json_body_truncated_json_is_invalid_json);
	RUN(test_json_body_malformed_syntax_is_invalid_json);
	RUN(test_json_body_nul_byte_is_invalid_json);
	RUN(test_json_body_invalid_utf8_is_invalid_json);
	RUN(test_json_body_duplicate_keys_are_invalid_json);
	RUN(test_json_body_100000_deep_nesting_is_invalid_json_without_crashing);
	RUN(test_json_body_depth_32_is_ok_and_33_is_invalid_json);
	RUN(test_json_body_depth_is_the_maximum_not_the_total);
	RUN(test_json_body_brackets_inside_strings_do_not_count);
	RUN(test_json_body_escaped_backslash_ends_the_string_before_counting_resumes);
	RUN(test_json_body_depth_counts_and_stops_past_limit);
	RUN(test_json_body_top_level_array_is_validation_failed);
	RUN(test_json_body_top_level_scalar_is_validation_failed);
	return check_done("json_body");
}
