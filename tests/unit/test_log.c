/*
 * test_log.c: log lines are single JSON objects, one per line, whatever the
 * values: escaping, a bound request id, and a value too long for the line
 * buffer (cut, but the line still parses and ends with a newline).
 */
#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "core/log.h"

/* Run fn with stderr redirected to a temp file; return what it wrote. */
static char *capture(void (*fn)(void))
{
	char path[] = "/tmp/test_log.XXXXXX";
	int fd = mkstemp(path);
	int saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	static char buf[16384];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return buf;
}

static json_t *parse_one_line(const char *text)
{
	size_t len = strlen(text);
	CHECK(len > 0 && text[len - 1] == '\n');
	CHECK(strchr(text, '\n') == text + len - 1); /* exactly one line */
	json_error_t err;
	json_t *j = json_loads(text, 0, &err);
	CHECK(j != NULL && json_is_object(j));
	return j;
}

static void write_long(void)
{
	static char msg[5000];
	memset(msg, 'x', sizeof msg - 1);
	log_msg(LOG_INFO, "%s", msg);
}

TEST(test_log_an_over_long_value_is_cut_but_the_line_stays_valid_json)
{
	json_t *j = parse_one_line(capture(write_long));
	CHECK(json_string_length(json_object_get(j, "msg")) > 1000);
	json_decref(j);
}

static void write_escaped(void)
{
	const char *kv[] = {"path", "/a\"b\\c\n\x01", NULL};
	log_bind("req_1", "0af7651916cd43dd8448eb211c80319c");
	log_event(LOG_WARN, "quote \" and newline \n", kv);
	log_bind(NULL, NULL);
}

TEST(test_log_values_are_escaped_and_a_bound_request_is_named)
{
	json_t *j = parse_one_line(capture(write_escaped));
	CHECK_STR(json_string_value(json_object_get(j, "msg")), "quote \" and newline \n");
	CHECK_STR(json_string_value(json_object_get(j, "path")), "/a\"b\\c\n\x01");
	CHECK_STR(json_string_value(json_object_get(j, "request_id")), "req_1");
	CHECK_STR(json_string_value(json_object_get(j, "level")), "warn");
	json_decref(j);
}

int main(void)
{
	RUN(test_log_an_over_long_value_is_cut_but_the_line_stays_valid_json);
	RUN(test_log_values_are_escaped_and_a_bound_request_is_named);
	return check_done("log");
}
