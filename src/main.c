/*
 * main.c: the saasd command line: serve, worker, migrate, tenant create,
 * version, --help. Configuration comes from config_load (defaults, .env,
 * environment, --flags); each command is one small function below, and an
 * argument that neither a setting nor the command takes is refused (exit 2).
 */
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "core/log.h"
#include "core/secure.h"
#include "core/version.h"
#include "jobs_table.h"
#include "routes.h"
#include "http/server.h"
#include "svc/jobs.h"
#include "svc/signing_keys.h"
#include "svc/tenants.h"

static void usage(FILE *out)
{
	fprintf(out,
		"saasd %s: the SaaS backend layer (auth, organizations, billing, webhooks)\n\n"
		"Usage: saasd COMMAND [--flags]\n\n"
		"Commands:\n"
		"  serve                    run the HTTP API and the background workers\n"
		"  worker                   run only the background workers (mail, webhooks, "
		"cleanup)\n"
		"  migrate                  apply pending database migrations and exit\n"
		"  tenant create --name N   create a tenant; prints its JSON and first API key\n"
		"  signing-key rotate       make a new access-token signing key; the old one "
		"keeps\n"
		"                           verifying until its tokens expire\n"
		"  routes                   print the route table as JSON (every field of each "
		"route)\n"
		"  version                  print the version\n"
		"  help, --help             this text (also COMMAND --help)\n\n"
		"An unknown flag or argument is refused (exit 2).\n\n"
		"Configuration (flag, environment variable, meaning); flags win over the\n"
		"environment, which wins over a .env file:\n",
		SAASD_VERSION);
	if (out == stdout)
		config_print_help();
	else
		fprintf(out, "  (run saasd --help for the full list)\n");
}

/* Block the signals we wait for, before any thread exists, so every thread
 * inherits the mask and only sigwait() in main receives them. */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int wait_for_signal(const sigset_t *set)
{
	int sig = 0;
	sigwait(set, &sig);
	return sig;
}

static void print_json(json_t *o)
{
	char *text = json_dumps(o, JSON_INDENT(2));
	if (text != NULL) {
		puts(text);
		free(text);
	}
	fflush(stdout);
}

static void bootstrap_default_tenant(struct app *app)
{
	if (config_is_production(&app->cfg))
		return;
	struct arena a;
	arena_init(&a, 2048);
	struct field_errors fe = {0};
	struct svc_ctx ctx = {.env = &app->env,
			      .arena = &a,
			      .who = {.kind = ACTOR_ADMIN, .actor_id = "admin"},
			      .errors = &fe};
	struct tenant_row t;
	char *key = NULL;
	bool created = false;
	if (svc_tenant_bootstrap_default(&ctx, &created, &t, &key) == ST_OK && created) {
		printf("Created tenant \"default\" (%s). Its API key, shown only this once:\n\n"
		       "  %s\n\nTry: curl -H 'Authorization: Bearer %s' http://%s:%d/tenant\n\n",
		       t.id, key, key, app->cfg.host, app->cfg.port);
		fflush(stdout);
	}
	arena_destroy(&a);
}

/* The access-token signing keys into the cache (the first one created on an
 * empty database), so that no token waits for them. A failure does not stop
 * the start: everything but access tokens works, and the load is retried
 * by the first token call (a key sealed under another JWT_SECRET is fixed
 * with `saasd signing-key rotate`, which needs no old key). */
static void load_signing_keys(struct app *app)
{
	struct arena a;
	arena_init(&a, 2048);
	struct field_errors fe = {0};
	struct svc_ctx ctx = {.env = &app->env,
			      .arena = &a,
			      .who = {.kind = ACTOR_JOB, .actor_id = "signing_keys"},
			      .errors = &fe};
	enum status st = svc_sigkeys_load(&ctx);
	arena_destroy(&a);
	if (st != ST_OK)
		log_msg(LOG_ERROR,
			"cannot load the token signing keys (%s): POST /auth/token fails until "
			"they load; a key sealed under another JWT_SECRET is replaced by `saasd "
			"signing-key rotate`",
			status_message(st));
}

