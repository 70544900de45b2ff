/*
 * test_rbac.c: unit tests for the pure part of src/svc/rbac.c: the
 * permission grammar, wildcard matching exactly as API.md states it ("*"
 * matches everything; "billing:*" matches "billing:read" and
 * "billing:invoices:read", not "billing" nor "billingx:read"; otherwise exact
 * match), rbac_allows/rbac_covers, role keys, split/join and the built-in
 * roles. Seeded property tests compare rbac_allows, rbac_covers and
 * rbac_permission_valid with plain reference implementations written here
 * from the API.md rule (RBAC_SEED=n replays a run; the seed is printed on
 * failure).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "core/arena.h"
#include "svc/rbac.h"

#define LIST(...)                                                                          \
	((struct perm_list){(int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *)), \
			    (const char *[]){__VA_ARGS__}})

/* --- permission grammar ---------------------------------------------------- */

TEST(test_permission_valid_accepts_resource_action_and_deeper_paths)
{
	const char *ok[] = {"*",         "org:read",  "billing:read", "billing:invoices:read",
			    "billing:*", "a:b:c:d:*", "org",          "members:invite",
			    "x_y-z:0_9", "a:*",       "9:9",          "under_score:da-sh"};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		CHECK(rbac_permission_valid(ok[i]));
		if (!rbac_permission_valid(ok[i]))
			fprintf(stderr, "  refused: \"%s\"\n", ok[i]);
	}
}

TEST(test_permission_valid_refuses_empty_segments_misplaced_stars_and_foreign_bytes)
{
	const char *bad[] = {"",         ":",         "a:",         ":a",        "a::b",
			     "**",       "*:*",       "*:read",     "a:*:b",     "a*",
			     "a:b*",     "a:*b",      "a:**",       ":*",        "Org:read",
			     "org:Read", "org read",  "org:read ",  " org:read", "org.read",
			     "org/read", "org:réad",  "org:\tread", "a:b:",      "*a",
			     "a:*:*",    "org:read\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK(!rbac_permission_valid(bad[i]));
		if (rbac_permission_valid(bad[i]))
			fprintf(stderr, "  accepted: \"%s\"\n", bad[i]);
	}
}

TEST(test_permission_valid_length_limit_is_128_bytes)
{
	char p[PERMISSION_MAX_LEN + 2];
	memset(p, 'a', sizeof p);
	p[3] = ':';
	p[PERMISSION_MAX_LEN] = '\0';
	CHECK(strlen(p) == 128);
	CHECK(rbac_permission_valid(p));
	p[PERMISSION_MAX_LEN] = 'a';
	p[PERMISSION_MAX_LEN + 1] = '\0';
	CHECK(!rbac_permission_valid(p));
	/* a wildcard at the very end of a 128-byte permission */
	p[PERMISSION_MAX_LEN - 2] = ':';
	p[PERMISSION_MAX_LEN - 1] = '*';
	p[PERMISSION_MAX_LEN] = '\0';
	CHECK(rbac_permission_valid(p));
}

/* --- matching -------------------------------------------------------------- */

TEST(test_star_matches_everything)
{
	CHECK(rbac_matches("*", "org:read"));
	CHECK(rbac_matches("*", "billing:invoices:read"));
	CHECK(rbac_matches("*", "billing"));
	CHECK(rbac_matches("*", "*"));
	CHECK(rbac_matches("*", "billing:*"));
}

TEST(test_prefix_wildcard_matches_strictly_below_its_prefix_only)
{
	CHECK(rbac_matches("billing:*", "billing:read"));
	CHECK(rbac_matches("billing:*", "billing:invoices:read"));
	CHECK(rbac_matches("billing:*", "billing:*"));
	CHECK(rbac_matches("billing:*", "billing:invoices:*"));
	CHECK(!rbac_matches("billing:*", "billing"));
	CHECK(!rbac_matches("billing:*", "billingx:read"));
	CHECK(!rbac_matches("billing:*", "billin:read"));
	CHECK(!rbac_matches("billing:*", "xbilling:read"));
	CHECK(!rbac_matches("billing:*", "org:read"));
	CHECK(!rbac_matches("billing:*", "*"));
	CHECK(rbac_matches("billing:invoices:*", "billing:invoices:read"));
	CHECK(!rbac_matches("billing:invoices:*", "billing:read"));
	CHECK(!rbac_matches("billing:invoices:*", "billing:invoices"));
	CHECK(!rbac_matches("billing:invoices:*", "billing:*"));
}

