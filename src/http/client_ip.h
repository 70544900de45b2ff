/*
 * client_ip.h: who is on the other end of a request: the socket's peer, or
 * the client an X-Forwarded-For names when the peer is one of
 * TRUSTED_PROXIES (core/ipnet.c decides which entry). Set once per request.
 */
#ifndef SAASD_CLIENT_IP_H
#define SAASD_CLIENT_IP_H

#include "request.h"

/* Fill req->client_ip (canonical text; "" when the socket has no address). */
void client_ip_resolve(struct request *req);

#endif
