/*
 * test_config.c: unit tests for src/core/config.c. Pins down the defaults,
 * the priority order (defaults < .env file < environment < --flags), flag
 * forms and pass-through of other arguments, range and enum validation, the
 * .env reader, booleans (WEBHOOK_ALLOW_PRIVATE and its per-environment
 * default), SESSION_EXPIRATION's floor (1 s in development with a warning,
 * 60 s in production), the command-argument check with its edit-distance
 * "did you mean" hint, and the production secret checks. The test runs in its own
 * temporary directory (so a developer's ./.env cannot leak in) and unsets
 * every setting's variable before and after each test.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "seeded.h"
#include "core/config.h"

static const char *const vars[] = {
	"DATABASE_URL",
	"HOST",
	"PORT",
	"JWT_SECRET",
	"EMAIL_PROVIDER",
	"EMAIL_FROM",
	"SMTP_URL",
	"RESEND_API_KEY",
	"RESEND_API_URL",
	"BCRYPT_WORK_FACTOR",
	"SESSION_EXPIRATION",
	"RATE_LIMIT_PER_MINUTE",
	"REDIS_URL",
	"ADMIN_TOKEN",
	"METRICS_TOKEN",
	"ENVIRONMENT",
	"THREADS",
	"SHUTDOWN_TIMEOUT",
	"WEBHOOK_ALLOW_PRIVATE",
	"ENV_FILE",
	"MAX_TENANT_RATE_LIMIT",
	"MAX_CONNECTIONS",
	"MAX_CONNECTIONS_PER_IP",
	"HEADER_TIMEOUT",
	NULL,
};

static char tmpdir[256];

static void clean_env(void)
{
	for (int i = 0; vars[i]; i++)
		unsetenv(vars[i]);
	unlink(".env");
}

static struct config cfg;
static char err[512];
static char *rest[32];
static int nrest;

/* Load with argv = {"saasd", args..., NULL}. */
static bool load_args(char **args)
{
	char *argv[32] = {"saasd"};
	int argc = 1;
	while (args != NULL && args[argc - 1] != NULL && argc < 31) {
		argv[argc] = args[argc - 1];
		argc++;
	}
	argv[argc] = NULL;
	err[0] = '\0';
	memset(rest, 0, sizeof rest);
	return config_load(&cfg, argc, argv, rest, &nrest, err, sizeof err);
}

static bool load(void)
{
	return load_args(NULL);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
}

TEST(test_config_defaults_without_env_or_flags)
{
	clean_env();
	CHECK(load());
	CHECK_STR(err, "");
	CHECK(cfg.port == 8787);
	CHECK_STR(cfg.database_url, "sqlite:data/saasd.db");
	CHECK_STR(cfg.host, "127.0.0.1");
	CHECK_STR(cfg.environment, "development");
	CHECK(!config_is_production(&cfg));
	CHECK(cfg.bcrypt_work_factor == 10);
	CHECK_STR(cfg.email_provider, "log");
	CHECK_STR(cfg.email_from, "saasd <no-reply@localhost>");
	CHECK_STR(cfg.resend_api_url, "https://api.resend.com");
	CHECK(cfg.session_expiration == 604800);
	CHECK(cfg.rate_limit_per_minute == 1000);
	CHECK(cfg.max_tenant_rate_limit == 100000);
	CHECK(cfg.threads == 0);
	CHECK(cfg.shutdown_timeout == 10);
	CHECK(cfg.max_connections == 8192);
	CHECK(cfg.max_connections_per_ip == 256);
	CHECK(cfg.header_timeout == 10);
	CHECK(config_webhook_allow_private(&cfg));
	CHECK_STR(cfg.jwt_secret, "");
	CHECK_STR(cfg.admin_token, "");
	CHECK(nrest == 0);
	clean_env();
}

TEST(test_config_production_default_bcrypt_is_12)
{
	clean_env();
	setenv("ENVIRONMENT", "production", 1);
	CHECK(load());
	CHECK(config_is_production(&cfg));
	CHECK(cfg.bcrypt_work_factor == 12);
	clean_env();
}

TEST(test_config_explicit_bcrypt_wins_over_environment_default)
{
	clean_env();
	setenv("BCRYPT_WORK_FACTOR", "4", 1);
	CHECK(load());
	CHECK(cfg.bcrypt_work_factor == 4);
	setenv("ENVIRONMENT", "production", 1);
	setenv("BCRYPT_WORK_FACTOR", "11", 1);
	CHECK(load());
	CHECK(cfg.bcrypt_work_factor == 11);
	clean_env();
}

TEST(test_config_production_refuses_bcrypt_below_10)
{
	clean_env();
	setenv("ENVIRONMENT", "production", 1);
	setenv("BCRYPT_WORK_FACTOR", "9", 1);
	CHECK(!load());
	CHECK(strstr(err, "BCRYPT_WORK_FACTOR") != NULL);
	clean_env();
}