TEST(test_plain_permissions_match_exactly)
{
	CHECK(rbac_matches("org:read", "org:read"));
	CHECK(!rbac_matches("org:read", "org:reads"));
	CHECK(!rbac_matches("org:read", "org:rea"));
	CHECK(!rbac_matches("org:read", "org"));
	CHECK(!rbac_matches("org:read", "org:read:x"));
	CHECK(!rbac_matches("org:read", "*"));
	CHECK(!rbac_matches("org:read", "org:*"));
	CHECK(!rbac_matches("org", "org:read"));
	CHECK(rbac_matches("billing", "billing"));
}

TEST(test_allows_is_any_granted_permission_matching)
{
	struct perm_list none = {0, NULL};
	CHECK(!rbac_allows(&none, "org:read"));
	struct perm_list l = LIST("org:read", "billing:*");
	CHECK(rbac_allows(&l, "org:read"));
	CHECK(rbac_allows(&l, "billing:read"));
	CHECK(rbac_allows(&l, "billing:invoices:read"));
	CHECK(!rbac_allows(&l, "billing"));
	CHECK(!rbac_allows(&l, "billingx:read"));
	CHECK(!rbac_allows(&l, "org:update"));
	struct perm_list star = LIST("org:read", "*");
	CHECK(rbac_allows(&star, "anything:at:all"));
}

TEST(test_covers_refuses_any_permission_the_actor_does_not_hold)
{
	struct perm_list owner = LIST("*");
	struct perm_list admin, member;
	CHECK(rbac_builtin_permissions("admin", &admin));
	CHECK(rbac_builtin_permissions("member", &member));
	struct perm_list empty = {0, NULL};
	CHECK(rbac_covers(&owner, &owner));
	CHECK(rbac_covers(&owner, &admin));
	CHECK(rbac_covers(&admin, &admin));
	CHECK(rbac_covers(&admin, &member));
	CHECK(rbac_covers(&member, &member));
	CHECK(rbac_covers(&member, &empty));
	CHECK(rbac_covers(&empty, &empty));
	CHECK(!rbac_covers(&admin, &owner));
	CHECK(!rbac_covers(&member, &admin));
	CHECK(!rbac_covers(&empty, &member));
	/* a wildcard is covered only by an equal or wider wildcard */
	struct perm_list billing_read = LIST("billing:read");
	struct perm_list billing_all = LIST("billing:*");
	struct perm_list billing_inv = LIST("billing:invoices:*");
	CHECK(!rbac_covers(&billing_read, &billing_all));
	CHECK(!rbac_covers(&admin, &billing_all)); /* admin holds billing:read only */
	CHECK(rbac_covers(&billing_all, &billing_all));
	CHECK(rbac_covers(&billing_all, &billing_read));
	CHECK(rbac_covers(&billing_all, &billing_inv));
	CHECK(!rbac_covers(&billing_inv, &billing_all));
	CHECK(!rbac_covers(&billing_all, &owner));
}

/* The no-escalation cases of issue 10 item 8: what a custom role holding
 * members:update or members:remove may touch, with the wildcards. */
TEST(test_covers_decides_which_members_a_custom_manager_role_may_touch)
{
	struct perm_list owner = LIST("*"), admin, member;
	CHECK(rbac_builtin_permissions("admin", &admin));
	CHECK(rbac_builtin_permissions("member", &member));
	struct perm_list manager =
		LIST("org:read", "members:read", "members:update", "members:remove");
	struct perm_list members_all = LIST("org:read", "members:*");
	struct perm_list every_member_perm = LIST("org:read", "members:read", "members:update",
						  "members:remove", "members:invite");
	CHECK(rbac_covers(&manager, &member));
	CHECK(rbac_covers(&manager, &manager));
	CHECK(!rbac_covers(&manager, &admin)); /* org:update, members:invite, billing:read */
	CHECK(!rbac_covers(&manager, &owner));
	CHECK(rbac_covers(&members_all, &manager));
	CHECK(rbac_covers(&members_all, &every_member_perm));
	/* naming every members:x known today does not cover members:* */
	CHECK(!rbac_covers(&every_member_perm, &members_all));
	CHECK(!rbac_covers(&members_all, &admin));
	CHECK(!rbac_covers(&members_all, &owner));
	/* only "*" covers "*"; "*" covers every role */
	CHECK(rbac_covers(&owner, &members_all));
	CHECK(rbac_covers(&owner, &every_member_perm));
	struct perm_list star_and_more = LIST("org:read", "*");
	CHECK(rbac_covers(&star_and_more, &owner));
	CHECK(rbac_covers(&owner, &star_and_more));
	/* nested wildcards: a wider prefix covers a narrower one, not the reverse */
	struct perm_list a_all = LIST("a:*"), ab_all = LIST("a:b:*"), ab = LIST("a:b");
	CHECK(rbac_covers(&a_all, &ab_all));
	CHECK(rbac_covers(&a_all, &ab));
	CHECK(!rbac_covers(&ab_all, &a_all));
	CHECK(!rbac_covers(&ab_all, &ab)); /* "a:b:*" is strictly below "a:b" */
	CHECK(!rbac_covers(&ab, &ab_all));
	/* a prefix is whole segments: "member:*" is not "members:*" */
	struct perm_list member_all = LIST("member:*");
	CHECK(!rbac_covers(&member_all, &members_all));
	CHECK(!rbac_covers(&member_all, &manager));
	/* order and repetition do not matter */
	struct perm_list shuffled = LIST("members:remove", "members:update", "org:read",
					 "members:read", "members:read");
	CHECK(rbac_covers(&shuffled, &manager));
	CHECK(rbac_covers(&manager, &shuffled));
}

