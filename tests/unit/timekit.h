/*
 * timekit.h: time literals for unit tests. at("2024-01-31T10:00:00Z") is
 * epoch milliseconds; a malformed literal counts as a failed check.
 */
#ifndef SAASD_TIMEKIT_H
#define SAASD_TIMEKIT_H

#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "core/clock.h"

#define DAY_MS 86400000LL

static inline int64_t at(const char *text)
{
	int64_t ms = 0;
	if (!clock_parse_rfc3339(text, &ms)) {
		fprintf(stderr, "bad timestamp literal in a test: %s\n", text);
		check_failures++;
	}
	return ms;
}

#endif
