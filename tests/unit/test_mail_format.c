/*
 * test_mail_format.c: unit tests for src/net/mail_format.c and the error
 * redaction of src/net/mailer.c. Pins down address extraction (and refusal
 * of header injection), RFC 2047 encoding and folding of non-ASCII headers,
 * the RFC 5322 date, CRLF normalisation, and removal of secrets from errors.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "core/secure.h"
#include "net/mail_format.h"
#include "net/mailer.h"

TEST(addr_spec_extracts_the_bare_address)
{
	struct arena a;
	arena_init(&a, 1024);
	CHECK_STR(mail_addr_spec(&a, "Acme Support <support@acme.test>"), "support@acme.test");
	CHECK_STR(mail_addr_spec(&a, "\"Acme, Inc\" <a@b.test>"), "a@b.test");
	CHECK_STR(mail_addr_spec(&a, "a@b.test"), "a@b.test");
	CHECK_STR(mail_addr_spec(&a, "  a@b.test "), "a@b.test");
	CHECK_STR(mail_addr_spec(&a, "<a@b.test>"), "a@b.test");
	CHECK_STR(mail_addr_spec(&a, "Caf\xc3\xa9 <j\xc3\xb6@b.test>"), "j\xc3\xb6@b.test");
	arena_destroy(&a);
}

TEST(addr_spec_refuses_malformed_and_injected_values)
{
	struct arena a;
	arena_init(&a, 1024);
	CHECK(mail_addr_spec(&a, "no-at-sign") == NULL);
	CHECK(mail_addr_spec(&a, "@b.test") == NULL);
	CHECK(mail_addr_spec(&a, "a@") == NULL);
	CHECK(mail_addr_spec(&a, "x <a@b.test") == NULL);
	CHECK(mail_addr_spec(&a, "x <a@b.test> trailing") == NULL);
	CHECK(mail_addr_spec(&a, "a@b.test>") == NULL);
	CHECK(mail_addr_spec(&a, "a b@c.test") == NULL);
	CHECK(mail_addr_spec(&a, "a@b.test\r\nBcc: c@d.test") == NULL);
	CHECK(mail_addr_spec(&a, "x <a@b.test>\nBcc: c@d.test") == NULL);
	CHECK(mail_addr_spec(&a, "a,b@c.test") == NULL);
	arena_destroy(&a);
}

TEST(header_safe_rejects_control_characters)
{
	CHECK(mail_header_safe("Reset your Acme password"));
	CHECK(mail_header_safe("caf\xc3\xa9"));
	CHECK(!mail_header_safe("a\r\nBcc: x"));
	CHECK(!mail_header_safe("a\nb"));
	CHECK(!mail_header_safe("tab\there"));
}

TEST(addr_domain_for_message_ids)
{
	CHECK_STR(mail_addr_domain("a@b.test"), "b.test");
	CHECK_STR(mail_addr_domain("nobody"), "localhost");
	CHECK_STR(mail_addr_domain("a@"), "localhost");
}

/* Decode "=?UTF-8?B?...?=" words separated by CRLF SP back to bytes. */
static bool decode_words(const char *enc, char *out, size_t cap)
{
	size_t o = 0;
	const char *p = enc;
	while (*p) {
		if (strncmp(p, "=?UTF-8?B?", 10) != 0)
			return false;
		p += 10;
		const char *end = strstr(p, "?=");
		if (end == NULL || end - p >= 200)
			return false;
		char b64[200];
		memcpy(b64, p, (size_t)(end - p));
		b64[end - p] = '\0';
		size_t n = 0;
		if (!sec_base64_decode(b64, (uint8_t *)out + o, cap - o - 1, &n))
			return false;
		o += n;
		p = end + 2;
		if (strncmp(p, "\r\n ", 3) == 0)
			p += 3;
		else if (*p != '\0')
			return false;
	}
	out[o] = '\0';
	return true;
}

TEST(ascii_header_text_is_left_alone)
{
	struct arena a;
	arena_init(&a, 1024);
	CHECK_STR(mail_encode_words(&a, "Reset your Acme password"), "Reset your Acme password");
	CHECK_STR(mail_encode_mailbox(&a, "Acme <a@b.test>"), "Acme <a@b.test>");
	arena_destroy(&a);
}