/* --- role keys and built-in roles ------------------------------------------ */

TEST(test_role_key_is_lowercase_digits_underscore_1_to_64)
{
	CHECK(rbac_role_key_valid("a"));
	CHECK(rbac_role_key_valid("billing_admin"));
	CHECK(rbac_role_key_valid("r2d2"));
	CHECK(rbac_role_key_valid("_"));
	CHECK(rbac_role_key_valid("0"));
	char k[66];
	memset(k, 'k', sizeof k);
	k[64] = '\0';
	CHECK(rbac_role_key_valid(k));
	k[64] = 'k';
	k[65] = '\0';
	CHECK(!rbac_role_key_valid(k));
	const char *bad[] = {"", "Admin", "billing-admin", "a b", "a:b", "*", "röle", "a\n", "a.b"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(!rbac_role_key_valid(bad[i]));
}

static bool list_equals(const struct perm_list *l, const char *const *want, int n)
{
	if (l->n != n)
		return false;
	for (int i = 0; i < n; i++)
		if (strcmp(l->items[i], want[i]) != 0)
			return false;
	return true;
}

TEST(test_builtin_roles_have_exactly_the_api_md_permissions)
{
	static const char *const owner[] = {"*"};
	/* audit:read: API.md Additions, "built-in admin gets it" */
	static const char *const admin[] = {"org:read",       "org:update",   "members:read",
					    "members:invite", "billing:read", "audit:read"};
	static const char *const member[] = {"org:read", "members:read"};
	struct perm_list l;
	CHECK(rbac_builtin_permissions("owner", &l) && list_equals(&l, owner, 1));
	CHECK(rbac_builtin_permissions("admin", &l) && list_equals(&l, admin, 6));
	CHECK(rbac_builtin_permissions("member", &l) && list_equals(&l, member, 2));
	CHECK(!rbac_builtin_permissions("Owner", &l));
	CHECK(!rbac_builtin_permissions("billing_admin", &l));
	CHECK(!rbac_builtin_permissions("", &l));
	CHECK(rbac_is_builtin("owner") && rbac_is_builtin("admin") && rbac_is_builtin("member"));
	CHECK(!rbac_is_builtin("owners") && !rbac_is_builtin("own") && !rbac_is_builtin(""));
	/* what the organization routes rely on */
	CHECK(rbac_builtin_permissions("admin", &l));
	CHECK(rbac_allows(&l, "members:invite") && rbac_allows(&l, "org:update"));
	CHECK(!rbac_allows(&l, "org:delete") && !rbac_allows(&l, "members:update") &&
	      !rbac_allows(&l, "members:remove") && !rbac_allows(&l, "billing:update"));
	CHECK(rbac_builtin_permissions("member", &l));
	CHECK(!rbac_allows(&l, "members:invite") && !rbac_allows(&l, "org:update"));
	CHECK(rbac_builtin_permissions("owner", &l));
	CHECK(rbac_allows(&l, "org:delete") && rbac_allows(&l, "members:remove"));
	/* every built-in permission is itself valid */
	const char *keys[] = {"owner", "admin", "member"};
	for (int k = 0; k < 3; k++) {
		CHECK(rbac_builtin_permissions(keys[k], &l));
		for (int i = 0; i < l.n; i++)
			CHECK(rbac_permission_valid(l.items[i]));
	}
}

/* --- split / join ----------------------------------------------------------- */

TEST(test_split_skips_extra_spaces_and_join_round_trips)
{
	struct arena a;
	arena_init(&a, 1024);
	struct perm_list l = rbac_split(&a, "org:read billing:* *");
	CHECK(l.n == 3);
	if (l.n == 3) {
		CHECK_STR(l.items[0], "org:read");
		CHECK_STR(l.items[1], "billing:*");
		CHECK_STR(l.items[2], "*");
	}
	CHECK_STR(rbac_join(&a, &l), "org:read billing:* *");

	l = rbac_split(&a, "  a   b  ");
	CHECK(l.n == 2);
	if (l.n == 2) {
		CHECK_STR(l.items[0], "a");
		CHECK_STR(l.items[1], "b");
	}
	l = rbac_split(&a, "");
	CHECK(l.n == 0);
	CHECK_STR(rbac_join(&a, &l), "");
	l = rbac_split(&a, "   ");
	CHECK(l.n == 0);
	l = rbac_split(&a, "single");
	CHECK(l.n == 1 && strcmp(l.items[0], "single") == 0);

	struct perm_list empty = {0, NULL};
	CHECK_STR(rbac_join(&a, &empty), "");
	struct perm_list one = LIST("members:read");
	CHECK_STR(rbac_join(&a, &one), "members:read");
	arena_destroy(&a);
}

/* --- property tests --------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t xorshift64(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static unsigned pick(unsigned n)
{
	return (unsigned)(xorshift64() % n);
}

static uint64_t seed_from_env(void)
{
	const char *s = getenv("RBAC_SEED");
	if (s != NULL && *s)
		return strtoull(s, NULL, 0);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec;
}

static void seed(uint64_t s)
{
	rng_state = s ? s : 0x9E3779B97F4A7C15ull; /* xorshift must not start at 0 */
}

