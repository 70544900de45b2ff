/*
 * config.c: one table describes every setting (env name, type, default, help);
 * the .env reader, the environment reader and the flag parser all walk it.
 * Values are validated here so the rest of the program can trust them.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum kind { K_STR, K_INT, K_LONG, K_BOOL };

struct setting {
	const char *env;
	enum kind kind;
	size_t offset;
	size_t size; /* for strings */
	long min, max; /* for numbers */
	const char *help;
};

#define S(env, field, help)                                                                      \
	{                                                                                        \
		env, K_STR, offsetof(struct config, field), sizeof(((struct config *)0)->field), \
			0, 0, help                                                               \
	}
#define I(env, field, lo, hi, help)                                         \
	{                                                                   \
		env, K_INT, offsetof(struct config, field), 0, lo, hi, help \
	}
#define L(env, field, lo, hi, help)                                          \
	{                                                                    \
		env, K_LONG, offsetof(struct config, field), 0, lo, hi, help \
	}
#define B(env, field, help)                                                \
	{                                                                  \
		env, K_BOOL, offsetof(struct config, field), 0, 0, 1, help \
	}

static const struct setting settings[] = {
	S("DATABASE_URL", database_url,
	  "sqlite:PATH or postgres://... (default sqlite:data/saasd.db)"),
	S("HOST", host, "address to listen on (default 127.0.0.1)"),
	I("PORT", port, 1, 65535, "TCP port (default 8787)"),
	S("JWT_SECRET", jwt_secret, "keys token hashes; generated and stored on first dev run"),
	S("EMAIL_PROVIDER", email_provider, "log | smtp | resend (default log)"),
	S("EMAIL_FROM", email_from, "sender address (default saasd <no-reply@localhost>)"),
	S("SMTP_URL", smtp_url, "smtp://host:port or smtps://user:pass@host"),
	S("RESEND_API_KEY", resend_api_key, "Resend API key (EMAIL_PROVIDER=resend)"),
	S("RESEND_API_URL", resend_api_url, "Resend base URL (default https://api.resend.com)"),
	I("BCRYPT_WORK_FACTOR", bcrypt_work_factor, 4, 31, "bcrypt cost (10 dev, 12 prod)"),
	L("SESSION_EXPIRATION", session_expiration, 1, 31536000,
	  "session lifetime in seconds (604800); below 60 only outside production"),
	L("RATE_LIMIT_PER_MINUTE", rate_limit_per_minute, 1, 100000000,
	  "default per-tenant limit (1000)"),
	L("MAX_TENANT_RATE_LIMIT", max_tenant_rate_limit, 1, 100000000,
	  "highest rate_limit_per_minute a tenant may set itself; admin routes may go above "
	  "(100000)"),
	S("REDIS_URL", redis_url, "redis://host:port to share rate limits between nodes"),
	S("ADMIN_TOKEN", admin_token, "bearer token for /admin routes (unset: /admin is 404)"),
	S("METRICS_TOKEN", metrics_token, "bearer token guarding /metrics (unset: open)"),
	S("ENVIRONMENT", environment,
	  "development | production | test (default development; test adds the test clock)"),
	I("THREADS", threads, 0, 256, "HTTP worker threads (default: number of CPUs)"),
	I("SHUTDOWN_TIMEOUT", shutdown_timeout, 0, 3600,
	  "seconds in-flight requests get to finish after SIGTERM (default 10)"),
	I("MAX_CONNECTIONS", max_connections, 1, 1000000,
	  "open client connections at most; lowered to fit ulimit -n (default 8192)"),
	I("MAX_CONNECTIONS_PER_IP", max_connections_per_ip, 1, 1000000,
	  "connections per client address, IPv6 per /64; behind a proxy: the proxy's (default "
	  "256)"),
	I("HEADER_TIMEOUT", header_timeout, 1, 3600,
	  "seconds to receive a request's headers, also idle keep-alive (default 10)"),
	B("WEBHOOK_ALLOW_PRIVATE", webhook_allow_private,
	  "webhooks may reach private/loopback IPs: true | false (dev true, else false)"),
	S("TRUSTED_PROXIES", trusted_proxies,
	  "proxy IPs/CIDRs whose X-Forwarded-For is believed (comma-separated; default none)"),
	S("PUBLIC_URL", public_url,
	  "the issuer of access tokens, an absolute http(s) URL without trailing slash "
	  "(default http://HOST:PORT)"),
	L("ACCESS_TOKEN_TTL", access_token_ttl, 60, 3600,
	  "access token (JWT) lifetime in seconds (300)"),
	I("SIGNING_KEY_ROTATION_DAYS", signing_key_rotation_days, 1, 3650,
	  "days after which the token signing key is rotated (90)"),
	S("ENV_FILE", env_file, ".env-style file to read (default .env when present)"),
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

static void set_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->database_url, sizeof c->database_url, "sqlite:data/saasd.db");
	snprintf(c->host, sizeof c->host, "127.0.0.1");
	c->port = 8787;
	snprintf(c->email_provider, sizeof c->email_provider, "log");
	snprintf(c->email_from, sizeof c->email_from, "saasd <no-reply@localhost>");
	snprintf(c->resend_api_url, sizeof c->resend_api_url, "https://api.resend.com");
	c->bcrypt_work_factor = -1; /* resolved after the environment is known */
	c->session_expiration = 604800;
	c->rate_limit_per_minute = 1000;
	c->max_tenant_rate_limit = 100000;
	snprintf(c->environment, sizeof c->environment, "development");
	c->shutdown_timeout = 10;
	c->max_connections = 8192;
	c->max_connections_per_ip = 256;
	c->header_timeout = 10;
	c->webhook_allow_private = -1; /* resolved after the environment is known */
	c->access_token_ttl = 300;
	c->signing_key_rotation_days = 90;
}

