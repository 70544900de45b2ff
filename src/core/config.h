/*
 * config.h: the immutable process configuration. Sources, lowest priority
 * first: built-in defaults, a .env-style file, the environment, --flags.
 * After config_load() succeeds the struct is never written again.
 */
#ifndef SAASD_CONFIG_H
#define SAASD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "ipnet.h"

#define CONFIG_STR_MAX 1024
/* SESSION_EXPIRATION may go down to 1 s outside production, 60 s in it */
#define CONFIG_SESSION_EXPIRATION_FLOOR 60

struct config {
	char database_url[CONFIG_STR_MAX];
	char host[256];
	int port;
	char jwt_secret[CONFIG_STR_MAX];
	char resend_api_key[CONFIG_STR_MAX];
	char email_provider[16]; /* log | smtp | resend */
	char email_from[512];
	char smtp_url[CONFIG_STR_MAX];
	char resend_api_url[CONFIG_STR_MAX];
	int bcrypt_work_factor;
	long session_expiration; /* seconds */
	long rate_limit_per_minute;
	long max_tenant_rate_limit; /* cap on the tenant's own PATCH /tenant setting */
	char redis_url[CONFIG_STR_MAX];
	char admin_token[CONFIG_STR_MAX];
	char metrics_token[CONFIG_STR_MAX];
	char environment[16]; /* development | production | test */
	int threads; /* HTTP pool threads; 0 = number of CPUs */
	int shutdown_timeout; /* seconds in-flight requests get after SIGTERM */
	int max_connections; /* ceiling; lowered to fit RLIMIT_NOFILE at start */
	int max_connections_per_ip; /* per socket peer (IPv4 address, IPv6 /64) */
	int header_timeout; /* seconds a request's headers may take to arrive */
	/* webhooks may reach loopback/private/link-local addresses: 1 or 0 once
	 * loaded (unset: 1 in development, 0 otherwise); a zeroed struct denies */
	int webhook_allow_private;
	char env_file[CONFIG_STR_MAX];
	/* peers whose X-Forwarded-For names the client (TRUSTED_PROXIES, parsed) */
	char trusted_proxies[CONFIG_STR_MAX];
	struct ipnet_list trusted;
	/* access tokens: the issuer (no trailing slash; default http://HOST:PORT),
	 * their lifetime, and the age at which the signing key is rotated */
	char public_url[CONFIG_STR_MAX];
	long access_token_ttl; /* seconds */
	int signing_key_rotation_days;
};

static inline bool config_is_production(const struct config *c)
{
	return c->environment[0] == 'p';
}

/* ENVIRONMENT=test: development plus the test clock (never in production). */
static inline bool config_is_test(const struct config *c)
{
	return c->environment[0] == 't';
}

static inline bool config_webhook_allow_private(const struct config *c)
{
	return c->webhook_allow_private == 1;
}

/*
 * Load configuration. Recognised --flags (--port 8080 or --port=8080) are
 * consumed; everything else (the command and its own arguments) is copied
 * in order into rest[0..*nrest), for the command to check with
 * config_check_args. On failure, err holds a one-line message.
 */
bool config_load(struct config *cfg, int argc, char **argv, char **rest, int *nrest, char *err,
		 size_t errlen);

/*
 * A command's own arguments, after config_load took the settings' flags out:
 * each must be one of flags (NULL-terminated, "--name" form, each taking a
 * value as "--name V" or "--name=V"). Anything else (an unknown flag, a stray
 * word) is refused: err names it (a flag by its name, without the value),
 * with "did you mean --port?" for a near miss.
 */
bool config_check_args(char *const *args, int n, const char *const *flags, char *err,
		       size_t errlen);

/* The known flag nearest to flag ("--prot=9250" is read as "--prot"): the
 * settings' flags and extra (NULL-terminated, may be NULL). True, with it in
 * out ("--port"), when one is near enough to be a typo of it. */
bool config_suggest_flag(const char *flag, const char *const *extra, char *out, size_t outlen);

/* "unknown flag '--prot' (did you mean --port?)" into err: the flag's name
 * only, never a value given with it; hints from the settings' and extra. */
void config_unknown_flag(const char *flag, const char *const *extra, char *err, size_t errlen);

/* Edit distance (optimal string alignment, case-insensitive); SIZE_MAX when
 * either string is over 64 bytes. */
size_t config_edit_distance(const char *a, const char *b);

/* Production refuses to start without the secrets it needs. */
bool config_check_production(const struct config *cfg, char *err, size_t errlen);

/* A loaded setting that is allowed but unwise (a SESSION_EXPIRATION below 60 s
 * in development), as one line to log at start; NULL when there is none. */
const char *config_warning(const struct config *cfg);

/* Print the configuration table for --help. */
void config_print_help(void);

#endif
