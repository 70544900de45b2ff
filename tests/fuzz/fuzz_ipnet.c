/*
 * fuzz_ipnet.c: libFuzzer target for core/ipnet.c (TRUSTED_PROXIES lists and
 * the X-Forwarded-For walk). Input: "LIST\nXFF" (no newline: the whole input
 * is the list and there is no header); inputs with a NUL are skipped. Traps
 * when an invariant breaks: every parsed net holds its own address and has a
 * prefix within its family; formatting an address and parsing it back gives
 * it again; the client behind an untrusted peer is the peer; the client
 * behind a trusted one is the peer or an address written in the header.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ipnet.h"

static void check_roundtrip(const struct ipaddr *a)
{
	char text[IPNET_TEXT_MAX];
	struct ipaddr back;
	ipaddr_format(a, text);
	if (!ipaddr_parse(text, strlen(text), &back) || back.family != a->family ||
	    memcmp(back.b, a->b, sizeof back.b) != 0)
		__builtin_trap();
}

static bool same(const struct ipaddr *x, const struct ipaddr *y)
{
	return x->family == y->family && memcmp(x->b, y->b, sizeof x->b) == 0;
}

/* Is a written somewhere in xff (as one of its comma-separated entries)? */
static bool named_in(const char *xff, const struct ipaddr *a)
{
	const char *p = xff;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		while (len > 0 && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		struct ipaddr e;
		if (ipaddr_parse(p, len, &e) && same(&e, a))
			return true;
		if (comma == NULL)
			return false;
		p = comma + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memchr(data, '\0', size) != NULL)
		return 0;
	char *in = strndup((const char *)data, size);
	char *nl = strchr(in, '\n');
	const char *xff = NULL;
	if (nl != NULL) {
		*nl = '\0';
		xff = nl + 1;
	}
	struct ipnet_list l;
	char err[160];
	if (ipnet_list_parse(in, &l, err, sizeof err)) {
		if (l.n < 0 || l.n > IPNET_LIST_MAX)
			__builtin_trap();
		for (int i = 0; i < l.n; i++) {
			const struct ipnet *net = &l.nets[i];
			int max = net->addr.family == 4 ? 32 : 128;
			if ((net->addr.family != 4 && net->addr.family != 6) || net->prefix < 0 ||
			    net->prefix > max || !ipnet_list_contains(&l, &net->addr))
				__builtin_trap();
			check_roundtrip(&net->addr);
		}
		struct ipaddr peer, out;
		for (int k = 0; k < 2; k++) {
			const char *p = k == 0 ? "127.0.0.1" : "2001:db8::1";
			if (!ipaddr_parse(p, strlen(p), &peer))
				__builtin_trap();
			ipnet_client(&l, &peer, xff, &out);
			check_roundtrip(&out);
			bool trusted = ipnet_list_contains(&l, &peer);
			if (!trusted && !same(&out, &peer))
				__builtin_trap();
			if (trusted && !same(&out, &peer) && (xff == NULL || !named_in(xff, &out)))
				__builtin_trap();
		}
	}
	free(in);
	return 0;
}