/*
 * Reference matcher, written from the API.md sentence with segments instead
 * of string prefixes: "*" matches everything; a permission whose last
 * segment is "*" matches any permission with more segments whose leading
 * segments are the same; anything else matches only itself.
 */
static int ref_split(const char *p, char segs[][PERMISSION_MAX_LEN + 1], int max)
{
	int n = 0;
	size_t len = 0;
	for (const char *c = p;; c++) {
		if (*c == ':' || *c == '\0') {
			if (n == max)
				return -1;
			segs[n][len] = '\0';
			n++;
			len = 0;
			if (*c == '\0')
				return n;
		} else if (len < PERMISSION_MAX_LEN) {
			segs[n < max ? n : max - 1][len++] = *c;
		}
	}
}

static bool ref_matches(const char *granted, const char *wanted)
{
	if (strcmp(granted, "*") == 0)
		return true;
	static char g[PERMISSION_MAX_LEN][PERMISSION_MAX_LEN + 1];
	static char w[PERMISSION_MAX_LEN][PERMISSION_MAX_LEN + 1];
	int gn = ref_split(granted, g, PERMISSION_MAX_LEN);
	int wn = ref_split(wanted, w, PERMISSION_MAX_LEN);
	if (gn > 0 && strcmp(g[gn - 1], "*") == 0) {
		if (wn <= gn - 1)
			return false;
		for (int i = 0; i < gn - 1; i++)
			if (strcmp(g[i], w[i]) != 0)
				return false;
		return true;
	}
	return strcmp(granted, wanted) == 0;
}

static bool ref_allows(const struct perm_list *granted, const char *wanted)
{
	for (int i = 0; i < granted->n; i++)
		if (ref_matches(granted->items[i], wanted))
			return true;
	return false;
}

/* Reference grammar: "*", or ':'-joined segments of [a-z0-9_-]+ where the
 * last (not the only) segment may be "*"; 1..128 bytes. */
static bool ref_valid(const char *p)
{
	size_t len = strlen(p);
	if (len == 0 || len > PERMISSION_MAX_LEN)
		return false;
	if (strcmp(p, "*") == 0)
		return true;
	static char s[PERMISSION_MAX_LEN][PERMISSION_MAX_LEN + 1];
	int n = ref_split(p, s, PERMISSION_MAX_LEN);
	if (n < 0)
		return false;
	for (int i = 0; i < n; i++) {
		if (s[i][0] == '\0')
			return false;
		if (strcmp(s[i], "*") == 0) {
			if (i != n - 1 || n == 1)
				return false;
			continue;
		}
		for (const char *c = s[i]; *c; c++)
			if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' ||
			      *c == '-'))
				return false;
	}
	return true;
}

