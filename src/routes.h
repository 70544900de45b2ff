/*
 * routes.h: the route table of the whole API, as data.
 */
#ifndef SAASD_ROUTES_H
#define SAASD_ROUTES_H

#include <stddef.h>

#include "http/router.h"

extern const struct route routes[];
extern const size_t routes_count;

#endif