TEST(test_config_environment_variables_override_defaults)
{
	clean_env();
	setenv("PORT", "9000", 1);
	setenv("HOST", "0.0.0.0", 1);
	setenv("DATABASE_URL", "postgres://u@localhost/saasd", 1);
	setenv("SESSION_EXPIRATION", "3600", 1);
	setenv("RATE_LIMIT_PER_MINUTE", "100000000", 1);
	setenv("MAX_TENANT_RATE_LIMIT", "5000", 1);
	setenv("THREADS", "256", 1);
	setenv("SHUTDOWN_TIMEOUT", "30", 1);
	setenv("MAX_CONNECTIONS", "60000", 1);
	setenv("MAX_CONNECTIONS_PER_IP", "1000000", 1);
	setenv("HEADER_TIMEOUT", "1", 1);
	setenv("EMAIL_PROVIDER", "resend", 1);
	setenv("ADMIN_TOKEN", "tok", 1);
	CHECK(load());
	CHECK(cfg.port == 9000);
	CHECK_STR(cfg.host, "0.0.0.0");
	CHECK_STR(cfg.database_url, "postgres://u@localhost/saasd");
	CHECK(cfg.session_expiration == 3600);
	CHECK(cfg.rate_limit_per_minute == 100000000);
	CHECK(cfg.max_tenant_rate_limit == 5000);
	CHECK(cfg.threads == 256);
	CHECK(cfg.shutdown_timeout == 30);
	CHECK(cfg.max_connections == 60000);
	CHECK(cfg.max_connections_per_ip == 1000000);
	CHECK(cfg.header_timeout == 1);
	CHECK_STR(cfg.email_provider, "resend");
	CHECK_STR(cfg.admin_token, "tok");
	clean_env();
}

TEST(test_config_flag_with_separate_value_overrides_env)
{
	clean_env();
	setenv("PORT", "9000", 1);
	char *args[] = {"--port", "9100", "--database-url", "sqlite:/tmp/x.db", NULL};
	CHECK(load_args(args));
	CHECK(cfg.port == 9100);
	CHECK_STR(cfg.database_url, "sqlite:/tmp/x.db");
	CHECK(nrest == 0);
	clean_env();
}

TEST(test_config_flag_with_equals_value_overrides_env)
{
	clean_env();
	setenv("PORT", "9000", 1);
	setenv("EMAIL_PROVIDER", "smtp", 1);
	char *args[] = {"--port=9200", "--email-provider=log", "--rate-limit-per-minute=5", NULL};
	CHECK(load_args(args));
	CHECK(cfg.port == 9200);
	CHECK_STR(cfg.email_provider, "log");
	CHECK(cfg.rate_limit_per_minute == 5);
	clean_env();
}

TEST(test_config_last_flag_wins_when_repeated)
{
	clean_env();
	char *args[] = {"--port", "1000", "--port=2000", NULL};
	CHECK(load_args(args));
	CHECK(cfg.port == 2000);
	clean_env();
}

TEST(test_config_equals_flag_keeps_equals_signs_in_value)
{
	clean_env();
	char *args[] = {"--database-url=postgres://h/db?sslmode=require&a=b", NULL};
	CHECK(load_args(args));
	CHECK_STR(cfg.database_url, "postgres://h/db?sslmode=require&a=b");
	clean_env();
}

TEST(test_config_unknown_args_pass_through_in_order)
{
	clean_env();
	char *args[] = {"serve",      "--port", "8000",        "--verbose", "extra",
			"--host=::1", "-x",     "--unknown=1", NULL};
	CHECK(load_args(args));
	CHECK(cfg.port == 8000);
	CHECK_STR(cfg.host, "::1");
	CHECK(nrest == 5);
	CHECK_STR(rest[0], "serve");
	CHECK_STR(rest[1], "--verbose");
	CHECK_STR(rest[2], "extra");
	CHECK_STR(rest[3], "-x");
	CHECK_STR(rest[4], "--unknown=1");
	clean_env();
}

TEST(test_config_unknown_equals_flag_is_passed_through_whole)
{
	clean_env();
	char *args[] = {"migrate", "--dry-run=yes", NULL};
	CHECK(load_args(args));
	CHECK(nrest == 2);
	CHECK_STR(rest[0], "migrate");
	CHECK_STR(rest[1], "--dry-run=yes");
	clean_env();
}

TEST(test_config_flag_without_value_is_refused)
{
	clean_env();
	char *args[] = {"serve", "--port", NULL};
	CHECK(!load_args(args));
	CHECK(strstr(err, "--port") != NULL);
	CHECK(strstr(err, "needs a value") != NULL);
	clean_env();
}