/* PUBLIC_URL: http:// or https://, a host, no trailing slash, no query,
 * fragment, space or control character. */
static bool public_url_valid(const char *u)
{
	size_t scheme = strncmp(u, "https://", 8) == 0 ? 8 : strncmp(u, "http://", 7) == 0 ? 7 : 0;
	size_t n = strlen(u);
	if (scheme == 0 || n <= scheme || u[scheme] == '/' || u[n - 1] == '/')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u[i] <= ' ' || (unsigned char)u[i] >= 0x7f || u[i] == '?' ||
		    u[i] == '#' || u[i] == '"' || u[i] == '\\')
			return false;
	return true;
}

/* true/false, 1/0, yes/no, on/off in any case; -1 for anything else */
static int parse_bool(const char *v)
{
	static const char *const yes[] = {"true", "1", "yes", "on"};
	static const char *const no[] = {"false", "0", "no", "off"};
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return 1;
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	}
	return -1;
}

static bool apply(struct config *c, const struct setting *s, const char *value, char *err,
		  size_t errlen)
{
	char *field = (char *)c + s->offset;
	if (s->kind == K_STR) {
		if (strlen(value) >= s->size) {
			snprintf(err, errlen, "%s is too long (max %zu bytes)", s->env,
				 s->size - 1);
			return false;
		}
		snprintf(field, s->size, "%s", value);
		return true;
	}
	if (s->kind == K_BOOL) {
		int b = parse_bool(value);
		if (b < 0) {
			snprintf(err, errlen, "%s must be true or false (got \"%.64s\")", s->env,
				 value);
			return false;
		}
		*(int *)field = b;
		return true;
	}
	char *end;
	errno = 0;
	long v = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || v < s->min || v > s->max) {
		snprintf(err, errlen, "%s must be an integer in %ld..%ld (got \"%.64s\")", s->env,
			 s->min, s->max, value);
		return false;
	}
	if (s->kind == K_INT)
		*(int *)field = (int)v;
	else
		*(long *)field = v;
	return true;
}

