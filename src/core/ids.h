/*
 * ids.h: identifiers and secrets formats. Ids are "<prefix>_" + 26 lowercase
 * Crockford base32 characters (48-bit millisecond time + 80 random bits), so
 * they sort by creation time. API keys are "sk_live_" + 43 base62 characters
 * (256 bits). Opaque tokens are 43 base62 characters (256 bits).
 */
#ifndef SAASD_IDS_H
#define SAASD_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

#define ID_BODY_LEN 26
#define API_KEY_PREFIX "sk_live_"
#define API_KEY_RANDOM_LEN 43
#define API_KEY_LEN (sizeof(API_KEY_PREFIX) - 1 + API_KEY_RANDOM_LEN)
#define PUBLISHABLE_KEY_PREFIX "pk_live_" /* same length as API_KEY_PREFIX */
#define API_KEY_DISPLAY_LEN 12 /* "sk_live_" + 4 characters */
#define TOKEN_LEN 43

/* New id "<prefix>_<26 chars>" in the arena, using now_ms for ordering. */
char *id_new(struct arena *a, const char *prefix, int64_t now_ms);
/* The first (last false) or last possible id of this prefix made at ms
 * (clamped to the 48 bits ids carry): ids made at [from, to] are exactly
 * those between the first of from and the last of to, in byte order. */
char *id_time_bound(struct arena *a, const char *prefix, int64_t ms, bool last);
/* True when s looks like an id with this prefix (format check only). */
bool id_valid(const char *s, const char *prefix);
/* True when s is a syntactically valid list cursor / id of any prefix. */
bool id_plausible(const char *s);

/* Fresh API key into out[API_KEY_LEN + 1]: a secret "sk_live_" key, or a
 * publishable "pk_live_" one (same length and alphabet). */
void apikey_generate(char out[API_KEY_LEN + 1]);
void apikey_generate_publishable(char out[API_KEY_LEN + 1]);
/* Format check: "sk_live_" or "pk_live_" + 43 base62. */
bool apikey_well_formed(const char *s);
/* True when s starts with the publishable prefix "pk_live_". */
bool apikey_is_publishable(const char *s);

/* Fresh 256-bit token, base62, into out[TOKEN_LEN + 1]. */
void token_generate(char out[TOKEN_LEN + 1]);

#endif
