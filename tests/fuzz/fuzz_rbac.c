/*
 * fuzz_rbac.c: libFuzzer target for the pure RBAC functions (svc/rbac.c):
 * the permission grammar, wildcard matching, rbac_covers and split/join.
 * Input: "ACTOR\nROLE\nWANTED", each list space-separated as stored. Traps
 * when a promise breaks: a valid permission is short and uses only the
 * grammar's characters; matching follows the rule of rbac.h; split/join
 * round-trip; and no escalation: when the actor covers a role, every valid
 * permission the role allows, the actor allows too.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "svc/rbac.h"

/* The rule of rbac.h, written out independently of rbac_matches. */
static bool reference_matches(const char *g, const char *w)
{
	size_t gl = strlen(g);
	if (strcmp(g, "*") == 0)
		return true;
	if (gl >= 2 && strcmp(g + gl - 2, ":*") == 0)
		return strlen(w) >= gl && strncmp(g, w, gl - 1) == 0;
	return strcmp(g, w) == 0;
}

static void check_grammar(const char *p)
{
	if (!rbac_permission_valid(p))
		return;
	size_t len = strlen(p);
	if (len == 0 || len > PERMISSION_MAX_LEN || p[0] == ':' || p[len - 1] == ':')
		__builtin_trap();
	if (strstr(p, "::") != NULL)
		__builtin_trap();
	const char *star = strchr(p, '*');
	if (star != NULL && star != p + len - 1)
		__builtin_trap();
	if (strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_-:*") != len)
		__builtin_trap();
}

static bool all_valid(const struct perm_list *l)
{
	for (int i = 0; i < l->n; i++)
		if (!rbac_permission_valid(l->items[i]))
			return false;
	return true;
}

static void check_split_join(struct arena *a, const struct perm_list *l)
{
	for (int i = 0; i < l->n; i++)
		if (l->items[i][0] == '\0' || strchr(l->items[i], ' ') != NULL)
			__builtin_trap();
	struct perm_list again = rbac_split(a, rbac_join(a, l));
	if (again.n != l->n)
		__builtin_trap();
	for (int i = 0; i < l->n; i++)
		if (strcmp(again.items[i], l->items[i]) != 0)
			__builtin_trap();
}

/* Split the input at its first two newlines into three C strings. */
static void cut(struct arena *a, const uint8_t *data, size_t size, char *part[3])
{
	size_t start = 0;
	for (int k = 0; k < 3; k++) {
		size_t end = start;
		while (end < size && (k == 2 || data[end] != '\n'))
			end++;
		part[k] = arena_strndup(a, (const char *)data + start, end - start);
		start = end < size ? end + 1 : size;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memchr(data, '\0', size) != NULL)
		return 0;
	struct arena a;
	arena_init(&a, 0);
	char *part[3];
	cut(&a, data, size, part);
	struct perm_list actor = rbac_split(&a, part[0]);
	struct perm_list role = rbac_split(&a, part[1]);
	const char *wanted = part[2];
	check_split_join(&a, &actor);
	check_split_join(&a, &role);
	check_grammar(wanted);

	bool wanted_valid = rbac_permission_valid(wanted);
	for (int i = 0; i < actor.n; i++) {
		const char *g = actor.items[i];
		check_grammar(g);
		if (wanted_valid && rbac_permission_valid(g) &&
		    rbac_matches(g, wanted) != reference_matches(g, wanted))
			__builtin_trap();
	}
	if (!rbac_covers(&actor, &actor) || !rbac_covers(&role, &role))
		__builtin_trap();
	if (wanted_valid && all_valid(&actor) && all_valid(&role) && rbac_covers(&actor, &role) &&
	    rbac_allows(&role, wanted) && !rbac_allows(&actor, wanted))
		__builtin_trap();
	arena_destroy(&a);
	return 0;
}
