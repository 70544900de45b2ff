/*
 * test_status.c: unit tests for src/core/status.c. Every enum value must map
 * to the HTTP status and stable code written beside it in status.def, codes
 * must be unique (clients switch on them), and an out-of-range value must
 * never turn into anything but a 500 internal_error.
 */
#include <stdbool.h>
#include <string.h>

#include "check.h"
#include "core/status.h"

/* The expected rows, read from status.def itself, with the enum names. */
static const struct {
	enum status st;
	const char *name;
	int http;
	const char *code;
	const char *msg;
} rows[] = {
#define X(name, http, code, msg) {name, #name, http, code, msg},
#include "core/status.def"
#undef X
};
#define NROWS (sizeof rows / sizeof rows[0])

TEST(test_status_def_rows_cover_every_enum_value_in_order)
{
	CHECK(NROWS == (size_t)ST__COUNT);
	for (size_t i = 0; i < NROWS; i++)
		CHECK((size_t)rows[i].st == i);
}

TEST(test_status_every_value_maps_to_its_def_http_code_and_message)
{
	for (size_t i = 0; i < NROWS; i++) {
		enum status st = rows[i].st;
		if (status_http(st) != rows[i].http || strcmp(status_code(st), rows[i].code) != 0 ||
		    strcmp(status_message(st), rows[i].msg) != 0)
			fprintf(stderr, "  mismatch for %s\n", rows[i].name);
		CHECK(status_http(st) == rows[i].http);
		CHECK_STR(status_code(st), rows[i].code);
		CHECK_STR(status_message(st), rows[i].msg);
	}
}

TEST(test_status_well_known_values_have_their_http_status)
{
	/* spot checks written out by hand, so an edit of status.def that moves
	 * a status to the wrong HTTP class is caught even though the table
	 * test above reads the .def file */
	CHECK(status_http(ST_OK) == 200);
	CHECK_STR(status_code(ST_OK), "ok");
	CHECK(status_http(ST_INVALID_JSON) == 400);
	CHECK_STR(status_code(ST_INVALID_JSON), "invalid_json");
	CHECK(status_http(ST_VALIDATION_FAILED) == 400);
	CHECK_STR(status_code(ST_VALIDATION_FAILED), "validation_failed");
	CHECK(status_http(ST_MISSING_API_KEY) == 401);
	CHECK(status_http(ST_INVALID_API_KEY) == 401);
	CHECK(status_http(ST_INVALID_SESSION) == 401);
	CHECK(status_http(ST_FORBIDDEN) == 403);
	CHECK(status_http(ST_NOT_FOUND) == 404);
	CHECK_STR(status_code(ST_NOT_FOUND), "not_found");
	CHECK(status_http(ST_METHOD_NOT_ALLOWED) == 405);
	CHECK_STR(status_code(ST_METHOD_NOT_ALLOWED), "method_not_allowed");
	CHECK(status_http(ST_CONFLICT) == 409);
	CHECK(status_http(ST_PAYLOAD_TOO_LARGE) == 413);
	CHECK(status_http(ST_UNSUPPORTED_MEDIA_TYPE) == 415);
	CHECK(status_http(ST_RATE_LIMITED) == 429);
	CHECK(status_http(ST_INTERNAL) == 500);
	CHECK_STR(status_code(ST_INTERNAL), "internal_error");
	CHECK(status_http(ST_UNAVAILABLE) == 503);
}

TEST(test_status_only_ok_is_2xx_and_every_http_status_is_an_error_class)
{
	for (size_t i = 0; i < NROWS; i++) {
		int h = status_http(rows[i].st);
		if (rows[i].st == ST_OK)
			CHECK(h == 200);
		else
			CHECK(h >= 400 && h <= 599);
	}
}

TEST(test_status_out_of_range_is_500_internal_error)
{
	const enum status bad[] = {(enum status)ST__COUNT, (enum status)(ST__COUNT + 1),
				   (enum status)1000, (enum status) - 1};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK(status_http(bad[i]) == 500);
		CHECK_STR(status_code(bad[i]), "internal_error");
		CHECK_STR(status_message(bad[i]), status_message(ST_INTERNAL));
	}
}

TEST(test_status_codes_are_unique)
{
	int dups = 0;
	for (size_t i = 0; i < NROWS; i++)
		for (size_t j = i + 1; j < NROWS; j++) {
			bool same = strcmp(status_code(rows[i].st), status_code(rows[j].st)) == 0;
			if (same)
				fprintf(stderr, "  %s and %s share code %s\n", rows[i].name,
					rows[j].name, status_code(rows[i].st));
			dups += same;
		}
	CHECK(dups == 0);
}

TEST(test_status_codes_are_lower_snake_case_and_messages_non_empty)
{
	for (size_t i = 0; i < NROWS; i++) {
		const char *c = status_code(rows[i].st);
		bool ok = c[0] >= 'a' && c[0] <= 'z';
		for (const char *p = c; *p; p++)
			ok = ok &&
			     ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_');
		CHECK(ok);
		CHECK(status_message(rows[i].st)[0] != '\0');
	}
}

int main(void)
{
	RUN(test_status_def_rows_cover_every_enum_value_in_order);
	RUN(test_status_every_value_maps_to_its_def_http_code_and_message);
	RUN(test_status_well_known_values_have_their_http_status);
	RUN(test_status_only_ok_is_2xx_and_every_http_status_is_an_error_class);
	RUN(test_status_out_of_range_is_500_internal_error);
	RUN(test_status_codes_are_unique);
	RUN(test_status_codes_are_lower_snake_case_and_messages_non_empty);
	return check_done("status");
}
