/*
 * test_webhooks.c: unit tests for the pure parts of webhooks: Standard
 * Webhooks signing (src/net/webhook_http.c) against the specification's
 * published test vector, refusal of malformed secrets, the retry schedule
 * and Retry-After arithmetic (webhook_backoff_ms), the circuit breaker's
 * pause (webhook_breaker_pause_ms), event-filter validation
 * and matching (src/svc/webhooks.c), and the JSON writer the payloads are
 * built with (src/core/jsonw.c). No clock, no database: see
 * test_webhook_delivery.c for the job with a fake clock.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "core/arena.h"
#include "core/jsonw.h"
#include "core/secure.h"
#include "net/webhook_http.h"
#include "svc/webhooks.h"

#define SEC 1000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)

/* ---- signing -------------------------------------------------------------- */

/* The Standard Webhooks specification's example (and every official
 * library's test): secret, id, timestamp and body give this signature. */
#define VEC_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define VEC_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define VEC_TS 1614265330
#define VEC_BODY "{\"test\": 2432232314}"
#define VEC_SIG "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

TEST(sign_matches_the_standard_webhooks_published_test_vector)
{
	char sig[WEBHOOK_SIGNATURE_LEN];
	memset(sig, 'x', sizeof sig);
	CHECK(webhook_sign(VEC_SECRET, VEC_ID, VEC_TS, VEC_BODY, sig));
	CHECK_STR(sig, VEC_SIG);
	CHECK(strlen(sig) == 3 + 44);
}

