/*
 * test_framing.c: unit tests for src/http/framing.c. Pins down which header
 * combinations RFC 9112 makes a server refuse (Content-Length beside
 * Transfer-Encoding, Content-Length twice even when equal, a transfer coding
 * other than one "chunked", Transfer-Encoding in HTTP/1.0, HTTP/1.1 without
 * Host, Host twice), that names match case-insensitively, and that ordinary
 * requests pass.
 */
#include <stdbool.h>
#include <stddef.h>

#include "check.h"
#include "http/framing.h"

/* The refusal for headers given as name, value, ..., NULL. */
static const char *verdict(bool http11, const char *const *h)
{
	struct framing f = {0};
	for (size_t i = 0; h[i] != NULL; i += 2)
		framing_add(&f, h[i], h[i + 1]);
	return framing_refusal(&f, http11);
}

#define V11(...) verdict(true, (const char *const[]){__VA_ARGS__, NULL})
#define V10(...) verdict(false, (const char *const[]){__VA_ARGS__, NULL})

TEST(test_framing_ordinary_requests_pass)
{
	CHECK(V11("Host", "x") == NULL);
	CHECK(V11("Host", "x", "Content-Length", "12") == NULL);
	CHECK(V11("host", "x", "transfer-encoding", "chunked") == NULL);
	CHECK(V11("Host", "x", "Transfer-Encoding", "Chunked") == NULL);
	CHECK(V11("Host", "", "Accept", "*/*") == NULL); /* empty Host is allowed */
	CHECK(V10("Accept", "*/*") == NULL); /* HTTP/1.0 needs no Host */
	CHECK(V10("Content-Length", "3") == NULL);
}

TEST(test_framing_content_length_with_transfer_encoding_is_refused)
{
	CHECK(V11("Host", "x", "Content-Length", "5", "Transfer-Encoding", "chunked") != NULL);
	CHECK(V11("Host", "x", "TRANSFER-ENCODING", "chunked", "content-length", "0") != NULL);
}

TEST(test_framing_repeated_content_length_is_refused_even_when_equal)
{
	CHECK(V11("Host", "x", "Content-Length", "5", "Content-Length", "50") != NULL);
	CHECK(V11("Host", "x", "Content-Length", "5", "content-length", "5") != NULL);
	CHECK(V10("Content-Length", "5", "Content-Length", "5") != NULL);
}

TEST(test_framing_transfer_codings_other_than_one_chunked_are_refused)
{
	CHECK(V11("Host", "x", "Transfer-Encoding", "gzip") != NULL);
	CHECK(V11("Host", "x", "Transfer-Encoding", "gzip, chunked") != NULL);
	CHECK(V11("Host", "x", "Transfer-Encoding", "chunked, gzip") != NULL);
	CHECK(V11("Host", "x", "Transfer-Encoding", "xchunked") != NULL);
	CHECK(V11("Host", "x", "Transfer-Encoding", "") != NULL);
	CHECK(V11("Host", "x", "Transfer-Encoding", "chunked", "Transfer-Encoding", "chunked") !=
	      NULL);
	CHECK(V10("Transfer-Encoding", "chunked") != NULL);
}

TEST(test_framing_host_must_appear_once_in_http_1_1)
{
	CHECK(V11("Accept", "*/*") != NULL);
	CHECK(V11("Host", "a", "Host", "b") != NULL);
	CHECK(V10("Host", "a", "HOST", "a") != NULL);
}

TEST(test_framing_null_names_are_ignored)
{
	struct framing f = {0};
	framing_add(&f, NULL, "x");
	framing_add(&f, "Host", "x");
	CHECK(framing_refusal(&f, true) == NULL);
}

int main(void)
{
	RUN(test_framing_ordinary_requests_pass);
	RUN(test_framing_content_length_with_transfer_encoding_is_refused);
	RUN(test_framing_repeated_content_length_is_refused_even_when_equal);
	RUN(test_framing_transfer_codings_other_than_one_chunked_are_refused);
	RUN(test_framing_host_must_appear_once_in_http_1_1);
	RUN(test_framing_null_names_are_ignored);
	return check_done("framing");
}
