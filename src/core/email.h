/*
 * email.h: the one email validator and normaliser; every place that takes
 * an address (register, login, reset, invitations) goes through it. An
 * address is trimmed and NFKC-normalised for display; its case-folded form
 * is what uniqueness and lookups use. One '@', a dotted domain, no spaces,
 * controls or invisible (format) characters.
 */
#ifndef SAASD_EMAIL_H
#define SAASD_EMAIL_H

#include <stdbool.h>

#include "arena.h"

#define EMAIL_MAX 254

/* Trim and NFKC-normalise into *trimmed, NFKC-casefold into *normalized
 * (both in the arena); false when the address is not acceptable. */
bool email_normalize(struct arena *a, const char *in, char **trimmed, char **normalized);

#endif