TEST(sign_covers_id_timestamp_and_every_body_byte)
{
	char sig[WEBHOOK_SIGNATURE_LEN];
	CHECK(webhook_sign(VEC_SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJeK", VEC_TS, VEC_BODY, sig));
	CHECK(strcmp(sig, VEC_SIG) != 0);
	CHECK(webhook_sign(VEC_SECRET, VEC_ID, VEC_TS + 1, VEC_BODY, sig));
	CHECK(strcmp(sig, VEC_SIG) != 0);
	CHECK(webhook_sign(VEC_SECRET, VEC_ID, VEC_TS, "{\"test\": 2432232315}", sig));
	CHECK(strcmp(sig, VEC_SIG) != 0);
	CHECK(webhook_sign(VEC_SECRET, VEC_ID, VEC_TS, "{\"test\": 2432232314} ", sig));
	CHECK(strcmp(sig, VEC_SIG) != 0);
	/* another key of the same length */
	CHECK(webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSx", VEC_ID, VEC_TS, VEC_BODY,
			   sig));
	CHECK(strcmp(sig, VEC_SIG) != 0);
	/* deterministic */
	char again[WEBHOOK_SIGNATURE_LEN];
	CHECK(webhook_sign(VEC_SECRET, VEC_ID, VEC_TS, "{\"a\":\"\xc3\xa9\"}", sig));
	CHECK(webhook_sign(VEC_SECRET, VEC_ID, VEC_TS, "{\"a\":\"\xc3\xa9\"}", again));
	CHECK_STR(sig, again);
}

/* HMAC-SHA256 computed here from the primitives, independently of
 * webhook_sign's message assembly: base64(HMAC(key, "id.ts.body")). */
static void reference_sign(const uint8_t *key, size_t keylen, const char *msg, char *out,
			   size_t outlen)
{
	uint8_t mac[SEC_SHA256_LEN];
	sec_hmac_sha256(key, keylen, msg, strlen(msg), mac);
	memcpy(out, "v1,", 3);
	sec_base64(mac, sizeof mac, out + 3, outlen - 3);
}

TEST(sign_of_a_generated_32_byte_secret_agrees_with_a_reference_hmac)
{
	for (int round = 0; round < 50; round++) {
		uint8_t key[32];
		char b64[64], secret[80], want[WEBHOOK_SIGNATURE_LEN], got[WEBHOOK_SIGNATURE_LEN];
		sec_random(key, sizeof key);
		sec_base64(key, sizeof key, b64, sizeof b64);
		snprintf(secret, sizeof secret, "whsec_%s", b64);
		char body[128], msg[256];
		snprintf(body, sizeof body, "{\"round\":%d,\"s\":\"a\\\"b\"}", round);
		snprintf(msg, sizeof msg, "evt_%d.%lld.%s", round, 1700000000LL + round, body);
		reference_sign(key, sizeof key, msg, want, sizeof want);
		char id[32];
		snprintf(id, sizeof id, "evt_%d", round);
		CHECK(webhook_sign(secret, id, 1700000000LL + round, body, got));
		CHECK_STR(got, want);
	}
}

TEST(sign_of_an_empty_body_and_a_large_body)
{
	char sig[WEBHOOK_SIGNATURE_LEN], want[WEBHOOK_SIGNATURE_LEN];
	uint8_t key[24];
	size_t keylen = 0;
	CHECK(sec_base64_decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", key, sizeof key, &keylen));
	CHECK(keylen == 24);
	CHECK(webhook_sign(VEC_SECRET, VEC_ID, VEC_TS, "", sig));
	reference_sign(key, keylen, VEC_ID ".1614265330.", want, sizeof want);
	CHECK_STR(sig, want);
	static char big[70000], msg[70100];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	snprintf(msg, sizeof msg, "%s.%d.%s", VEC_ID, VEC_TS, big);
	CHECK(webhook_sign(VEC_SECRET, VEC_ID, VEC_TS, big, sig));
	reference_sign(key, keylen, msg, want, sizeof want);
	CHECK_STR(sig, want);
}

TEST(malformed_secrets_are_refused_not_used)
{
	const char *bad[] = {
		"", /* nothing */
		"whsec_", /* no key */
		"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", /* no prefix */
		"WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", /* prefix is case-sensitive */
		"whsec-MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!", /* not base64 */
		"whsec_MfKQ9r8G KYqrTwjUPD8ILPZIo2LaLaSw",
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", /* truncated group */
		"whsec_====",
		NULL,
	};
	char sig[WEBHOOK_SIGNATURE_LEN];
	for (int i = 0; bad[i]; i++) {
		bool ok = webhook_sign(bad[i], VEC_ID, VEC_TS, VEC_BODY, sig);
		if (ok)
			fprintf(stderr, "  accepted malformed secret \"%s\"\n", bad[i]);
		CHECK(!ok);
	}
	/* a key longer than the signer can hold is refused, not truncated */
	char huge[6 + 400 + 1];
	memcpy(huge, "whsec_", 6);
	memset(huge + 6, 'A', 400);
	huge[6 + 400] = '\0';
	CHECK(!webhook_sign(huge, VEC_ID, VEC_TS, VEC_BODY, sig));
}

TEST(a_message_id_too_long_for_the_signer_is_refused_not_truncated)
{
	char id[300], sig[WEBHOOK_SIGNATURE_LEN];
	memset(id, 'm', sizeof id - 1);
	id[sizeof id - 1] = '\0';
	CHECK(!webhook_sign(VEC_SECRET, id, VEC_TS, VEC_BODY, sig));
	/* ids as saasd makes them ("evt_" + 26) are far below the limit */
	CHECK(webhook_sign(VEC_SECRET, "evt_01jd9q3v6m8k2p4r5s7t9w0x1y", VEC_TS, VEC_BODY, sig));
}

/* ---- backoff ---------------------------------------------------------------- */

TEST(backoff_follows_5s_5min_30min_2h_5h_10h_then_gives_up)
{
	const int64_t want[] = {5 * SEC, 5 * MIN, 30 * MIN, 2 * HOUR, 5 * HOUR, 10 * HOUR};
	for (int i = 0; i < 6; i++)
		CHECK(webhook_backoff_ms(i + 1, 0.0, -1) == want[i]);
	CHECK(WEBHOOK_ATTEMPTS_MAX == 7);
	CHECK(webhook_backoff_ms(7, 0.0, -1) == -1);
	CHECK(webhook_backoff_ms(8, 0.0, -1) == -1);
	CHECK(webhook_backoff_ms(1000000, 0.0, -1) == -1);
	/* not an attempt number at all */
	CHECK(webhook_backoff_ms(0, 0.0, -1) == -1);
	CHECK(webhook_backoff_ms(-1, 0.0, -1) == -1);
}

TEST(breaker_pauses_after_3_timeouts_for_30_s_doubling_to_1_h)
{
	for (int64_t streak = -1; streak < 3; streak++)
		CHECK(webhook_breaker_pause_ms(streak) == 0);
	const int64_t want[] = {30000, 60000, 120000, 240000, 480000, 960000, 1920000, 3600000};
	for (int i = 0; i < 8; i++)
		CHECK(webhook_breaker_pause_ms(3 + i) == want[i]);
	CHECK(webhook_breaker_pause_ms(11) == 3600000);
	CHECK(webhook_breaker_pause_ms(1000) == 3600000);
	CHECK(webhook_breaker_pause_ms(INT64_MAX) == 3600000); /* no overflow, no long loop */
	/* never shorter for a longer run */
	for (int64_t streak = 1; streak < 40; streak++)
		CHECK(webhook_breaker_pause_ms(streak + 1) >= webhook_breaker_pause_ms(streak));
}

TEST(backoff_jitter_stays_within_ten_percent_and_never_reorders_the_schedule)
{
	const int64_t base[] = {5 * SEC, 5 * MIN, 30 * MIN, 2 * HOUR, 5 * HOUR, 10 * HOUR};
	for (int i = 0; i < 6; i++) {
		CHECK(webhook_backoff_ms(i + 1, 0.1, -1) == base[i] + base[i] / 10);
		CHECK(webhook_backoff_ms(i + 1, -0.1, -1) == base[i] - base[i] / 10);
		for (int j = -100; j <= 100; j++) {
			int64_t ms = webhook_backoff_ms(i + 1, j / 1000.0, -1);
			CHECK(ms >= base[i] - base[i] / 10 && ms <= base[i] + base[i] / 10);
		}
		/* the longest delay of a step is shorter than the shortest of the next */
		if (i < 5)
			CHECK(webhook_backoff_ms(i + 1, 0.1, -1) <
			      webhook_backoff_ms(i + 2, -0.1, -1));
	}
	/* the whole schedule adds up to about 17 h 35 min 5 s */
	int64_t total = 0;
	for (int i = 1; i < WEBHOOK_ATTEMPTS_MAX; i++)
		total += webhook_backoff_ms(i, 0.0, -1);
	CHECK(total == 17 * HOUR + 35 * MIN + 5 * SEC);
}

TEST(retry_after_replaces_the_schedule_and_is_capped_at_10_hours)
{
	CHECK(webhook_backoff_ms(1, 0.0, 2) == 2 * SEC);
	CHECK(webhook_backoff_ms(1, 0.1, 2) == 2 * SEC); /* no jitter on a server's wish */
	CHECK(webhook_backoff_ms(1, -0.1, 2) == 2 * SEC);
	CHECK(webhook_backoff_ms(4, 0.0, 2) == 2 * SEC); /* shorter than the schedule too */
	CHECK(webhook_backoff_ms(1, 0.0, 0) == 0);
	CHECK(webhook_backoff_ms(2, 0.0, 3600) == HOUR);
	CHECK(webhook_backoff_ms(1, 0.0, 36000) == 10 * HOUR);
	CHECK(webhook_backoff_ms(1, 0.0, 36001) == 10 * HOUR);
	CHECK(webhook_backoff_ms(1, 0.0, 86400 * 365) == 10 * HOUR);
	CHECK(webhook_backoff_ms(1, 0.0, INT64_MAX) == 10 * HOUR); /* no overflow */
	/* -1 means "no Retry-After" */
	CHECK(webhook_backoff_ms(1, 0.0, -1) == 5 * SEC);
	/* the attempt budget still ends the delivery */
	CHECK(webhook_backoff_ms(7, 0.0, 2) == -1);
	CHECK(webhook_backoff_ms(6, 0.0, 2) == 2 * SEC);
}

/* ---- event filters ---------------------------------------------------------- */

static const char *const TYPES[] = {"user.created",
				    "organization.created",
				    "organization.member_added",
				    "organization.member_removed",
				    "invitation.created",
				    "invitation.accepted",
				    "subscription.created",
				    "subscription.updated",
				    "subscription.canceled",
				    "usage.quota_exceeded",
				    NULL};

TEST(every_documented_event_type_and_its_prefix_is_a_valid_filter)
{
	for (int i = 0; TYPES[i]; i++) {
		CHECK(webhook_filter_valid(TYPES[i]));
		char prefix[64];
		const char *dot = strchr(TYPES[i], '.');
		snprintf(prefix, sizeof prefix, "%.*s.*", (int)(dot - TYPES[i]), TYPES[i]);
		CHECK(webhook_filter_valid(prefix));
	}
	CHECK(webhook_filter_valid("*"));
	CHECK(webhook_filter_valid("subscription.*"));
	CHECK(webhook_filter_valid("organization.*"));
}

TEST(unknown_types_and_malformed_filters_are_refused)
{
	const char *bad[] = {"",
			     "user",
			     "user.",
			     "user.deleted",
			     "user.created ",
			     " user.created",
			     "User.created",
			     "USER.CREATED",
			     "user.created.*",
			     "user.created*",
			     "user*",
			     "sub.*",
			     "subscription*",
			     "subscriptions.*",
			     "subscriptionx.*",
			     "subscription.**",
			     "subscription.*.*",
			     "subscription.c*",
			     "organization.member.*",
			     "organization.member_*",
			     ".*",
			     "*.*",
			     "**",
			     "*.created",
			     "payment.succeeded",
			     "user.created\n",
			     NULL};
	for (int i = 0; bad[i]; i++) {
		bool ok = webhook_filter_valid(bad[i]);
		if (ok)
			fprintf(stderr, "  accepted filter \"%s\"\n", bad[i]);
		CHECK(!ok);
	}
}

TEST(exact_filter_matches_only_its_type)
{
	CHECK(webhook_filter_matches("user.created", "user.created"));
	CHECK(!webhook_filter_matches("user.created", "user.created2"));
	CHECK(!webhook_filter_matches("user.created", "user.create"));
	CHECK(!webhook_filter_matches("user.created", "user.created.x"));
	CHECK(!webhook_filter_matches("user.created", "organization.created"));
	CHECK(!webhook_filter_matches("subscription.created", "subscription.updated"));
	for (int i = 0; TYPES[i]; i++)
		for (int j = 0; TYPES[j]; j++)
			CHECK(webhook_filter_matches(TYPES[i], TYPES[j]) == (i == j));
}

TEST(prefix_filter_matches_its_family_and_nothing_that_merely_starts_alike)
{
	CHECK(webhook_filter_matches("subscription.*", "subscription.created"));
	CHECK(webhook_filter_matches("subscription.*", "subscription.updated"));
	CHECK(webhook_filter_matches("subscription.*", "subscription.canceled"));
	CHECK(!webhook_filter_matches("subscription.*", "subscriptionx.created"));
	CHECK(!webhook_filter_matches("subscription.*", "subscription"));
	CHECK(!webhook_filter_matches("subscription.*", "subscription."));
	CHECK(!webhook_filter_matches("subscription.*", "subscriptio.created"));
	CHECK(!webhook_filter_matches("subscription.*", "usage.quota_exceeded"));
	CHECK(!webhook_filter_matches("user.*", "usage.quota_exceeded"));
	CHECK(webhook_filter_matches("organization.*", "organization.member_added"));
	CHECK(webhook_filter_matches("organization.*", "organization.member_removed"));
	CHECK(!webhook_filter_matches("organization.*", "invitation.accepted"));
	/* against every documented type: a family matches exactly its members */
	const char *families[] = {"user.",         "organization.", "invitation.",
				  "subscription.", "usage.",        NULL};
	for (int f = 0; families[f]; f++) {
		char filter[32];
		snprintf(filter, sizeof filter, "%s*", families[f]);
		for (int i = 0; TYPES[i]; i++)
			CHECK(webhook_filter_matches(filter, TYPES[i]) ==
			      (strncmp(TYPES[i], families[f], strlen(families[f])) == 0));
	}
}

TEST(star_matches_every_type)
{
	for (int i = 0; TYPES[i]; i++)
		CHECK(webhook_filter_matches("*", TYPES[i]));
	CHECK(webhook_filter_matches("*", "webhook.test"));
}

/* ---- jsonw -------------------------------------------------------------------- */

TEST(jsonw_writes_flat_objects_with_commas_between_members)
{
	struct arena a;
	arena_init(&a, 1024);
	struct jsonw w;
	jsonw_init(&w, &a);
	CHECK_STR(jsonw_text(&w), "");
	jsonw_object_begin(&w);
	jsonw_kv_string(&w, "id", "evt_1");
	jsonw_kv_int(&w, "n", -42);
	jsonw_key(&w, "ok");
	jsonw_bool(&w, true);
	jsonw_key(&w, "no");
	jsonw_bool(&w, false);
	jsonw_key(&w, "nothing");
	jsonw_null(&w);
	jsonw_kv_string(&w, "absent", NULL);
	jsonw_object_end(&w);
	CHECK_STR(jsonw_text(&w), "{\"id\":\"evt_1\",\"n\":-42,\"ok\":true,\"no\":false,"
				  "\"nothing\":null,\"absent\":null}");
	arena_destroy(&a);
}

TEST(jsonw_nests_objects_and_arrays)
{
	struct arena a;
	arena_init(&a, 1024);
	struct jsonw w;
	jsonw_init(&w, &a);
	jsonw_object_begin(&w);
	jsonw_key(&w, "empty_o");
	jsonw_object_begin(&w);
	jsonw_object_end(&w);
	jsonw_key(&w, "empty_a");
	jsonw_array_begin(&w);
	jsonw_array_end(&w);
	jsonw_key(&w, "list");
	jsonw_array_begin(&w);
	jsonw_int(&w, 1);
	jsonw_string(&w, "two");
	jsonw_object_begin(&w);
	jsonw_kv_int(&w, "three", 3);
	jsonw_key(&w, "deeper");
	jsonw_array_begin(&w);
	jsonw_array_begin(&w);
	jsonw_null(&w);
	jsonw_array_end(&w);
	jsonw_array_begin(&w);
	jsonw_array_end(&w);
	jsonw_array_end(&w);
	jsonw_object_end(&w);
	jsonw_bool(&w, false);
	jsonw_array_end(&w);
	jsonw_kv_string(&w, "after", "x");
	jsonw_object_end(&w);
	CHECK_STR(jsonw_text(&w), "{\"empty_o\":{},\"empty_a\":[],\"list\":[1,\"two\",{\"three\":3,"
				  "\"deeper\":[[null],[]]},false],\"after\":\"x\"}");
	arena_destroy(&a);
}

TEST(jsonw_raw_embeds_a_serialised_value_as_one_member)
{
	struct arena a;
	arena_init(&a, 1024);
	struct jsonw w;
	jsonw_init(&w, &a);
	jsonw_object_begin(&w);
	jsonw_kv_string(&w, "type", "user.created");
	jsonw_key(&w, "data");
	jsonw_raw(&w, "{\"user\":{\"id\":\"usr_1\"}}");
	jsonw_kv_string(&w, "tail", "t");
	jsonw_object_end(&w);
	CHECK_STR(jsonw_text(&w), "{\"type\":\"user.created\",\"data\":{\"user\":{\"id\":\"usr_1\"}"
				  "},\"tail\":\"t\"}");
	arena_destroy(&a);
}

TEST(jsonw_escapes_quotes_backslashes_and_control_characters)
{
	struct arena a;
	arena_init(&a, 1024);
	struct jsonw w;
	jsonw_init(&w, &a);
	jsonw_object_begin(&w);
	jsonw_kv_string(&w, "q\"k", "say \"hi\"");
	jsonw_kv_string(&w, "bs", "C:\\dir\\");
	jsonw_kv_string(&w, "ctl", "a\nb\rc\td\x01\x1f\x7f");
	jsonw_kv_string(&w, "utf8", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	jsonw_kv_string(&w, "html", "</script><b>&'");
	jsonw_object_end(&w);
	CHECK_STR(jsonw_text(&w), "{\"q\\\"k\":\"say \\\"hi\\\"\",\"bs\":\"C:\\\\dir\\\\\","
				  "\"ctl\":\"a\\u000ab\\u000dc\\u0009d\\u0001\\u001f\\u007f\","
				  "\"utf8\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\","
				  "\"html\":\"</script><b>&'\"}");
	/* and a real JSON parser reads back exactly what went in */
	json_error_t err;
	json_t *o = json_loads(jsonw_text(&w), 0, &err);
	CHECK(o != NULL);
	if (o != NULL) {
		CHECK_STR(json_string_value(json_object_get(o, "q\"k")), "say \"hi\"");
		CHECK_STR(json_string_value(json_object_get(o, "bs")), "C:\\dir\\");
		CHECK_STR(json_string_value(json_object_get(o, "ctl")), "a\nb\rc\td\x01\x1f\x7f");
		CHECK_STR(json_string_value(json_object_get(o, "utf8")),
			  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
		json_decref(o);
	}
	arena_destroy(&a);
}

TEST(jsonw_every_control_character_round_trips_through_a_parser)
{
	struct arena a;
	arena_init(&a, 1024);
	char s[40];
	for (int i = 1; i < 32; i++)
		s[i - 1] = (char)i;
	s[31] = '"';
	s[32] = '\\';
	s[33] = '\0';
	struct jsonw w;
	jsonw_init(&w, &a);
	jsonw_array_begin(&w);
	jsonw_string(&w, s);
	jsonw_string(&w, "");
	jsonw_array_end(&w);
	json_error_t err;
	json_t *arr = json_loads(jsonw_text(&w), 0, &err);
	CHECK(arr != NULL && json_array_size(arr) == 2);
	if (arr != NULL) {
		CHECK_STR(json_string_value(json_array_get(arr, 0)), s);
		CHECK_STR(json_string_value(json_array_get(arr, 1)), "");
		json_decref(arr);
	}
	arena_destroy(&a);
}

TEST(jsonw_int64_extremes_and_a_large_document_grow_the_buffer)
{
	struct arena a;
	arena_init(&a, 256);
	struct jsonw w;
	jsonw_init(&w, &a);
	jsonw_array_begin(&w);
	jsonw_int(&w, INT64_MIN);
	jsonw_int(&w, INT64_MAX);
	jsonw_int(&w, 0);
	jsonw_array_end(&w);
	CHECK_STR(jsonw_text(&w), "[-9223372036854775808,9223372036854775807,0]");
	jsonw_init(&w, &a);
	jsonw_object_begin(&w);
	char key[16];
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "k%d", i);
		jsonw_kv_int(&w, key, i);
	}
	jsonw_object_end(&w);
	json_error_t err;
	json_t *o = json_loads(jsonw_text(&w), 0, &err);
	CHECK(o != NULL && json_object_size(o) == 5000);
	if (o != NULL) {
		CHECK(json_integer_value(json_object_get(o, "k0")) == 0);
		CHECK(json_integer_value(json_object_get(o, "k4999")) == 4999);
		json_decref(o);
	}
	arena_destroy(&a);
}

TEST(jsonw_nesting_to_the_maximum_depth_stays_well_formed)
{
	struct arena a;
	arena_init(&a, 1024);
	struct jsonw w;
	jsonw_init(&w, &a);
	int depth = JSONW_MAX_DEPTH - 1; /* the deepest the writer tracks */
	for (int i = 0; i < depth; i++) {
		jsonw_object_begin(&w);
		jsonw_kv_int(&w, "a", i);
		jsonw_key(&w, "b");
	}
	jsonw_null(&w);
	for (int i = 0; i < depth; i++) {
		jsonw_object_end(&w);
	}
	json_error_t err;
	json_t *o = json_loads(jsonw_text(&w), 0, &err);
	CHECK(o != NULL);
	if (o == NULL)
		fprintf(stderr, "  %s: %s\n", err.text, jsonw_text(&w));
	json_decref(o);
	arena_destroy(&a);
}

int main(void)
{
	if (!sec_init())
		return 2;
	RUN(sign_matches_the_standard_webhooks_published_test_vector);
	RUN(sign_covers_id_timestamp_and_every_body_byte);
	RUN(sign_of_a_generated_32_byte_secret_agrees_with_a_reference_hmac);
	RUN(sign_of_an_empty_body_and_a_large_body);
	RUN(malformed_secrets_are_refused_not_used);
	RUN(a_message_id_too_long_for_the_signer_is_refused_not_truncated);
	RUN(backoff_follows_5s_5min_30min_2h_5h_10h_then_gives_up);
	RUN(backoff_jitter_stays_within_ten_percent_and_never_reorders_the_schedule);
	RUN(breaker_pauses_after_3_timeouts_for_30_s_doubling_to_1_h);
	RUN(retry_after_replaces_the_schedule_and_is_capped_at_10_hours);
	RUN(every_documented_event_type_and_its_prefix_is_a_valid_filter);
	RUN(unknown_types_and_malformed_filters_are_refused);
	RUN(exact_filter_matches_only_its_type);
	RUN(prefix_filter_matches_its_family_and_nothing_that_merely_starts_alike);
	RUN(star_matches_every_type);
	RUN(jsonw_writes_flat_objects_with_commas_between_members);
	RUN(jsonw_nests_objects_and_arrays);
	RUN(jsonw_raw_embeds_a_serialised_value_as_one_member);
	RUN(jsonw_escapes_quotes_backslashes_and_control_characters);
	RUN(jsonw_every_control_character_round_trips_through_a_parser);
	RUN(jsonw_int64_extremes_and_a_large_document_grow_the_buffer);
	RUN(jsonw_nesting_to_the_maximum_depth_stays_well_formed);
	return check_done("test_webhooks");
}