static void expect_refused(const char *var, const char *value, const char *needle)
{
	clean_env();
	setenv(var, value, 1);
	bool ok = load();
	CHECK(!ok);
	CHECK(err[0] != '\0');
	if (strstr(err, needle) == NULL)
		fprintf(stderr, "  %s=%s: message \"%s\" lacks \"%s\"\n", var, value, err, needle);
	CHECK(strstr(err, needle) != NULL);
	clean_env();
}

TEST(test_config_out_of_range_ints_are_refused_with_message)
{
	expect_refused("PORT", "0", "PORT must be an integer in 1..65535");
	expect_refused("PORT", "65536", "PORT must be an integer in 1..65535");
	expect_refused("PORT", "-1", "PORT");
	expect_refused("BCRYPT_WORK_FACTOR", "3", "BCRYPT_WORK_FACTOR must be an integer in 4..31");
	expect_refused("BCRYPT_WORK_FACTOR", "32", "BCRYPT_WORK_FACTOR");
	expect_refused("THREADS", "257", "THREADS must be an integer in 0..256");
	expect_refused("SHUTDOWN_TIMEOUT", "3601",
		       "SHUTDOWN_TIMEOUT must be an integer in 0..3600");
	expect_refused("SHUTDOWN_TIMEOUT", "-1", "SHUTDOWN_TIMEOUT");
	expect_refused("SESSION_EXPIRATION", "0", "SESSION_EXPIRATION must be an integer in 1..");
	expect_refused("MAX_CONNECTIONS", "0", "MAX_CONNECTIONS must be an integer in 1..1000000");
	expect_refused("MAX_CONNECTIONS", "1000001", "MAX_CONNECTIONS");
	expect_refused("MAX_CONNECTIONS_PER_IP", "0",
		       "MAX_CONNECTIONS_PER_IP must be an integer in 1..1000000");
	expect_refused("MAX_CONNECTIONS_PER_IP", "-5", "MAX_CONNECTIONS_PER_IP");
	expect_refused("HEADER_TIMEOUT", "0", "HEADER_TIMEOUT must be an integer in 1..3600");
	expect_refused("HEADER_TIMEOUT", "3601", "HEADER_TIMEOUT");
	expect_refused("SESSION_EXPIRATION", "31536001", "SESSION_EXPIRATION");
	expect_refused("RATE_LIMIT_PER_MINUTE", "0", "RATE_LIMIT_PER_MINUTE");
	expect_refused("MAX_TENANT_RATE_LIMIT", "0",
		       "MAX_TENANT_RATE_LIMIT must be an integer in 1..100000000");
	expect_refused("MAX_TENANT_RATE_LIMIT", "100000001", "MAX_TENANT_RATE_LIMIT");
	/* long overflow is ERANGE, not a wrapped value */
	expect_refused("RATE_LIMIT_PER_MINUTE", "99999999999999999999999", "RATE_LIMIT_PER_MINUTE");
	/* an int setting must not wrap either: 2^32 + 8080 */
	expect_refused("PORT", "4294975376", "PORT");
}

TEST(test_config_non_numeric_ints_are_refused_with_message)
{
	expect_refused("PORT", "", "PORT must be an integer");
	expect_refused("PORT", "abc", "(got \"abc\")");
	expect_refused("PORT", "80x", "PORT");
	expect_refused("PORT", "8080 ", "PORT");
	expect_refused("THREADS", "1.5", "THREADS");
}

TEST(test_config_out_of_range_flag_is_refused)
{
	clean_env();
	char *args[] = {"--port=70000", NULL};
	CHECK(!load_args(args));
	CHECK(strstr(err, "PORT") != NULL);
	clean_env();
}

TEST(test_config_range_bounds_are_inclusive)
{
	clean_env();
	setenv("PORT", "1", 1);
	setenv("BCRYPT_WORK_FACTOR", "31", 1);
	setenv("SESSION_EXPIRATION", "1", 1);
	CHECK(load());
	CHECK(cfg.port == 1 && cfg.bcrypt_work_factor == 31 && cfg.session_expiration == 1);
	setenv("PORT", "65535", 1);
	setenv("SESSION_EXPIRATION", "31536000", 1);
	CHECK(load());
	CHECK(cfg.port == 65535 && cfg.session_expiration == 31536000);
	clean_env();
}

TEST(test_config_webhook_allow_private_defaults_to_deny_outside_development)
{
	clean_env();
	setenv("ENVIRONMENT", "production", 1);
	CHECK(load());
	CHECK(!config_webhook_allow_private(&cfg));
	clean_env();
	/* a zeroed struct (never loaded) denies too */
	struct config zero;
	memset(&zero, 0, sizeof zero);
	CHECK(!config_webhook_allow_private(&zero));
}