static int cmd_serve(struct app *app, bool http)
{
	sigset_t set;
	block_signals(&set);
	const char *warning = config_warning(&app->cfg);
	if (warning != NULL)
		log_msg(LOG_WARN, "%s", warning);
	if (!app_open(app))
		return 1;
	struct server *srv = NULL;
	load_signing_keys(app);
	if (http) {
		bootstrap_default_tenant(app);
		char err[256] = "";
		if (server_start(&app->env, routes, routes_count, &srv, err, sizeof err) != ST_OK) {
			log_msg(LOG_ERROR, "%s", err);
			app_close(app);
			return 1;
		}
		log_msg(LOG_INFO, "saasd %s listening on http://%s:%d (%s)", SAASD_VERSION,
			app->cfg.host, app->cfg.port, app->cfg.environment);
	} else {
		log_msg(LOG_INFO, "saasd %s worker started", SAASD_VERSION);
	}
	struct jobs *jobs = jobs_start(&app->env, saasd_jobs, saasd_jobs_count);
	int sig = wait_for_signal(&set);
	log_msg(LOG_INFO, "received %s, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
	server_shutdown(srv, app->cfg.shutdown_timeout * 1000);
	jobs_stop(jobs);
	app_close(app);
	log_msg(LOG_INFO, "stopped");
	return 0;
}

static int cmd_migrate(struct app *app)
{
	if (!app_open(app))
		return 1;
	log_msg(LOG_INFO, "database is up to date");
	app_close(app);
	return 0;
}

static int cmd_tenant_create(struct app *app, int argc, char **argv)
{
	const char *name = NULL;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			name = argv[++i];
		else if (strncmp(argv[i], "--name=", 7) == 0)
			name = argv[i] + 7;
	}
	if (name == NULL) {
		fprintf(stderr, "usage: saasd tenant create --name NAME\n");
		return 2;
	}
	if (!app_open(app))
		return 1;
	struct arena a;
	arena_init(&a, 2048);
	struct field_errors fe = {0};
	struct svc_ctx ctx = {.env = &app->env,
			      .arena = &a,
			      .who = {.kind = ACTOR_ADMIN, .actor_id = "admin"},
			      .errors = &fe};
	struct tenant_row t;
	char *key = NULL;
	enum status st = svc_tenant_create(&ctx, name, &t, &key);
	int rc = 0;
	if (st == ST_OK) {
		json_t *o = api_tenant_created_json(&t, key);
		print_json(o);
		json_decref(o);
	} else {
		fprintf(stderr, "saasd: cannot create tenant: %s\n", status_message(st));
		rc = 1;
	}
	arena_destroy(&a);
	app_close(app);
	return rc;
}

static int cmd_signing_key_rotate(struct app *app)
{
	if (!app_open(app))
		return 1;
	struct arena a;
	arena_init(&a, 2048);
	struct field_errors fe = {0};
	struct svc_ctx ctx = {.env = &app->env,
			      .arena = &a,
			      .who = {.kind = ACTOR_ADMIN, .actor_id = "admin"},
			      .errors = &fe};
	bool rotated = false;
	enum status st = svc_sigkeys_rotate(&ctx, INT64_MAX, &rotated);
	int rc = 0;
	struct sigkey_public keys[SIGKEYS_MAX];
	int n = 0;
	if (st == ST_OK)
		st = svc_sigkeys_public(&ctx, keys, &n);
	if (st == ST_OK && n > 0) {
		json_t *o = json_object();
		json_object_set_new(o, "kid", json_string(keys[0].kid));
		json_object_set_new(o, "rotated", json_boolean(rotated));
		print_json(o);
		json_decref(o);
	} else {
		fprintf(stderr, "saasd: cannot rotate the signing key: %s\n", status_message(st));
		rc = 1;
	}
	arena_destroy(&a);
	app_close(app);
	return rc;
}

static const char *auth_name(enum auth_kind k)
{
	switch (k) {
	case AUTH_NONE:
		return "none";
	case AUTH_ADMIN:
		return "admin";
	case AUTH_KEY:
		return "key";
	case AUTH_SYSTEM:
		return "system";
	case AUTH_SESSION:
		return "session";
	case AUTH_UNSET:
		break;
	}
	return "unset";
}

