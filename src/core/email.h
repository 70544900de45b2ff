/*
 * email.h: email address checks and normalization. An address is trimmed;
 * its normalized form (lower-cased) is what uniqueness and lookups use.
 * Deliberately simple: one '@', a dotted domain, no spaces or controls.
 */
#ifndef SAASD_EMAIL_H
#define SAASD_EMAIL_H

#include <stdbool.h>

#include "arena.h"

#define EMAIL_MAX 254

/* Trim into *trimmed and lower-case into *normalized (both in the arena);
 * false when the address is not acceptable. */
bool email_normalize(struct arena *a, const char *in, char **trimmed, char **normalized);

#endif