/* A valid permission over a small vocabulary, so that matches are common. */
static void random_permission(char *out, size_t cap)
{
	static const char *const words[] = {"a",        "b",    "ab",      "billing",
					    "billingx", "bill", "org",     "read",
					    "invoices", "x_1",  "members", "b-c"};
	if (pick(12) == 0) {
		snprintf(out, cap, "*");
		return;
	}
	int segs = 1 + (int)pick(4);
	size_t n = 0;
	out[0] = '\0';
	for (int i = 0; i < segs; i++) {
		const char *w = words[pick(sizeof words / sizeof words[0])];
		if (i == segs - 1 && i > 0 && pick(3) == 0)
			w = "*";
		n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? ":" : "", w);
	}
}

/* Any string over a tiny alphabet that stresses the grammar's corners. */
static void random_string(char *out, size_t cap)
{
	static const char alphabet[] = "ab:*_-Z9 .";
	size_t len = pick(4) == 0 ? pick(140) : pick(9);
	if (len >= cap)
		len = cap - 1;
	for (size_t i = 0; i < len; i++)
		out[i] = alphabet[pick(sizeof alphabet - 1)];
	out[len] = '\0';
}

#define PROP_CASES 20000

TEST(test_property_allows_agrees_with_the_reference_matcher)
{
	uint64_t s = seed_from_env();
	seed(s);
	static char store[8][PERMISSION_MAX_LEN + 1];
	const char *items[8];
	int failures = 0, allowed = 0;
	for (int t = 0; t < PROP_CASES && failures < 5; t++) {
		struct perm_list granted = {(int)pick(6), items};
		for (int i = 0; i < granted.n; i++) {
			random_permission(store[i], sizeof store[i]);
			items[i] = store[i];
		}
		char wanted[PERMISSION_MAX_LEN + 1];
		random_permission(wanted, sizeof wanted);
		bool got = rbac_allows(&granted, wanted), want = ref_allows(&granted, wanted);
		allowed += got;
		/* covers agrees with allows, element by element */
		struct perm_list one = {1, (const char *[]){wanted}};
		bool covers = rbac_covers(&granted, &one);
		if (got != want || covers != want || !rbac_covers(&granted, &granted)) {
			failures++;
			fprintf(stderr, "  case %d: wanted \"%s\" granted [", t, wanted);
			for (int i = 0; i < granted.n; i++)
				fprintf(stderr, "%s\"%s\"", i ? ", " : "", granted.items[i]);
			fprintf(stderr, "]: rbac_allows %d, reference %d, covers %d\n", got, want,
				covers);
		}
	}
	CHECK(failures == 0);
	/* the generator must exercise both answers (checked on a full run) */
	CHECK(failures > 0 ||
	      (allowed > PROP_CASES / 20 && allowed < PROP_CASES - PROP_CASES / 20));
	if (failures)
		fprintf(stderr, "  property failed with RBAC_SEED=%llu\n", (unsigned long long)s);
}

/*
 * Reference for "role B's permission set is covered by A's", written from
 * the meaning instead of from string prefixes: every concrete permission B
 * grants, A must grant. A plain permission of B is checked as itself. For a
 * wildcard of B ("*" or "p:*") one witness decides: the permission it
 * grants with a fresh segment ("zq", or "p:zq") that no role of the
 * generator names. A can grant the witness only through "*" or through a
 * "r:*" whose segments lie inside p, and either grants all of B's wildcard.
 */
static bool ref_covers(const struct perm_list *a, const struct perm_list *b)
{
	for (int i = 0; i < b->n; i++) {
		const char *p = b->items[i];
		size_t len = strlen(p);
		char witness[PERMISSION_MAX_LEN + 8];
		if (strcmp(p, "*") == 0)
			snprintf(witness, sizeof witness, "zq");
		else if (len >= 2 && p[len - 1] == '*')
			snprintf(witness, sizeof witness, "%.*szq", (int)(len - 1), p);
		else
			snprintf(witness, sizeof witness, "%s", p);
		if (!ref_allows(a, witness))
			return false;
	}
	return true;
}

static void random_list(struct perm_list *l, char store[][PERMISSION_MAX_LEN + 1],
			const char **items, int max)
{
	l->n = (int)pick((unsigned)max + 1);
	l->items = items;
	for (int i = 0; i < l->n; i++) {
		random_permission(store[i], sizeof store[i]);
		items[i] = store[i];
	}
}

