/*
 * test_svc_error.c: the error record of a call (src/svc/fail.c) and how
 * respond.c renders it: svc_fail returns its status and keeps the public
 * message, svc_fail_detail puts the detail in the arena; the envelope takes
 * the record's message only when the record describes the answered status,
 * never for a 5xx, and never carries the detail; the request log line does.
 */
#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "core/log.h"
#include "http/respond.h"
#include "svc/svc.h"

static void req_init(struct request *req)
{
	memset(req, 0, sizeof *req);
	arena_init(&req->arena, 4096);
	req->ctx.arena = &req->arena;
	req->request_id = "req_test";
}

static const char *message_of(json_t *body)
{
	return json_string_value(json_object_get(json_object_get(body, "error"), "message"));
}

TEST(test_svc_fail_returns_its_status_and_keeps_the_message)
{
	struct request req;
	req_init(&req);
	CHECK(svc_fail(&req.ctx, ST_CONFLICT, "Only one.") == ST_CONFLICT);
	CHECK(req.ctx.err.st == ST_CONFLICT);
	CHECK_STR(req.ctx.err.message, "Only one.");
	CHECK(req.ctx.err.detail == NULL);
	char id[] = "role_1";
	CHECK(svc_fail_detail(&req.ctx, ST_CONFLICT, NULL, "index %s hit by %s", "roles", id) ==
	      ST_CONFLICT);
	id[0] = 'X'; /* the detail is a copy in the arena */
	CHECK_STR(req.ctx.err.detail, "index roles hit by role_1");
	CHECK(req.ctx.err.message == NULL);
	arena_destroy(&req.arena);
}

TEST(test_respond_renders_the_record_message_only_for_its_own_status)
{
	struct request req;
	req_init(&req);
	json_t *b = respond_error_body(&req, ST_CONFLICT);
	CHECK_STR(message_of(b), status_message(ST_CONFLICT)); /* no record: the table's */
	json_decref(b);
	svc_fail_detail(&req.ctx, ST_CONFLICT, "The endpoint is disabled.", "endpoint %s",
			"whk_secret_detail");
	b = respond_error_body(&req, ST_CONFLICT);
	CHECK_STR(message_of(b), "The endpoint is disabled.");
	char *text = json_dumps(b, JSON_COMPACT);
	CHECK(strstr(text, "whk_secret_detail") == NULL); /* the detail is log-only */
	free(text);
	json_decref(b);
	b = respond_error_body(&req, ST_NOT_FOUND); /* the caller turned it into another */
	CHECK_STR(message_of(b), status_message(ST_NOT_FOUND));
	json_decref(b);
	svc_fail(&req.ctx, ST_INTERNAL, "SQL said no");
	b = respond_error_body(&req, ST_INTERNAL); /* a 5xx says only the table's */
	CHECK_STR(message_of(b), status_message(ST_INTERNAL));
	json_decref(b);
	req.error_message = "About the request's own input.";
	svc_fail(&req.ctx, ST_VALIDATION_FAILED, "From a service.");
	b = respond_error_body(&req, ST_VALIDATION_FAILED);
	CHECK_STR(message_of(b), "About the request's own input.");
	json_decref(b);
	arena_destroy(&req.arena);
}

TEST(test_respond_renders_quota_fields_from_the_record)
{
	struct request req;
	req_init(&req);
	req.ctx.err.quota.metric = "seats";
	req.ctx.err.quota.limit = 5;
	req.ctx.err.quota.used = 5;
	json_t *b = respond_error_body(&req, ST_QUOTA_EXCEEDED);
	CHECK_STR(json_string_value(json_object_get(b, "metric")), "seats");
	CHECK(json_integer_value(json_object_get(b, "limit")) == 5);
	json_t *e = json_object_get(b, "error");
	CHECK(json_integer_value(json_object_get(e, "used")) == 5);
	json_decref(b);
	arena_destroy(&req.arena);
}

static char captured[4096];

static void write_line(void)
{
	struct log_request r = {.request_id = "req_1",
				.method = "POST",
				.route = "/roles",
				.status = 409,
				.duration_ms = 1.5,
				.detail = "unique index roles(tenant_id, key)"};
	log_request(&r);
	r.detail = NULL;
	log_request(&r);
}

TEST(test_log_request_carries_the_detail_when_there_is_one)
{
	char path[] = "/tmp/test_svc_error.XXXXXX";
	int fd = mkstemp(path);
	int saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	write_line();
	dup2(saved, STDERR_FILENO);
	close(saved);
	ssize_t n = pread(fd, captured, sizeof captured - 1, 0);
	captured[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	char *second = strchr(captured, '\n');
	CHECK(second != NULL);
	if (second == NULL)
		return;
	*second++ = '\0';
	json_t *a = json_loads(captured, 0, NULL), *b = json_loads(second, 0, NULL);
	CHECK(a != NULL && b != NULL);
	CHECK_STR(json_string_value(json_object_get(a, "detail")),
		  "unique index roles(tenant_id, key)");
	CHECK(json_object_get(b, "detail") == NULL);
	json_decref(a);
	json_decref(b);
}

int main(void)
{
	RUN(test_svc_fail_returns_its_status_and_keeps_the_message);
	RUN(test_respond_renders_the_record_message_only_for_its_own_status);
	RUN(test_respond_renders_quota_fields_from_the_record);
	RUN(test_log_request_carries_the_detail_when_there_is_one);
	return check_done("svc_error");
}