static const struct setting *by_env(const char *name, size_t n)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if (strlen(settings[i].env) == n && strncmp(settings[i].env, name, n) == 0)
			return &settings[i];
	return NULL;
}

/* "--database-url" -> setting DATABASE_URL */
static const struct setting *by_flag(const char *flag, size_t n)
{
	char env[64];
	if (n >= sizeof env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		env[i] = flag[i] == '-' ? '_'
					: (char)(flag[i] >= 'a' && flag[i] <= 'z' ? flag[i] - 32
										  : flag[i]);
	return by_env(env, n);
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 &&
	       (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

static bool read_env_file(struct config *c, const char *path, bool required, char *err,
			  size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		if (required)
			snprintf(err, errlen, "cannot open ENV_FILE %s", path);
		return !required;
	}
	char line[2048];
	int lineno = 0;
	bool ok = true;
	while (ok && fgets(line, sizeof line, f) != NULL) {
		lineno++;
		char *s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		if (strncmp(s, "export ", 7) == 0)
			s = trim(s + 7);
		char *eq = strchr(s, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		char *key = trim(s), *val = trim(eq + 1);
		size_t vl = strlen(val);
		if (vl >= 2 && (val[0] == '"' || val[0] == '\'') && val[vl - 1] == val[0]) {
			val[vl - 1] = '\0';
			val++;
		}
		const struct setting *st = by_env(key, strlen(key));
		/* the real environment wins over the file */
		if (st != NULL && getenv(st->env) == NULL)
			ok = apply(c, st, val, err, errlen);
	}
	fclose(f);
	if (!ok) {
		size_t n = strlen(err);
		snprintf(err + n, errlen - n, " (%s:%d)", path, lineno);
	}
	return ok;
}

static bool validate(struct config *c, char *err, size_t errlen)
{
	if (strcmp(c->environment, "development") != 0 &&
	    strcmp(c->environment, "production") != 0 && strcmp(c->environment, "test") != 0) {
		snprintf(err, errlen, "ENVIRONMENT must be development, production or test");
		return false;
	}
	if (strcmp(c->email_provider, "log") != 0 && strcmp(c->email_provider, "smtp") != 0 &&
	    strcmp(c->email_provider, "resend") != 0) {
		snprintf(err, errlen, "EMAIL_PROVIDER must be log, smtp or resend");
		return false;
	}
	if (strncmp(c->database_url, "sqlite:", 7) != 0 &&
	    strncmp(c->database_url, "postgres://", 11) != 0 &&
	    strncmp(c->database_url, "postgresql://", 13) != 0) {
		snprintf(err, errlen, "DATABASE_URL must start with sqlite: or postgres://");
		return false;
	}
	char why[160];
	if (!ipnet_list_parse(c->trusted_proxies, &c->trusted, why, sizeof why)) {
		snprintf(err, errlen, "TRUSTED_PROXIES: %s", why);
		return false;
	}
	if (c->public_url[0] == '\0')
		snprintf(c->public_url, sizeof c->public_url, "http://%.200s:%d", c->host, c->port);
	if (!public_url_valid(c->public_url)) {
		snprintf(err, errlen,
			 "PUBLIC_URL must be an absolute http(s) URL without a trailing slash");
		return false;
	}
	if (c->bcrypt_work_factor < 0)
		c->bcrypt_work_factor = config_is_production(c) ? 12 : 10;
	/* developers test with receivers on localhost; production is multi-tenant */
	if (c->webhook_allow_private < 0)
		c->webhook_allow_private = config_is_production(c) ? 0 : 1;
	if (config_is_production(c) && c->bcrypt_work_factor < 10) {
		snprintf(err, errlen, "BCRYPT_WORK_FACTOR below 10 is refused in production");
		return false;
	}
	/* short sessions let a developer watch expiry; production keeps a floor */
	if (config_is_production(c) && c->session_expiration < CONFIG_SESSION_EXPIRATION_FLOOR) {
		snprintf(err, errlen, "SESSION_EXPIRATION below %d is refused in production",
			 CONFIG_SESSION_EXPIRATION_FLOOR);
		return false;
	}
	return true;
}

const char *config_warning(const struct config *cfg)
{
	if (cfg->session_expiration < CONFIG_SESSION_EXPIRATION_FLOOR)
		return "SESSION_EXPIRATION is below 60 seconds: sessions expire almost at once "
		       "(allowed outside production only)";
	return NULL;
}

bool config_load(struct config *cfg, int argc, char **argv, char **rest, int *nrest, char *err,
		 size_t errlen)
{
	set_defaults(cfg);
	*nrest = 0;
	/* flags first into a scratch config, so we know ENV_FILE before reading it */
	const char *flag_vals[NSETTINGS] = {0};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct setting *s = NULL;
		const char *val = NULL;
		if (strncmp(a, "--", 2) == 0) {
			const char *eq = strchr(a + 2, '=');
			size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			s = by_flag(a + 2, n);
			if (s != NULL) {
				if (eq != NULL) {
					val = eq + 1;
				} else if (i + 1 < argc) {
					val = argv[++i];
				} else {
					snprintf(err, errlen, "%s needs a value", a);
					return false;
				}
			}
		}
		if (s != NULL)
			flag_vals[s - settings] = val;
		else
			rest[(*nrest)++] = argv[i];
	}
	const char *env_file = flag_vals[by_env("ENV_FILE", 8) - settings];
	if (env_file == NULL)
		env_file = getenv("ENV_FILE");
	if (!read_env_file(cfg, env_file ? env_file : ".env", env_file != NULL, err, errlen))
		return false;
	for (size_t i = 0; i < NSETTINGS; i++) {
		const char *v = getenv(settings[i].env);
		if (v != NULL && !apply(cfg, &settings[i], v, err, errlen))
			return false;
	}
	for (size_t i = 0; i < NSETTINGS; i++)
		if (flag_vals[i] != NULL && !apply(cfg, &settings[i], flag_vals[i], err, errlen))
			return false;
	return validate(cfg, err, errlen);
}

/* Optimal string alignment: insertions, deletions, substitutions and swaps of
 * two neighbours each cost 1 ("prot" is 1 from "port"). Case-insensitive;
 * strings longer than FLAG_NAME_MAX count as far from everything. */
#define FLAG_NAME_MAX 64

static char lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
}

size_t config_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > FLAG_NAME_MAX || lb > FLAG_NAME_MAX)
		return SIZE_MAX;
	size_t rows[3][FLAG_NAME_MAX + 1]; /* row i of the table is rows[i % 3] */
	for (size_t j = 0; j <= lb; j++)
		rows[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t *cur = rows[i % 3], *prev = rows[(i + 2) % 3], *prev2 = rows[(i + 1) % 3];
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
			size_t best = prev[j - 1] + cost;
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
			    lower(a[i - 2]) == lower(b[j - 1]) && prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
	}
	return rows[la % 3][lb];
}

