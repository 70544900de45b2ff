/*
 * password.c: bcrypt via libxcrypt's reentrant crypt_rn (thread-safe with a
 * per-call struct crypt_data). Secrets on the stack are wiped before return.
 */
#include "password.h"

#include <crypt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/fields.h"
#include "../core/secure.h"

#define SCHEME "$bcrypt-sha256$v1"
#define PREHASH_KEY "saasd-password-v1"

enum status password_check_policy(const char *password)
{
	size_t chars = 0;
	bool letter = false, digit = false;
	for (const unsigned char *p = (const unsigned char *)password; *p; p++) {
		if ((*p & 0xC0) != 0x80)
			chars++; /* count code points, not bytes */
		if (*p >= '0' && *p <= '9')
			digit = true;
		else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p >= 0x80)
			letter = true; /* any non-ASCII character counts as a letter */
	}
	if (chars > PASSWORD_MAX_CHARS)
		return ST_PASSWORD_TOO_LONG;
	if (chars < PASSWORD_MIN_CHARS || !letter || !digit)
		return ST_PASSWORD_TOO_WEAK;
	return ST_OK;
}

/* base64(HMAC-SHA256(key, password)): 44 printable bytes, never NUL. */
static void prehash(const char *password, char out[64])
{
	uint8_t mac[SEC_SHA256_LEN];
	sec_hmac_sha256(PREHASH_KEY, strlen(PREHASH_KEY), password, strlen(password), mac);
	sec_base64(mac, sizeof mac, out, 64);
	sec_wipe(mac, sizeof mac);
}

static bool bcrypt_with(const char *phrase, const char *setting, char out[PASSWORD_HASH_MAX])
{
	struct crypt_data *cd = calloc(1, sizeof *cd);
	if (cd == NULL)
		abort();
	char *h = crypt_rn(phrase, setting, cd, (int)sizeof *cd);
	bool ok = h != NULL && h[0] == '$' && strlen(h) < PASSWORD_HASH_MAX - sizeof SCHEME;
	if (ok)
		snprintf(out, PASSWORD_HASH_MAX, "%s", h);
	sec_wipe(cd, sizeof *cd);
	free(cd);
	return ok;
}

enum status password_hash(const char *password, int cost, char out[PASSWORD_HASH_MAX])
{
	char salt[64];
	if (crypt_gensalt_rn("$2b$", (unsigned long)cost, NULL, 0, salt, sizeof salt) == NULL)
		return ST_INTERNAL;
	char pre[64], bcrypt[PASSWORD_HASH_MAX];
	prehash(password, pre);
	bool ok = bcrypt_with(pre, salt, bcrypt);
	sec_wipe(pre, sizeof pre);
	size_t scheme_len = strlen(SCHEME), len = strlen(bcrypt);
	if (!ok || scheme_len + len + 1 > PASSWORD_HASH_MAX)
		return ST_INTERNAL;
	memcpy(out, SCHEME, scheme_len);
	memcpy(out + scheme_len, bcrypt, len + 1);
	return ST_OK;
}

static bool is_plain_bcrypt(const char *s)
{
	return strncmp(s, "$2a$", 4) == 0 || strncmp(s, "$2b$", 4) == 0 ||
	       strncmp(s, "$2y$", 4) == 0;
}

bool password_verify(const char *password, const char *stored)
{
	const char *setting;
	char pre[64];
	const char *phrase;
	if (strncmp(stored, SCHEME, strlen(SCHEME)) == 0) {
		setting = stored + strlen(SCHEME);
		prehash(password, pre);
		phrase = pre;
	} else if (is_plain_bcrypt(stored)) {
		setting = stored;
		phrase = password;
	} else {
		return false;
	}
	char computed[PASSWORD_HASH_MAX];
	bool ok = bcrypt_with(phrase, setting, computed) && sec_str_equal(computed, setting);
	sec_wipe(pre, sizeof pre);
	sec_wipe(computed, sizeof computed);
	return ok;
}

/* One dummy hash per cost, made on first use. */
static pthread_mutex_t dummy_mu = PTHREAD_MUTEX_INITIALIZER;
static char dummy_hash[32][PASSWORD_HASH_MAX];

void password_verify_dummy(const char *password, int cost)
{
	if (cost < 4 || cost > 31)
		cost = 10;
	pthread_mutex_lock(&dummy_mu);
	if (dummy_hash[cost][0] == '\0') {
		char random_pw[48];
		sec_random_base62(random_pw, 40);
		if (password_hash(random_pw, cost, dummy_hash[cost]) != ST_OK)
			dummy_hash[cost][0] = '\0';
	}
	char copy[PASSWORD_HASH_MAX];
	memcpy(copy, dummy_hash[cost], sizeof copy);
	pthread_mutex_unlock(&dummy_mu);
	(void)password_verify(password, copy);
}

bool password_needs_rehash(const char *stored, int cost)
{
	if (strncmp(stored, SCHEME, strlen(SCHEME)) != 0)
		return true;
	const char *b = stored + strlen(SCHEME); /* "$2b$10$..." */
	if (strlen(b) < 7 || b[3] != '$' || b[6] != '$')
		return true;
	int have = (b[4] - '0') * 10 + (b[5] - '0');
	return have != cost;
}
