/*
 * redis_counter.c: hiredis client for the rate-limit script. Each thread
 * keeps its own connection (hiredis contexts are not thread-safe), freed
 * when the thread exits; a connection that errors is dropped and re-made on
 * a later call.
 */
#include "redis_counter.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"

#define WINDOW_MS 60000

/* The same decision as ratelimit_decide, in 1/W of a call so it is exact
 * (Lua numbers are doubles: exact below 2^53, far above limit * W): the
 * previous window weighs ARGV[2] / ARGV[3]. */
static const char script[] =
	"local limit = tonumber(ARGV[1])\n"
	"local rest = tonumber(ARGV[2])\n"
	"local w = tonumber(ARGV[3])\n"
	"local prev = tonumber(redis.call('GET', KEYS[2]) or '0')\n"
	"local cur = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
	"if prev * rest + (cur + 1) * w > limit * w then return {0, prev, cur} end\n"
	"cur = redis.call('INCR', KEYS[1])\n"
	"if cur == 1 then redis.call('PEXPIRE', KEYS[1], 130000) end\n"
	"return {1, prev, cur}\n";

struct redis_counter {
	char host[256];
	int port;
	char password[256];
	int db;
};

static __thread redisContext *tls_ctx;
static __thread const struct redis_counter *tls_owner;
/* holds tls_ctx too, so its destructor frees the connection at thread exit */
static pthread_key_t ctx_key;
static pthread_once_t ctx_key_once = PTHREAD_ONCE_INIT;

static void ctx_destroy(void *c)
{
	redisFree(c);
}

static void ctx_key_init(void)
{
	if (pthread_key_create(&ctx_key, ctx_destroy) != 0)
		abort();
}

struct redis_counter *redis_counter_new(const char *url)
{
	struct redis_counter *rc = calloc(1, sizeof *rc);
	if (rc == NULL)
		abort();
	rc->port = 6379;
	const char *p = strncmp(url, "redis://", 8) == 0 ? url + 8 : url;
	const char *at = strrchr(p, '@');
	if (at != NULL) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		const char *pw = colon ? colon + 1 : p;
		snprintf(rc->password, sizeof rc->password, "%.*s", (int)(at - pw), pw);
		p = at + 1;
	}
	size_t hostlen = strcspn(p, ":/");
	snprintf(rc->host, sizeof rc->host, "%.*s", (int)hostlen, p);
	p += hostlen;
	if (*p == ':')
		rc->port = (int)strtol(p + 1, (char **)&p, 10);
	if (*p == '/')
		rc->db = (int)strtol(p + 1, NULL, 10);
	if (rc->host[0] == '\0')
		snprintf(rc->host, sizeof rc->host, "127.0.0.1");
	return rc;
}

void redis_counter_free(struct redis_counter *rc)
{
	free(rc);
}

static void drop(void)
{
	if (tls_ctx != NULL) {
		pthread_setspecific(ctx_key, NULL);
		redisFree(tls_ctx);
	}
	tls_ctx = NULL;
}

static bool command_ok(redisContext *c, const char *fmt, const char *arg)
{
	redisReply *r = redisCommand(c, fmt, arg);
	bool ok = r != NULL && r->type != REDIS_REPLY_ERROR;
	if (r != NULL)
		freeReplyObject(r);
	return ok;
}

static redisContext *connection(const struct redis_counter *rc)
{
	if (tls_ctx != NULL && tls_owner == rc)
		return tls_ctx;
	drop();
	struct timeval tv = {0, 200 * 1000};
	redisContext *c = redisConnectWithTimeout(rc->host, rc->port, tv);
	if (c == NULL || c->err) {
		if (c != NULL)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	char db[16];
	snprintf(db, sizeof db, "%d", rc->db);
	if ((rc->password[0] && !command_ok(c, "AUTH %s", rc->password)) ||
	    (rc->db && !command_ok(c, "SELECT %s", db))) {
		redisFree(c);
		return NULL;
	}
	pthread_once(&ctx_key_once, ctx_key_init);
	pthread_setspecific(ctx_key, c);
	tls_ctx = c;
	tls_owner = rc;
	return c;
}

static bool eval_script(redisContext *c, const char *tenant, int64_t limit, int64_t now_ms,
			int64_t *prev, int64_t *cur, bool *allowed)
{
	int64_t window = now_ms / WINDOW_MS;
	char k1[128], k2[128], lim[24], rest[24], w[24];
	snprintf(k1, sizeof k1, "saasd:rl:%s:%lld", tenant, (long long)window);
	snprintf(k2, sizeof k2, "saasd:rl:%s:%lld", tenant, (long long)(window - 1));
	snprintf(lim, sizeof lim, "%lld", (long long)limit);
	snprintf(rest, sizeof rest, "%lld", (long long)(WINDOW_MS - now_ms % WINDOW_MS));
	snprintf(w, sizeof w, "%d", WINDOW_MS);
	redisReply *r = redisCommand(c, "EVAL %s 2 %s %s %s %s %s", script, k1, k2, lim, rest, w);
	bool ok = r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 3;
	if (ok) {
		*allowed = r->element[0]->integer == 1;
		*prev = r->element[1]->integer;
		*cur = r->element[2]->integer;
	}
	if (r != NULL)
		freeReplyObject(r);
	return ok;
}

bool redis_counter_hit(struct redis_counter *rc, const char *tenant, int64_t limit, int64_t now_ms,
		       int64_t *prev, int64_t *cur, bool *allowed)
{
	/* A kept connection may predate a Redis restart (its first command then
	 * fails although Redis is up): retry once on a new connection before
	 * reporting Redis as unavailable. */
	for (int attempt = 0; attempt < 2; attempt++) {
		bool kept = tls_ctx != NULL && tls_owner == rc;
		redisContext *c = connection(rc);
		if (c == NULL)
			return false;
		if (eval_script(c, tenant, limit, now_ms, prev, cur, allowed))
			return true;
		drop();
		if (!kept)
			return false;
	}
	return false;
}
