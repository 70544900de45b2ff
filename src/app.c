/*
 * app.c: start-up sequence. In development without JWT_SECRET, a random
 * secret is generated once and kept in instance_meta so every restart (and
 * every node on the same database) hashes tokens identically. Production
 * refuses to start without JWT_SECRET (config_check_production).
 */
#include "app.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/ids.h"
#include "core/log.h"
#include "core/secure.h"
#include "net/mailer.h"
#include "store/migrate.h"
#include "store/tenants.h"
#include "core/workpool.h"
#include "svc/keycache.h"
#include "svc/origins.h"
#include "svc/signing_keys.h"
#include "svc/ratelimit.h"

static bool resolve_token_secret(struct app *app)
{
	if (app->cfg.jwt_secret[0] != '\0') {
		snprintf(app->token_secret, sizeof app->token_secret, "%s", app->cfg.jwt_secret);
		return true;
	}
	struct db *d = store_acquire(app->store);
	if (d == NULL)
		return false;
	struct arena a;
	arena_init(&a, 1024);
	char fresh[TOKEN_LEN + 1];
	token_generate(fresh);
	char *value = NULL;
	enum status st = store_meta_get_or_insert(d, &a, "dev_jwt_secret", fresh,
						  clock_now(&clock_system), &value);
	if (st == ST_OK)
		snprintf(app->token_secret, sizeof app->token_secret, "%s", value);
	sec_wipe(fresh, sizeof fresh);
	arena_destroy(&a);
	store_release(app->store, d);
	if (st == ST_OK)
		log_msg(LOG_WARN,
			"JWT_SECRET not set: using the development secret stored in the database");
	return st == ST_OK;
}

static int pool_size(const struct config *cfg)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int threads = cfg->threads > 0 ? cfg->threads : (int)(cpus > 0 ? cpus : 2);
	return threads * 2 + 8; /* HTTP threads, hash pool and workers */
}

bool app_open(struct app *app)
{
	char err[512] = "";
	if (store_open(app->cfg.database_url, pool_size(&app->cfg), &app->store, err, sizeof err) !=
	    ST_OK) {
		log_msg(LOG_ERROR, "cannot open database: %s", err);
		return false;
	}
	int applied = 0;
	if (store_migrate(app->store, &applied) != ST_OK) {
		log_msg(LOG_ERROR, "database migration failed");
		return false;
	}
	if (!resolve_token_secret(app)) {
		log_msg(LOG_ERROR, "cannot resolve the token secret");
		return false;
	}
	if (!mailer_init(&app->cfg))
		return false;
	app->keys = keycache_new(4096);
	app->origins = origin_index_new();
	app->sigkeys = sigkeys_new();
	app->limiter = ratelimiter_new(app->cfg.redis_url);
	app->background = workpool_new(1, 1024);
	app->env.cfg = &app->cfg;
	app->env.store = app->store;
	app->env.clock = config_is_test(&app->cfg) ? &clock_offset : &clock_system;
	app->env.keys = app->keys;
	app->env.origins = app->origins;
	app->env.limiter = app->limiter;
	app->env.background = app->background;
	app->env.token_secret = app->token_secret;
	app->env.sigkeys = app->sigkeys;
	return true;
}

void app_close(struct app *app)
{
	/* first: queued background work (a reset request's lookup and mail)
	 * still needs the store and the mailer */
	workpool_free(app->background);
	app->background = NULL;
	store_close(app->store);
	mailer_cleanup();
	keycache_free(app->keys);
	origin_index_free(app->origins);
	app->origins = NULL;
	sigkeys_free(app->sigkeys); /* wipes the cached signing key */
	app->sigkeys = NULL;
	ratelimiter_free(app->limiter);
	app->limiter = NULL;
	sec_wipe(app->token_secret, sizeof app->token_secret);
	app->store = NULL;
	app->keys = NULL;
}
