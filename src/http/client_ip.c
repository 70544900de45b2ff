/*
 * client_ip.c: the peer address from MHD and every X-Forwarded-For header
 * (joined in arrival order, so the right-most entry is the nearest hop).
 * Headers of an untrusted peer are never read: it could write anything.
 */
#include "client_ip.h"

#include <microhttpd.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "../core/ipnet.h"

static bool peer_of(struct MHD_Connection *conn, struct ipaddr *out)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return false;
	const struct sockaddr *sa = ci->client_addr;
	char text[IPNET_TEXT_MAX];
	memset(out, 0, sizeof *out);
	if (sa->sa_family == AF_INET) {
		memcpy(out->b, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		out->family = 4;
		return true;
	}
	if (sa->sa_family != AF_INET6)
		return false;
	/* through the parser: an IPv4-mapped address becomes the IPv4 one */
	out->family = 6;
	memcpy(out->b, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
	ipaddr_format(out, text);
	return ipaddr_parse(text, strlen(text), out);
}

struct xff_join {
	struct arena *arena;
	char *joined; /* NULL until the first header */
};

static enum MHD_Result collect_xff(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	(void)kind;
	struct xff_join *j = cls;
	if (key != NULL && value != NULL && strcasecmp(key, "X-Forwarded-For") == 0)
		j->joined = j->joined ? arena_printf(j->arena, "%s,%s", j->joined, value)
				      : arena_strdup(j->arena, value);
	return MHD_YES;
}

void client_ip_resolve(struct request *req)
{
	struct ipaddr peer, client;
	req->client_ip[0] = '\0';
	req->peer_loopback = false;
	if (!peer_of(req->conn, &peer))
		return;
	req->peer_loopback = ipaddr_is_loopback(&peer);
	const struct ipnet_list *trusted = &req->env->cfg->trusted;
	struct xff_join j = {&req->arena, NULL};
	if (ipnet_list_contains(trusted, &peer))
		MHD_get_connection_values(req->conn, MHD_HEADER_KIND, collect_xff, &j);
	ipnet_client(trusted, &peer, j.joined, &client);
	ipaddr_format(&client, req->client_ip);
}