/* DATABASE_URL -> "--database-url" */
static void flag_of(const struct setting *s, char *out, size_t outlen)
{
	size_t n = strlen(s->env);
	if (n + 3 > outlen) {
		out[0] = '\0';
		return;
	}
	out[0] = out[1] = '-';
	for (size_t j = 0; j <= n; j++) {
		char ch = s->env[j];
		out[j + 2] = ch == '_' ? '-' : lower(ch);
	}
}

/* A typo is at most 2 edits away, and at most one edit per 3 characters */
static bool close_enough(size_t d, size_t len)
{
	return d <= 2 && d * 3 <= len;
}

static void consider(const char *name, size_t name_len, const char *candidate, size_t *best,
		     char *out, size_t outlen)
{
	const char *c = candidate;
	while (*c == '-')
		c++;
	size_t d = config_edit_distance(name, c);
	if (d < *best && close_enough(d, name_len)) {
		*best = d;
		snprintf(out, outlen, "--%s", c);
	}
}

bool config_suggest_flag(const char *flag, const char *const *extra, char *out, size_t outlen)
{
	char name[FLAG_NAME_MAX + 1];
	while (*flag == '-')
		flag++;
	size_t n = strcspn(flag, "=");
	out[0] = '\0';
	if (n == 0 || n > FLAG_NAME_MAX || outlen == 0)
		return false;
	memcpy(name, flag, n);
	name[n] = '\0';
	size_t best = SIZE_MAX;
	char known[FLAG_NAME_MAX + 3];
	for (size_t i = 0; i < NSETTINGS; i++) {
		flag_of(&settings[i], known, sizeof known);
		consider(name, n, known, &best, out, outlen);
	}
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
		consider(name, n, extra[i], &best, out, outlen);
	return best != SIZE_MAX;
}

