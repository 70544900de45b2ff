/*
 * test_email.c: unit tests for src/core/email.c, the one email validator and
 * normaliser. Pins down: trimming and case folding of plain addresses
 * (identity for stored lower-case ASCII), refusal of control, format
 * (zero-width, bidi, BOM) and space (NBSP, ideographic) characters anywhere,
 * NFKC folding of fullwidth lookalikes into the ASCII account, Unicode case
 * folding beyond ASCII, and the unchanged shape rules.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "core/email.h"

static struct arena a;

static const char *norm(const char *in)
{
	char *t = NULL, *n = NULL;
	return email_normalize(&a, in, &t, &n) ? n : NULL;
}

static const char *shown(const char *in)
{
	char *t = NULL, *n = NULL;
	return email_normalize(&a, in, &t, &n) ? t : NULL;
}

TEST(plain_addresses_are_trimmed_and_lower_cased)
{
	CHECK_STR(norm("  Alice.Smith+tag@Example.COM \t"), "alice.smith+tag@example.com");
	CHECK_STR(shown("  Alice.Smith+tag@Example.COM \t"), "Alice.Smith+tag@Example.COM");
	/* what the store holds today comes back unchanged */
	CHECK_STR(norm("bob_1-x@sub.example.org"), "bob_1-x@sub.example.org");
}

TEST(zero_width_and_bidi_and_bom_are_refused)
{
	static const char *const bad[] = {
		"al\u200bice@example.com", /* ZERO WIDTH SPACE */
		"al\u200cice@example.com", "al\u200dice@example.com", "alice\u200e@example.com",
		"alice@exam\u200fple.com", "\u202ealice@example.com", /* RIGHT-TO-LEFT OVERRIDE */
		"ali\u202ace@example.com", "alice@example.com\u202c", "ali\u2066ce@example.com",
		"ali\u2069ce@example.com", "\ufeffalice@example.com", /* BOM */
		"alice\u00ad@example.com", /* SOFT HYPHEN (Cf) */
		"alice\u2060@example.com", /* WORD JOINER */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK(norm(bad[i]) == NULL);
		if (norm(bad[i]) != NULL)
			fprintf(stderr, "  accepted case %zu\n", i);
	}
}

TEST(unicode_spaces_and_controls_are_refused)
{
	CHECK(norm("alice\u00a0@example.com") == NULL); /* NBSP: NFKC would make it ' ' */
	CHECK(norm("al\u3000ice@example.com") == NULL); /* IDEOGRAPHIC SPACE */
	CHECK(norm("alice@exa\u2009mple.com") == NULL); /* THIN SPACE */
	CHECK(norm("alice\u2028@example.com") == NULL); /* LINE SEPARATOR (Zl) */
	CHECK(norm("alice\xc2\x85@example.com") == NULL); /* NEL (Cc) */
	CHECK(norm("ali ce@example.com") == NULL);
	CHECK(norm("alice@example.com\r\nBcc: x@y.z") == NULL);
	CHECK(norm("alice\xee\x80\x80@example.com") == NULL); /* U+E000 private use */
	CHECK(norm("alice\xff@example.com") == NULL); /* not UTF-8 */
	CHECK(norm("alice\xed\xa0\x80@example.com") == NULL); /* a surrogate */
	/* NFKC of U+00A8 is " \u0308": a space appears only after normalising */
	CHECK(norm("alice\u00a8@example.com") == NULL);
}

TEST(fullwidth_lookalikes_fold_into_the_ascii_account)
{
	CHECK_STR(norm("\uff21\uff2c\uff29\uff23\uff25@example.com"), "alice@example.com");
	CHECK_STR(shown("\uff21\uff2c\uff29\uff23\uff25@example.com"), "ALICE@example.com");
	/* fullwidth '@' and '.' too */
	CHECK_STR(norm("alice\uff20example\uff0ecom"), "alice@example.com");
	/* ligature and circled letters are compatibility forms as well */
	CHECK_STR(norm("\ufb01@example.com"), "fi@example.com");
	CHECK_STR(norm("\u24b6lice@example.com"), "alice@example.com");
}

TEST(case_folding_goes_beyond_ascii)
{
	CHECK_STR(norm("\u00dcNAL@example.de"), "\u00fcnal@example.de");
	CHECK_STR(norm("stra\u00dfe@example.de"), "strasse@example.de");
	CHECK_STR(norm("\u039f\u03a3@example.gr"), "\u03bf\u03c3@example.gr");
	/* composed and decomposed forms are one account */
	CHECK_STR(norm("u\u0308nal@example.de"), norm("\u00fcnal@example.de"));
	/* IDN domains in UTF-8 stay accepted */
	CHECK_STR(norm("Jos\u00e9@B\u00fccher.example"), "jos\u00e9@b\u00fccher.example");
}

TEST(shape_rules_still_hold)
{
	CHECK(norm("") == NULL);
	CHECK(norm("   ") == NULL);
	CHECK(norm("no-at.example.com") == NULL);
	CHECK(norm("two@@example.com") == NULL);
	CHECK(norm("a@b@example.com") == NULL);
	CHECK(norm("alice@localhost") == NULL);
	CHECK(norm(".alice@example.com") == NULL);
	CHECK(norm("al..ice@example.com") == NULL);
	CHECK(norm("alice@-example.com") == NULL);
	CHECK(norm("alice@example..com") == NULL);
	CHECK(norm("<alice>@example.com") == NULL);
	/* a second '@' that only NFKC reveals is refused as well */
	CHECK(norm("a\uff20b@example.com") == NULL);
	char label[80];
	memset(label, 'a', 64);
	label[64] = '\0';
	char *addr = arena_printf(&a, "x@%s.com", label);
	CHECK(norm(addr) == NULL); /* a 64-byte label */
	label[63] = '\0';
	CHECK_STR(norm(arena_printf(&a, "x@%s.com", label)), arena_printf(&a, "x@%s.com", label));
}

int main(void)
{
	arena_init(&a, 4096);
	RUN(plain_addresses_are_trimmed_and_lower_cased);
	RUN(zero_width_and_bidi_and_bom_are_refused);
	RUN(unicode_spaces_and_controls_are_refused);
	RUN(fullwidth_lookalikes_fold_into_the_ascii_account);
	RUN(case_folding_goes_beyond_ascii);
	RUN(shape_rules_still_hold);
	arena_destroy(&a);
	return check_done("email");
}