/* A concrete (wildcard-free) permission over the generator's vocabulary. */
static void random_concrete(char *out, size_t cap)
{
	do
		random_permission(out, cap);
	while (strchr(out, '*') != NULL);
}

TEST(test_property_covers_agrees_with_the_meaning_of_role_coverage)
{
	uint64_t s = seed_from_env();
	seed(s ^ 0x5EEDC0DEu);
	static char sa[6][PERMISSION_MAX_LEN + 1], sb[6][PERMISSION_MAX_LEN + 1];
	const char *ia[6], *ib[6];
	int failures = 0, covered = 0;
	for (int t = 0; t < PROP_CASES && failures < 5; t++) {
		struct perm_list a, b;
		random_list(&a, sa, ia, 5);
		random_list(&b, sb, ib, 3);
		bool got = rbac_covers(&a, &b), want = ref_covers(&a, &b);
		covered += got;
		/* and when covered, no sampled concrete permission of B escapes A */
		bool leak = false;
		for (int k = 0; k < 20 && got; k++) {
			char p[PERMISSION_MAX_LEN + 1];
			random_concrete(p, sizeof p);
			leak = leak || (ref_allows(&b, p) && !ref_allows(&a, p));
		}
		if (got != want || leak) {
			failures++;
			fprintf(stderr, "  case %d: A [", t);
			for (int i = 0; i < a.n; i++)
				fprintf(stderr, "%s\"%s\"", i ? ", " : "", a.items[i]);
			fprintf(stderr, "] B [");
			for (int i = 0; i < b.n; i++)
				fprintf(stderr, "%s\"%s\"", i ? ", " : "", b.items[i]);
			fprintf(stderr, "]: rbac_covers %d, reference %d, leak %d\n", got, want,
				leak);
		}
	}
	CHECK(failures == 0);
	CHECK(failures > 0 ||
	      (covered > PROP_CASES / 20 && covered < PROP_CASES - PROP_CASES / 20));
	if (failures)
		fprintf(stderr, "  property failed with RBAC_SEED=%llu\n", (unsigned long long)s);
}

TEST(test_property_permission_valid_agrees_with_the_reference_grammar)
{
	uint64_t s = seed_from_env();
	seed(s ^ 0xA5A5A5A5u);
	int failures = 0, valid = 0;
	for (int t = 0; t < PROP_CASES && failures < 5; t++) {
		char p[160];
		if (pick(2))
			random_permission(p, sizeof p);
		else
			random_string(p, sizeof p);
		bool got = rbac_permission_valid(p), want = ref_valid(p);
		valid += got;
		if (got != want) {
			failures++;
			fprintf(stderr,
				"  case %d: \"%s\": rbac_permission_valid %d, reference %d\n", t, p,
				got, want);
		}
		/* every valid permission matches itself (a role covers itself) */
		if (got && !rbac_matches(p, p)) {
			failures++;
			fprintf(stderr, "  case %d: \"%s\" does not match itself\n", t, p);
		}
	}
	CHECK(failures == 0);
	CHECK(failures > 0 || (valid > PROP_CASES / 10 && valid < PROP_CASES - PROP_CASES / 10));
	if (failures)
		fprintf(stderr, "  property failed with RBAC_SEED=%llu\n", (unsigned long long)s);
}

int main(void)
{
	RUN(test_permission_valid_accepts_resource_action_and_deeper_paths);
	RUN(test_permission_valid_refuses_empty_segments_misplaced_stars_and_foreign_bytes);
	RUN(test_permission_valid_length_limit_is_128_bytes);
	RUN(test_star_matches_everything);
	RUN(test_prefix_wildcard_matches_strictly_below_its_prefix_only);
	RUN(test_plain_permissions_match_exactly);
	RUN(test_allows_is_any_granted_permission_matching);
	RUN(test_covers_refuses_any_permission_the_actor_does_not_hold);
	RUN(test_covers_decides_which_members_a_custom_manager_role_may_touch);
	RUN(test_role_key_is_lowercase_digits_underscore_1_to_64);
	RUN(test_builtin_roles_have_exactly_the_api_md_permissions);
	RUN(test_split_skips_extra_spaces_and_join_round_trips);
	RUN(test_property_allows_agrees_with_the_reference_matcher);
	RUN(test_property_covers_agrees_with_the_meaning_of_role_coverage);
	RUN(test_property_permission_valid_agrees_with_the_reference_grammar);
	return check_done("test_rbac");
}
