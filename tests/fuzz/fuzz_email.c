/*
 * fuzz_email.c: libFuzzer target for email_normalize() (core/email.c), the
 * one validator and normaliser of every email the API takes. Inputs with a
 * NUL are skipped (the API hands it C strings). Traps when an invariant
 * breaks: an accepted address has one '@', valid UTF-8, no byte <= 0x20 and
 * at most EMAIL_MAX bytes in both forms; normalising is idempotent (the
 * normalized form and the display form both normalise to the same value).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "core/arena.h"
#include "core/email.h"

static void check_form(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > EMAIL_MAX || u8_check((const uint8_t *)s, n) != NULL)
		__builtin_trap();
	const char *at = strchr(s, '@');
	if (at == NULL || strchr(at + 1, '@') != NULL)
		__builtin_trap();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memchr(data, '\0', size) != NULL)
		return 0;
	char *in = strndup((const char *)data, size);
	struct arena a;
	arena_init(&a, 0);
	char *shown = NULL, *norm = NULL;
	if (email_normalize(&a, in, &shown, &norm)) {
		check_form(shown);
		check_form(norm);
		char *s2 = NULL, *n2 = NULL;
		if (!email_normalize(&a, norm, &s2, &n2) || strcmp(n2, norm) != 0 ||
		    strcmp(s2, norm) != 0)
			__builtin_trap();
		if (!email_normalize(&a, shown, &s2, &n2) || strcmp(n2, norm) != 0 ||
		    strcmp(s2, shown) != 0)
			__builtin_trap();
	}
	arena_destroy(&a);
	free(in);
	return 0;
}