static json_t *json_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* The key kinds that may call a tenant-key route; [] when it takes none. */
static json_t *key_names(const struct route *r)
{
	json_t *list = json_array();
	if (r->auth != AUTH_KEY && r->auth != AUTH_SYSTEM && r->auth != AUTH_SESSION)
		return list;
	if (router_keys(r) & KEYS_SECRET)
		json_array_append_new(list, json_string("secret"));
	if (router_keys(r) & KEYS_PUBLISHABLE)
		json_array_append_new(list, json_string("publishable"));
	if (router_keys(r) & KEYS_PUBLISHABLE_SESSION)
		json_array_append_new(list, json_string("publishable_session"));
	return list;
}

/* The route table as data, for tests that must cover every route: every
 * field the pipeline reads. */
static int cmd_routes(void)
{
	json_t *list = json_array();
	for (size_t i = 0; i < routes_count; i++) {
		json_t *r = json_object();
		json_object_set_new(r, "method", json_string(routes[i].method));
		json_object_set_new(r, "path", json_string(routes[i].pattern));
		json_object_set_new(r, "auth", json_string(auth_name(routes[i].auth)));
		json_object_set_new(r, "keys", key_names(&routes[i]));
		json_object_set_new(r, "permission", json_or_null(routes[i].permission));
		json_object_set_new(r, "action", json_or_null(routes[i].action));
		json_object_set_new(r, "offload", json_boolean(routes[i].offload));
		json_object_set_new(r, "read_only", json_boolean(router_read_only(&routes[i])));
		json_object_set_new(r, "max_body",
				    json_integer(routes[i].max_body > BODY_MAX
							 ? (json_int_t)routes[i].max_body
							 : BODY_MAX));
		json_array_append_new(list, r);
	}
	print_json(list);
	json_decref(list);
	return 0;
}