TEST(test_config_explicit_webhook_allow_private_wins_either_way)
{
	static const char *const yes[] = {"true", "TRUE", "1", "yes", "on"};
	static const char *const no[] = {"false", "False", "0", "no", "off"};
	for (int i = 0; i < 5; i++) {
		clean_env();
		setenv("ENVIRONMENT", "production", 1);
		setenv("WEBHOOK_ALLOW_PRIVATE", yes[i], 1);
		CHECK(load());
		CHECK(config_webhook_allow_private(&cfg));
		setenv("ENVIRONMENT", "development", 1);
		setenv("WEBHOOK_ALLOW_PRIVATE", no[i], 1);
		CHECK(load());
		CHECK(!config_webhook_allow_private(&cfg));
	}
	clean_env();
	char *args[] = {"--webhook-allow-private=false", "serve", NULL};
	CHECK(load_args(args));
	CHECK(!config_webhook_allow_private(&cfg));
	CHECK(nrest == 1 && rest[0] != NULL && strcmp(rest[0], "serve") == 0);
	clean_env();
}

TEST(test_config_bad_booleans_are_refused_with_message)
{
	expect_refused("WEBHOOK_ALLOW_PRIVATE", "maybe",
		       "WEBHOOK_ALLOW_PRIVATE must be true or false (got \"maybe\")");
	expect_refused("WEBHOOK_ALLOW_PRIVATE", "", "WEBHOOK_ALLOW_PRIVATE");
	expect_refused("WEBHOOK_ALLOW_PRIVATE", "2", "WEBHOOK_ALLOW_PRIVATE");
	expect_refused("WEBHOOK_ALLOW_PRIVATE", "true ", "WEBHOOK_ALLOW_PRIVATE");
}

TEST(test_config_bad_environment_is_refused)
{
	expect_refused("ENVIRONMENT", "staging", "ENVIRONMENT");
	expect_refused("ENVIRONMENT", "Production", "ENVIRONMENT");
	expect_refused("ENVIRONMENT", "", "ENVIRONMENT");
	/* only the exact word counts; "p..." must not be read as production */
	expect_refused("ENVIRONMENT", "prod", "ENVIRONMENT");
}

TEST(test_config_bad_email_provider_is_refused)
{
	expect_refused("EMAIL_PROVIDER", "sendgrid", "EMAIL_PROVIDER");
	expect_refused("EMAIL_PROVIDER", "LOG", "EMAIL_PROVIDER");
	expect_refused("EMAIL_PROVIDER", "", "EMAIL_PROVIDER");
}

TEST(test_config_bad_database_url_is_refused)
{
	expect_refused("DATABASE_URL", "mysql://localhost/db", "DATABASE_URL");
	expect_refused("DATABASE_URL", "data/saasd.db", "DATABASE_URL");
	expect_refused("DATABASE_URL", "", "DATABASE_URL");
	expect_refused("DATABASE_URL", "postgres:/x", "DATABASE_URL");
}

TEST(test_config_postgresql_scheme_is_accepted)
{
	clean_env();
	setenv("DATABASE_URL", "postgresql://localhost/db", 1);
	CHECK(load());
	setenv("DATABASE_URL", "sqlite::memory:", 1);
	CHECK(load());
	clean_env();
}

