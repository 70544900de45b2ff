/*
 * mail_format.h: pure helpers that turn stored mail fields into safe
 * Internet Message Format pieces (RFC 5322 addresses and dates, RFC 2047
 * encoded words, CRLF line ends). No I/O; every result lives in the arena.
 */
#ifndef SAASD_NET_MAIL_FORMAT_H
#define SAASD_NET_MAIL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/arena.h"

#define MAIL_DATE_LEN 40

/* True when s holds no CR, LF or other control character (header-safe). */
bool mail_header_safe(const char *s);
/* The bare address of "Name <addr@host>" or "addr@host", or NULL when the
 * value has no plausible address (no '@', unbalanced '<', spaces...). */
char *mail_addr_spec(struct arena *a, const char *mailbox);
/* The domain of an address ("host" of "addr@host"); "localhost" if none. */
const char *mail_addr_domain(const char *addr_spec);
/* A header value as is when pure ASCII, else RFC 2047 "=?UTF-8?B?...?="
 * words (whole code points, <= 75 characters each) folded with CRLF SP. */
char *mail_encode_words(struct arena *a, const char *s);
/* A From/To mailbox with a non-ASCII display name encoded (RFC 2047). */
char *mail_encode_mailbox(struct arena *a, const char *mailbox);
/* RFC 5322 date "Tue, 01 Dec 2026 17:25:13 +0000" for epoch ms (UTC). */
void mail_format_date(int64_t ms, char out[MAIL_DATE_LEN]);
/* s with every line end (LF, CR or CRLF) turned into CRLF. */
char *mail_crlf(struct arena *a, const char *s);

#endif
