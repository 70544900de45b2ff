/*
 * mail_format.c: header and body formatting for outgoing mail. Values come
 * from the outbox and were validated when queued; these functions still
 * refuse line breaks in headers so no value can inject a header.
 */
#include "mail_format.h"

#include <string.h>
#include <time.h>

#include "../core/secure.h"

/* Bytes of UTF-8 per encoded word: 45 bytes -> 60 base64 chars + 12 = 72. */
#define WORD_BYTES 45

bool mail_header_safe(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static bool is_ascii(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p >= 0x80)
			return false;
	return true;
}

static bool addr_char_ok(char ch)
{
	return ch > 0x20 && ch < 0x7f && ch != '<' && ch != '>' && ch != '(' && ch != ')' &&
	       ch != ',' && ch != ';' && ch != '"' && ch != '\\';
}

char *mail_addr_spec(struct arena *a, const char *mailbox)
{
	if (!mail_header_safe(mailbox))
		return NULL;
	const char *lt = strrchr(mailbox, '<');
	const char *start = mailbox, *end = mailbox + strlen(mailbox);
	if (lt != NULL) {
		const char *gt = strchr(lt, '>');
		if (gt == NULL || gt[1] != '\0')
			return NULL;
		start = lt + 1;
		end = gt;
	} else if (strchr(mailbox, '>') != NULL) {
		return NULL;
	}
	while (start < end && *start == ' ')
		start++;
	while (end > start && end[-1] == ' ')
		end--;
	const char *at = NULL;
	for (const char *p = start; p < end; p++) {
		if (!addr_char_ok(*p) && (unsigned char)*p < 0x80)
			return NULL;
		if (*p == '@')
			at = p;
	}
	if (at == NULL || at == start || at + 1 == end || (size_t)(end - start) > 320)
		return NULL;
	return arena_strndup(a, start, (size_t)(end - start));
}

const char *mail_addr_domain(const char *addr_spec)
{
	const char *at = strrchr(addr_spec, '@');
	return at != NULL && at[1] != '\0' ? at + 1 : "localhost";
}

/* Length of the UTF-8 sequence starting with lead byte c (1 for stray bytes). */
static size_t utf8_len(unsigned char c)
{
	if (c >= 0xF0)
		return 4;
	if (c >= 0xE0)
		return 3;
	if (c >= 0xC0)
		return 2;
	return 1;
}

char *mail_encode_words(struct arena *a, const char *s)
{
	if (is_ascii(s))
		return arena_strdup(a, s);
	size_t n = strlen(s);
	size_t words = n / 30 + 2; /* a word carries at least 42 bytes */
	char *out = arena_alloc(a, words * 80 + 1);
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		size_t take = 0;
		while (i + take < n) {
			size_t cl = utf8_len((unsigned char)s[i + take]);
			if (i + take + cl > n)
				cl = n - i - take;
			if (take + cl > WORD_BYTES)
				break;
			take += cl;
		}
		if (o > 0) {
			memcpy(out + o, "\r\n ", 3);
			o += 3;
		}
		char b64[sec_base64_len(WORD_BYTES)];
		sec_base64((const uint8_t *)s + i, take, b64, sizeof b64);
		size_t bl = strlen(b64);
		memcpy(out + o, "=?UTF-8?B?", 10);
		memcpy(out + o + 10, b64, bl);
		memcpy(out + o + 10 + bl, "?=", 2);
		o += 12 + bl;
		i += take;
	}
	out[o] = '\0';
	return out;
}

char *mail_encode_mailbox(struct arena *a, const char *mailbox)
{
	const char *lt = strrchr(mailbox, '<');
	if (is_ascii(mailbox) || lt == NULL)
		return arena_strdup(a, mailbox);
	const char *end = lt;
	while (end > mailbox && end[-1] == ' ')
		end--;
	const char *start = mailbox;
	if (end - start >= 2 && *start == '"' && end[-1] == '"') {
		start++;
		end--;
	}
	char *name = arena_strndup(a, start, (size_t)(end - start));
	return arena_printf(a, "%s %s", mail_encode_words(a, name), lt);
}

void mail_format_date(int64_t ms, char out[MAIL_DATE_LEN])
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	/* one fixed format, so the C locale never matters */
	strftime(out, MAIL_DATE_LEN, "Day, %d Mon %Y %H:%M:%S +0000", &tm); /* names below */
	memcpy(out, days[tm.tm_wday % 7], 3);
	memcpy(out + 8, months[tm.tm_mon % 12], 3);
}

char *mail_crlf(struct arena *a, const char *s)
{
	size_t n = strlen(s);
	char *out = arena_alloc(a, n * 2 + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r' || s[i] == '\n') {
			if (s[i] == '\r' && s[i + 1] == '\n')
				i++;
			out[o++] = '\r';
			out[o++] = '\n';
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}