TEST(test_config_too_long_string_is_refused)
{
	char big[400];
	memset(big, 'h', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	expect_refused("HOST", big, "HOST is too long (max 255 bytes)");
	/* exactly the max fits */
	clean_env();
	big[255] = '\0';
	setenv("HOST", big, 1);
	CHECK(load());
	CHECK(strlen(cfg.host) == 255);
	clean_env();
}

TEST(test_config_env_file_is_read_with_quotes_comments_and_export)
{
	clean_env();
	write_file("app.env", "# a comment line\n"
			      "\n"
			      "   # indented comment\n"
			      "PORT=9300\n"
			      "export HOST=10.0.0.1\n"
			      "DATABASE_URL = \"sqlite:/var/lib/saasd.db\"  \n"
			      "EMAIL_FROM='Team <team@example.com>'\n"
			      "ADMIN_TOKEN=\"a # not a comment\"\n"
			      "METRICS_TOKEN=mt\r\n"
			      "SMTP_URL=\"unbalanced\n"
			      "NOT_A_SETTING=whatever\n"
			      "line without equals sign\n"
			      "\tRATE_LIMIT_PER_MINUTE=77\n");
	setenv("ENV_FILE", "app.env", 1);
	CHECK(load());
	CHECK_STR(err, "");
	CHECK(cfg.port == 9300);
	CHECK_STR(cfg.host, "10.0.0.1");
	CHECK_STR(cfg.database_url, "sqlite:/var/lib/saasd.db");
	CHECK_STR(cfg.email_from, "Team <team@example.com>");
	CHECK_STR(cfg.admin_token, "a # not a comment");
	CHECK_STR(cfg.metrics_token, "mt");
	CHECK_STR(cfg.smtp_url, "\"unbalanced");
	CHECK(cfg.rate_limit_per_minute == 77);
	CHECK(getenv("NOT_A_SETTING") == NULL); /* the file never sets env vars */
	unlink("app.env");
	clean_env();
}

TEST(test_config_real_env_wins_over_env_file)
{
	clean_env();
	write_file("wins.env", "PORT=9300\nHOST=10.0.0.1\n");
	setenv("ENV_FILE", "wins.env", 1);
	setenv("PORT", "9400", 1);
	CHECK(load());
	CHECK(cfg.port == 9400);
	CHECK_STR(cfg.host, "10.0.0.1");
	unlink("wins.env");
	clean_env();
}

TEST(test_config_real_env_wins_even_when_file_value_is_invalid)
{
	/* a bad value in the file is never applied when the env overrides it */
	clean_env();
	write_file("bad.env", "PORT=not-a-port\n");
	setenv("ENV_FILE", "bad.env", 1);
	setenv("PORT", "9401", 1);
	CHECK(load());
	CHECK(cfg.port == 9401);
	unlink("bad.env");
	clean_env();
}

TEST(test_config_flag_wins_over_env_file)
{
	clean_env();
	write_file("flag.env", "PORT=9300\n");
	char *args[] = {"--env-file", "flag.env", "--port=9500", NULL};
	CHECK(load_args(args));
	CHECK(cfg.port == 9500);
	unlink("flag.env");
	clean_env();
}

TEST(test_config_env_file_flag_selects_the_file)
{
	clean_env();
	write_file("one.env", "PORT=9601\n");
	write_file("two.env", "PORT=9602\n");
	setenv("ENV_FILE", "one.env", 1);
	char *args[] = {"--env-file=two.env", NULL};
	CHECK(load_args(args));
	CHECK(cfg.port == 9602);
	unlink("one.env");
	unlink("two.env");
	clean_env();
}

TEST(test_config_default_dot_env_is_read_when_present)
{
	clean_env();
	write_file(".env", "PORT=9700\n");
	CHECK(load());
	CHECK(cfg.port == 9700);
	clean_env();
}

TEST(test_config_missing_env_file_named_explicitly_is_refused)
{
	clean_env();
	setenv("ENV_FILE", "does-not-exist.env", 1);
	CHECK(!load());
	CHECK(strstr(err, "does-not-exist.env") != NULL);
	clean_env();
}

TEST(test_config_bad_value_in_env_file_reports_path_and_line)
{
	clean_env();
	write_file("line.env", "# comment\nHOST=h\nPORT=99999\n");
	setenv("ENV_FILE", "line.env", 1);
	CHECK(!load());
	CHECK(strstr(err, "PORT") != NULL);
	CHECK(strstr(err, "line.env:3") != NULL);
	unlink("line.env");
	clean_env();
}

TEST(test_config_short_session_expiration_is_allowed_in_development_with_a_warning)
{
	clean_env();
	CHECK(load());
	CHECK(config_warning(&cfg) == NULL); /* the default warns of nothing */
	setenv("SESSION_EXPIRATION", "2", 1);
	CHECK(load());
	CHECK(cfg.session_expiration == 2);
	const char *w = config_warning(&cfg);
	CHECK(w != NULL && strstr(w, "SESSION_EXPIRATION") != NULL);
	setenv("SESSION_EXPIRATION", "59", 1);
	CHECK(load());
	CHECK(config_warning(&cfg) != NULL);
	setenv("SESSION_EXPIRATION", "60", 1);
	CHECK(load());
	CHECK(config_warning(&cfg) == NULL);
	clean_env();
	char *args[] = {"--session-expiration=1", NULL};
	CHECK(load_args(args));
	CHECK(cfg.session_expiration == 1 && config_warning(&cfg) != NULL);
	clean_env();
}

TEST(test_config_production_keeps_the_60_second_session_floor)
{
	clean_env();
	setenv("ENVIRONMENT", "production", 1);
	setenv("SESSION_EXPIRATION", "59", 1);
	CHECK(!load());
	CHECK(strstr(err, "SESSION_EXPIRATION below 60 is refused in production") != NULL);
	setenv("SESSION_EXPIRATION", "1", 1);
	CHECK(!load());
	setenv("SESSION_EXPIRATION", "60", 1);
	CHECK(load());
	CHECK(cfg.session_expiration == 60 && config_warning(&cfg) == NULL);
	clean_env();
}

TEST(test_config_edit_distance_counts_edits_and_swaps)
{
	CHECK(config_edit_distance("", "") == 0);
	CHECK(config_edit_distance("port", "port") == 0);
	CHECK(config_edit_distance("PORT", "port") == 0); /* case-insensitive */
	CHECK(config_edit_distance("prot", "port") == 1); /* one swap of neighbours */
	CHECK(config_edit_distance("por", "port") == 1);
	CHECK(config_edit_distance("poort", "port") == 1);
	CHECK(config_edit_distance("pert", "port") == 1);
	CHECK(config_edit_distance("", "port") == 4);
	CHECK(config_edit_distance("port", "") == 4);
	CHECK(config_edit_distance("host", "port") == 2);
	CHECK(config_edit_distance("kitten", "sitting") == 3);
	CHECK(config_edit_distance("ca", "abc") == 3); /* OSA, not full Damerau (2) */
	CHECK(config_edit_distance("databse-url", "database-url") == 1);
	char big[80];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	CHECK(config_edit_distance(big, "a") == SIZE_MAX);
	big[64] = '\0'; /* 64 bytes is still measured */
	CHECK(config_edit_distance(big, big) == 0);
}

static void random_word(char *w, size_t *len)
{
	*len = (size_t)rng_range(0, 10);
	for (size_t i = 0; i < *len; i++)
		w[i] = (char)('a' + rng_range(0, 3)); /* few letters: many near pairs */
	w[*len] = '\0';
}

TEST(test_config_edit_distance_is_symmetric_and_bounded_on_random_words)
{
	/* property: d(a,b) == d(b,a), d <= the longer length, d == 0 only for
	 * equal words, and swapping two different neighbours costs 1 */
	uint64_t seed = seeded_start(0xED17ull);
	for (int n = 0; n < 500; n++) {
		char a[12], b[12];
		size_t la, lb;
		random_word(a, &la);
		random_word(b, &lb);
		size_t d = config_edit_distance(a, b), longer = la > lb ? la : lb;
		bool ok = d == config_edit_distance(b, a) && d <= longer &&
			  (d == 0) == (strcmp(a, b) == 0);
		if (la >= 2 && a[0] != a[1]) {
			char sw[12];
			memcpy(sw, a, la + 1);
			sw[0] = a[1];
			sw[1] = a[0];
			ok = ok && config_edit_distance(a, sw) == 1;
		}
		if (!ok)
			fprintf(stderr, "  case %d (SAASD_TEST_SEED=%llu): \"%s\" \"%s\" -> %zu\n",
				n, (unsigned long long)seed, a, b, d);
		CHECK(ok);
	}
}

TEST(test_config_suggest_flag_names_the_near_setting_or_extra_flag)
{
	char out[80];
	CHECK(config_suggest_flag("--prot=9250", NULL, out, sizeof out));
	CHECK_STR(out, "--port");
	CHECK(config_suggest_flag("--prot", NULL, out, sizeof out));
	CHECK_STR(out, "--port");
	CHECK(config_suggest_flag("-port", NULL, out, sizeof out)); /* one dash */
	CHECK_STR(out, "--port");
	CHECK(config_suggest_flag("--databse-url", NULL, out, sizeof out));
	CHECK_STR(out, "--database-url");
	CHECK(config_suggest_flag("--admin-tokn", NULL, out, sizeof out));
	CHECK_STR(out, "--admin-token");
	CHECK(config_suggest_flag("--sesion-expiration=5", NULL, out, sizeof out));
	CHECK_STR(out, "--session-expiration");
	const char *const extra[] = {"--name", "--help", NULL};
	CHECK(config_suggest_flag("--nmae", extra, out, sizeof out));
	CHECK_STR(out, "--name");
	CHECK(config_suggest_flag("--hlep", extra, out, sizeof out));
	CHECK_STR(out, "--help");
	/* nothing near: no hint, out emptied */
	CHECK(!config_suggest_flag("--verbose", extra, out, sizeof out));
	CHECK_STR(out, "");
	CHECK(!config_suggest_flag("--x", extra, out, sizeof out));
	CHECK(!config_suggest_flag("--po", NULL, out, sizeof out)); /* 2 edits in 2 letters */
	CHECK(!config_suggest_flag("--", NULL, out, sizeof out));
	CHECK(!config_suggest_flag("-", NULL, out, sizeof out));
	CHECK(!config_suggest_flag("--=1", NULL, out, sizeof out));
	char big[200];
	memset(big, 'p', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	CHECK(!config_suggest_flag(big, NULL, out, sizeof out));
}

static bool check_args_of(char **args, const char *const *flags)
{
	int n = 0;
	while (args[n] != NULL)
		n++;
	err[0] = '\0';
	return config_check_args(args, n, flags, err, sizeof err);
}

TEST(test_config_check_args_refuses_unknown_flags_and_stray_words)
{
	const char *const none[] = {NULL};
	const char *const name[] = {"--name", NULL};
	char *empty[] = {NULL};
	CHECK(check_args_of(empty, none));
	char *typo[] = {"--prot=9250", NULL};
	CHECK(!check_args_of(typo, none));
	CHECK(strstr(err, "unknown flag '--prot'") != NULL);
	CHECK(strstr(err, "did you mean --port?") != NULL);
	CHECK(strstr(err, "9250") == NULL); /* the value is never echoed */
	char *secret[] = {"--jwt-secrte=hunter2-very-secret", NULL};
	CHECK(!check_args_of(secret, none));
	CHECK(strstr(err, "'--jwt-secrte'") != NULL && strstr(err, "did you mean --jwt-secret?"));
	CHECK(strstr(err, "hunter2") == NULL);
	char *far[] = {"--verbose", NULL};
	CHECK(!check_args_of(far, none));
	CHECK(strstr(err, "unknown flag '--verbose'") != NULL &&
	      strstr(err, "did you mean") == NULL);
	char *far_eq[] = {"--dry-run=yes", NULL};
	CHECK(!check_args_of(far_eq, none));
	CHECK(strstr(err, "unknown flag '--dry-run' (saasd --help lists them)") != NULL);
	char *dash[] = {"-x", NULL};
	CHECK(!check_args_of(dash, none));
	CHECK(strstr(err, "'-x'") != NULL);
	char *word[] = {"extra", NULL};
	CHECK(!check_args_of(word, none));
	CHECK(strstr(err, "unexpected argument 'extra'") != NULL);
	char *lone_dash[] = {"-", NULL};
	CHECK(!check_args_of(lone_dash, none));
	/* a command's own flag, with its value either way */
	char *named[] = {"--name", "Acme", NULL};
	CHECK(check_args_of(named, name));
	char *named_eq[] = {"--name=Acme Co", NULL};
	CHECK(check_args_of(named_eq, name));
	char *dash_value[] = {"--name", "--not-a-flag", NULL}; /* the value, not a flag */
	CHECK(check_args_of(dash_value, name));
	char *no_value[] = {"--name", NULL};
	CHECK(!check_args_of(no_value, name));
	CHECK(strstr(err, "--name needs a value") != NULL);
	char *prefix[] = {"--namex=1", NULL}; /* a longer flag is another flag */
	CHECK(!check_args_of(prefix, name));
	CHECK(strstr(err, "did you mean --name?") != NULL);
	char *then[] = {"--name", "A", "--nmae", "B", NULL};
	CHECK(!check_args_of(then, name));
	CHECK(strstr(err, "'--nmae'") != NULL && strstr(err, "did you mean --name?") != NULL);
	char *not_here[] = {"--name=x", NULL}; /* --name belongs to tenant create only */
	CHECK(!check_args_of(not_here, none));
	/* a hostile length is cut in the message */
	char big[300], *longarg[] = {big, NULL};
	memset(big, 'z', sizeof big - 1);
	big[0] = big[1] = '-';
	big[sizeof big - 1] = '\0';
	CHECK(!check_args_of(longarg, none));
	CHECK(strlen(err) < 150);
}

TEST(test_config_loaded_flags_never_reach_check_args)
{
	/* config_load takes the settings' flags out, so a command sees only the rest */
	clean_env();
	char *args[] = {"serve", "--port", "9100", "--prot=9250", NULL};
	CHECK(load_args(args));
	CHECK(cfg.port == 9100);
	CHECK(nrest == 2);
	CHECK(!config_check_args(rest + 1, nrest - 1, NULL, err, sizeof err));
	CHECK(strstr(err, "'--prot'") != NULL && strstr(err, "--port") != NULL);
	clean_env();
}

static void prod(struct config *c, const char *jwt, const char *admin)
{
	memset(c, 0, sizeof *c);
	snprintf(c->environment, sizeof c->environment, "production");
	snprintf(c->jwt_secret, sizeof c->jwt_secret, "%s", jwt);
	snprintf(c->admin_token, sizeof c->admin_token, "%s", admin);
}

#define GOOD_JWT "0123456789abcdef0123456789abcdef" /* 32 */
#define GOOD_ADMIN "Zq3vN8rTb1XkP0sLw7YhC2mD" /* 24 */

TEST(test_config_check_production_accepts_good_secrets)
{
	struct config c;
	char e[256] = "";
	prod(&c, GOOD_JWT, GOOD_ADMIN);
	CHECK(config_check_production(&c, e, sizeof e));
	CHECK_STR(e, "");
}

TEST(test_config_check_production_refuses_missing_or_short_jwt_secret)
{
	struct config c;
	char e[256] = "";
	prod(&c, "", GOOD_ADMIN);
	CHECK(!config_check_production(&c, e, sizeof e));
	CHECK(strstr(e, "JWT_SECRET") != NULL);
	e[0] = '\0';
	prod(&c, "0123456789abcdef0123456789abcde", GOOD_ADMIN); /* 31 */
	CHECK(!config_check_production(&c, e, sizeof e));
	CHECK(strstr(e, "JWT_SECRET") != NULL);
}

TEST(test_config_check_production_refuses_default_or_short_admin_token)
{
	const char *bad[] = {
		"",       "changeme", "CHANGEME",        "admin",
		"secret", "password", "dev-admin-token", "0123456789abcdefghijklm" /* 23 */};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct config c;
		char e[256] = "";
		prod(&c, GOOD_JWT, bad[i]);
		CHECK(!config_check_production(&c, e, sizeof e));
		CHECK(strstr(e, "ADMIN_TOKEN") != NULL);
	}
}

TEST(test_config_check_production_ignores_development)
{
	struct config c;
	char e[64] = "";
	memset(&c, 0, sizeof c);
	snprintf(c.environment, sizeof c.environment, "development");
	CHECK(config_check_production(&c, e, sizeof e));
	CHECK_STR(e, "");
}

TEST(test_config_loaded_production_config_goes_through_check)
{
	clean_env();
	setenv("ENVIRONMENT", "production", 1);
	setenv("JWT_SECRET", GOOD_JWT, 1);
	setenv("ADMIN_TOKEN", "changeme", 1);
	CHECK(load()); /* loading succeeds; the start-up check refuses */
	char e[256] = "";
	CHECK(!config_check_production(&cfg, e, sizeof e));
	setenv("ADMIN_TOKEN", GOOD_ADMIN, 1);
	CHECK(load());
	CHECK(config_check_production(&cfg, e, sizeof e));
	clean_env();
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/saasd-test-config-XXXXXX");
	if (mkdtemp(tmpdir) == NULL || chdir(tmpdir) != 0) {
		perror("test_config: temp dir");
		return 1;
	}
	RUN(test_config_defaults_without_env_or_flags);
	RUN(test_config_production_default_bcrypt_is_12);
	RUN(test_config_explicit_bcrypt_wins_over_environment_default);
	RUN(test_config_production_refuses_bcrypt_below_10);
	RUN(test_config_environment_variables_override_defaults);
	RUN(test_config_flag_with_separate_value_overrides_env);
	RUN(test_config_flag_with_equals_value_overrides_env);
	RUN(test_config_last_flag_wins_when_repeated);
	RUN(test_config_equals_flag_keeps_equals_signs_in_value);
	RUN(test_config_unknown_args_pass_through_in_order);
	RUN(test_config_unknown_equals_flag_is_passed_through_whole);
	RUN(test_config_flag_without_value_is_refused);
	RUN(test_config_out_of_range_ints_are_refused_with_message);
	RUN(test_config_non_numeric_ints_are_refused_with_message);
	RUN(test_config_out_of_range_flag_is_refused);
	RUN(test_config_range_bounds_are_inclusive);
	RUN(test_config_webhook_allow_private_defaults_to_deny_outside_development);
	RUN(test_config_explicit_webhook_allow_private_wins_either_way);
	RUN(test_config_bad_booleans_are_refused_with_message);
	RUN(test_config_bad_environment_is_refused);
	RUN(test_config_bad_email_provider_is_refused);
	RUN(test_config_bad_database_url_is_refused);
	RUN(test_config_postgresql_scheme_is_accepted);
	RUN(test_config_too_long_string_is_refused);
	RUN(test_config_env_file_is_read_with_quotes_comments_and_export);
	RUN(test_config_real_env_wins_over_env_file);
	RUN(test_config_real_env_wins_even_when_file_value_is_invalid);
	RUN(test_config_flag_wins_over_env_file);
	RUN(test_config_env_file_flag_selects_the_file);
	RUN(test_config_default_dot_env_is_read_when_present);
	RUN(test_config_missing_env_file_named_explicitly_is_refused);
	RUN(test_config_bad_value_in_env_file_reports_path_and_line);
	RUN(test_config_short_session_expiration_is_allowed_in_development_with_a_warning);
	RUN(test_config_production_keeps_the_60_second_session_floor);
	RUN(test_config_edit_distance_counts_edits_and_swaps);
	RUN(test_config_edit_distance_is_symmetric_and_bounded_on_random_words);
	RUN(test_config_suggest_flag_names_the_near_setting_or_extra_flag);
	RUN(test_config_check_args_refuses_unknown_flags_and_stray_words);
	RUN(test_config_loaded_flags_never_reach_check_args);
	RUN(test_config_check_production_accepts_good_secrets);
	RUN(test_config_check_production_refuses_missing_or_short_jwt_secret);
	RUN(test_config_check_production_refuses_default_or_short_admin_token);
	RUN(test_config_check_production_ignores_development);
	RUN(test_config_loaded_production_config_goes_through_check);
	clean_env();
	if (chdir("/") == 0)
		rmdir(tmpdir);
	return check_done("config");
}