TEST(non_ascii_header_text_becomes_folded_rfc2047_words)
{
	struct arena a;
	arena_init(&a, 4096);
	CHECK_STR(mail_encode_words(&a, "Caf\xc3\xa9"), "=?UTF-8?B?Q2Fmw6k=?=");
	/* 200 two-byte characters: several words, none splitting a character */
	char long_s[512] = "Reset ";
	for (int i = 0; i < 200; i++)
		memcpy(long_s + 6 + 2 * i, "\xc3\xbc", 3);
	char *enc = mail_encode_words(&a, long_s);
	CHECK(strncmp(enc, "=?UTF-8?B?", 10) == 0);
	int words = 0;
	for (const char *line = enc; line != NULL; words++) {
		const char *next = strstr(line, "\r\n ");
		size_t len = next ? (size_t)(next - line) : strlen(line);
		CHECK(len <= 75);
		line = next ? next + 3 : NULL;
	}
	CHECK(words >= 9);
	char back[512];
	CHECK(decode_words(enc, back, sizeof back));
	CHECK_STR(back, long_s);
	/* 4-byte characters are never cut either */
	char emoji[400] = "";
	for (int i = 0; i < 60; i++)
		memcpy(emoji + 4 * i, "\xf0\x9f\x93\xa7", 5);
	CHECK(decode_words(mail_encode_words(&a, emoji), back, sizeof back));
	CHECK_STR(back, emoji);
	arena_destroy(&a);
}

TEST(non_ascii_display_name_is_encoded_and_address_kept)
{
	struct arena a;
	arena_init(&a, 1024);
	CHECK_STR(mail_encode_mailbox(&a, "Caf\xc3\xa9 <a@b.test>"),
		  "=?UTF-8?B?Q2Fmw6k=?= <a@b.test>");
	CHECK_STR(mail_encode_mailbox(&a, "\"Caf\xc3\xa9\" <a@b.test>"),
		  "=?UTF-8?B?Q2Fmw6k=?= <a@b.test>");
	arena_destroy(&a);
}

TEST(date_is_rfc5322_in_utc)
{
	char d[MAIL_DATE_LEN];
	mail_format_date(0, d);
	CHECK_STR(d, "Thu, 01 Jan 1970 00:00:00 +0000");
	mail_format_date(1795713913123LL, d);
	CHECK_STR(d, "Thu, 26 Nov 2026 17:25:13 +0000");
}

TEST(line_ends_become_crlf)
{
	struct arena a;
	arena_init(&a, 1024);
	CHECK_STR(mail_crlf(&a, "a\nb\r\nc\rd\n"), "a\r\nb\r\nc\r\nd\r\n");
	CHECK_STR(mail_crlf(&a, "\n\n"), "\r\n\r\n");
	CHECK_STR(mail_crlf(&a, ""), "");
	arena_destroy(&a);
}

TEST(redact_removes_every_occurrence_of_a_secret)
{
	char buf[128] = "login user:pw0rd@host failed; pw0rd again";
	mailer_redact(buf, sizeof buf, "pw0rd");
	CHECK_STR(buf, "login user:***@host failed; *** again");
	mailer_redact(buf, sizeof buf, "");
	mailer_redact(buf, sizeof buf, NULL);
	CHECK_STR(buf, "login user:***@host failed; *** again");
	/* a short secret growing to "***" still fits the buffer */
	char small[8] = "a-a-a-a";
	mailer_redact(small, sizeof small, "a");
	CHECK(strlen(small) < sizeof small);
	CHECK(strchr(small, 'a') == NULL);
}

TEST(outcome_names)
{
	CHECK_STR(mail_outcome_name(MAIL_SENT), "sent");
	CHECK_STR(mail_outcome_name(MAIL_RETRY), "retry");
	CHECK_STR(mail_outcome_name(MAIL_FAILED), "failed");
}

int main(void)
{
	if (!sec_init())
		return 1;
	RUN(addr_spec_extracts_the_bare_address);
	RUN(addr_spec_refuses_malformed_and_injected_values);
	RUN(header_safe_rejects_control_characters);
	RUN(addr_domain_for_message_ids);
	RUN(ascii_header_text_is_left_alone);
	RUN(non_ascii_header_text_becomes_folded_rfc2047_words);
	RUN(non_ascii_display_name_is_encoded_and_address_kept);
	RUN(date_is_rfc5322_in_utc);
	RUN(line_ends_become_crlf);
	RUN(redact_removes_every_occurrence_of_a_secret);
	RUN(outcome_names);
	return check_done("test_mail_format");
}
