/*
 * app.h: process wiring shared by the commands: configuration, store (with
 * migrations applied), token secret, caches, and the svc_env built from them.
 * One struct app per process, owned by main().
 */
#ifndef SAASD_APP_H
#define SAASD_APP_H

#include "core/config.h"
#include "svc/svc.h"

struct app {
	struct config cfg;
	struct store *store;
	struct keycache *keys;
	struct origin_index *origins;
	struct sigkeys *sigkeys;
	struct ratelimiter *limiter;
	struct workpool *background;
	char token_secret[CONFIG_STR_MAX];
	struct svc_env env;
};

/* Open the store, migrate, resolve the token secret. Logs and returns false
 * on failure. */
bool app_open(struct app *app);
void app_close(struct app *app);

#endif