void config_unknown_flag(const char *flag, const char *const *extra, char *err, size_t errlen)
{
	/* the name only: a value typed after a misspelt --jwt-secret is a secret */
	int n = (int)strcspn(flag, "=");
	if (n > FLAG_NAME_MAX)
		n = FLAG_NAME_MAX;
	char hint[FLAG_NAME_MAX + 3];
	if (config_suggest_flag(flag, extra, hint, sizeof hint))
		snprintf(err, errlen, "unknown flag '%.*s' (did you mean %s?)", n, flag, hint);
	else
		snprintf(err, errlen, "unknown flag '%.*s' (saasd --help lists them)", n, flag);
}

static bool in_list(const char *a, size_t n, const char *const *flags)
{
	for (size_t i = 0; flags != NULL && flags[i] != NULL; i++)
		if (strlen(flags[i]) == n && strncmp(flags[i], a, n) == 0)
			return true;
	return false;
}

bool config_check_args(char *const *args, int n, const char *const *flags, char *err, size_t errlen)
{
	for (int i = 0; i < n; i++) {
		const char *a = args[i];
		if (a[0] != '-' || a[1] == '\0') {
			snprintf(err, errlen, "unexpected argument '%.64s'", a);
			return false;
		}
		size_t len = strcspn(a, "=");
		if (in_list(a, len, flags)) {
			if (a[len] == '\0' && ++i >= n) {
				snprintf(err, errlen, "%s needs a value", a);
				return false;
			}
			continue;
		}
		config_unknown_flag(a, flags, err, errlen);
		return false;
	}
	return true;
}

static bool weak_admin_token(const char *t)
{
	static const char *const defaults[] = {"changeme",        "change-me", "admin", "secret",
					       "dev-admin-token", "password",  NULL};
	for (int i = 0; defaults[i]; i++)
		if (strcasecmp(t, defaults[i]) == 0)
			return true;
	return strlen(t) < 24;
}

bool config_check_production(const struct config *cfg, char *err, size_t errlen)
{
	if (!config_is_production(cfg))
		return true;
	if (strlen(cfg->jwt_secret) < 32) {
		snprintf(err, errlen, "production needs JWT_SECRET (at least 32 characters)");
		return false;
	}
	if (weak_admin_token(cfg->admin_token)) {
		snprintf(err, errlen,
			 "production needs a non-default ADMIN_TOKEN (at least 24 characters)");
		return false;
	}
	return true;
}

void config_print_help(void)
{
	for (size_t i = 0; i < NSETTINGS; i++) {
		char flag[FLAG_NAME_MAX + 3];
		flag_of(&settings[i], flag, sizeof flag);
		printf("  %-24s %-22s %s\n", flag, settings[i].env, settings[i].help);
	}
}