static bool is_help(const char *a)
{
	return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

static void tenant_usage(FILE *out)
{
	fprintf(out, "Usage: saasd tenant create --name NAME [--flags]\n\n"
		     "  create --name N   create a tenant; prints its JSON and first API key\n");
}

static const char *const no_flags[] = {NULL};
static const char *const tenant_create_flags[] = {"--name", NULL};

/* The arguments after a command: --help or -h prints help (exit 0); else
 * each must be one of flags (exit 2 otherwise). -1: go on with the command. */
static int check_args(const char *cmd, char **args, int n, const char *const *flags,
		      void (*help)(FILE *))
{
	for (int i = 0; i < n; i++) {
		if (is_help(args[i])) {
			help(stdout);
			return 0;
		}
	}
	char err[256];
	if (config_check_args(args, n, flags, err, sizeof err))
		return -1;
	fprintf(stderr, "saasd %s: %s\n", cmd, err);
	return 2;
}

/* A flag before the command that config_load did not take is nobody's. */
static int unknown_leading_flag(const char *flag)
{
	static const char *const extra[] = {"--help", "--version", NULL};
	char err[256];
	config_unknown_flag(flag, extra, err, sizeof err);
	fprintf(stderr, "saasd: %s\n", err);
	return 2;
}

/* The command line, checked: which command to run; CMD_NONE: exit with *rc
 * (help, version, or a refused command line, already answered). */
enum command {
	CMD_NONE,
	CMD_SERVE,
	CMD_WORKER,
	CMD_MIGRATE,
	CMD_ROUTES,
	CMD_TENANT_CREATE,
	CMD_SIGNING_KEY_ROTATE
};

static bool is_help(const char *a);

static void signing_key_usage(FILE *out)
{
	fprintf(out, "Usage: saasd signing-key rotate\n\n"
		     "Makes a new current signing key for access tokens. The previous key stays\n"
		     "in the JWKS until the tokens it signed have expired.\n");
}

static enum command parse_signing_key(char **args, int nargs, int *rc)
{
	static const char *const none[] = {NULL};
	const char *sub = nargs > 0 ? args[0] : NULL;
	if (sub != NULL && strcmp(sub, "rotate") == 0) {
		*rc = check_args("signing-key rotate", args + 1, nargs - 1, none,
				 signing_key_usage);
		return *rc < 0 ? CMD_SIGNING_KEY_ROTATE : CMD_NONE;
	}
	if (sub != NULL && is_help(sub)) {
		signing_key_usage(stdout);
		*rc = 0;
		return CMD_NONE;
	}
	if (sub != NULL)
		fprintf(stderr, "saasd: unknown signing-key command '%.64s'\n\n", sub);
	signing_key_usage(stderr);
	*rc = 2;
	return CMD_NONE;
}

static enum command parse_tenant(char **args, int nargs, int *rc)
{
	const char *sub = nargs > 0 ? args[0] : NULL;
	if (sub != NULL && strcmp(sub, "create") == 0) {
		*rc = check_args("tenant create", args + 1, nargs - 1, tenant_create_flags,
				 tenant_usage);
		return *rc < 0 ? CMD_TENANT_CREATE : CMD_NONE;
	}
	if (sub != NULL && is_help(sub)) {
		tenant_usage(stdout);
		*rc = 0;
		return CMD_NONE;
	}
	/* `saasd tenant` alone prints its usage, as `saasd` alone does */
	if (sub != NULL)
		fprintf(stderr, "saasd: unknown tenant command '%.64s'\n\n", sub);
	tenant_usage(stderr);
	*rc = 2;
	return CMD_NONE;
}

static enum command parse_command(char **rest, int nrest, int *rc)
{
	const char *cmd = nrest > 0 ? rest[0] : NULL;
	if (cmd == NULL) {
		usage(stderr);
		*rc = 2;
		return CMD_NONE;
	}
	char **args = rest + 1;
	int nargs = nrest - 1;
	if (is_help(cmd) || strcmp(cmd, "help") == 0) {
		*rc = check_args(cmd, args, nargs, no_flags, usage);
		if (*rc < 0) {
			usage(stdout);
			*rc = 0;
		}
		return CMD_NONE;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		*rc = check_args(cmd, args, nargs, no_flags, usage);
		if (*rc < 0) {
			printf("saasd %s\n", SAASD_VERSION);
			*rc = 0;
		}
		return CMD_NONE;
	}
	if (cmd[0] == '-') {
		*rc = unknown_leading_flag(cmd);
		return CMD_NONE;
	}
	static const struct {
		const char *name;
		enum command command;
	} plain[] = {{"serve", CMD_SERVE},
		     {"worker", CMD_WORKER},
		     {"migrate", CMD_MIGRATE},
		     {"routes", CMD_ROUTES}};
	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
		if (strcmp(cmd, plain[i].name) == 0) {
			*rc = check_args(cmd, args, nargs, no_flags, usage);
			return *rc < 0 ? plain[i].command : CMD_NONE;
		}
	}
	if (strcmp(cmd, "tenant") == 0)
		return parse_tenant(args, nargs, rc);
	if (strcmp(cmd, "signing-key") == 0)
		return parse_signing_key(args, nargs, rc);
	fprintf(stderr, "saasd: unknown command '%.64s'\n\n", cmd);
	usage(stderr);
	*rc = 2;
	return CMD_NONE;
}

int main(int argc, char **argv)
{
	static char *rest[256];
	int nrest = 0;
	char err[512] = "";
	static struct app app;
	if (argc > 250) {
		fprintf(stderr, "saasd: too many arguments\n");
		return 2;
	}
	if (!config_load(&app.cfg, argc, argv, rest, &nrest, err, sizeof err)) {
		fprintf(stderr, "saasd: %s\n", err);
		return 2;
	}
	int rc = 0;
	enum command cmd = parse_command(rest, nrest, &rc);
	if (cmd == CMD_NONE)
		return rc;
	if (cmd == CMD_ROUTES)
		return cmd_routes();
	if (!config_check_production(&app.cfg, err, sizeof err)) {
		fprintf(stderr, "saasd: refusing to start: %s\n", err);
		return 2;
	}
	if (!sec_init()) {
		fprintf(stderr, "saasd: libsodium failed to initialise\n");
		return 1;
	}
	switch (cmd) {
	case CMD_SERVE:
		return cmd_serve(&app, true);
	case CMD_WORKER:
		return cmd_serve(&app, false);
	case CMD_MIGRATE:
		return cmd_migrate(&app);
	case CMD_TENANT_CREATE:
		return cmd_tenant_create(&app, nrest - 2, rest + 2);
	case CMD_SIGNING_KEY_ROTATE:
		return cmd_signing_key_rotate(&app);
	case CMD_ROUTES:
	case CMD_NONE:
		break;
	}
	return rc;
}
